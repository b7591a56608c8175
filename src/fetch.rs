//! Artifacts into the content-addressed cache: streamed to a temp file while hashed, verified,
//! then renamed into place. A cached artifact with the expected hash costs no network.
//! Mirrors are tried first; every byte they serve is checked, and a bad mirror falls back to
//! the next source.

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::fsutil::{hex_digest, unique_name};
use crate::transport::{Location, Transport};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Artifact {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
}

#[derive(Clone)]
pub struct Fetcher {
    pub transport: Arc<Transport>,
    pub cache: Cache,
    /// Largest download accepted when the size is not known in advance.
    pub max_size: u64,
}

impl Fetcher {
    /// The cached artifact with this hash, if present (no hashing: the cache only ever holds
    /// files whose hash was checked on the way in).
    pub fn cached(&self, sha256: &str) -> Option<Artifact> {
        let path = self.cache.artifact(sha256);
        let size = std::fs::metadata(&path).ok()?.len();
        Some(Artifact {
            path,
            sha256: sha256.to_string(),
            size,
        })
    }

    /// Fetches from the first source that serves bytes with the expected hash.
    /// `what` names the plugin or artifact in messages.
    pub async fn fetch(
        &self,
        sources: &[Location],
        expected: Option<&str>,
        size: Option<u64>,
        what: &str,
    ) -> Result<Artifact> {
        if let Some(a) = expected.and_then(|sha| self.cached(sha)) {
            return Ok(a);
        }
        let mut last = None;
        for (i, src) in sources.iter().enumerate() {
            // A body cut short or stalled is fetched again from the start into a fresh temp
            // file (never a range appended to a partial one), a bounded number of times.
            let mut attempt = 1;
            let res = loop {
                match self.download(src, expected, size, what).await {
                    Err(e) if e.is_transient() && attempt < crate::transport::MAX_ATTEMPTS => {
                        crate::ui::debug(&format!("{what}: {e}; retrying"));
                        tokio::time::sleep(crate::transport::backoff(attempt)).await;
                        attempt += 1;
                    }
                    Err(e) if e.is_transient() => {
                        break Err(Error::runtime(format!("{e} (after {attempt} attempts)")))
                    }
                    other => break other,
                }
            };
            match res {
                Ok(a) => return Ok(a),
                Err(e) => {
                    if i + 1 < sources.len() {
                        crate::ui::warn(&format!("{what}: {e}; trying the next source"));
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::runtime(format!("{what}: no source to fetch from"))))
    }

    async fn download(
        &self,
        src: &Location,
        expected: Option<&str>,
        size: Option<u64>,
        what: &str,
    ) -> Result<Artifact> {
        let tmp_dir = self.cache.tmp_dir()?;
        let tmp = tmp_dir.join(unique_name("dl-"));
        let res = self.download_to(src, &tmp, expected, size, what).await;
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }

    async fn download_to(
        &self,
        src: &Location,
        tmp: &PathBuf,
        expected: Option<&str>,
        size: Option<u64>,
        what: &str,
    ) -> Result<Artifact> {
        let mut body = self.transport.open(src).await?;
        let limit = size.unwrap_or(self.max_size);
        if let (Some(declared), Some(len)) = (size, body.len) {
            if declared != len {
                return Err(Error::runtime(format!(
                    "{what}: {} is {len} bytes, the index/lock says {declared}",
                    src.display()
                )));
            }
        }
        let bar = crate::ui::download_bar(what, body.len.or(size));
        let mut file = std::fs::File::create(tmp).map_err(|e| Error::path("creating", tmp, e))?;
        let mut hasher = Sha256::new();
        let mut n = 0u64;
        while let Some(chunk) = body.stream.next().await {
            let chunk = chunk?;
            n += chunk.len() as u64;
            if n > limit {
                bar.finish_and_clear();
                return Err(Error::runtime(format!(
                    "{what}: {} is larger than the {limit} bytes expected",
                    src.display()
                )));
            }
            tokio::task::block_in_place(|| {
                hasher.update(&chunk);
                file.write_all(&chunk)
            })
            .map_err(|e| Error::path("writing", tmp, e))?;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        drop(file);
        let actual = hex_digest(hasher);
        if let Some(expected) = expected {
            if actual != expected {
                return Err(Error::Checksum {
                    what: what.to_string(),
                    url: src.display(),
                    expected: expected.to_string(),
                    actual,
                });
            }
        }
        let dest = self.cache.artifact(&actual);
        self.cache.commit(tmp, &dest)?;
        Ok(Artifact {
            path: dest,
            sha256: actual,
            size: n,
        })
    }
}

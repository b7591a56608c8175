//! Artifacts into the content-addressed cache: streamed to a temp file while hashed, verified,
//! then renamed into place. A cached artifact with the expected hash costs no network.
//! Mirrors are tried first; every byte they serve is checked, and a bad mirror falls back to
//! the next source.
//!
//! [`Fetcher::fetch_unpack`] does it in one pass for formats that unpack from a stream
//! (tar.gz, binary, yaml): each chunk of the download goes to the cache file, the sha256 and
//! the unpacker at once, so the artifact is never held in memory nor read back from disk. The
//! staged files it returns exist only if the whole download hashed right; otherwise they are
//! removed and the next source is tried.

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::fsutil::{hex_digest, unique_name};
use crate::transport::{Location, Transport};
use crate::unpack::Staged;
use bytes::{Buf, Bytes};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Unpacks a stream into staged files (see [`crate::unpack::Unpacker::unpack_reader`]).
pub type StreamUnpack = Arc<dyn Fn(&mut dyn Read) -> Result<Vec<Staged>> + Send + Sync>;

/// Chunks in flight between the download and the unpacker (a chunk is at most a few tens of
/// KiB, so this bounds memory to about a MiB per download).
const CHANNEL_CHUNKS: usize = 32;

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
    /// Registry indexes verified during this command.
    pub indexes: Arc<crate::registry::VerifiedIndexes>,
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
        self.each_source(sources, what, |src| {
            self.download(src, expected, size, what)
        })
        .await
    }

    /// Fetches and unpacks in one streaming pass (tar.gz, binary, yaml), from the first source
    /// whose bytes hash to `expected`. The artifact lands in the cache as a side effect.
    pub async fn fetch_unpack(
        &self,
        sources: &[Location],
        expected: &str,
        size: Option<u64>,
        what: &str,
        unpack: StreamUnpack,
    ) -> Result<Vec<Staged>> {
        self.each_source(sources, what, |src| {
            self.download_unpack(src, expected, size, what, unpack.clone())
        })
        .await
    }

    /// Runs `once` against each source in turn until one succeeds. A body cut short or stalled
    /// is fetched again from the start into a fresh temp file (never a range appended to a
    /// partial one), a bounded number of times, before the next source is tried.
    async fn each_source<'s, T, F, Fut>(
        &self,
        sources: &'s [Location],
        what: &str,
        mut once: F,
    ) -> Result<T>
    where
        F: FnMut(&'s Location) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut last = None;
        for (i, src) in sources.iter().enumerate() {
            let mut attempt = 1;
            let res = loop {
                match once(src).await {
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
                Ok(v) => return Ok(v),
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

    /// Runs `f` with a fresh download path in the cache's `tmp/`, removed again on failure
    /// (on success `f` has moved it into the cache).
    async fn in_temp<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let tmp = self.cache.tmp_dir()?.join(unique_name("dl-"));
        let res = f(tmp.clone()).await;
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }

    async fn download_unpack(
        &self,
        src: &Location,
        expected: &str,
        size: Option<u64>,
        what: &str,
        unpack: StreamUnpack,
    ) -> Result<Vec<Staged>> {
        self.in_temp(|tmp| self.download_unpack_to(src, tmp, expected, size, what, unpack))
            .await
    }

    async fn download_unpack_to(
        &self,
        src: &Location,
        tmp: PathBuf,
        expected: &str,
        size: Option<u64>,
        what: &str,
        unpack: StreamUnpack,
    ) -> Result<Vec<Staged>> {
        let tmp = &tmp;
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
        let file = std::fs::File::create(tmp).map_err(|e| Error::path("creating", tmp, e))?;
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
        // The blocking side: tee every chunk into the cache file and the hash, feed the
        // unpacker, then drain what the unpacker left unread (trailers, padding).
        let worker = tokio::task::spawn_blocking(move || {
            let mut tee = Tee {
                rx,
                cur: Bytes::new(),
                file,
                hasher: Sha256::new(),
                failed: None,
                ended: false,
            };
            let staged = unpack(&mut tee);
            let drained = io::copy(&mut tee, &mut io::sink()).map(|_| ());
            let synced = tee.file.flush();
            (staged, drained.and(synced), hex_digest(tee.hasher))
        });
        let bar = crate::ui::download_bar(what, body.len.or(size));
        let mut n = 0u64;
        let mut failure: Option<Error> = None;
        while let Some(chunk) = body.stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            n += chunk.len() as u64;
            if n > limit {
                failure = Some(Error::runtime(format!(
                    "{what}: {} is larger than the {limit} bytes expected",
                    src.display()
                )));
                break;
            }
            bar.inc(chunk.len() as u64);
            if tx.send(Ok(chunk)).await.is_err() {
                break; // the worker is gone; its result says why
            }
        }
        if failure.is_some() {
            let _ = tx.send(Err(io::Error::other("the download failed"))).await;
        }
        drop(tx);
        bar.finish_and_clear();
        let (staged, drained, actual) = worker
            .await
            .map_err(|e| Error::runtime(format!("{what}: unpacking panicked: {e}")))?;
        let discard = |staged: Result<Vec<Staged>>| {
            for s in staged.into_iter().flatten() {
                let _ = std::fs::remove_file(&s.staged);
            }
        };
        if let Some(e) = failure {
            discard(staged);
            return Err(e);
        }
        if let Err(e) = drained {
            discard(staged);
            return Err(Error::path("writing", tmp, e));
        }
        if actual != expected {
            discard(staged);
            return Err(Error::Checksum {
                what: what.to_string(),
                url: src.display(),
                expected: expected.to_string(),
                actual,
            });
        }
        // The bytes are right: keep them in the cache even if unpacking refused them, so a
        // retry does not download again.
        self.cache.commit(tmp, &self.cache.artifact(&actual))?;
        staged
    }

    async fn download(
        &self,
        src: &Location,
        expected: Option<&str>,
        size: Option<u64>,
        what: &str,
    ) -> Result<Artifact> {
        self.in_temp(|tmp| self.download_to(src, tmp, expected, size, what))
            .await
    }

    async fn download_to(
        &self,
        src: &Location,
        tmp: PathBuf,
        expected: Option<&str>,
        size: Option<u64>,
        what: &str,
    ) -> Result<Artifact> {
        let tmp = &tmp;
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

/// The reading end of a streaming download: every chunk is written to the cache file and
/// hashed as it arrives, then served to the reader.
struct Tee {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    cur: Bytes,
    file: std::fs::File,
    hasher: Sha256,
    failed: Option<io::ErrorKind>,
    ended: bool,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(kind) = self.failed {
            return Err(io::Error::new(kind, "the download failed"));
        }
        while self.cur.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                None => {
                    self.ended = true;
                    return Ok(0);
                }
                Some(Err(e)) => {
                    self.failed = Some(e.kind());
                    return Err(e);
                }
                Some(Ok(chunk)) => {
                    self.hasher.update(&chunk);
                    if let Err(e) = self.file.write_all(&chunk) {
                        self.failed = Some(e.kind());
                        return Err(e);
                    }
                    self.cur = chunk;
                }
            }
        }
        let k = buf.len().min(self.cur.len());
        buf[..k].copy_from_slice(&self.cur[..k]);
        self.cur.advance(k);
        Ok(k)
    }
}

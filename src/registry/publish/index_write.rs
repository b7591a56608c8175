//! Writing a signed index without losing a racing publisher's update: a directory is
//! serialised with an advisory lock; on object stores the index is written with a conditional
//! put and re-read on conflict, and the signature is re-written until it matches the index
//! that is current.

use super::Publisher;
use crate::error::{Error, Result};
use crate::model::fsutil;
use crate::registry::{verify_signature, PluginIndex};
use crate::source::{Endpoint, PutMode, PutOutcome};
use crate::store::lock::lock_in_place;
use bytes::Bytes;

impl Publisher<'_> {
    /// Reads the current index and checks its signature with this publisher's key.
    async fn read_index_once(&self, name: &str) -> Result<IndexRead> {
        let loc = self.loc(&format!("index/{name}.toml"))?;
        let Some((bytes, version)) = self.transport.get_versioned(&loc).await? else {
            return Ok(IndexRead::Missing);
        };
        let what = loc.display();
        if !self.resign {
            let sig_loc = self.loc(&format!("index/{name}.toml.minisig"))?;
            let sig = self
                .transport
                .get_versioned(&sig_loc)
                .await?
                .map(|(b, _)| String::from_utf8_lossy(&b).into_owned());
            let keys = vec![self.key.public_key_base64()];
            let (problem, ours) = match sig {
                Some(sig) => (
                    verify_signature(&bytes, &sig, &keys, &what).err().map(|e| {
                        e.noted("the existing index is not signed by this key; if you rotated keys, pass --resign to re-sign it")
                    }),
                    same_key_id(&sig, &keys[0]),
                ),
                None => (
                    Some(Error::Signature {
                        what: what.clone(),
                        problem: "has no signature; pass --resign to sign it as it is".into(),
                        mismatch: false,
                    }),
                    true,
                ),
            };
            if let Some(e) = problem {
                if !ours {
                    // Signed by another key: not a racing publisher's lag, refuse at once.
                    return Err(e);
                }
                return Ok(IndexRead::Unverified {
                    error: e,
                    e_tag: version.and_then(|v| v.e_tag.or(v.version)),
                });
            }
        }
        let text =
            String::from_utf8(bytes.to_vec()).map_err(|_| Error::document(&what, "not UTF-8"))?;
        Ok(IndexRead::Found(
            PluginIndex::parse(&text, name, &what)?,
            version,
        ))
    }

    /// Reads and verifies the current index. On an object store a racing publisher writes
    /// the index first and its signature a moment later, so an index whose signature does not
    /// (yet) match is re-read until it has stayed unverifiable for `settle`; any change of the
    /// index restarts that wait. A directory registry is written under a lock, so there the
    /// caller chooses a short `settle` (or none, while holding the lock).
    pub(super) async fn read_index_settled(
        &self,
        name: &str,
        settle: std::time::Duration,
    ) -> Result<Option<(PluginIndex, Option<object_store::UpdateVersion>)>> {
        let mut seen: Option<(Option<String>, std::time::Instant)> = None;
        loop {
            match self.read_index_once(name).await? {
                IndexRead::Missing => return Ok(None),
                IndexRead::Found(idx, v) => return Ok(Some((idx, v))),
                IndexRead::Unverified { error, e_tag } => {
                    let since = match &seen {
                        Some((tag, t)) if *tag == e_tag => *t,
                        _ => std::time::Instant::now(),
                    };
                    if since.elapsed() >= settle {
                        return Err(error);
                    }
                    seen = Some((e_tag, since));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// How long an unverifiable index is waited on before it is an error.
    fn settle(&self, locked: bool) -> std::time::Duration {
        match (self.root.is_remote(), locked) {
            (true, _) => self.settle,
            (false, true) => std::time::Duration::ZERO,
            (false, false) => std::time::Duration::from_millis(500),
        }
    }

    pub(super) async fn read_index(
        &self,
        name: &str,
    ) -> Result<Option<(PluginIndex, Option<object_store::UpdateVersion>)>> {
        self.read_index_settled(name, self.settle(false)).await
    }

    pub(super) async fn update_index<F>(&self, name: &str, change: F) -> Result<()>
    where
        F: Fn(Option<PluginIndex>) -> Result<PluginIndex>,
    {
        let index_loc = self.loc(&format!("index/{name}.toml"))?;
        let sig_loc = self.loc(&format!("index/{name}.toml.minisig"))?;
        let file = format!("{name}.toml");
        if let Endpoint::File(path) = &index_loc {
            // A directory: serialise publishers with an advisory lock on the index directory
            // itself (`store::lock`, on its descriptor), which leaves no file behind in the
            // registry.
            let dir = path.parent().expect("index has a parent");
            std::fs::create_dir_all(dir).map_err(|e| Error::path("creating", dir, e))?;
            let _lock = lock_in_place(dir, self.reporter.as_ref())?;
            let current = self
                .read_index_settled(name, self.settle(true))
                .await?
                .map(|(i, _)| i);
            let text = change(current)?.to_toml();
            let sig = self.key.sign(text.as_bytes(), &file)?;
            // The index, then its signature: each is an atomic rename.
            fsutil::write_atomic(path, text.as_bytes())?;
            fsutil::write_atomic(&dir.join(format!("{name}.toml.minisig")), sig.as_bytes())?;
            // Still under the lock: the timestamp lists every index as it now is, and the
            // page shows them.
            self.record_public_url().await?;
            let ts = self.write_timestamp_locked().await?;
            self.write_page(&ts).await?;
            return Ok(());
        }
        // An object store: optimistic concurrency.
        for attempt in 0..50u32 {
            let current = self.read_index(name).await?;
            let (idx, version) = match current {
                Some((i, v)) => (Some(i), v),
                None => (None, None),
            };
            let text = change(idx)?.to_toml();
            let mode = match version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            match self
                .transport
                .put(&index_loc, Bytes::from(text.clone()), mode)
                .await?
            {
                PutOutcome::Conflict => {
                    self.reporter.note(&format!(
                        "{}: another publisher updated it first; merging and retrying",
                        index_loc.display()
                    ));
                    // Back off with jitter so racing publishers stop colliding.
                    tokio::time::sleep(super::conflict_backoff(attempt)).await;
                    continue;
                }
                PutOutcome::Written(_) => {}
            }
            self.write_signature_while_current(&index_loc, &sig_loc, text.as_bytes(), &file)
                .await?;
            self.record_public_url().await?;
            let ts = self.write_timestamp_object().await?;
            self.write_page(&ts).await?;
            return Ok(());
        }
        Err(Error::Refused {
            what: index_loc.display(),
            problem: "too many concurrent updates; try again".into(),
        })
    }

    /// Writes the signature for `ours` as long as `ours` is still the current index. A later
    /// writer of the index signs its own (newer) content, so stopping then is correct.
    pub(super) async fn write_signature_while_current(
        &self,
        index_loc: &Endpoint,
        sig_loc: &Endpoint,
        ours: &[u8],
        file: &str,
    ) -> Result<()> {
        let sig = Bytes::from(self.key.sign(ours, file)?);
        for _ in 0..50 {
            let sig_version = self
                .transport
                .get_versioned(sig_loc)
                .await?
                .and_then(|(_, v)| v);
            match self.transport.get_versioned(index_loc).await? {
                Some((now, _)) if now.as_ref() == ours => {}
                _ => return Ok(()), // someone published after us; they sign.
            }
            let mode = match sig_version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            match self.transport.put(sig_loc, sig.clone(), mode).await? {
                PutOutcome::Written(_) => {
                    // Re-check: if the index moved on meanwhile, its writer re-signs.
                    return Ok(());
                }
                PutOutcome::Conflict => continue,
            }
        }
        Err(Error::Refused {
            what: sig_loc.display(),
            problem: "could not write the signature; try again".into(),
        })
    }
}

/// Whether a minisign signature names the same key id as a public key (bytes 2..10 of each).
fn same_key_id(sig_text: &str, public_key_b64: &str) -> bool {
    let sig_id = crate::model::keys::payload_line(sig_text).and_then(crate::model::keys::key_id_of);
    match (sig_id, crate::model::keys::key_id_of(public_key_b64)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

enum IndexRead {
    Missing,
    Found(PluginIndex, Option<object_store::UpdateVersion>),
    /// The index exists but its signature does not verify (yet, perhaps: a racing publisher
    /// signs after it writes). `e_tag` tells whether the index changed since.
    Unverified {
        error: Error,
        e_tag: Option<String>,
    },
}

pub(super) fn already_published(name: &str, version: &semver::Version) -> Error {
    Error::Refused {
        what: format!("{name} {version} is already published"),
        problem: "versions are immutable (publish a new version, or yank this one)".into(),
    }
}

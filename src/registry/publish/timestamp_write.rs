//! Writing `timestamp.toml` (see [`crate::registry::timestamp`]): the next version, a new
//! expiry, and the sha256 of `config.toml` and of every index as they are now. In a directory
//! it is written under the same advisory lock as the indexes, so it always describes one
//! consistent state. On an object store it is written with a conditional put: a publisher that
//! loses the race re-reads every index and tries again, so the last timestamp written lists
//! every publisher's index; its signature follows as an index's does.

use super::Publisher;
use crate::error::{Error, RegistryKind, Result};
use crate::model::digest::Sha256;
use crate::model::fsutil;
use crate::registry::timestamp::{expiry_after, RegistryId, Timestamp, TIMESTAMP_FILE};
use crate::source::{Endpoint, PutMode, PutOutcome};
use crate::store::lock::lock_in_place;
use bytes::Bytes;
use futures::StreamExt;
use object_store::ObjectStore;
use std::collections::BTreeMap;

/// The highest timestamp version: a TOML integer is an i64.
const MAX_VERSION: u64 = i64::MAX as u64;

impl Publisher<'_> {
    /// Refuses a change whose timestamp could not be written, before anything is written
    /// (`publish`, `yank`, `refresh`): an unreadable timestamp, or one at the highest version
    /// (the signed index would change while clients, which refuse a lower version, could never
    /// be given a timestamp listing it).
    pub(super) async fn check_timestamp_advances(&self) -> Result<()> {
        let loc = self.loc(TIMESTAMP_FILE)?;
        let current = self
            .read_timestamp(&loc)
            .await
            .map_err(|e| e.noted("nothing was changed"))?;
        match current {
            Some((v, _)) if v >= MAX_VERSION => Err(Error::Refused {
                what: loc.display(),
                problem: format!(
                    "{TIMESTAMP_FILE} is at version {v}, the highest a TOML integer holds, so no change can be signed; nothing was changed. \
                     Clients refuse a lower version than one they accepted: move the plugins to a new registry (a new root), or have every client delete its state for this one"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Re-signs the timestamp with a fresh expiry (`optimus-plugins refresh`).
    pub async fn refresh(&self) -> Result<Timestamp> {
        self.check_timestamp_advances().await?;
        let config = self.loc("config.toml")?;
        if self.transport.get_versioned(&config).await?.is_none() {
            return Err(Error::NotOurs {
                path: self.root.to_string().into(),
                problem: "not a registry (no config.toml): publish a plugin to it first".into(),
            });
        }
        if let Endpoint::File(index_dir) = self.loc("index")? {
            std::fs::create_dir_all(&index_dir)
                .map_err(|e| Error::path("creating", &index_dir, e))?;
            let _lock = lock_in_place(&index_dir, self.reporter.as_ref())?;
            self.record_public_url().await?;
            let ts = self.write_timestamp_locked().await?;
            self.write_page(&ts).await?;
            return Ok(ts);
        }
        self.record_public_url().await?;
        let ts = self.write_timestamp_object().await?;
        self.write_page(&ts).await?;
        Ok(ts)
    }

    /// Writes the next timestamp in a directory registry; the caller holds the index lock.
    pub(super) async fn write_timestamp_locked(&self) -> Result<Timestamp> {
        let ts_loc = self.loc(TIMESTAMP_FILE)?;
        let previous = self.read_timestamp(&ts_loc).await?.map(|(v, _)| v);
        let ts = self.next_timestamp(previous).await?;
        let text = ts.to_toml();
        let sig = self.key.sign(text.as_bytes(), TIMESTAMP_FILE)?;
        let Endpoint::File(path) = &ts_loc else {
            unreachable!("a directory registry's timestamp is a file")
        };
        // The timestamp, then its signature: each an atomic rename (a reader in between sees
        // a mismatch and reads again).
        fsutil::write_atomic(path, text.as_bytes())?;
        fsutil::write_atomic(
            &path.with_file_name(format!("{TIMESTAMP_FILE}.minisig")),
            sig.as_bytes(),
        )?;
        Ok(ts)
    }

    /// Writes the next timestamp on an object store with a conditional put.
    pub(super) async fn write_timestamp_object(&self) -> Result<Timestamp> {
        let ts_loc = self.loc(TIMESTAMP_FILE)?;
        let sig_loc = self.loc(&format!("{TIMESTAMP_FILE}.minisig"))?;
        for attempt in 0..50u32 {
            let (previous, version) = match self.read_timestamp(&ts_loc).await? {
                Some((v, tag)) => (Some(v), tag),
                None => (None, None),
            };
            let ts = self.next_timestamp(previous).await?;
            let text = ts.to_toml();
            let mode = match version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            match self
                .transport
                .put(&ts_loc, Bytes::from(text.clone()), mode)
                .await?
            {
                PutOutcome::Conflict => {
                    tokio::time::sleep(super::conflict_backoff(attempt)).await;
                    continue;
                }
                PutOutcome::Written(_) => {}
            }
            self.write_signature_while_current(&ts_loc, &sig_loc, text.as_bytes(), TIMESTAMP_FILE)
                .await?;
            return Ok(ts);
        }
        Err(Error::Refused {
            what: ts_loc.display(),
            problem: "too many concurrent updates; try again".into(),
        })
    }

    /// The version of the current timestamp (not verified: it only sets a floor for the next
    /// one, and clients verify what they read) and its object-store version.
    async fn read_timestamp(
        &self,
        loc: &Endpoint,
    ) -> Result<Option<(u64, Option<object_store::UpdateVersion>)>> {
        let Some((bytes, tag)) = self.transport.get_versioned(loc).await? else {
            return Ok(None);
        };
        let what = loc.display();
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::document(&what, "not UTF-8"))?;
        let ts = Timestamp::parse(text, &what).map_err(|e| {
            e.noted("the registry's timestamp cannot be read, so the next version is unknown; restore it (clients refuse a version lower than one they have seen)")
        })?;
        Ok(Some((ts.version, tag)))
    }

    /// The timestamp that follows `previous`: every index as it is now.
    async fn next_timestamp(&self, previous: Option<u64>) -> Result<Timestamp> {
        let mut meta = BTreeMap::new();
        let registry = self
            .read_config()
            .await?
            .and_then(|(c, _)| c.id.map(|id| RegistryId { name: c.name, id }));
        let mut paths = vec!["config.toml".to_string()];
        paths.extend(
            self.index_names()
                .await?
                .into_iter()
                .map(|n| format!("index/{n}")),
        );
        for rel in paths {
            if let Some((bytes, _)) = self.transport.get_versioned(&self.loc(&rel)?).await? {
                meta.insert(rel, Sha256::of_bytes(&bytes).into_string());
            }
        }
        let version = previous
            .unwrap_or(0)
            .checked_add(1)
            .filter(|v| *v <= MAX_VERSION)
            .ok_or_else(|| Error::Refused {
                what: self.root.to_string(),
                problem: "the timestamp version cannot grow any further".into(),
            })?;
        Ok(Timestamp {
            version,
            expires: expiry_after(std::time::SystemTime::now(), self.expires_in),
            registry,
            meta,
        })
    }

    /// The file names of every index (`<name>.toml`) under `index/`.
    pub(super) async fn index_names(&self) -> Result<Vec<String>> {
        let dir = self.loc("index")?;
        let mut names = Vec::new();
        match &dir {
            Endpoint::File(path) => {
                let rd = match std::fs::read_dir(path) {
                    Ok(rd) => rd,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
                    Err(e) => return Err(Error::path("listing", path, e)),
                };
                for e in rd {
                    let e = e.map_err(|e| Error::path("listing", path, e))?;
                    names.push(e.file_name().to_string_lossy().into_owned());
                }
            }
            Endpoint::Object { store, path, .. } => {
                let mut list = store.list(Some(path));
                while let Some(meta) = list.next().await {
                    let meta = meta.map_err(|e| Error::Registry {
                        registry: self.root.to_string(),
                        url: dir.display(),
                        kind: RegistryKind::Unreachable,
                        problem: format!("listing {}: {e}", dir.display()),
                    })?;
                    let mut parts = meta.location.prefix_match(path).into_iter().flatten();
                    if let (Some(name), None) = (parts.next(), parts.next()) {
                        names.push(name.as_ref().to_string());
                    }
                }
            }
            Endpoint::Http { .. } => {
                return Err(Error::usage(
                    format!("--registry {}", self.root),
                    "cannot publish to an http registry",
                ))
            }
        }
        names.retain(|n| n.ends_with(".toml") && !n.starts_with('.'));
        names.sort();
        Ok(names)
    }
}

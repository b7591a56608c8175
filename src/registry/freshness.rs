//! The client side of `timestamp.toml` ([`super::timestamp`]): before an index is used, the
//! registry's timestamp is fetched from the same source (mirror or origin), verified against
//! the pinned keys, and checked against
//!
//! - rollback: its version may not be lower than the highest this machine has accepted for the
//!   registry (kept in `<cache>/timestamps/<sha256 of the registry's URL>`, shared by mirrors
//!   and origin, so a mirror never moves a client backwards);
//! - freeze: it may not have expired (`--allow-expired` accepts it with a warning);
//! - the snapshot: the index's sha256 must be the one it lists.
//!
//! A registry without a timestamp works with a warning, unless this machine has accepted a
//! timestamp from it before (then the missing timestamp is a downgrade, refused).

use super::client::RegistryClient;
use super::signing::verify_signature;
use super::timestamp::{Timestamp, TIMESTAMP_FILE};
use crate::error::{Error, Result};
use crate::model::digest::Sha256;
use crate::model::location::Location;

use std::path::PathBuf;
use std::sync::Arc;

impl RegistryClient<'_> {
    /// Where the highest timestamp version accepted from this registry is kept.
    fn high_water_path(&self) -> PathBuf {
        let key = Sha256::of_bytes(self.provider.base.expose().as_bytes()).into_string();
        self.shared.cache.root.join("timestamps").join(key)
    }

    fn high_water(&self) -> Option<u64> {
        std::fs::read_to_string(self.high_water_path())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn registry(&self, base: &Location) -> String {
        if base == &self.provider.base {
            format!("registry {} ({base})", self.provider.name)
        } else {
            format!("registry {} (mirror {base})", self.provider.name)
        }
    }

    /// The snapshot `base` serves, verified and checked for rollback and freeze. `None` for an
    /// unsigned registry, or one that has no timestamp yet (with a warning). `fresh` skips the
    /// copy accepted earlier in this command.
    pub(super) async fn snapshot(
        &self,
        base: &Location,
        fresh: bool,
    ) -> Result<Option<Arc<Timestamp>>> {
        if self.provider.public_keys.is_empty() {
            return Ok(None);
        }
        let source = base.expose();
        let f = &self.shared.freshness;
        if !fresh {
            if let Some(ts) = f.remembered(&source) {
                return Ok(ts);
            }
        }
        let ts = self.fetch_snapshot(base).await?;
        f.remember(&source, ts.clone());
        Ok(ts)
    }

    async fn fetch_snapshot(&self, base: &Location) -> Result<Option<Arc<Timestamp>>> {
        let reg = self.registry(base);
        let state = self.high_water_path();
        let high = self.high_water();
        let url = base.join(TIMESTAMP_FILE)?;
        let Some(body) = self.get_cached(&url).await? else {
            if let Some(high) = high {
                return Err(Error::runtime(format!(
                    "{reg} serves no {TIMESTAMP_FILE}, but this machine has accepted version {high} of it: refusing (a copy of the registry from before it had a timestamp, or one with the timestamp removed, can hide new versions and yanks). \
                     If the registry really dropped its timestamp, its publisher should run `optimus-plugins refresh`; to forget what this machine has seen, delete {}",
                    state.display()
                )));
            }
            if self.shared.freshness.first(&reg) {
                self.shared.reporter.warn(&format!(
                    "{reg} has no {TIMESTAMP_FILE}: a stale or rolled-back index cannot be detected; the registry's next publish, yank or `optimus-plugins refresh` creates one"
                ));
            }
            return Ok(None);
        };
        let what = format!("{TIMESTAMP_FILE} of {reg}");
        let sig_url = base.join(&format!("{TIMESTAMP_FILE}.minisig"))?;
        let sig = self
            .get_cached(&sig_url)
            .await?
            .ok_or_else(|| Error::runtime(format!("{what}: missing signature {sig_url}")))?;
        let sig = std::str::from_utf8(&sig)
            .map_err(|_| Error::runtime(format!("{what}: signature is not text")))?;
        verify_signature(&body, sig, &self.provider.public_keys, &what)?;
        let text =
            std::str::from_utf8(&body).map_err(|_| Error::runtime(format!("{what}: not UTF-8")))?;
        let ts = Timestamp::parse(text, &what)?;
        if let Some(high) = high.filter(|&h| ts.version < h) {
            return Err(Error::runtime(format!(
                "{what}: version {} is older than version {high}, which this machine has already accepted: refusing a rollback (the source serves an old copy of the registry, by accident or to hide new versions and yanks). \
                 Try again later or use another mirror; if the registry was restored from an old backup on purpose, its publisher must restore the newest {TIMESTAMP_FILE}, or delete {} to forget what this machine has seen",
                ts.version,
                state.display()
            )));
        }
        if ts.expired(std::time::SystemTime::now()) {
            if !self.shared.freshness.allow_expired {
                return Err(Error::runtime(format!(
                    "{what}: expired at {} (version {}): refusing a snapshot nobody has re-signed since (a frozen copy can hide new versions and yanks). \
                     The registry's publisher must run `optimus-plugins refresh` (daily, from cron); to use this snapshot anyway, pass --allow-expired",
                    ts.expires, ts.version
                )));
            }
            if self.shared.freshness.first(&what) {
                self.shared.reporter.warn(&format!(
                    "--allow-expired: using {what} although it expired at {} (version {}): new versions and yanks may be hidden from you",
                    ts.expires, ts.version
                ));
            }
        }
        if high.is_none_or(|h| ts.version > h) {
            // Best effort: a cache we cannot write only forgets the floor.
            self.shared
                .cache
                .write_hint(&state, format!("{}\n", ts.version).as_bytes());
        }
        Ok(Some(Arc::new(ts)))
    }

    /// The index's bytes must be the ones the snapshot lists.
    pub(super) fn check_listed(
        &self,
        base: &Location,
        ts: &Timestamp,
        name: &str,
        body: &[u8],
    ) -> Result<()> {
        let rel = format!("index/{name}.toml");
        let what = format!("{} of {}", rel, self.registry(base));
        let actual = Sha256::of_bytes(body).into_string();
        match ts.digest_of(&rel) {
            None => Err(Error::runtime(format!(
                "{what}: not listed in {TIMESTAMP_FILE} (version {}): refusing an index outside the registry's signed snapshot",
                ts.version
            ))),
            Some(listed) if listed != actual => Err(Error::runtime(format!(
                "{what}: sha256 {actual} is not the {listed} listed in {TIMESTAMP_FILE} (version {}): refusing an index outside the registry's signed snapshot (a stale or mixed copy, or tampering)",
                ts.version
            ))),
            Some(_) => Ok(()),
        }
    }
}

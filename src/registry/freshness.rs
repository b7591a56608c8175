//! The client side of `timestamp.toml` ([`super::timestamp`]): before an index is used, the
//! registry's timestamp is fetched from the same source (mirror or origin), verified against
//! the pinned keys, and checked against
//!
//! - rollback: its version may not be lower than the highest this machine has accepted for the
//!   registry (shared by mirrors and origin, so a mirror never moves a client backwards);
//! - the registry: once a timestamp naming its registry (`[registry]`: `config.toml`'s name and
//!   id) was accepted, a timestamp of another registry is refused, even one signed with the
//!   same key (a mirror serving staging's files for prod);
//! - freeze: it may not have expired (`--allow-expired` accepts it with a warning);
//! - the snapshot: the index's sha256 must be the one it lists.
//!
//! The state is kept in `<cache>/timestamps/<sha256 of the registry URL's identity>` (no
//! user-info, query or fragment: [`Location::identity`]), so rotating a password in the URL
//! keeps the floor, and no hash of a password-bearing URL names a file. A state file of the
//! old form (the bare version, named by the sha256 of the whole URL) is read and replaced.
//!
//! A registry without a timestamp works with a warning, unless this machine has accepted a
//! timestamp from it before (then the missing timestamp is a downgrade, refused).

use super::client::{unverified, RegistryClient};
use super::signing::check_signature;
use super::timestamp::{RegistryId, Timestamp, TIMESTAMP_FILE};
use crate::error::{Error, RegistryKind, Result};
use crate::model::digest::Sha256;
use crate::model::location::Location;
use serde::{Deserialize, Serialize};

use std::path::PathBuf;
use std::sync::Arc;

/// What this machine has accepted from one registry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct State {
    /// The highest timestamp version accepted.
    pub(super) version: u64,
    /// Whether `registry` was learnt from the origin itself (a mirror's word is provisional:
    /// the origin may replace it, a mirror may not).
    #[serde(default)]
    pub(super) from_origin: bool,
    /// The registry its timestamps name, once one named it (a table: last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) registry: Option<RegistryId>,
}

impl State {
    fn parse(text: &str) -> Option<State> {
        // The old form: the version alone.
        if let Ok(version) = text.trim().parse() {
            return Some(State {
                version,
                ..State::default()
            });
        }
        toml::from_str(text).ok()
    }
}

impl RegistryClient<'_> {
    /// Where what this machine accepted from this registry is kept.
    pub(super) fn state_path(&self) -> PathBuf {
        let key = Sha256::of_bytes(self.provider.base.identity().as_bytes()).into_string();
        self.shared.cache.root.join("timestamps").join(key)
    }

    /// The state file of the old form: named by the sha256 of the whole URL, user-info and
    /// query included.
    fn legacy_state_path(&self) -> PathBuf {
        let key = Sha256::of_bytes(self.provider.base.expose().as_bytes()).into_string();
        self.shared.cache.root.join("timestamps").join(key)
    }

    fn state(&self) -> Option<State> {
        [self.state_path(), self.legacy_state_path()]
            .iter()
            .find_map(|p| State::parse(&std::fs::read_to_string(p).ok()?))
    }

    /// Best effort: a cache we cannot write only forgets the floor. The old-form file goes.
    fn keep_state(&self, state: &State) {
        let text = format!(
            "# What this machine accepted from a registry's timestamp.toml (optimus-plugins).\n{}",
            toml::to_string(state).expect("state serialises")
        );
        let (path, legacy) = (self.state_path(), self.legacy_state_path());
        if self.shared.cache.write_hint(&path, text.as_bytes()) && legacy != path {
            let _ = std::fs::remove_file(legacy);
        }
    }

    /// What a snapshot accepted in this command is remembered under: the provider and the
    /// source. (Two providers may share a mirror URL; each checks the mirror's timestamp
    /// against its own pin, state and origin.)
    pub(super) fn snapshot_key(&self, base: &Location) -> String {
        format!("{}\n{}", self.provider.name, base.expose())
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
        let source = self.snapshot_key(base);
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
        let state_file = self.state_path();
        let state = self.state();
        let url = base.join(TIMESTAMP_FILE)?;
        let what = format!("{TIMESTAMP_FILE} of {reg}");
        let stale = |problem| self.failure(&url, RegistryKind::Stale, problem);
        let ts = self.signed_timestamp(base, &what).await?;
        // Which registry this is: the pin, the origin's word, or a mirror's (provisional).
        let authority = self
            .vouch(ts.as_ref(), base, state.as_ref(), &what)
            .await
            .map_err(stale)?;
        let Some(ts) = ts else {
            if let Some(state) = &state {
                return Err(self.failure(&url, RegistryKind::Stale, format!(
                    "{reg} serves no {TIMESTAMP_FILE}, but this machine has accepted version {} of it: refusing (a copy of the registry from before it had a timestamp, or one with the timestamp removed, can hide new versions and yanks). \
                     If the registry really dropped its timestamp, its publisher should run `optimus-plugins refresh`; to forget what this machine has seen, delete {}",
                    state.version,
                    state_file.display()
                )));
            }
            if self.shared.freshness.first(&reg) {
                self.shared.reporter.warn(&format!(
                    "{reg} has no {TIMESTAMP_FILE}: a stale or rolled-back index cannot be detected; the registry's next publish, yank or `optimus-plugins refresh` creates one"
                ));
            }
            return Ok(None);
        };
        // `next.version` is the floor: the highest version accepted from this registry.
        let next = self
            .check_registry(&ts, state.as_ref(), authority, &what)
            .map_err(stale)?;
        let high = next.version;
        if ts.version < high {
            return Err(self.failure(&url, RegistryKind::Stale, format!(
                "{what}: version {} is older than version {high}, which this machine has already accepted: refusing a rollback (the source serves an old copy of the registry, by accident or to hide new versions and yanks). \
                 Try again later or use another mirror; if the registry was restored from an old backup on purpose, its publisher must restore the newest {TIMESTAMP_FILE}, or delete {} to forget what this machine has seen",
                ts.version,
                state_file.display()
            )));
        }
        if ts.expired(std::time::SystemTime::now()) {
            if !self.shared.freshness.allow_expired {
                return Err(self.failure(&url, RegistryKind::Stale, format!(
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
        let next = State {
            version: next.version.max(ts.version),
            ..next
        };
        if state.as_ref() != Some(&next) || !state_file.exists() {
            self.keep_state(&next);
        }
        Ok(Some(Arc::new(ts)))
    }

    /// `timestamp.toml` as `base` serves it, its signature verified against the pinned keys,
    /// parsed; `None` when `base` serves none. `what` names it in errors.
    pub(super) async fn signed_timestamp(
        &self,
        base: &Location,
        what: &str,
    ) -> Result<Option<Timestamp>> {
        let url = base.join(TIMESTAMP_FILE)?;
        let Some(body) = self.get_cached(&url).await? else {
            return Ok(None);
        };
        let sig_url = base.join(&format!("{TIMESTAMP_FILE}.minisig"))?;
        let bad_signature = |problem: String| Error::Signature {
            what: what.to_string(),
            problem,
            mismatch: false,
        };
        let sig = self
            .get_cached(&sig_url)
            .await?
            .ok_or_else(|| bad_signature(format!("missing signature {sig_url}")))?;
        let sig =
            std::str::from_utf8(&sig).map_err(|_| bad_signature("signature is not text".into()))?;
        check_signature(&body, sig, &self.provider.public_keys)
            .map_err(|u| unverified(u, what, self.unpinned_note(base)))?;
        let text = std::str::from_utf8(&body).map_err(|_| Error::document(what, "not UTF-8"))?;
        Timestamp::parse(text, what).map(Some)
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
        let url = base.join(&rel)?;
        let outside = |problem| self.failure(&url, RegistryKind::Stale, problem);
        match ts.digest_of(&rel) {
            None => Err(outside(format!(
                "{what}: not listed in {TIMESTAMP_FILE} (version {}): refusing an index outside the registry's signed snapshot",
                ts.version
            ))),
            Some(listed) if listed != actual => Err(outside(format!(
                "{what}: sha256 {actual} is not the {listed} listed in {TIMESTAMP_FILE} (version {}): refusing an index outside the registry's signed snapshot (a stale or mixed copy, or tampering)",
                ts.version
            ))),
            Some(_) => Ok(()),
        }
    }
}

//! `timestamp.toml`: the registry's signed freshness statement (TUF's timestamp and snapshot
//! roles in one document, signed with the same minisign key as the indexes). It carries a
//! `version` that only increases, an `expires` time (RFC 3339, UTC) and the sha256 of
//! `config.toml` and of every `index/<name>.toml`: one consistent snapshot of the registry.
//! A client refuses an older version than one it accepted (rollback), an expired one (freeze),
//! and any index whose bytes the snapshot does not list.

use crate::error::{toml_error, Error, Result};
use crate::model::digest::is_sha256_hex;
use crate::model::fsutil::is_safe_relative_path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The document's path under the registry root (its signature is `timestamp.toml.minisig`).
pub const TIMESTAMP_FILE: &str = "timestamp.toml";

/// How long a timestamp written by `publish`, `yank` or `refresh` stays valid by default.
pub const DEFAULT_EXPIRES_IN: &str = "14d";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// Bumped by every publish, yank and refresh; never goes down.
    pub version: u64,
    /// RFC 3339 UTC; after it, clients refuse the snapshot (`--allow-expired` overrides).
    pub expires: String,
    /// Which registry this is (its `config.toml` name and id), signed with the rest: a
    /// client refuses the timestamp of another registry signed with the same key. Absent in
    /// timestamps written before registry ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryId>,
    /// Registry-relative path (`config.toml`, `index/<name>.toml`) → sha256 of its bytes.
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
}

/// A registry's identity as its timestamp states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryId {
    /// `config.toml`'s `name` (for messages).
    pub name: String,
    /// `config.toml`'s `id`: what identifies the registry.
    pub id: String,
}

impl std::fmt::Display for RegistryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (id {})",
            crate::model::redact::printable(&self.name),
            crate::model::redact::printable(&self.id)
        )
    }
}

impl Timestamp {
    /// Parses and checks a timestamp document; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Timestamp> {
        let ts: Timestamp = toml::from_str(text).map_err(|e| toml_error(what, text, &e))?;
        let bad = |problem: String| Error::document(what, problem);
        ts.expires_at().map_err(|e| {
            bad(format!(
                "expires = {:?} is not an RFC 3339 UTC time ({e})",
                ts.expires
            ))
        })?;
        for (path, sha) in &ts.meta {
            if !is_safe_relative_path(path) {
                return Err(bad(format!(
                    "lists {path:?}, which leaves the registry root"
                )));
            }
            if !is_sha256_hex(sha) {
                return Err(bad(format!("malformed sha256 {sha:?} for {path}")));
            }
        }
        Ok(ts)
    }

    /// When the snapshot expires (`expires`, RFC 3339).
    pub fn expires_at(&self) -> std::result::Result<SystemTime, humantime::TimestampError> {
        humantime::parse_rfc3339(&self.expires)
    }

    /// Whether the snapshot has expired at `now`.
    pub fn expired(&self, now: SystemTime) -> bool {
        self.expires_at().map(|t| now > t).unwrap_or(true)
    }

    /// The sha256 the snapshot lists for a registry-relative path.
    pub fn digest_of(&self, rel: &str) -> Option<&str> {
        self.meta.get(rel).map(String::as_str)
    }

    pub fn to_toml(&self) -> String {
        let mut s = toml::to_string(self).expect("timestamp serialises");
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

/// `--expires-in`: `36h`, `14d`, `90m`, `1s`, `2w`… (humantime durations), more than zero.
pub fn parse_expires_in(s: &str) -> Result<Duration> {
    let arg = format!("--expires-in {s:?}");
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        Error::usage(
            &arg,
            format!("{e} (expected a duration such as 36h or 14d)"),
        )
    })?;
    if d.is_zero() {
        return Err(Error::usage(arg, "must be more than zero"));
    }
    Ok(d)
}

/// `now + d` as RFC 3339 UTC, to the second.
pub fn expiry_after(now: SystemTime, d: Duration) -> String {
    humantime::format_rfc3339_seconds(now + d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn round_trips_and_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let ts = Timestamp {
            version: 3,
            expires: expiry_after(now, parse_expires_in("36h").unwrap()),
            registry: Some(RegistryId {
                name: "prod".into(),
                id: "0123456789abcdef0123456789abcdef".into(),
            }),
            meta: [("index/neo.toml".to_string(), SHA.to_string())].into(),
        };
        assert_eq!(ts.expires, "2027-01-16T20:00:00Z");
        let again = Timestamp::parse(&ts.to_toml(), "timestamp").unwrap();
        assert_eq!(again, ts);
        assert!(!ts.expired(now + Duration::from_secs(36 * 3600)));
        assert!(ts.expired(now + Duration::from_secs(36 * 3600 + 1)));
        assert_eq!(parse_expires_in("14d").unwrap().as_secs(), 14 * 86400);
    }

    #[test]
    fn refuses_bad_documents_and_durations() {
        let bad = |text: &str, want: &str| {
            let e = Timestamp::parse(text, "timestamp of reg")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(want) && e.starts_with("timestamp of reg"),
                "{want:?} not in {e}"
            );
        };
        let doc = |expires: &str, path: &str, sha: &str| {
            format!("version = 1\nexpires = \"{expires}\"\n[meta]\n\"{path}\" = \"{sha}\"\n")
        };
        bad(&doc("tomorrow", "index/a.toml", SHA), "not an RFC 3339");
        bad(
            &doc("2030-01-01T00:00:00Z", "../a.toml", SHA),
            "leaves the registry root",
        );
        bad(
            &doc("2030-01-01T00:00:00Z", "index/a.toml", "x"),
            "malformed sha256",
        );
        bad("version = -1\n", "timestamp of reg:1:");
        let e = Timestamp::parse(&doc("tomorrow", "index/a.toml", SHA), "t").unwrap_err();
        assert!(matches!(e, Error::Document { .. }), "{e}");
        assert_eq!(e.exit_code(), 1);
        for d in ["", "0s", "soon", "-1d"] {
            let e = parse_expires_in(d).unwrap_err();
            assert!(e.to_string().starts_with("--expires-in"), "{e}");
            assert_eq!(e.exit_code(), 2, "{d:?}");
        }
    }
}

/// The freshness state of one command: its `--allow-expired`, and the snapshots accepted so
/// far, by source (each is fetched and checked once per command).
#[derive(Default)]
pub struct Freshness {
    pub allow_expired: bool,
    pub(super) accepted: Mutex<HashMap<String, Option<Arc<Timestamp>>>>,
    pub(super) warned: Mutex<HashSet<String>>,
    /// What each origin asked about a mirror's timestamp answered (by provider and the
    /// origin's identity): the registry its timestamp names, or why it could not be asked.
    pub(super) origins: Mutex<HashMap<String, Arc<OriginAnswer>>>,
}

/// What an origin's own timestamp said about which registry it is, when asked about a
/// mirror's (`registry::identity`).
#[derive(Clone, Debug)]
pub(super) enum OriginSays {
    /// Its verified timestamp names this registry (or none).
    Registry(Option<RegistryId>),
    /// It answered, and serves no `timestamp.toml`.
    NoTimestamp,
    /// It could not be asked: why.
    Unknown(String),
}

/// What one origin said, asked once per command.
pub(super) type OriginAnswer = tokio::sync::OnceCell<OriginSays>;

impl Freshness {
    pub(super) fn remembered(&self, source: &str) -> Option<Option<Arc<Timestamp>>> {
        let m = self.accepted.lock().unwrap_or_else(|e| e.into_inner());
        m.get(source).cloned()
    }
    pub(super) fn remember(&self, source: &str, ts: Option<Arc<Timestamp>>) {
        let mut m = self.accepted.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(source.to_string(), ts);
    }
    pub(super) fn origin_cell(&self, origin: &str) -> Arc<OriginAnswer> {
        let mut m = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(origin.to_string()).or_default().clone()
    }
    /// True the first time `what` is seen in this command.
    pub(super) fn first(&self, what: &str) -> bool {
        let mut m = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(what.to_string())
    }
}

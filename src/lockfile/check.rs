//! The checks a lock passes after parsing, with errors that name the line (when the text is at
//! hand) and the fix: a lock edited by hand is the usual cause.

use super::{Lockfile, LOCK_VERSION};
use crate::error::{Error, Result};
use crate::model::artifact::ArtifactEntry;
use crate::model::digest::is_sha256_hex;
use crate::model::fsutil::is_safe_relative_path;
use crate::model::image::{is_image_digest, ImageRef};
use crate::model::names::check_plugin_name;
use crate::model::platform::{Platform, ANY};
use std::path::Path;

/// What to do about a lock that does not parse or check.
pub const FIX: &str = "restore it from version control, or delete it and run `optimus-plugins lock` to lock again (a lock is written by optimus-plugins, not by hand)";

/// The 1-based line of the `nth` (0-based) line of `text` holding `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
}

impl Lockfile {
    /// The checks every lock passes after parsing; `text`, when given, is what it was parsed
    /// from (errors then say which line).
    pub(super) fn check_text(self, path: &Path, text: Option<&str>) -> Result<Lockfile> {
        let what = path.display().to_string();
        let lock = self;
        let bad = |needle: Option<(String, usize)>, m: String| {
            let line = needle
                .zip(text)
                .and_then(|((n, nth), t)| line_of(t, &n, nth))
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            Error::config(format!("{what}{line}: {m}; {FIX}"))
        };
        let name_line = |name: &str, nth: usize| Some((format!("name = \"{name}\""), nth));
        let value_line = |v: &str| Some((format!("\"{v}\""), 0));
        if lock.version != LOCK_VERSION {
            return Err(bad(
                Some(("version".into(), 0)),
                format!(
                    "unsupported lockfile version {} (this program writes {LOCK_VERSION}; a newer optimus wrote it: upgrade optimus)",
                    lock.version
                ),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for p in &lock.plugins {
            check_plugin_name(&p.name).map_err(|e| bad(name_line(&p.name, 0), e.to_string()))?;
            if !names.insert(&p.name) {
                return Err(bad(
                    name_line(&p.name, 1),
                    format!("plugin {} appears twice", p.name),
                ));
            }
            for a in &p.artifacts {
                if a.platform != ANY {
                    Platform::parse(&a.platform).map_err(|e| {
                        bad(value_line(&a.platform), format!("plugin {}: {e}", p.name))
                    })?;
                }
                if !is_sha256_hex(&a.sha256) {
                    return Err(bad(
                        value_line(&a.sha256),
                        format!("plugin {}: malformed sha256 {:?}", p.name, a.sha256),
                    ));
                }
                if let Some(b) = &a.bin {
                    if !is_safe_relative_path(b) {
                        return Err(bad(
                            value_line(b),
                            format!("plugin {}: bin {b:?} is not a safe relative path", p.name),
                        ));
                    }
                }
                if a.url.is_empty() {
                    return Err(bad(
                        Some(("url = \"\"".into(), 0)),
                        format!("plugin {}: empty url", p.name),
                    ));
                }
            }
            for nb in &p.no_binary {
                Platform::parse(nb).map_err(|e| {
                    bad(value_line(nb), format!("plugin {}: no_binary: {e}", p.name))
                })?;
            }
            for i in &p.images {
                ImageRef::parse(&i.reference).map_err(|e| {
                    bad(
                        value_line(&i.reference),
                        format!("plugin {}: image {}: {e}", p.name, i.version),
                    )
                })?;
                if !is_image_digest(&i.digest) {
                    return Err(bad(
                        value_line(&i.digest),
                        format!(
                            "plugin {}: image {}: malformed digest {:?} (expected sha256:<64 hex>)",
                            p.name, i.reference, i.digest
                        ),
                    ));
                }
            }
        }
        Ok(lock)
    }
}

/// Artifact entries are shared with the (forward-compatible) index, so serde tolerates fields
/// it does not know; the lock is ours and strict: any other field is an error naming it.
pub(super) fn artifact_fields(text: &str, what: &str) -> Result<()> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(()); // not TOML: the caller's parse error says where
    };
    let plugins = table.get("plugin").and_then(|p| p.as_array());
    for p in plugins.into_iter().flatten() {
        let arts = p.get("artifact").and_then(|a| a.as_array());
        for a in arts.into_iter().flatten().filter_map(|a| a.as_table()) {
            if let Some(k) = a
                .keys()
                .find(|k| !ArtifactEntry::FIELDS.contains(&k.as_str()))
            {
                let line = text
                    .lines()
                    .position(|l| {
                        l.trim_start().starts_with(&format!("{k} "))
                            || l.trim_start().starts_with(&format!("{k}="))
                    })
                    .map(|i| format!(":{}", i + 1))
                    .unwrap_or_default();
                return Err(Error::config(format!(
                    "{what}{line}: unknown field `{k}` in an artifact of plugin {}, expected one of {}; {FIX}",
                    p.get("name").and_then(|n| n.as_str()).unwrap_or("?"),
                    ArtifactEntry::FIELDS.join(", ")
                )));
            }
        }
    }
    Ok(())
}

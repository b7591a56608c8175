//! The checks a lock passes after parsing, with errors that name the line (when the text is at
//! hand) and the fix: a lock edited by hand is the usual cause.

use super::{LockedArtifact, Lockfile, LOCK_VERSION};
use crate::error::{toml_position, Error, Result};
use crate::model::artifact::ArtifactPlatform;
use crate::model::digest::Sha256;
use crate::model::fsutil::is_safe_relative_path;
use crate::model::image::{is_image_digest, ImageRef};
use crate::model::names::check_plugin_name;
use crate::model::platform::Platform;
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

/// An error about the lock at `path`, at the line of `text` holding the `nth` `needle` when
/// both are known, with the way back.
fn lock_error(
    path: &Path,
    text: Option<&str>,
    needle: Option<(String, usize)>,
    m: String,
) -> Error {
    let line = needle
        .zip(text)
        .and_then(|((n, nth), t)| line_of(t, &n, nth));
    Error::in_lock(path, line, format!("{m}; {FIX}"))
}

fn name_line(name: &str, nth: usize) -> Option<(String, usize)> {
    Some((format!("name = \"{name}\""), nth))
}

fn value_line(v: &str) -> Option<(String, usize)> {
    Some((format!("\"{v}\""), 0))
}

impl Lockfile {
    /// The checks every lock passes after parsing (platforms and digests are typed, so checked
    /// while parsing); `text`, when given, is what it was parsed from (errors then say which
    /// line).
    pub(super) fn check_text(self, path: &Path, text: Option<&str>) -> Result<Lockfile> {
        let lock = self;
        let bad = |needle: Option<(String, usize)>, m: String| lock_error(path, text, needle, m);
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

/// Why a lock's text does not parse: an unknown artifact field, a platform or a sha256 that is
/// not one (each named at its line and with its plugin, as the checks after parsing name
/// theirs), else what the TOML parser says.
pub(super) fn parse_error(text: &str, path: &Path, e: &toml::de::Error) -> Error {
    if let Err(e) = raw_values(text, path) {
        return e;
    }
    let (pos, msg) = toml_position(text, e);
    Error::in_lock(path, pos.map(|(line, _)| line), format!("{msg}; {FIX}"))
}

/// Artifact entries are shared with the (forward-compatible) index, so serde tolerates fields
/// it does not know; the lock is ours and strict: any other field is an error naming it. The
/// typed values are checked here too, to say which plugin's they are.
fn raw_values(text: &str, path: &Path) -> Result<()> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(()); // not TOML: the parser's error says where
    };
    let bad = |needle: Option<(String, usize)>, m: String| lock_error(path, Some(text), needle, m);
    let plugins = table.get("plugin").and_then(|p| p.as_array());
    for p in plugins.into_iter().flatten() {
        let name = p.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        let arts = p.get("artifact").and_then(|a| a.as_array());
        for a in arts.into_iter().flatten().filter_map(|a| a.as_table()) {
            if let Some(k) = a
                .keys()
                .find(|k| !LockedArtifact::FIELDS.contains(&k.as_str()))
            {
                let line = text
                    .lines()
                    .position(|l| {
                        l.trim_start().starts_with(&format!("{k} "))
                            || l.trim_start().starts_with(&format!("{k}="))
                    })
                    .map(|i| i + 1);
                return Err(Error::in_lock(path, line, format!(
                    "unknown field `{k}` in an artifact of plugin {name}, expected one of {}; {FIX}",
                    LockedArtifact::FIELDS.join(", ")
                )));
            }
            if let Some(v) = a.get("platform").and_then(|v| v.as_str()) {
                ArtifactPlatform::parse(v)
                    .map_err(|e| bad(value_line(v), format!("plugin {name}: {e}")))?;
            }
            if let Some(v) = a.get("sha256").and_then(|v| v.as_str()) {
                Sha256::parse(v).map_err(|e| bad(value_line(v), format!("plugin {name}: {e}")))?;
            }
        }
        let no_binary = p.get("no_binary").and_then(|a| a.as_array());
        for v in no_binary.into_iter().flatten().filter_map(|v| v.as_str()) {
            Platform::parse(v)
                .map_err(|e| bad(value_line(v), format!("plugin {name}: no_binary: {e}")))?;
        }
    }
    Ok(())
}

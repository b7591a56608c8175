//! What is installed, how it compares with the lock and receipts ([`managed`]), and the
//! reports built on them: [`list`] (with what Optimus itself would discover:
//! `crate::upstream`), [`verify`] and [`outdated`]; locked versions their registry has
//! yanked ([`yanks`]).

mod checkup;
mod images;
mod list;
mod outdated;
mod verify;
pub mod yanks;

pub use checkup::{checkup, Checkup, CheckupOptions};
pub use images::{check_images, ImageCheck, ImageChecks};
pub use list::{list, optimus_cli_of, plugin_files, search_dirs, Host, Listing};
pub use outdated::{outdated, outdated_report, Outdated, OutdatedReport};
pub use verify::{verify, Verification};

use crate::lockfile::Lockfile;
use crate::model::artifact::{ArtifactKind, ArtifactPlatform};
use crate::model::format::Format;
use crate::model::names::yaml_file_name;
use crate::model::platform::Platform;
use crate::receipts::{Receipt, Receipts};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Clone)]
pub struct Managed {
    pub name: String,
    /// `None` for an unmanaged file.
    pub version: Option<String>,
    pub plugin_type: Option<String>,
    pub kind: ArtifactKind,
    pub platform: ArtifactPlatform,
    pub provider: Option<String>,
    /// ok | missing | modified | outdated (differs from the lock) | unmanaged
    pub status: String,
    /// The file's name inside the plugin directory (empty for a missing bundle entry).
    pub file: String,
    pub path: PathBuf,
    /// What is wrong and which command fixes it; `None` when ok.
    pub detail: Option<String>,
}

impl Managed {
    fn from_receipt(r: &Receipt, path: PathBuf, status: &str, detail: Option<String>) -> Managed {
        Managed {
            name: r.plugin.clone(),
            version: Some(r.version.clone()),
            plugin_type: r.plugin_type.map(|t| t.to_string()),
            kind: r.kind,
            platform: r.platform.clone(),
            provider: r.provider.clone(),
            status: status.into(),
            file: r.file.clone(),
            path,
            detail,
        }
    }
}

/// What is wrong with an installed file's mode, if anything, and the command that fixes it.
pub fn mode_detail(r: &Receipt, path: &Path, fix: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let mode = r.wrong_mode(&meta)?;
    Some(format!(
        "its mode is {mode:04o}, not the read-only {:04o} installed plugin files have (an edit through it would change every hard-linked copy): `{fix}` restores it",
        crate::model::fsutil::installed_mode(r.kind.is_binary())
    ))
}

/// Managed plugins for a platform: every locked plugin and every receipt, with its status.
pub fn managed(
    dir: &Path,
    lock: &Lockfile,
    receipts: &Receipts,
    platform: &Platform,
    rehash: bool,
) -> Vec<Managed> {
    let mut out = Vec::new();
    for l in &lock.plugins {
        let arts = l.artifacts_for(platform);
        let mine: Vec<_> = receipts
            .for_platform(platform)
            .filter(|r| r.source.lock_entry() == Some(&l.name))
            .collect();
        for a in &arts {
            let kind = if a.format == Format::Yaml {
                ArtifactKind::Yaml
            } else {
                ArtifactKind::Binary
            };
            // A bundle's files are not known before it is installed; a plugin's are.
            let installed = match l.bundle {
                true => !mine.is_empty(),
                false => mine.iter().any(|r| r.kind == kind),
            };
            if installed {
                continue;
            }
            let file = if l.bundle {
                String::new()
            } else if kind == ArtifactKind::Yaml {
                yaml_file_name(&l.name)
            } else {
                platform.binary_file_name(&l.name)
            };
            out.push(Managed {
                name: l.name.clone(),
                version: Some(l.version_text().to_string()),
                plugin_type: l.plugin_type.map(|t| t.to_string()),
                kind,
                platform: a.platform.clone(),
                provider: l.provider.clone(),
                status: "missing".into(),
                path: dir.join(&file),
                file,
                detail: Some("locked but not installed: run `optimus-plugins install`".into()),
            });
        }
        for r in mine {
            let path = dir.join(&r.file);
            let (status, detail) = if !path.is_file() {
                (
                    "missing",
                    Some("the file is gone: run `optimus-plugins install`".to_string()),
                )
            } else if let Some(detail) = mode_detail(r, &path, "optimus-plugins install") {
                ("modified", Some(detail))
            } else if !(r.looks_intact(dir) || (rehash && r.rehash_matches(dir).unwrap_or(false))) {
                ("modified", Some("the file changed since it was installed: `optimus-plugins install` restores it".to_string()))
            } else if !arts.iter().any(|a| r.installed_from(a)) || r.version != l.version_text() {
                (
                    "outdated",
                    Some(format!(
                        "installed {} but the lock says {}: run `optimus-plugins install`",
                        r.version,
                        l.version_text()
                    )),
                )
            } else {
                ("ok", None)
            };
            out.push(Managed::from_receipt(r, path, status, detail));
        }
    }
    // Receipts whose source left the lock (e.g. `sync --host` files) are still managed.
    for r in receipts.for_platform(platform) {
        if r.source.lock_entry().and_then(|n| lock.get(n)).is_none() {
            let path = dir.join(&r.file);
            let host = r.source.is_host();
            let (status, detail) = if !path.is_file() {
                (
                    "missing",
                    Some(if host {
                        "the file is gone: run `optimus-plugins sync --host URL` again".to_string()
                    } else {
                        "the file is gone and it is no longer locked".to_string()
                    }),
                )
            } else if let Some(detail) = mode_detail(
                r,
                &path,
                if host {
                    "optimus-plugins sync --host URL"
                } else {
                    "optimus-plugins install"
                },
            ) {
                ("modified", Some(detail))
            } else if !(r.looks_intact(dir) || (rehash && r.rehash_matches(dir).unwrap_or(false))) {
                (
                    "modified",
                    Some("the file changed since it was installed".to_string()),
                )
            } else if host {
                ("ok", None)
            } else {
                (
                    "outdated",
                    Some(
                        "installed but no longer in the lock: `optimus-plugins install` removes it"
                            .to_string(),
                    ),
                )
            };
            out.push(Managed::from_receipt(r, path, status, detail));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    out
}

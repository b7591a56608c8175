//! What is installed, how it compares with the lock and receipts, and what Optimus itself
//! would discover (for `list` and `verify`).

use crate::lockfile::Lockfile;
use crate::platform::{is_valid_plugin_name, Platform, ANY};
use crate::receipts::{Receipt, Receipts};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Clone)]
pub struct Managed {
    pub name: String,
    /// `None` for an unmanaged file.
    pub version: Option<String>,
    pub plugin_type: Option<String>,
    pub kind: String,
    pub platform: String,
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
            kind: r.kind.clone(),
            platform: r.platform.clone(),
            provider: r.provider.clone(),
            status: status.into(),
            file: r.file.clone(),
            path,
            detail,
        }
    }
}

/// Managed plugins for a platform: every locked plugin and every receipt, with its status.
pub fn managed(
    dir: &Path,
    lock: &Lockfile,
    receipts: &Receipts,
    platform: &Platform,
    rehash: bool,
) -> Vec<Managed> {
    let plat = platform.to_string();
    let mut out = Vec::new();
    for l in &lock.plugins {
        let Some(a) = l.artifact_for(platform) else {
            continue;
        };
        let mine: Vec<_> = receipts
            .files
            .iter()
            .filter(|r| r.source == l.name && (r.platform == plat || r.platform == ANY))
            .collect();
        if mine.is_empty() {
            let kind = if a.format == crate::format::Format::Yaml {
                "yaml"
            } else {
                "binary"
            };
            let file = if l.bundle {
                String::new()
            } else if kind == "yaml" {
                crate::platform::yaml_file_name(&l.name)
            } else {
                platform.binary_file_name(&l.name)
            };
            out.push(Managed {
                name: l.name.clone(),
                version: Some(l.version_text().to_string()),
                plugin_type: l.plugin_type.map(|t| t.to_string()),
                kind: kind.into(),
                platform: a.platform.clone(),
                provider: l.provider.clone(),
                status: "missing".into(),
                path: dir.join(&file),
                file,
                detail: Some("locked but not installed: run `optimus plugin install`".into()),
            });
            continue;
        }
        for r in mine {
            let path = dir.join(&r.file);
            let (status, detail) = if !path.is_file() {
                (
                    "missing",
                    Some("the file is gone: run `optimus plugin install`".to_string()),
                )
            } else if !(r.looks_intact(dir) || (rehash && r.rehash_matches(dir).unwrap_or(false))) {
                ("modified", Some("the file changed since it was installed: `optimus plugin install` restores it".to_string()))
            } else if r.artifact_sha256 != a.sha256 || r.version != l.version_text() {
                (
                    "outdated",
                    Some(format!(
                        "installed {} but the lock says {}: run `optimus plugin install`",
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
    for r in &receipts.files {
        if lock.get(&r.source).is_none() && (r.platform == plat || r.platform == ANY) {
            let path = dir.join(&r.file);
            let host = r.source == "host";
            let (status, detail) = if !path.is_file() {
                (
                    "missing",
                    Some(if host {
                        "the file is gone: run `optimus plugin sync --host URL` again".to_string()
                    } else {
                        "the file is gone and it is no longer locked".to_string()
                    }),
                )
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
                        "installed but no longer in the lock: `optimus plugin install` removes it"
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

#[derive(Debug, Serialize, Clone)]
pub struct Discovered {
    pub name: String,
    /// binary | yaml
    pub kind: String,
    pub path: PathBuf,
    /// The discovery directory it was found in.
    pub dir: PathBuf,
    /// The file Optimus would load for this name.
    pub used: bool,
    /// The file Optimus loads instead, when this one is shadowed.
    pub shadowed_by: Option<PathBuf>,
    /// Installed by this tool (it has a receipt).
    pub managed: bool,
}

/// Optimus's discovery directories, in its order.
pub fn discovery_dirs(cwd: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![cwd.join(".plugins"), cwd.to_path_buf()];
    if let Some(exec_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(exec_dir.clone());
        dirs.push(exec_dir.join(".optimus").join("plugins"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".optimus").join("plugins"));
    }
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.push(PathBuf::from("/usr/local/bin"));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let n = crate::fsutil::normalize(d);
        if seen.contains(&n) {
            false
        } else {
            seen.push(n);
            true
        }
    });
    dirs
}

/// Plugins found in the discovery dirs (plus `extra` dirs first, such as the configured plugin
/// dir), marking which one Optimus would use: a yaml plugin wins over a binary of the same
/// name; otherwise the first directory wins.
pub fn discover(
    dirs: &[PathBuf],
    platform: &Platform,
    managed_paths: &[PathBuf],
) -> Vec<Discovered> {
    let bin_suffix = format!("_{platform}{}", platform.exe_suffix());
    let mut found: Vec<Discovered> = Vec::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let file = e.file_name().to_string_lossy().into_owned();
            let (name, kind) = if let Some(n) = crate::yaml_plugin::name_from_file(&file) {
                (n.to_string(), "yaml")
            } else if let Some(n) = file
                .strip_prefix("optimus-")
                .and_then(|r| r.strip_suffix(&bin_suffix))
            {
                (n.to_string(), "binary")
            } else {
                continue;
            };
            if !is_valid_plugin_name(&name) || !e.path().is_file() {
                continue;
            }
            let path = e.path();
            found.push(Discovered {
                managed: managed_paths
                    .iter()
                    .any(|m| crate::fsutil::normalize(m) == crate::fsutil::normalize(&path)),
                name,
                kind: kind.into(),
                path,
                dir: dir.clone(),
                used: false,
                shadowed_by: None,
            });
        }
    }
    let mut names: Vec<String> = found.iter().map(|d| d.name.clone()).collect();
    names.sort();
    names.dedup();
    for n in names {
        let winner = found
            .iter()
            .position(|d| d.name == n && d.kind == "yaml")
            .or_else(|| found.iter().position(|d| d.name == n))
            .expect("name came from found");
        let wpath = found[winner].path.clone();
        for (i, d) in found.iter_mut().enumerate() {
            if d.name == n {
                d.used = i == winner;
                d.shadowed_by = (i != winner).then(|| wpath.clone());
            }
        }
    }
    // Grouped by name, the file Optimus loads first, then the shadowed ones in search order.
    let mut order: Vec<(usize, Discovered)> = found.into_iter().enumerate().collect();
    order.sort_by(|(i, a), (j, b)| a.name.cmp(&b.name).then(b.used.cmp(&a.used)).then(i.cmp(j)));
    order.into_iter().map(|(_, d)| d).collect()
}

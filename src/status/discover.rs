//! What Optimus itself would discover: its directories in its order, and which file it uses
//! for each plugin name.

use crate::model::fsutil;
use crate::model::names::{binary_plugin_name, is_valid_plugin_name, yaml_plugin_name};
use crate::model::platform::Platform;
use serde::Serialize;
use std::path::{Path, PathBuf};

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

/// Optimus's discovery directories, in its order (`home`: `$HOME`).
pub fn discovery_dirs(cwd: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![cwd.join(".plugins"), cwd.to_path_buf()];
    if let Some(exec_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(exec_dir.clone());
        dirs.push(exec_dir.join(".optimus").join("plugins"));
    }
    if let Some(home) = home {
        dirs.push(home.join(".optimus").join("plugins"));
    }
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.push(PathBuf::from("/usr/local/bin"));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let n = fsutil::normalize(d);
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
    let mut found: Vec<Discovered> = Vec::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let file = e.file_name().to_string_lossy().into_owned();
            let (name, kind) = if let Some(n) = yaml_plugin_name(&file) {
                (n.to_string(), "yaml")
            } else if let Some(n) = binary_plugin_name(&file, platform) {
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
                    .any(|m| fsutil::normalize(m) == fsutil::normalize(&path)),
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

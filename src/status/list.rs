//! `list`: every managed plugin with its status, the plugin-looking files in the plugin dir
//! that this tool did not install, and what the target Optimus would load.

use super::{discover, discovery_dirs, managed, plugin_files, Discovery, Managed};
use crate::config::Manifest;
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::fsutil;
use crate::model::platform::{Platform, ANY};
use crate::model::target::Dir;
use crate::receipts::Receipts;
use std::path::Path;

pub struct Listing {
    /// Managed plugins and unmanaged files of the plugin dir, by name then file.
    pub plugins: Vec<Managed>,
    /// What the target Optimus would find and load, and its startup errors.
    pub discovery: Discovery,
    /// Whether the target searches the plugin dir at all.
    pub plugin_dir_searched: bool,
}

/// Lists the plugin dir of `manifest` for `platform`; `cwd`, `home` and `exe_dir` place
/// Optimus's own discovery directories.
pub fn list(
    manifest: &Manifest,
    platform: &Platform,
    cwd: &Path,
    home: Option<&Path>,
    exe_dir: Option<&Path>,
) -> Result<Listing> {
    let lock = Lockfile::read_for(manifest)?.unwrap_or_default();
    let receipts = Receipts::read(&manifest.plugin_dir)?;
    let managed = managed(&manifest.plugin_dir, &lock, &receipts, platform, true);
    let rules = manifest.target.rules();
    // goto's server reads `plugins.location`: the plugin dir of this config.
    let location = rules
        .dirs
        .contains(&Dir::Location)
        .then_some(manifest.plugin_dir.as_path());
    let dirs = discovery_dirs(rules, cwd, home, exe_dir, location);
    let plugin_dir = fsutil::normalize(&manifest.plugin_dir);
    let plugin_dir_searched = dirs.contains(&plugin_dir);
    let managed_paths: Vec<_> = managed.iter().map(|m| m.path.clone()).collect();
    let discovery = discover(rules, &dirs, platform, &managed_paths);
    // Files in the plugin dir that look like plugins but were not installed by us.
    let mut plugins = managed;
    for (path, name, kind) in plugin_files(&manifest.plugin_dir, platform) {
        if managed_paths
            .iter()
            .any(|m| fsutil::normalize(m) == fsutil::normalize(&path))
        {
            continue;
        }
        plugins.push(Managed {
            name,
            version: None,
            plugin_type: None,
            kind: kind.into(),
            platform: if kind == "yaml" {
                ANY.into()
            } else {
                platform.to_string()
            },
            provider: None,
            status: "unmanaged".into(),
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            detail: Some(
                "not installed by optimus: it is never changed or removed by this tool".into(),
            ),
        });
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    Ok(Listing {
        plugins,
        discovery,
        plugin_dir_searched,
    })
}

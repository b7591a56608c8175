//! `list`: every managed plugin with its status, the plugin-looking files in the plugin dir
//! that this tool did not install, and what Optimus would discover.

use super::{discover, discovery_dirs, managed, Discovered, Managed};
use crate::config::Manifest;
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::fsutil;
use crate::model::platform::{Platform, ANY};
use crate::receipts::Receipts;
use std::path::Path;

pub struct Listing {
    /// Managed plugins and unmanaged files of the plugin dir, by name then file.
    pub plugins: Vec<Managed>,
    pub discovered: Vec<Discovered>,
}

/// Lists the plugin dir of `manifest` for `platform`; `cwd` and `home` place Optimus's own
/// discovery directories.
pub fn list(
    manifest: &Manifest,
    platform: &Platform,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<Listing> {
    let lock = Lockfile::read(&manifest.lock_path())?.unwrap_or_default();
    let receipts = Receipts::read(&manifest.plugin_dir)?;
    let managed = managed(&manifest.plugin_dir, &lock, &receipts, platform, true);
    let mut dirs = vec![manifest.plugin_dir.clone()];
    dirs.extend(discovery_dirs(cwd, home));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let n = fsutil::normalize(d);
        let keep = !seen.contains(&n);
        seen.push(n);
        keep
    });
    let managed_paths: Vec<_> = managed.iter().map(|m| m.path.clone()).collect();
    let discovered = discover(&dirs, platform, &managed_paths);
    // Files in the plugin dir that look like plugins but were not installed by us.
    let mut plugins = managed;
    for d in discovered
        .iter()
        .filter(|d| d.dir == manifest.plugin_dir && !d.managed)
    {
        plugins.push(Managed {
            name: d.name.clone(),
            version: None,
            plugin_type: None,
            kind: d.kind.clone(),
            platform: if d.kind == "yaml" {
                ANY.into()
            } else {
                platform.to_string()
            },
            provider: None,
            status: "unmanaged".into(),
            file: d
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: d.path.clone(),
            detail: Some(
                "not installed by optimus: it is never changed or removed by this tool".into(),
            ),
        });
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    Ok(Listing {
        plugins,
        discovered,
    })
}

//! `list`: every managed plugin with its status, the plugin-looking files in the plugin dir
//! that this tool did not install, and what the target Optimus would load.

use super::{managed, Managed};
use crate::config::Manifest;
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::artifact::{ArtifactKind, ArtifactPlatform};
use crate::model::fsutil;
use crate::model::platform::Platform;
use crate::receipts::Receipts;
use crate::upstream::optimus_cli::{self, Ask, Found};
use crate::upstream::target::{Dir, Rules};
use crate::upstream::{discover, discovery_dirs, Discovery};
use std::path::{Path, PathBuf};

pub struct Listing {
    /// Managed plugins and unmanaged files of the plugin dir, by name then file.
    pub plugins: Vec<Managed>,
    /// What the target Optimus would find and load, and its startup errors.
    pub discovery: Discovery,
    /// Whether the target searches the plugin dir at all.
    pub plugin_dir_searched: bool,
    /// Whether the target searches the optimus executable's directory (raystack does).
    pub searches_exe_dir: bool,
    /// The Optimus CLI whose directory that is (empty when the target does not search it).
    pub optimus_cli: Found,
}

impl Listing {
    /// Plugins that need `install` (not ok, and not another tool's files).
    pub fn needing_install(&self) -> usize {
        self.plugins
            .iter()
            .filter(|m| m.status != "ok" && m.status != "unmanaged")
            .count()
    }

    /// Files the target would use.
    pub fn used(&self) -> usize {
        self.discovery.discovered.iter().filter(|d| d.used).count()
    }

    /// Files its de-duplication hides.
    pub fn hidden(&self) -> usize {
        self.discovery
            .discovered
            .iter()
            .filter(|d| d.shadowed_by.is_some())
            .count()
    }
}

/// Where the target Optimus runs: its working directory, `$HOME`, and what says which
/// `optimus` executable it is.
pub struct Host<'a> {
    pub cwd: &'a Path,
    pub home: Option<&'a Path>,
    pub optimus: Ask<'a>,
}

/// Lists the plugin dir of `manifest` for `platform`; `host` places Optimus's own discovery
/// directories. `declared`: whether the config has a plugin section (else goto's
/// `plugins.location` is unset).
pub fn list(
    manifest: &Manifest,
    declared: bool,
    platform: &Platform,
    host: &Host,
) -> Result<Listing> {
    let lock = Lockfile::read_for(manifest)?.unwrap_or_default();
    let receipts = Receipts::read(&manifest.plugin_dir)?;
    let managed = managed(&manifest.plugin_dir, &lock, &receipts, platform, true);
    let rules = manifest.target.rules();
    let searches_exe_dir = rules.dirs.contains(&Dir::ExeDir);
    let optimus_cli = optimus_cli_of(rules, host)?;
    let dirs = search_dirs(rules, &manifest.plugin_dir, declared, host, &optimus_cli);
    let plugin_dir_searched = dirs.contains(&fsutil::normalize(&manifest.plugin_dir));
    let managed_paths: Vec<_> = managed.iter().map(|m| m.path.clone()).collect();
    let discovery = discover(rules, &dirs, platform, &managed_paths);
    let mut plugins = managed;
    plugins.extend(unmanaged(&manifest.plugin_dir, platform, &managed_paths));
    plugins.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    Ok(Listing {
        plugins,
        discovery,
        plugin_dir_searched,
        searches_exe_dir,
        optimus_cli,
    })
}

/// The `optimus` executable whose directory the target searches (none for a target that
/// does not search it).
pub fn optimus_cli_of(rules: &Rules, host: &Host) -> Result<Found> {
    match rules.dirs.contains(&Dir::ExeDir) {
        true => optimus_cli::find(&host.optimus),
        false => Ok(Found::default()),
    }
}

/// Where the target Optimus looks for plugins when run on `host`, in its order: `list`
/// reports what it finds there, `sync --host` checks the set it swaps in against it.
/// `optimus_cli`: the `optimus` executable whose directory counts; `declared`: whether
/// `plugin_dir` is a config's (goto's server reads `plugins.location`).
pub fn search_dirs(
    rules: &Rules,
    plugin_dir: &Path,
    declared: bool,
    host: &Host,
    optimus_cli: &Found,
) -> Vec<PathBuf> {
    let location = (declared && rules.dirs.contains(&Dir::Location)).then_some(plugin_dir);
    discovery_dirs(
        rules,
        host.cwd,
        host.home,
        optimus_cli.dir.as_deref(),
        location,
    )
}

/// Files in the plugin dir that look like plugins but were not installed by us.
fn unmanaged(dir: &Path, platform: &Platform, managed_paths: &[PathBuf]) -> Vec<Managed> {
    let mut out = Vec::new();
    for (path, name, kind) in plugin_files(dir, platform) {
        if managed_paths
            .iter()
            .any(|m| fsutil::normalize(m) == fsutil::normalize(&path))
        {
            continue;
        }
        out.push(Managed {
            name,
            version: None,
            plugin_type: None,
            kind,
            platform: match kind {
                ArtifactKind::Yaml => ArtifactPlatform::Any,
                ArtifactKind::Binary => ArtifactPlatform::Os(platform.clone()),
            },
            provider: None,
            status: "unmanaged".into(),
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            detail: Some(
                "not installed by optimus-plugins: it is never changed or removed by this tool"
                    .into(),
            ),
        });
    }
    out
}

/// Every plugin-looking file directly in `dir` by this tool's naming
/// (`optimus-plugin-<name>.yaml`/`.yml`, `optimus-<name>_<os>_<arch>`): (path, name, kind),
/// by file name.
pub fn plugin_files(dir: &Path, platform: &Platform) -> Vec<(PathBuf, String, ArtifactKind)> {
    use crate::model::names::{binary_plugin_name, yaml_plugin_name};
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let (name, kind) = if let Some(n) = yaml_plugin_name(&file) {
            (n.to_string(), ArtifactKind::Yaml)
        } else if let Some(n) = binary_plugin_name(&file, platform) {
            (n.to_string(), ArtifactKind::Binary)
        } else {
            continue;
        };
        if e.path().is_file() {
            out.push((e.path(), name, kind));
        }
    }
    out.sort();
    out
}

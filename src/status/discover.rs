//! What the target Optimus would load: a port of its `discoverPluginsGivenFilePattern`
//! (docs/upstream-rules.md §3) — its directories in its order, its case-sensitive file-name
//! patterns, its first-found-wins de-duplication with the substring quirk — then its startup:
//! yaml plugins loaded and checked, binaries merged with the yaml plugin of the same name,
//! duplicate names refused.

use crate::extract::yaml_plugin;
use crate::model::fsutil;
use crate::model::platform::Platform;
use crate::model::target::{Dir, Rules};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Clone)]
pub struct Discovered {
    /// The plugin name: a yaml plugin's `name:`, a binary's from its file name.
    pub name: String,
    /// binary | yaml
    pub kind: String,
    pub path: PathBuf,
    /// The discovery directory it was found in.
    pub dir: PathBuf,
    /// Optimus would use this file.
    pub used: bool,
    /// The earlier file that hides this one in discovery's de-duplication.
    pub shadowed_by: Option<PathBuf>,
    /// Why it is not used, or how it is used (merged with a yaml plugin).
    pub note: Option<String>,
    /// Installed by this tool (it has a receipt).
    pub managed: bool,
    /// goto v2: the `plugin_versions` keys a job's `task.version` may name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// What discovery finds, and the errors that would stop Optimus at startup.
#[derive(Debug, Serialize, Clone, Default)]
pub struct Discovery {
    pub dirs: Vec<PathBuf>,
    pub discovered: Vec<Discovered>,
    /// Upstream's startup errors, verbatim (`plugin name already in use neo`...).
    pub startup_errors: Vec<String>,
}

/// Where Optimus looks, in its order; `location` is goto's `plugins.location`.
pub fn discovery_dirs(
    rules: &Rules,
    cwd: &Path,
    home: Option<&Path>,
    exe_dir: Option<&Path>,
    location: Option<&Path>,
) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for d in rules.dirs {
        let p = match d {
            Dir::Location => location.map(|l| cwd.join(l)),
            Dir::CwdPlugins => Some(cwd.join(".plugins")),
            Dir::Cwd => Some(cwd.to_path_buf()),
            Dir::ExeDir => exe_dir.map(Path::to_path_buf),
            Dir::HomePlugins => home.map(|h| h.join(".optimus").join("plugins")),
            Dir::Abs(a) => Some(PathBuf::from(a)),
        };
        // A directory listed twice finds the same files, which the de-duplication then hides
        // by name: listing it once gives the same result.
        if let Some(p) = p.map(|p| fsutil::normalize(&p)) {
            if !dirs.contains(&p) {
                dirs.push(p);
            }
        }
    }
    dirs
}

/// One pattern's pass over the directories: (file, dir, hidden by).
fn pass(
    dirs: &[PathBuf],
    matches: &dyn Fn(&str) -> bool,
) -> Vec<(PathBuf, PathBuf, Option<PathBuf>)> {
    let mut stored: Vec<PathBuf> = Vec::new();
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort(); // os.ReadDir: by name, byte order
        for full in names {
            if !matches(&full) {
                continue;
            }
            let path = dir.join(&full);
            // os.Stat follows links; a directory or broken link is skipped.
            if !std::fs::metadata(&path).is_ok_and(|m| !m.is_dir()) {
                continue;
            }
            let key = full.split('_').next().unwrap_or(&full);
            let hidden = stored
                .iter()
                .find(|s| s.to_string_lossy().contains(key))
                .cloned();
            if hidden.is_none() {
                stored.push(path.clone());
            }
            out.push((path, dir.clone(), hidden));
        }
    }
    out
}

/// Runs the target's discovery and startup over `dirs`.
pub fn discover(
    rules: &Rules,
    dirs: &[PathBuf],
    platform: &Platform,
    managed_paths: &[PathBuf],
) -> Discovery {
    let managed = |p: &Path| {
        managed_paths
            .iter()
            .any(|m| fsutil::normalize(m) == fsutil::normalize(p))
    };
    let mut found: Vec<Discovered> = Vec::new();
    let mut errors = Vec::new();
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    let yaml_match = |f: &str| rules.is_yaml_file(f);
    for (path, dir, hidden) in pass(dirs, &yaml_match) {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        let file = file.unwrap_or_default();
        let mut d = Discovered {
            name: String::new(),
            kind: "yaml".into(),
            managed: managed(&path),
            path: path.clone(),
            dir,
            used: false,
            shadowed_by: hidden.clone(),
            note: None,
            versions: Vec::new(),
        };
        if let Some(h) = hidden {
            d.name = file.clone();
            d.note = Some(hidden_note(&file, &h));
            found.push(d);
            continue;
        }
        let text = std::fs::read(&path).unwrap_or_default();
        let v = yaml_plugin::check_bytes(&text, &file, rules.target);
        d.name = v.name.clone().unwrap_or_default();
        d.versions = v.versions.clone();
        match &v.refusal {
            Some(r) => {
                errors.push(r.clone());
                d.note = Some(format!("refused, so Optimus does not start: {r}"));
            }
            None => match names.iter().find(|(n, _)| *n == d.name) {
                Some((_, first)) => {
                    errors.push(format!("{}{}", rules.duplicate_name, d.name));
                    d.note = Some(format!(
                        "`name: {}` is taken by {}: Optimus does not start",
                        d.name,
                        first.display()
                    ));
                }
                None => {
                    names.push((d.name.clone(), path));
                    d.used = true;
                }
            },
        }
        found.push(d);
    }
    if let Some(needs_yaml) = rules.binary_needs_yaml {
        let suffix = format!("_{}_{}", platform.os, platform.arch);
        let bin_match = |f: &str| f.starts_with("optimus-") && f.ends_with(&suffix);
        let mut bin_names: Vec<String> = Vec::new();
        for (path, dir, hidden) in pass(dirs, &bin_match) {
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
            let file = file.unwrap_or_default();
            // Optimus asks the running binary for its name; the file name says it by convention.
            let name = file["optimus-".len()..file.len() - suffix.len()].to_string();
            let mut d = Discovered {
                name: name.clone(),
                kind: "binary".into(),
                managed: managed(&path),
                path: path.clone(),
                dir,
                used: false,
                shadowed_by: hidden.clone(),
                note: None,
                versions: Vec::new(),
            };
            if let Some(h) = hidden {
                d.note = Some(format!(
                    "{}; the plugin then runs without its binary",
                    hidden_note(&file, &h)
                ));
            } else if bin_names.contains(&name) {
                let e = format!("PluginRegistry.Add: {name}: {}{name}", rules.duplicate_name);
                d.note = Some(format!("Optimus does not start: {e}"));
                errors.push(e);
            } else if names.iter().any(|(n, _)| *n == name) {
                bin_names.push(name.clone());
                d.used = true;
                d.note = Some(format!("merged with the yaml plugin `{name}`"));
            } else {
                bin_names.push(name.clone());
                let e = format!("PluginRegistry.Add: {name}: {needs_yaml}{name}");
                d.note = Some(format!(
                    "no yaml plugin named `{name}`: Optimus does not start: {e}"
                ));
                errors.push(e);
            }
            found.push(d);
        }
    }
    Discovery {
        dirs: dirs.to_vec(),
        discovered: found,
        startup_errors: errors,
    }
}

fn hidden_note(file: &str, by: &Path) -> String {
    let key = file.split('_').next().unwrap_or(file);
    let by_name = by
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    if by_name == file {
        format!("hidden by {} (first found wins)", by.display())
    } else {
        format!(
            "hidden by {}: Optimus drops a file when an earlier path contains its name up to the first `_` ({key:?})",
            by.display()
        )
    }
}

/// Every plugin-looking file directly in `dir` (`optimus-plugin-<name>.yaml`/`.yml`,
/// `optimus-<name>_<os>_<arch>`): (path, name, kind), by file name.
pub fn plugin_files(dir: &Path, platform: &Platform) -> Vec<(PathBuf, String, &'static str)> {
    use crate::model::names::{binary_plugin_name, yaml_plugin_name};
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let (name, kind) = if let Some(n) = yaml_plugin_name(&file) {
            (n.to_string(), "yaml")
        } else if let Some(n) = binary_plugin_name(&file, platform) {
            (n.to_string(), "binary")
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

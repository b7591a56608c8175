//! What the target Optimus loads, in one pass that `list`, `validate` and `install` share: a
//! port of its `discoverPluginsGivenFilePattern` (docs/upstream-rules.md §3) — its directories
//! in its order, its case-sensitive file-name patterns, its first-found-wins de-duplication
//! with the substring quirk — then its startup: yaml plugins loaded and checked, binaries
//! merged with the yaml plugin of the same name, duplicate names refused ([`startup`]).
//! [`discover`] turns that pass into `list`'s view of every file.

use super::yaml::{self, Problem, Verdict};
use crate::model::artifact::ArtifactKind;
use crate::model::fsutil;
use crate::model::platform::Platform;
use crate::upstream::target::{Dir, Rules};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A yaml plugin file as the target's startup meets it.
#[derive(Debug, Clone)]
pub struct YamlFile {
    pub path: PathBuf,
    /// The discovery directory it is in.
    pub dir: PathBuf,
    /// The earlier file that hides it in discovery's de-duplication: startup never reads it.
    pub hidden_by: Option<PathBuf>,
    /// The target's verdict on its content (given for a hidden file too, for `validate`).
    pub verdict: Verdict,
    /// The earlier loaded file with the same `name:`: the target refuses to start.
    pub name_taken_by: Option<PathBuf>,
}

impl YamlFile {
    /// The target loads it (found, not hidden, accepted, its name not taken).
    pub fn loaded(&self) -> bool {
        self.hidden_by.is_none() && self.verdict.loads() && self.name_taken_by.is_none()
    }

    pub fn file_name(&self) -> String {
        file_name(&self.path)
    }

    /// The `name:` it declares (empty when the target refuses the file).
    pub fn name(&self) -> &str {
        self.verdict.name.as_deref().unwrap_or("")
    }
}

/// A binary plugin file (`optimus-*_<os>_<arch>`) as the target's startup meets it.
#[derive(Debug, Clone)]
pub struct BinaryFile {
    pub path: PathBuf,
    pub dir: PathBuf,
    /// Its name by convention (Optimus asks the running binary; the file name says it).
    pub name: String,
    pub hidden_by: Option<PathBuf>,
    /// Merged with the loaded yaml plugin of the same name.
    pub merged: bool,
    /// An earlier binary has its name: the target refuses to start.
    pub name_taken: bool,
    /// The startup error it causes, in upstream's words.
    pub error: Option<String>,
}

/// The target's discovery and startup over some directories.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    pub dirs: Vec<PathBuf>,
    /// Every yaml file discovery matches, in discovery order.
    pub yaml: Vec<YamlFile>,
    /// Every binary it matches (none for a target that runs no binaries, or when no platform
    /// was asked for).
    pub binaries: Vec<BinaryFile>,
    /// Upstream's startup errors, verbatim (`plugin name already in use neo`...), in order.
    pub errors: Vec<String>,
}

/// Where Optimus looks, in its order; `exe_dir` is the directory of the optimus executable
/// (see [`super::optimus_cli`]), `location` goto's `plugins.location`.
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

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The target's verdict on the file at `path` (a file it cannot read is refused, as
/// `os.ReadFile` fails its load).
pub fn check_file(path: &Path, rules: &Rules) -> Verdict {
    // A fifo or device under a plugin's name would block the read (Optimus's os.ReadFile
    // blocks on it too, at startup): said, not read.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let problem =
            "not a regular file (a fifo or device): Optimus would block reading it at startup";
        return Verdict {
            refusal: Some(format!("read {}: {problem}", path.display())),
            errors: vec![Problem {
                line: None,
                column: None,
                message: problem.to_string(),
            }],
            ..Verdict::default()
        };
    }
    match std::fs::read(path) {
        Ok(bytes) => yaml::check_bytes(&bytes, &file_name(path), rules.target),
        Err(e) => Verdict {
            refusal: Some(format!("open {}: {e}", path.display())),
            errors: vec![Problem {
                line: None,
                column: None,
                message: format!("cannot read: {e}"),
            }],
            ..Verdict::default()
        },
    }
}

/// Runs the target's discovery and startup over `dirs`: yaml plugins first, then (for a
/// target that runs them, and when `platform` is given) the binaries for `platform`.
pub fn startup(rules: &Rules, dirs: &[PathBuf], platform: Option<&Platform>) -> Startup {
    let mut s = Startup {
        dirs: dirs.to_vec(),
        ..Startup::default()
    };
    let yaml_match = |f: &str| rules.is_yaml_file(f);
    for (path, dir, hidden_by) in pass(dirs, &yaml_match) {
        let verdict = check_file(&path, rules);
        let mut y = YamlFile {
            path,
            dir,
            hidden_by,
            verdict,
            name_taken_by: None,
        };
        if y.hidden_by.is_none() {
            if let Some(r) = &y.verdict.refusal {
                s.errors.push(r.clone());
            } else if let Some(first) = s.yaml.iter().find(|f| f.loaded() && f.name() == y.name()) {
                s.errors
                    .push(format!("{}{}", rules.duplicate_name, y.name()));
                y.name_taken_by = Some(first.path.clone());
            }
        }
        s.yaml.push(y);
    }
    if let (Some(needs_yaml), Some(platform)) = (rules.binary_needs_yaml, platform) {
        startup_binaries(&mut s, rules, needs_yaml, platform);
    }
    s
}

/// raystack: each binary `optimus-<name>_<os>_<arch>` is merged with the loaded yaml plugin
/// of its name; without one, or named twice, the target does not start.
fn startup_binaries(s: &mut Startup, rules: &Rules, needs_yaml: &str, platform: &Platform) {
    let suffix = format!("_{}_{}", platform.os, platform.arch);
    let bin_match = |f: &str| f.starts_with("optimus-") && f.ends_with(&suffix);
    let mut taken: Vec<String> = Vec::new();
    for (path, dir, hidden_by) in pass(&s.dirs, &bin_match) {
        let file = file_name(&path);
        let name = file["optimus-".len()..file.len() - suffix.len()].to_string();
        let mut b = BinaryFile {
            path,
            dir,
            name: name.clone(),
            hidden_by,
            merged: false,
            name_taken: false,
            error: None,
        };
        if b.hidden_by.is_none() {
            if taken.contains(&name) {
                b.name_taken = true;
                b.error = Some(format!(
                    "PluginRegistry.Add: {name}: {}{name}",
                    rules.duplicate_name
                ));
            } else {
                taken.push(name.clone());
                if s.yaml.iter().any(|y| y.loaded() && y.name() == name) {
                    b.merged = true;
                } else {
                    b.error = Some(format!("PluginRegistry.Add: {name}: {needs_yaml}{name}"));
                }
            }
        }
        s.errors.extend(b.error.clone());
        s.binaries.push(b);
    }
}

/// One file in `list`'s view of what the target would load.
#[derive(Debug, Serialize, Clone)]
pub struct Discovered {
    /// The plugin name: a yaml plugin's `name:`, a binary's from its file name.
    pub name: String,
    pub kind: ArtifactKind,
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

/// `list`'s view of the target's [`startup`] over `dirs`: every file, whether it is used and
/// why not; `managed_paths` are the files this tool installed.
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
    let s = startup(rules, dirs, Some(platform));
    let mut found: Vec<Discovered> = Vec::new();
    for y in &s.yaml {
        let file = y.file_name();
        let (name, note) = match (&y.hidden_by, &y.verdict.refusal, &y.name_taken_by) {
            (Some(h), _, _) => (file.clone(), Some(hidden_note(&file, h))),
            (None, Some(r), _) => (
                y.name().to_string(),
                Some(format!("refused, so Optimus does not start: {r}")),
            ),
            (None, None, Some(first)) => (
                y.name().to_string(),
                Some(format!(
                    "`name: {}` is taken by {}: Optimus does not start",
                    y.name(),
                    first.display()
                )),
            ),
            (None, None, None) => (y.name().to_string(), None),
        };
        found.push(Discovered {
            name,
            kind: ArtifactKind::Yaml,
            managed: managed(&y.path),
            path: y.path.clone(),
            dir: y.dir.clone(),
            used: y.loaded(),
            shadowed_by: y.hidden_by.clone(),
            note,
            versions: y.verdict.versions.clone(),
        });
    }
    for b in &s.binaries {
        let note = match (&b.hidden_by, &b.error) {
            (Some(h), _) => format!(
                "{}; the plugin then runs without its binary",
                hidden_note(&file_name(&b.path), h)
            ),
            (None, Some(e)) if b.name_taken => format!("Optimus does not start: {e}"),
            (None, Some(e)) => format!(
                "no yaml plugin named `{}`: Optimus does not start: {e}",
                b.name
            ),
            (None, None) => format!("merged with the yaml plugin `{}`", b.name),
        };
        found.push(Discovered {
            name: b.name.clone(),
            kind: ArtifactKind::Binary,
            managed: managed(&b.path),
            path: b.path.clone(),
            dir: b.dir.clone(),
            used: b.merged,
            shadowed_by: b.hidden_by.clone(),
            note: Some(note),
            versions: Vec::new(),
        });
    }
    Discovery {
        dirs: s.dirs,
        discovered: found,
        startup_errors: s.errors,
    }
}

fn hidden_note(file: &str, by: &Path) -> String {
    let key = file.split('_').next().unwrap_or(file);
    if file_name(by) == file {
        format!("hidden by {} (first found wins)", by.display())
    } else {
        format!(
            "hidden by {}: Optimus drops a file when an earlier path contains its name up to the first `_` ({key:?})",
            by.display()
        )
    }
}

/// Entries directly in `dir` that discovery passes over although they look meant as yaml
/// plugins: `.yaml`/`.yml` files not named by the target's pattern, and subdirectories
/// holding files that are (discovery does not recurse). For `validate`'s advice.
pub fn passed_over(rules: &Rules, dir: &Path) -> Vec<(PathBuf, PassedOver)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        let n = file_name(&p);
        if p.is_file() && !rules.is_yaml_file(&n) && (n.ends_with(".yaml") || n.ends_with(".yml")) {
            out.push((p, PassedOver::Named));
        } else if p.is_dir()
            && std::fs::read_dir(&p).is_ok_and(|rd| {
                rd.flatten()
                    .any(|e| rules.is_yaml_file(&e.file_name().to_string_lossy()))
            })
        {
            out.push((p, PassedOver::Subdirectory));
        }
    }
    out.sort();
    out
}

/// Why discovery passes over an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PassedOver {
    /// A yaml file whose name the target's pattern does not match.
    Named,
    /// A directory holding yaml plugins: discovery does not recurse.
    Subdirectory,
}

//! Reading the config file named by `-c` (default `optimus.yaml`), and what to say when that is
//! not a config file: a directory (pass the file inside it), a name with a typo (the file it
//! probably meant), or the default name run from the wrong directory (where one is).

use crate::error::{Error, Result};
use crate::model::names::closest;
use std::path::{Path, PathBuf};

/// The config's text; a usage error (exit 2) that says what to pass when `path` is no file.
pub fn read_config(path: &Path) -> Result<String> {
    if path.is_dir() {
        return Err(Error::usage(
            format!("-c {}", path.display()),
            format!(
                "that is a directory; -c takes the config file itself: {}",
                inside(path)
            ),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::ConfigMissing {
            file: path.to_path_buf(),
            hint: not_found_hint(path),
        },
        _ => Error::path("reading", path, e),
    })
}

/// Yaml files in `dir` (names only, sorted).
fn yaml_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .filter(|n| !n.starts_with("optimus-plugin-"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What to pass for a directory given as `-c`.
fn inside(dir: &Path) -> String {
    let default = dir.join(super::DEFAULT_CONFIG);
    if default.is_file() {
        return format!("pass -c {}", default.display());
    }
    match yaml_files(dir).as_slice() {
        [] => format!(
            "it holds no yaml file; pass -c DIR/{} (a file with a `plugins:` section)",
            super::DEFAULT_CONFIG
        ),
        files => format!(
            "pass one of {}",
            files
                .iter()
                .map(|f| format!("-c {}", dir.join(f).display()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// For a config that does not exist: a near name beside it, else (for the default name) the
/// nearest `optimus.yaml` above the working directory or in a directory below it.
fn not_found_hint(path: &Path) -> String {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let near = yaml_files(&dir);
    if let Some(n) = closest(&name, near.iter().map(String::as_str)) {
        let shown = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join(n),
            _ => PathBuf::from(n),
        };
        return format!("; did you mean -c {}?", shown.display());
    }
    let fix = "pass -c FILE, or create optimus.yaml with a `plugins:` section";
    if path != Path::new(super::DEFAULT_CONFIG) {
        return format!(" ({fix})");
    }
    match elsewhere() {
        Some(found) => format!(
            "; there is one at {}: run the command there, or pass -c {}",
            found.display(),
            found.display()
        ),
        None => format!(
            " in {} ({fix})",
            std::env::current_dir().unwrap_or_default().display()
        ),
    }
}

/// `optimus.yaml` in a parent of the working directory, else in one of its subdirectories.
fn elsewhere() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut up = PathBuf::from("..");
    for dir in cwd.ancestors().skip(1) {
        if dir.join(super::DEFAULT_CONFIG).is_file() {
            return Some(up.join(super::DEFAULT_CONFIG));
        }
        up = up.join("..");
    }
    let mut below: Vec<PathBuf> = std::fs::read_dir(&cwd)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| PathBuf::from(e.file_name()).join(super::DEFAULT_CONFIG))
        .filter(|p| p.is_file())
        .collect();
    below.sort();
    below.into_iter().next()
}

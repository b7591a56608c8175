//! What optimus may destroy: the one rule every command that replaces or empties a directory
//! goes through ([`guard_replace`]), and the one rule for the files a commit may touch inside
//! a plugin directory ([`plugin_dir_entry`]).
//!
//! A directory is replaced (`mirror --output`) or emptied (`cache clean`, `cache prune`) only
//! when it does not exist, is empty, carries the marker file optimus wrote when it made it
//! ([`Marker`]), or has exactly the layout an older optimus (which wrote no marker) left; and
//! never when it is `/`, the home directory, the config's directory, the working directory or
//! an ancestor of any of them. Anything else is refused (exit 2) before the first write, with
//! a message that names the directory and what to do.

use crate::error::{Error, Result};
use crate::model::digest::is_sha256_hex;
use crate::model::fsutil;
use crate::model::names::{binary_plugin_name, is_valid_plugin_name, yaml_plugin_name};
use crate::model::platform::Platform;
use std::fs;
use std::path::{Path, PathBuf};

/// The kinds of directory optimus makes and may later replace or empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// The machine cache (`OPTIMUS_CACHE_DIR`): emptied by `cache clean` / `cache prune`.
    Cache,
    /// A `mirror --output` directory: replaced whole by the next `mirror` into it.
    Mirror,
}

impl Marker {
    /// The marker's file name inside the directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Marker::Cache => ".optimus-cache",
            Marker::Mirror => ".optimus-mirror",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Marker::Cache => "cache",
            Marker::Mirror => "mirror",
        }
    }

    /// Writes the marker into `dir` (which optimus made, or recognised as its own).
    pub fn write(self, dir: &Path) -> Result<()> {
        let text = match self {
            Marker::Cache => "Written by optimus-plugins: this directory is its machine cache, and `optimus-plugins cache clean` / `cache prune` may delete what is in it.\n",
            Marker::Mirror => "Written by optimus-plugins `mirror`: the next `optimus-plugins mirror --output` into this directory replaces it whole. Delete this file to keep that from happening.\n",
        };
        fsutil::write_atomic(&dir.join(self.file_name()), text.as_bytes())
    }

    /// Whether `dir` (a directory, not a symlink) has exactly the layout this kind had before
    /// markers existed. A cache's layout (sha256-named files) is its own; a mirror's is not:
    /// it is one registry root per provider, and a folder of real registries can hold exactly
    /// that. So a mirror made before the marker is not recognised: the refusal says how to
    /// mark or delete it.
    fn legacy_layout(self, dir: &Path) -> bool {
        match self {
            Marker::Cache => legacy_cache(dir),
            Marker::Mirror => false,
        }
    }
}

/// What [`guard_replace`] found at the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Absent,
    Empty,
    /// It carries the marker.
    Marked,
    /// An older optimus made it (no marker, its known layout): the caller writes the marker.
    Legacy,
}

/// The directories nothing may ever replace or empty, beyond those without our marker.
#[derive(Clone, Debug, Default)]
pub struct Protected {
    /// The config file's directory (`-c`), when a config is involved.
    pub config_dir: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
}

/// The one rule: may `dir` be replaced or emptied as a directory of kind `marker`? `what`
/// names where the path came from (`--output`, `OPTIMUS_CACHE_DIR`) in the messages. A
/// symlinked mirror directory is refused (replacing it would replace the link); a cache root
/// may be a symlink (its target is judged: only entries inside it are removed). Reads only:
/// nothing is written here.
pub fn guard_replace(
    dir: &Path,
    marker: Marker,
    protected: &Protected,
    what: &str,
) -> Result<Found> {
    let abs = fsutil::absolute(dir);
    let shown = format!("{what} {}", abs.display());
    // The flag (or setting) as it names the directory, and why it is refused.
    let refuse = |why: String| Error::usage(&shown, format!("{why}; nothing was changed"));
    if abs.parent().is_none() {
        return Err(refuse(format!(
            "that is the root directory, which optimus never {}; {}",
            verb(marker),
            fix(marker)
        )));
    }
    let meta = match fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Absent),
        Err(e) => return Err(Error::path("reading", &abs, e)),
    };
    if meta.file_type().is_symlink() && marker == Marker::Mirror {
        let to = fs::read_link(&abs).unwrap_or_default();
        return Err(refuse(format!(
            "it is a symbolic link (to {}), and replacing it would replace the link; {}",
            to.display(),
            fix(marker)
        )));
    }
    let real = fs::canonicalize(&abs).map_err(|e| Error::path("reading", &abs, e))?;
    if !real.is_dir() {
        return Err(refuse(format!(
            "it is a file, not a directory; {}",
            fix(marker)
        )));
    }
    if let Some(why) = protected_reason(&real, protected) {
        return Err(refuse(format!(
            "it is {why}, which optimus never {}; {}",
            verb(marker),
            fix(marker)
        )));
    }
    let entries: Vec<String> = fs::read_dir(&real)
        .map_err(|e| Error::path("reading", &real, e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(Found::Empty);
    }
    let mark = real.join(marker.file_name());
    if fs::symlink_metadata(&mark).is_ok_and(|m| m.is_file()) {
        return Ok(Found::Marked);
    }
    if marker.legacy_layout(&real) {
        return Ok(Found::Legacy);
    }
    let mut sample: Vec<&str> = entries.iter().map(String::as_str).collect();
    sample.sort();
    let more = if sample.len() > 3 {
        format!(" and {} more", sample.len() - 3)
    } else {
        String::new()
    };
    Err(refuse(format!(
        "it holds {}{more}, and no {} file: it is not an optimus {} (optimus only {} a {} it made); {}",
        sample
            .iter()
            .take(3)
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        marker.file_name(),
        marker.what(),
        verb(marker),
        marker.what(),
        fix(marker)
    )))
}

fn verb(marker: Marker) -> &'static str {
    match marker {
        Marker::Cache => "empties",
        Marker::Mirror => "replaces",
    }
}

fn fix(marker: Marker) -> &'static str {
    match marker {
        Marker::Cache => {
            "point OPTIMUS_CACHE_DIR at the optimus cache, or at a new or empty directory"
        }
        Marker::Mirror => {
            "pass a new or empty directory (or one an earlier `mirror` wrote) to --output; a mirror made by an optimus-plugins from before the marker: check it holds nothing else, then delete it (or create the marker file in it) and run again"
        }
    }
}

/// Why `real` (canonical) is off limits, if it is: `/`, the home directory, the config's or
/// the working directory, or an ancestor of one of them.
fn protected_reason(real: &Path, p: &Protected) -> Option<String> {
    if real.parent().is_none() {
        return Some("the root directory".into());
    }
    let cwd = std::env::current_dir().ok();
    let named = [
        (p.home.as_deref(), "your home directory"),
        (p.config_dir.as_deref(), "the directory of the config"),
        (cwd.as_deref(), "the working directory"),
    ];
    for (dir, name) in named {
        let Some(dir) = dir else { continue };
        let dir = fs::canonicalize(dir).unwrap_or_else(|_| fsutil::absolute(dir));
        if dir == real {
            return Some(name.to_string());
        }
        if dir.starts_with(real) {
            return Some(format!("an ancestor of {name} ({})", dir.display()));
        }
    }
    None
}

/// The names a directory holds, with their metadata (not following links); `None` if it
/// cannot be read.
fn children(dir: &Path) -> Option<Vec<(String, fs::Metadata)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        let meta = fs::symlink_metadata(e.path()).ok()?;
        out.push((e.file_name().to_string_lossy().into_owned(), meta));
    }
    Some(out)
}

fn hexish(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Only regular files whose names pass `ok`.
fn flat(dir: &Path, ok: impl Fn(&str) -> bool) -> bool {
    children(dir).is_some_and(|c| c.iter().all(|(n, m)| m.is_file() && ok(n)))
}

/// `sha256/<hh>/<64 hex>` and nothing else (artifacts, files).
fn sharded(dir: &Path) -> bool {
    let Some(top) = children(dir) else {
        return false;
    };
    top.iter().all(|(n, m)| {
        n == "sha256"
            && m.is_dir()
            && children(&dir.join(n)).is_some_and(|shards| {
                shards.iter().all(|(s, sm)| {
                    s.len() == 2
                        && hexish(s)
                        && sm.is_dir()
                        && flat(&dir.join(n).join(s), |f| {
                            is_sha256_hex(f) && f.starts_with(s)
                        })
                })
            })
    })
}

/// The cache as every version before the marker wrote it (`store::cache`).
fn legacy_cache(dir: &Path) -> bool {
    let Some(top) = children(dir) else {
        return false;
    };
    top.iter().all(|(n, m)| {
        let d = dir.join(n);
        match n.as_str() {
            ".lock" => m.is_file(),
            "artifacts" | "files" => m.is_dir() && sharded(&d),
            "unpacked" | "index" | "projects" | "timestamps" => m.is_dir() && flat(&d, hexish),
            "memo" => {
                m.is_dir()
                    && children(&d).is_some_and(|kinds| {
                        kinds
                            .iter()
                            .all(|(k, km)| km.is_dir() && flat(&d.join(k), hexish))
                    })
            }
            "tmp" => {
                m.is_dir()
                    && flat(&d, |f| {
                        ["dl-", "doc-", "file-"].iter().any(|p| f.starts_with(p))
                    })
            }
            _ => false,
        }
    })
}

/// The one rule for files a commit (install, `remove`, `sync --host`) may rename into place or
/// delete inside a plugin directory: a plain name that is an installed plugin file by the
/// naming convention (`optimus-<name>_<os>_<arch>[.exe]`, `optimus-plugin-<name>.yaml`),
/// never a path, a dot file or a project file that happens to share the directory.
pub fn plugin_dir_entry(name: &str) -> bool {
    if name.contains(['/', '\\', '\0']) {
        return false;
    }
    if let Some(plugin) = yaml_plugin_name(name) {
        return name.ends_with(".yaml") && is_valid_plugin_name(plugin);
    }
    let Some(rest) = name.strip_prefix("optimus-") else {
        return false;
    };
    let rest = rest.strip_suffix(".exe").unwrap_or(rest);
    let mut parts = rest.rsplitn(3, '_');
    let (Some(arch), Some(os), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    Platform::parse(&format!("{os}_{arch}"))
        .ok()
        .and_then(|p| binary_plugin_name(name, &p).map(is_valid_plugin_name))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_dir_entries_are_conventional_plugin_files_only() {
        for ok in [
            "optimus-bq2bq_linux_amd64",
            "optimus-my_task_darwin_arm64",
            "optimus-neo_windows_amd64.exe",
            "optimus-plugin-neo.yaml",
        ] {
            assert!(plugin_dir_entry(ok), "{ok}");
        }
        for bad in [
            "main.go",
            "optimus.yaml",
            "optimus.lock",
            ".receipts.toml",
            "../optimus-a_linux_amd64",
            "optimus-a_linux_amd64/x",
            "optimus-plugin-neo.yml",
            "optimus-plugin-../x.yaml",
            "optimus-A_linux_amd64",
            "optimus-a_plan9_amd64",
            "optimus-a",
        ] {
            assert!(!plugin_dir_entry(bad), "{bad}");
        }
    }

    #[test]
    fn legacy_layouts_are_told_from_someones_files() {
        let d = tempfile::tempdir().unwrap();
        let hex = "ab".repeat(32);
        let cache = d.path().join("cache");
        fs::create_dir_all(cache.join("artifacts/sha256/ab")).unwrap();
        fs::write(cache.join(format!("artifacts/sha256/ab/{hex}")), "x").unwrap();
        fs::create_dir_all(cache.join("tmp")).unwrap();
        fs::write(cache.join("tmp/dl-1-2-3"), "x").unwrap();
        fs::write(cache.join(".lock"), "").unwrap();
        assert!(legacy_cache(&cache));
        fs::create_dir_all(cache.join("files")).unwrap();
        fs::write(cache.join("files/report.pdf"), "thesis").unwrap();
        assert!(!legacy_cache(&cache));
    }
}

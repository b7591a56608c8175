//! Small file-system helpers: atomic writes, unique temp names, path normalisation.

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A name unique to this process and call: `<prefix><pid>-<counter>-<nanos>`.
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The prefix of every staging file this program writes beside a destination.
pub const STAGING_PREFIX: &str = ".optimus-tmp-";

pub fn staging_path(dir: &Path) -> PathBuf {
    dir.join(unique_name(STAGING_PREFIX))
}

/// Writes `data` to `path` atomically: a staging file beside it, fsync, rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic_mode(path, data, 0o644)
}

/// [`write_atomic`] with the file's Unix mode set when the staging file is created (so a
/// private file is never readable by others, even for a moment, and an existing file's mode
/// does not carry over).
pub fn write_atomic_mode(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::path("creating directory", dir, e))?;
    let tmp = staging_path(dir);
    let res = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = opts.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(Error::path("writing", path, e));
    }
    Ok(())
}

pub fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::path("reading", path, e))
}

/// `path` relative to `base` (with `/` separators) when it lies inside `base` or inside
/// `base`'s parent (a sibling directory of the project, written `../x`); else absolute.
/// The file's text, or `None` when there is no file.
pub fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::path("reading", path, e)),
    }
}

pub fn relative_to(path: &Path, base: &Path) -> String {
    let p = normalize(path);
    let b = normalize(base);
    let join = |rel: &Path| {
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    if let Ok(rel) = p.strip_prefix(&b) {
        return join(rel);
    }
    if let Some(parent) = b.parent().filter(|pp| pp.components().count() > 1) {
        if let Ok(rel) = p.strip_prefix(parent) {
            return format!("../{}", join(rel));
        }
    }
    p.to_string_lossy().into_owned()
}

/// Lexically removes `.` and `..` (no symlink resolution).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(path))
    }
}

/// Checks that an in-archive path is relative and stays inside (no `..`, no absolute, no `\`).
pub fn is_safe_relative_path(p: &str) -> bool {
    let absolute = p.starts_with('/') || (p.len() > 1 && p.as_bytes()[1] == b':');
    let odd = p.contains('\\') || p.contains('\0');
    !(p.is_empty() || absolute || odd || p.split('/').any(|c| c == ".."))
}

/// A path as the user would type it: relative to the working directory when inside it. A
/// path holding a `${VAR}` value (`dir: ${PD}`) is shown whole, so the secret scrubber hides
/// that value wherever the path is printed (text and `--json` alike): a relative form could
/// show a part of it the scrubber does not recognise.
pub fn shown(path: &Path) -> String {
    let full = path.display().to_string();
    if crate::model::redact::scrub(&full) != full {
        return full;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    match path.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// Installed plugin files are read-only: an accidental edit (`echo >>`, an editor) fails
/// instead of changing a file that may be hard-linked into other projects and the cache.
/// Binaries are 0555, yaml plugins 0444; `verify` reports another mode, and `install` puts the
/// file back. The one place these modes are decided.
pub fn installed_mode(binary: bool) -> u32 {
    if binary {
        0o555
    } else {
        0o444
    }
}

/// Gives an installed (or staged, or cached) plugin file its [`installed_mode`].
pub fn set_installed_mode(path: &Path, binary: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(installed_mode(binary)))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, binary);
        Ok(())
    }
}

/// The permission bits of a plugin file when they are not its [`installed_mode`] (`None`
/// when they are, and always on systems without Unix modes).
pub fn wrong_installed_mode(meta: &fs::Metadata, binary: bool) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        (mode != installed_mode(binary)).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = (meta, binary);
        None
    }
}

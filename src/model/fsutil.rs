//! Small file-system helpers: atomic writes, unique temp names, path normalisation.

use crate::error::{Error, Result};
use crate::model::interrupt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A name unique to this process and call: `<prefix><pid>-<random>`. The random part comes
/// from std's `RandomState` (random keys per thread, a new pair per call) mixed with the
/// time, so no counter is shared between threads; a clash is still refused where the name is
/// created (`create_new`).
pub fn unique_name(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    format!("{prefix}{}-{:016x}", std::process::id(), h.finish())
}

/// The prefix of every staging file this program writes beside a destination.
pub const STAGING_PREFIX: &str = ".optimus-tmp-";

/// The prefixes of this program's temp names (staging files; the cache's `tmp/` entries).
const TEMP_PREFIXES: [&str; 4] = [STAGING_PREFIX, "dl-", "doc-", "file-"];

/// A new temp path `<dir>/<prefix><pid>-<random>`, registered so that an interrupt removes
/// it ([`interrupt::reserve`]); create it, then keep the reservation's path.
pub fn reserve_temp(dir: &Path, prefix: &str) -> std::io::Result<interrupt::Reserved> {
    interrupt::reserve(dir.join(unique_name(prefix)))
}

/// Creates a new temp file in `dir` (exclusively: never an existing name, never through a
/// link), with `mode` on Unix.
pub fn create_temp_file(
    dir: &Path,
    prefix: &str,
    mode: u32,
) -> std::io::Result<(PathBuf, fs::File)> {
    let r = reserve_temp(dir, prefix)?;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let f = opts.open(r.path())?;
    Ok((r.keep(), f))
}

/// Whether the process that made the temp file `name` (`<prefix><pid>-...`) is gone: `None`
/// when the name holds no pid or this system cannot tell (no `/proc`).
pub fn temp_owner_gone(name: &str) -> Option<bool> {
    let rest = TEMP_PREFIXES.iter().find_map(|p| name.strip_prefix(p))?;
    let pid: u32 = rest.split('-').next()?.parse().ok()?;
    if pid == std::process::id() {
        return Some(false);
    }
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| !proc.join(pid.to_string()).exists())
}

/// Checks that new files can be made in `dir` (a temp file created and removed), so a change
/// fails before its first step rather than half-way.
pub fn probe_writable(dir: &Path) -> Result<()> {
    match create_temp_file(dir, STAGING_PREFIX, 0o600) {
        Ok((p, f)) => {
            drop(f);
            let _ = fs::remove_file(p);
            Ok(())
        }
        Err(e) => Err(write_error("cannot create files in", dir, e)),
    }
}

/// An error writing at `path`, with what to do when it is the file system that refuses (no
/// permission, read-only or immutable, full).
pub fn write_error(verb: &str, path: &Path, e: std::io::Error) -> Error {
    write_error_fix(verb, path, e, None)
}

/// [`write_error`] with the way out the caller knows best for a directory this user cannot
/// write (another cache, another plugin dir) in place of the general one. The one place a
/// refused write is explained: which directory, who owns it, and what to do.
pub fn write_error_fix(verb: &str, path: &Path, e: std::io::Error, fix: Option<&str>) -> Error {
    use std::io::ErrorKind as K;
    use std::os::unix::fs::MetadataExt;
    let dir = if path.is_dir() {
        path
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    let d = shown(dir);
    let fix = fix.map(str::to_string).unwrap_or_else(|| {
        format!("make it writable (`chmod u+w {d}`), or use a directory you can write")
    });
    let hint = match (e.kind(), e.raw_os_error()) {
        // EPERM: an immutable (or append-only) directory refuses even root.
        (_, Some(1)) => format!(
            "{d} is immutable (`lsattr -d {d}` shows an `i`; `chattr -i {d}` clears it) or otherwise refuses writes: {fix}"
        ),
        (K::ReadOnlyFilesystem, _) => format!(
            "{d} is on a read-only file system (remount it read-write): {fix}"
        ),
        (K::PermissionDenied, _) => {
            let owner = fs::metadata(dir)
                .map(|m| format!(" (owned by uid {}, mode {:o})", m.uid(), m.mode() & 0o7777))
                .unwrap_or_default();
            format!("this user cannot write in {d}{owner}: {fix}")
        }
        (K::StorageFull | K::QuotaExceeded, _) => format!(
            "the file system holding {d} is full: free space there (`df -h {d}` shows how much is left) and run it again"
        ),
        _ => return Error::path(verb, path, e),
    };
    Error::Write {
        verb: verb.to_string(),
        path: shown(path),
        hint,
        source: e,
    }
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
    fs::create_dir_all(dir).map_err(|e| write_error("creating directory", dir, e))?;
    let (tmp, mut f) =
        create_temp_file(dir, STAGING_PREFIX, mode).map_err(|e| write_error("writing", path, e))?;
    let res = (|| {
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(write_error("writing", path, e));
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

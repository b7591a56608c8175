//! Advisory locks: `<dir>/.lock` for a plugin directory, the project (the config's own
//! directory) for commands that write `optimus.lock`, a directory registry's `index/` for
//! publishers, and `<cache>/.lock` for the machine cache (shared by commands that use cache
//! entries, exclusive for `cache prune` and `cache clean`).

use crate::error::{Error, Result};
use crate::model::fsutil::write_error_fix;
use crate::model::report::Reporter;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Holds `<dir>/.lock` (an OS advisory lock, released on drop or process death).
///
/// Taken once per command, by the function that starts its change to the directory; the
/// functions that need the directory held take a `&DirLock` as proof (not re-entrant: taking
/// it again in the same process would wait on itself).
pub struct DirLock {
    dir: PathBuf,
    _file: File,
}

impl DirLock {
    /// The directory this lock holds, as it was given to [`lock_dir`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this is the lock of `dir` (for the `debug_assert!` of a function that takes it
    /// as proof).
    pub fn holds(&self, dir: &Path) -> bool {
        let canonical = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        self.dir == dir || canonical(&self.dir) == canonical(dir)
    }
}

/// Takes an exclusive advisory lock on `file` (at `path`), saying so when another process
/// holds it and we wait for `what`.
fn lock_waiting(file: &File, path: &Path, what: &Path, reporter: &dyn Reporter) -> Result<()> {
    lock_waiting_as(file, path, &what.display().to_string(), false, reporter)
}

fn lock_waiting_as(
    file: &File,
    path: &Path,
    what: &str,
    shared: bool,
    reporter: &dyn Reporter,
) -> Result<()> {
    let tried = if shared {
        file.try_lock_shared()
    } else {
        file.try_lock()
    };
    match tried {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => {
            reporter.note(&format!(
                "waiting for another optimus-plugins process to finish with {what}"
            ));
            if shared {
                file.lock_shared()
            } else {
                file.lock()
            }
            .map_err(|e| Error::path("locking", path, e))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::path("locking", path, e)),
    }
}

/// A hold on the machine cache (`<cache>/.lock`), released on drop or process death.
pub struct CacheLock {
    _file: File,
}

/// Opens (creating) a lock file without truncating it. `fix`: what to do when the directory
/// is not writable by this user.
fn open_lock_file(path: &Path, fix: &str) -> Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| write_error_fix("opening", path, e, Some(fix)))
}

const PLUGIN_DIR_FIX: &str = "run optimus-plugins as the user who installed there, make the directory writable (chmod u+w, chown), or install elsewhere (`dir:` in the config, or OPTIMUS_PLUGIN_DIR)";
const CACHE_FIX: &str =
    "make it writable, or point OPTIMUS_CACHE_DIR at a directory this user can write";

/// Holds the cache: shared (`exclusive == false`) by commands that use its entries, so any
/// number run at once; exclusive for `cache prune` and `cache clean`, which wait (saying so)
/// until no command uses it, and make the others wait until they are done.
pub fn lock_cache(root: &Path, exclusive: bool, reporter: &dyn Reporter) -> Result<CacheLock> {
    // A cache this run starts gets the marker that lets `cache clean`/`prune` empty it later.
    let fresh = match fs::read_dir(root) {
        Ok(mut d) => d.next().is_none(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    };
    fs::create_dir_all(root)
        .map_err(|e| write_error_fix("creating cache directory", root, e, Some(CACHE_FIX)))?;
    if fresh {
        let _ = super::guard::Marker::Cache.write(root);
    }
    let path = root.join(".lock");
    let file = open_lock_file(&path, CACHE_FIX)?;
    let what = if exclusive {
        format!(
            "the cache {} (an install or lock in progress)",
            root.display()
        )
    } else {
        format!(
            "the cache {} (a cache prune or clean in progress)",
            root.display()
        )
    };
    lock_waiting_as(&file, &path, &what, !exclusive, reporter)?;
    Ok(CacheLock { _file: file })
}

/// Takes the lock of plugin directory `dir` (creating it), waiting (and saying so) while
/// another process holds it.
pub fn lock_dir(dir: &Path, reporter: &dyn Reporter) -> Result<DirLock> {
    fs::create_dir_all(dir)
        .map_err(|e| write_error_fix("creating plugin directory", dir, e, Some(PLUGIN_DIR_FIX)))?;
    let path = dir.join(".lock");
    let file = open_lock_file(&path, PLUGIN_DIR_FIX)?;
    lock_waiting(&file, &path, dir, reporter)?;
    Ok(DirLock {
        dir: dir.to_path_buf(),
        _file: file,
    })
}

/// An advisory lock on a directory itself (on its descriptor, so no file is left behind),
/// released on drop or process death.
pub struct InPlaceLock {
    _dir: File,
}

/// Locks directory `dir` itself, waiting (and saying so) while another process holds it: the
/// project ([`lock_project`]), and a directory registry's `index/` while a publisher writes it.
pub fn lock_in_place(dir: &Path, reporter: &dyn Reporter) -> Result<InPlaceLock> {
    let file = File::open(dir).map_err(|e| Error::path("opening", dir, e))?;
    lock_waiting(&file, dir, dir, reporter)?;
    Ok(InPlaceLock { _dir: file })
}

/// The project lock (the config file's directory itself): held by every command that writes
/// `optimus.lock`, always before the plugin directory's lock, so `lock` and `install` never
/// lose each other's update.
pub type ProjectLock = InPlaceLock;

pub fn lock_project(dir: &Path, reporter: &dyn Reporter) -> Result<ProjectLock> {
    lock_in_place(dir, reporter)
}

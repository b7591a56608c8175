//! Which config owns a plugin directory: `<dir>/.owner` holds the path of the config that first
//! installed there, relative to the directory (so a project moved as a whole keeps it). A
//! second config installing into, or removing from, the same directory is refused with both
//! named: each would otherwise delete the other's plugins as "no longer declared".
//!
//! Both ends are real paths (symlinks resolved): a project that reaches the directory through
//! a symlink records, and is compared, by the real paths, so another project naming the real
//! directory is seen as another owner. The config is known by its real directory and its own
//! file name: the file itself may be a symlink that moves (a Kubernetes ConfigMap mounts each
//! key as `optimus.yaml -> ..data/optimus.yaml`, and `..data` points to a new folder on every
//! change), and it is still the same config.

use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::model::fsutil;
use crate::store::lock::DirLock;
use std::path::{Path, PathBuf};

pub const FILE: &str = crate::config::OWNER_FILE;

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => fsutil::normalize(a) == fsutil::normalize(b),
    }
}

/// A path with its symlinks resolved (lexically normalised when it does not exist yet).
fn canonical(p: &Path) -> PathBuf {
    fsutil::absolute(p)
        .canonicalize()
        .unwrap_or_else(|_| fsutil::absolute(p))
}

/// A config's identity: its directory with symlinks resolved, and its own file name.
fn config_identity(p: &Path) -> PathBuf {
    let abs = fsutil::absolute(p);
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => canonical(dir).join(name),
        _ => canonical(&abs),
    }
}

/// Refuses `manifest` if another config owns its plugin directory; with `take`, records it as
/// the owner of a directory nobody owns yet. `held`: the lock of that directory.
pub fn claim(held: &DirLock, manifest: &Manifest, take: bool) -> Result<()> {
    let dir = &manifest.plugin_dir;
    debug_assert!(held.holds(dir), "the lock of another directory");
    let file = dir.join(FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let recorded = text.trim();
            // Relative to the real directory: `..` in it leaves the real path, not the link.
            let owner: PathBuf = fsutil::normalize(&canonical(dir).join(recorded));
            if recorded.is_empty()
                || owner == config_identity(&manifest.path)
                || same_file(&owner, &manifest.path)
            {
                return Ok(());
            }
            if !owner.exists() {
                // The owning config is gone (renamed, deleted): the directory is handed over.
                return if take {
                    record(manifest, &file)
                } else {
                    Ok(())
                };
            }
            Err(Error::NotOurs { path: fsutil::shown(dir).into(), problem: format!(
                "it is the plugin directory of {}, not of {}: two configs sharing one plugin directory would remove each other's plugins; give this config its own `dir`, or delete {} to hand the directory over",
                fsutil::shown(&owner),
                fsutil::shown(&manifest.path),
                fsutil::shown(&file)
            )})
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && take => record(manifest, &file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::path("reading", &file, e)),
    }
}

fn record(manifest: &Manifest, file: &Path) -> Result<()> {
    std::fs::create_dir_all(&manifest.plugin_dir)
        .map_err(|e| Error::path("creating", &manifest.plugin_dir, e))?;
    let rel = fsutil::relative_to(
        &config_identity(&manifest.path),
        &canonical(&manifest.plugin_dir),
    );
    fsutil::write_atomic(file, format!("{rel}\n").as_bytes())
}

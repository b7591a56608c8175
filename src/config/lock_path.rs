//! Which lock belongs to a config: `optimus.yaml` keeps `optimus.lock`; any other config
//! `NAME.yaml` (or `NAME.yml`) gets `NAME.lock` beside it. So two configs in one directory (an
//! Optimus client's `optimus.yaml` and a server's `server.yaml`, say) each have their own lock
//! and never drop each other's plugins from it.
//!
//! Before this rule every config wrote `optimus.lock`. A config other than `optimus.yaml` that
//! has no lock of its own yet reads that old shared lock when it was surely its own: when no
//! `optimus.yaml` sits beside it (nobody else claims `optimus.lock`), or when its plugin
//! directory records it as the owner (it installed with the shared lock before). Only the
//! entries it declares are taken from it; its own `NAME.lock` is written from then on, and the
//! shared `optimus.lock` is never written or removed for it.

use super::Manifest;
use std::path::{Path, PathBuf};

/// The lock of `optimus.yaml`, once shared by every config in its directory.
pub const SHARED_LOCK: &str = "optimus.lock";

/// The file in a plugin directory that names the config owning it (see `install::owner`).
pub const OWNER_FILE: &str = ".owner";

/// The file name of the lock of the config `config`: its name with `.yaml` / `.yml` (or any
/// other extension) replaced by `.lock`.
pub fn lock_file_name(config: &Path) -> String {
    let name = config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .map(str::to_string)
        .or_else(|| config.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "optimus".to_string());
    let lock = format!("{stem}.lock");
    // A config that is itself called `x.lock` must not be overwritten by its lock.
    if lock == name {
        format!("{name}.lock")
    } else {
        lock
    }
}

/// Where a config's lock is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockSource {
    pub path: PathBuf,
    /// `path` is the old shared `optimus.lock` of a config that has no lock of its own yet:
    /// only the entries it declares are its own, and its lock is written to
    /// [`Manifest::lock_path`].
    pub shared: bool,
}

impl Manifest {
    /// Where this config's lock is written (and read): `optimus.lock` for `optimus.yaml`,
    /// `NAME.lock` for any other `NAME.yaml`, beside the config. Every command that derives
    /// the path of a lock goes through here (or [`Manifest::lock_source`] to read it).
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(lock_file_name(&self.path))
    }

    /// Where this config's lock is read from: [`Manifest::lock_path`], or, while that does not
    /// exist, the old shared `optimus.lock` when it was this config's (see the module docs).
    pub fn lock_source(&self) -> LockSource {
        let own = self.lock_path();
        let shared = self.dir.join(SHARED_LOCK);
        let own_source = LockSource {
            path: own.clone(),
            shared: false,
        };
        if own == shared || own.exists() || !shared.is_file() {
            return own_source;
        }
        let claimed = ["optimus.yaml", "optimus.yml"]
            .iter()
            .any(|n| self.dir.join(n).is_file());
        if claimed && !self.owns_plugin_dir() {
            return own_source;
        }
        LockSource {
            path: shared,
            shared: true,
        }
    }

    /// Whether this config's plugin directory records this config as its owner.
    fn owns_plugin_dir(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(self.plugin_dir.join(OWNER_FILE)) else {
            return false;
        };
        let recorded = text.trim();
        if recorded.is_empty() {
            return false;
        }
        let owner = self.plugin_dir.join(recorded);
        match (owner.canonicalize(), self.path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_config_names_its_own_lock() {
        let name = |p: &str| lock_file_name(Path::new(p));
        assert_eq!(name("/p/optimus.yaml"), "optimus.lock");
        assert_eq!(name("/p/optimus.yml"), "optimus.lock");
        assert_eq!(name("/p/server.yaml"), "server.lock");
        assert_eq!(name("server.yml"), "server.lock");
        assert_eq!(name("/p/prod.server.yaml"), "prod.server.lock");
        assert_eq!(name("/p/config"), "config.lock");
        assert_eq!(name("/p/config.json"), "config.lock");
        assert_eq!(name("/p/odd.lock"), "odd.lock.lock");
    }
}

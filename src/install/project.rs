//! A project: its manifest, and the sequences every lock-writing command follows. The lock is
//! brought up to date with the declarations, the plugins are installed, and only then is
//! `optimus.lock` written: a failed install leaves both the plugin directory and the lock as
//! they were.

use super::{Installer, Options, Outcome};
use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::fsutil::shown;
use crate::model::platform::Platform;
use crate::receipts::Receipts;
use crate::registry::Registries;
use crate::resolve::{Resolution, Resolver};
use crate::store::fetch::Fetcher;
use crate::store::journal;
use crate::store::link::{LinkMode, Linker};
use crate::store::lock::{lock_cache, lock_dir, lock_project, CacheLock, DirLock, ProjectLock};
use std::collections::BTreeSet;

pub struct Project<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub registries: &'a Registries,
    pub link_mode: LinkMode,
}

/// What to resolve: the platforms, names to resolve anew (`update`), and whether any change to
/// the lock is an error (`--locked`, `--frozen`).
pub struct Request<'r> {
    pub platforms: &'r [Platform],
    pub refresh: &'r BTreeSet<String>,
    pub locked: bool,
    /// `--frozen`: as `--locked`, and no index is read, not even to check the lock's entries.
    pub frozen: bool,
    pub jobs: usize,
    /// `--deny-yanked`: refuse to install a locked version its registry has yanked (this
    /// reads every installed plugin's index, even when nothing is to be fetched).
    pub deny_yanked: bool,
}

impl Request<'_> {
    /// The flag that forbids changing the lock, if any (named in the error).
    fn strict(&self) -> Option<&'static str> {
        if self.frozen {
            Some("--frozen")
        } else if self.locked {
            Some("--locked")
        } else {
            None
        }
    }
}

/// The locks a command that installs holds: the project, the plugin directory and a shared
/// hold on the machine cache (so `cache prune` and `cache clean`, which take it alone, never
/// remove an entry a running install relies on).
pub struct Held {
    _project: ProjectLock,
    dir: DirLock,
    _cache: CacheLock,
}

impl Held {
    /// The plugin-dir lock, for the functions that change the directory.
    pub fn dir(&self) -> &DirLock {
        &self.dir
    }
}

/// The locks `lock` holds: the project and the shared cache hold; the plugin directory only
/// when a commit an interrupted install left there is to be completed.
pub struct HeldForLock {
    _project: ProjectLock,
    dir: Option<DirLock>,
    _cache: CacheLock,
}

impl HeldForLock {
    pub fn dir(&self) -> Option<&DirLock> {
        self.dir.as_ref()
    }
}

impl Project<'_> {
    /// Serialises commands that read-modify-write the lockfile and the plugin directory, from
    /// reading the lock to writing the receipts (a concurrent `remove` cannot slip in between).
    pub fn exclusive(&self) -> Result<Held> {
        let reporter = self.fetcher.reporter.as_ref();
        let project = lock_project(&self.manifest.dir, reporter)?;
        let dir = lock_dir(&self.manifest.plugin_dir, reporter)?;
        Ok(Held {
            _project: project,
            dir,
            _cache: lock_cache(&self.fetcher.cache.root, false, reporter)?,
        })
    }

    /// The project lock (and the shared cache hold) for `lock`, which does not touch the
    /// plugin directory but to complete an interrupted commit found there.
    pub fn lock_project(&self) -> Result<HeldForLock> {
        let reporter = self.fetcher.reporter.as_ref();
        let project = lock_project(&self.manifest.dir, reporter)?;
        let dir = &self.manifest.plugin_dir;
        let dir = match journal::pending(dir) {
            Some(_) => Some(lock_dir(dir, reporter)?),
            None => None,
        };
        Ok(HeldForLock {
            _project: project,
            dir,
            _cache: lock_cache(&self.fetcher.cache.root, false, reporter)?,
        })
    }

    /// Brings the lock up to date with the declarations, without writing it.
    pub async fn resolve(&self, req: &Request<'_>) -> Result<Resolution> {
        let source = self.manifest.lock_source();
        // `cache prune` keeps what this project's lock and receipts reference.
        let cache = &self.fetcher.cache;
        cache.record_project(&self.manifest.lock_path(), &self.manifest.plugin_dir);
        if source.shared {
            cache.record_project(&source.path, &self.manifest.plugin_dir);
        }
        let old = Lockfile::read_for_remembered(self.manifest, cache)?;
        let resolver = Resolver {
            manifest: self.manifest,
            fetcher: self.fetcher,
            registries: self.registries,
            jobs: req.jobs,
        };
        let mut r = resolver
            .resolve(old, req.platforms, req.refresh, req.strict())
            .await?;
        if source.shared && r.previous.is_some() {
            self.shared_lock_note(&source.path, req.strict());
            // Its own lock is written even when nothing else changed.
            r.changed = true;
        }
        Ok(r)
    }

    /// Says that the old shared lock was read, and where this config's lock goes now.
    fn shared_lock_note(&self, shared: &std::path::Path, strict: Option<&str>) {
        let (m, own) = (self.manifest, self.manifest.lock_path());
        let (shared, own, config) = (shown(shared), shown(&own), shown(&m.path));
        self.fetcher.reporter.note(&match strict {
            None => format!(
                "{config} has no lock of its own yet: its entries were read from {shared} (once shared by every config in the directory); its lock is now {own} (commit it; {shared} is left as it is)"
            ),
            Some(flag) => format!(
                "{config} has no lock of its own yet: its entries were read from {shared} (once shared by every config in the directory); {flag} writes no lock: run `optimus-plugins lock -c {config}` to write {own}"
            ),
        });
    }

    /// Writes the resolved lock if it changed (never under `--locked`).
    pub fn write_lock(&self, r: &Resolution, locked: bool) -> Result<()> {
        if !locked && r.changed {
            let path = self.manifest.lock_path();
            crate::model::interrupt::change(
                || format!("{} was written", crate::model::fsutil::shown(&path)),
                || r.lock.write(&path),
            )?;
        }
        self.lock_notes(r, locked);
        Ok(())
    }

    /// Says what changed in the lock.
    fn lock_notes(&self, r: &Resolution, locked: bool) {
        if !locked && r.changed {
            let reporter = &self.fetcher.reporter;
            for n in &r.resolved {
                reporter.note(&format!("locked {n}"));
            }
            for n in &r.dropped {
                reporter.note(&format!("dropped {n} from the lock (no longer declared)"));
            }
        }
    }

    /// Resolves and writes the lock (the `lock` command, `update --no-install`). A commit an
    /// interrupted install left is completed first, when the caller holds the plugin-dir lock
    /// (`held`: it takes it when there is one, see [`Project::lock_project`]); that commit
    /// would otherwise write its lock over this one later.
    pub async fn lock(&self, held: Option<&DirLock>, req: &Request<'_>) -> Result<Resolution> {
        if let Some(held) = held {
            debug_assert!(held.holds(&self.manifest.plugin_dir));
            journal::recover(held, Some(&self.manifest.lock_path()))?;
        }
        let r = self.resolve(req).await?;
        self.write_lock(&r, req.strict().is_some())?;
        Ok(r)
    }

    /// Resolves for one platform, installs, and only then writes the lock; `held`: the
    /// plugin-dir lock (see [`Project::exclusive`]).
    pub async fn install(
        &self,
        held: &DirLock,
        req: &Request<'_>,
        yaml_only: bool,
    ) -> Result<(Resolution, Outcome)> {
        // The receipts are parsed while the lock is (both are TOML: a few tens of ms each for
        // a thousand plugins, most of a no-op install), under the plugin-dir lock.
        let dir = self.manifest.plugin_dir.clone();
        debug_assert!(held.holds(&dir), "the lock of another directory");
        // An interrupted commit is completed first: the lock and receipts read below are then
        // the ones that match the files.
        journal::recover(held, Some(&self.manifest.lock_path()))?;
        let cache = self.fetcher.cache.clone();
        let receipts_path = Receipts::path(&dir);
        let receipts = tokio::task::spawn_blocking(move || Receipts::read_remembered(&dir, &cache));
        let r = self.resolve(req).await;
        let receipts = receipts.await.map_err(|e| {
            Error::path(
                "reading",
                &receipts_path,
                std::io::Error::other(format!("panicked: {e}")),
            )
        })?;
        let (r, receipts) = (r?, receipts?);
        if req.deny_yanked {
            let platform = &req.platforms[0];
            crate::status::yanks::deny_yanked(self.manifest, &r.lock, self.registries, |l| {
                l.artifacts_for(platform)
                    .iter()
                    .any(|a| !yaml_only || a.format == crate::model::format::Format::Yaml)
            })
            .await?;
        }
        let installer = Installer {
            manifest: self.manifest,
            fetcher: self.fetcher,
            registries: self.registries,
            options: Options {
                platform: req.platforms[0].clone(),
                yaml_only,
                jobs: req.jobs,
                linker: Linker::new(self.link_mode),
                frozen: req.frozen,
            },
            write_lock: (req.strict().is_none() && r.changed).then(|| self.manifest.lock_path()),
        };
        // The lock is written with the files and receipts, as one step.
        let out = installer.install(held, &r.lock, receipts).await?;
        self.lock_notes(&r, req.strict().is_some());
        Ok((r, out))
    }
}

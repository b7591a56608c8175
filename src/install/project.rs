//! A project: its manifest, and the sequences every lock-writing command follows. The lock is
//! brought up to date with the declarations, the plugins are installed, and only then is
//! `optimus.lock` written: a failed install leaves both the plugin directory and the lock as
//! they were.

use super::{Installer, Options, Outcome};
use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::platform::Platform;
use crate::receipts::Receipts;
use crate::registry::Registries;
use crate::resolve::{Resolution, Resolver};
use crate::store::fetch::Fetcher;
use crate::store::journal;
use crate::store::link::LinkMode;
use crate::store::lock::{lock_dir, lock_project, DirLock, ProjectLock};
use std::collections::BTreeSet;

pub struct Project<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub registries: &'a Registries,
    pub link_mode: LinkMode,
}

/// What to resolve: the platforms, names to resolve anew (`update`), and whether any change to
/// the lock is an error (`--locked`).
pub struct Request<'r> {
    pub platforms: &'r [Platform],
    pub refresh: &'r BTreeSet<String>,
    pub locked: bool,
    pub jobs: usize,
    /// `--deny-yanked`: refuse to install a locked version its registry has yanked (this
    /// reads every installed plugin's index, even when nothing is to be fetched).
    pub deny_yanked: bool,
}

impl Project<'_> {
    /// Serialises commands that read-modify-write the lockfile and the plugin directory, from
    /// reading the lock to writing the receipts (a concurrent `remove` cannot slip in between).
    pub fn exclusive(&self) -> Result<(ProjectLock, DirLock)> {
        let reporter = self.fetcher.reporter.as_ref();
        let project = lock_project(&self.manifest.dir, reporter)?;
        Ok((project, lock_dir(&self.manifest.plugin_dir, reporter)?))
    }

    /// The project lock alone (for `lock`, which does not touch the plugin directory).
    pub fn lock_project(&self) -> Result<ProjectLock> {
        lock_project(&self.manifest.dir, self.fetcher.reporter.as_ref())
    }

    /// Brings the lock up to date with the declarations, without writing it.
    pub async fn resolve(&self, req: &Request<'_>) -> Result<Resolution> {
        let old = Lockfile::read_remembered(&self.manifest.lock_path(), &self.fetcher.cache)?;
        let resolver = Resolver {
            manifest: self.manifest,
            fetcher: self.fetcher,
            registries: self.registries,
            jobs: req.jobs,
        };
        resolver
            .resolve(old, req.platforms, req.refresh, req.locked)
            .await
    }

    /// Writes the resolved lock if it changed (never under `--locked`).
    pub fn write_lock(&self, r: &Resolution, locked: bool) -> Result<()> {
        if !locked && r.changed {
            r.lock.write(&self.manifest.lock_path())?;
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

    /// Resolves and writes the lock (the `lock` command, `update --no-install`).
    pub async fn lock(&self, req: &Request<'_>) -> Result<Resolution> {
        let r = self.resolve(req).await?;
        self.write_lock(&r, req.locked)?;
        Ok(r)
    }

    /// Resolves for one platform, installs, and only then writes the lock.
    pub async fn install(
        &self,
        req: &Request<'_>,
        yaml_only: bool,
    ) -> Result<(Resolution, Outcome)> {
        // The receipts are parsed while the lock is (both are TOML: a few tens of ms each for
        // a thousand plugins, most of a no-op install), under the plugin-dir lock.
        let dir = self.manifest.plugin_dir.clone();
        let _guard = lock_dir(&dir, self.fetcher.reporter.as_ref())?;
        // An interrupted commit is completed first: the lock and receipts read below are then
        // the ones that match the files.
        journal::recover(&dir)?;
        let cache = self.fetcher.cache.clone();
        let receipts = tokio::task::spawn_blocking(move || Receipts::read_remembered(&dir, &cache));
        let r = self.resolve(req).await;
        let receipts = receipts
            .await
            .map_err(|e| Error::runtime(format!("reading the receipts panicked: {e}")))?;
        let (r, receipts) = (r?, receipts?);
        if req.deny_yanked {
            let platform = &req.platforms[0];
            crate::status::yanks::deny_yanked(self.manifest, &r.lock, self.registries, |l| {
                l.artifact_for(platform)
                    .is_some_and(|a| !yaml_only || a.format == crate::model::format::Format::Yaml)
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
                link_mode: self.link_mode,
            },
            write_lock: (!req.locked && r.changed).then(|| self.manifest.lock_path()),
        };
        // The lock is written with the files and receipts, as one step.
        let out = installer.install(&r.lock, receipts).await?;
        self.lock_notes(&r, req.locked);
        Ok((r, out))
    }
}

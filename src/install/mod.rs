//! Installing: locked artifacts → `.plugins/`, in three steps.
//!
//! Under the advisory lock `<dir>/.lock` (stale staging files cleaned first):
//! 1. [`plan`]: which locked plugins are already installed as locked (skipped without
//!    hashing), which must be fetched;
//! 2. [`execute`]: fetch and unpack those in parallel into staging files beside their
//!    destination (any failure: every staged file is dropped, nothing changed);
//! 3. [`commit`]: rename every staged file into place, write the receipts, then remove what
//!    is no longer declared (only files this program installed, and only if unmodified).

pub mod bundle;
pub mod cache_care;
pub mod commit;
mod execute;
pub mod mirror;
pub mod owner;
pub mod plan;
pub mod project;
pub mod remove;
mod sync_check;
pub mod sync_host;

use crate::config::Manifest;
use crate::error::{Error, PluginContext, Result};
use crate::extract::Staged;
use crate::lockfile::Lockfile;
use crate::model::artifact::{ArtifactKind, ArtifactPlatform};
use crate::model::format::Format;
use crate::model::fsutil::{self, STAGING_PREFIX};
use crate::model::platform::Platform;
use crate::model::report::Reporter;
use crate::receipts::{Receipt, ReceiptSource, Receipts};
use crate::registry::Registries;
use crate::store::fetch::Fetcher;
use crate::store::journal::{self, Journal, Write};
use crate::store::link::Linker;
use crate::store::lock::DirLock;
use crate::store::unpacked::Unpacked;
use commit::Placement;
use futures::StreamExt;
use plan::{Job, Plan};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Removes staging files left by a killed run in the directory `held` locks: ours by name,
/// and made by a process that is gone (or whose pid cannot be read: we hold the directory
/// lock, so no other install is writing there; a `lock` writing its lockfile in a shared
/// directory is alive).
pub fn clean_stale_staging(held: &DirLock) {
    if let Ok(rd) = fs::read_dir(held.dir()) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGING_PREFIX) && fsutil::temp_owner_gone(&name) != Some(false) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// A plugin directory a run may create: when it did not exist before the run, a failed or
/// interrupted run removes what it left (only this tool's lock and owner files), so a failed
/// first install or sync leaves no plugin directory.
pub struct NewDir(Option<PathBuf>);

impl NewDir {
    /// Notes whether `dir` exists, before anything may create it (an interrupt from now on
    /// removes it if it was new).
    pub fn watch(dir: &Path) -> NewDir {
        if dir.exists() {
            return NewDir(None);
        }
        let d = dir.to_path_buf();
        crate::model::interrupt::at_interrupt(move || forget_created_dir(&d));
        NewDir(Some(dir.to_path_buf()))
    }

    /// After the run (its locks still held): removes the new directory if the run failed.
    pub fn forget_if_failed<T>(&self, out: &crate::error::Result<T>) {
        if let (Err(_), Some(dir)) = (out, &self.0) {
            forget_created_dir(dir);
        }
    }
}

/// After a failed run: removes a plugin directory this run created if it holds nothing but the
/// run's own bookkeeping (`.lock`, `.owner`), so a failed first install leaves no trace. The
/// caller still holds the project lock (no other install of this project can be waiting on
/// the directory).
fn forget_created_dir(dir: &Path) {
    let ours = [".lock", owner::FILE];
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    if names.iter().all(|n| ours.iter().any(|o| n == *o)) {
        for n in &names {
            let _ = fs::remove_file(dir.join(n));
        }
        let _ = fs::remove_dir(dir);
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub platform: Platform,
    pub yaml_only: bool,
    pub jobs: usize,
    /// How cached files are placed (one per run: it warns once when it falls back to a copy).
    pub linker: Linker,
    /// `--frozen`: the lock is installed as it is, without reading any index.
    pub frozen: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub installed: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
    pub skipped: Vec<String>,
}

pub struct Installer<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub registries: &'a Registries,
    pub options: Options,
    /// Where to write the lock being installed, in the same step as the files and receipts
    /// (`None`: the lock is left as it is).
    pub write_lock: Option<PathBuf>,
}

impl Installer<'_> {
    fn plugin_dir(&self) -> &Path {
        &self.manifest.plugin_dir
    }

    fn reporter(&self) -> &dyn Reporter {
        self.fetcher.reporter.as_ref()
    }

    /// Installs everything in `lock` for the target platform, holding the plugin-dir lock
    /// `held`. The caller has completed any interrupted commit (`store::journal::recover`) and
    /// read `receipts` after that (see `project::Project::install`).
    pub async fn install(
        &self,
        held: &DirLock,
        lock: &Lockfile,
        mut receipts: Receipts,
    ) -> Result<Outcome> {
        let dir = self.plugin_dir().to_path_buf();
        debug_assert!(held.holds(&dir), "the lock of another directory");
        owner::claim(held, self.manifest, true)?;
        clean_stale_staging(held);
        let plan = Plan::new(lock, &receipts, &self.options, &dir);
        for s in &plan.skipped {
            self.reporter().warn(&format!("skipping {s}"));
        }
        // Before anything is fetched: the directories the commit will write must be writable
        // (a read-only project directory fails here, not after the plugins are in place).
        if !plan.fetch.is_empty() || self.write_lock.is_some() {
            let lock_doc: Vec<&Path> = self.write_lock.iter().map(PathBuf::as_path).collect();
            journal::preflight(&dir, &lock_doc)?;
        }
        let staged = self.execute(&plan).await?;
        let placements = self.check_placements(&plan, staged, &receipts, lock)?;
        let bundles: BTreeSet<&str> = lock
            .plugins
            .iter()
            .filter(|l| l.bundle)
            .map(|l| l.name.as_str())
            .collect();
        // Files, receipts and lock change as one step (store::journal).
        let mut journal = Journal::default();
        let placed = commit::journal_placements(
            &dir,
            &mut receipts,
            placements,
            self.reporter(),
            &mut journal,
        )?;
        let mut new_files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut outcome = Outcome {
            unchanged: plan.unchanged,
            skipped: plan.skipped.clone(),
            ..Outcome::default()
        };
        for (_, r) in &placed {
            new_files
                .entry(r.source.as_str().to_string())
                .or_default()
                .insert(r.file.clone());
            outcome
                .installed
                .push(format!("{} {}", r.plugin, r.version));
        }
        // Remove what is no longer declared, and what a re-installed source no longer ships
        // for this platform.
        let stale = self.stale(&receipts, lock, &new_files);
        commit::journal_removals(&dir, &mut receipts, &stale, self.reporter(), &mut journal);
        if !placed.is_empty() || !stale.is_empty() {
            journal.writes.push(Write {
                path: fsutil::absolute(&Receipts::path(&dir)),
                text: receipts.to_text(),
            });
        }
        if let Some(path) = &self.write_lock {
            journal.writes.push(Write {
                path: fsutil::absolute(path),
                text: lock.to_text(),
            });
        }
        // From the commit point on the staging files belong to the journal: a failure while
        // carrying it out must leave them for the next run to complete it (a failure before
        // it leaves them to the stale-staging cleanup).
        let mut placed = placed;
        for (s, _) in &mut placed {
            s.release();
        }
        journal.commit(held)?;
        // An archive that gave a binary and its yaml is not recorded in the unpacked-file
        // cache (a record names one file): the warm path unpacks it again from the cached
        // artifact, so the pair always arrives together.
        let pairs: BTreeSet<String> = placed
            .iter()
            .filter(|(s, r)| s.kind == ArtifactKind::Yaml && self.came_from_archive(lock, r))
            .map(|(_, r)| r.source.as_str().to_string())
            .collect();
        for (s, r) in placed {
            if !bundles.contains(r.source.as_str()) && !pairs.contains(r.source.as_str()) {
                self.remember_in_cache(lock, &s, &r, &dir.join(&s.file_name));
            }
        }
        outcome.removed = stale.into_iter().map(|r| r.plugin).collect();
        outcome.installed.sort();
        // A binary and its yaml are one plugin installed.
        outcome.installed.dedup();
        outcome.removed.sort();
        outcome.removed.dedup();
        Ok(outcome)
    }

    /// Fetches and unpacks every job of the plan in parallel; all staged, or an error that
    /// names every plugin that failed (and every staged file dropped).
    async fn execute<'p>(&self, plan: &'p Plan<'p>) -> Result<Vec<(&'p Job<'p>, Staged)>> {
        let total = self.fetcher.reporter.total_bar(plan.fetch.len() as u64);
        let results: Vec<(usize, Result<Vec<Staged>>)> =
            futures::stream::iter(plan.fetch.iter().enumerate().map(|(i, job)| {
                let total = total.clone();
                async move {
                    let r = self.run_job(job).await.plugin(&job.plugin.name);
                    total.inc(1);
                    (i, r)
                }
            }))
            .buffer_unordered(self.options.jobs.max(1))
            .collect()
            .await;
        total.finish_and_clear();
        let mut staged = Vec::new();
        let mut errors = Vec::new();
        for (i, r) in results {
            match r {
                Ok(v) => staged.extend(v.into_iter().map(|s| (&plan.fetch[i], s))),
                Err(e) => errors.push(e),
            }
        }
        let failed = errors.len();
        let Some(all) = errors.into_iter().reduce(Error::combine) else {
            return Ok(staged);
        };
        Err(all.noted(format!(
            "nothing was changed in {} ({failed} plugin(s) failed)",
            self.plugin_dir().display()
        )))
    }

    /// Refuses two sources installing one file, or a file another lock entry still owns; then
    /// pairs each staged file with its receipt.
    fn check_placements(
        &self,
        plan: &Plan<'_>,
        staged: Vec<(&Job<'_>, Staged)>,
        receipts: &Receipts,
        lock: &Lockfile,
    ) -> Result<Vec<Placement>> {
        // A binary's archive may ship the yaml its version also publishes on its own: one
        // file, from the yaml artifact (the one the index lists for `any`).
        let mut staged = staged;
        staged.sort_by_key(|(job, s)| (s.file_name.clone(), job.artifact.format != Format::Yaml));
        staged
            .dedup_by(|b, a| a.1.file_name == b.1.file_name && a.0.plugin.name == b.0.plugin.name);
        let mut by_file: BTreeMap<&str, &str> = BTreeMap::new();
        for (job, s) in &staged {
            let src = job.plugin.name.as_str();
            if let Some(other) = by_file.insert(s.file_name.as_str(), src) {
                if other != src {
                    return Err(self.manifest.plugin_error(
                        src,
                        format!(
                            "{} would be installed by both {other} and {src}; declare each plugin once",
                            s.file_name
                        ),
                    ));
                }
            }
        }
        let reinstalled: BTreeSet<&str> =
            plan.fetch.iter().map(|j| j.plugin.name.as_str()).collect();
        for (job, s) in &staged {
            if let Some(r) = receipts.find(&s.file_name) {
                let src = job.plugin.name.as_str();
                if r.source.as_str() != src
                    && !reinstalled.contains(r.source.as_str())
                    && lock.get(r.source.as_str()).is_some()
                {
                    return Err(self.manifest.plugin_error(
                        src,
                        format!(
                            "{} is already installed by {} and would be replaced by {src}; declare each plugin once",
                            s.file_name, r.source
                        ),
                    ));
                }
            }
        }
        Ok(staged
            .into_iter()
            .map(|(job, s)| {
                let receipt = Receipt {
                    file: s.file_name.clone(),
                    plugin: s.plugin.clone(),
                    source: ReceiptSource::Lock(job.plugin.name.clone()),
                    version: job.plugin.version_text().to_string(),
                    platform: match s.kind {
                        ArtifactKind::Yaml => ArtifactPlatform::Any,
                        ArtifactKind::Binary => ArtifactPlatform::Os(self.options.platform.clone()),
                    },
                    kind: s.kind,
                    provider: job.plugin.provider.clone(),
                    plugin_type: job.plugin.plugin_type,
                    artifact_sha256: job.artifact.sha256.clone(),
                    bin: job.artifact.bin.clone(),
                    sha256: s.sha256.clone(),
                    size: s.size,
                    mtime_ns: 0,
                };
                Placement { staged: s, receipt }
            })
            .collect())
    }

    /// Receipts whose files should go: their source left the lock, or was re-installed and no
    /// longer ships that file for this platform (`sync --host` files are not ours to judge).
    fn stale(
        &self,
        receipts: &Receipts,
        lock: &Lockfile,
        new_files: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<Receipt> {
        let platform = &self.options.platform;
        receipts
            .files
            .iter()
            .filter(|r| !r.source.is_host())
            .filter(|r| !self.options.yaml_only || r.kind == ArtifactKind::Yaml)
            .filter(|r| match lock.get(r.source.as_str()) {
                None => true,
                Some(_) => new_files
                    .get(r.source.as_str())
                    .is_some_and(|files| !files.contains(&r.file) && r.platform.serves(platform)),
            })
            .cloned()
            .collect()
    }

    /// Whether the file of receipt `r` came out of an archive (of its lock entry, on this
    /// platform).
    fn came_from_archive(&self, lock: &Lockfile, r: &Receipt) -> bool {
        lock.get(r.source.as_str()).is_some_and(|l| {
            l.artifacts_for(&self.options.platform)
                .iter()
                .any(|a| r.installed_from(a) && matches!(a.format, Format::TarGz | Format::Zip))
        })
    }

    /// Keeps an installed (non-bundle) file in the unpacked-file cache, so the next project
    /// gets it without download or unpacking.
    fn remember_in_cache(&self, lock: &Lockfile, s: &Staged, r: &Receipt, dest: &Path) {
        let Some(job) = lock.get(r.source.as_str()).and_then(|l| {
            l.artifacts_for(&self.options.platform)
                .into_iter()
                .find(|a| r.installed_from(a))
                .map(|artifact| Job {
                    plugin: l,
                    artifact,
                })
        }) else {
            return;
        };
        let file = Unpacked {
            path: dest.to_path_buf(),
            sha256: s.sha256.clone(),
            size: s.size,
            kind: s.kind,
        };
        let platform = self.options.platform.to_string();
        self.fetcher.cache.remember_unpacked(
            &job.unpack_key(&platform),
            dest,
            &file,
            &self.options.linker,
            self.reporter(),
        );
    }
}

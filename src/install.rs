//! Installing: locked artifacts → `.plugins/`.
//!
//! Under the advisory lock `<dir>/.lock`: stale staging files are cleaned, plugins whose
//! receipts match the lock (same artifact, file present with the recorded size and mtime) are
//! skipped without hashing, the rest are fetched and unpacked in parallel into staging files
//! beside their destination. Only when every plugin staged fine are they renamed into place (a
//! failure leaves the previous install as it was); then receipts are written and what is no
//! longer declared is removed (only files this program installed, and only if unmodified).

use crate::cache::Cache;
use crate::config::Manifest;
use crate::error::{Error, PluginContext, Result};
use crate::fetch::Fetcher;
use crate::fsutil::{self, STAGING_PREFIX};
use crate::lockfile::{absolute_url, LockedArtifact, LockedPlugin, Lockfile};
use crate::platform::{Platform, ANY};
use crate::receipts::{mtime_ns, Receipt, Receipts};
use crate::registry::RegistryClient;
use crate::unpack::{Kind, Staged, Unpacker, Want};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

/// Holds `<dir>/.lock` (an OS advisory lock, released on drop or process death).
///
/// Re-entrant within a process: a command holds it from reading the lockfile to writing the
/// receipts, and the installer it calls takes it again without deadlocking on itself.
pub struct DirLock {
    key: std::path::PathBuf,
}

type Held = std::collections::HashMap<std::path::PathBuf, (usize, File)>;

fn held() -> &'static std::sync::Mutex<Held> {
    static H: std::sync::OnceLock<std::sync::Mutex<Held>> = std::sync::OnceLock::new();
    H.get_or_init(Default::default)
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let mut h = held().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = h.get_mut(&self.key) {
            entry.0 -= 1;
            if entry.0 == 0 {
                // Closing the file releases the OS lock.
                h.remove(&self.key);
            }
        }
    }
}

/// Takes an exclusive advisory lock on `file` (at `path`), saying so when another process
/// holds it and we wait for `what`.
fn lock_waiting(file: &File, path: &Path, what: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => {
            crate::ui::note(&format!(
                "waiting for another optimus process to finish with {}",
                what.display()
            ));
            file.lock().map_err(|e| Error::path("locking", path, e))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::path("locking", path, e)),
    }
}

pub fn lock_dir(dir: &Path) -> Result<DirLock> {
    fs::create_dir_all(dir).map_err(|e| Error::path("creating plugin directory", dir, e))?;
    let key = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    {
        let mut h = held().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = h.get_mut(&key) {
            entry.0 += 1;
            return Ok(DirLock { key });
        }
    }
    let path = dir.join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::path("opening", &path, e))?;
    lock_waiting(&file, &path, dir)?;
    let mut h = held().lock().unwrap_or_else(|e| e.into_inner());
    h.insert(key.clone(), (1, file));
    Ok(DirLock { key })
}

/// An advisory lock on the project (the config file's directory itself, so no file is left
/// behind): held by every command that writes `optimus.lock`, always before the plugin
/// directory's lock, so `lock` and `install` never lose each other's update.
pub struct ProjectLock {
    _dir: File,
}

pub fn lock_project(dir: &Path) -> Result<ProjectLock> {
    let file = File::open(dir).map_err(|e| Error::path("opening", dir, e))?;
    lock_waiting(&file, dir, dir)?;
    Ok(ProjectLock { _dir: file })
}

/// Removes staging files left by a killed run (safe: we hold the directory lock).
pub fn clean_stale_staging(dir: &Path) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub platform: Platform,
    pub yaml_only: bool,
    pub jobs: usize,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub installed: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
    pub skipped: Vec<String>,
}

/// The owned arguments of one unpacking.
struct UnpackJob {
    what: String,
    want: Want,
    format: crate::format::Format,
    limits: crate::config::Limits,
    platform: Platform,
    dir: std::path::PathBuf,
    yaml_only: bool,
}

impl UnpackJob {
    fn unpacker(&self) -> Unpacker<'_> {
        Unpacker {
            limits: &self.limits,
            platform: &self.platform,
            stage_dir: &self.dir,
            what: &self.what,
            yaml_only: self.yaml_only,
        }
    }

    fn unpack_file(&self, path: &Path) -> Result<Vec<Staged>> {
        self.unpacker().unpack(path, self.format, &self.want)
    }

    fn unpack_stream(&self, r: &mut dyn std::io::Read) -> Result<Vec<Staged>> {
        self.unpacker().unpack_reader(r, self.format, &self.want)
    }
}

/// One locked plugin to fetch and unpack.
struct Job<'a> {
    plugin: &'a LockedPlugin,
    artifact: &'a LockedArtifact,
}

pub struct Installer<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub options: Options,
}

fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::env::var("OPTIMUS_LINK_MODE").as_deref() != Ok("copy")
        && fs::hard_link(from, to).is_ok()
    {
        return Ok(());
    }
    fs::copy(from, to).map(|_| ())
}

impl Installer<'_> {
    fn plugin_dir(&self) -> &Path {
        &self.manifest.plugin_dir
    }

    fn want(&self, l: &LockedPlugin, a: &LockedArtifact) -> Want {
        if l.bundle {
            Want::Bundle
        } else {
            Want::One {
                name: l.name.clone(),
                bin: a.bin.clone(),
            }
        }
    }

    /// The file a non-bundle plugin installs as.
    fn expected_file(&self, l: &LockedPlugin, a: &LockedArtifact) -> Option<String> {
        if l.bundle {
            return None;
        }
        Some(if a.format == crate::format::Format::Yaml {
            crate::platform::yaml_file_name(&l.name)
        } else {
            self.options.platform.binary_file_name(&l.name)
        })
    }

    fn up_to_date(&self, receipts: &Receipts, l: &LockedPlugin, a: &LockedArtifact) -> bool {
        let platform = self.options.platform.to_string();
        let mine: Vec<&Receipt> = receipts
            .files
            .iter()
            .filter(|r| r.source == l.name && (r.platform == platform || r.platform == ANY))
            .filter(|r| !self.options.yaml_only || r.kind == "yaml")
            .collect();
        if mine.is_empty()
            || mine
                .iter()
                .any(|r| r.artifact_sha256 != a.sha256 || !r.looks_intact(self.plugin_dir()))
        {
            return false;
        }
        match self.expected_file(l, a) {
            Some(f) => mine.iter().any(|r| r.file == f),
            None => true,
        }
    }

    /// Installs everything in `lock` for the target platform.
    pub async fn install(&self, lock: &Lockfile) -> Result<Outcome> {
        let dir = self.plugin_dir().to_path_buf();
        let _guard = lock_dir(&dir)?;
        clean_stale_staging(&dir);
        let mut receipts = Receipts::read(&dir)?;
        let mut outcome = Outcome::default();

        let mut jobs = Vec::new();
        for l in &lock.plugins {
            let Some(a) = l.artifact_for(&self.options.platform) else {
                outcome.skipped.push(format!(
                    "{} (no artifact for {})",
                    l.name, self.options.platform
                ));
                continue;
            };
            if self.options.yaml_only && !(a.format == crate::format::Format::Yaml || l.bundle) {
                continue;
            }
            if self.up_to_date(&receipts, l, a) {
                outcome.unchanged += 1;
            } else {
                jobs.push(Job {
                    plugin: l,
                    artifact: a,
                });
            }
        }
        for s in &outcome.skipped {
            crate::ui::warn(&format!("skipping {s}"));
        }

        let total = crate::ui::total_bar(jobs.len() as u64);
        let results: Vec<(usize, Result<Vec<Staged>>)> =
            futures::stream::iter(jobs.iter().enumerate().map(|(i, job)| {
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

        let mut staged: Vec<(usize, Staged)> = Vec::new();
        let mut errors = Vec::new();
        for (i, r) in results {
            match r {
                Ok(v) => staged.extend(v.into_iter().map(|s| (i, s))),
                Err(e) => errors.push(e),
            }
        }
        let discard = |staged: &[(usize, Staged)]| {
            for (_, s) in staged {
                let _ = fs::remove_file(&s.staged);
            }
        };
        if !errors.is_empty() {
            discard(&staged);
            let n = errors.len();
            let all = errors
                .into_iter()
                .reduce(Error::combine)
                .expect("not empty");
            let msg = format!(
                "{all}\nnothing was changed in {} ({n} plugin(s) failed)",
                dir.display()
            );
            return Err(if all.exit_code() == 2 {
                Error::config(msg)
            } else {
                Error::runtime(msg)
            });
        }

        // Two sources may not install the same file.
        let mut by_file: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, s) in &staged {
            let src = jobs[*i].plugin.name.as_str();
            if let Some(other) = by_file.insert(s.file_name.as_str(), src) {
                if other != src {
                    discard(&staged);
                    return Err(Error::config(format!(
                        "{} would be installed by both {other} and {src}; declare each plugin once",
                        s.file_name
                    )));
                }
            }
        }
        // Nor a file another lock entry installed and still owns.
        let reinstalled: BTreeSet<&str> = jobs.iter().map(|j| j.plugin.name.as_str()).collect();
        for (i, s) in &staged {
            if let Some(r) = receipts.find(&s.file_name) {
                let src = jobs[*i].plugin.name.as_str();
                if r.source != src
                    && !reinstalled.contains(r.source.as_str())
                    && lock.get(&r.source).is_some()
                {
                    discard(&staged);
                    return Err(Error::config(format!(
                        "{} is already installed by {} and would be replaced by {src}; declare each plugin once",
                        s.file_name, r.source
                    )));
                }
            }
        }

        // Commit: rename every staged file into place, then record it.
        let mut new_files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (i, s) in staged {
            let job = &jobs[i];
            let dest = dir.join(&s.file_name);
            if dest.exists() && receipts.find(&s.file_name).is_none() {
                crate::ui::warn(&format!(
                    "replacing {} (it was not installed by optimus)",
                    dest.display()
                ));
            }
            fs::rename(&s.staged, &dest).map_err(|e| Error::path("installing", &dest, e))?;
            let meta = fs::metadata(&dest).map_err(|e| Error::path("reading", &dest, e))?;
            self.remember_in_cache(&dest, &s, job);
            receipts.files.retain(|r| r.file != s.file_name);
            receipts.files.push(Receipt {
                file: s.file_name.clone(),
                plugin: s.plugin.clone(),
                source: job.plugin.name.clone(),
                version: job.plugin.version_text().to_string(),
                platform: if s.kind == Kind::Yaml {
                    ANY.to_string()
                } else {
                    self.options.platform.to_string()
                },
                kind: s.kind.as_str().to_string(),
                provider: job.plugin.provider.clone(),
                plugin_type: job.plugin.plugin_type,
                artifact_sha256: job.artifact.sha256.clone(),
                sha256: s.sha256.clone(),
                size: s.size,
                mtime_ns: mtime_ns(&meta),
            });
            new_files
                .entry(job.plugin.name.clone())
                .or_default()
                .insert(s.file_name.clone());
            outcome
                .installed
                .push(format!("{} {}", s.plugin, job.plugin.version_text()));
        }
        // Receipts first, so a kill from here on only leaves extra files, never lost records.
        // A no-op writes nothing.
        if !outcome.installed.is_empty() {
            receipts.write(&dir)?;
        }

        // Remove what is no longer declared, and what a re-installed source no longer ships
        // for this platform.
        let platform = self.options.platform.to_string();
        let stale: Vec<Receipt> = receipts
            .files
            .iter()
            .filter(|r| r.source != "host")
            .filter(|r| !self.options.yaml_only || r.kind == "yaml")
            .filter(|r| match lock.get(&r.source) {
                None => true,
                Some(_) => new_files.get(&r.source).is_some_and(|files| {
                    !files.contains(&r.file) && (r.platform == platform || r.platform == ANY)
                }),
            })
            .cloned()
            .collect();
        for r in &stale {
            let path = dir.join(&r.file);
            let unmodified = r.looks_intact(&dir) || r.rehash_matches(&dir).unwrap_or(false);
            if path.exists() {
                if unmodified {
                    fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))?;
                } else {
                    crate::ui::warn(&format!(
                        "left {} in place: it changed since it was installed",
                        path.display()
                    ));
                }
            }
            receipts.files.retain(|x| x.file != r.file);
            outcome.removed.push(r.plugin.clone());
        }
        if !stale.is_empty() {
            receipts.write(&dir)?;
        }
        outcome.installed.sort();
        outcome.removed.sort();
        outcome.removed.dedup();
        Ok(outcome)
    }

    /// Hard-links an installed file into the cache of unpacked files, and notes which file an
    /// artifact unpacks to, so the next project gets it without download or unpacking.
    fn remember_in_cache(&self, dest: &Path, s: &Staged, job: &Job<'_>) {
        if job.plugin.bundle {
            return;
        }
        let cache: &Cache = &self.fetcher.cache;
        let record = cache.unpacked_record(
            &job.artifact.sha256,
            &job.plugin.name,
            &self.options.platform.to_string(),
        );
        let text = |mtime: u64| format!("{} {} {} {mtime}", s.sha256, s.size, s.kind.as_str());
        let Ok(dest_meta) = fs::metadata(dest) else {
            return;
        };
        // The warm path linked this very file from the cache: nothing to record.
        if fs::read(&record).ok().as_deref() == Some(text(mtime_ns(&dest_meta)).as_bytes()) {
            return;
        }
        // The cache always takes the file just verified (replacing an older copy, which an
        // in-place edit in some project may have changed), and the record remembers its mtime
        // so a later in-place edit makes the entry stale instead of spreading.
        let cached = cache.file(&s.sha256);
        if let Some(parent) = cached.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let Ok(tmp) = cache
            .tmp_dir()
            .map(|d| d.join(fsutil::unique_name("file-")))
        else {
            return;
        };
        if link_or_copy(dest, &tmp).is_err() || fs::rename(&tmp, &cached).is_err() {
            let _ = fs::remove_file(&tmp);
            return;
        }
        if let Ok(meta) = fs::metadata(&cached) {
            cache.write_hint(&record, text(mtime_ns(&meta)).as_bytes());
        }
    }

    /// The warm path: the artifact was unpacked before on this machine.
    fn linked_from_cache(&self, job: &Job<'_>) -> Option<Staged> {
        if job.plugin.bundle
            || (self.options.yaml_only && job.artifact.format != crate::format::Format::Yaml)
        {
            return None;
        }
        let cache = &self.fetcher.cache;
        let record = cache.unpacked_record(
            &job.artifact.sha256,
            &job.plugin.name,
            &self.options.platform.to_string(),
        );
        let text = fs::read_to_string(record).ok()?;
        let mut parts = text.split_whitespace();
        let (sha, size, kind, mtime) = (
            parts.next()?.to_string(),
            parts.next()?.parse::<u64>().ok()?,
            parts.next()?,
            parts.next()?.parse::<u64>().ok()?,
        );
        // Size and mtime as recorded: a cached file changed in place (through a hard link in
        // some project) is not handed out; the artifact is fetched and unpacked again.
        let cached = cache.file(&sha);
        let meta = fs::metadata(&cached).ok()?;
        if meta.len() != size || mtime_ns(&meta) != mtime {
            return None;
        }
        let staged = fsutil::staging_path(self.plugin_dir());
        link_or_copy(&cached, &staged).ok()?;
        let kind = if kind == "yaml" {
            Kind::Yaml
        } else {
            Kind::Binary
        };
        Some(Staged {
            plugin: job.plugin.name.clone(),
            kind,
            file_name: self.expected_file(job.plugin, job.artifact)?,
            staged,
            sha256: sha,
            size,
        })
    }

    async fn run_job(&self, job: &Job<'_>) -> Result<Vec<Staged>> {
        // Before any cache shortcut: a lock entry edited to name another cached artifact's
        // hash must be refused, not served from the cache.
        self.check_against_index(job).await?;
        if let Some(s) = self.linked_from_cache(job) {
            crate::ui::debug(&format!("{}: linked from the cache", job.plugin.name));
            return Ok(vec![s]);
        }
        let unpack = self.unpack_job(job);
        let format = job.artifact.format;
        let artifact = match self.fetcher.cached(&job.artifact.sha256) {
            Some(a) => a,
            None => {
                let (full, provider) = self.fetch_url(job)?;
                let sources = crate::resolve::sources(&self.fetcher.transport, &full, provider)?;
                if format != crate::format::Format::Zip {
                    // One pass: download → cache file + sha256 + unpacker.
                    return self
                        .fetcher
                        .fetch_unpack(
                            &sources,
                            &job.artifact.sha256,
                            job.artifact.size,
                            &job.plugin.name,
                            Arc::new(move |r: &mut dyn std::io::Read| unpack.unpack_stream(r)),
                        )
                        .await;
                }
                // A zip's directory is at its end: it needs the whole file first.
                self.fetcher
                    .fetch(
                        &sources,
                        Some(&job.artifact.sha256),
                        job.artifact.size,
                        &job.plugin.name,
                    )
                    .await?
            }
        };
        tokio::task::spawn_blocking(move || unpack.unpack_file(&artifact.path))
            .await
            .map_err(|e| Error::runtime(format!("unpacking panicked: {e}")))?
    }

    /// Everything the unpacker needs for one job, owned (it runs on a blocking thread).
    fn unpack_job(&self, job: &Job<'_>) -> UnpackJob {
        UnpackJob {
            what: format!("artifact {} of {}", job.artifact.url, job.plugin.name),
            want: self.want(job.plugin, job.artifact),
            format: job.artifact.format,
            limits: self.manifest.limits.clone(),
            platform: self.options.platform.clone(),
            dir: self.plugin_dir().to_path_buf(),
            yaml_only: self.options.yaml_only,
        }
    }

    /// Where to fetch a locked artifact: for direct artifacts the declaration (which may hold
    /// credentials the lock must not), else the lock's URL.
    fn fetch_url(&self, job: &Job<'_>) -> Result<(String, Option<&crate::config::Provider>)> {
        let provider = job
            .plugin
            .provider
            .as_deref()
            .map(|p| self.manifest.provider(p))
            .transpose()?;
        if job.plugin.source.is_some() {
            let d = self.manifest.declaration(&job.plugin.name).ok_or_else(|| {
                Error::config(format!("{} is locked but not declared", job.plugin.name))
            })?;
            let platform = (job.artifact.platform != ANY)
                .then(|| Platform::parse(&job.artifact.platform))
                .transpose()?;
            // Without `{os}`/`{arch}` placeholders the platform changes nothing.
            let full = crate::resolve::direct_url(self.manifest, d, platform.as_ref())?;
            return Ok((full, provider));
        }
        Ok((
            absolute_url(&job.artifact.url, &self.manifest.dir),
            provider,
        ))
    }

    /// Before downloading a registry artifact, checks the lock entry against the signed index:
    /// a lock edited to point at another file or hash is refused.
    async fn check_against_index(&self, job: &Job<'_>) -> Result<()> {
        let l = job.plugin;
        if l.source.is_some() || self.fetcher.transport.offline {
            return Ok(());
        }
        let Some(pname) = &l.provider else {
            return Ok(());
        };
        let provider = self.manifest.provider(pname)?;
        if !provider.kind.holds_registry() {
            return Ok(());
        }
        let client = RegistryClient::new(self.fetcher, provider);
        // The copy of the signed index this machine last verified vouches for the entry
        // without a request (a warm install touches no network); otherwise ask the registry.
        if let Some(cached) = client.verified_cached_index(&l.name) {
            if self.compare_with_index(job, provider, &cached).is_ok() {
                return Ok(());
            }
        }
        let index = client.fetch_index(&l.name).await?;
        self.compare_with_index(job, provider, &index)
    }

    /// Compares a lock entry with a verified index: same url, sha256, format, bin and size.
    fn compare_with_index(
        &self,
        job: &Job<'_>,
        provider: &crate::config::Provider,
        index: &crate::registry::PluginIndex,
    ) -> Result<()> {
        let l = job.plugin;
        let lock_path = self.manifest.lock_path();
        let v = index
            .versions
            .iter()
            .find(|v| Some(v.version.to_string().as_str()) == l.version.as_deref())
            .ok_or_else(|| {
                Error::runtime(format!(
                    "{}: {} {} is locked but registry {} has no such version",
                    lock_path.display(),
                    l.name,
                    l.version_text(),
                    provider.name
                ))
            })?;
        let a = v
            .artifacts
            .iter()
            .find(|a| a.platform == job.artifact.platform);
        let full_index_url = a.map(|a| {
            crate::lockfile::portable_url(
                &crate::registry::join(&provider.base, &a.url),
                &self.manifest.dir,
            )
        });
        match a {
            Some(a)
                if a.sha256 == job.artifact.sha256
                    && full_index_url.as_deref() == Some(job.artifact.url.as_str())
                    && a.format == job.artifact.format
                    && a.bin == job.artifact.bin
                    && (a.size.is_none() || job.artifact.size.is_none() || a.size == job.artifact.size) =>
            {
                Ok(())
            }
            Some(a) => Err(Error::runtime(format!(
                "{}: the entry for {} {} ({}) does not match the signed index of registry {}:\n  lock:  {} {} sha256 {} bin {:?}\n  index: {} {} sha256 {} bin {:?}\nrestore the lockfile from version control, or run `optimus plugin update {}`",
                lock_path.display(),
                l.name,
                l.version_text(),
                job.artifact.platform,
                provider.name,
                job.artifact.url,
                job.artifact.format,
                job.artifact.sha256,
                job.artifact.bin.as_deref().unwrap_or("-"),
                full_index_url.unwrap_or_default(),
                a.format,
                a.sha256,
                a.bin.as_deref().unwrap_or("-"),
                l.name
            ))),
            None => Err(Error::runtime(format!(
                "{}: registry {} has no {} artifact for {} {}",
                lock_path.display(),
                provider.name,
                job.artifact.platform,
                l.name,
                l.version_text()
            ))),
        }
    }
}

/// Writes the zip of installed yaml plugins that an Optimus server serves at `/plugins`.
pub fn write_yaml_bundle(dir: &Path, out: &Path) -> Result<usize> {
    let receipts = Receipts::read(dir)?;
    let mut files: Vec<&Receipt> = receipts.files.iter().filter(|r| r.kind == "yaml").collect();
    files.sort_by(|a, b| a.file.cmp(&b.file));
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::path("creating", parent, e))?;
    let tmp = fsutil::staging_path(parent);
    let res = (|| -> Result<()> {
        let f = File::create(&tmp).map_err(|e| Error::path("creating", &tmp, e))?;
        let mut zip = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for r in &files {
            let path = dir.join(&r.file);
            let data = fs::read(&path).map_err(|e| Error::path("reading", &path, e))?;
            zip.start_file(r.file.as_str(), opts)
                .map_err(|e| Error::runtime(format!("writing {}: {e}", out.display())))?;
            std::io::Write::write_all(&mut zip, &data)
                .map_err(|e| Error::path("writing", out, e))?;
        }
        let f = zip
            .finish()
            .map_err(|e| Error::runtime(format!("writing {}: {e}", out.display())))?;
        f.sync_all().map_err(|e| Error::path("syncing", out, e))?;
        fs::rename(&tmp, out).map_err(|e| Error::path("writing", out, e))
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.map(|_| files.len())
}

pub fn plugin_dir_display(dir: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    match dir.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => dir.display().to_string(),
    }
}

//! Executing a plan: each job is checked against the signed index, then linked from the
//! unpacked-file cache, or unpacked from the cached artifact, or fetched and unpacked in one
//! streaming pass. Everything lands as staged files beside its destination.

use super::plan::Job;
use super::Installer;
use crate::config::Provider;
use crate::error::{Error, Result};
use crate::extract::{Staged, Unpacker, Want};
use crate::model::artifact::{ArtifactKind, LockedUrl};
use crate::model::format::Format;
use crate::model::fsutil;
use crate::model::limits::Limits;
use crate::model::location::Location;
use crate::model::platform::Platform;
use crate::registry::PluginIndex;
use crate::store::fetch::Expect;
use std::path::PathBuf;
use std::sync::Arc;

/// The owned arguments of one unpacking (it runs on a blocking thread).
struct UnpackJob {
    what: String,
    want: Want,
    format: Format,
    limits: Limits,
    platform: Platform,
    dir: PathBuf,
    yaml_only: bool,
    target: crate::upstream::target::Target,
}

impl UnpackJob {
    fn unpacker(&self) -> Unpacker<'_> {
        Unpacker {
            limits: &self.limits,
            platform: &self.platform,
            stage_dir: &self.dir,
            what: &self.what,
            yaml_only: self.yaml_only,
            target: self.target,
        }
    }
}

impl Installer<'_> {
    pub(super) async fn run_job(&self, job: &Job<'_>) -> Result<Vec<Staged>> {
        // Before any cache shortcut: a lock entry edited to name another cached artifact's
        // hash must be refused, not served from the cache.
        let signed_url = self.check_against_index(job).await?;
        if let Some(s) = self.linked_from_cache(job) {
            self.reporter()
                .debug(&format!("{}: linked from the cache", job.plugin.name));
            return Ok(vec![s]);
        }
        let unpack = Arc::new(self.unpack_job(job));
        let artifact = match self.fetcher.cached(job.artifact.sha256.as_str()) {
            Some(a) => a,
            None => {
                let (full, provider) = self.fetch_location(job)?;
                // The signed index's url, when it vouched for the entry: the lock's lacks
                // what it scrubbed (a signed query of the artifact's own).
                let full = signed_url.clone().unwrap_or(full);
                let sources = self.fetcher.transport.artifact_sources(
                    &full,
                    provider.map(|p| p.origin()),
                    job.artifact.sha256.as_str(),
                )?;
                let expect = Expect {
                    sha256: Some(job.artifact.sha256.as_str()),
                    size: job.artifact.size,
                    what: &job.plugin.name,
                };
                if job.artifact.format != Format::Zip {
                    // One pass: download → cache file + sha256 + unpacker.
                    let u = unpack.clone();
                    let consume = Arc::new(move |r: &mut dyn std::io::Read| {
                        u.unpacker().unpack_reader(r, u.format, &u.want)
                    });
                    return self.fetcher.fetch_unpack(&sources, expect, consume).await;
                }
                // A zip's directory is at its end: it needs the whole file first.
                self.fetcher.fetch(&sources, expect).await?
            }
        };
        let what = unpack.what.clone();
        tokio::task::spawn_blocking(move || {
            unpack
                .unpacker()
                .unpack(&artifact.path, unpack.format, &unpack.want)
        })
        .await
        .map_err(|e| Error::Archive {
            artifact: what,
            message: format!("unpacking panicked: {e}"),
        })?
    }

    fn unpack_job(&self, job: &Job<'_>) -> UnpackJob {
        UnpackJob {
            what: format!("artifact {} of {}", job.artifact.url, job.plugin.name),
            want: job.want(),
            format: job.artifact.format,
            limits: self.manifest.limits.clone(),
            platform: self.options.platform.clone(),
            dir: self.plugin_dir().to_path_buf(),
            yaml_only: self.options.yaml_only,
            target: self.manifest.target,
        }
    }

    /// The warm path: the artifact was unpacked before on this machine.
    fn linked_from_cache(&self, job: &Job<'_>) -> Option<Staged> {
        if job.plugin.bundle || (self.options.yaml_only && job.artifact.format != Format::Yaml) {
            return None;
        }
        let platform = self.options.platform.to_string();
        let cached = self
            .fetcher
            .cache
            .recall_unpacked(&job.unpack_key(&platform))?;
        let kind = cached.kind;
        let file_name = job.expected_file(&self.options)?;
        // The target may differ from the one it was checked for: a yaml plugin this target
        // would refuse takes the full path, which refuses it.
        if kind == ArtifactKind::Yaml
            && crate::upstream::yaml::validate_staged(
                &cached.path,
                &file_name,
                &job.plugin.name,
                self.manifest.target,
            )
            .is_err()
        {
            return None;
        }
        let reserved = fsutil::reserve_temp(self.plugin_dir(), fsutil::STAGING_PREFIX).ok()?;
        let placed = self
            .options
            .linker
            .place(&cached.path, reserved.path(), self.reporter());
        let staged = reserved.keep();
        if placed.is_err() {
            // A copy that failed half-way (a full disk) must not stay behind.
            let _ = std::fs::remove_file(&staged);
            return None;
        }
        Some(Staged::linked(
            job.plugin.name.clone(),
            kind,
            file_name,
            staged,
            cached.sha256,
            cached.size,
        ))
    }

    /// Where to fetch a locked artifact: for direct artifacts the declaration (which may hold
    /// credentials the lock must not), else the lock's URL.
    fn fetch_location(&self, job: &Job<'_>) -> Result<(Location, Option<&Provider>)> {
        let provider = job
            .plugin
            .provider
            .as_deref()
            .map(|p| self.manifest.provider(p))
            .transpose()?;
        if job.plugin.source.is_some() {
            let d = self.manifest.declaration(&job.plugin.name).ok_or_else(|| {
                Error::in_lock(
                    &self.manifest.lock_source().path,
                    None,
                    format!("{} is locked but not declared", job.plugin.name),
                )
            })?;
            // Without `{os}`/`{arch}` placeholders the platform changes nothing.
            return Ok((
                self.manifest
                    .direct_location(d, job.artifact.platform.os())?,
                provider,
            ));
        }
        let full = job.artifact.url.location(&self.manifest.dir)?;
        // Under the provider's root, the root's user-info and query (which the lock does not
        // hold: they may be credentials) come back from the config.
        if let Some(rest) = provider.and_then(|p| full.strip_base(&p.base)) {
            let p = provider.expect("matched above");
            return Ok((p.base.join(&rest)?, provider));
        }
        Ok((full, provider))
    }

    /// Before downloading a registry artifact, checks the lock entry against the signed index:
    /// a lock edited to point at another file or hash is refused.
    async fn check_against_index(&self, job: &Job<'_>) -> Result<Option<Location>> {
        let l = job.plugin;
        // `--frozen` installs the lock as it is: no index is read (a yank or a re-signed index
        // is not seen; the artifacts are still checked against the lock's sha256).
        if l.source.is_some() || self.options.frozen {
            return Ok(None);
        }
        let Some(pname) = &l.provider else {
            return Ok(None);
        };
        let provider = self.manifest.provider(pname)?;
        if !provider.kind.holds_registry() {
            return Ok(None);
        }
        // Offline, the index can still be read from a mirror on disk (`--mirror`).
        if self.fetcher.transport.offline && provider.mirrors.iter().all(|m| m.is_remote()) {
            return Ok(None);
        }
        let client = self.registries.client(provider);
        // The copy of the signed index this machine last verified vouches for the entry
        // without a request (a warm install touches no network); otherwise ask the registry.
        if let Some(cached) = client.verified_cached_index(&l.name) {
            if let Ok(full) = self.compare_with_index(job, provider, &cached) {
                return Ok(full);
            }
        }
        let index = client.fetch_index(&l.name).await?;
        self.compare_with_index(job, provider, &index)
    }

    /// Compares a lock entry with a verified index: same url, sha256, format, bin and size.
    fn compare_with_index(
        &self,
        job: &Job<'_>,
        provider: &Provider,
        index: &PluginIndex,
    ) -> Result<Option<Location>> {
        let l = job.plugin;
        let lock_path = self.manifest.lock_source().path;
        let v = index
            .versions
            .iter()
            .find(|v| Some(v.version.to_string().as_str()) == l.version.as_deref())
            .ok_or_else(|| {
                Error::document(
                    lock_path.display().to_string(),
                    format!(
                        "{} {} is locked but registry {} has no such version",
                        l.name,
                        l.version_text(),
                        provider.name
                    ),
                )
            })?;
        // A lock written before a binary and its yaml were locked together holds the yaml
        // alone: say that the binary is published too.
        let platform = &self.options.platform;
        if l.artifacts.iter().all(|a| a.platform.is_any())
            && v.artifacts.iter().any(|a| a.platform == *platform)
        {
            self.reporter().warn(&format!(
                "{}: {} {} is locked with its yaml alone, but registry {} also publishes its {platform} binary: run `{}` to lock and install both",
                lock_path.display(),
                l.name,
                l.version_text(),
                provider.name,
                self.manifest.command(&format!("update {}", l.name))
            ));
        }
        let a = v
            .artifacts
            .iter()
            .find(|a| a.platform == job.artifact.platform);
        // The index's url in full (signed; with the credentials in the provider's url and any
        // query of its own, which the lock does not hold), and as the lock records it: the
        // one the lock must hold.
        let full = a.and_then(|a| a.url.under(&provider.base).ok());
        let index_url = full.as_ref().map(|u| LockedUrl::of(u, &self.manifest.dir));
        match a {
            Some(a)
                if a.sha256 == job.artifact.sha256
                    && index_url.as_ref() == Some(&job.artifact.url)
                    && a.format == job.artifact.format
                    && a.bin == job.artifact.bin
                    && (a.size.is_none() || job.artifact.size.is_none() || a.size == job.artifact.size) =>
            {
                Ok(full)
            }
            Some(a) => Err(Error::document(lock_path.display().to_string(), format!(
                "the entry for {} {} ({}) does not match the signed index of registry {}:\n  lock:  {} {} sha256 {} bin {:?}\n  index: {} {} sha256 {} bin {:?}\nrestore the lockfile from version control, or run `{}`",
                l.name,
                l.version_text(),
                job.artifact.platform,
                provider.name,
                job.artifact.url,
                job.artifact.format,
                job.artifact.sha256,
                job.artifact.bin.as_deref().unwrap_or("-"),
                index_url.map(|u| u.to_string()).unwrap_or_default(),
                a.format,
                a.sha256,
                a.bin.as_deref().unwrap_or("-"),
                self.manifest.command(&format!("update {}", l.name))
            ))),
            None => Err(Error::document(lock_path.display().to_string(), format!(
                "registry {} has no {} artifact for {} {}",
                provider.name,
                job.artifact.platform,
                l.name,
                l.version_text()
            ))),
        }
    }
}

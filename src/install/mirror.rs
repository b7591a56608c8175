//! `optimus-plugins mirror --output DIR`: a self-contained copy of what the lock needs, for
//! installs without the origin (air-gapped networks, CI without egress).
//!
//! `DIR/<provider>/` is a registry root holding, for every locked plugin of that provider, the
//! origin's own signed documents unchanged (`config.toml`, `timestamp.toml` and its signature,
//! `index/<name>.toml` and its signature) and the locked artifacts of the chosen platforms at
//! the same paths under the root (an artifact the index names by an absolute URL elsewhere goes
//! to `sha256/<hex>`). Nothing is re-signed: the mirror is trusted exactly as the origin is, by
//! the keys pinned in `optimus.yaml`, and a user of it needs no new key.
//!
//! The mirror is built in a staging directory beside `DIR`, then read back as a client would
//! (every index verified against the pinned keys and the mirror's timestamp, every locked
//! artifact found in the mirror's index with the lock's sha256, every file re-hashed against
//! the lock), and only then put in place of `DIR`: a failed run leaves `DIR` as it was. `DIR`
//! must be new, empty or a mirror (its `.optimus-mirror` marker, or an older mirror's layout):
//! `store::guard` refuses anything else before the first write.

use crate::config::{Manifest, Provider};
use crate::error::{Error, Result};
use crate::lockfile::{LockedArtifact, LockedPlugin, Lockfile};
use crate::model::digest::Sha256;
use crate::model::fsutil;
use crate::model::location::Location;
use crate::model::mirror_layout::mirror_path;
use crate::model::names::provider_dir;
use crate::model::platform::Platform;
use crate::registry::Registries;
use crate::store::fetch::{Expect, Fetcher};
use crate::store::guard::{guard_replace, Marker, Protected};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// What a mirror run wrote.
#[derive(Debug, Default)]
pub struct MirrorReport {
    pub providers: usize,
    pub plugins: usize,
    pub artifacts: usize,
    pub bytes: u64,
    /// Locked plugins a mirror cannot serve (direct artifacts), with why.
    pub skipped: Vec<String>,
}

pub struct Mirror<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub registries: &'a Registries,
    /// Platforms whose artifacts to copy (`any` always); empty: every locked platform.
    pub platforms: &'a [Platform],
    pub jobs: usize,
    /// What `--output` may never be (the config's directory, the home directory...).
    pub protected: &'a Protected,
}

/// One artifact to copy: from the lock entry, to its place under the staging root.
struct Copy<'l> {
    plugin: &'l LockedPlugin,
    artifact: &'l LockedArtifact,
    provider: &'l Provider,
    /// Path under the provider's directory in the mirror.
    rel: String,
}

impl Mirror<'_> {
    pub async fn build(&self, out: &Path) -> Result<MirrorReport> {
        // Before anything is read or written: `out` must be new, empty or a mirror.
        guard_replace(out, Marker::Mirror, self.protected, "--output")?;
        let lock_path = self.manifest.lock_path();
        let lock = Lockfile::read_for(self.manifest)?.ok_or_else(|| {
            Error::in_lock(
                &lock_path,
                None,
                format!(
                    "no lock to mirror: run `{}` first (with --platform for each platform the mirror must serve)",
                    self.manifest.command("lock")
                ),
            )
        })?;
        let mut report = MirrorReport::default();
        let mut by_provider: BTreeMap<&str, Vec<&LockedPlugin>> = BTreeMap::new();
        for l in &lock.plugins {
            match (&l.provider, &l.source) {
                (Some(p), None) if self.manifest.provider(p)?.kind.holds_registry() => {
                    by_provider.entry(p).or_default().push(l)
                }
                _ => report.skipped.push(format!(
                    "{} (a direct artifact, not from a registry: copy it yourself and point the config at the copy)",
                    l.name
                )),
            }
        }
        let parent = fsutil::absolute(out)
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::usage(format!("--output {}", out.display()), "no parent"))?;
        fs::create_dir_all(&parent).map_err(|e| Error::path("creating", &parent, e))?;
        // Registered as this process's: an interrupt removes it.
        let staging = StagingDir(
            fsutil::reserve_temp(&parent, ".optimus-mirror-")
                .map_err(|e| Error::path("creating", &parent, e))?
                .keep(),
        );
        let mut copies = Vec::new();
        for (name, plugins) in &by_provider {
            let provider = self.manifest.provider(name)?;
            let root = provider_dir(&staging.0, name)?;
            let names: Vec<String> = plugins.iter().map(|l| l.name.clone()).collect();
            let docs = self
                .registries
                .client(provider)
                .mirror_documents(&names)
                .await?;
            for (rel, bytes) in docs {
                write_new(&inside(&root, &rel, Written::Document)?, &bytes)?;
            }
            for l in plugins {
                for a in l.artifacts.iter().filter(|a| self.wanted(a)) {
                    copies.push(Copy {
                        plugin: l,
                        artifact: a,
                        provider,
                        rel: self.place_of(a, provider)?,
                    });
                }
            }
            report.providers += 1;
            report.plugins += plugins.len();
        }
        let results: Vec<Result<u64>> = futures::stream::iter(copies.iter())
            .map(|c| self.copy(c, &staging.0))
            .buffer_unordered(self.jobs.max(1))
            .collect()
            .await;
        for r in results {
            report.bytes += r?;
            report.artifacts += 1;
        }
        self.check(&staging.0, &by_provider).await?;
        staging.replace(out, self.protected)?;
        Ok(report)
    }

    fn wanted(&self, a: &LockedArtifact) -> bool {
        a.platform.is_any()
            || self.platforms.is_empty()
            || self.platforms.iter().any(|p| a.platform == *p)
    }

    /// Where an artifact goes under its provider's directory: the path the index names under
    /// the registry root, else `sha256/<hex>`.
    fn place_of(&self, a: &LockedArtifact, provider: &Provider) -> Result<String> {
        let loc = a.url.location(&self.manifest.dir)?;
        Ok(mirror_path(&loc, &provider.base, a.sha256.as_str()))
    }

    /// Fetches one artifact (verified against the lock's sha256, through the cache) and copies
    /// it into the staging root. Returns its size.
    async fn copy(&self, c: &Copy<'_>, staging: &Path) -> Result<u64> {
        let loc = c.artifact.url.location(&self.manifest.dir)?;
        let sources = self.fetcher.transport.artifact_sources(
            &loc,
            Some(c.provider.origin()),
            c.artifact.sha256.as_str(),
        )?;
        let expect = Expect {
            sha256: Some(c.artifact.sha256.as_str()),
            size: c.artifact.size,
            what: &c.plugin.name,
        };
        let got = self.fetcher.fetch(&sources, expect).await?;
        let root = provider_dir(staging, &c.provider.name)?;
        let dest = inside(&root, &c.rel, Written::Artifact)?;
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::path("creating", dir, e))?;
        }
        // A copy, never a hard link: the mirror is meant to be carried off and may be edited
        // there, and the cache trusts its artifacts without hashing them again.
        fs::copy(&got.path, &dest).map_err(|e| Error::path("writing", &dest, e))?;
        Ok(got.size)
    }

    /// Reads the staged mirror back as a client would, against the lock.
    async fn check(
        &self,
        staging: &Path,
        by_provider: &BTreeMap<&str, Vec<&LockedPlugin>>,
    ) -> Result<()> {
        // A registry reader of its own: nothing verified from the origin is reused.
        let regs = Registries::new(
            self.fetcher.transport.clone(),
            self.fetcher.cache.clone(),
            self.fetcher.reporter.clone(),
        );
        for (name, plugins) in by_provider {
            let mut provider = self.manifest.provider(name)?.clone();
            let root = provider_dir(staging, name)?;
            provider.base = Location::Path(root.clone());
            provider.mirrors.clear();
            let client = regs.client(&provider);
            for l in plugins {
                let idx = client.fetch_index(&l.name).await?;
                let version = l.version.as_deref().unwrap_or_default();
                let listed = idx
                    .versions
                    .iter()
                    .find(|v| v.version.to_string() == version)
                    .ok_or_else(|| {
                        Error::document(
                            format!("mirror of {}", provider.name),
                            format!(
                                "the index of {} has no version {version}, which the lock names",
                                l.name
                            ),
                        )
                    })?;
                let origin = self.manifest.provider(name)?;
                for a in l.artifacts.iter().filter(|a| self.wanted(a)) {
                    if !listed
                        .artifacts
                        .iter()
                        .any(|i| i.platform == a.platform && i.sha256 == a.sha256)
                    {
                        return Err(Error::document(
                            format!("mirror of {}", provider.name),
                            format!(
                                "{} {version} ({}): the signed index does not list the lock's sha256 {} (the lock and the registry disagree)",
                                l.name, a.platform, a.sha256
                            ),
                        ));
                    }
                    let file = inside(&root, &self.place_of(a, origin)?, Written::Artifact)?;
                    let (actual, _) = Sha256::of_file(&file)?;
                    if actual != a.sha256 {
                        return Err(Error::Checksum {
                            what: format!("mirror copy of {} ({})", l.name, a.platform),
                            url: file.display().to_string(),
                            expected: a.sha256.to_string(),
                            actual: actual.into_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the mirror writes at a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// One of the registry's signed documents (`config.toml`, `timestamp.toml`, `index/...`).
    Document,
    /// An artifact, at the path its index names.
    Artifact,
}

/// `rel` under a provider's directory of the mirror: the one way a path that came from a
/// registry (an index's artifact URL) or the lock becomes a file the mirror writes. It must be
/// a plain relative path that stays under `root` (no `..`, not absolute, no backslash), and an
/// artifact may not take the place of the registry's own documents.
fn inside(root: &Path, rel: &str, what: Written) -> Result<PathBuf> {
    let refuse = |why: &str| {
        Err(Error::Refused {
            what: format!("mirror {}", root.display()),
            problem: format!(
                "refusing to write {:?}: {why}",
                crate::model::redact::printable(rel)
            ),
        })
    };
    if !fsutil::is_safe_relative_path(rel) || rel.split('/').any(|c| c == "." || c.is_empty()) {
        return refuse("it is not a plain relative path under the mirror");
    }
    let document =
        rel == "config.toml" || rel.starts_with("timestamp.toml") || rel.starts_with("index/");
    if what == Written::Artifact && document {
        return refuse(
            "an artifact may not take the place of one of the registry's signed documents",
        );
    }
    let path = root.join(rel);
    if !fsutil::normalize(&path).starts_with(fsutil::normalize(root)) {
        return refuse("it leaves the mirror");
    }
    Ok(path)
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::path("creating", dir, e))?;
    }
    fs::write(path, bytes).map_err(|e| Error::path("writing", path, e))
}

/// The staging directory: removed on drop unless it replaced the output.
struct StagingDir(PathBuf);

impl StagingDir {
    /// Puts the staged mirror, marked as one, in place of `out` (the old one, if any, is
    /// removed after), if `out` is still new, empty or a mirror.
    fn replace(self, out: &Path, protected: &Protected) -> Result<()> {
        guard_replace(out, Marker::Mirror, protected, "--output")?;
        Marker::Mirror.write(&self.0)?;
        crate::model::interrupt::change(
            || format!("the mirror in {} was replaced", out.display()),
            || self.swap(out),
        )
    }

    fn swap(&self, out: &Path) -> Result<()> {
        let old = self.0.with_extension("old");
        let had_old = out.exists();
        if had_old {
            fs::rename(out, &old).map_err(|e| Error::path("moving aside", out, e))?;
        }
        if let Err(e) = fs::rename(&self.0, out) {
            if had_old {
                let _ = fs::rename(&old, out);
            }
            return Err(Error::path("moving the mirror into", out, e));
        }
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_writes_only_plain_paths_under_its_provider_directory() {
        let root = Path::new("/out/reg");
        let ok = |rel: &str, what| inside(root, rel, what).is_ok();
        assert!(ok(
            "artifacts/neo/1.0.0/optimus-plugin-neo.yaml",
            Written::Artifact
        ));
        assert!(ok(".bashrc", Written::Artifact));
        assert!(ok("sha256/ab", Written::Artifact));
        assert!(ok("index/neo.toml", Written::Document));
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "",
        ] {
            assert!(!ok(bad, Written::Artifact), "{bad:?}");
            assert!(!ok(bad, Written::Document), "{bad:?}");
        }
        for doc in [
            "config.toml",
            "timestamp.toml",
            "timestamp.toml.minisig",
            "index/neo.toml",
        ] {
            assert!(!ok(doc, Written::Artifact), "{doc}");
        }
    }
}

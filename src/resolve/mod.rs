//! Resolution: declarations + the old lock → the new lock.
//!
//! A locked entry that still fits its declaration keeps its version; only new or changed
//! declarations (and those named by `update`) are resolved again. Registry plugins resolve to
//! the highest version that matches the requirement, is not yanked and has an artifact for every
//! locked platform. Direct artifacts are downloaded once to record their sha256 (or checked
//! against the declared pins).

use crate::config::{Declaration, Manifest, Source};
use crate::error::{Error, PluginContext, Result};
use crate::lockfile::{LockedArtifact, LockedPlugin, Lockfile};
use crate::model::format::Format;
use crate::model::names::parse_artifact_file_name;
use crate::model::platform::{Platform, ANY};
use crate::model::redact;
use crate::registry::Registries;
use crate::store::fetch::{Expect, Fetcher};

mod images;
mod select;

use futures::StreamExt;
use select::is_templated;
pub use select::{misfit, select};
use std::collections::BTreeSet;

pub struct Resolution {
    pub lock: Lockfile,
    /// The lock as it was before (read once by the caller and handed over).
    pub previous: Option<Lockfile>,
    /// Whether `lock` differs from `previous` (so whether it needs writing).
    pub changed: bool,
    /// Plugins resolved anew, with their versions.
    pub resolved: Vec<String>,
    /// Lock entries dropped because they are no longer declared.
    pub dropped: Vec<String>,
}

pub struct Resolver<'a> {
    pub manifest: &'a Manifest,
    pub fetcher: &'a Fetcher,
    pub registries: &'a Registries,
    pub jobs: usize,
}

impl Resolver<'_> {
    /// Brings the lock up to date with the declarations for `platforms` (added to the locked
    /// ones). `refresh`: names to resolve anew even if they fit (`update`). `locked`: any change
    /// is an error, naming this flag (`--locked`, `--frozen`); then nothing is resolved and no
    /// index is read.
    pub async fn resolve(
        &self,
        previous: Option<Lockfile>,
        platforms: &[Platform],
        refresh: &BTreeSet<String>,
        locked: Option<&str>,
    ) -> Result<Resolution> {
        let empty = Lockfile::default();
        let old = previous.as_ref().unwrap_or(&empty);
        let mut all_platforms = old.platforms();
        all_platforms.extend(platforms.iter().cloned());
        all_platforms.sort();
        all_platforms.dedup();

        let mut keep = Vec::new();
        let mut todo = Vec::new();
        let mut problems = Vec::new();
        for d in &self.manifest.plugins {
            let reason = match old.get(&d.name) {
                None => Some("it is not in the lock".to_string()),
                Some(_) if refresh.contains(&d.name) => Some("an update was asked for".to_string()),
                Some(l) => misfit(d, l, &all_platforms),
            };
            match reason {
                None => {
                    let mut l = old.get(&d.name).cloned().expect("checked");
                    if let Source::Registry {
                        requirement_text, ..
                    } = &d.source
                    {
                        l.requirement = Some(requirement_text.clone());
                    }
                    keep.push(l);
                }
                Some(why) if locked.is_some() => problems.push(format!("  {}: {why}", d.name)),
                Some(_) => todo.push(d),
            }
        }
        let declared: BTreeSet<&str> = self
            .manifest
            .plugins
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        let dropped: Vec<String> = old
            .plugins
            .iter()
            .filter(|p| !declared.contains(p.name.as_str()))
            .map(|p| p.name.clone())
            .collect();
        if let Some(flag) = locked {
            for name in &dropped {
                problems.push(format!("  {name}: it is locked but no longer declared"));
            }
            if !problems.is_empty() {
                return Err(Error::config(format!(
                    "{flag}: {} does not match {}:\n{}\nrun `optimus-plugins lock -c {}` (without {flag}) to update it",
                    self.manifest.lock_source().path.display(),
                    self.manifest.path.display(),
                    problems.join("\n"),
                    self.manifest.path.display()
                )));
            }
        }

        let results: Vec<Result<LockedPlugin>> = futures::stream::iter(todo.iter().map(|d| {
            let plats = all_platforms.clone();
            async move {
                let r = self.resolve_one(d, &plats).await.plugin(&d.name);
                r.map_err(|e| self.located(e, &d.name))
            }
        }))
        .buffer_unordered(self.jobs.max(1))
        .collect()
        .await;
        let mut resolved = Vec::new();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(l) => {
                    resolved.push(format!("{} {}", l.name, l.version_text()));
                    keep.push(l);
                }
                Err(e) => errors.push(e),
            }
        }
        if let Some(first) = errors.into_iter().reduce(Error::combine) {
            return Err(first);
        }
        resolved.sort();
        let anew: BTreeSet<String> = todo.iter().map(|d| d.name.clone()).collect();
        self.lock_images(&mut keep, &anew, locked.is_some()).await?;
        keep.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &mut keep {
            p.artifacts.sort_by(|a, b| a.platform.cmp(&b.platform));
        }
        let lock = Lockfile {
            version: crate::lockfile::LOCK_VERSION,
            plugins: keep,
        };
        let changed = previous.as_ref() != Some(&lock);
        Ok(Resolution {
            lock,
            previous,
            changed,
            resolved,
            dropped,
        })
    }

    /// A resolution error, prefixed with where the plugin is declared (`optimus.yaml:12:`)
    /// unless it already names the config.
    fn located(&self, e: Error, name: &str) -> Error {
        let msg = e.to_string();
        let at = self.manifest.plugin_at(name);
        let file = crate::model::fsutil::shown(&self.manifest.path);
        if !at.contains(':')
            || msg.starts_with(&file)
            || msg.starts_with(&self.manifest.path.display().to_string())
        {
            return e;
        }
        e.at(at)
    }

    async fn resolve_one(&self, d: &Declaration, platforms: &[Platform]) -> Result<LockedPlugin> {
        match &d.source {
            Source::Registry {
                provider,
                requirement,
                requirement_text,
            } => {
                let provider = self.manifest.provider(provider)?;
                let index = self
                    .registries
                    .client(provider)
                    .fetch_index(&d.name)
                    .await?;
                let what = format!("{} (registry {})", d.name, provider.name);
                let (v, arts) = select(&index, requirement, platforms, &what)?;
                // A binary plugin with its yaml: the platforms it has no binary for get the
                // yaml alone, and the lock says so (else they would look not locked yet).
                let pair = v.artifacts.iter().any(|a| a.platform == ANY)
                    && v.artifacts.iter().any(|a| a.platform != ANY);
                let no_binary = platforms
                    .iter()
                    .map(|p| p.to_string())
                    .filter(|p| pair && !v.artifacts.iter().any(|a| &a.platform == p))
                    .collect();
                Ok(LockedPlugin {
                    no_binary,
                    name: d.name.clone(),
                    version: Some(v.version.to_string()),
                    provider: Some(provider.name.clone()),
                    source: None,
                    requirement: Some(requirement_text.clone()),
                    plugin_type: Some(index.plugin_type),
                    bundle: false,
                    images: Vec::new(),
                    artifacts: arts
                        .into_iter()
                        .map(|a| {
                            Ok(LockedArtifact {
                                url: provider
                                    .base
                                    .join_from_index(&a.url)?
                                    .portable(&self.manifest.dir),
                                ..a.clone()
                            })
                        })
                        .collect::<Result<_>>()?,
                })
            }
            Source::Direct {
                provider,
                declared,
                version,
                pins,
                bundle,
                ..
            } => {
                let templated = is_templated(declared);
                let targets: Vec<Option<&Platform>> = if templated {
                    platforms.iter().map(Some).collect()
                } else {
                    vec![None]
                };
                let mut artifacts = Vec::new();
                for p in targets {
                    let full = self.manifest.direct_location(d, p)?;
                    let prov = provider
                        .as_deref()
                        .map(|n| self.manifest.provider(n))
                        .transpose()?;
                    let file = full.file_name();
                    let format = Format::from_file_name(&file);
                    let platform = match p {
                        Some(p) => p.to_string(),
                        None if format == Format::Yaml || *bundle => ANY.to_string(),
                        None => parse_artifact_file_name(&file)
                            .and_then(|n| n.platform)
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| ANY.to_string()),
                    };
                    let pin = pins.for_platform(&platform);
                    let sources = self
                        .fetcher
                        .transport
                        .sources(&full, prov.map(|p| p.origin()))?;
                    let expect = Expect {
                        sha256: pin,
                        size: None,
                        what: &d.name,
                    };
                    let art = self.fetcher.fetch(&sources, expect).await?;
                    artifacts.push(LockedArtifact {
                        platform,
                        format,
                        // Like a URL's, a path's `${VAR}` values stay out of the lock (a
                        // direct artifact is fetched from its declaration, never from here).
                        url: redact::scrub(&full.portable(&self.manifest.dir)),
                        sha256: art.sha256,
                        size: Some(art.size),
                        bin: None,
                    });
                }
                Ok(LockedPlugin {
                    name: d.name.clone(),
                    version: version.clone(),
                    provider: provider.clone(),
                    source: Some(declared.clone()),
                    requirement: None,
                    plugin_type: None,
                    bundle: *bundle,
                    artifacts,
                    images: Vec::new(),
                    no_binary: Vec::new(),
                })
            }
        }
    }
}

//! Resolution: declarations + the old lock → the new lock.
//!
//! A locked entry that still fits its declaration keeps its version; only new or changed
//! declarations (and those named by `update`) are resolved again. Registry plugins resolve to
//! the highest version that matches the requirement, is not yanked and has an artifact for every
//! locked platform. Direct artifacts are downloaded once to record their sha256 (or checked
//! against the declared pins).

use crate::config::{resolve_location, Declaration, Manifest, Provider, Source};
use crate::error::{Error, PluginContext, Result};
use crate::fetch::Fetcher;
use crate::format::Format;
use crate::lockfile::{portable_url, LockedArtifact, LockedPlugin, Lockfile};
use crate::platform::{parse_artifact_file_name, Platform, ANY};
use crate::registry::{self, IndexArtifact, IndexVersion, PluginIndex, RegistryClient};
use futures::StreamExt;
use std::collections::BTreeSet;

/// Picks the version and the artifacts for `platforms` (spec §4).
pub fn select<'i>(
    index: &'i PluginIndex,
    req: &semver::VersionReq,
    platforms: &[Platform],
    what: &str,
) -> Result<(&'i IndexVersion, Vec<&'i IndexArtifact>)> {
    let mut matching: Vec<&IndexVersion> = index
        .versions
        .iter()
        .filter(|v| !v.yanked && req.matches(&v.version))
        .collect();
    matching.sort_by(|a, b| b.version.cmp(&a.version));
    for v in &matching {
        if let Some(arts) = artifacts_for(v, platforms) {
            return Ok((v, arts));
        }
    }
    let mut all: Vec<&IndexVersion> = index.versions.iter().collect();
    all.sort_by(|a, b| b.version.cmp(&a.version));
    let listing = if all.is_empty() {
        "none".to_string()
    } else {
        all.iter()
            .map(|v| {
                if v.yanked {
                    format!("{} (yanked)", v.version)
                } else {
                    v.version.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match matching.first() {
        None => Err(Error::runtime(format!(
            "{what}: no version satisfies {req} (available: {listing})"
        ))),
        Some(newest) => {
            let want: Vec<String> = platforms.iter().map(|p| p.to_string()).collect();
            let have: Vec<&str> = newest
                .artifacts
                .iter()
                .map(|a| a.platform.as_str())
                .collect();
            Err(Error::runtime(format!(
                "{what}: no version matching {req} has artifacts for {}; newest matching {} has: {}",
                want.join(", "),
                newest.version,
                if have.is_empty() { "none".to_string() } else { have.join(", ") }
            )))
        }
    }
}

fn artifacts_for<'i>(
    v: &'i IndexVersion,
    platforms: &[Platform],
) -> Option<Vec<&'i IndexArtifact>> {
    if let Some(any) = v.artifacts.iter().find(|a| a.platform == ANY) {
        return Some(vec![any]);
    }
    platforms
        .iter()
        .map(|p| {
            let p = p.to_string();
            v.artifacts.iter().find(|a| a.platform == p)
        })
        .collect()
}

/// Why a locked entry no longer fits its declaration; `None` when it fits.
pub fn misfit(d: &Declaration, l: &LockedPlugin, platforms: &[Platform]) -> Option<String> {
    let missing_platform = |templated: bool| {
        if !templated && l.artifacts.len() == 1 && l.artifacts[0].platform == ANY {
            return None;
        }
        platforms
            .iter()
            .find(|p| l.artifact_for(p).is_none())
            .map(|p| format!("the lock has no artifact for {p}"))
    };
    match &d.source {
        Source::Registry {
            provider,
            requirement,
            ..
        } => {
            if l.provider.as_deref() != Some(provider) || l.source.is_some() {
                return Some(format!("its provider is now {provider}"));
            }
            match l.version.as_deref().map(semver::Version::parse) {
                Some(Ok(v)) if requirement.matches(&v) => {}
                Some(Ok(v)) => {
                    return Some(format!("locked version {v} does not satisfy {requirement}"))
                }
                _ => return Some("the locked version is not a semver version".into()),
            }
            missing_platform(true)
        }
        Source::Direct {
            provider,
            declared,
            version,
            pins,
            bundle,
            ..
        } => {
            if l.source.as_deref() != Some(declared)
                || &l.provider != provider
                || &l.version != version
                || l.bundle != *bundle
            {
                return Some("its declaration changed".into());
            }
            if let Some(a) = l.artifacts.iter().find(|a| {
                pins.for_platform(&a.platform)
                    .is_some_and(|p| p != a.sha256)
            }) {
                return Some(format!("its sha256 pin for {} changed", a.platform));
            }
            missing_platform(is_templated(declared))
        }
    }
}

fn is_templated(s: &str) -> bool {
    s.contains("{os}") || s.contains("{arch}")
}

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
    pub jobs: usize,
}

impl Resolver<'_> {
    /// Brings the lock up to date with the declarations for `platforms` (added to the locked
    /// ones). `refresh`: names to resolve anew even if they fit (`update`). `locked`: any change
    /// is an error.
    pub async fn resolve(
        &self,
        previous: Option<Lockfile>,
        platforms: &[Platform],
        refresh: &BTreeSet<String>,
        locked: bool,
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
                Some(why) if locked => problems.push(format!("  {}: {why}", d.name)),
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
        if locked {
            for name in &dropped {
                problems.push(format!("  {name}: it is locked but no longer declared"));
            }
            if !problems.is_empty() {
                return Err(Error::config(format!(
                    "--locked: {} does not match {}:\n{}\nrun `optimus plugin lock -c {}` (without --locked) to update it",
                    self.manifest.lock_path().display(),
                    self.manifest.path.display(),
                    problems.join("\n"),
                    self.manifest.path.display()
                )));
            }
        }

        let results: Vec<Result<LockedPlugin>> = futures::stream::iter(todo.iter().map(|d| {
            let plats = all_platforms.clone();
            async move { self.resolve_one(d, &plats).await.plugin(&d.name) }
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

    async fn resolve_one(&self, d: &Declaration, platforms: &[Platform]) -> Result<LockedPlugin> {
        match &d.source {
            Source::Registry {
                provider,
                requirement,
                requirement_text,
            } => {
                let provider = self.manifest.provider(provider)?;
                let client = RegistryClient::new(self.fetcher, provider);
                let index = client.fetch_index(&d.name).await?;
                let what = format!("{} (registry {})", d.name, provider.name);
                let (v, arts) = select(&index, requirement, platforms, &what)?;
                Ok(LockedPlugin {
                    name: d.name.clone(),
                    version: Some(v.version.to_string()),
                    provider: Some(provider.name.clone()),
                    source: None,
                    requirement: Some(requirement_text.clone()),
                    plugin_type: Some(index.plugin_type),
                    bundle: false,
                    artifacts: arts
                        .into_iter()
                        .map(|a| LockedArtifact {
                            platform: a.platform.clone(),
                            format: a.format,
                            url: portable_url(
                                &registry::join(&provider.base, &a.url),
                                &self.manifest.dir,
                            ),
                            sha256: a.sha256.clone(),
                            size: a.size,
                            bin: a.bin.clone(),
                        })
                        .collect(),
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
                    let full = direct_url(self.manifest, d, p)?;
                    let prov = provider
                        .as_deref()
                        .map(|n| self.manifest.provider(n))
                        .transpose()?;
                    let file = full.rsplit('/').next().unwrap_or(&full).to_string();
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
                    let sources = sources(&self.fetcher.transport, &full, prov)?;
                    let art = self.fetcher.fetch(&sources, pin, None, &d.name).await?;
                    artifacts.push(LockedArtifact {
                        platform,
                        format,
                        url: portable_url(&full, &self.manifest.dir),
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
                })
            }
        }
    }
}

/// The full URL of a direct artifact for a platform (placeholders filled, `${VAR}` expanded).
pub fn direct_url(m: &Manifest, d: &Declaration, platform: Option<&Platform>) -> Result<String> {
    let Source::Direct {
        provider,
        template,
        version,
        ..
    } = &d.source
    else {
        return Err(Error::runtime(format!(
            "{} is not a direct artifact",
            d.name
        )));
    };
    let mut s = template
        .replace("{name}", &d.name)
        .replace("{version}", version.as_deref().unwrap_or(""));
    if let Some(p) = platform {
        s = s.replace("{os}", &p.os).replace("{arch}", &p.arch);
    }
    Ok(match provider {
        Some(p) => registry::join(&m.provider(p)?.base, s.trim_start_matches('/')),
        None => resolve_location(&s, &m.dir),
    })
}

/// Locations to try for a URL: the provider's mirrors (same layout) first, then the origin.
pub fn sources(
    t: &crate::transport::Transport,
    full: &str,
    provider: Option<&Provider>,
) -> Result<Vec<crate::transport::Location>> {
    let mut out = Vec::new();
    if let Some(p) = provider {
        if let Some(rest) = full.strip_prefix(p.base.trim_end_matches('/')) {
            for m in &p.mirrors {
                out.push(t.locate(&format!("{}{rest}", m.trim_end_matches('/')), Some(p))?);
            }
        }
    }
    out.push(t.locate(full, provider)?);
    Ok(out)
}

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
use crate::model::artifact::{ArtifactPlatform, LockedUrl};
use crate::model::format::Format;
use crate::model::names::parse_artifact_file_name;
use crate::model::platform::Platform;
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

/// A resolution error, prefixed with where the plugin is declared (`at`: `optimus.yaml:12`)
/// unless it is an error about the config already, which names its file and line (and the
/// plugin, when it is about the plugin's entry: then it is not named twice either).
fn located(e: Error, at: String) -> Error {
    let about_config =
        |e: &Error| matches!(e, Error::ConfigFile { .. } | Error::ConfigSyntax { .. });
    match e {
        Error::Plugin { plugin, source } if about_config(&source) => match *source {
            Error::ConfigFile {
                entry: Some(ref entry),
                ..
            } if *entry == format!("plugin {plugin}") => *source,
            other => Error::Plugin {
                plugin,
                source: Box::new(other),
            },
        },
        e if about_config(&e) || !at.contains(':') => e,
        e => e.at(at),
    }
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
                return Err(Error::usage(flag, format!(
                    "{} does not match {}:\n{}\nrun `optimus-plugins lock -c {}` (without {flag}) to update it",
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
                r.map_err(|e| located(e, self.manifest.plugin_at(&d.name)))
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
                let pair = v.artifacts.iter().any(|a| a.platform.is_any())
                    && v.artifacts.iter().any(|a| !a.platform.is_any());
                let no_binary = platforms
                    .iter()
                    .filter(|p| pair && !v.artifacts.iter().any(|a| a.platform == **p))
                    .cloned()
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
                            let full = a.url.under(&provider.base)?;
                            Ok(a.with_url(LockedUrl::of(&full, &self.manifest.dir)))
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
                        Some(p) => ArtifactPlatform::Os(p.clone()),
                        None if format == Format::Yaml || *bundle => ArtifactPlatform::Any,
                        None => parse_artifact_file_name(&file)
                            .and_then(|n| n.platform)
                            .map_or(ArtifactPlatform::Any, ArtifactPlatform::Os),
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
                        url: LockedUrl::recorded(redact::scrub(&full.portable(&self.manifest.dir))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn located_names_the_place_once() {
        let at = || "optimus.yaml:5".to_string();
        let own = Error::in_config(Path::new("optimus.yaml"), Some("plugin x".into()), "bad")
            .with_config_line(Path::new("optimus.yaml"), Some(5));
        assert_eq!(
            located(own.for_plugin("x"), at()).to_string(),
            "optimus.yaml:5: plugin x: bad"
        );
        let provider =
            Error::in_config(Path::new("optimus.yaml"), Some("provider r".into()), "gone");
        assert_eq!(
            located(provider.for_plugin("x"), at()).to_string(),
            "plugin x: optimus.yaml: provider r: gone"
        );
        let other = Error::document("index of x", "not TOML").for_plugin("x");
        assert_eq!(
            located(other, at()).to_string(),
            "optimus.yaml:5: plugin x: index of x: not TOML"
        );
        let unknown_line = Error::document("index of x", "not TOML");
        assert_eq!(
            located(unknown_line, "optimus.yaml".into()).to_string(),
            "index of x: not TOML"
        );
    }
}

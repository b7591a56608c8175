//! `outdated`: for each registry plugin, the locked version, the newest matching its
//! requirement ("wanted") and the newest overall ("latest"); with the locked image tags looked
//! up again, the whole report ([`OutdatedReport`]) the command prints.

use super::images::{check_images, ImageChecks};
use crate::config::{Manifest, Source};
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::platform::Platform;
use crate::registry::Registries;
use crate::resolve::select;
use crate::source::Transport;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Outdated {
    pub name: String,
    pub provider: String,
    pub requirement: String,
    pub locked: Option<String>,
    pub wanted: Option<String>,
    pub latest: Option<String>,
    /// `wanted` differs from `locked`: `update` moves to it.
    pub update_available: bool,
    /// `latest` differs from `locked`.
    pub outdated: bool,
    /// The locked version is yanked in the registry.
    pub yanked: bool,
    /// Why, when `yanked` and the publisher said (`yank --reason`).
    pub yank_reason: Option<String>,
}

/// What `outdated` found: the registry plugins and the locked image tags.
#[derive(Debug)]
pub struct OutdatedReport {
    pub plugins: Vec<Outdated>,
    pub images: ImageChecks,
}

impl OutdatedReport {
    /// Locked versions their registry has yanked.
    pub fn yanked(&self) -> Vec<&Outdated> {
        self.plugins.iter().filter(|r| r.yanked).collect()
    }

    /// Plugins `update` moves to a newer version within their requirement.
    pub fn updatable(&self) -> Vec<&str> {
        self.plugins
            .iter()
            .filter(|r| r.update_available)
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Plugins with newer versions only outside their requirement.
    pub fn beyond_requirement(&self) -> usize {
        self.plugins
            .iter()
            .filter(|r| r.outdated && r.wanted != r.latest)
            .count()
    }

    /// Plugins not locked yet.
    pub fn unlocked(&self) -> usize {
        self.plugins.iter().filter(|r| r.locked.is_none()).count()
    }

    /// Nothing to do: every plugin on its latest version, none yanked, no tag moved.
    pub fn current(&self) -> bool {
        self.updatable().is_empty()
            && self.beyond_requirement() == 0
            && self.yanked().is_empty()
            && self.images.moved() == 0
    }
}

/// The registry plugins of `manifest` against their indexes, and the locked image tags
/// against their registries.
pub async fn outdated_report(
    manifest: &Manifest,
    registries: &Registries,
    transport: &Transport,
) -> Result<OutdatedReport> {
    Ok(OutdatedReport {
        plugins: outdated(manifest, registries).await?,
        images: check_images(manifest, transport).await?,
    })
}

pub async fn outdated(manifest: &Manifest, registries: &Registries) -> Result<Vec<Outdated>> {
    let lock = Lockfile::read_for(manifest)?.unwrap_or_default();
    let platforms = match lock.platforms() {
        p if p.is_empty() => vec![Platform::host()],
        p => p,
    };
    let mut rows = Vec::new();
    for d in &manifest.plugins {
        let Source::Registry {
            provider,
            requirement,
            ..
        } = &d.source
        else {
            continue;
        };
        let index = registries
            .client(manifest.provider(provider)?)
            .fetch_index(&d.name)
            .await
            .map_err(|e| e.for_plugin(&d.name))?;
        let wanted = select(&index, requirement, &platforms, &d.name)
            .ok()
            .map(|(v, _)| v.version.to_string());
        let latest = index
            .versions
            .iter()
            .filter(|v| !v.yanked && v.version.pre.is_empty())
            .map(|v| &v.version)
            .max()
            .map(|v| v.to_string());
        let locked = lock.get(&d.name).map(|l| l.version_text().to_string());
        let yank = locked
            .as_deref()
            .and_then(|v| super::yanks::yank_of(&index, v));
        rows.push(Outdated {
            yanked: yank.is_some(),
            yank_reason: yank.flatten(),
            name: d.name.clone(),
            provider: provider.clone(),
            requirement: requirement.to_string(),
            update_available: wanted.is_some() && locked != wanted,
            outdated: latest.is_some() && locked != latest,
            locked,
            wanted,
            latest,
        });
    }
    Ok(rows)
}

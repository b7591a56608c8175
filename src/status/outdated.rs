//! `outdated`: for each registry plugin, the locked version, the newest matching its
//! requirement ("wanted") and the newest overall ("latest").

use crate::config::{Manifest, Source};
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::platform::Platform;
use crate::registry::Registries;
use crate::resolve::select;
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

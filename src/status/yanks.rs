//! Locked versions that their registry has since yanked. Resolution never picks a yanked
//! version, but a lock keeps the one it has (spec §4), so a yank reaches a project only when
//! something reads the registry's index again: `outdated`, `verify` (both report it) and
//! `install --deny-yanked` (refuses it). A no-op install without that flag reads no index.

use crate::config::{Manifest, Provider};
use crate::error::{Error, Result};
use crate::lockfile::{LockedPlugin, Lockfile};
use crate::registry::{PluginIndex, Registries};
use serde::Serialize;

/// A lock entry whose version the registry's signed index marks as yanked.
#[derive(Debug, Clone, Serialize)]
pub struct YankedLock {
    pub name: String,
    pub version: String,
    pub provider: String,
    /// The publisher's reason (`yank --reason`), when one was given.
    pub reason: Option<String>,
}

impl YankedLock {
    /// `bq2bq 0.3.0 is yanked in registry odpf: <reason>`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} is yanked in registry {}{}",
            self.name,
            self.version,
            self.provider,
            self.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_else(|| " (no reason given)".into())
        )
    }
}

/// Whether `version` is yanked in `index`: `Some(reason)` when it is.
pub fn yank_of(index: &PluginIndex, version: &str) -> Option<Option<String>> {
    index
        .versions
        .iter()
        .find(|v| v.version.to_string() == version)
        .filter(|v| v.yanked)
        .map(|v| v.yank_reason.clone())
}

/// The registry provider a lock entry came from (`None` for direct artifacts).
fn registry_of<'m>(manifest: &'m Manifest, l: &LockedPlugin) -> Result<Option<&'m Provider>> {
    if l.source.is_some() || l.version.is_none() {
        return Ok(None);
    }
    let Some(name) = &l.provider else {
        return Ok(None);
    };
    let p = manifest.provider(name)?;
    Ok(p.kind.holds_registry().then_some(p))
}

/// What checking the lock against the registries found.
#[derive(Debug, Default)]
pub struct YankCheck {
    pub yanked: Vec<YankedLock>,
    /// Plugins whose index could not be read (network, signature, offline cache): not
    /// checked, with why.
    pub unchecked: Vec<(String, Error)>,
}

/// Reads the index of every registry plugin in `lock` that `wanted` selects and reports those
/// locked at a yanked version. An index that cannot be read is recorded, not fatal.
pub async fn check_lock(
    manifest: &Manifest,
    lock: &Lockfile,
    registries: &Registries,
    wanted: impl Fn(&LockedPlugin) -> bool,
) -> Result<YankCheck> {
    let mut out = YankCheck::default();
    for l in lock.plugins.iter().filter(|l| wanted(l)) {
        let Some(provider) = registry_of(manifest, l)? else {
            continue;
        };
        let index = match registries.client(provider).fetch_index(&l.name).await {
            Ok(i) => i,
            Err(e) => {
                out.unchecked.push((l.name.clone(), e.for_plugin(&l.name)));
                continue;
            }
        };
        if let Some(reason) = yank_of(&index, l.version_text()) {
            out.yanked.push(YankedLock {
                name: l.name.clone(),
                version: l.version_text().to_string(),
                provider: provider.name.clone(),
                reason,
            });
        }
    }
    Ok(out)
}

/// `install --deny-yanked`: an error naming every selected lock entry that is yanked (or
/// whose index could not be read: the check cannot be skipped).
pub async fn deny_yanked(
    manifest: &Manifest,
    lock: &Lockfile,
    registries: &Registries,
    wanted: impl Fn(&LockedPlugin) -> bool,
) -> Result<()> {
    let check = check_lock(manifest, lock, registries, wanted).await?;
    if let Some((_, e)) = check.unchecked.into_iter().next() {
        return Err(Error::Refused {
            what: "--deny-yanked".into(),
            problem: format!("cannot tell whether a locked version is yanked: {e}"),
        });
    }
    if check.yanked.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = check
        .yanked
        .iter()
        .map(|y| format!("  {}", y.describe()))
        .collect();
    let names: Vec<&str> = check.yanked.iter().map(|y| y.name.as_str()).collect();
    Err(Error::Refused {
        what: "--deny-yanked".into(),
        problem: format!(
            "{} locks {} yanked version(s):\n{}\nnothing was installed; run `{}` to move to versions that are not yanked",
            crate::model::fsutil::shown(&manifest.lock_source().path),
            check.yanked.len(),
            lines.join("\n"),
            manifest.command(&format!("update {}", names.join(" ")))
        ),
    })
}

/// `verify`: the registry plugins locked for `platform` in the project's lock, checked for
/// yanks (no lock: nothing to check).
pub async fn check_project(
    manifest: &Manifest,
    registries: &Registries,
    platform: &crate::model::platform::Platform,
) -> Result<YankCheck> {
    let Some(lock) = Lockfile::read_for(manifest)? else {
        return Ok(YankCheck::default());
    };
    check_lock(manifest, &lock, registries, |l| {
        !l.artifacts_for(platform).is_empty()
    })
    .await
}

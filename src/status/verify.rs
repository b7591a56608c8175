//! `verify`: re-hash every installed file against its receipt, and every receipt against the
//! lock.

use super::plugin_files;
use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::digest::Sha256;
use crate::model::fsutil::shown;
use crate::model::platform::{Platform, ANY};
use crate::model::report::Silent;
use crate::receipts::Receipts;
use crate::store::journal;
use crate::store::lock::lock_dir;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Verification {
    /// Files re-hashed.
    pub checked: usize,
    /// One line per difference: `missing`, `modified`, `extra` or `outdated`, and the file.
    pub problems: Vec<String>,
    /// Plugin files in the plugin dir that this tool did not install (not verified).
    pub unmanaged: Vec<PathBuf>,
}

pub fn verify(manifest: &Manifest, platform: &Platform) -> Result<Verification> {
    let dir = &manifest.plugin_dir;
    // A run killed after committing to a change: complete it first (under the directory lock,
    // so a run still going is waited for rather than raced).
    if dir.join(journal::FILE).exists() {
        let _guard = lock_dir(dir, &Silent)?;
        journal::recover(dir)?;
    }
    let lock = Lockfile::read_for(manifest)?.ok_or_else(|| {
        Error::runtime(format!(
            "{}: no lockfile to verify against; run `optimus plugin install` (or `lock`) first",
            shown(&manifest.lock_path())
        ))
    })?;
    let receipts = Receipts::read(dir)?;
    let mut out = Verification::default();
    let plat = platform.to_string();
    let for_platform = |p: &str| p == plat || p == ANY;
    for r in receipts.files.iter().filter(|r| for_platform(&r.platform)) {
        let path = dir.join(&r.file);
        let file = shown(&path);
        out.checked += 1;
        match Sha256::of_file(&path) {
            Err(_) => out.problems.push(format!(
                "missing   {file} ({} {} was installed here)",
                r.plugin, r.version
            )),
            Ok((sha, _)) if !sha.matches(&r.sha256) => out.problems.push(format!(
                "modified  {file} (sha256 {sha}, installed as {})",
                r.sha256
            )),
            Ok(_) => {}
        }
        if r.source == "host" {
            continue;
        }
        match lock.get(&r.source) {
            None => out.problems.push(format!(
                "extra     {file} ({} is installed but not in the lock)",
                r.source
            )),
            Some(l) => match l.artifact_for(platform) {
                Some(a) if r.installed_from(a) => {}
                _ => out.problems.push(format!(
                    "outdated  {file} (installed {} {}, the lock says {})",
                    r.plugin,
                    r.version,
                    l.version_text()
                )),
            },
        }
    }
    for l in lock
        .plugins
        .iter()
        .filter(|l| l.artifact_for(platform).is_some())
    {
        let installed = receipts
            .files
            .iter()
            .any(|r| r.source == l.name && for_platform(&r.platform));
        if !installed {
            out.problems.push(format!(
                "missing   {} {} (locked for {plat}, not installed)",
                l.name,
                l.version_text()
            ));
        }
    }
    let managed: Vec<_> = receipts.files.iter().map(|r| dir.join(&r.file)).collect();
    out.unmanaged = plugin_files(dir, platform)
        .into_iter()
        .map(|(p, _, _)| p)
        .filter(|p| {
            !managed
                .iter()
                .any(|m| crate::model::fsutil::normalize(m) == crate::model::fsutil::normalize(p))
        })
        .collect();
    Ok(out)
}

//! `verify`: re-hash every installed file against its receipt, and every receipt against the
//! lock.

use super::plugin_files;
use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::artifact::ArtifactKind;
use crate::model::digest::Sha256;
use crate::model::fsutil::shown;
use crate::model::platform::Platform;
use crate::receipts::Receipts;
use crate::store::journal;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Verification {
    /// Files re-hashed.
    pub checked: usize,
    /// One line per difference: `missing`, `modified`, `mode`, `extra` or `outdated`, and the
    /// file.
    pub problems: Vec<String>,
    /// Plugin files in the plugin dir that this tool did not install (not verified).
    pub unmanaged: Vec<PathBuf>,
}

pub fn verify(manifest: &Manifest, platform: &Platform) -> Result<Verification> {
    let dir = &manifest.plugin_dir;
    let mut out = Verification::default();
    // A run killed after committing to a change: `verify` writes nothing, so it says so and
    // leaves completing it to `install` (what follows compares the files as they are).
    if let Some(j) = journal::pending(dir) {
        out.problems.push(format!(
            "unfinished {} (an install, sync or remove was interrupted after it committed its change; `optimus-plugins install` completes it)",
            shown(&j)
        ));
    }
    let lock = Lockfile::read_for(manifest)?.ok_or_else(|| {
        let problem = match out.problems.first() {
            Some(unfinished) => format!("no lockfile yet, and {unfinished}"),
            None => format!(
                "no lockfile to verify against; run `{}` (or `lock`) first",
                manifest.command("install")
            ),
        };
        Error::document(shown(&manifest.lock_path()), problem)
    })?;
    let receipts = Receipts::read(dir)?;
    let plat = platform.to_string();
    for r in receipts.for_platform(platform) {
        let path = dir.join(&r.file);
        let file = shown(&path);
        out.checked += 1;
        match Sha256::of_file(&path) {
            Err(_) => out.problems.push(format!(
                "missing   {file} ({} {} was installed here)",
                r.plugin, r.version
            )),
            Ok((sha, _)) if sha != r.sha256 => out.problems.push(format!(
                "modified  {file} (sha256 {sha}, installed as {})",
                r.sha256
            )),
            Ok(_) => {
                let fix = if r.source.is_host() {
                    "optimus-plugins sync --host URL"
                } else {
                    "optimus-plugins install"
                };
                if let Some(detail) = super::mode_detail(r, &path, fix) {
                    out.problems.push(format!("mode      {file} ({detail})"));
                }
            }
        }
        let Some(source) = r.source.lock_entry() else {
            continue;
        };
        match lock.get(source) {
            None => out.problems.push(format!(
                "extra     {file} ({} is installed but not in the lock)",
                r.source
            )),
            Some(l)
                if l.artifacts_for(platform)
                    .iter()
                    .any(|a| r.installed_from(a)) => {}
            Some(l) => out.problems.push(format!(
                "outdated  {file} (installed {} {}, the lock says {})",
                r.plugin,
                r.version,
                l.version_text()
            )),
        }
    }
    for l in &lock.plugins {
        let arts = l.artifacts_for(platform);
        let mine: Vec<_> = receipts
            .for_platform(platform)
            .filter(|r| r.source.lock_entry() == Some(&l.name))
            .collect();
        if mine.is_empty() && !arts.is_empty() {
            out.problems.push(format!(
                "missing   {} {} (locked for {plat}, not installed)",
                l.name,
                l.version_text()
            ));
            continue;
        }
        // A binary plugin locked with its yaml: each of the two must be there.
        for a in arts.iter().filter(|_| !l.bundle) {
            let yaml = a.format == crate::model::format::Format::Yaml;
            if !mine.iter().any(|r| (r.kind == ArtifactKind::Yaml) == yaml) {
                let file = match yaml {
                    true => crate::model::names::yaml_file_name(&l.name),
                    false => platform.binary_file_name(&l.name),
                };
                out.problems.push(format!(
                    "missing   {} ({} {} is locked with it for {plat}, not installed)",
                    shown(&dir.join(file)),
                    l.name,
                    l.version_text()
                ));
            }
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

//! `remove`: uninstall plugins and drop them from the lock. Only files this program
//! installed are touched, and (as for `install`) a file changed since it was installed is left
//! in place with a warning.

use super::commit;
use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::fsutil;
use crate::model::names::{check_plugin_name, did_you_mean, yaml_file_name};
use crate::model::platform::Platform;
use crate::model::report::Reporter;
use crate::receipts::{Receipt, Receipts};
use crate::store::journal::{self, Journal, Write};
use crate::store::lock::{lock_dir, lock_project};
use std::path::PathBuf;

/// What a removal did.
#[derive(Debug, Default)]
pub struct Removed {
    pub names: Vec<String>,
    /// Removed names still declared in the config (the next install brings them back).
    pub still_declared: Vec<String>,
}

/// Removes `names` from the plugin dir (their receipted files) and from the lock.
pub fn remove(manifest: &Manifest, names: &[String], reporter: &dyn Reporter) -> Result<Removed> {
    for n in names {
        check_plugin_name(n)?;
    }
    let dir = &manifest.plugin_dir;
    let _project = lock_project(&manifest.dir, reporter)?;
    let held = lock_dir(dir, reporter)?;
    super::owner::claim(&held, manifest, false)?;
    let lock_path = manifest.lock_path();
    journal::recover(&held, Some(&lock_path))?;
    let mut lock = Lockfile::read_for(manifest)?.unwrap_or_default();
    let mut receipts = Receipts::read(dir)?;
    let mut out = Removed::default();
    // Files, receipts and lock change as one step, and only once every name was accepted.
    let mut journal = Journal::default();
    for n in names {
        let files: Vec<Receipt> = receipts
            .files
            .iter()
            .filter(|r| r.source.as_str() == n || &r.plugin == n)
            .cloned()
            .collect();
        if files.is_empty() && lock.get(n).is_none() {
            let known = lock.plugins.iter().map(|p| p.name.as_str());
            let hint = did_you_mean(n, known);
            return Err(not_ours(
                n,
                dir.join(yaml_file_name(n)),
                dir.join(Platform::host().binary_file_name(n)),
                &hint,
            ));
        }
        commit::journal_removals(dir, &mut receipts, &files, reporter, &mut journal);
        lock.plugins.retain(|p| &p.name != n);
        out.names.push(n.clone());
        if manifest.declaration(n).is_some() {
            out.still_declared.push(n.clone());
        }
    }
    journal.writes.push(Write {
        path: fsutil::absolute(&Receipts::path(dir)),
        text: receipts.to_text(),
    });
    journal.writes.push(Write {
        path: fsutil::absolute(&lock_path),
        text: lock.to_text(),
    });
    journal.commit(&held)?;
    Ok(out)
}

/// The error for a name neither installed nor locked: say whether a file of that name was put
/// there by hand (and is therefore left alone).
fn not_ours(n: &str, yaml: PathBuf, binary: PathBuf, hint: &str) -> Error {
    match [yaml, binary].into_iter().find(|p| p.is_file()) {
        Some(p) => Error::NotOurs {
            path: fsutil::shown(&p).into(),
            problem: format!(
                "{n} is neither installed nor locked by optimus-plugins: it was put there by hand, so it is left alone (delete it yourself if you want it gone)"
            ),
        },
        // The name as typed (a typo, most likely): the text says it whole.
        None => Error::config(format!("{n} is neither installed nor locked{hint}")),
    }
}

//! Committing (shared by `install`, `sync --host` and `remove`): staged files to rename into
//! place and installed files to remove (only when unmodified) are recorded in a
//! [`Journal`], which carries them out with the receipts and the lock as one step.

use crate::error::{Error, Result};
use crate::extract::Staged;
use crate::model::report::Reporter;
use crate::receipts::{mtime_ns, Receipt, Receipts};
use crate::store::journal::{Journal, Rename};
use std::fs;
use std::path::Path;

/// A staged file and the receipt it gets once in place (its mtime is filled in then).
pub struct Placement {
    pub staged: Staged,
    pub receipt: Receipt,
}

/// Records every placement in `journal` (staging file → its name) and in `receipts`, with the
/// mtime the file keeps through the rename; nothing is renamed yet (the journal does it, with
/// the receipts and the lock, as one step). An unmanaged file at a destination is replaced with
/// a warning.
pub fn journal_placements(
    dir: &Path,
    receipts: &mut Receipts,
    placements: Vec<Placement>,
    reporter: &dyn Reporter,
    journal: &mut Journal,
) -> Result<Vec<(Staged, Receipt)>> {
    let mut placed = Vec::new();
    for Placement {
        staged,
        mut receipt,
    } in placements
    {
        let dest = dir.join(&staged.file_name);
        if receipts.find(&staged.file_name).is_none() {
            check_not_someones(&dest, &staged, reporter)?;
        }
        let meta =
            fs::metadata(&staged.staged).map_err(|e| Error::path("reading", &staged.staged, e))?;
        receipt.mtime_ns = mtime_ns(&meta);
        let from = staged
            .staged
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        journal.renames.push(Rename {
            from,
            to: staged.file_name.clone(),
        });
        receipts.files.retain(|r| r.file != staged.file_name);
        receipts.files.push(receipt.clone());
        placed.push((staged, receipt));
    }
    Ok(placed)
}

/// A file at `dest` that this tool did not install (no receipt) is someone's: it is taken
/// over only when it already holds exactly the bytes to install (then nothing is lost);
/// otherwise the commit is refused before anything changes, naming the file and the fix.
fn check_not_someones(dest: &Path, staged: &Staged, reporter: &dyn Reporter) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(dest) else {
        return Ok(());
    };
    let same = meta.is_file()
        && crate::model::digest::Sha256::of_file(dest).is_ok_and(|(sha, _)| sha == staged.sha256);
    if same {
        reporter.warn(&format!(
            "taking over {} (not installed by optimus-plugins, but it holds exactly what is being installed)",
            dest.display()
        ));
        return Ok(());
    }
    Err(Error::NotOurs {
        path: dest.to_path_buf(),
        problem: format!(
            "is in the way of plugin {}: it was not installed by optimus-plugins, and replacing it would lose it. Move it elsewhere (or delete it if it is an old copy), then run again; nothing was changed",
            staged.plugin
        ),
    })
}

/// Removals into a journal: unmodified files of `stale` receipts are to be deleted, changed
/// ones left in place with a warning (they are the user's now); all are forgotten.
pub fn journal_removals(
    dir: &Path,
    receipts: &mut Receipts,
    stale: &[Receipt],
    reporter: &dyn Reporter,
    journal: &mut Journal,
) {
    for r in stale {
        let path = dir.join(&r.file);
        if path.exists() {
            if unmodified(dir, r) {
                journal.remove.push(r.file.clone());
            } else {
                reporter.warn(&format!(
                    "left {} in place: it changed since it was installed",
                    path.display()
                ));
            }
        }
        receipts.files.retain(|x| x.file != r.file);
    }
}

/// Whether an installed file is as it was installed (size and mtime, else its sha256).
pub fn unmodified(dir: &Path, r: &Receipt) -> bool {
    r.looks_intact(dir) || r.rehash_matches(dir).unwrap_or(false)
}

//! What `sync --host` checks about the whole set before it swaps it in: the bundle must
//! install every yaml plugin it holds (an entry this tool cannot install is an error, and so is
//! a bundle that installs nothing: it would only remove), and the plugin directory as it will
//! be after the swap must not stop Optimus at startup where it did not before (two yaml
//! plugins with one `name:`, a binary left without its yaml, ...): the same startup checks
//! `list` reports, run over every directory Optimus searches on this machine, with a scratch
//! copy of the plugin directory as it will be in its place.

use crate::error::{Error, Result};
use crate::extract::Staged;
use crate::model::fsutil;
use crate::model::names::yaml_plugin_name;
use crate::model::platform::Platform;
use crate::model::redact::printable;
use crate::receipts::Receipt;
use crate::upstream::discover;
use crate::upstream::target::Target;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Every `optimus-plugin-*.yaml` entry of the bundle (by base name) must have been staged,
/// and at least one must: a bundle that installs nothing the server serves is refused before
/// anything is removed.
pub fn check_all_staged(entries: &[String], staged: &[Staged], what: &str) -> Result<()> {
    let placed: BTreeSet<&str> = staged.iter().map(|s| s.file_name.as_str()).collect();
    let left: Vec<String> = entries
        .iter()
        .filter(|e| e.ends_with(".yaml") && !placed.contains(e.as_str()))
        .map(|e| {
            let name = yaml_plugin_name(e).unwrap_or_default();
            format!(
                "  {}: `{}` is not a plugin name this tool installs (^[a-z0-9][a-z0-9_-]{{0,63}}$)",
                printable(e),
                printable(name)
            )
        })
        .collect();
    if !left.is_empty() {
        return Err(Error::Archive {
            artifact: what.to_string(),
            message: format!(
                "holds yaml plugins that cannot be installed:\n{}\nthe server should serve them as optimus-plugin-<name>.yaml with a lower-case name",
                left.join("\n")
            ),
        });
    }
    if staged.is_empty() {
        return Err(Error::Archive {
            artifact: what.to_string(),
            message: "holds no yaml plugin to install (an empty bundle would only remove the plugins synced before)".into(),
        });
    }
    Ok(())
}

/// Runs Optimus's startup checks over the directories it searches (`search`, in its order;
/// `dir` alone when it is not among them) with `dir` as it is, and as it will be once
/// `staged` is in place and `gone` is removed; a startup error the swap would add refuses
/// it. A plugin in another searched directory (`~/.optimus/plugins`, the optimus
/// executable's) counts as one in `dir` does.
pub fn check_startup(
    dir: &Path,
    search: &[PathBuf],
    staged: &[&Staged],
    gone: &[Receipt],
    target: Target,
) -> Result<()> {
    let rules = target.rules();
    let platform = Platform::host();
    let here = fsutil::normalize(dir);
    let dirs: Vec<PathBuf> = match search.iter().any(|d| fsutil::normalize(d) == here) {
        true => search.to_vec(),
        false => vec![dir.to_path_buf()],
    };
    let before = discover(rules, &dirs, &platform, &[]).startup_errors;
    // Reserved first: an interrupt removes it (`model::interrupt`).
    let path = std::env::temp_dir().join(fsutil::unique_name("optimus-sync-check-"));
    let reserved = crate::model::interrupt::reserve(path.clone())
        .map_err(|e| Error::path("creating", &path, e))?;
    fs::create_dir_all(&path).map_err(|e| Error::path("creating", &path, e))?;
    let scratch = Scratch(reserved.keep());
    let removed: BTreeSet<&str> = gone.iter().map(|r| r.file.as_str()).collect();
    let replaced: BTreeSet<&str> = staged.iter().map(|s| s.file_name.as_str()).collect();
    // What stays: plugin-looking files not removed nor replaced. Discovery reads yaml files
    // and only the names of binaries.
    for e in fs::read_dir(dir)
        .map_err(|e| Error::path("listing", dir, e))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if removed.contains(name.as_str())
            || replaced.contains(name.as_str())
            || name.starts_with('.')
            || !e.path().is_file()
        {
            continue;
        }
        if rules.is_yaml_file(&name) {
            copy(&e.path(), &scratch.0.join(&name))?;
        } else if name.starts_with("optimus-") {
            fs::write(scratch.0.join(&name), b"")
                .map_err(|e| Error::path("writing", &scratch.0, e))?;
        }
    }
    for s in staged {
        copy(&s.staged, &scratch.0.join(&s.file_name))?;
    }
    let in_place: Vec<PathBuf> = dirs
        .iter()
        .map(|d| match fsutil::normalize(d) == here {
            true => scratch.0.clone(),
            false => d.clone(),
        })
        .collect();
    let after = discover(rules, &in_place, &platform, &[]);
    // An interrupt removes the scratch copy: what discovery read after that is not the set.
    if crate::model::interrupt::stopping() {
        return Err(Error::Interrupted);
    }
    let mut known = before;
    let mut added = Vec::new();
    for e in &after.startup_errors {
        match known.iter().position(|k| k == e) {
            Some(i) => {
                known.remove(i);
            }
            None => added.push(e.clone()),
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    let shown = |p: &Path| {
        p.display()
            .to_string()
            .replace(&scratch.0.display().to_string(), &dir.display().to_string())
    };
    let notes: Vec<String> = after
        .discovered
        .iter()
        .filter(|d| !d.used)
        .filter_map(|d| {
            d.note
                .as_ref()
                .map(|n| format!("  {}: {}", shown(&d.path), shown(Path::new(n))))
        })
        .collect();
    Err(Error::Refused {
        what: dir.display().to_string(),
        problem: format!(
            "after this sync, Optimus ({target}) would refuse to start: {}\n{}",
            added.join("; "),
            notes.join("\n")
        ),
    })
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| Error::path("copying to", to, e))
}

/// The scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

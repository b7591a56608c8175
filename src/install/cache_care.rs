//! `cache prune` and `cache clean`: what the recorded projects reference (their locks and the
//! receipts of their plugin directories), and removing the rest under the cache's exclusive
//! lock (every install holds it shared: an entry an install relies on never goes under it).

use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::report::Reporter;
use crate::receipts::Receipts;
use crate::store::guard::{guard_replace, Found, Marker, Protected};
use crate::store::lock::{lock_cache, CacheLock};
use crate::store::prune::{self, Entry, Inventory, Keep, PruneOptions, Totals};
use crate::store::Cache;
use std::path::PathBuf;
use std::time::SystemTime;

/// What a prune or clean removed (or would remove, with `dry_run`).
#[derive(Debug)]
pub struct Removal {
    pub before: u64,
    pub removed: Totals,
    pub after: u64,
    /// Project records forgotten because their lock is gone.
    pub forgotten: Vec<PathBuf>,
    pub projects: usize,
    /// Removed files still hard-linked into projects (their space is freed with the last link).
    pub shared: u64,
    /// Area directories not followed (symbolic links).
    pub skipped: Vec<PathBuf>,
}

/// The cache, held alone for a prune or clean, once the one rule on what may be emptied
/// ([`guard_replace`]) allows it: `None` when there is no cache (nothing to do, nothing made).
/// A cache an older optimus made (its layout, no marker) gets the marker now (not on a dry run).
fn hold(
    cache: &Cache,
    protected: &Protected,
    dry_run: bool,
    reporter: &dyn Reporter,
) -> Result<Option<CacheLock>> {
    match guard_replace(&cache.root, Marker::Cache, protected, "cache directory")? {
        Found::Absent | Found::Empty => return Ok(None),
        Found::Legacy if !dry_run => Marker::Cache.write(&cache.root)?,
        Found::Legacy | Found::Marked => {}
    }
    lock_cache(&cache.root, true, reporter).map(Some)
}

fn nothing(projects: usize) -> Removal {
    Removal {
        before: 0,
        removed: prune::totals(std::iter::empty()),
        after: 0,
        forgotten: Vec::new(),
        projects,
        shared: 0,
        skipped: Vec::new(),
    }
}

/// The artifacts and files every recorded project references; records whose lock is gone are
/// forgotten (unless `dry_run`). A lock or receipts file that cannot be read is an error:
/// without it, prune cannot tell what that project needs.
fn references(
    cache: &Cache,
    dry_run: bool,
    only: Option<&str>,
) -> Result<(Keep, Vec<PathBuf>, usize)> {
    let mut keep = Keep::default();
    let mut forgotten = Vec::new();
    let mut projects = 0;
    let unreadable = |e: Error, what: &str| {
        e.noted(format!(
            "cannot tell what the project of {what} uses, so nothing was removed; fix or delete that file, then run it again"
        ))
    };
    for (record, p) in cache.projects() {
        let lock =
            Lockfile::read(&p.lock).map_err(|e| unreadable(e, &p.lock.display().to_string()))?;
        let Some(lock) = lock else {
            if !dry_run {
                let _ = std::fs::remove_file(&record);
            }
            forgotten.push(p.lock);
            continue;
        };
        projects += 1;
        for l in lock
            .plugins
            .iter()
            .filter(|l| only.is_none_or(|n| n == l.name))
        {
            keep.artifacts
                .extend(l.artifacts.iter().map(|a| a.sha256.to_string()));
        }
        let receipts = Receipts::read(&p.plugin_dir)
            .map_err(|e| unreadable(e, &p.lock.display().to_string()))?;
        for r in receipts
            .files
            .iter()
            .filter(|r| only.is_none_or(|n| n == r.source.as_str() || n == r.plugin))
        {
            keep.artifacts.insert(r.artifact_sha256.to_string());
            keep.files.insert(r.sha256.to_string());
        }
    }
    Ok((keep, forgotten, projects))
}

fn carry_out(cache: &Cache, gone: Vec<&Entry>, dry_run: bool) -> (Totals, u64) {
    let done = if dry_run {
        gone
    } else {
        // One change with respect to an interrupt: it finishes, and says what it removed.
        let n = gone.len();
        crate::model::interrupt::change(
            || {
                format!(
                    "{n} cache entr{} removed",
                    if n == 1 { "y was" } else { "ies were" }
                )
            },
            || Ok(prune::remove(cache, &gone)),
        )
        .unwrap_or_default()
    };
    let shared = done.iter().filter(|e| e.shared).map(|e| e.size).sum();
    (prune::totals(done.into_iter()), shared)
}

fn removal(
    inv: &Inventory,
    removed: Totals,
    shared: u64,
    forgotten: Vec<PathBuf>,
    projects: usize,
) -> Removal {
    let before = inv.total();
    let gone: u64 = removed.iter().map(|t| t.2).sum();
    Removal {
        before,
        after: before.saturating_sub(gone),
        removed,
        forgotten,
        projects,
        shared,
        skipped: inv.skipped.clone(),
    }
}

/// `cache prune`: removes what no recorded project references (see
/// [`prune::Inventory::plan`]).
pub fn prune(
    cache: &Cache,
    o: PruneOptions,
    dry_run: bool,
    protected: &Protected,
    reporter: &dyn Reporter,
) -> Result<Removal> {
    let Some(_held) = hold(cache, protected, dry_run, reporter)? else {
        return Ok(nothing(0));
    };
    let (keep, forgotten, projects) = references(cache, dry_run, None)?;
    let inv = Inventory::read(cache);
    let gone = inv.plan(&keep, o, SystemTime::now());
    let (removed, shared) = carry_out(cache, gone, dry_run);
    Ok(removal(&inv, removed, shared, forgotten, projects))
}

/// `cache clean [NAME]`: everything, or what the recorded projects say belongs to `name`.
pub fn clean(
    cache: &Cache,
    name: Option<&str>,
    dry_run: bool,
    protected: &Protected,
    reporter: &dyn Reporter,
) -> Result<Removal> {
    let Some(_held) = hold(cache, protected, dry_run, reporter)? else {
        return Ok(nothing(0));
    };
    let (targets, forgotten, projects) = match name {
        Some(n) => {
            let (k, f, p) = references(cache, true, Some(n))?;
            (Some(k), f, p)
        }
        None => (None, Vec::new(), cache.projects().len()),
    };
    let inv = Inventory::read(cache);
    let gone = inv.clean_plan(targets.as_ref(), SystemTime::now());
    let (removed, shared) = carry_out(cache, gone, dry_run);
    Ok(removal(&inv, removed, shared, forgotten, projects))
}

/// `cache size`: per area, entries and bytes; and the bytes of unpacked files still
/// hard-linked into projects.
pub fn sizes(cache: &Cache) -> (Totals, u64) {
    let inv = Inventory::read(cache);
    let shared = inv
        .entries
        .iter()
        .filter(|e| e.shared)
        .map(|e| e.size)
        .sum();
    (prune::totals(inv.entries.iter()), shared)
}

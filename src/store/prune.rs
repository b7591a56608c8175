//! Keeping the cache in check: what it holds per area ([`Inventory`]), and removing what is no
//! longer wanted ([`Inventory::plan`]): what no project references, everything unpacked
//! (`--ci`), then the least recently used until it fits (`--max-size`).
//!
//! The caller holds the cache exclusively (`store::lock::lock_cache`), so no install is using
//! an entry while it goes; a `tmp/` entry whose process is still running (the pid in its
//! name), or of unknown owner and younger than [`TMP_GRACE`], is never touched (a command that
//! does not hold the cache may be writing one); one whose process is gone is removed at once. `.lock`, `projects/` (but for
//! `clean`) and `timestamps/` (rollback protection, not a cache) stay.

use super::cache::Cache;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old a `tmp/` entry must be before prune or clean removes it.
pub const TMP_GRACE: Duration = Duration::from_secs(60 * 60);

/// The cache's areas, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Artifacts,
    Files,
    Unpacked,
    Index,
    Memo,
    Projects,
    Tmp,
}

pub const AREAS: [Area; 7] = [
    Area::Artifacts,
    Area::Files,
    Area::Unpacked,
    Area::Index,
    Area::Memo,
    Area::Projects,
    Area::Tmp,
];

impl Area {
    pub fn name(self) -> &'static str {
        match self {
            Area::Artifacts => "artifacts",
            Area::Files => "files",
            Area::Unpacked => "unpacked",
            Area::Index => "index",
            Area::Memo => "memo",
            Area::Projects => "projects",
            Area::Tmp => "tmp",
        }
    }

    /// What the area holds (for `cache size`).
    pub fn about(self) -> &'static str {
        match self {
            Area::Artifacts => "downloaded artifacts",
            Area::Files => "unpacked plugin files, linked into projects",
            Area::Unpacked => "which file each artifact unpacks to",
            Area::Index => "registry index documents",
            Area::Memo => "parsed documents",
            Area::Projects => "projects using the cache",
            Area::Tmp => "downloads in flight",
        }
    }
}

/// The content-addressed hashes that must stay: artifacts and unpacked files.
#[derive(Debug, Default)]
pub struct Keep {
    pub artifacts: HashSet<String>,
    pub files: HashSet<String>,
}

/// One file of the cache.
#[derive(Debug, Clone)]
pub struct Entry {
    pub area: Area,
    pub path: PathBuf,
    pub size: u64,
    /// Its mtime: for artifacts and unpacked records, their last use.
    pub used: SystemTime,
    /// Artifacts, files: the sha256. Unpacked records: the artifact's sha256.
    pub sha: Option<String>,
    /// Unpacked records: the sha256 of the file they name.
    pub names_file: Option<String>,
    /// Files: hard-linked elsewhere too (removing the cache's name frees no space yet).
    pub shared: bool,
}

/// Everything in the cache.
#[derive(Debug, Default)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    /// Area directories that are not directories (a symbolic link, say): never followed, so
    /// nothing outside the cache is counted or removed.
    pub skipped: Vec<PathBuf>,
}

/// What to remove.
#[derive(Debug, Default, Clone, Copy)]
pub struct PruneOptions {
    /// Remove the least recently used until the cache is at most this many bytes.
    pub max_size: Option<u64>,
    /// Also remove every unpacked file, record and memo (kept: artifacts and index documents).
    pub ci: bool,
}

/// Per area: (entries, bytes).
pub type Totals = Vec<(Area, u64, u64)>;

pub fn totals<'e>(entries: impl Iterator<Item = &'e Entry>) -> Totals {
    let mut m: HashMap<Area, (u64, u64)> = HashMap::new();
    for e in entries {
        let t = m.entry(e.area).or_default();
        t.0 += 1;
        t.1 += e.size;
    }
    AREAS
        .iter()
        .map(|a| {
            let (n, b) = m.get(a).copied().unwrap_or_default();
            (*a, n, b)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, fs::Metadata)>) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(meta) = fs::symlink_metadata(e.path()) else {
            continue;
        };
        if meta.is_dir() {
            walk(&e.path(), out);
        } else {
            out.push((e.path(), meta));
        }
    }
}

#[cfg(unix)]
fn links(meta: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_: &fs::Metadata) -> u64 {
    1
}

impl Inventory {
    /// Walks every area of `cache`.
    pub fn read(cache: &Cache) -> Inventory {
        let mut entries = Vec::new();
        let mut skipped = Vec::new();
        for area in AREAS {
            let dir = cache.root.join(area.name());
            match fs::symlink_metadata(&dir) {
                Ok(m) if !m.is_dir() => {
                    skipped.push(dir);
                    continue;
                }
                _ => {}
            }
            let mut found = Vec::new();
            walk(&dir, &mut found);
            for (path, meta) in found {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (sha, names_file) = match area {
                    Area::Artifacts | Area::Files => (Some(name), None),
                    Area::Unpacked => (
                        name.split('-').next().map(String::from),
                        fs::read_to_string(&path)
                            .ok()
                            .and_then(|t| t.split_whitespace().next().map(String::from)),
                    ),
                    _ => (None, None),
                };
                entries.push(Entry {
                    area,
                    size: meta.len(),
                    used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    shared: area == Area::Files && links(&meta) > 1,
                    path,
                    sha,
                    names_file,
                });
            }
        }
        Inventory { entries, skipped }
    }

    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    /// The entries `cache prune` removes, in order: stale `tmp/` entries; artifacts no
    /// project references, records of such artifacts, files neither a project nor a kept
    /// record names (with `ci`: every file, record and memo); then, while the cache is
    /// bigger than `max_size`, the least recently used artifact, file (with the records
    /// naming it), index document or memo.
    pub fn plan(&self, keep: &Keep, o: PruneOptions, now: SystemTime) -> Vec<&Entry> {
        let mut gone: Vec<bool> = vec![false; self.entries.len()];
        let stale_tmp = |e: &Entry| !tmp_in_use(e, now);
        for (i, e) in self.entries.iter().enumerate() {
            gone[i] = match e.area {
                Area::Tmp => stale_tmp(e),
                Area::Artifacts => !e.sha.as_ref().is_some_and(|s| keep.artifacts.contains(s)),
                Area::Unpacked | Area::Memo => o.ci,
                _ => false,
            };
            if e.area == Area::Unpacked && !o.ci {
                gone[i] = !e.sha.as_ref().is_some_and(|s| keep.artifacts.contains(s));
            }
        }
        // A file stays if a project installed it or a record that stays names it.
        let named: HashSet<&str> = self
            .entries
            .iter()
            .zip(&gone)
            .filter(|(e, g)| e.area == Area::Unpacked && !**g)
            .filter_map(|(e, _)| e.names_file.as_deref())
            .collect();
        for (i, e) in self.entries.iter().enumerate() {
            if e.area == Area::Files {
                let sha = e.sha.as_deref().unwrap_or("");
                gone[i] = o.ci || !(keep.files.contains(sha) || named.contains(sha));
            }
        }
        // Records naming a file that is gone (or was never there) are no use.
        let files: HashSet<&str> = self
            .entries
            .iter()
            .zip(&gone)
            .filter(|(e, g)| e.area == Area::Files && !**g)
            .filter_map(|(e, _)| e.sha.as_deref())
            .collect();
        for (i, e) in self.entries.iter().enumerate() {
            if e.area == Area::Unpacked
                && !e.names_file.as_deref().is_some_and(|f| files.contains(f))
            {
                gone[i] = true;
            }
        }
        if let Some(max) = o.max_size {
            self.evict(&mut gone, max);
        }
        self.entries
            .iter()
            .zip(gone)
            .filter(|(_, g)| *g)
            .map(|(e, _)| e)
            .collect()
    }

    /// The entries `cache clean` removes: everything but `.lock` and young `tmp/` entries; or,
    /// with `only`, the artifacts and files it names and the records of those artifacts.
    pub fn clean_plan(&self, only: Option<&Keep>, now: SystemTime) -> Vec<&Entry> {
        let young = |e: &Entry| tmp_in_use(e, now);
        let Some(k) = only else {
            return self
                .entries
                .iter()
                .filter(|e| !(e.area == Area::Tmp && young(e)))
                .collect();
        };
        let has =
            |set: &HashSet<String>, e: &Entry| e.sha.as_ref().is_some_and(|s| set.contains(s));
        self.entries
            .iter()
            .filter(|e| match e.area {
                Area::Artifacts | Area::Unpacked => has(&k.artifacts, e),
                Area::Files => has(&k.files, e),
                _ => false,
            })
            .collect()
    }

    /// Marks the least recently used entries gone until what stays is at most `max` bytes.
    fn evict(&self, gone: &mut [bool], max: u64) {
        let mut size: u64 = self
            .entries
            .iter()
            .zip(gone.iter())
            .filter(|(_, g)| !**g)
            .map(|(e, _)| e.size)
            .sum();
        // A file's last use is its newest record's (its own mtime is its install's).
        let mut records_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            if let (Area::Unpacked, Some(f), false) = (e.area, &e.names_file, gone[i]) {
                records_of.entry(f.as_str()).or_default().push(i);
            }
        }
        let last_use = |i: usize| {
            let e = &self.entries[i];
            let recs = e
                .sha
                .as_deref()
                .filter(|_| e.area == Area::Files)
                .and_then(|s| records_of.get(s));
            recs.into_iter()
                .flatten()
                .map(|&r| self.entries[r].used)
                .max()
                .unwrap_or(e.used)
        };
        let mut candidates: Vec<usize> = (0..self.entries.len())
            .filter(|&i| !gone[i])
            .filter(|&i| {
                matches!(
                    self.entries[i].area,
                    Area::Artifacts | Area::Files | Area::Index | Area::Memo
                )
            })
            .collect();
        candidates.sort_by_key(|&i| (last_use(i), std::cmp::Reverse(self.entries[i].size)));
        for i in candidates {
            if size <= max {
                break;
            }
            gone[i] = true;
            size = size.saturating_sub(self.entries[i].size);
            let e = &self.entries[i];
            if e.area == Area::Files {
                for &r in e
                    .sha
                    .as_deref()
                    .and_then(|s| records_of.get(s))
                    .into_iter()
                    .flatten()
                {
                    if !gone[r] {
                        gone[r] = true;
                        size = size.saturating_sub(self.entries[r].size);
                    }
                }
            }
        }
    }
}

/// Whether a `tmp/` entry may still be written by a live process: its owner (the pid in its
/// name) is running, or, when that cannot be told, it is younger than [`TMP_GRACE`]. A
/// download whose process was killed is removed at once.
fn tmp_in_use(e: &Entry, now: SystemTime) -> bool {
    let name = e
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match crate::model::fsutil::temp_owner_gone(&name) {
        Some(gone) => !gone,
        None => now.duration_since(e.used).unwrap_or_default() < TMP_GRACE,
    }
}

/// Removes `entries` (then their shard directories, once empty); returns the ones removed.
/// An entry already gone counts as removed.
pub fn remove<'e>(cache: &Cache, entries: &[&'e Entry]) -> Vec<&'e Entry> {
    let mut done = Vec::new();
    for e in entries {
        match fs::remove_file(&e.path) {
            Ok(()) => done.push(*e),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => done.push(*e),
            Err(_) => continue,
        }
        // Empty shard directories go too (never the area's own directory).
        let mut dir = e.path.parent();
        while let Some(d) = dir {
            if d.parent() == Some(cache.root.as_path()) || !d.starts_with(&cache.root) {
                break;
            }
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(area: Area, sha: &str, names: Option<&str>, size: u64, age_s: u64) -> Entry {
        Entry {
            area,
            path: PathBuf::from(format!("/c/{}/{sha}", area.name())),
            size,
            used: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age_s),
            sha: Some(sha.to_string()),
            names_file: names.map(String::from),
            shared: false,
        }
    }

    fn names(v: Vec<&Entry>) -> Vec<String> {
        let mut out: Vec<String> = v
            .iter()
            .map(|e| format!("{}/{}", e.area.name(), e.sha.as_deref().unwrap_or("")))
            .collect();
        out.sort();
        out
    }

    fn inv() -> Inventory {
        Inventory {
            skipped: Vec::new(),
            entries: vec![
                entry(Area::Artifacts, "a1", None, 100, 10),
                entry(Area::Artifacts, "a2", None, 100, 500),
                entry(Area::Unpacked, "a1", Some("f1"), 1, 10),
                entry(Area::Unpacked, "a2", Some("f2"), 1, 500),
                entry(Area::Files, "f1", None, 50, 9000),
                entry(Area::Files, "f2", None, 50, 9000),
                entry(Area::Files, "f3", None, 50, 10),
                entry(Area::Tmp, "young", None, 5, 60),
                entry(Area::Tmp, "old", None, 5, 7200),
            ],
        }
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
    }

    #[test]
    fn unreferenced_entries_go_and_referenced_stay() {
        let keep = Keep {
            artifacts: ["a1".to_string()].into(),
            files: ["f3".to_string()].into(),
        };
        let i = inv();
        let plan = i.plan(&keep, PruneOptions::default(), now());
        assert_eq!(
            names(plan),
            ["artifacts/a2", "files/f2", "tmp/old", "unpacked/a2"]
        );
    }

    #[test]
    fn ci_drops_unpacked_copies_and_keeps_artifacts() {
        let keep = Keep {
            artifacts: ["a1".to_string(), "a2".to_string()].into(),
            files: ["f3".to_string()].into(),
        };
        let i = inv();
        let plan = i.plan(
            &keep,
            PruneOptions {
                ci: true,
                max_size: None,
            },
            now(),
        );
        assert_eq!(
            names(plan),
            [
                "files/f1",
                "files/f2",
                "files/f3",
                "tmp/old",
                "unpacked/a1",
                "unpacked/a2"
            ]
        );
    }

    #[test]
    fn max_size_evicts_least_recently_used_first() {
        let keep = Keep {
            artifacts: ["a1".to_string(), "a2".to_string()].into(),
            files: ["f1".to_string(), "f2".to_string(), "f3".to_string()].into(),
        };
        let i = inv();
        // 100+100+1+1+50+50+50+5 = 357 after the stale tmp entry; down to 250: a2 (used 500 s
        // ago) goes first (100 → 257), then f2 (its record was used 500 s ago) with its
        // record (51 → 206).
        let o = PruneOptions {
            max_size: Some(250),
            ci: false,
        };
        assert_eq!(
            names(i.plan(&keep, o, now())),
            ["artifacts/a2", "files/f2", "tmp/old", "unpacked/a2"]
        );
    }
}

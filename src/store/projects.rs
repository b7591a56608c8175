//! Which projects use this cache: one record per lock file and plugin directory under
//! `projects/<sha256 of both paths>`, written by every command that reads or writes a lock
//! (`install`, `sync`, `lock`, `update`). `cache prune` keeps what the recorded locks and the
//! receipts of the recorded plugin directories reference, and forgets a record whose lock is
//! gone.

use super::cache::Cache;
use crate::model::digest::Sha256;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectRecord {
    /// The project's `optimus.lock` (absolute).
    pub lock: PathBuf,
    /// Its plugin directory (absolute), whose `.receipts.toml` says what is installed.
    pub plugin_dir: PathBuf,
}

impl Cache {
    fn projects_dir(&self) -> PathBuf {
        self.root.join("projects")
    }

    fn project_record(&self, lock: &Path, plugin_dir: &Path) -> PathBuf {
        let id = format!("{}\n{}", lock.display(), plugin_dir.display());
        self.projects_dir()
            .join(Sha256::of_bytes(id.as_bytes()).into_string())
    }

    /// Records that the project with this lock and plugin directory uses the cache. Best
    /// effort, and no write when the record is already there (a no-op install writes nothing).
    pub fn record_project(&self, lock: &Path, plugin_dir: &Path) {
        let rec = ProjectRecord {
            lock: crate::model::fsutil::absolute(lock),
            plugin_dir: crate::model::fsutil::absolute(plugin_dir),
        };
        let path = self.project_record(&rec.lock, &rec.plugin_dir);
        let Ok(text) = serde_json::to_vec(&rec) else {
            return;
        };
        if fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            self.write_hint(&path, &text);
        }
    }

    /// Every recorded project, with the file that records it (unreadable records are skipped).
    pub fn projects(&self) -> Vec<(PathBuf, ProjectRecord)> {
        let mut out = Vec::new();
        let Ok(rd) = fs::read_dir(self.projects_dir()) else {
            return out;
        };
        for e in rd.flatten() {
            let Ok(raw) = fs::read(e.path()) else {
                continue;
            };
            if let Ok(rec) = serde_json::from_slice::<ProjectRecord>(&raw) {
                out.push((e.path(), rec));
            }
        }
        out.sort_by(|a, b| a.1.lock.cmp(&b.1.lock));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_recorded_once_and_listed() {
        let root = std::env::temp_dir().join(crate::model::fsutil::unique_name("proj-test-"));
        let cache = Cache::new(root.clone());
        cache.record_project(Path::new("/p/optimus.lock"), Path::new("/p/.plugins"));
        cache.record_project(Path::new("/p/optimus.lock"), Path::new("/p/.plugins"));
        cache.record_project(Path::new("/p/optimus.lock"), Path::new("/elsewhere"));
        let all = cache.projects();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.lock, PathBuf::from("/p/optimus.lock"));
        let _ = fs::remove_dir_all(root);
    }
}

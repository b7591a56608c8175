//! The machine-wide cache layout (spec §9); where it is comes from the environment
//! (`OPTIMUS_CACHE_DIR`, else `$XDG_CACHE_HOME/optimus`, else `~/.cache/optimus`).
//!
//! - `artifacts/sha256/<hh>/<hex>`: downloaded artifacts, content-addressed.
//! - `files/sha256/<hh>/<hex>`: unpacked plugin files, content-addressed, hard-linked into projects.
//! - `unpacked/<artifact-sha>-<digest of format, bin, name, platform>`: which file an artifact
//!   unpacks to.
//! - `index/<hash of url>`: registry index documents with their ETag, for revalidation.
//! - `memo/<kind>/<hash of id>`: parsed forms of documents (`memo.rs`).
//! - `projects/<hash>`: the projects that use the cache (`projects.rs`), for `cache prune`.
//! - `timestamps/<hash of url>`: the highest `timestamp.toml` version accepted per registry
//!   (`registry::freshness`: rollback protection); never pruned or cleaned.
//! - `tmp/`: downloads in flight; renamed into place only once their hash is right, so any
//!   number of processes can share the cache.
//! - `.lock`: held shared by commands using the cache, exclusively by `cache prune`/`clean`.
//!
//! When an install uses an artifact or an unpacked-file record, it sets that file's mtime to
//! now ([`touch`]): the mtime is its last use, which `cache prune --max-size` evicts by. (The
//! unpacked files themselves are never touched: they are hard-linked into projects, whose
//! receipts record their mtime.)

use crate::error::{Error, Result};
use crate::model::digest::Sha256;
use crate::model::fsutil;
use std::fs;
use std::path::{Path, PathBuf};

/// Marks a cache entry used now (its mtime; best effort).
pub fn touch(path: &Path) {
    if let Ok(f) = fs::File::open(path) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

#[derive(Clone, Debug)]
pub struct Cache {
    pub root: PathBuf,
}

impl Cache {
    /// The cache at `root` (from [`crate::config::Environment::cache_dir`]).
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    fn sharded(&self, kind: &str, sha: &str) -> PathBuf {
        let shard = sha.get(..2).unwrap_or("xx");
        self.root.join(kind).join("sha256").join(shard).join(sha)
    }

    pub fn artifact(&self, sha: &str) -> PathBuf {
        self.sharded("artifacts", sha)
    }

    pub fn file(&self, sha: &str) -> PathBuf {
        self.sharded("files", sha)
    }

    /// One file per URL: the ETag on the first line, the body after it (one file, so the two
    /// can never disagree when several processes refresh it).
    pub fn index_entry(&self, url: &str) -> PathBuf {
        let key = Sha256::of_bytes(url.as_bytes()).into_string();
        self.root.join("index").join(key)
    }

    pub fn tmp_dir(&self) -> Result<PathBuf> {
        let d = self.root.join("tmp");
        fs::create_dir_all(&d).map_err(|e| Error::path("creating cache directory", &d, e))?;
        Ok(d)
    }

    /// Writes a small cache document (an index with its ETag, an unpacked-file record)
    /// atomically but without fsync: every such document is checked or revalidated when it is
    /// read, so after a crash it can at worst cost a refetch, and fsyncing hundreds of index
    /// files made a cold `lock` several times slower. Best effort: returns false on failure.
    pub fn write_hint(&self, dest: &Path, data: &[u8]) -> bool {
        let Ok(dir) = self.tmp_dir() else {
            return false;
        };
        let Ok((tmp, mut f)) = fsutil::create_temp_file(&dir, "doc-", 0o644) else {
            return false;
        };
        let ok = (|| {
            use std::io::Write;
            f.write_all(data)?;
            drop(f);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&tmp, dest)
        })()
        .is_ok();
        if !ok {
            let _ = fs::remove_file(&tmp);
        }
        ok
    }

    /// Moves a verified file into its content-addressed place (atomic; a racing writer of the
    /// same content is harmless).
    pub fn commit(&self, tmp: &Path, dest: &Path) -> Result<()> {
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::path("creating cache directory", parent, e))?;
        }
        fs::rename(tmp, dest).map_err(|e| Error::path("moving into the cache", dest, e))
    }
}

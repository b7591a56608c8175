//! The machine-wide cache layout (spec §9); where it is comes from the environment
//! (`OPTIMUS_CACHE_DIR`, else `$XDG_CACHE_HOME/optimus`, else `~/.cache/optimus`).
//!
//! - `artifacts/sha256/<hh>/<hex>`: downloaded artifacts, content-addressed.
//! - `files/sha256/<hh>/<hex>`: unpacked plugin files, content-addressed, hard-linked into projects.
//! - `unpacked/<artifact-sha>-<digest of format, bin, name, platform>`: which file an artifact
//!   unpacks to.
//! - `index/<hash of url>`: registry index documents with their ETag, for revalidation.
//! - `tmp/`: downloads in flight; renamed into place only once their hash is right, so any
//!   number of processes can share the cache.

use crate::error::{Error, Result};
use crate::model::digest::Sha256;
use crate::model::fsutil;
use std::fs;
use std::path::{Path, PathBuf};

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
        let tmp = dir.join(fsutil::unique_name("doc-"));
        let ok = (|| {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&tmp, data)?;
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

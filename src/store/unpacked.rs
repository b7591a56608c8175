//! The unpacked-file cache: installed plugin files kept content-addressed under
//! `files/sha256/`, and per [`UnpackKey`] (artifact sha256, format, `bin`, plugin, platform:
//! everything that decides which bytes come out) a record of which file the artifact
//! unpacks to (`<sha256> <size> <kind> <mtime_ns>`), so another project gets the file by a link
//! instead of a download and an unpack.

use super::cache::Cache;
use super::link::Linker;
use crate::model::artifact::ArtifactKind;
use crate::model::digest::Sha256;
use crate::model::format::Format;
use crate::model::fsutil;
use crate::model::report::Reporter;
use std::fs;
use std::path::{Path, PathBuf};

/// Everything that decides which file an artifact unpacks to. Two versions may share one
/// archive and name different `bin`s; a record keyed on less would hand out the wrong file.
#[derive(Debug, Clone, Copy)]
pub struct UnpackKey<'a> {
    pub artifact_sha: &'a str,
    pub format: Format,
    pub bin: Option<&'a str>,
    pub plugin: &'a str,
    pub platform: &'a str,
}

/// A file the cache can hand out for an artifact.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub path: PathBuf,
    pub sha256: Sha256,
    pub size: u64,
    pub kind: ArtifactKind,
}

/// Modification time in ns since the epoch (0 when unknown).
pub fn mtime_ns(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn record_text(sha256: &Sha256, size: u64, kind: ArtifactKind, mtime: u64) -> String {
    format!("{sha256} {size} {kind} {mtime}")
}

impl Cache {
    /// Where we remember which installed file (by sha) an artifact unpacks to, for one
    /// [`UnpackKey`]: the artifact's sha256, then a digest of everything else that decides the
    /// file (format, `bin`, plugin, platform).
    pub fn unpacked_record(&self, key: &UnpackKey<'_>) -> PathBuf {
        // The first line: records written before an archive's companion yaml was installed
        // with its binary are not used (they would hand out the binary alone).
        let rest = format!(
            "companion-aware\n{}\n{}\n{}\n{}",
            key.format,
            key.bin.unwrap_or(""),
            key.plugin,
            key.platform
        );
        let rest = Sha256::of_bytes(rest.as_bytes()).into_string();
        self.root
            .join("unpacked")
            .join(format!("{}-{}", key.artifact_sha, &rest[..32]))
    }

    /// The file an artifact unpacked to for `key`, if recorded and unchanged since (same size
    /// and mtime: a cached file edited in place through a hard link in some project is never
    /// handed out).
    pub fn recall_unpacked(&self, key: &UnpackKey<'_>) -> Option<Unpacked> {
        let text = fs::read_to_string(self.unpacked_record(key)).ok()?;
        let mut parts = text.split_whitespace();
        let (sha256, size, kind, mtime) = (
            Sha256::parse(parts.next()?).ok()?,
            parts.next()?.parse::<u64>().ok()?,
            ArtifactKind::parse(parts.next()?)?,
            parts.next()?.parse::<u64>().ok()?,
        );
        let path = self.file(sha256.as_str());
        let meta = fs::metadata(&path).ok()?;
        // The cached copy is read-only as installed files are: one whose mode was changed
        // (through a hard link in some project) is not handed out either.
        let intact = meta.len() == size
            && mtime_ns(&meta) == mtime
            && fsutil::wrong_installed_mode(&meta, kind.is_binary()).is_none();
        if intact {
            // The record's own mtime is the pair's last use (`cache prune --max-size`).
            super::cache::touch(&self.unpacked_record(key));
        }
        intact.then_some(Unpacked {
            path,
            sha256,
            size,
            kind,
        })
    }

    /// Keeps the just-installed file `installed` as the cached copy of what the artifact
    /// unpacks to. Best effort: a cache that cannot be written only costs a later unpack.
    pub fn remember_unpacked(
        &self,
        key: &UnpackKey<'_>,
        installed: &Path,
        file: &Unpacked,
        link: &Linker,
        reporter: &dyn Reporter,
    ) {
        let record = self.unpacked_record(key);
        let Ok(meta) = fs::metadata(installed) else {
            return;
        };
        // The warm path linked this very file from the cache: nothing to record.
        let current = record_text(&file.sha256, file.size, file.kind, mtime_ns(&meta));
        if fs::read(&record).ok().as_deref() == Some(current.as_bytes()) {
            return;
        }
        // The cache always takes the file just verified (replacing an older copy, which an
        // in-place edit in some project may have changed), and the record remembers its mtime
        // so a later in-place edit makes the entry stale instead of spreading.
        let cached = self.file(file.sha256.as_str());
        if let Some(parent) = cached.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let Some(reserved) = self
            .tmp_dir()
            .ok()
            .and_then(|d| fsutil::reserve_temp(&d, "file-").ok())
        else {
            return;
        };
        let placed = link.place(installed, reserved.path(), reporter);
        let tmp = reserved.keep();
        if placed.is_err() || fs::rename(&tmp, &cached).is_err() {
            let _ = fs::remove_file(&tmp);
            return;
        }
        if let Ok(meta) = fs::metadata(&cached) {
            let text = record_text(&file.sha256, file.size, file.kind, mtime_ns(&meta));
            self.write_hint(&record, text.as_bytes());
        }
    }
}

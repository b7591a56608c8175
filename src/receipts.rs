//! `<dir>/.receipts.toml`: what this program installed (spec §9). Only files named here are
//! ever removed or replaced as managed files.

use crate::error::toml_error;
use crate::error::{Error, Result};
use crate::model::artifact::ArtifactEntry;
use crate::model::digest::{self, is_sha256_hex};
use crate::model::fsutil;
use crate::model::names::{is_valid_plugin_name, yaml_file_name};
use crate::model::platform::Platform;
use crate::model::plugin_type::PluginType;
use crate::store::memo;
use crate::store::Cache;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = ".receipts.toml";

const HINT: &str = "; delete it and run `optimus plugin install` to reinstall";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The installed file's name inside the plugin directory.
    pub file: String,
    pub plugin: String,
    /// The lock entry it came from (`host` for `sync --host`).
    pub source: String,
    pub version: String,
    pub platform: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_type: Option<PluginType>,
    pub artifact_sha256: String,
    /// The artifact's `bin` (which entry of it this file is), when the lock names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    pub sha256: String,
    pub size: u64,
    /// Modification time (ns since the epoch) right after install: a cheap "unchanged" check.
    pub mtime_ns: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipts {
    #[serde(default)]
    pub version: u32,
    #[serde(default, rename = "file")]
    pub files: Vec<Receipt>,
}

pub use crate::store::unpacked::mtime_ns;

impl Receipt {
    /// Whether this file came from exactly this locked artifact: the same bytes and the same
    /// entry of them (two versions may share one archive and name different `bin`s).
    pub fn installed_from(&self, a: &ArtifactEntry) -> bool {
        self.artifact_sha256 == a.sha256 && self.bin == a.bin
    }

    /// True when the file is there with the size and mtime recorded (nothing re-hashed).
    pub fn looks_intact(&self, dir: &Path) -> bool {
        std::fs::metadata(dir.join(&self.file)).is_ok_and(|m| {
            m.is_file()
                && m.len() == self.size
                && mtime_ns(&m) == self.mtime_ns
                && self.wrong_mode(&m).is_none()
        })
    }

    /// The file's mode when it is not the read-only one it was installed with.
    pub fn wrong_mode(&self, meta: &std::fs::Metadata) -> Option<u32> {
        crate::model::fsutil::wrong_installed_mode(meta, self.kind != "yaml")
    }

    /// Re-hashes the file: `Ok(true)` if it matches, `Ok(false)` if it differs, error if missing.
    pub fn rehash_matches(&self, dir: &Path) -> Result<bool> {
        digest::file_matches(&dir.join(&self.file), &self.sha256)
    }
}

/// A receipt's file must be one of the two conventional names of its plugin: anything else
/// (a path, `..`) means the receipts were tampered with.
fn file_name_ok(r: &Receipt) -> bool {
    if !is_valid_plugin_name(&r.plugin) {
        return false;
    }
    if r.kind == "yaml" {
        return r.file == yaml_file_name(&r.plugin);
    }
    Platform::parse(&r.platform).is_ok_and(|p| r.file == p.binary_file_name(&r.plugin))
}

impl Receipts {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn read(dir: &Path) -> Result<Receipts> {
        let path = Self::path(dir);
        let Some(text) = fsutil::read_if_exists(&path)? else {
            return Ok(Receipts::default());
        };
        Self::parse(&text, &path)
    }

    /// [`Receipts::read`], through a memo of their parsed form in the machine cache ([`memo::parsed_file`]),
    /// as the lock is read: what it gives back is checked as
    /// parsed receipts are.
    pub fn read_remembered(dir: &Path, cache: &Cache) -> Result<Receipts> {
        let path = Self::path(dir);
        let Some(text) = fsutil::read_if_exists(&path)? else {
            return Ok(Receipts::default());
        };
        memo::parsed_file(
            cache,
            "receipts",
            &path,
            &text,
            |t| Self::parse(t, &path),
            |r: Receipts| r.check(&path),
        )
    }

    fn parse(text: &str, path: &Path) -> Result<Receipts> {
        let what = path.display().to_string();
        let r: Receipts = toml::from_str(text)
            .map_err(|e| Error::runtime(format!("{}{HINT}", toml_error(&what, text, &e))))?;
        r.check(path)
    }

    /// The checks every receipts file passes after parsing.
    fn check(self, path: &Path) -> Result<Receipts> {
        let (r, what, hint) = (self, path.display(), HINT);
        for f in &r.files {
            if !file_name_ok(f) || !is_sha256_hex(&f.sha256) || !is_sha256_hex(&f.artifact_sha256) {
                return Err(Error::runtime(format!(
                    "{what}: entry for {:?} is not valid (tampered?){hint}",
                    f.file
                )));
            }
        }
        Ok(r)
    }

    /// The file's text: sorted by file name.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.version = 1;
        sorted.files.sort_by(|a, b| a.file.cmp(&b.file));
        let text = toml::to_string(&sorted).expect("receipts serialise");
        format!("# Written by optimus: what it installed here. Do not edit.\n{text}")
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        fsutil::write_atomic(&Self::path(dir), self.to_text().as_bytes())
    }

    pub fn find(&self, file: &str) -> Option<&Receipt> {
        self.files.iter().find(|r| r.file == file)
    }
}

//! `<dir>/.receipts.toml`: what this program installed (spec §9). Only files named here are
//! ever removed or replaced as managed files.

use crate::error::toml_error_fixed;
use crate::error::{Error, Result};
use crate::model::artifact::{ArtifactKind, ArtifactPlatform, LockedArtifact};
use crate::model::digest::{self, Sha256};
use crate::model::fsutil;
use crate::model::names::{is_valid_plugin_name, yaml_file_name};
use crate::model::platform::Platform;
use crate::model::plugin_type::PluginType;
use crate::store::memo;
use crate::store::Cache;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = ".receipts.toml";

const HINT: &str = "; delete it and run `optimus-plugins install` to reinstall";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The installed file's name inside the plugin directory.
    pub file: String,
    pub plugin: String,
    /// The lock entry it came from, or `host` for `sync --host`.
    pub source: ReceiptSource,
    pub version: String,
    pub platform: ArtifactPlatform,
    pub kind: ArtifactKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_type: Option<PluginType>,
    pub artifact_sha256: Sha256,
    /// The artifact's `bin` (which entry of it this file is), when the lock names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    pub sha256: Sha256,
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

/// Where an installed file came from: the lock entry of a plugin (written as its name), or
/// `sync --host` (written [`ReceiptSource::HOST`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReceiptSource {
    /// `sync --host`: a yaml plugin taken from the Optimus server.
    Host,
    /// The lock entry of this name.
    Lock(String),
}

impl ReceiptSource {
    /// How [`ReceiptSource::Host`] is written.
    pub const HOST: &'static str = "host";

    pub fn is_host(&self) -> bool {
        matches!(self, ReceiptSource::Host)
    }

    /// The lock entry, when the file came from the lock.
    pub fn lock_entry(&self) -> Option<&str> {
        match self {
            ReceiptSource::Host => None,
            ReceiptSource::Lock(name) => Some(name),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ReceiptSource::Host => Self::HOST,
            ReceiptSource::Lock(name) => name,
        }
    }
}

impl std::fmt::Display for ReceiptSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReceiptSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReceiptSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            Self::HOST => ReceiptSource::Host,
            _ => ReceiptSource::Lock(s),
        })
    }
}

impl Receipt {
    /// Whether this file came from exactly this locked artifact: the same bytes and the same
    /// entry of them (two versions may share one archive and name different `bin`s).
    pub fn installed_from(&self, a: &LockedArtifact) -> bool {
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
        crate::model::fsutil::wrong_installed_mode(meta, self.kind.is_binary())
    }

    /// Re-hashes the file: `Ok(true)` if it matches, `Ok(false)` if it differs, error if missing.
    pub fn rehash_matches(&self, dir: &Path) -> Result<bool> {
        digest::file_matches(&dir.join(&self.file), self.sha256.as_str())
    }
}

/// A receipt's file must be one of the two conventional names of its plugin: anything else
/// (a path, `..`) means the receipts were tampered with.
fn file_name_ok(r: &Receipt) -> bool {
    if !is_valid_plugin_name(&r.plugin) {
        return false;
    }
    match (r.kind, &r.platform) {
        (ArtifactKind::Yaml, _) => r.file == yaml_file_name(&r.plugin),
        (ArtifactKind::Binary, ArtifactPlatform::Os(p)) => r.file == p.binary_file_name(&r.plugin),
        (ArtifactKind::Binary, ArtifactPlatform::Any) => false,
    }
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
        let r: Receipts = toml::from_str(text)
            .map_err(|e| toml_error_fixed(&path.display().to_string(), text, &e, HINT))?;
        r.check(path)
    }

    /// The checks every receipts file passes after parsing.
    fn check(self, path: &Path) -> Result<Receipts> {
        let r = self;
        for f in &r.files {
            if !file_name_ok(f) {
                return Err(Error::document(
                    path.display().to_string(),
                    format!("entry for {:?} is not valid (tampered?){HINT}", f.file),
                ));
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
        format!("# Written by optimus-plugins: what it installed here. Do not edit.\n{text}")
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        fsutil::write_atomic(&Self::path(dir), self.to_text().as_bytes())
    }

    pub fn find(&self, file: &str) -> Option<&Receipt> {
        self.files.iter().find(|r| r.file == file)
    }

    /// The files installed for `platform`: its binaries and the yaml plugins (platform `any`).
    pub fn for_platform<'r>(&'r self, platform: &'r Platform) -> impl Iterator<Item = &'r Receipt> {
        self.files.iter().filter(|r| r.platform.serves(platform))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receipts file as the code before typed fields wrote it (a binary with its lock entry,
    /// a yaml plugin from `sync --host`): it must read, and be written back byte for byte.
    const OLD: &str = r#"# Written by optimus-plugins: what it installed here. Do not edit.
version = 1

[[file]]
file = "optimus-neo_linux_amd64"
plugin = "neo"
source = "neo"
version = "1.2.0"
platform = "linux_amd64"
kind = "binary"
provider = "odpf"
plugin_type = "task"
artifact_sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
bin = "bin/neo"
sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
size = 1024
mtime_ns = 1700000000123456789

[[file]]
file = "optimus-plugin-exec.yaml"
plugin = "exec"
source = "host"
version = "-"
platform = "any"
kind = "yaml"
provider = "http://optimus:9100"
artifact_sha256 = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
sha256 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
size = 12
mtime_ns = 0
"#;

    #[test]
    fn a_receipts_file_written_before_typed_fields_round_trips() {
        let r = Receipts::parse(OLD, Path::new("/p/.receipts.toml")).unwrap();
        assert_eq!(r.to_text(), OLD);
        let (neo, exec) = (&r.files[0], &r.files[1]);
        assert_eq!(
            (neo.kind, exec.kind),
            (ArtifactKind::Binary, ArtifactKind::Yaml)
        );
        assert_eq!(neo.source.lock_entry(), Some("neo"));
        assert!(exec.source.is_host() && exec.platform.is_any());
        let linux = Platform::parse("linux_amd64").unwrap();
        let darwin = Platform::parse("darwin_arm64").unwrap();
        assert_eq!(r.for_platform(&linux).count(), 2);
        assert_eq!(r.for_platform(&darwin).count(), 1);
    }

    #[test]
    fn a_bad_value_names_the_file_and_line() {
        let bad = OLD.replacen("bbbb", "BBBB", 1);
        let e = Receipts::parse(&bad, Path::new("/p/.receipts.toml")).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let e = e.to_string();
        assert!(e.starts_with("/p/.receipts.toml:15:"), "{e}");
        assert!(e.contains("malformed sha256") && e.contains(HINT), "{e}");
        let bad = OLD.replacen("optimus-neo_linux_amd64", "../x", 1);
        let e = Receipts::parse(&bad, Path::new("/p/.receipts.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("entry for \"../x\" is not valid (tampered?)"),
            "{e}"
        );
    }
}

//! One artifact of one plugin version, as the signed index lists it and as the lock records
//! it (the same fields in both: where it is, what it is, and its sha256), and the typed values
//! of its fields: [`ArtifactPlatform`] (`any` or one platform), [`ArtifactKind`] (what a file
//! taken from it is), [`IndexUrl`] and [`LockedUrl`]. Each is parsed once, when the document
//! is read, and written back as the same text.

use crate::model::digest::Sha256;
use crate::model::format::Format;
use crate::model::location::Location;
use crate::model::platform::{BadPlatform, Platform};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// An artifact as the signed index lists it: its url relative to the index (or absolute).
pub type IndexArtifact = ArtifactEntry<IndexUrl>;

/// An artifact as the lock records it: its url where the config's directory sees it.
pub type LockedArtifact = ArtifactEntry<LockedUrl>;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArtifactEntry<U> {
    pub platform: ArtifactPlatform,
    pub format: Format,
    pub url: U,
    pub sha256: Sha256,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

impl<U> ArtifactEntry<U> {
    /// The fields an entry may have (the lock refuses any other).
    pub const FIELDS: &'static [&'static str] =
        &["platform", "format", "url", "sha256", "size", "bin"];

    /// The same artifact at another url (an index entry as the lock records it).
    pub fn with_url<V>(&self, url: V) -> ArtifactEntry<V> {
        ArtifactEntry {
            platform: self.platform.clone(),
            format: self.format,
            url,
            sha256: self.sha256.clone(),
            size: self.size,
            bin: self.bin.clone(),
        }
    }
}

/// The platform an artifact is for: `any` (a yaml plugin, or a binary plugin's yaml) or one
/// platform; written `any` or `<os>_<arch>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArtifactPlatform {
    Any,
    Os(Platform),
}

impl ArtifactPlatform {
    pub fn parse(s: &str) -> Result<ArtifactPlatform, BadPlatform> {
        match s {
            ANY => Ok(ArtifactPlatform::Any),
            _ => Platform::parse(s).map(ArtifactPlatform::Os),
        }
    }

    /// The artifact for this platform or for any (the files installed on `platform`).
    pub fn serves(&self, platform: &Platform) -> bool {
        match self {
            ArtifactPlatform::Any => true,
            ArtifactPlatform::Os(p) => p == platform,
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self, ArtifactPlatform::Any)
    }

    /// The one platform, when not `any`.
    pub fn os(&self) -> Option<&Platform> {
        match self {
            ArtifactPlatform::Any => None,
            ArtifactPlatform::Os(p) => Some(p),
        }
    }
}

/// How `any` is written.
const ANY: &str = "any";

impl From<Platform> for ArtifactPlatform {
    fn from(p: Platform) -> Self {
        ArtifactPlatform::Os(p)
    }
}

impl PartialEq<Platform> for ArtifactPlatform {
    fn eq(&self, other: &Platform) -> bool {
        self.os() == Some(other)
    }
}

impl fmt::Display for ArtifactPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactPlatform::Any => f.write_str(ANY),
            ArtifactPlatform::Os(p) => p.fmt(f),
        }
    }
}

/// Ordered as their text (`any` first), the order the lock lists artifacts in.
impl Ord for ArtifactPlatform {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for ArtifactPlatform {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for ArtifactPlatform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ArtifactPlatform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        ArtifactPlatform::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What an installed file is: a yaml plugin or a plugin's binary; written `yaml`/`binary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Binary,
    Yaml,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Binary => "binary",
            ArtifactKind::Yaml => "yaml",
        }
    }

    pub fn parse(s: &str) -> Option<ArtifactKind> {
        match s {
            "binary" => Some(ArtifactKind::Binary),
            "yaml" => Some(ArtifactKind::Yaml),
            _ => None,
        }
    }

    /// Whether the file is a program (installed executable).
    pub fn is_binary(self) -> bool {
        self == ArtifactKind::Binary
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An artifact url as a registry's index gives it: relative to the registry root (checked to
/// stay inside it when joined, [`Location::join_from_index`]) or absolute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IndexUrl(String);

impl IndexUrl {
    pub fn new(s: impl Into<String>) -> IndexUrl {
        IndexUrl(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where it is under the registry at `base` (refused when it would leave it).
    pub fn under(&self, base: &Location) -> crate::error::Result<Location> {
        base.join_from_index(&self.0)
    }
}

impl fmt::Display for IndexUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An artifact url as the lock records it: a URL without credentials, or a path relative to
/// the config's directory ([`Location::portable`]). Two lock urls are equal when they name the
/// same artifact, so an index entry is compared with a lock entry through [`LockedUrl::of`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LockedUrl(String);

impl LockedUrl {
    /// What the lock records for `location` (a config in `config_dir`).
    pub fn of(location: &Location, config_dir: &Path) -> LockedUrl {
        LockedUrl(location.portable(config_dir))
    }

    /// As recorded (a direct artifact's url, with any `${VAR}` value scrubbed).
    pub fn recorded(s: impl Into<String>) -> LockedUrl {
        LockedUrl(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The location it names for a config in `config_dir` ([`Location::from_portable`]).
    pub fn location(&self, config_dir: &Path) -> crate::error::Result<Location> {
        Location::from_portable(&self.0, config_dir)
    }
}

impl fmt::Display for LockedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_and_kinds_read_and_write_as_text() {
        for s in ["any", "linux_amd64", "darwin_arm64"] {
            assert_eq!(ArtifactPlatform::parse(s).unwrap().to_string(), s);
        }
        assert!(ArtifactPlatform::parse("Any").is_err());
        let mut v: Vec<ArtifactPlatform> = ["windows_amd64", "linux_arm64", "any", "darwin_amd64"]
            .iter()
            .map(|s| ArtifactPlatform::parse(s).unwrap())
            .collect();
        v.sort();
        let text: Vec<String> = v.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            ["any", "darwin_amd64", "linux_arm64", "windows_amd64"]
        );
        let linux = Platform::parse("linux_amd64").unwrap();
        assert!(ArtifactPlatform::Any.serves(&linux) && v[2] != linux);
        assert_eq!(ArtifactKind::parse("yaml"), Some(ArtifactKind::Yaml));
        assert_eq!(
            serde_json::to_string(&ArtifactKind::Binary).unwrap(),
            "\"binary\""
        );
    }
}

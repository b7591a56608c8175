//! Artifact formats.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Format {
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "zip")]
    Zip,
    #[serde(rename = "binary")]
    Binary,
    #[serde(rename = "yaml")]
    Yaml,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
            Format::Binary => "binary",
            Format::Yaml => "yaml",
        }
    }

    /// The format a file name implies: `.tar.gz`/`.tgz`, `.zip`, `.yaml`/`.yml`, else a raw binary.
    pub fn from_file_name(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            Format::TarGz
        } else if lower.ends_with(".zip") {
            Format::Zip
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::Binary
        }
    }

    pub fn is_archive(self) -> bool {
        matches!(self, Format::TarGz | Format::Zip)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

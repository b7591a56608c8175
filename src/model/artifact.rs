//! One artifact of one plugin version, as the signed index lists it and as the lock records
//! it (the same fields in both: where it is, what it is, and its sha256).

use crate::model::format::Format;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArtifactEntry {
    pub platform: String,
    pub format: Format,
    pub url: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

impl ArtifactEntry {
    /// The fields an entry may have (the lock refuses any other).
    pub const FIELDS: &'static [&'static str] =
        &["platform", "format", "url", "sha256", "size", "bin"];
}

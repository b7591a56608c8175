//! Where a mirror (`optimus-plugins mirror --output`, or any copy with the same layout) keeps
//! what it copies of a registry: the one rule `mirror` writes by and installs look by.

use crate::model::location::Location;

/// Where a mirror keeps an artifact that lies outside its registry's root: `sha256/<hex>`.
pub fn mirror_blob_path(sha256: &str) -> String {
    format!("sha256/{sha256}")
}

/// Where a mirror of `base` keeps the artifact at `loc`: its path under the root when that is
/// a plain relative path, else the content-addressed [`mirror_blob_path`]. `optimus-plugins
/// mirror` writes there and installs look there, by this one rule.
pub fn mirror_path(loc: &Location, base: &Location, sha256: &str) -> String {
    match loc.strip_base(base) {
        Some(rel) if super::fsutil::is_safe_relative_path(&rel) && !rel.contains(['?', '#']) => rel,
        _ => mirror_blob_path(sha256),
    }
}

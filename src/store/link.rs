//! How a cached file becomes an installed one: a hard link (the default, no bytes copied),
//! else a copy.

use std::fs;
use std::path::Path;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkMode {
    /// Hard link when the cache and the plugin dir share a file system; copy otherwise.
    #[default]
    Hardlink,
    /// Always copy.
    Copy,
}

impl LinkMode {
    /// `copy` is [`LinkMode::Copy`]; anything else keeps the default.
    pub fn parse(s: &str) -> LinkMode {
        if s == "copy" {
            LinkMode::Copy
        } else {
            LinkMode::Hardlink
        }
    }

    pub fn place(self, from: &Path, to: &Path) -> std::io::Result<()> {
        if self == LinkMode::Hardlink && fs::hard_link(from, to).is_ok() {
            return Ok(());
        }
        fs::copy(from, to).map(|_| ())
    }
}

//! How a cached file becomes an installed one (`--link-mode`, `OPTIMUS_LINK_MODE`,
//! `plugins.link_mode`): the vocabulary only; `store::link` does the linking.

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkMode {
    /// Hard link (no bytes copied); a copy when the cache and the plugin dir are on different
    /// file systems (with a warning).
    #[default]
    Hardlink,
    /// Always copy.
    Copy,
    /// A copy-on-write clone (Linux FICLONE: btrfs, xfs, bcachefs...): an independent file
    /// that shares the cache's blocks; a copy where the file system cannot (with a warning).
    Reflink,
}

pub const LINK_MODES: &str = "hardlink, copy or reflink";

impl LinkMode {
    /// `hardlink`, `copy` or `reflink`; anything else is a configuration error naming `what`
    /// (the flag, variable or config key it came from).
    pub fn parse(s: &str, what: &str) -> Result<LinkMode> {
        match s.trim() {
            "hardlink" | "hard" | "link" => Ok(LinkMode::Hardlink),
            "copy" => Ok(LinkMode::Copy),
            "reflink" | "clone" => Ok(LinkMode::Reflink),
            other => Err(Error::usage(
                what,
                format!("unknown link mode {other:?} (expected {LINK_MODES})"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkMode::Hardlink => "hardlink",
            LinkMode::Copy => "copy",
            LinkMode::Reflink => "reflink",
        }
    }
}

impl std::fmt::Display for LinkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_modes_and_names_a_bad_one() {
        assert_eq!(LinkMode::parse("copy", "x").unwrap(), LinkMode::Copy);
        assert_eq!(
            LinkMode::parse("hardlink", "x").unwrap(),
            LinkMode::Hardlink
        );
        assert_eq!(
            LinkMode::parse(" reflink ", "x").unwrap(),
            LinkMode::Reflink
        );
        let e = LinkMode::parse("symlink", "OPTIMUS_LINK_MODE").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = e.to_string();
        assert!(
            e.contains("OPTIMUS_LINK_MODE") && e.contains("\"symlink\""),
            "{e}"
        );
        assert!(e.contains("hardlink, copy or reflink"), "{e}");
    }
}

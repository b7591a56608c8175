//! Platforms in Go naming (`linux_amd64`).

use crate::error::{Error, Result};
use std::fmt;

pub const OSES: &[&str] = &["linux", "darwin", "windows"];
pub const ARCHES: &[&str] = &["amd64", "arm64"];

/// A target platform: `<os>_<arch>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform> {
        let err = || {
            Error::config(format!(
                "invalid platform `{s}`: expected <os>_<arch> with os one of {} and arch one of {}{}",
                OSES.join("|"),
                ARCHES.join("|"),
                Platform::suggest(s)
                    .map(|p| format!("; did you mean `{p}`?"))
                    .unwrap_or_default()
            ))
        };
        let (os, arch) = s.split_once('_').ok_or_else(err)?;
        if !OSES.contains(&os) || !ARCHES.contains(&arch) {
            return Err(err());
        }
        Ok(Platform {
            os: os.to_string(),
            arch: arch.to_string(),
        })
    }

    /// The Go name of a platform written the Rust, uname or goreleaser way (`linux_x86_64`,
    /// `macos-arm64`, `Darwin_aarch64`).
    fn suggest(s: &str) -> Option<Platform> {
        let lower = s.to_ascii_lowercase();
        let (os, arch) = lower.split_once(['_', '-', '/'])?;
        let os = match os {
            "macos" | "osx" | "mac" | "apple" => "darwin",
            "win" | "win32" | "win64" => "windows",
            o => o,
        };
        let arch = match arch {
            "x86_64" | "x64" | "x86-64" | "amd" => "amd64",
            "aarch64" | "arm" => "arm64",
            a => a,
        };
        (OSES.contains(&os) && ARCHES.contains(&arch)).then(|| Platform {
            os: os.to_string(),
            arch: arch.to_string(),
        })
    }

    /// The platform this program runs on, in Go naming.
    pub fn host() -> Platform {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        Platform {
            os: os.to_string(),
            arch: arch.to_string(),
        }
    }

    pub fn exe_suffix(&self) -> &'static str {
        if self.os == "windows" {
            ".exe"
        } else {
            ""
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.os, self.arch)
    }
}

/// The platform string of a yaml plugin artifact.
pub const ANY: &str = "any";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_host() {
        assert_eq!(
            Platform::parse("linux_arm64").unwrap().to_string(),
            "linux_arm64"
        );
        assert!(Platform::parse("plan9_amd64").is_err());
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse(&Platform::host().to_string()).is_ok());
    }
}

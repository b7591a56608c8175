//! Platforms in Go naming (`linux_amd64`).

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
    /// Parses `<os>_<arch>`; the error says what is expected (the caller says where: a flag,
    /// the lock, an index).
    pub fn parse(s: &str) -> Result<Platform, BadPlatform> {
        let err = || BadPlatform(s.to_string());
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

/// Text that is not a platform: its message says what is expected, and the nearest platform
/// when the text looks like one written another way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPlatform(pub String);

impl fmt::Display for BadPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(
            f,
            "invalid platform `{s}`: expected <os>_<arch> with os one of {} and arch one of {}{}",
            OSES.join("|"),
            ARCHES.join("|"),
            Platform::suggest(s)
                .map(|p| format!("; did you mean `{p}`?"))
                .unwrap_or_default()
        )
    }
}

impl std::error::Error for BadPlatform {}

impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Platform::parse(&s).map_err(serde::de::Error::custom)
    }
}

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

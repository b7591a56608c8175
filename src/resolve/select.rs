//! Choosing a version ([`select`], spec §4) and judging whether a lock entry still fits its
//! declaration ([`misfit`]).

use crate::config::{Declaration, Source};
use crate::error::{Error, RegistryKind, Result};
use crate::lockfile::LockedPlugin;
use crate::model::platform::Platform;
use crate::registry::{IndexArtifact, IndexVersion, PluginIndex};

/// Picks the version and the artifacts for `platforms` (spec §4).
pub fn select<'i>(
    index: &'i PluginIndex,
    req: &semver::VersionReq,
    platforms: &[Platform],
    what: &str,
) -> Result<(&'i IndexVersion, Vec<&'i IndexArtifact>)> {
    let mut matching: Vec<&IndexVersion> = index
        .versions
        .iter()
        .filter(|v| !v.yanked && req.matches(&v.version))
        .collect();
    matching.sort_by(|a, b| b.version.cmp(&a.version));
    for v in &matching {
        if let Some(arts) = artifacts_for(v, platforms) {
            return Ok((v, arts));
        }
    }
    let mut all: Vec<&IndexVersion> = index.versions.iter().collect();
    all.sort_by(|a, b| b.version.cmp(&a.version));
    let listing = if all.is_empty() {
        "none".to_string()
    } else {
        all.iter()
            .map(|v| {
                if v.yanked {
                    format!("{} (yanked)", v.version)
                } else {
                    v.version.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The registry has no version that fits (yet): exit 1, as a plugin it does not list.
    let not_listed = |problem: String| Error::Registry {
        registry: what.to_string(),
        url: String::new(),
        kind: RegistryKind::NotListed,
        problem: format!("{what}: {problem}"),
    };
    match matching.first() {
        None => Err(not_listed(format!(
            "no version satisfies {req} (available: {listing}); change its `version:` requirement"
        ))),
        Some(newest) => {
            let want: Vec<String> = platforms.iter().map(|p| p.to_string()).collect();
            let have: Vec<String> = newest
                .artifacts
                .iter()
                .map(|a| a.platform.to_string())
                .collect();
            Err(not_listed(format!(
                "no version matching {req} has artifacts for {}; newest matching {} has: {}",
                want.join(", "),
                newest.version,
                if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                }
            )))
        }
    }
}

/// What a version gives `platforms`: its `any` artifact (a yaml plugin, or a binary plugin's
/// yaml) and, for each platform, the artifact for exactly it, so a binary published with its
/// yaml is locked as the pair. `None` when some platform would get nothing.
fn artifacts_for<'i>(
    v: &'i IndexVersion,
    platforms: &[Platform],
) -> Option<Vec<&'i IndexArtifact>> {
    let any = v.artifacts.iter().find(|a| a.platform.is_any());
    let mut out: Vec<&IndexArtifact> = any.into_iter().collect();
    for p in platforms {
        match v.artifacts.iter().find(|a| a.platform == *p) {
            Some(a) => out.push(a),
            None if any.is_some() => {}
            None => return None,
        }
    }
    Some(out)
}

/// Why a locked entry no longer fits its declaration; `None` when it fits.
pub fn misfit(d: &Declaration, l: &LockedPlugin, platforms: &[Platform]) -> Option<String> {
    let missing_platform = |templated: bool| {
        if !templated && l.artifacts.len() == 1 && l.artifacts[0].platform.is_any() {
            return None;
        }
        platforms
            .iter()
            .find(|p| match templated {
                true => !l.covers(p),
                false => l.artifacts_for(p).is_empty(),
            })
            .map(|p| format!("the lock has no artifact for {p}"))
    };
    match &d.source {
        Source::Registry {
            provider,
            requirement,
            ..
        } => {
            if l.provider.as_deref() != Some(provider) || l.source.is_some() {
                return Some(format!("its provider is now {provider}"));
            }
            match l.version.as_deref().map(semver::Version::parse) {
                Some(Ok(v)) if requirement.matches(&v) => {}
                Some(Ok(v)) => {
                    return Some(format!("locked version {v} does not satisfy {requirement}"))
                }
                _ => return Some("the locked version is not a semver version".into()),
            }
            missing_platform(true)
        }
        Source::Direct {
            provider,
            declared,
            version,
            pins,
            bundle,
            ..
        } => {
            if l.source.as_deref() != Some(declared)
                || &l.provider != provider
                || &l.version != version
                || l.bundle != *bundle
            {
                return Some("its declaration changed".into());
            }
            if let Some(a) = l.artifacts.iter().find(|a| {
                pins.for_platform(&a.platform)
                    .is_some_and(|p| p != a.sha256.as_str())
            }) {
                return Some(format!("its sha256 pin for {} changed", a.platform));
            }
            missing_platform(is_templated(declared))
        }
    }
}

pub(super) fn is_templated(s: &str) -> bool {
    s.contains("{os}") || s.contains("{arch}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Pins;
    use crate::lockfile::LockedArtifact;
    use crate::model::artifact::{ArtifactPlatform, LockedUrl};
    use crate::model::digest::Sha256;
    use crate::model::format::Format;

    const SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn index() -> PluginIndex {
        let text = format!(
            r#"name = "bq2bq"
plugin_type = "task"
[[version]]
version = "0.3.1"
[[version.artifact]]
platform = "linux_amd64"
format = "binary"
url = "a/0.3.1"
sha256 = "{SHA}"
[[version]]
version = "0.3.2"
yanked = true
[[version.artifact]]
platform = "linux_amd64"
format = "binary"
url = "a/0.3.2"
sha256 = "{SHA}"
[[version]]
version = "0.4.0-rc.1"
[[version.artifact]]
platform = "linux_amd64"
format = "binary"
url = "a/0.4.0-rc.1"
sha256 = "{SHA}"
[[version]]
version = "0.3.0"
[[version.artifact]]
platform = "darwin_arm64"
format = "binary"
url = "a/0.3.0"
sha256 = "{SHA}"
"#
        );
        PluginIndex::parse(&text, "bq2bq", "test index").unwrap()
    }

    fn req(s: &str) -> semver::VersionReq {
        semver::VersionReq::parse(s).unwrap()
    }

    fn linux() -> Vec<Platform> {
        vec![Platform::parse("linux_amd64").unwrap()]
    }

    #[test]
    fn select_skips_yanked_and_prereleases_unless_asked() {
        let idx = index();
        let (v, arts) = select(&idx, &req("^0.3"), &linux(), "bq2bq").unwrap();
        assert_eq!(v.version.to_string(), "0.3.1");
        assert_eq!(arts[0].url.as_str(), "a/0.3.1");
        let (v, _) = select(&idx, &req(">=0.4.0-rc.1"), &linux(), "bq2bq").unwrap();
        assert_eq!(v.version.to_string(), "0.4.0-rc.1");
    }

    #[test]
    fn select_explains_what_is_missing() {
        let idx = index();
        let e = select(&idx, &req("^9"), &linux(), "bq2bq")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no version satisfies ^9"), "{e}");
        assert!(e.contains("0.3.2 (yanked)"), "{e}");
        let darwin = vec![Platform::parse("darwin_amd64").unwrap()];
        let e = select(&idx, &req("^0.3"), &darwin, "bq2bq")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no version matching ^0.3 has artifacts for darwin_amd64"),
            "{e}"
        );
    }

    fn locked(version: &str, platforms: &[&str]) -> LockedPlugin {
        LockedPlugin {
            name: "bq2bq".into(),
            version: Some(version.into()),
            provider: Some("odpf".into()),
            source: None,
            requirement: Some("^0.3".into()),
            plugin_type: None,
            bundle: false,
            images: Vec::new(),
            no_binary: Vec::new(),
            artifacts: platforms
                .iter()
                .map(|p| LockedArtifact {
                    platform: ArtifactPlatform::parse(p).unwrap(),
                    format: Format::Binary,
                    url: LockedUrl::recorded("u"),
                    sha256: Sha256::parse(SHA).unwrap(),
                    size: None,
                    bin: None,
                })
                .collect(),
        }
    }

    fn declared(provider: &str, requirement: &str) -> Declaration {
        Declaration {
            name: "bq2bq".into(),
            source: Source::Registry {
                provider: provider.into(),
                requirement: req(requirement),
                requirement_text: requirement.into(),
            },
        }
    }

    #[test]
    fn misfit_says_why_a_lock_entry_no_longer_fits() {
        let l = locked("0.3.1", &["linux_amd64"]);
        assert_eq!(misfit(&declared("odpf", "^0.3"), &l, &linux()), None);
        let why = misfit(&declared("odpf", "^0.4"), &l, &linux()).unwrap();
        assert!(why.contains("does not satisfy ^0.4"), "{why}");
        let why = misfit(&declared("other", "^0.3"), &l, &linux()).unwrap();
        assert!(why.contains("provider is now other"), "{why}");
        let both = [linux(), vec![Platform::parse("darwin_arm64").unwrap()]].concat();
        let why = misfit(&declared("odpf", "^0.3"), &l, &both).unwrap();
        assert!(why.contains("no artifact for darwin_arm64"), "{why}");
        let direct = Declaration {
            name: "bq2bq".into(),
            source: Source::Direct {
                provider: None,
                declared: "x/optimus-bq2bq_{os}_{arch}".into(),
                template: "x/optimus-bq2bq_{os}_{arch}".into(),
                version: None,
                pins: Pins::None,
                bundle: false,
            },
        };
        assert_eq!(
            misfit(&direct, &l, &linux()).as_deref(),
            Some("its declaration changed")
        );
    }
}

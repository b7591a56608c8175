//! The one home of Optimus's file-name rules: plugin names, `optimus-<name>_<os>_<arch>`
//! binaries, `optimus-plugin-<name>.yaml` yaml plugins, goreleaser archive names, and the
//! candidates an archive is searched for.

use crate::error::{Error, Result};
use crate::model::platform::Platform;

impl Platform {
    /// `optimus-<name>_<os>_<arch>[.exe]`: the installed name of a binary plugin.
    pub fn binary_file_name(&self, plugin: &str) -> String {
        format!("optimus-{plugin}_{self}{}", self.exe_suffix())
    }
}

/// The binary candidates for plugin `name` in an archive, best first (spec §4): the
/// convention's name for the platform, then `optimus-<name>`, then `<name>`.
pub fn binary_candidates(name: &str, platform: &Platform) -> Vec<String> {
    let exe = platform.exe_suffix();
    vec![
        platform.binary_file_name(name),
        format!("optimus-{name}{exe}"),
        format!("{name}{exe}"),
    ]
}

/// The plugin name of an installed binary file name for `platform`, if it follows
/// `optimus-<name>_<os>_<arch>[.exe]` (the name itself is not checked).
pub fn binary_plugin_name<'a>(file: &'a str, platform: &Platform) -> Option<&'a str> {
    let suffix = format!("_{platform}{}", platform.exe_suffix());
    file.strip_prefix("optimus-")?.strip_suffix(suffix.as_str())
}

/// The plugin name a file name declares, if it follows `optimus-plugin-<name>.yaml`.
pub fn yaml_plugin_name(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix("optimus-plugin-")
        .and_then(|r| r.strip_suffix(".yaml").or_else(|| r.strip_suffix(".yml")))
}

/// `name.tar.gz` → `name`, `name.tgz` → `name`, `name.zip` → `name`.
pub fn strip_archive_ext(name: &str) -> &str {
    for ext in [".tar.gz", ".tgz", ".zip"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem;
        }
    }
    name
}

/// `optimus-plugin-<name>.yaml`: the installed name of a yaml plugin.
pub fn yaml_file_name(plugin: &str) -> String {
    format!("optimus-plugin-{plugin}.yaml")
}

/// Checks a plugin name against `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub fn is_valid_plugin_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

pub fn check_plugin_name(name: &str) -> Result<()> {
    if is_valid_plugin_name(name) {
        Ok(())
    } else {
        Err(Error::invalid(
            "invalid plugin name",
            format!("{name:?}"),
            "a name must match ^[a-z0-9][a-z0-9_-]{0,63}$",
        ))
    }
}

/// Checks a provider name: it names a directory (`mirror --output DIR` writes `DIR/<provider>/`,
/// `OPTIMUS_MIRROR_DIR` is read at `<dir>/<provider>/`), so it follows the plugin-name rule
/// and can never be `..`, absolute, or hold a `/`.
pub fn check_provider_name(name: &str) -> Result<()> {
    if is_valid_plugin_name(name) {
        Ok(())
    } else {
        Err(Error::invalid(
            "invalid provider name",
            format!("{:?}", crate::model::redact::printable(name)),
            "a provider name becomes a directory name (mirror --output DIR/<provider>, OPTIMUS_MIRROR_DIR), so it must match ^[a-z0-9][a-z0-9_-]{0,63}$ as plugin names do",
        ))
    }
}

/// `<root>/<provider>`: the one way a provider's name becomes a path (checked again here, for
/// a [`check_provider_name`] a caller might have skipped).
pub fn provider_dir(root: &std::path::Path, provider: &str) -> Result<std::path::PathBuf> {
    check_provider_name(provider)?;
    Ok(root.join(provider))
}

/// What a file name says about a plugin artifact, by Optimus's naming convention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedArtifact {
    pub name: String,
    /// `None` for a yaml plugin (any platform).
    pub platform: Option<Platform>,
}

/// A goreleaser `<os>_<arch>` as written in an archive name, where a project's
/// `replacements` may say `macos` for darwin and `x86_64`/`i386` for amd64/386.
fn archive_platform(os: &str, arch: &str) -> Option<Platform> {
    let os = match os {
        "macos" => "darwin",
        o => o,
    };
    let arch = match arch {
        "x86_64" => "amd64",
        "i386" => "386",
        a => a,
    };
    Platform::parse(&format!("{os}_{arch}")).ok()
}

/// The project of a goreleaser release archive `<project>_<version>_<os>_<arch>.<ext>` (with
/// `macos`/`x86_64`/`i386` replacements). Its name says nothing about the plugins inside:
/// Optimus installs every entry (docs/upstream-rules.md §5, §6).
pub fn goreleaser_project(file: &str) -> Option<&str> {
    goreleaser_parts(file).map(|(project, _)| project)
}

/// The platform of a goreleaser release archive's name (`macos` → darwin, `x86_64` → amd64).
pub fn goreleaser_platform(file: &str) -> Option<Platform> {
    goreleaser_parts(file).map(|(_, p)| p)
}

fn goreleaser_parts(file: &str) -> Option<(&str, Platform)> {
    let stem = strip_archive_ext(file);
    if stem == file {
        return None;
    }
    let (rest, arch) = match stem.strip_suffix("_x86_64") {
        Some(r) => (r, "x86_64"),
        None => stem.rsplit_once('_')?,
    };
    let (rest, os) = rest.rsplit_once('_')?;
    let (project, version) = rest.rsplit_once('_')?;
    let platform = archive_platform(os, arch)?;
    semver::Version::parse(version.trim_start_matches('v')).ok()?;
    (!project.is_empty()).then_some((project, platform))
}

/// Recognises `optimus-plugin-<name>.yaml` and `optimus-<name>_<os>_<arch>[.exe]` (archive
/// extensions stripped). A goreleaser release archive (`<project>_<version>_<os>_<arch>`) is
/// not one plugin: it installs every conventional entry, whatever the project is called.
pub fn parse_artifact_file_name(file: &str) -> Option<NamedArtifact> {
    if file.starts_with("optimus-plugin-") {
        let name = yaml_plugin_name(file)?;
        return is_valid_plugin_name(name).then(|| NamedArtifact {
            name: name.to_string(),
            platform: None,
        });
    }
    if goreleaser_project(file).is_some() {
        return None;
    }
    let stem = strip_archive_ext(file);
    let stem = stem.strip_suffix(".exe").unwrap_or(stem);
    let amd64;
    let stem = match stem.strip_suffix("_x86_64") {
        Some(r) => {
            amd64 = format!("{r}_amd64");
            amd64.as_str()
        }
        None => stem,
    };
    let rest = stem.strip_prefix("optimus-")?;
    let mut parts: Vec<&str> = rest.split('_').collect();
    if parts.len() < 3 {
        return None;
    }
    let arch = parts.pop()?;
    let os = parts.pop()?;
    let platform = archive_platform(os, arch)?;
    let name = parts.join("_");
    is_valid_plugin_name(&name).then_some(NamedArtifact {
        name,
        platform: Some(platform),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_plugin_name("bq2bq"));
        assert!(is_valid_plugin_name("a_b-c"));
        assert!(!is_valid_plugin_name("../x"));
        assert!(!is_valid_plugin_name("Neo"));
        assert!(!is_valid_plugin_name("-x"));
        assert!(!is_valid_plugin_name(""));
        assert!(!is_valid_plugin_name(&"a".repeat(65)));
    }

    #[test]
    fn artifact_names() {
        let p = |s| parse_artifact_file_name(s);
        assert_eq!(p("optimus-plugin-neo.yaml").unwrap().name, "neo");
        let a = p("optimus-bq2bq_linux_amd64.tar.gz").unwrap();
        assert_eq!(
            (a.name.as_str(), a.platform.unwrap().to_string()),
            ("bq2bq", "linux_amd64".into())
        );
        // goreleaser release archives hold any number of plugins.
        assert!(p("optimus-bq2bq_0.3.2_darwin_arm64.zip").is_none());
        assert!(p("optimus-plugins_0.1.0_linux_amd64.tar.gz").is_none());
        assert_eq!(
            goreleaser_project("optimus-plugins_0.1.0_linux_amd64.tar.gz"),
            Some("optimus-plugins")
        );
        assert_eq!(
            goreleaser_project("transformers_0.3.2_macos_arm64.tar.gz"),
            Some("transformers")
        );
        assert_eq!(
            goreleaser_project("transformers_0.3.2_linux_x86_64.tar.gz"),
            Some("transformers")
        );
        assert_eq!(goreleaser_project("optimus-neo_linux_amd64"), None);
        let a = p("optimus-neo_linux_x86_64.tar.gz").unwrap();
        assert_eq!(a.platform.unwrap().to_string(), "linux_amd64");
        let a = p("optimus-my_task_windows_amd64.exe").unwrap();
        assert_eq!(a.name, "my_task");
        assert!(p("plugins.zip").is_none());
        assert!(p("optimus-x_plan9_amd64").is_none());
    }
}

/// The candidate closest to `name` (case-insensitive edit distance), when it is close enough
/// to be a likely typo: for "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` when a candidate is close to `name`, else nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod closest_tests {
    use super::*;

    #[test]
    fn suggests_only_near_names() {
        let names = ["bq2bq", "neo", "predator"];
        assert_eq!(closest("bq2bqq", names), Some("bq2bq"));
        assert_eq!(closest("Neo", names), Some("neo"));
        assert_eq!(closest("predatr", names), Some("predator"));
        assert_eq!(closest("transformers", names), None);
        assert_eq!(did_you_mean("zzz", names), "");
    }
}

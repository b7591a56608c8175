//! The documents of a static registry (spec §4): `config.toml` and `index/<name>.toml`, parsed
//! and checked.

use crate::error::{toml_error, Error, Result};
use crate::model::format::Format;
use crate::model::fsutil::is_safe_relative_path;
use crate::model::location::is_url;
use crate::model::plugin_type::PluginType;
use crate::model::redact::is_bidi_control;
use serde::{Deserialize, Serialize};

pub use crate::model::artifact::IndexArtifact;

/// Index documents larger than this are refused (a 200-version plugin is ~100 KiB).
pub const MAX_INDEX_SIZE: u64 = 16 << 20;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegistryConfig {
    pub name: String,
    pub api: u32,
    /// A random identifier made when the registry is created (or by its first publish, yank or
    /// refresh after ids existed): `timestamp.toml` carries it, signed, so a client can tell
    /// this registry from another one signed with the same key (see `registry::freshness`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The address clients use for this registry (`publish --public-url`), shown in the
    /// `optimus.yaml` snippets of `index.html`. Optional; readers ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A new registry id: 32 hex digits, unique (not secret), from the time, the process, the
/// registry's location and the publishing key.
pub fn new_registry_id(root: &str, public_key: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!("{nanos}\n{}\n{root}\n{public_key}", std::process::id());
    let digest = crate::model::digest::Sha256::of_bytes(seed.as_bytes()).into_string();
    digest[..32].to_string()
}

/// Checks `--public-url`: shown on the registry page and written into `config.toml`.
pub fn check_public_url(url: &str) -> Result<()> {
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::usage(
            format!("--public-url {url:?}"),
            "give the registry's address, without spaces or control characters",
        ));
    }
    Ok(())
}

/// The longest yank reason accepted, in characters.
pub const MAX_YANK_REASON: usize = 200;

/// Checks a yank reason (it is printed by clients and shown on the registry page): one line,
/// not blank, at most [`MAX_YANK_REASON`] characters, no control or bidirectional-override
/// characters. The error says what is wrong, without the caller's context.
pub fn check_yank_reason(reason: &str) -> std::result::Result<(), String> {
    if reason.trim().is_empty() {
        return Err("the yank reason is empty".into());
    }
    let n = reason.chars().count();
    if n > MAX_YANK_REASON {
        return Err(format!(
            "the yank reason is {n} characters long; at most {MAX_YANK_REASON} are allowed"
        ));
    }
    if let Some(c) = reason
        .chars()
        .find(|c| c.is_control() || is_bidi_control(*c))
    {
        return Err(format!(
            "the yank reason holds the control character {:?}: give one line of plain text",
            c
        ));
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PluginIndex {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub plugin_type: PluginType,
    #[serde(default, rename = "version")]
    pub versions: Vec<IndexVersion>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexVersion {
    pub version: semver::Version,
    #[serde(default)]
    pub yanked: bool,
    /// Why the version was yanked (`yank --reason`); signed with the rest of the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yank_reason: Option<String>,
    #[serde(default, rename = "artifact")]
    pub artifacts: Vec<IndexArtifact>,
}

impl PluginIndex {
    /// Parses and validates an index document; `what` names it in errors.
    pub fn parse(text: &str, expected_name: &str, what: &str) -> Result<PluginIndex> {
        let idx: PluginIndex = toml::from_str(text).map_err(|e| toml_error(what, text, &e))?;
        idx.validate(expected_name, what)
    }

    /// The checks every index passes after parsing (also a parsed index read back from the
    /// machine cache): the name, unique versions, and well-formed artifacts.
    pub fn validate(self, expected_name: &str, what: &str) -> Result<PluginIndex> {
        let idx = self;
        if idx.name != expected_name {
            return Err(Error::document(
                what,
                format!(
                    "describes plugin `{}`, not `{expected_name}` (a swapped or tampered index)",
                    idx.name
                ),
            ));
        }
        // Versions are identities: two that semver precedence calls equal (they differ in
        // build metadata only) would let `=1.0.0` mean either one's bytes.
        let mut seen = std::collections::BTreeMap::new();
        for v in &idx.versions {
            let key = (
                v.version.major,
                v.version.minor,
                v.version.patch,
                v.version.pre.clone(),
            );
            if let Some(first) = seen.insert(key, &v.version) {
                if *first == v.version {
                    return Err(Error::document(
                        what,
                        format!("version {} appears twice", v.version),
                    ));
                }
                return Err(Error::document(what, format!(
                    "versions {first} and {} are equal under semver precedence (build metadata is ignored), so a requirement such as ={first} cannot tell which bytes it means; the registry must remove one",
                    v.version
                )));
            }
            let bad = |m: String| Error::document(what, format!("version {}: {m}", v.version));
            if let Some(r) = &v.yank_reason {
                check_yank_reason(r).map_err(bad)?;
            }
            let mut plats = std::collections::BTreeSet::new();
            for a in &v.artifacts {
                if (a.format == Format::Yaml) != a.platform.is_any() {
                    return Err(bad(format!(
                        "artifact for `{}` has format {}: yaml artifacts (and only they) use platform `any`",
                        a.platform, a.format
                    )));
                }
                if !is_url(a.url.as_str()) && !is_safe_relative_path(a.url.as_str()) {
                    return Err(bad(format!(
                        "artifact url {:?} leaves the registry root",
                        a.url
                    )));
                }
                if let Some(b) = &a.bin {
                    if !is_safe_relative_path(b) {
                        return Err(bad(format!("bin {b:?} is not a safe relative path")));
                    }
                }
                if !plats.insert(a.platform.clone()) {
                    return Err(bad(format!("two artifacts for platform {}", a.platform)));
                }
            }
        }
        Ok(idx)
    }

    pub fn to_toml(&self) -> String {
        let mut s = toml::to_string(self).expect("index serialises");
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn doc(extra: &str) -> String {
        format!(
            "name = \"neo\"\nplugin_type = \"task\"\nfuture_field = 1\n[[version]]\nversion = \"1.0.0\"\n[[version.artifact]]\nplatform = \"any\"\nformat = \"yaml\"\nurl = \"artifacts/neo/1.0.0/optimus-plugin-neo.yaml\"\nsha256 = \"{SHA}\"\nnew_artifact_field = true\n{extra}"
        )
    }

    #[test]
    fn parses_and_tolerates_unknown_fields() {
        let idx = PluginIndex::parse(&doc(""), "neo", "index").unwrap();
        assert_eq!(idx.versions[0].artifacts[0].sha256.as_str(), SHA);
        let again = PluginIndex::parse(&idx.to_toml(), "neo", "index").unwrap();
        assert_eq!(again.versions[0].artifacts, idx.versions[0].artifacts);
    }

    #[test]
    fn yank_reasons() {
        let text = doc("").replace(
            "version = \"1.0.0\"\n",
            "version = \"1.0.0\"\nyanked = true\nyank_reason = \"CVE-2024-1: use 1.0.1\"\n",
        );
        let idx = PluginIndex::parse(&text, "neo", "index").unwrap();
        assert_eq!(
            idx.versions[0].yank_reason.as_deref(),
            Some("CVE-2024-1: use 1.0.1")
        );
        assert!(idx
            .to_toml()
            .contains("yank_reason = \"CVE-2024-1: use 1.0.1\""));
        // No reason: the field is not written (older indexes keep their bytes).
        let plain = PluginIndex::parse(&doc(""), "neo", "index").unwrap();
        assert!(!plain.to_toml().contains("yank_reason"));
        assert!(check_yank_reason("broken on arm64, use 1.0.1").is_ok());
        for bad in [
            "",
            "  ",
            "two\nlines",
            "tab\there",
            "\u{202E}evil",
            &"x".repeat(201),
        ] {
            assert!(check_yank_reason(bad).is_err(), "{bad:?}");
        }
        assert!(check_yank_reason(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn refuses_bad_documents() {
        let bad = |text: &str, name: &str, want: &str| {
            let e = PluginIndex::parse(text, name, "index of neo")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{want:?} not in {e}");
            assert!(e.starts_with("index of neo"), "{e}");
        };
        bad(&doc(""), "other", "describes plugin `neo`, not `other`");
        bad(
            &doc("[[version]]\nversion = \"1.0.0\"\n"),
            "neo",
            "version 1.0.0 appears twice",
        );
        bad(
            &doc("").replace("\"any\"", "\"linux_amd64\""),
            "neo",
            "yaml artifacts (and only they)",
        );
        bad(
            &doc("").replace("artifacts/neo", "../../etc"),
            "neo",
            "leaves the registry root",
        );
        bad(
            &doc("[[version]]\nversion = \"1.0.0+b\"\n"),
            "neo",
            "versions 1.0.0 and 1.0.0+b are equal under semver precedence",
        );
        bad(&doc("").replace(SHA, "xyz"), "neo", "malformed sha256");
        bad(
            &doc("").replace(
                "version = \"1.0.0\"\n",
                "version = \"1.0.0\"\nyanked = true\nyank_reason = \"a\\u001b[2Jb\"\n",
            ),
            "neo",
            "version 1.0.0: the yank reason holds the control character",
        );
        bad("name = \n", "neo", "index of neo:1:");
    }
}

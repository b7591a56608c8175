//! What `publish` checks before anything goes public: each artifact on its own (a yaml plugin
//! validates, an archive holds exactly one selectable binary), and the version as a whole: a
//! client must be able to install what it gets. For raystack Optimus (v0.5 .. v0.7) a binary
//! plugin needs a yaml plugin of the same name, else Optimus refuses to start
//! (`please provide yaml version of the plugin NAME`); goto Optimus runs no binaries at all.

use super::{ArtifactArg, Publisher};
use crate::error::{Error, Result};
use crate::model::artifact::ArtifactKind;
use crate::model::format::Format;
use crate::model::fsutil;
use crate::model::limits::Limits;
use crate::model::names::yaml_file_name;
use crate::model::plugin_type::PluginType;
use crate::upstream::target::{Target, TARGETS};

/// What checking one artifact found.
#[derive(Debug, Default)]
pub struct Checked {
    /// A yaml plugin's `plugintype`.
    pub plugin_type: Option<PluginType>,
    /// A yaml plugin's `description:`.
    pub description: Option<String>,
    /// An archive that holds `optimus-plugin-<name>.yaml` beside its binary.
    pub ships_yaml: bool,
}

impl Publisher<'_> {
    /// Checks what an artifact holds before it goes public: a yaml plugin must validate, an
    /// archive must hold exactly one selectable binary.
    pub fn check_artifact(&self, name: &str, a: &ArtifactArg) -> Result<Checked> {
        let what = a.path.display().to_string();
        match a.format {
            Format::Yaml => {
                let text = fsutil::read_to_string(&a.path)?;
                use crate::upstream::yaml::{check_text, format_problems};
                let file = yaml_file_name(name);
                // The target asked for; else the first Optimus that loads it.
                let verdict = match self.target {
                    Some(t) => check_text(&text, &file, t),
                    None => TARGETS
                        .iter()
                        .map(|t| check_text(&text, &file, *t))
                        .find(|v| v.loads())
                        .unwrap_or_else(|| check_text(&text, &file, Target::default())),
                };
                if let Some(r) = &verdict.refusal {
                    return Err(Error::usage(
                        &what,
                        format!(
                            "Optimus would refuse to load it:\n{}\n  optimus says: {}",
                            format_problems(&what, &verdict.errors),
                            r.replace('\n', "\n  ")
                        ),
                    ));
                }
                if verdict.name.as_deref() != Some(name) {
                    return Err(Error::usage(
                        &what,
                        format!(
                            "its `name` is {:?}, not {name:?}: Optimus would know it by that name",
                            verdict.name.as_deref().unwrap_or("")
                        ),
                    ));
                }
                Ok(Checked {
                    // v1 specs say `plugintype`; goto's v2 has none (give --type).
                    plugin_type: verdict.plugin_type.as_deref().and_then(PluginType::parse),
                    description: yaml_description(&text),
                    ships_yaml: false,
                })
            }
            Format::TarGz | Format::Zip => {
                let tmp = std::env::temp_dir().join(fsutil::unique_name("optimus-publish-check-"));
                std::fs::create_dir_all(&tmp).map_err(|e| Error::path("creating", &tmp, e))?;
                // Only yaml artifacts are for `any` (checked with the arguments).
                let Some(platform) = a.platform.os().cloned() else {
                    return Err(Error::usage(
                        a.path.display().to_string(),
                        "an archive is for one platform, not `any`",
                    ));
                };
                let limits = Limits::default();
                let res = crate::extract::Unpacker {
                    limits: &limits,
                    platform: &platform,
                    stage_dir: &tmp,
                    what: &what,
                    yaml_only: false,
                    target: self.target.unwrap_or_default(),
                }
                .unpack(
                    &a.path,
                    a.format,
                    &crate::extract::Want::One {
                        name: name.to_string(),
                        bin: None,
                    },
                );
                let checked = res.map(|staged| Checked {
                    ships_yaml: staged.iter().any(|s| s.kind == ArtifactKind::Yaml),
                    ..Checked::default()
                });
                let _ = std::fs::remove_dir_all(&tmp);
                // What the archive holds is the publisher's to fix: the file given is wrong.
                checked.map_err(|e| match e {
                    Error::Archive { artifact, message } => Error::usage(artifact, message),
                    e => e,
                })
            }
            Format::Binary => Ok(Checked::default()),
        }
    }

    /// Refuses a version no client could install as a whole: a binary plugin without its yaml
    /// (for raystack Optimus; `--binary-only` allows it), or any binary (for goto Optimus).
    /// Says what to add.
    pub fn check_whole(
        &self,
        name: &str,
        version: &semver::Version,
        artifacts: &[(&ArtifactArg, Checked)],
    ) -> Result<()> {
        let binaries: Vec<&ArtifactArg> = artifacts
            .iter()
            .map(|(a, _)| *a)
            .filter(|a| a.format != Format::Yaml)
            .collect();
        if binaries.is_empty() {
            return Ok(());
        }
        let files = |v: &[&ArtifactArg]| {
            v.iter()
                .map(|a| a.file_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(t) = self
            .target
            .filter(|t| t.rules().binary_needs_yaml.is_none())
        {
            return Err(Error::usage(format!("{name} {version}"), format!(
                "{t} Optimus runs no binary plugins, so no client could use {}: publish the yaml plugin ({}) alone, or pass another --target",
                files(&binaries),
                yaml_file_name(name)
            )));
        }
        let has_yaml = artifacts.iter().any(|(a, _)| a.format == Format::Yaml);
        let alone: Vec<&ArtifactArg> = artifacts
            .iter()
            .filter(|(a, c)| a.format != Format::Yaml && !c.ships_yaml)
            .map(|(a, _)| *a)
            .collect();
        if has_yaml || alone.is_empty() || self.binary_only {
            return Ok(());
        }
        let yaml = yaml_file_name(name);
        let target = self.target.unwrap_or_default();
        let message = target.rules().binary_needs_yaml.unwrap_or_default();
        Err(Error::usage(format!("{name} {version}"), format!(
            "{} would be published without a yaml plugin of the same name, and {target} Optimus refuses to start with such a binary (`{message}{name}`); add {yaml} to this publish (`... {name} {version} {} {yaml}`), or put {yaml} in each archive beside the binary (--binary-only publishes it anyway, for Optimus before v0.5)",
            files(&alone),
            binaries
                .iter()
                .map(|a| a.path.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
        )))
    }
}

/// A yaml plugin's top-level `description:` (v1 and goto v2 both have one), when it is a
/// non-empty string.
fn yaml_description(text: &str) -> Option<String> {
    let doc: serde_norway::Value = serde_norway::from_str(text).ok()?;
    let d = doc.get("description")?.as_str()?.trim();
    // The index keeps one line.
    let line = d.lines().next().unwrap_or_default().trim();
    (!line.is_empty()).then(|| line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_is_the_first_line_of_a_string() {
        assert_eq!(
            yaml_description("name: a\ndescription: Near earth objects\n").as_deref(),
            Some("Near earth objects")
        );
        assert_eq!(
            yaml_description("description: |\n  first\n  second\n").as_deref(),
            Some("first")
        );
        assert_eq!(yaml_description("description: ''\n"), None);
        assert_eq!(yaml_description("description: [1]\n"), None);
        assert_eq!(yaml_description("name: a\n"), None);
    }
}

//! A plugin as declared → a [`Declaration`]: a registry requirement, or a direct artifact
//! (a URL or path, maybe templated, maybe pinned).

use super::expand::expand_env;
use super::raw::{RawPins, RawPlugin};
use super::{Declaration, Pins, Provider, ProviderKind, Source};
use crate::error::{Error, Result};
use crate::model::artifact::ArtifactPlatform;
use crate::model::format::Format;
use crate::model::location::is_url;
use crate::model::names::{check_plugin_name, parse_artifact_file_name};
use crate::model::redact;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn normalize_plugin(
    raw: &RawPlugin,
    index: usize,
    file: &Path,
    providers: &BTreeMap<String, Provider>,
) -> Result<Declaration> {
    let loc = match (&raw.path, &raw.url) {
        (Some(_), Some(_)) => {
            return Err(Error::in_config(
                file,
                item(index),
                "give either `path` or `url`, not both",
            ))
        }
        (Some(p), None) | (None, Some(p)) => Some(p.clone()),
        (None, None) => None,
    };
    let label = raw
        .name
        .clone()
        .unwrap_or_else(|| format!("plugins[{index}]"));
    let provider = match &raw.provider {
        Some(p) => Some(providers.get(p).ok_or_else(|| {
            let declared = match providers.is_empty() {
                true => "none: add it under `providers:`".to_string(),
                false => providers.keys().cloned().collect::<Vec<_>>().join(", "),
            };
            let near = crate::model::names::did_you_mean(p, providers.keys().map(String::as_str));
            Error::in_config(
                file,
                plugin(&label),
                format!("unknown provider `{p}` (declared: {declared}){near}"),
            )
        })?),
        None => None,
    };
    match (provider, loc) {
        (Some(p), None) if p.kind.holds_registry() => registry_plugin(raw, index, file, p),
        (Some(p), None) => Err(Error::in_config(
            file,
            plugin(&label),
            format!(
                "provider {} is of a direct type: give the artifact's `path`",
                p.name
            ),
        )),
        (None, None) => Err(Error::in_config(
            file,
            plugin(&label),
            "give a `provider` (a registry) or a `url`",
        )),
        (Some(p), Some(_)) if p.kind == ProviderKind::Registry => Err(Error::in_config(
            file,
            plugin(&label),
            format!(
                "provider {} is a registry: give a `version` requirement, not a path",
                p.name
            ),
        )),
        (provider, Some(declared)) => direct_plugin(raw, &label, file, provider, declared),
    }
}

/// The entry of an item of `plugins:` without a name: its place in the list.
fn item(index: usize) -> Option<String> {
    Some(format!("plugins[{index}]"))
}

/// The entry of a problem with a plugin: `plugin NAME`.
fn plugin(name: &str) -> Option<String> {
    Some(format!("plugin {name}"))
}

/// A name that is no valid plugin name (the message names it).
fn check_name(name: &str, file: &Path) -> Result<()> {
    check_plugin_name(name).map_err(|e| Error::in_config(file, None, e.to_string()))
}

/// A plugin resolved against the signed index of registry provider `p`.
fn registry_plugin(
    raw: &RawPlugin,
    index: usize,
    file: &Path,
    p: &Provider,
) -> Result<Declaration> {
    let name = raw
        .name
        .clone()
        .ok_or_else(|| Error::in_config(file, item(index), "missing `name`"))?;
    check_name(&name, file)?;
    let text = raw.version.clone().unwrap_or_else(|| "*".to_string());
    let requirement = semver::VersionReq::parse(&text).map_err(|e| {
        Error::in_config(
            file,
            plugin(&name),
            format!("bad version requirement {text:?}: {e}; write a semver requirement such as \"^1.2\", \"~1.2.3\", \"=1.2.3\" or \"*\""),
        )
    })?;
    if raw.sha256.is_some() {
        return Err(Error::in_config(
            file,
            plugin(&name),
            "`sha256` pins apply to direct artifacts; a registry's checksums come from its signed index",
        ));
    }
    Ok(Declaration {
        name,
        source: Source::Registry {
            provider: p.name.clone(),
            requirement,
            requirement_text: text,
        },
    })
}

/// A direct artifact at `declared` (a URL or path, maybe templated, under `provider`'s base).
fn direct_plugin(
    raw: &RawPlugin,
    label: &str,
    file: &Path,
    provider: Option<&Provider>,
    declared: String,
) -> Result<Declaration> {
    let template = expand_env(&declared, &format!("plugin {label}: path"), file)?;
    // A URL's file name is the last segment of its path, never of its query.
    let path_part = if is_url(&template) {
        template.split(['?', '#']).next().unwrap_or(&template)
    } else {
        &template
    };
    let file_part = path_part
        .rsplit('/')
        .next()
        .unwrap_or(path_part)
        .to_string();
    let version = raw.version.clone();
    let file_for_name = file_part
        .replace("{version}", version.as_deref().unwrap_or("0.0.0"))
        .replace("{os}", "linux")
        .replace("{arch}", "amd64");
    let format = Format::from_file_name(&file_part);
    let (name, bundle) = match &raw.name {
        Some(n) => (n.clone(), false),
        None => match parse_artifact_file_name(&file_for_name) {
            Some(named) => (named.name, false),
            None if format.is_archive() => (bundle_name(&file_for_name), true),
            None => {
                return Err(Error::in_config(
                    file,
                    Some(format!("artifact {}", redact::url_for_display(&declared))),
                    "cannot tell the plugin name from the file name; name it \
                     optimus-<name>_<os>_<arch> or optimus-plugin-<name>.yaml, or declare it with `name:`",
                ))
            }
        },
    };
    check_name(&name, file)?;
    if let Some(v) = &version {
        if v.contains('/') || v.contains("..") {
            return Err(Error::in_config(
                file,
                plugin(&name),
                format!("bad version {v:?}"),
            ));
        }
    }
    Ok(Declaration {
        source: Source::Direct {
            provider: provider.map(|p| p.name.clone()),
            // What the lock records as `source`: no user-info, no signed query.
            declared: redact::location_text(&declared),
            template,
            version,
            pins: pins(raw, &name, file)?,
            bundle,
        },
        name,
    })
}

/// The `sha256` pins of a direct artifact: one for any platform, or one per platform.
fn pins(raw: &RawPlugin, name: &str, file: &Path) -> Result<Pins> {
    Ok(match &raw.sha256 {
        None => Pins::None,
        Some(RawPins::One(s)) => Pins::Any(check_hex(s, name, file)?),
        Some(RawPins::PerPlatform(m)) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                ArtifactPlatform::parse(k)
                    .map_err(|e| Error::in_config(file, plugin(name), format!("sha256: {e}")))?;
                out.insert(k.clone(), check_hex(v, name, file)?);
            }
            Pins::PerPlatform(out)
        }
    })
}

fn check_hex(s: &str, name: &str, file: &Path) -> Result<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(Error::in_config(
            file,
            plugin(name),
            format!("sha256 pin {s:?} is not 64 hex digits"),
        ))
    }
}

/// A lock name for an unnamed multi-plugin archive: its file stem, made a valid plugin name.
fn bundle_name(file: &str) -> String {
    let stem = crate::model::names::goreleaser_project(file)
        .unwrap_or_else(|| crate::model::names::strip_archive_ext(file))
        .to_ascii_lowercase();
    let mut s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s = s.trim_start_matches(['-', '_']).to_string();
    s.truncate(64);
    if s.is_empty() {
        "bundle".into()
    } else {
        s
    }
}

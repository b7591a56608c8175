//! Declarations: the plugin section of `optimus.yaml`.
//!
//! Three spellings are accepted (spec §3): `plugins: {dir, providers, plugins}`, the RFC's
//! `install_location` / `list` / `- plugin: {...}` / `- http: {...}` spelling, and the server's
//! `plugin: {artifacts: [...]}` list. Everything is normalised into a [`Manifest`]; every
//! location is parsed here, once, into a typed [`Location`].

mod access;
mod client;
mod env;
mod expand;
mod images;
mod lines;
mod lock_path;
mod open;
mod plugin;
mod provider;
mod raw;

pub use access::ProviderTls;
pub use env::{Environment, Net, ObjectEnv, ProxyEnv, TerminalEnv};
pub use expand::{expand_env, suggest_for_unknown_field, yaml_error};
pub use images::ImageRegistry;
use lines::{at_line, List};
pub use lock_path::{lock_file_name, LockSource, OWNER_FILE, SHARED_LOCK};

use crate::error::{Error, Result};
use crate::model::credentials::{Credentials, Origin};
use crate::model::fsutil;
use crate::model::limits::{Limits, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_RATIO, DEFAULT_MAX_UNPACKED};
use crate::model::link_mode::LinkMode;
use crate::model::location::Location;
use crate::model::platform::Platform;
use crate::model::redact;
use crate::upstream::target::Target;
pub use client::{client_host, has_plugin_section, load_project};
use raw::{RawPlugin, RawSection, RawTop};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "optimus.yaml";

// ---------------------------------------------------------------------------------------------
// Normalised.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    Registry,
    Http,
    S3,
    Gcs,
    Azure,
    Local,
}

impl ProviderKind {
    fn parse(s: &str) -> Option<ProviderKind> {
        Some(match s {
            "registry" => ProviderKind::Registry,
            "http" | "https" => ProviderKind::Http,
            "s3" => ProviderKind::S3,
            "gcs" | "gs" => ProviderKind::Gcs,
            "azure" | "az" => ProviderKind::Azure,
            "local" | "file" => ProviderKind::Local,
            _ => return None,
        })
    }
}

impl ProviderKind {
    /// Whether a plugin declared with only a `version` resolves against a signed registry
    /// index at this provider's base (a registry, or a bucket holding one).
    pub fn holds_registry(self) -> bool {
        matches!(
            self,
            ProviderKind::Registry | ProviderKind::S3 | ProviderKind::Gcs | ProviderKind::Azure
        )
    }
}

#[derive(Clone, Debug)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// Base location: a directory (absolute), or an `http(s)://`, `s3://`, `gs://` or
    /// `az://` URL.
    pub base: Location,
    pub public_keys: Vec<String>,
    pub allow_unsigned: bool,
    /// `registry_id:`: the registry this provider is (its `config.toml`'s `id`), pinned, so a
    /// source serving another registry signed with the same keys is refused even on a first
    /// contact (see `registry::freshness`).
    pub registry_id: Option<String>,
    pub mirrors: Vec<Location>,
    /// What its requests carry: headers, TLS settings, a credential program, an object
    /// store's endpoint, region and service account.
    pub credentials: Credentials,
    /// Where it is declared, `FILE:LINE` (for messages).
    pub declared_at: String,
}

impl Provider {
    /// The provider as the transport sees it (`source` takes nothing else of it).
    pub fn origin(&self) -> Origin<'_> {
        Origin {
            name: &self.name,
            base: &self.base,
            mirrors: &self.mirrors,
            credentials: &self.credentials,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Pins {
    None,
    Any(String),
    PerPlatform(BTreeMap<String, String>),
}

impl Pins {
    pub fn for_platform(
        &self,
        platform: &crate::model::artifact::ArtifactPlatform,
    ) -> Option<&str> {
        match self {
            Pins::None => None,
            Pins::Any(s) => Some(s),
            Pins::PerPlatform(m) => m.get(&platform.to_string()).map(String::as_str),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Source {
    /// Resolved against a signed registry index.
    Registry {
        provider: String,
        requirement: semver::VersionReq,
        requirement_text: String,
    },
    /// A direct artifact: a URL or path, possibly with `{name} {version} {os} {arch}` placeholders.
    Direct {
        provider: Option<String>,
        /// The location as written (before `${VAR}` expansion): identity in the lock, no secrets.
        declared: String,
        /// The location with `${VAR}` expanded (may hold secrets: never print it raw).
        template: String,
        version: Option<String>,
        pins: Pins,
        /// An archive without a declared plugin name: every conventional entry is installed.
        bundle: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Declaration {
    pub name: String,
    pub source: Source,
}

#[derive(Clone, Debug)]
pub struct Manifest {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub plugin_dir: PathBuf,
    pub providers: BTreeMap<String, Provider>,
    pub plugins: Vec<Declaration>,
    pub limits: Limits,
    /// Which Optimus the plugins are for (`plugins.target`, or `--target`).
    pub target: Target,
    /// How cached files are placed: `OPTIMUS_LINK_MODE`, else `plugins.link_mode`, else hard
    /// links (a command's `--link-mode` overrides both).
    pub link_mode: LinkMode,
    /// Things worth a warning that do not stop the run (an artifact declared twice).
    pub notes: Vec<String>,
    /// `plugins.lock_images` (goto v2 yaml plugins: lock image tags to digests).
    pub lock_images: bool,
    /// `plugins.image_registries`.
    pub image_registries: Vec<ImageRegistry>,
    /// Where each provider and plugin is written in the config (for messages).
    pub at: lines::Lines,
}

impl Manifest {
    pub fn provider(&self, name: &str) -> Result<&Provider> {
        self.providers.get(name).ok_or_else(|| {
            let declared = match self.providers.is_empty() {
                true => "none".to_string(),
                false => self
                    .providers
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            Error::in_config(
                &self.path,
                None,
                format!("unknown provider `{name}` (declared: {declared})"),
            )
        })
    }

    pub fn declaration(&self, name: &str) -> Option<&Declaration> {
        self.plugins.iter().find(|d| d.name == name)
    }

    /// The `image_registries` entry for a registry `host[:port]`, if any.
    pub fn image_registry(&self, host: &str) -> Option<&ImageRegistry> {
        self.image_registries.iter().find(|r| r.host == host)
    }

    /// Where a direct artifact lives for a platform: placeholders filled, `${VAR}` expanded
    /// (so it may hold credentials: print it only through its `Display`), joined to its
    /// provider's base or to the config's directory.
    pub fn direct_location(
        &self,
        d: &Declaration,
        platform: Option<&Platform>,
    ) -> Result<Location> {
        let Source::Direct {
            provider,
            template,
            version,
            ..
        } = &d.source
        else {
            return Err(self.plugin_error(&d.name, "is not a direct artifact"));
        };
        let mut s = template
            .replace("{name}", &d.name)
            .replace("{version}", version.as_deref().unwrap_or(""));
        if let Some(p) = platform {
            s = s.replace("{os}", &p.os).replace("{arch}", &p.arch);
        }
        let loc = match provider {
            Some(p) => self.provider(p)?.base.join(s.trim_start_matches('/')),
            None => Location::parse(&s, &self.dir),
        };
        loc.map_err(|e| self.plugin_error(&d.name, e.to_string()))
    }
}

/// An error about the entry `what` of the config `file` (`provider reg: url`).
fn in_file(file: &Path, what: &str, e: Error) -> Error {
    Error::in_config(file, Some(what.to_string()), e.to_string())
}

/// Loads and normalises the plugin section of `path`.
pub fn load(path: &Path, env: &Environment) -> Result<Manifest> {
    parse(&open::read_config(path)?, path, env)
}

pub fn parse(text: &str, path: &Path, env: &Environment) -> Result<Manifest> {
    let section = raw_top(text, path)?.plugins.ok_or_else(|| {
        Error::in_config(
            path,
            None,
            "no `plugins:` (or `plugin:`) section: nothing to install",
        )
    })?;
    normalize(&section, text, path, env)
}

/// The config's top level as written (an empty file has nothing in it).
fn raw_top(text: &str, path: &Path) -> Result<RawTop> {
    if text.trim().is_empty() {
        return Ok(RawTop {
            plugins: None,
            host: None,
        });
    }
    serde_norway::from_str(text).map_err(|e| yaml_error(&fsutil::absolute(path), text, &e))
}

/// The plugin section of the config at `path` (whose text is `text`), normalised.
fn normalize(section: &RawSection, text: &str, path: &Path, env: &Environment) -> Result<Manifest> {
    let path = fsutil::absolute(path);
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let file = &path;

    // Plugin dir: OPTIMUS_PLUGIN_DIR, then the config, then `.plugins` beside the config.
    let plugin_dir = match &env.plugin_dir {
        Some(d) => d.clone(),
        None => match section.dir.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(d) => fsutil::absolute(&dir.join(expand_env(d, "dir", file)?)),
            None => dir.join(".plugins"),
        },
    };

    let mut providers = BTreeMap::new();
    // The line of each list item, found once per list (a lookup per item would read the whole
    // text again for each: quadratic in the number of plugins).
    let items = |list| lines::item_lines(text, list);
    let item = |lines: &[usize], i: usize| lines.get(i).copied();
    let (provider_lines, plugin_lines) = (items(List::Providers), items(List::Plugins));
    let mut at = lines::Lines::default();
    for (i, raw) in section.providers.iter().enumerate() {
        let line = item(&provider_lines, i);
        let mut p =
            provider::normalize_provider(raw, i, file, &dir).map_err(at_line(file, line))?;
        p.declared_at = at.provider(file, &p.name, line)?;
        providers.insert(p.name.clone(), p);
    }
    if let Some(m) = &env.mirror_dir {
        provider::use_mirror_dir(&mut providers, m)?;
    }

    let mut plugins: Vec<Declaration> = Vec::new();
    for (i, raw) in section.plugins.iter().enumerate() {
        let raw = match &raw.plugin {
            Some(inner) => inner.as_ref().clone(),
            None => raw.clone(),
        };
        let line = item(&plugin_lines, i);
        plugins.push(
            plugin::normalize_plugin(&raw, i, file, &providers).map_err(at_line(file, line))?,
        );
        at.declared.push(line);
    }

    let mut artifacts = section.artifacts.clone();
    artifacts.extend(env.artifacts.iter().cloned());
    let mut notes = Vec::new();
    let declared = plugins.len();
    let artifact_lines = items(List::Artifacts);
    for (j, a) in artifacts.iter().enumerate() {
        let raw = RawPlugin {
            url: Some(a.clone()),
            ..Default::default()
        };
        let line = item(&artifact_lines, j);
        let d = plugin::normalize_plugin(&raw, plugins.len(), file, &providers)
            .map_err(at_line(file, line))?;
        // Upstream installs `artifacts` in order into one directory: a later artifact of the
        // same plugin overwrites the earlier one. Same here, said out loud.
        if let Some(i) = plugins[declared..].iter().position(|p| p.name == d.name) {
            let old = plugins.remove(declared + i);
            at.declared.remove(declared + i);
            notes.push(format!(
                "{}: plugin `{}` is listed twice in `artifacts`: {} is installed, {} is not (a later artifact wins, as in Optimus)",
                file.display(),
                d.name,
                redact::url_for_display(declared_text(&d)),
                redact::url_for_display(declared_text(&old)),
            ));
        }
        plugins.push(d);
        at.declared.push(line);
    }
    // Names must be unique across every form.
    at.name_plugins(file, &plugins)?;

    let raw_limits = section.limits.clone().unwrap_or_default();
    let env_u64 = |k: &str, v: &Option<String>| -> Result<Option<u64>> {
        match v {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| Error::Env {
                var: format!("{k}={v:?}"),
                problem: "expected a whole number".into(),
            }),
        }
    };
    let limits = Limits {
        max_unpacked_size: env_u64("OPTIMUS_MAX_UNPACKED_SIZE", &env.max_unpacked_size)?
            .or(raw_limits.max_unpacked_size)
            .unwrap_or(DEFAULT_MAX_UNPACKED),
        max_entries: env_u64("OPTIMUS_MAX_ENTRIES", &env.max_entries)?
            .or(raw_limits.max_entries)
            .unwrap_or(DEFAULT_MAX_ENTRIES),
        max_ratio: env_u64("OPTIMUS_MAX_RATIO", &env.max_ratio)?
            .or(raw_limits.max_ratio)
            .unwrap_or(DEFAULT_MAX_RATIO),
    };

    let target = match &section.target {
        Some(t) => Target::parse(t).map_err(|e| in_file(file, "target", e))?,
        None => Target::default(),
    };
    let image_registries = images::normalize(&section.image_registries, file)?;

    let link_mode = match (&env.link_mode, &section.link_mode) {
        (Some(v), _) if !v.trim().is_empty() => LinkMode::parse(v, "OPTIMUS_LINK_MODE")?,
        (_, Some(v)) => LinkMode::parse(v, "plugins.link_mode")
            .map_err(|e| Error::in_config(file, None, e.to_string()))?,
        _ => LinkMode::default(),
    };

    Ok(Manifest {
        path: path.clone(),
        dir,
        plugin_dir,
        providers,
        plugins,
        limits,
        target,
        link_mode,
        notes,
        lock_images: section.lock_images.unwrap_or(true),
        image_registries,
        at,
    })
}

fn declared_text(d: &Declaration) -> &str {
    match &d.source {
        Source::Direct { declared, .. } => declared,
        Source::Registry {
            requirement_text, ..
        } => requirement_text,
    }
}

#[cfg(test)]
mod tests;

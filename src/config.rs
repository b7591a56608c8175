//! Declarations: the plugin section of `optimus.yaml`.
//!
//! Three spellings are accepted (spec §3): `plugins: {dir, providers, plugins}`, the RFC's
//! `install_location` / `list` / `- plugin: {...}` / `- http: {...}` spelling, and the server's
//! `plugin: {artifacts: [...]}` list. Everything is normalised into a [`Manifest`].

use crate::error::{Error, Result};
use crate::platform::{check_plugin_name, parse_artifact_file_name, Platform};
use crate::{format::Format, fsutil, redact};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "optimus.yaml";
pub const DEFAULT_MAX_UNPACKED: u64 = 1 << 30;
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
pub const DEFAULT_MAX_RATIO: u64 = 200;

// ---------------------------------------------------------------------------------------------
// Raw, as written.

#[derive(Deserialize)]
struct RawTop {
    #[serde(alias = "plugin")]
    plugins: Option<RawSection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(alias = "plugin_dir", alias = "install_location")]
    dir: Option<String>,
    #[serde(default)]
    providers: Vec<RawProvider>,
    #[serde(default, alias = "list")]
    plugins: Vec<RawPlugin>,
    #[serde(default)]
    artifacts: Vec<String>,
    #[serde(default)]
    limits: Option<RawLimits>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_unpacked_size: Option<u64>,
    max_entries: Option<u64>,
    max_ratio: Option<u64>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(alias = "location")]
    url: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    service_account: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    auth: Option<RawAuth>,
    #[serde(default)]
    public_keys: Vec<String>,
    #[serde(default)]
    allow_unsigned: bool,
    #[serde(default)]
    mirrors: Vec<String>,
    // The RFC's type-keyed spelling: `- http: {name, url}`.
    http: Option<Box<RawProvider>>,
    gcs: Option<Box<RawProvider>>,
    s3: Option<Box<RawProvider>>,
    azure: Option<Box<RawProvider>>,
    local: Option<Box<RawProvider>>,
    registry: Option<Box<RawProvider>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    bearer: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    name: Option<String>,
    provider: Option<String>,
    version: Option<String>,
    path: Option<String>,
    url: Option<String>,
    sha256: Option<RawPins>,
    plugin: Option<Box<RawPlugin>>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum RawPins {
    One(String),
    PerPlatform(BTreeMap<String, String>),
}

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
    /// Base location: a directory, `file://`, `http(s)://`, `s3://`, `gs://` or `az://` URL.
    /// For a local path it is already made absolute against the config's directory.
    pub base: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Base64 service-account json for gcs (the RFC's form).
    pub service_account: Option<String>,
    pub headers: Vec<(String, String)>,
    pub public_keys: Vec<String>,
    pub allow_unsigned: bool,
    pub mirrors: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_unpacked_size: u64,
    pub max_entries: u64,
    pub max_ratio: u64,
}

impl Default for Limits {
    /// The documented defaults: 1 GiB unpacked, 10 000 entries, a 200:1 compression ratio.
    fn default() -> Self {
        Limits {
            max_unpacked_size: DEFAULT_MAX_UNPACKED,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_ratio: DEFAULT_MAX_RATIO,
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
    pub fn for_platform(&self, platform: &str) -> Option<&str> {
        match self {
            Pins::None => None,
            Pins::Any(s) => Some(s),
            Pins::PerPlatform(m) => m.get(platform).map(String::as_str),
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
}

impl Manifest {
    pub fn provider(&self, name: &str) -> Result<&Provider> {
        self.providers.get(name).ok_or_else(|| {
            Error::config(format!(
                "{}: unknown provider `{name}` (declared: {})",
                self.path.display(),
                if self.providers.is_empty() {
                    "none".to_string()
                } else {
                    self.providers
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ))
        })
    }

    pub fn declaration(&self, name: &str) -> Option<&Declaration> {
        self.plugins.iter().find(|d| d.name == name)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("optimus.lock")
    }
}

/// Formats a serde_norway error as `file:line:column: message`.
pub fn yaml_error(file: &Path, e: &serde_norway::Error) -> Error {
    let msg = e.to_string();
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let msg = suggest_for_unknown_field(&msg);
    match e.location() {
        Some(l) => Error::config(format!(
            "{}:{}:{}: {msg}",
            file.display(),
            l.line(),
            l.column()
        )),
        None => Error::config(format!("{}: {msg}", file.display())),
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of ..." messages.
pub fn suggest_for_unknown_field(msg: &str) -> String {
    let Some(rest) = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.split("unknown field `").nth(1))
    else {
        return msg.to_string();
    };
    let Some(end) = rest.find('`') else {
        return msg.to_string();
    };
    let unknown = &rest[..end];
    let known: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    let best = known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&unknown.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min();
    match best {
        Some((_, k)) => format!("{msg}; did you mean `{k}`?"),
        None => msg.to_string(),
    }
}

/// Expands `${VAR}` from the environment; an unset variable is an error naming it and `what`.
/// Expanded values are registered as secrets.
pub fn expand_env(value: &str, what: &str, file: &Path) -> Result<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            Error::config(format!(
                "{}: {what}: unterminated `${{` in value",
                file.display()
            ))
        })?;
        let var = &after[..end];
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::config(format!(
                "{}: {what}: invalid variable name `${{{var}}}`",
                file.display()
            )));
        }
        let val = std::env::var(var).map_err(|_| {
            Error::config(format!(
                "{}: {what}: environment variable {var} is not set",
                file.display()
            ))
        })?;
        redact::register(&val);
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_url(s: &str) -> bool {
    s.contains("://")
}

/// Makes a local path or `file://` URL absolute against `dir`; leaves other URLs alone.
pub fn resolve_location(loc: &str, dir: &Path) -> String {
    if let Some(p) = loc.strip_prefix("file://") {
        return fsutil::absolute(&dir.join(p))
            .to_string_lossy()
            .into_owned();
    }
    if is_url(loc) {
        return loc.to_string();
    }
    fsutil::absolute(&dir.join(loc))
        .to_string_lossy()
        .into_owned()
}

/// `OPTIMUS_PLUGIN_DIR`, made absolute; unset or empty is no override.
pub fn plugin_dir_override() -> Option<PathBuf> {
    std::env::var("OPTIMUS_PLUGIN_DIR")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|d| fsutil::absolute(Path::new(&d)))
}

/// Loads and normalises the plugin section of `path`.
pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::config(format!(
                "config file {} not found (pass -c FILE, or create optimus.yaml with a `plugins:` section)",
                path.display()
            ))
        } else {
            Error::path("reading", path, e)
        }
    })?;
    parse(&text, path)
}

pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
    let path = fsutil::absolute(path);
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let top: RawTop = if text.trim().is_empty() {
        RawTop { plugins: None }
    } else {
        serde_norway::from_str(text).map_err(|e| yaml_error(&path, &e))?
    };
    let section = top.plugins.ok_or_else(|| {
        Error::config(format!(
            "{}: no `plugins:` (or `plugin:`) section: nothing to install",
            path.display()
        ))
    })?;
    let file = &path;

    // Plugin dir: OPTIMUS_PLUGIN_DIR, then the config, then `.plugins` beside the config.
    let plugin_dir = match plugin_dir_override() {
        Some(d) => d,
        None => match section.dir.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(d) => fsutil::absolute(&dir.join(expand_env(d, "dir", file)?)),
            None => dir.join(".plugins"),
        },
    };

    let mut providers = BTreeMap::new();
    for (i, raw) in section.providers.iter().enumerate() {
        let p = normalize_provider(raw, i, file, &dir)?;
        if providers.contains_key(&p.name) {
            return Err(Error::config(format!(
                "{}: provider `{}` is declared twice",
                file.display(),
                p.name
            )));
        }
        providers.insert(p.name.clone(), p);
    }

    let mut plugins: Vec<Declaration> = Vec::new();
    for (i, raw) in section.plugins.iter().enumerate() {
        let raw = match &raw.plugin {
            Some(inner) => inner.as_ref().clone(),
            None => raw.clone(),
        };
        plugins.push(normalize_plugin(&raw, i, file, &providers)?);
    }

    let mut artifacts = section.artifacts.clone();
    if let Ok(env) = std::env::var("OPTIMUS_PLUGIN_ARTIFACTS") {
        artifacts.extend(
            env.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    for a in &artifacts {
        let raw = RawPlugin {
            url: Some(a.clone()),
            ..Default::default()
        };
        plugins.push(normalize_plugin(&raw, plugins.len(), file, &providers)?);
    }

    // Names must be unique across every form.
    let mut seen = BTreeMap::new();
    for d in &plugins {
        if seen.insert(d.name.clone(), ()).is_some() {
            return Err(Error::config(format!(
                "{}: plugin `{}` is declared more than once",
                file.display(),
                d.name
            )));
        }
    }

    let raw_limits = section.limits.clone().unwrap_or_default();
    let env_u64 = |k: &str| -> Result<Option<u64>> {
        match std::env::var(k) {
            Err(_) => Ok(None),
            Ok(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| Error::config(format!("{k}={v:?}: expected a whole number"))),
        }
    };
    let limits = Limits {
        max_unpacked_size: env_u64("OPTIMUS_MAX_UNPACKED_SIZE")?
            .or(raw_limits.max_unpacked_size)
            .unwrap_or(DEFAULT_MAX_UNPACKED),
        max_entries: env_u64("OPTIMUS_MAX_ENTRIES")?
            .or(raw_limits.max_entries)
            .unwrap_or(DEFAULT_MAX_ENTRIES),
        max_ratio: env_u64("OPTIMUS_MAX_RATIO")?
            .or(raw_limits.max_ratio)
            .unwrap_or(DEFAULT_MAX_RATIO),
    };

    Ok(Manifest {
        path: path.clone(),
        dir,
        plugin_dir,
        providers,
        plugins,
        limits,
    })
}

fn normalize_provider(
    raw: &RawProvider,
    index: usize,
    file: &Path,
    dir: &Path,
) -> Result<Provider> {
    // Type-keyed form: exactly one of http/gcs/s3/azure/local/registry holds the body.
    let keyed: Vec<(&str, &RawProvider)> = [
        ("http", &raw.http),
        ("gcs", &raw.gcs),
        ("s3", &raw.s3),
        ("azure", &raw.azure),
        ("local", &raw.local),
        ("registry", &raw.registry),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|b| (k, b)))
    .collect();
    let (kind_text, body) = match keyed.as_slice() {
        [] => (raw.kind.clone(), raw),
        [(k, body)] => (Some(k.to_string()), *body),
        _ => {
            return Err(Error::config(format!(
                "{}: providers[{index}]: give one provider per list entry",
                file.display()
            )))
        }
    };
    let name = body
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Error::config(format!(
                "{}: providers[{index}]: missing `name`",
                file.display()
            ))
        })?;
    let what = |field: &str| format!("provider {name}: {field}");
    let kind_text = kind_text.unwrap_or_else(|| "registry".to_string());
    let kind = ProviderKind::parse(&kind_text).ok_or_else(|| {
        Error::config(format!(
            "{}: provider {name}: unknown type `{kind_text}` (expected registry, http, s3, gcs, azure or local)",
            file.display()
        ))
    })?;
    let opt = |v: &Option<String>, field: &str| -> Result<Option<String>> {
        v.as_deref()
            .map(|s| expand_env(s, &what(field), file))
            .transpose()
    };
    let url = opt(&body.url, "url")?;
    let bucket = opt(&body.bucket, "bucket")?;
    let prefix = opt(&body.prefix, "prefix")?;
    let base = match (kind, url, bucket) {
        (_, Some(u), None) => resolve_location(&u, dir),
        (
            ProviderKind::S3 | ProviderKind::Gcs | ProviderKind::Azure | ProviderKind::Registry,
            u,
            Some(b),
        ) => {
            if u.is_some() {
                return Err(Error::config(format!(
                    "{}: provider {name}: give either `url` or `bucket`, not both",
                    file.display()
                )));
            }
            let scheme = match kind {
                ProviderKind::S3 | ProviderKind::Registry => "s3",
                ProviderKind::Gcs => "gs",
                _ => "az",
            };
            let prefix = prefix.as_deref().unwrap_or("").trim_matches('/');
            if prefix.is_empty() {
                format!("{scheme}://{b}")
            } else {
                format!("{scheme}://{b}/{prefix}")
            }
        }
        (_, _, Some(_)) => {
            return Err(Error::config(format!(
                "{}: provider {name}: `bucket` needs type s3, gcs or azure",
                file.display()
            )))
        }
        (_, None, None) => {
            return Err(Error::config(format!(
                "{}: provider {name}: missing `url` (or `bucket`)",
                file.display()
            )))
        }
    };
    let mut headers = Vec::new();
    for (k, v) in &body.headers {
        let v = expand_env(v, &what(&format!("headers.{k}")), file)?;
        redact::register(&v);
        if let Some(token) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("Basic "))
        {
            redact::register(token);
        }
        headers.push((k.clone(), v));
    }
    if let Some(auth) = &body.auth {
        if let Some(token) = opt(&auth.bearer, "auth.bearer")? {
            redact::register(&token);
            headers.push(("Authorization".into(), format!("Bearer {token}")));
        }
        if let Some(user) = opt(&auth.username, "auth.username")? {
            use base64::Engine;
            let pass = opt(&auth.password, "auth.password")?.unwrap_or_default();
            redact::register(&pass);
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            redact::register(&enc);
            headers.push(("Authorization".into(), format!("Basic {enc}")));
        }
    }
    let service_account = opt(&body.service_account, "service_account")?;
    if let Some(sa) = &service_account {
        redact::register(sa);
    }
    let mut public_keys = Vec::new();
    for k in &body.public_keys {
        let k = expand_env(k, &what("public_keys"), file)?;
        // Accept the bare base64 key or a whole minisign .pub file's text.
        let key = crate::signing::payload_line(&k).unwrap_or("").to_string();
        if minisign_verify::PublicKey::from_base64(&key).is_err() {
            return Err(Error::config(format!(
                "{}: provider {name}: public key {key:?} is not a minisign public key",
                file.display()
            )));
        }
        public_keys.push(key);
    }
    let mut mirrors = Vec::new();
    for m in &body.mirrors {
        mirrors.push(resolve_location(
            &expand_env(m, &what("mirrors"), file)?,
            dir,
        ));
    }
    Ok(Provider {
        name: name.clone(),
        kind,
        base,
        endpoint: opt(&body.endpoint, "endpoint")?,
        region: opt(&body.region, "region")?,
        service_account,
        headers,
        public_keys,
        allow_unsigned: body.allow_unsigned,
        mirrors,
    })
}

fn normalize_plugin(
    raw: &RawPlugin,
    index: usize,
    file: &Path,
    providers: &BTreeMap<String, Provider>,
) -> Result<Declaration> {
    let loc = match (&raw.path, &raw.url) {
        (Some(_), Some(_)) => {
            return Err(Error::config(format!(
                "{}: plugins[{index}]: give either `path` or `url`, not both",
                file.display()
            )))
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
            Error::config(format!(
                "{}: plugin {label}: unknown provider `{p}` (declared: {})",
                file.display(),
                if providers.is_empty() {
                    "none".into()
                } else {
                    providers.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
        })?),
        None => None,
    };

    match (provider, loc) {
        (Some(p), None) if p.kind.holds_registry() => {
            let name = raw.name.clone().ok_or_else(|| {
                Error::config(format!("{}: plugins[{index}]: missing `name`", file.display()))
            })?;
            check_plugin_name(&name).map_err(|e| Error::config(format!("{}: {e}", file.display())))?;
            let text = raw.version.clone().unwrap_or_else(|| "*".to_string());
            let requirement = semver::VersionReq::parse(&text).map_err(|e| {
                Error::config(format!(
                    "{}: plugin {name}: bad version requirement {text:?}: {e}",
                    file.display()
                ))
            })?;
            if raw.sha256.is_some() {
                return Err(Error::config(format!(
                    "{}: plugin {name}: `sha256` pins apply to direct artifacts; a registry's checksums come from its signed index",
                    file.display()
                )));
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
        (Some(p), None) => Err(Error::config(format!(
            "{}: plugin {label}: provider {} is of a direct type: give the artifact's `path`",
            file.display(),
            p.name
        ))),
        (None, None) => Err(Error::config(format!(
            "{}: plugin {label}: give a `provider` (a registry) or a `url`",
            file.display()
        ))),
        (Some(p), Some(_)) if p.kind == ProviderKind::Registry => Err(Error::config(format!(
            "{}: plugin {label}: provider {} is a registry: give a `version` requirement, not a path",
            file.display(),
            p.name
        ))),
        (provider, Some(declared)) => {
            let template = expand_env(&declared, &format!("plugin {label}: path"), file)?;
            let file_part = template.rsplit('/').next().unwrap_or(&template).to_string();
            let version = raw.version.clone();
            let file_for_name = file_part
                .replace("{version}", version.as_deref().unwrap_or(""))
                .replace("{os}", "linux")
                .replace("{arch}", "amd64");
            let format = Format::from_file_name(&file_part);
            let (name, bundle) = match &raw.name {
                Some(n) => (n.clone(), false),
                None => match parse_artifact_file_name(&file_for_name) {
                    Some(named) => (named.name, false),
                    None if format.is_archive() => (bundle_name(&file_part), true),
                    None => {
                        return Err(Error::config(format!(
                            "{}: artifact {}: cannot tell the plugin name from the file name; name it \
                             optimus-<name>_<os>_<arch> or optimus-plugin-<name>.yaml, or declare it with `name:`",
                            file.display(),
                            redact::url_for_display(&declared)
                        )))
                    }
                },
            };
            check_plugin_name(&name).map_err(|e| Error::config(format!("{}: {e}", file.display())))?;
            if let Some(v) = &version {
                if v.contains('/') || v.contains("..") {
                    return Err(Error::config(format!("{}: plugin {name}: bad version {v:?}", file.display())));
                }
            }
            let pins = match &raw.sha256 {
                None => Pins::None,
                Some(RawPins::One(s)) => Pins::Any(check_hex(s, &name, file)?),
                Some(RawPins::PerPlatform(m)) => {
                    let mut out = BTreeMap::new();
                    for (k, v) in m {
                        if k != crate::platform::ANY {
                            Platform::parse(k).map_err(|e| Error::config(format!("{}: plugin {name}: sha256: {e}", file.display())))?;
                        }
                        out.insert(k.clone(), check_hex(v, &name, file)?);
                    }
                    Pins::PerPlatform(out)
                }
            };
            Ok(Declaration {
                name,
                source: Source::Direct {
                    provider: provider.map(|p| p.name.clone()),
                    declared,
                    template,
                    version,
                    pins,
                    bundle,
                },
            })
        }
    }
}

fn check_hex(s: &str, name: &str, file: &Path) -> Result<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(Error::config(format!(
            "{}: plugin {name}: sha256 pin {s:?} is not 64 hex digits",
            file.display()
        )))
    }
}

/// A lock name for an unnamed multi-plugin archive: its file stem, made a valid plugin name.
fn bundle_name(file: &str) -> String {
    let stem = crate::format::strip_archive_ext(file).to_ascii_lowercase();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Manifest> {
        parse(text, Path::new("/tmp/proj/optimus.yaml"))
    }

    #[test]
    fn three_forms() {
        let m = p("plugins:\n  providers:\n    - name: odpf\n      type: registry\n      url: ./reg\n      allow_unsigned: true\n  plugins:\n    - name: bq2bq\n      provider: odpf\n      version: ^0.3\n").unwrap();
        assert_eq!(m.plugins[0].name, "bq2bq");
        assert_eq!(m.providers["odpf"].base, "/tmp/proj/reg");
        let m = p("plugins:\n  install_location: out\n  providers:\n    - http:\n        name: web\n        url: http://127.0.0.1:1/\n  list:\n    - plugin:\n        name: neo\n        provider: web\n        path: neo.yaml\n").unwrap();
        assert_eq!(m.plugin_dir, PathBuf::from("/tmp/proj/out"));
        assert!(matches!(m.plugins[0].source, Source::Direct { .. }));
        let m = p("other: 1\nplugin:\n  artifacts:\n    - https://h/optimus-plugin-neo.yaml\n    - ../t/optimus-bq2bq_darwin_arm64\n    - http://h/plugins.zip\n").unwrap();
        let names: Vec<_> = m.plugins.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["neo", "bq2bq", "plugins"]);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = p("plugins:\n  providers: []\n  plugns: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("optimus.yaml:3:"), "{e}");
        assert!(
            e.contains("plugns") && e.contains("did you mean `plugins`"),
            "{e}"
        );
    }

    #[test]
    fn unset_variable_is_named() {
        let e = p("plugins:\n  providers:\n    - name: x\n      type: http\n      url: http://h/\n      headers: {Authorization: \"Bearer ${NOPE_UNSET_VAR}\"}\n").unwrap_err();
        assert!(e.to_string().contains("NOPE_UNSET_VAR"));
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn bad_name_refused() {
        let e = p("plugins:\n  providers:\n    - {name: r, url: ./r}\n  plugins:\n    - {name: ../x, provider: r}\n").unwrap_err();
        assert!(e.to_string().contains("invalid plugin name"));
    }
}

//! Publishing to a static registry (spec §8): a directory (or `file://`), or an `s3://`,
//! `gs://` or `az://` bucket prefix. Versions are immutable. Index updates never lose a racing
//! publisher's version: a directory is serialised with an advisory lock; on object stores the
//! index is written with a conditional put (ETag/generation) and re-read on conflict, and the
//! signature is re-written until it matches the index that is current ([`index_write`]).

mod index_write;
mod page_write;
mod timestamp_write;
mod whole;

use index_write::already_published;

use crate::error::{Error, RegistryKind, Result};
use crate::model::artifact::{ArtifactPlatform, IndexUrl};
use crate::model::digest::Sha256;
use crate::model::format::Format;
use crate::model::fsutil;
use crate::model::location::Location;
use crate::model::names::{check_plugin_name, parse_artifact_file_name};
use crate::model::plugin_type::PluginType;
use crate::model::report::SharedReporter;
use crate::registry::signing::SigningKey;
use crate::registry::{IndexArtifact, IndexVersion, PluginIndex, RegistryConfig};
use crate::source::{Endpoint, PutMode, Transport};
use bytes::Bytes;
use std::path::PathBuf;

/// An artifact given on the command line.
#[derive(Debug, Clone)]
pub struct ArtifactArg {
    pub platform: ArtifactPlatform,
    pub format: Format,
    pub path: PathBuf,
    pub file_name: String,
}

/// Parses `PATH` (platform and format from the file name) or `PLATFORM=PATH`.
pub fn parse_artifact_arg(arg: &str, plugin: &str) -> Result<ArtifactArg> {
    let (platform, path) = match arg.split_once('=') {
        Some((p, path)) if !p.contains('/') => {
            let p = ArtifactPlatform::parse(p).map_err(|e| Error::usage(arg, e.to_string()))?;
            (Some(p), PathBuf::from(path))
        }
        _ => (None, PathBuf::from(arg)),
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| Error::usage(arg, "not a file path"))?;
    let format = Format::from_file_name(&file_name);
    let release = crate::model::names::goreleaser_platform(&file_name);
    let platform = match (platform, release) {
        (Some(p), _) => p,
        // A goreleaser release archive: its name gives the platform, not the plugin.
        (None, Some(p)) => ArtifactPlatform::Os(p),
        (None, None) => {
            let named = parse_artifact_file_name(&file_name).ok_or_else(|| {
                Error::usage(arg, format!(
                    "cannot tell the platform from the file name; name it optimus-{plugin}_<os>_<arch>[.tar.gz|.zip] \
                     or optimus-plugin-{plugin}.yaml, or pass PLATFORM=PATH"
                ))
            })?;
            if named.name != plugin {
                return Err(Error::usage(
                    arg,
                    format!("the file name says plugin `{}`, not `{plugin}`", named.name),
                ));
            }
            named
                .platform
                .map_or(ArtifactPlatform::Any, ArtifactPlatform::Os)
        }
    };
    if (format == Format::Yaml) != platform.is_any() {
        return Err(Error::usage(arg, format!(
            "yaml artifacts (and only they) have platform `any`; this one is {format} for {platform}"
        )));
    }
    if !path.is_file() {
        return Err(Error::usage(path.display().to_string(), "no such file"));
    }
    Ok(ArtifactArg {
        platform,
        format,
        path,
        file_name,
    })
}

/// Equal under semver precedence (build metadata ignored): one identity.
fn same_version(a: &semver::Version, b: &semver::Version) -> bool {
    a.cmp_precedence(b) == std::cmp::Ordering::Equal
}

fn strip_build(v: &semver::Version) -> semver::Version {
    let mut v = v.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v
}

pub struct Publisher<'a> {
    pub transport: &'a Transport,
    /// Registry root: an absolute directory or a bucket URL.
    pub root: Location,
    pub key: &'a SigningKey,
    /// Accept an existing index whose signature does not verify with this key (key rotation).
    pub resign: bool,
    /// How long an object-store index whose signature does not verify (yet) is waited on.
    pub settle: std::time::Duration,
    /// How long the `timestamp.toml` this publisher writes stays valid.
    pub expires_in: std::time::Duration,
    pub reporter: SharedReporter,
    /// The Optimus a yaml artifact must load in; `None`: any of them.
    pub target: Option<crate::upstream::target::Target>,
    /// `--binary-only`: binaries may go without the plugin's yaml.
    pub binary_only: bool,
    /// `--public-url`: the address clients use, recorded in `config.toml` and shown in the
    /// snippets of `index.html` (default: what `config.toml` says, else the root).
    pub public_url: Option<String>,
}

/// The registry root named on the command line (a path relative to the working directory).
pub fn registry_root(arg: &str) -> Result<Location> {
    Location::parse(arg, &std::env::current_dir().unwrap_or_default())
}

impl Publisher<'_> {
    fn loc(&self, rel: &str) -> Result<Endpoint> {
        self.transport.locate(&self.root.join(rel)?, None)
    }

    /// Uploads an artifact to `artifacts/<name>/<version>/<file>`; returns its index entry.
    async fn upload(
        &self,
        name: &str,
        version: &semver::Version,
        a: &ArtifactArg,
    ) -> Result<IndexArtifact> {
        let rel = format!("artifacts/{name}/{version}/{}", a.file_name);
        let (sha256, size) = Sha256::of_file(&a.path)?;
        let loc = self.loc(&rel)?;
        match &loc {
            Endpoint::File(dest) => {
                if dest.exists() {
                    let (existing, _) = Sha256::of_file(dest)?;
                    if existing != sha256 {
                        return Err(immutable(&dest.display().to_string()));
                    }
                } else {
                    let parent = dest.parent().expect("artifact path has a parent");
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::path("creating", parent, e))?;
                    let tmp = fsutil::reserve_temp(parent, fsutil::STAGING_PREFIX)
                        .map_err(|e| Error::path("writing", dest, e))?
                        .keep();
                    let copied = std::fs::copy(&a.path, &tmp)
                        .map_err(|e| Error::path("copying to", &tmp, e))
                        .and_then(|_| {
                            std::fs::rename(&tmp, dest).map_err(|e| Error::path("writing", dest, e))
                        });
                    if copied.is_err() {
                        let _ = std::fs::remove_file(&tmp);
                    }
                    copied?;
                }
            }
            _ => {
                if let Some((existing, _)) = self.transport.get_versioned(&loc).await? {
                    if Sha256::of_bytes(&existing) != sha256 {
                        return Err(immutable(&loc.display()));
                    }
                } else {
                    self.transport.put_file(&loc, &a.path).await?;
                }
            }
        }
        Ok(IndexArtifact {
            platform: a.platform.clone(),
            format: a.format,
            url: IndexUrl::new(rel),
            sha256,
            size: Some(size),
            bin: None,
        })
    }

    async fn ensure_config(&self) -> Result<()> {
        let loc = self.loc("config.toml")?;
        if self.transport.get_versioned(&loc).await?.is_none() {
            let root = self.root.to_string();
            let name = root
                .trim_end_matches('/')
                .rsplit(['/', ':'])
                .next()
                .unwrap_or("registry")
                .to_string();
            let id = crate::registry::index::new_registry_id(&root, &self.key.public_key_base64());
            let cfg = toml::to_string(&RegistryConfig {
                id: Some(id.clone()),
                name: name.clone(),
                api: 1,
                url: self.public_url.clone(),
            })
            .expect("config serialises");
            self.transport
                .put(&loc, Bytes::from(cfg), PutMode::Create)
                .await?;
            self.reporter.note(&registry_id_note(&name, &id));
        }
        Ok(())
    }

    /// Publishes a version: uploads artifacts, then appends the version to the signed index.
    pub async fn publish(
        &self,
        name: &str,
        version: &semver::Version,
        artifacts: &[ArtifactArg],
        plugin_type: Option<PluginType>,
        description: Option<&str>,
    ) -> Result<()> {
        check_plugin_name(name)?;
        if !version.build.is_empty() {
            return Err(Error::usage(format!("{name} {version}"), format!(
                "build metadata (+{}) is not allowed in a published version: semver precedence ignores it, so `={}` could resolve to other bytes than these; publish {} or a new version",
                version.build,
                strip_build(version),
                strip_build(version)
            )));
        }
        if artifacts.is_empty() {
            return Err(Error::usage("publish", "needs at least one artifact"));
        }
        let mut inferred = plugin_type;
        let mut seen = std::collections::BTreeSet::new();
        let mut checked = Vec::new();
        for a in artifacts {
            let refused = |problem: String| Error::usage(a.path.display().to_string(), problem);
            if !seen.insert(a.platform.clone()) {
                return Err(refused(format!(
                    "two artifacts for platform {}",
                    a.platform
                )));
            }
            let c = self.check_artifact(name, a)?;
            if let Some(t) = c.plugin_type {
                if let Some(given) = plugin_type.filter(|p| *p != t) {
                    return Err(refused(format!(
                        "plugintype is {t}, but --type says {given}"
                    )));
                }
                inferred.get_or_insert(t);
            }
            checked.push((a, c));
        }
        self.check_whole(name, version, &checked)?;
        // `--description`, else the yaml plugin's own `description:`.
        let from_yaml = checked.iter().find_map(|(_, c)| c.description.clone());
        // Refuse early (before uploading) when the version exists.
        if let Some((idx, _)) = self.read_index(name).await? {
            if let Some(v) = idx
                .versions
                .iter()
                .find(|v| same_version(&v.version, version))
            {
                return Err(already_published(name, &v.version));
            }
        }
        self.check_timestamp_advances().await?;
        self.ensure_config().await?;
        let mut entries = Vec::new();
        for a in artifacts {
            entries.push(self.upload(name, version, a).await?);
        }
        let description = description.map(String::from);
        let from_yaml = description.is_none().then_some(from_yaml).flatten();
        self.update_index(name, |existing| {
            let mut idx = match existing {
                Some(idx) => {
                    if let Some(given) = plugin_type.filter(|t| *t != idx.plugin_type) {
                        return Err(Error::usage(
                            format!("--type {given}"),
                            format!("{name} is a {} plugin in this registry", idx.plugin_type),
                        ));
                    }
                    idx
                }
                None => PluginIndex {
                    name: name.to_string(),
                    description: description
                        .clone()
                        .or(from_yaml.clone())
                        .unwrap_or_default(),
                    plugin_type: inferred.ok_or_else(|| {
                        Error::usage(name, "new to this registry: pass --type task|hook")
                    })?,
                    versions: Vec::new(),
                },
            };
            if let Some(v) = idx
                .versions
                .iter()
                .find(|v| same_version(&v.version, version))
            {
                return Err(already_published(name, &v.version));
            }
            let newest = idx.versions.iter().all(|v| v.version < *version);
            if let Some(d) = description
                .as_ref()
                .or(from_yaml.as_ref().filter(|_| newest))
            {
                // The yaml of the newest version describes the plugin; an older patch does not.
                idx.description = d.clone();
            }
            idx.versions.push(IndexVersion {
                version: version.clone(),
                yanked: false,
                yank_reason: None,
                artifacts: entries.clone(),
            });
            idx.versions.sort_by(|a, b| a.version.cmp(&b.version));
            Ok(idx)
        })
        .await
    }

    /// Marks a version yanked (with an optional reason) or not, and re-signs. Un-yanking
    /// drops the reason; yanking again without one keeps the recorded reason.
    pub async fn yank(
        &self,
        name: &str,
        version: &semver::Version,
        yanked: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        check_plugin_name(name)?;
        if let Some(r) = reason {
            if !yanked {
                return Err(Error::usage(
                    "--reason",
                    "goes with a yank, not with --undo",
                ));
            }
            crate::registry::index::check_yank_reason(r)
                .map_err(|m| Error::usage("--reason", m))?;
        }
        self.check_timestamp_advances().await?;
        let index_url = self.root.join(&format!("index/{name}.toml"))?;
        let not_listed = |problem: String| Error::Registry {
            registry: self.root.to_string(),
            url: index_url.to_string(),
            kind: RegistryKind::NotListed,
            problem,
        };
        self.update_index(name, |existing| {
            let mut idx = existing
                .ok_or_else(|| not_listed(format!("{name} is not in registry {}", self.root)))?;
            let v = idx
                .versions
                .iter_mut()
                .find(|v| &v.version == version)
                .ok_or_else(|| {
                    not_listed(format!(
                        "{name} {version} is not published in {}",
                        self.root
                    ))
                })?;
            v.yanked = yanked;
            if !yanked {
                v.yank_reason = None;
            } else if let Some(r) = reason {
                v.yank_reason = Some(r.to_string());
            }
            Ok(idx)
        })
        .await
    }
}

/// 20 ms doubling to about 1 s, with up to 100% jitter (clock nanos and pid: no rng needed).
fn conflict_backoff(attempt: u32) -> std::time::Duration {
    let base = 20u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let noise = (nanos ^ (std::process::id() as u64).wrapping_mul(0x9E37_79B9)) % (base + 1);
    std::time::Duration::from_millis(base + noise)
}

/// An artifact that exists in the registry with other bytes than the ones published.
fn immutable(path: &str) -> Error {
    Error::Refused {
        what: format!("{path} already exists with other content"),
        problem: "published artifacts are immutable".into(),
    }
}

/// Said when a registry gets its id: clients may pin it (`registry_id:`), so that a source
/// serving another registry signed with the same key is refused even on a first contact.
pub(super) fn registry_id_note(name: &str, id: &str) -> String {
    format!(
        "registry `{}` has id {id}: its clients may pin it with `registry_id: {id}` beside `public_keys` (a mirror serving another registry signed with the same key is then refused even on a machine that never met this one)",
        crate::model::redact::printable(name)
    )
}

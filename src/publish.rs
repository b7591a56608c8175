//! Publishing to a static registry (spec §8): a directory (or `file://`), or an `s3://`,
//! `gs://` or `az://` bucket prefix. Versions are immutable. Index updates never lose a racing
//! publisher's version: a directory is serialised with an advisory lock; on object stores the
//! index is written with a conditional put (ETag/generation) and re-read on conflict, and the
//! signature is re-written until it matches the index that is current.

use crate::config::{resolve_location, Limits};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::fsutil;
use crate::platform::{check_plugin_name, parse_artifact_file_name, Platform, ANY};
use crate::registry::{
    self, verify_signature, IndexArtifact, IndexVersion, PluginIndex, PluginType, RegistryConfig,
};
use crate::signing::SigningKey;
use crate::transport::{Location, PutMode, PutOutcome, Transport};
use bytes::Bytes;
use std::path::{Path, PathBuf};

/// An artifact given on the command line.
#[derive(Debug, Clone)]
pub struct ArtifactArg {
    pub platform: String,
    pub format: Format,
    pub path: PathBuf,
    pub file_name: String,
}

/// Parses `PATH` (platform and format from the file name) or `PLATFORM=PATH`.
pub fn parse_artifact_arg(arg: &str, plugin: &str) -> Result<ArtifactArg> {
    let (platform, path) = match arg.split_once('=') {
        Some((p, path)) if !p.contains('/') => {
            if p != ANY {
                Platform::parse(p)?;
            }
            (Some(p.to_string()), PathBuf::from(path))
        }
        _ => (None, PathBuf::from(arg)),
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| Error::config(format!("{arg}: not a file path")))?;
    let format = Format::from_file_name(&file_name);
    let platform = match platform {
        Some(p) => p,
        None => {
            let named = parse_artifact_file_name(&file_name).ok_or_else(|| {
                Error::config(format!(
                    "{arg}: cannot tell the platform from the file name; name it optimus-{plugin}_<os>_<arch>[.tar.gz|.zip] \
                     or optimus-plugin-{plugin}.yaml, or pass PLATFORM=PATH"
                ))
            })?;
            if named.name != plugin {
                return Err(Error::config(format!(
                    "{arg}: the file name says plugin `{}`, not `{plugin}`",
                    named.name
                )));
            }
            named
                .platform
                .map(|p| p.to_string())
                .unwrap_or_else(|| ANY.to_string())
        }
    };
    if (format == Format::Yaml) != (platform == ANY) {
        return Err(Error::config(format!(
            "{arg}: yaml artifacts (and only they) have platform `any`; this one is {format} for {platform}"
        )));
    }
    if !path.is_file() {
        return Err(Error::config(format!("{}: no such file", path.display())));
    }
    Ok(ArtifactArg {
        platform,
        format,
        path,
        file_name,
    })
}

pub struct Publisher<'a> {
    pub transport: &'a Transport,
    /// Registry root: an absolute directory or a bucket URL.
    pub root: String,
    pub key: &'a SigningKey,
    /// Accept an existing index whose signature does not verify with this key (key rotation).
    pub resign: bool,
}

pub fn registry_root(arg: &str) -> String {
    resolve_location(arg, &std::env::current_dir().unwrap_or_default())
}

impl Publisher<'_> {
    fn loc(&self, rel: &str) -> Result<Location> {
        self.transport
            .locate(&registry::join(&self.root, rel), None)
    }

    /// Checks what an artifact holds before it goes public: a yaml plugin must validate, an
    /// archive must hold exactly one selectable binary.
    pub fn check_artifact(&self, name: &str, a: &ArtifactArg) -> Result<Option<PluginType>> {
        let what = a.path.display().to_string();
        match a.format {
            Format::Yaml => {
                let text = fsutil::read_to_string(&a.path)?;
                let file = crate::platform::yaml_file_name(name);
                let problems = crate::yaml_plugin::validate_text(&text, &file);
                if !problems.is_empty() {
                    return Err(Error::config(format!(
                        "{what} does not validate as {file}:\n{}",
                        crate::yaml_plugin::format_problems(&what, &problems)
                    )));
                }
                // It validated, so `plugintype` is there and is task or hook.
                let doc: serde_norway::Value = serde_norway::from_str(&text)
                    .map_err(|e| Error::config(format!("{what}: {e}")))?;
                Ok(doc
                    .get("plugintype")
                    .and_then(|v| v.as_str())
                    .and_then(PluginType::parse))
            }
            Format::TarGz | Format::Zip => {
                let tmp = std::env::temp_dir().join(fsutil::unique_name("optimus-publish-check-"));
                std::fs::create_dir_all(&tmp).map_err(|e| Error::path("creating", &tmp, e))?;
                let platform = Platform::parse(&a.platform)?;
                let limits = Limits::default();
                let res = crate::unpack::Unpacker {
                    limits: &limits,
                    platform: &platform,
                    stage_dir: &tmp,
                    what: &what,
                    yaml_only: false,
                }
                .unpack(
                    &a.path,
                    a.format,
                    &crate::unpack::Want::One {
                        name: name.to_string(),
                        bin: None,
                    },
                );
                let _ = std::fs::remove_dir_all(&tmp);
                res.map(|_| None).map_err(|e| Error::config(e.to_string()))
            }
            Format::Binary => Ok(None),
        }
    }

    /// Uploads an artifact to `artifacts/<name>/<version>/<file>`; returns its index entry.
    async fn upload(
        &self,
        name: &str,
        version: &semver::Version,
        a: &ArtifactArg,
    ) -> Result<IndexArtifact> {
        let rel = format!("artifacts/{name}/{version}/{}", a.file_name);
        let (sha256, size) = fsutil::sha256_file(&a.path)?;
        let loc = self.loc(&rel)?;
        match &loc {
            Location::File(dest) => {
                if dest.exists() {
                    let (existing, _) = fsutil::sha256_file(dest)?;
                    if existing != sha256 {
                        return Err(Error::runtime(format!(
                            "{} already exists with other content: published artifacts are immutable",
                            dest.display()
                        )));
                    }
                } else {
                    let parent = dest.parent().expect("artifact path has a parent");
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::path("creating", parent, e))?;
                    let tmp = fsutil::staging_path(parent);
                    std::fs::copy(&a.path, &tmp).map_err(|e| Error::path("copying to", &tmp, e))?;
                    std::fs::rename(&tmp, dest).map_err(|e| Error::path("writing", dest, e))?;
                }
            }
            _ => {
                if let Some((existing, _)) = self.transport.get_versioned(&loc).await? {
                    if fsutil::sha256_bytes(&existing) != sha256 {
                        return Err(Error::runtime(format!(
                            "{} already exists with other content: published artifacts are immutable",
                            loc.display()
                        )));
                    }
                } else {
                    self.put_file(&loc, &a.path).await?;
                }
            }
        }
        Ok(IndexArtifact {
            platform: a.platform.clone(),
            format: a.format,
            url: rel,
            sha256,
            size: Some(size),
            bin: None,
        })
    }

    /// Streams a local file to an object store (multipart for large files: bounded memory).
    async fn put_file(&self, loc: &Location, path: &Path) -> Result<()> {
        let Location::Object {
            store, path: obj, ..
        } = loc
        else {
            return Err(Error::config(format!(
                "{}: not an object store",
                loc.display()
            )));
        };
        use object_store::ObjectStoreExt;
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::path("opening", path, e))?;
        let upload = store
            .put_multipart(obj)
            .await
            .map_err(|e| Error::runtime(format!("{}: {e}", loc.display())))?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f
                .read(&mut buf)
                .await
                .map_err(|e| Error::path("reading", path, e))?;
            if n == 0 {
                break;
            }
            w.wait_for_capacity(4)
                .await
                .map_err(|e| Error::runtime(format!("{}: {e}", loc.display())))?;
            w.write(&buf[..n]);
        }
        w.finish()
            .await
            .map_err(|e| Error::runtime(format!("{}: {e}", loc.display())))?;
        Ok(())
    }

    async fn ensure_config(&self) -> Result<()> {
        let loc = self.loc("config.toml")?;
        if self.transport.get_versioned(&loc).await?.is_none() {
            let name = self
                .root
                .trim_end_matches('/')
                .rsplit(['/', ':'])
                .next()
                .unwrap_or("registry")
                .to_string();
            let cfg = toml::to_string(&RegistryConfig { name, api: 1 }).expect("config serialises");
            self.transport
                .put(&loc, Bytes::from(cfg), PutMode::Create)
                .await?;
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
        if artifacts.is_empty() {
            return Err(Error::config("publish needs at least one artifact"));
        }
        let mut inferred = plugin_type;
        let mut seen = std::collections::BTreeSet::new();
        for a in artifacts {
            if !seen.insert(a.platform.clone()) {
                return Err(Error::config(format!(
                    "two artifacts for platform {}",
                    a.platform
                )));
            }
            if let Some(t) = self.check_artifact(name, a)? {
                if plugin_type.is_some_and(|p| p != t) {
                    return Err(Error::config(format!(
                        "{}: plugintype is {t}, but --type says {}",
                        a.path.display(),
                        plugin_type.unwrap()
                    )));
                }
                inferred.get_or_insert(t);
            }
        }
        // Refuse early (before uploading) when the version exists.
        if let Some((idx, _)) = self.read_index(name).await? {
            if idx.versions.iter().any(|v| &v.version == version) {
                return Err(already_published(name, version));
            }
        }
        self.ensure_config().await?;
        let mut entries = Vec::new();
        for a in artifacts {
            entries.push(self.upload(name, version, a).await?);
        }
        let description = description.map(String::from);
        self.update_index(name, |existing| {
            let mut idx = match existing {
                Some(idx) => {
                    if inferred.is_some_and(|t| t != idx.plugin_type) && plugin_type.is_some() {
                        return Err(Error::config(format!(
                            "{name} is a {} plugin in this registry; --type says {}",
                            idx.plugin_type,
                            inferred.unwrap()
                        )));
                    }
                    idx
                }
                None => PluginIndex {
                    name: name.to_string(),
                    description: description.clone().unwrap_or_default(),
                    plugin_type: inferred.ok_or_else(|| {
                        Error::config(format!(
                            "{name} is new to this registry: pass --type task|hook"
                        ))
                    })?,
                    versions: Vec::new(),
                },
            };
            if idx.versions.iter().any(|v| &v.version == version) {
                return Err(already_published(name, version));
            }
            if let Some(d) = &description {
                idx.description = d.clone();
            }
            idx.versions.push(IndexVersion {
                version: version.clone(),
                yanked: false,
                artifacts: entries.clone(),
            });
            idx.versions.sort_by(|a, b| a.version.cmp(&b.version));
            Ok(idx)
        })
        .await
    }

    /// Marks a version yanked (or not) and re-signs.
    pub async fn yank(&self, name: &str, version: &semver::Version, yanked: bool) -> Result<()> {
        check_plugin_name(name)?;
        self.update_index(name, |existing| {
            let mut idx = existing.ok_or_else(|| {
                Error::runtime(format!("{name} is not in registry {}", self.root))
            })?;
            let v = idx
                .versions
                .iter_mut()
                .find(|v| &v.version == version)
                .ok_or_else(|| {
                    Error::runtime(format!(
                        "{name} {version} is not published in {}",
                        self.root
                    ))
                })?;
            v.yanked = yanked;
            Ok(idx)
        })
        .await
    }

    /// Reads the current index and checks its signature with this publisher's key.
    async fn read_index_once(&self, name: &str) -> Result<IndexRead> {
        let loc = self.loc(&format!("index/{name}.toml"))?;
        let Some((bytes, version)) = self.transport.get_versioned(&loc).await? else {
            return Ok(IndexRead::Missing);
        };
        let what = loc.display();
        if !self.resign {
            let sig_loc = self.loc(&format!("index/{name}.toml.minisig"))?;
            let sig = self
                .transport
                .get_versioned(&sig_loc)
                .await?
                .map(|(b, _)| String::from_utf8_lossy(&b).into_owned());
            let keys = vec![self.key.public_key_base64()];
            let (problem, ours) = match sig {
                Some(sig) => (
                    verify_signature(&bytes, &sig, &keys, &what).err().map(|e| {
                        Error::runtime(format!("{e}\nthe existing index is not signed by this key; if you rotated keys, pass --resign to re-sign it"))
                    }),
                    same_key_id(&sig, &keys[0]),
                ),
                None => (
                    Some(Error::runtime(format!(
                        "{what}: has no signature; pass --resign to sign it as it is"
                    ))),
                    true,
                ),
            };
            if let Some(e) = problem {
                if !ours {
                    // Signed by another key: not a racing publisher's lag, refuse at once.
                    return Err(e);
                }
                return Ok(IndexRead::Unverified {
                    error: e,
                    e_tag: version.and_then(|v| v.e_tag.or(v.version)),
                });
            }
        }
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| Error::runtime(format!("{what}: not UTF-8")))?;
        Ok(IndexRead::Found(
            PluginIndex::parse(&text, name, &what)?,
            version,
        ))
    }

    /// Reads and verifies the current index. On an object store a racing publisher writes
    /// the index first and its signature a moment later, so an index whose signature does not
    /// (yet) match is re-read until it has stayed unverifiable for `settle`; any change of the
    /// index restarts that wait. A directory registry is written under a lock, so there the
    /// caller chooses a short `settle` (or none, while holding the lock).
    async fn read_index_settled(
        &self,
        name: &str,
        settle: std::time::Duration,
    ) -> Result<Option<(PluginIndex, Option<object_store::UpdateVersion>)>> {
        let mut seen: Option<(Option<String>, std::time::Instant)> = None;
        loop {
            match self.read_index_once(name).await? {
                IndexRead::Missing => return Ok(None),
                IndexRead::Found(idx, v) => return Ok(Some((idx, v))),
                IndexRead::Unverified { error, e_tag } => {
                    let since = match &seen {
                        Some((tag, t)) if *tag == e_tag => *t,
                        _ => std::time::Instant::now(),
                    };
                    if since.elapsed() >= settle {
                        return Err(error);
                    }
                    seen = Some((e_tag, since));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// How long an unverifiable index is waited on before it is an error.
    fn settle(&self, locked: bool) -> std::time::Duration {
        let object = self.root.contains("://") && !self.root.starts_with("file://");
        match (object, locked) {
            (true, _) => std::time::Duration::from_secs(
                std::env::var("OPTIMUS_PUBLISH_SETTLE_SECS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(15),
            ),
            (false, true) => std::time::Duration::ZERO,
            (false, false) => std::time::Duration::from_millis(500),
        }
    }

    async fn read_index(
        &self,
        name: &str,
    ) -> Result<Option<(PluginIndex, Option<object_store::UpdateVersion>)>> {
        self.read_index_settled(name, self.settle(false)).await
    }

    async fn update_index<F>(&self, name: &str, change: F) -> Result<()>
    where
        F: Fn(Option<PluginIndex>) -> Result<PluginIndex>,
    {
        let index_loc = self.loc(&format!("index/{name}.toml"))?;
        let sig_loc = self.loc(&format!("index/{name}.toml.minisig"))?;
        let file = format!("{name}.toml");
        if let Location::File(path) = &index_loc {
            // A directory: serialise publishers with an advisory lock on the index directory
            // itself (flock on its descriptor), which leaves no file behind in the registry.
            let dir = path.parent().expect("index has a parent");
            std::fs::create_dir_all(dir).map_err(|e| Error::path("creating", dir, e))?;
            let lock = std::fs::File::open(dir).map_err(|e| Error::path("opening", dir, e))?;
            lock.lock().map_err(|e| Error::path("locking", dir, e))?;
            let current = self
                .read_index_settled(name, self.settle(true))
                .await?
                .map(|(i, _)| i);
            let text = change(current)?.to_toml();
            let sig = self.key.sign(text.as_bytes(), &file)?;
            // The index, then its signature: each is an atomic rename.
            fsutil::write_atomic(path, text.as_bytes())?;
            fsutil::write_atomic(&dir.join(format!("{name}.toml.minisig")), sig.as_bytes())?;
            return Ok(());
        }
        // An object store: optimistic concurrency.
        for attempt in 0..50u32 {
            let current = self.read_index(name).await?;
            let (idx, version) = match current {
                Some((i, v)) => (Some(i), v),
                None => (None, None),
            };
            let text = change(idx)?.to_toml();
            let mode = match version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            match self
                .transport
                .put(&index_loc, Bytes::from(text.clone()), mode)
                .await?
            {
                PutOutcome::Conflict => {
                    crate::ui::note(&format!(
                        "{}: another publisher updated it first; merging and retrying",
                        index_loc.display()
                    ));
                    // Back off with jitter so racing publishers stop colliding.
                    tokio::time::sleep(conflict_backoff(attempt)).await;
                    continue;
                }
                PutOutcome::Written(_) => {}
            }
            self.write_signature_while_current(&index_loc, &sig_loc, text.as_bytes(), &file)
                .await?;
            return Ok(());
        }
        Err(Error::runtime(format!(
            "{}: too many concurrent updates; try again",
            index_loc.display()
        )))
    }

    /// Writes the signature for `ours` as long as `ours` is still the current index. A later
    /// writer of the index signs its own (newer) content, so stopping then is correct.
    async fn write_signature_while_current(
        &self,
        index_loc: &Location,
        sig_loc: &Location,
        ours: &[u8],
        file: &str,
    ) -> Result<()> {
        let sig = Bytes::from(self.key.sign(ours, file)?);
        for _ in 0..50 {
            let sig_version = self
                .transport
                .get_versioned(sig_loc)
                .await?
                .and_then(|(_, v)| v);
            match self.transport.get_versioned(index_loc).await? {
                Some((now, _)) if now.as_ref() == ours => {}
                _ => return Ok(()), // someone published after us; they sign.
            }
            let mode = match sig_version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            match self.transport.put(sig_loc, sig.clone(), mode).await? {
                PutOutcome::Written(_) => {
                    // Re-check: if the index moved on meanwhile, its writer re-signs.
                    return Ok(());
                }
                PutOutcome::Conflict => continue,
            }
        }
        Err(Error::runtime(format!(
            "{}: could not write the signature; try again",
            sig_loc.display()
        )))
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

/// Whether a minisign signature names the same key id as a public key (bytes 2..10 of each).
fn same_key_id(sig_text: &str, public_key_b64: &str) -> bool {
    let sig_id = crate::signing::payload_line(sig_text).and_then(crate::registry::key_id_of);
    match (sig_id, crate::registry::key_id_of(public_key_b64)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

enum IndexRead {
    Missing,
    Found(PluginIndex, Option<object_store::UpdateVersion>),
    /// The index exists but its signature does not verify (yet, perhaps: a racing publisher
    /// signs after it writes). `e_tag` tells whether the index changed since.
    Unverified {
        error: Error,
        e_tag: Option<String>,
    },
}

fn already_published(name: &str, version: &semver::Version) -> Error {
    Error::runtime(format!(
        "{name} {version} is already published: versions are immutable (publish a new version, or yank this one)"
    ))
}

//! The static registry index (spec §4): `config.toml`, `index/<name>.toml` and its minisign
//! signature, read from a directory, `file://`, `http(s)://` or an object store; verified
//! against the keys pinned in the config, never against keys the registry serves.

use crate::cache::Cache;
use crate::config::Provider;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::platform::{Platform, ANY};
use crate::redact;
use crate::transport::{Fetched, Location, Transport};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Index documents larger than this are refused (a 200-version plugin is ~100 KiB).
pub const MAX_INDEX_SIZE: u64 = 16 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PluginType {
    Task,
    Hook,
}

impl PluginType {
    pub fn parse(s: &str) -> Option<PluginType> {
        match s.to_ascii_lowercase().as_str() {
            "task" => Some(PluginType::Task),
            "hook" => Some(PluginType::Hook),
            _ => None,
        }
    }
}

impl fmt::Display for PluginType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginType::Task => "task",
            PluginType::Hook => "hook",
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegistryConfig {
    pub name: String,
    pub api: u32,
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
    #[serde(default, rename = "artifact")]
    pub artifacts: Vec<IndexArtifact>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexArtifact {
    pub platform: String,
    pub format: Format,
    pub url: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Checks that an in-archive path is relative and stays inside (no `..`, no absolute, no `\`).
pub fn is_safe_relative_path(p: &str) -> bool {
    let absolute = p.starts_with('/') || (p.len() > 1 && p.as_bytes()[1] == b':');
    let odd = p.contains('\\') || p.contains('\0');
    !(p.is_empty() || absolute || odd || p.split('/').any(|c| c == ".."))
}

impl PluginIndex {
    /// Parses and validates an index document; `what` names it in errors.
    pub fn parse(text: &str, expected_name: &str, what: &str) -> Result<PluginIndex> {
        let idx: PluginIndex = toml::from_str(text).map_err(|e| toml_error(what, text, &e))?;
        if idx.name != expected_name {
            return Err(Error::runtime(format!(
                "{what}: describes plugin `{}`, not `{expected_name}` (a swapped or tampered index)",
                idx.name
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &idx.versions {
            if !seen.insert(v.version.clone()) {
                return Err(Error::runtime(format!(
                    "{what}: version {} appears twice",
                    v.version
                )));
            }
            let mut plats = std::collections::BTreeSet::new();
            for a in &v.artifacts {
                let bad = |m: String| Error::runtime(format!("{what}: version {}: {m}", v.version));
                if a.platform != ANY {
                    Platform::parse(&a.platform).map_err(|e| bad(e.to_string()))?;
                }
                if (a.format == Format::Yaml) != (a.platform == ANY) {
                    return Err(bad(format!(
                        "artifact for `{}` has format {}: yaml artifacts (and only they) use platform `any`",
                        a.platform, a.format
                    )));
                }
                if !is_sha256_hex(&a.sha256) {
                    return Err(bad(format!(
                        "artifact for {} has a malformed sha256 {:?}",
                        a.platform, a.sha256
                    )));
                }
                if !a.url.contains("://") && !is_safe_relative_path(&a.url) {
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

pub fn toml_error(what: &str, text: &str, e: &toml::de::Error) -> Error {
    let msg = e.message().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rfind('\n')
                .map(|i| before.len() - i)
                .unwrap_or(before.len() + 1);
            Error::runtime(format!("{what}:{line}:{col}: {msg}"))
        }
        None => Error::runtime(format!("{what}: {msg}")),
    }
}

/// The minisign key id of a public key or signature (bytes 2..10, shown as minisign does).
pub(crate) fn key_id_of(b64_line: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64_line.trim())
        .ok()?;
    let id: [u8; 8] = raw.get(2..10)?.try_into().ok()?;
    Some(format!("{:016X}", u64::from_le_bytes(id)))
}

/// Verifies `data` against a minisign signature with any of the pinned keys.
pub fn verify_signature(data: &[u8], sig_text: &str, keys: &[String], what: &str) -> Result<()> {
    let sig = minisign_verify::Signature::decode(sig_text)
        .map_err(|e| Error::runtime(format!("{what}: malformed signature: {e}")))?;
    for k in keys {
        let Ok(pk) = minisign_verify::PublicKey::from_base64(k) else {
            continue;
        };
        if pk.verify(data, &sig, false).is_ok() {
            return Ok(());
        }
    }
    let signed_by = sig_text
        .lines()
        .nth(1)
        .and_then(key_id_of)
        .unwrap_or_else(|| "?".into());
    let pinned: Vec<String> = keys.iter().filter_map(|k| key_id_of(k)).collect();
    if pinned.contains(&signed_by) {
        return Err(Error::SignatureMismatch(format!(
            "{what}: bad signature: the signature does not match the file's contents (tampered?)"
        )));
    }
    let why = {
        format!(
            "signed by key {signed_by}, which is not pinned (pinned: {})",
            pinned.join(", ")
        )
    };
    Err(Error::runtime(format!("{what}: bad signature: {why}")))
}

/// Joins a relative path to a registry root (a directory path or a URL).
pub fn join(base: &str, rel: &str) -> String {
    if rel.contains("://") {
        return rel.to_string();
    }
    if base.contains("://") {
        format!("{}/{}", base.trim_end_matches('/'), rel)
    } else {
        std::path::Path::new(base)
            .join(rel)
            .to_string_lossy()
            .into_owned()
    }
}

/// A cached document: its ETag on the first line, the body after it.
fn read_cache_entry(path: &std::path::Path) -> Option<(String, Vec<u8>)> {
    let raw = std::fs::read(path).ok()?;
    let nl = raw.iter().position(|&b| b == b'\n')?;
    Some((
        String::from_utf8(raw[..nl].to_vec()).ok()?,
        raw[nl + 1..].to_vec(),
    ))
}

/// Indexes verified during this command, by (provider, plugin): resolution and the lock-entry
/// check before install read each index once.
#[derive(Default)]
pub struct VerifiedIndexes(
    std::sync::Mutex<std::collections::HashMap<(String, String), PluginIndex>>,
);

impl VerifiedIndexes {
    fn get(&self, provider: &str, name: &str) -> Option<PluginIndex> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&(provider.to_string(), name.to_string())).cloned()
    }
    fn put(&self, provider: &str, index: &PluginIndex) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.insert((provider.to_string(), index.name.clone()), index.clone());
    }
}

/// Reads indexes of one registry provider.
pub struct RegistryClient<'a> {
    pub transport: &'a Transport,
    pub cache: &'a Cache,
    pub verified: &'a VerifiedIndexes,
    pub provider: &'a Provider,
}

impl<'a> RegistryClient<'a> {
    /// A client for `provider` sharing the fetcher's transport, cache and verified indexes.
    pub fn new(fetcher: &'a crate::fetch::Fetcher, provider: &'a Provider) -> RegistryClient<'a> {
        RegistryClient {
            transport: &fetcher.transport,
            cache: &fetcher.cache,
            verified: &fetcher.indexes,
            provider,
        }
    }

    fn what(&self, plugin: &str) -> String {
        format!(
            "index of plugin {plugin} in registry {} ({})",
            self.provider.name,
            redact::url_for_display(&self.provider.base)
        )
    }

    /// Fetches, verifies and parses `index/<name>.toml`. Mirrors are tried first; anything
    /// they serve must verify against the pinned keys or the origin is used.
    pub async fn fetch_index(&self, name: &str) -> Result<PluginIndex> {
        crate::platform::check_plugin_name(name)?;
        if let Some(idx) = self.verified.get(&self.provider.name, name) {
            return Ok(idx);
        }
        let idx = self.fetch_index_uncached(name).await?;
        self.verified.put(&self.provider.name, &idx);
        Ok(idx)
    }

    async fn fetch_index_uncached(&self, name: &str) -> Result<PluginIndex> {
        let p = self.provider;
        if p.public_keys.is_empty() && !p.allow_unsigned {
            return Err(Error::config(format!(
                "registry {}: no `public_keys` pinned; pin the registry's minisign key, or set `allow_unsigned: true` to accept unsigned indexes",
                p.name
            )));
        }
        let mut last_err = None;
        for base in p.mirrors.iter().chain(std::iter::once(&p.base)) {
            let mut res = self.fetch_index_from(base, name).await;
            if let Err(Error::SignatureMismatch(_)) = &res {
                // A publisher writes the index, then its signature: a read in between sees a
                // mismatch for a moment. Look once more before calling it tampered.
                tokio::time::sleep(crate::transport::backoff(2)).await;
                res = self.fetch_index_from(base, name).await;
            }
            match res {
                Ok(idx) => return Ok(idx),
                Err(e) => {
                    if base != &p.base {
                        crate::ui::warn(&format!(
                            "mirror {} failed, trying the next source: {e}",
                            redact::url_for_display(base)
                        ));
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.expect("at least the origin was tried"))
    }

    async fn fetch_index_from(&self, base: &str, name: &str) -> Result<PluginIndex> {
        let what = self.what(name);
        let index_url = join(base, &format!("index/{name}.toml"));
        let body = self.get_cached(&index_url).await?.ok_or_else(|| {
            Error::runtime(format!(
                "plugin {name} is not in registry {} (no {})",
                self.provider.name,
                redact::url_for_display(&index_url)
            ))
        })?;
        let sig = if self.provider.public_keys.is_empty() {
            crate::ui::warn(&format!(
                "registry {} is unsigned (allow_unsigned: true): the index of {name} is not verified",
                self.provider.name
            ));
            None
        } else {
            let sig_url = format!("{index_url}.minisig");
            let sig = self.get_cached(&sig_url).await?.ok_or_else(|| {
                Error::runtime(format!(
                    "{what}: missing signature {}",
                    redact::url_for_display(&sig_url)
                ))
            })?;
            Some(sig)
        };
        self.verify_and_parse(name, &body, sig.as_deref())
    }

    /// Checks an index document against the pinned keys (when there are any) and parses it.
    fn verify_and_parse(&self, name: &str, body: &[u8], sig: Option<&[u8]>) -> Result<PluginIndex> {
        let what = self.what(name);
        if !self.provider.public_keys.is_empty() {
            let sig = sig.ok_or_else(|| Error::runtime(format!("{what}: missing signature")))?;
            let sig = std::str::from_utf8(sig)
                .map_err(|_| Error::runtime(format!("{what}: signature is not text")))?;
            verify_signature(body, sig, &self.provider.public_keys, &what)?;
        }
        let text =
            std::str::from_utf8(body).map_err(|_| Error::runtime(format!("{what}: not UTF-8")))?;
        PluginIndex::parse(text, name, &what)
    }

    /// The index of `name` as last fetched on this machine, verified again against the pinned
    /// keys, from the cache alone (no network). `None` for directory registries (reading them
    /// is already local), when nothing is cached, or when the cached copy does not verify.
    pub fn verified_cached_index(&self, name: &str) -> Option<PluginIndex> {
        if let Some(idx) = self.verified.get(&self.provider.name, name) {
            return Some(idx);
        }
        let index_url = join(&self.provider.base, &format!("index/{name}.toml"));
        if !index_url.contains("://") {
            return None;
        }
        let (_, body) = read_cache_entry(&self.cache.index_entry(&index_url))?;
        let sig = read_cache_entry(&self.cache.index_entry(&format!("{index_url}.minisig")));
        self.verify_and_parse(name, &body, sig.as_ref().map(|(_, s)| s.as_slice()))
            .ok()
    }

    /// Fetches a small document, revalidating a cached copy with its ETag. Returns `None` when
    /// the document does not exist.
    async fn get_cached(&self, url: &str) -> Result<Option<bytes::Bytes>> {
        let loc = self.transport.locate(url, Some(self.provider))?;
        if let Location::File(_) = loc {
            return match self.transport.get_small(&loc, MAX_INDEX_SIZE, None).await? {
                Fetched::Body { bytes, .. } => Ok(Some(bytes)),
                _ => Ok(None),
            };
        }
        let entry = self.cache.index_entry(url);
        let cached = read_cache_entry(&entry);
        if self.transport.offline {
            return match cached {
                Some((_, b)) => Ok(Some(b.into())),
                None => Err(Error::runtime(format!(
                    "--offline: {} is not in the cache",
                    redact::url_for_display(url)
                ))),
            };
        }
        let etag = cached.as_ref().map(|(e, _)| e.as_str());
        match self.transport.get_small(&loc, MAX_INDEX_SIZE, etag).await? {
            Fetched::NotModified => match cached {
                Some((_, b)) => Ok(Some(b.into())),
                None => Err(Error::runtime(format!(
                    "{}: 304 without a cached copy",
                    redact::url_for_display(url)
                ))),
            },
            Fetched::NotFound => Ok(None),
            Fetched::Body { bytes, etag } => {
                if let Some(etag) = etag.filter(|e| !e.contains('\n')) {
                    // Best effort: a cache we cannot write only costs a refetch.
                    let mut raw = Vec::with_capacity(etag.len() + 1 + bytes.len());
                    raw.extend_from_slice(etag.as_bytes());
                    raw.push(b'\n');
                    raw.extend_from_slice(&bytes);
                    self.cache.write_hint(&entry, &raw);
                }
                Ok(Some(bytes))
            }
        }
    }
}

//! Reading a registry's indexes: fetched from a directory, `file://`, `http(s)://` or an object
//! store (mirrors first), revalidated with ETags through the cache, verified against the keys
//! pinned in the config (never keys the registry serves), parsed once per command.

use super::index::PluginIndex;
use super::memo;
use super::signing::{check_signature, Unverified};
use super::timestamp::Freshness;
use crate::config::Provider;
use crate::error::{Error, RegistryKind, Result};
use crate::model::location::Location;
use crate::model::names::{check_plugin_name, did_you_mean};
use crate::model::report::SharedReporter;
use crate::source::{Endpoint, Fetched, Transport};
use crate::store::cache::Cache;
use std::sync::Arc;

/// Index documents larger than this are refused (a 200-version plugin is ~100 KiB).
pub const MAX_INDEX_SIZE: u64 = 16 << 20;

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
/// check before install read each index once. Shared, not copied (a big index is hundreds of
/// strings).
#[derive(Default)]
pub struct VerifiedIndexes(
    std::sync::Mutex<std::collections::HashMap<(String, String), Arc<PluginIndex>>>,
);

impl VerifiedIndexes {
    fn get(&self, provider: &str, name: &str) -> Option<Arc<PluginIndex>> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&(provider.to_string(), name.to_string())).cloned()
    }
    fn put(&self, provider: &str, index: &Arc<PluginIndex>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.insert((provider.to_string(), index.name.clone()), index.clone());
    }
}

/// What every registry read of one command shares: the transport, the cache, the indexes
/// verified so far, and the reporter.
pub struct Registries {
    pub transport: Arc<Transport>,
    pub cache: Cache,
    pub verified: VerifiedIndexes,
    /// `timestamp.toml` checks: `--allow-expired` and the snapshots accepted so far.
    pub freshness: Freshness,
    pub reporter: SharedReporter,
}

impl Registries {
    pub fn new(transport: Arc<Transport>, cache: Cache, reporter: SharedReporter) -> Registries {
        Registries {
            transport,
            cache,
            verified: VerifiedIndexes::default(),
            freshness: Freshness::default(),
            reporter,
        }
    }

    /// A client for one registry provider.
    pub fn client<'a>(&'a self, provider: &'a Provider) -> RegistryClient<'a> {
        RegistryClient {
            shared: self,
            provider,
        }
    }
}

/// Reads indexes of one registry provider.
pub struct RegistryClient<'a> {
    pub(super) shared: &'a Registries,
    pub provider: &'a Provider,
}

impl<'a> RegistryClient<'a> {
    fn what(&self, plugin: &str) -> String {
        format!(
            "index of plugin {plugin} in registry {} ({})",
            self.provider.name, self.provider.base
        )
    }

    /// A failure of this registry at `url`: `kind` says what happened (and decides the exit
    /// code), `problem` says it in full.
    pub(super) fn failure(&self, url: &Location, kind: RegistryKind, problem: String) -> Error {
        Error::Registry {
            registry: self.provider.name.clone(),
            url: url.to_string(),
            kind,
            problem,
        }
    }

    /// What to do about a signature by a key this config does not pin, when `base` is the
    /// registry itself (a mirror that serves another key's files is only passed over).
    pub(super) fn unpinned_note(&self, base: &Location) -> Option<String> {
        let p = self.provider;
        (base == &p.base).then(|| {
            format!(
                "if registry {} really changed its key, check the new key id with its publisher, then add the key to `public_keys` ({}); until then nothing from it is installed",
                p.name, p.declared_at
            )
        })
    }

    /// Fetches, verifies and parses `index/<name>.toml`. Mirrors are tried first; anything
    /// they serve must verify against the pinned keys or the origin is used.
    pub async fn fetch_index(&self, name: &str) -> Result<Arc<PluginIndex>> {
        check_plugin_name(name)?;
        if let Some(idx) = self.shared.verified.get(&self.provider.name, name) {
            return Ok(idx);
        }
        let idx = Arc::new(self.fetch_index_uncached(name).await?);
        self.shared.verified.put(&self.provider.name, &idx);
        Ok(idx)
    }

    async fn fetch_index_uncached(&self, name: &str) -> Result<PluginIndex> {
        let p = self.provider;
        if p.public_keys.is_empty() && !p.allow_unsigned {
            return Err(self.failure(&p.base, RegistryKind::Untrusted, format!(
                "registry {} ({}): no `public_keys` pinned; pin the registry's minisign key (the second line of the PREFIX.pub its publisher made with `optimus-plugins keygen`), or set `allow_unsigned: true` to accept unsigned indexes",
                p.name, p.declared_at
            )));
        }
        let mut last_err = None;
        for base in p.mirrors.iter().chain(std::iter::once(&p.base)) {
            let mut res = self.fetch_index_from(base, name).await;
            if res.as_ref().is_err_and(Error::is_signature_mismatch) {
                // A publisher writes the index, then its signature: a read in between sees a
                // mismatch for a moment. Look once more before calling it tampered.
                tokio::time::sleep(self.shared.transport.backoff(2)).await;
                res = self.fetch_index_from(base, name).await;
            }
            match res {
                Ok(idx) => return Ok(idx),
                Err(e) => {
                    if base != &p.base {
                        self.shared.reporter.warn(&format!(
                            "mirror {base} failed, trying the next source: {e}"
                        ));
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(self.explained(last_err.expect("at least the origin was tried")))
    }

    /// A registry that could not be read because it cannot be reached (no answer at all, not
    /// an http status): what to check, and how to work without it.
    fn explained(&self, e: Error) -> Error {
        let p = self.provider;
        let unreachable = |message: &str| {
            ["connection failed", "timed out", "request failed"]
                .iter()
                .any(|m| message.contains(m))
        };
        match e {
            Error::Http { ref url, ref message } if unreachable(message) => Error::Registry {
                registry: p.name.clone(),
                url: url.clone(),
                kind: RegistryKind::Unreachable,
                problem: format!(
                    "{e}\nregistry {} cannot be reached: check its `url:` ({}) and the network; `--offline` installs what the lock and this machine's cache hold, `--mirror DIR` what a mirror holds",
                    p.name, p.declared_at
                ),
            },
            e => e,
        }
    }

    async fn fetch_index_from(&self, base: &Location, name: &str) -> Result<PluginIndex> {
        if let Location::Path(root) = base {
            if !root.is_dir() {
                return Err(self.no_directory(base, root));
            }
        }
        // The timestamp first: rollback and freeze are refused before any index is read.
        let snapshot = self.snapshot(base, false).await?;
        let (body, idx) = self.read_index(base, name).await?;
        let Some(ts) = snapshot else {
            return Ok(idx);
        };
        if self.check_listed(base, &ts, name, &body).is_ok() {
            return Ok(idx);
        }
        // A publisher writes the index, then the timestamp: look once more at both.
        tokio::time::sleep(self.shared.transport.backoff(2)).await;
        let snapshot = self.snapshot(base, true).await?;
        let (body, idx) = self.read_index(base, name).await?;
        if let Some(ts) = snapshot {
            self.check_listed(base, &ts, name, &body)?;
        }
        Ok(idx)
    }

    /// A directory registry (or mirror) that is not there: a wrong `url:`, a registry not made
    /// yet, or a machine that cannot see it (an air gap): not "no timestamp", not "no index".
    fn no_directory(&self, base: &Location, root: &std::path::Path) -> Error {
        let p = self.provider;
        if base != &p.base {
            let problem = format!(
                "mirror {} of registry {}: no such directory",
                root.display(),
                p.name
            );
            return self.failure(base, RegistryKind::Missing, problem);
        }
        let problem = format!(
            "registry {}: the directory {} does not exist (the `url:` of provider {} at {}): fix the url, or create the registry there with `optimus-plugins publish --registry {} ...`; on a machine that cannot reach the registry, install from a copy made by `optimus-plugins mirror`: `optimus-plugins install --offline --mirror DIR`",
            p.name,
            root.display(),
            p.name,
            p.declared_at,
            root.display()
        );
        self.failure(base, RegistryKind::Missing, problem)
    }

    /// Fetches `index/<name>.toml` and its signature from `base`, verifies and parses it.
    async fn read_index(&self, base: &Location, name: &str) -> Result<(bytes::Bytes, PluginIndex)> {
        let what = self.what(name);
        let index_url = base.join(&format!("index/{name}.toml"))?;
        let signed = !self.provider.public_keys.is_empty();
        let sig_url = base.join(&format!("index/{name}.toml.minisig"))?;
        // The document and its signature are fetched (or revalidated) at the same time.
        let (body, sig) = futures::join!(self.get_cached(&index_url), async {
            match signed {
                true => self.get_cached(&sig_url).await,
                false => Ok(None),
            }
        });
        let body = body?.ok_or_else(|| {
            let problem = format!(
                "not in registry {} (no {}){}",
                self.provider.name,
                index_url,
                did_you_mean(name, self.known_plugins(base).iter().map(String::as_str))
            );
            self.failure(&index_url, RegistryKind::NotListed, problem)
        })?;
        let sig = if !signed {
            self.shared.reporter.warn(&format!(
                "registry {} is unsigned (allow_unsigned: true): the index of {name} is not verified",
                self.provider.name
            ));
            None
        } else {
            let sig = sig?.ok_or_else(|| Error::Signature {
                what: what.clone(),
                problem: format!("missing signature {sig_url}"),
                mismatch: false,
            })?;
            Some(sig)
        };
        let check = self.check(name, base, &index_url);
        // Verifying and parsing is CPU work: off the runtime's threads, so the indexes of a
        // big lock are checked on every core. (`Bytes` clones share the buffer.)
        let doc = body.clone();
        let idx = tokio::task::spawn_blocking(move || check.run(&doc, sig.as_deref()))
            .await
            .map_err(|e| Error::document(what.to_string(), format!("verifying panicked: {e}")))??;
        Ok((body, idx))
    }

    /// The plugins a registry is known to hold, for "did you mean": its `index/` directory when
    /// it is one, else the names its verified timestamp lists (empty when neither is known).
    fn known_plugins(&self, base: &Location) -> Vec<String> {
        let from_index = |path: &str| {
            path.strip_suffix(".toml")
                .filter(|n| !n.contains('/'))
                .map(str::to_string)
        };
        if let Location::Path(root) = base {
            return std::fs::read_dir(root.join("index"))
                .map(|d| {
                    d.flatten()
                        .filter_map(|e| from_index(&e.file_name().to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default();
        }
        match self.shared.freshness.remembered(&self.snapshot_key(base)) {
            Some(Some(ts)) => ts
                .meta
                .keys()
                .filter_map(|k| k.strip_prefix("index/").and_then(from_index))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What verifying the index of `name` fetched from `url` (under `base`) needs, owned.
    fn check(&self, name: &str, base: &Location, url: &Location) -> Check {
        Check {
            name: name.to_string(),
            what: self.what(name),
            keys: self.provider.public_keys.clone(),
            memo: url
                .is_remote()
                .then(|| (self.shared.cache.clone(), url.identity())),
            unpinned_note: self.unpinned_note(base),
        }
    }

    /// The index of `name` as last fetched on this machine, verified again against the pinned
    /// keys, from the cache alone (no network). `None` for directory registries (reading them
    /// is already local), when nothing is cached, or when the cached copy does not verify.
    pub fn verified_cached_index(&self, name: &str) -> Option<Arc<PluginIndex>> {
        if let Some(idx) = self.shared.verified.get(&self.provider.name, name) {
            return Some(idx);
        }
        if !self.provider.base.is_remote() {
            return None;
        }
        let base = &self.provider.base;
        let index_url = base.join(&format!("index/{name}.toml")).ok()?;
        let sig_url = base.join(&format!("index/{name}.toml.minisig")).ok()?;
        let (_, body) = read_cache_entry(&self.shared.cache.index_entry(&index_url.identity()))?;
        let sig = read_cache_entry(&self.shared.cache.index_entry(&sig_url.identity()));
        self.check(name, base, &index_url)
            .run(&body, sig.as_ref().map(|(_, s)| s.as_slice()))
            .ok()
            .map(Arc::new)
    }

    /// Fetches a small document, revalidating a cached copy with its ETag. Returns `None` when
    /// the document does not exist.
    pub(super) async fn get_cached(&self, url: &Location) -> Result<Option<bytes::Bytes>> {
        let loc = self
            .shared
            .transport
            .locate(url, Some(self.provider.origin()))?;
        if let Endpoint::File(_) = loc {
            return match self
                .shared
                .transport
                .get_small(&loc, MAX_INDEX_SIZE, None)
                .await?
            {
                Fetched::Body { bytes, .. } => Ok(Some(bytes)),
                _ => Ok(None),
            };
        }
        let entry = self.shared.cache.index_entry(&url.identity());
        let cached = read_cache_entry(&entry);
        if self.shared.transport.offline {
            return match cached {
                Some((_, b)) => Ok(Some(b.into())),
                None => Err(self.failure(
                    url,
                    RegistryKind::Unreachable,
                    format!("--offline: {url} is not in the cache"),
                )),
            };
        }
        let etag = cached.as_ref().map(|(e, _)| e.as_str());
        match self
            .shared
            .transport
            .get_small(&loc, MAX_INDEX_SIZE, etag)
            .await?
        {
            Fetched::NotModified => match cached {
                Some((_, b)) => Ok(Some(b.into())),
                None => Err(self.failure(
                    url,
                    RegistryKind::Unreachable,
                    format!("{url}: 304 without a cached copy"),
                )),
            },
            Fetched::NotFound => Ok(None),
            Fetched::Body { bytes, etag } => {
                if let Some(etag) = etag.filter(|e| !e.contains('\n')) {
                    // Best effort: a cache we cannot write only costs a refetch.
                    let mut raw = Vec::with_capacity(etag.len() + 1 + bytes.len());
                    raw.extend_from_slice(etag.as_bytes());
                    raw.push(b'\n');
                    raw.extend_from_slice(&bytes);
                    self.shared.cache.write_hint(&entry, &raw);
                }
                Ok(Some(bytes))
            }
        }
    }
}

/// Verifying one index document: the plugin name, how to name it in errors, the pinned keys,
/// (remote registries) the cache and URL its parsed form is remembered under, and (read from
/// the registry itself) what to do about a signature by a key that is not pinned.
struct Check {
    name: String,
    what: String,
    keys: Vec<String>,
    memo: Option<(Cache, String)>,
    unpinned_note: Option<String>,
}

/// The error for a signature that did not verify; one by a key that is not pinned gets
/// `unpinned_note` after it.
pub(super) fn unverified(u: Unverified, what: &str, unpinned_note: Option<String>) -> Error {
    let not_pinned = matches!(u, Unverified::NotPinned { .. });
    match (u.error(what), unpinned_note) {
        (e, Some(note)) if not_pinned => e.noted(note),
        (e, _) => e,
    }
}

impl Check {
    /// Checks an index document against the pinned keys (when there are any) and parses it.
    /// A document already verified and parsed with the same keys and signature on this machine
    /// is taken from its memo instead ([`memo`]).
    fn run(&self, body: &[u8], sig: Option<&[u8]>) -> Result<PluginIndex> {
        let (name, what) = (self.name.as_str(), self.what.as_str());
        let utf8 = |body| std::str::from_utf8(body).map_err(|_| Error::document(what, "not UTF-8"));
        if self.keys.is_empty() {
            return PluginIndex::parse(utf8(body)?, name, what);
        }
        let sig = sig.ok_or_else(|| Error::Signature {
            what: what.to_string(),
            problem: "missing signature".into(),
            mismatch: false,
        })?;
        let remembered = self
            .memo
            .as_ref()
            .map(|(cache, url)| (cache, memo::memo(cache, url, name, &self.keys, body, sig)));
        if let Some(idx) = remembered
            .as_ref()
            .and_then(|(_, m)| memo::load(m, name, what))
        {
            return Ok(idx);
        }
        let sig = std::str::from_utf8(sig).map_err(|_| Error::Signature {
            what: what.to_string(),
            problem: "signature is not text".into(),
            mismatch: false,
        })?;
        check_signature(body, sig, &self.keys)
            .map_err(|u| unverified(u, what, self.unpinned_note.clone()))?;
        let idx = PluginIndex::parse(utf8(body)?, name, what)?;
        if let Some((cache, m)) = &remembered {
            m.store(cache, &idx);
        }
        Ok(idx)
    }
}

//! Verified, parsed indexes kept in the machine cache, so an index document that has not
//! changed since it was last verified is neither verified nor parsed again (a `lock` of a big
//! registry was mostly TOML parsing, even when every document was answered with a 304).
//!
//! A memo is one file per index URL (`index/<hash of url>.parsed`, next to the cached document):
//! its key on the first line, the parsed index as JSON after it. The key is a sha256 over
//! everything that decides whether the document verified and what it parsed to: the memo
//! format and the optimus version (the checks of the code that wrote it), the plugin name, the
//! pinned keys, the document's bytes and its signature's bytes. A memo is only ever written
//! after [`super::signing::verify_signature`] accepted exactly those inputs, and only read when
//! all of them are the same again; a parsed index read back passes
//! [`PluginIndex::validate`] again. Only indexes of registries with pinned keys are memoised.

use super::index::PluginIndex;
use crate::model::digest::HashingWriter;
use crate::store::cache::Cache;
use std::io::Write;
use std::path::PathBuf;

/// Bump when the memo's layout or meaning changes.
const MEMO_FORMAT: &str = "optimus parsed index memo 1";

/// Where the parsed index of one document is remembered, and under which key.
pub(super) struct Memo {
    path: PathBuf,
    key: String,
}

impl Memo {
    /// The memo for the document at `url` with this name, keys, body and signature.
    pub fn new(
        cache: &Cache,
        url: &str,
        name: &str,
        keys: &[String],
        body: &[u8],
        sig: &[u8],
    ) -> Memo {
        let mut h = HashingWriter::new(std::io::sink());
        // Every part is length-prefixed, so no two different inputs hash the same stream.
        let mut part = |bytes: &[u8]| {
            let _ = h.write_all(&(bytes.len() as u64).to_le_bytes());
            let _ = h.write_all(bytes);
        };
        part(MEMO_FORMAT.as_bytes());
        part(env!("CARGO_PKG_VERSION").as_bytes());
        part(name.as_bytes());
        part(&(keys.len() as u64).to_le_bytes());
        for k in keys {
            part(k.as_bytes());
        }
        part(body);
        part(sig);
        let (_, key, _) = h.finish();
        let mut path = cache.index_entry(url);
        path.set_extension("parsed");
        Memo {
            path,
            key: key.into_string(),
        }
    }

    /// The index remembered under this very key, validated again; `None` on any doubt.
    pub fn load(&self, name: &str, what: &str) -> Option<PluginIndex> {
        let raw = std::fs::read(&self.path).ok()?;
        let nl = raw.iter().position(|&b| b == b'\n')?;
        if raw[..nl] != *self.key.as_bytes() {
            return None;
        }
        let idx: PluginIndex = serde_json::from_slice(&raw[nl + 1..]).ok()?;
        idx.validate(name, what).ok()
    }

    /// Remembers `idx`, which was just verified and parsed from the inputs of the key. Best
    /// effort (atomic, no fsync: a lost memo costs one parse).
    pub fn store(&self, cache: &Cache, idx: &PluginIndex) {
        let Ok(json) = serde_json::to_vec(idx) else {
            return;
        };
        let mut raw = Vec::with_capacity(self.key.len() + 1 + json.len());
        raw.extend_from_slice(self.key.as_bytes());
        raw.push(b'\n');
        raw.extend_from_slice(&json);
        cache.write_hint(&self.path, &raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_covers_every_input() {
        let cache = Cache::new(PathBuf::from("/nonexistent"));
        let k = |url: &str, name: &str, keys: &[&str], body: &[u8], sig: &[u8]| {
            let keys: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
            let m = Memo::new(&cache, url, name, &keys, body, sig);
            (m.path, m.key)
        };
        let (path, key) = k("http://h/index/a.toml", "a", &["K1"], b"body", b"sig");
        assert_eq!(path.extension().unwrap(), "parsed");
        for (p2, k2) in [
            k("http://h/index/a.toml", "b", &["K1"], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &["K2"], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &["K1", "K2"], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &[], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &["K1"], b"bodx", b"sig"),
            k("http://h/index/a.toml", "a", &["K1"], b"body", b"sih"),
            // A byte moved from the body to the signature.
            k("http://h/index/a.toml", "a", &["K1"], b"bod", b"ysig"),
        ] {
            assert_eq!(p2, path);
            assert_ne!(k2, key);
        }
        assert_ne!(
            k("http://h/index/b.toml", "a", &["K1"], b"body", b"sig").0,
            path
        );
    }
}

//! Parsed documents kept in the machine cache (`memo/<kind>/<hash of id>`), so a document whose
//! bytes have not changed is not parsed again. TOML is slow to parse (~40 MB/s); the memo holds
//! the parsed form as JSON (~5x faster to read), under a key that covers every input the parsed
//! form depends on.
//!
//! A memo file is the key on its first line and the JSON after it. The key is a sha256 over the
//! memo format, the optimus version (the code that parsed and checked the document) and the
//! caller's parts (the document's bytes and whatever else decided what they parsed to), each
//! length-prefixed so that no two different inputs hash the same stream. A memo is read only
//! when its key is the same again, so it cannot change what a document means: at worst, a memo
//! that is lost, stale or damaged costs one parse. Callers check what they load as they check
//! what they parse. One memo per id, so the memo directory does not grow with edits.

use super::cache::Cache;
use crate::model::digest::{HashingWriter, Sha256};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bump when the memo's layout or meaning changes.
const MEMO_FORMAT: &str = "optimus parsed memo 2";

/// Where the parsed form of one document is remembered, and under which key.
pub struct Memo {
    path: PathBuf,
    key: String,
}

impl Memo {
    /// The memo of document `id` (a URL, an absolute path) of this `kind`, for these inputs.
    pub fn new(cache: &Cache, kind: &str, id: &str, parts: &[&[u8]]) -> Memo {
        let mut h = HashingWriter::new(std::io::sink());
        let mut part = |bytes: &[u8]| {
            let _ = h.write_all(&(bytes.len() as u64).to_le_bytes());
            let _ = h.write_all(bytes);
        };
        part(MEMO_FORMAT.as_bytes());
        part(env!("CARGO_PKG_VERSION").as_bytes());
        part(kind.as_bytes());
        for p in parts {
            part(p);
        }
        let (_, key, _) = h.finish();
        let name = Sha256::of_bytes(id.as_bytes()).into_string();
        Memo {
            path: cache.root.join("memo").join(kind).join(name),
            key: key.into_string(),
        }
    }

    /// The memo of the document at `path` (by its absolute path).
    pub fn for_file(cache: &Cache, kind: &str, path: &Path, parts: &[&[u8]]) -> Memo {
        let id = crate::model::fsutil::absolute(path);
        Memo::new(cache, kind, &id.to_string_lossy(), parts)
    }

    /// The value remembered under this very key; `None` on any doubt (the caller parses).
    pub fn load<T: DeserializeOwned>(&self) -> Option<T> {
        let raw = std::fs::read(&self.path).ok()?;
        let nl = raw.iter().position(|&b| b == b'\n')?;
        if raw[..nl] != *self.key.as_bytes() {
            return None;
        }
        serde_json::from_slice(&raw[nl + 1..]).ok()
    }

    /// Remembers `value`, just parsed (and checked) from the inputs of the key. Best effort
    /// (atomic, no fsync: a lost memo costs one parse).
    pub fn store<T: Serialize>(&self, cache: &Cache, value: &T) {
        let Ok(json) = serde_json::to_vec(value) else {
            return;
        };
        let mut raw = Vec::with_capacity(self.key.len() + 1 + json.len());
        raw.extend_from_slice(self.key.as_bytes());
        raw.push(b'\n');
        raw.extend_from_slice(&json);
        cache.write_hint(&self.path, &raw);
    }
}

/// The parsed form of the file at `path` (whose text is `text`, read by the caller): from its
/// memo when these are the bytes parsed last time, put through `check` as a fresh parse is;
/// else `parse`d (which checks) and remembered. The lock and the receipts are read this way.
pub fn parsed_file<T: Serialize + DeserializeOwned>(
    cache: &Cache,
    kind: &str,
    path: &Path,
    text: &str,
    parse: impl FnOnce(&str) -> crate::error::Result<T>,
    check: impl FnOnce(T) -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    let memo = Memo::for_file(cache, kind, path, &[text.as_bytes()]);
    if let Some(v) = memo.load::<T>() {
        return check(v);
    }
    let v = parse(text)?;
    memo.store(cache, &v);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo(cache: &Cache, kind: &str, id: &str, parts: &[&[u8]]) -> (PathBuf, String) {
        let m = Memo::new(cache, kind, id, parts);
        (m.path, m.key)
    }

    #[test]
    fn the_key_covers_every_input_and_the_path_only_the_id() {
        let cache = Cache::new(PathBuf::from("/nonexistent"));
        let (path, key) = memo(&cache, "index", "u", &[b"a", b"body", b"sig"]);
        for (p2, k2) in [
            memo(&cache, "index", "u", &[b"b", b"body", b"sig"]),
            memo(&cache, "index", "u", &[b"a", b"bodx", b"sig"]),
            memo(&cache, "index", "u", &[b"a", b"body", b"sih"]),
            // A byte moved from one part to the next.
            memo(&cache, "index", "u", &[b"a", b"bod", b"ysig"]),
            memo(&cache, "index", "u", &[b"a", b"body"]),
        ] {
            assert_eq!(p2, path);
            assert_ne!(k2, key);
        }
        assert_ne!(memo(&cache, "index", "v", &[b"a"]).0, path);
        let (p3, k3) = memo(&cache, "lock", "u", &[b"a", b"body", b"sig"]);
        assert_ne!(p3, path);
        assert_ne!(k3, key);
    }

    #[test]
    fn a_value_is_read_back_only_under_its_key() {
        let tmp = std::env::temp_dir().join(crate::model::fsutil::unique_name("memo-test-"));
        let cache = Cache::new(tmp.clone());
        let m = Memo::new(&cache, "lock", "/p/optimus.lock", &[b"v1"]);
        assert_eq!(m.load::<Vec<u32>>(), None);
        m.store(&cache, &vec![1u32, 2, 3]);
        assert_eq!(m.load::<Vec<u32>>(), Some(vec![1, 2, 3]));
        let changed = Memo::new(&cache, "lock", "/p/optimus.lock", &[b"v2"]);
        assert_eq!(changed.load::<Vec<u32>>(), None);
        // A damaged memo is a miss, not an error.
        std::fs::write(&m.path, format!("{}\n[1,", m.key)).unwrap();
        assert_eq!(m.load::<Vec<u32>>(), None);
        let _ = std::fs::remove_dir_all(tmp);
    }
}

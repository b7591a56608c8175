//! Verified, parsed indexes kept in the machine cache ([`crate::store::memo`]), so an index
//! document that has not changed since it was last verified is neither verified nor parsed
//! again (a `lock` of a big registry was mostly TOML parsing, even when every document was
//! answered with a 304).
//!
//! One memo per index URL. Its key covers everything that decides whether the document verified
//! and what it parsed to: the plugin name, the pinned keys, the document's bytes and its
//! signature's bytes (and, through the store's memo, the memo format and the optimus version).
//! A memo is only ever written after [`super::signing::verify_signature`] accepted exactly those
//! inputs, and only read when all of them are the same again; a parsed index read back passes
//! [`PluginIndex::validate`] again. Only indexes of registries with pinned keys are memoised.

use super::index::PluginIndex;
use crate::store::cache::Cache;
use crate::store::memo::Memo;

/// The memo of the index document at `url` with this name, keys, body and signature.
pub(super) fn memo(
    cache: &Cache,
    url: &str,
    name: &str,
    keys: &[String],
    body: &[u8],
    sig: &[u8],
) -> Memo {
    let count = (keys.len() as u64).to_le_bytes();
    let mut parts: Vec<&[u8]> = vec![name.as_bytes(), &count];
    parts.extend(keys.iter().map(|k| k.as_bytes()));
    parts.extend([body, sig]);
    Memo::new(cache, "index", url, &parts)
}

/// The index remembered in `m`, validated again; `None` on any doubt.
pub(super) fn load(m: &Memo, name: &str, what: &str) -> Option<PluginIndex> {
    m.load::<PluginIndex>()?.validate(name, what).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_covers_every_input() {
        let tmp = std::env::temp_dir().join(crate::model::fsutil::unique_name("imemo-test-"));
        let cache = Cache::new(tmp.clone());
        let idx = PluginIndex::parse("name = \"a\"\nplugin_type = \"task\"\n", "a", "t")
            .unwrap_or_else(|e| panic!("{e}"));
        let m = memo(
            &cache,
            "http://h/index/a.toml",
            "a",
            &["K1".into()],
            b"body",
            b"sig",
        );
        m.store(&cache, &idx);
        assert!(load(&m, "a", "t").is_some());
        let k = |url: &str, name: &str, keys: &[&str], body: &[u8], sig: &[u8]| {
            let keys: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
            load(&memo(&cache, url, name, &keys, body, sig), name, "t")
        };
        for other in [
            k("http://h/index/a.toml", "a", &["K2"], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &["K1", "K2"], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &[], b"body", b"sig"),
            k("http://h/index/a.toml", "a", &["K1"], b"bodx", b"sig"),
            k("http://h/index/a.toml", "a", &["K1"], b"body", b"sih"),
            // A byte moved from the body to the signature.
            k("http://h/index/a.toml", "a", &["K1"], b"bod", b"ysig"),
            k("http://h/index/b.toml", "a", &["K1"], b"body", b"sig"),
        ] {
            assert!(other.is_none());
        }
        let _ = std::fs::remove_dir_all(tmp);
    }
}

//! A registry's own documents, copied for a mirror (`optimus-plugins mirror`): the mirror serves
//! the origin's signed files unchanged, so it is trusted exactly as the origin is (by the keys
//! pinned in `optimus.yaml`) and needs no key of its own.

use super::client::RegistryClient;
use super::timestamp::TIMESTAMP_FILE;
use crate::error::{RegistryKind, Result};
use crate::model::names::check_plugin_name;

impl RegistryClient<'_> {
    /// The documents a mirror of this registry needs to serve the plugins `names`, as
    /// (path under the registry root, bytes), exactly as the origin serves them:
    /// `config.toml` and `timestamp.toml` (with its signature) when the registry has them, and
    /// each plugin's index with its signature. Every index is verified first (pinned keys,
    /// timestamp snapshot); the copy is then checked again by reading the mirror back.
    pub async fn mirror_documents(&self, names: &[String]) -> Result<Vec<(String, bytes::Bytes)>> {
        let base = &self.provider.base;
        let signed = !self.provider.public_keys.is_empty();
        let mut out = Vec::new();
        for optional in [
            "config.toml".to_string(),
            TIMESTAMP_FILE.to_string(),
            format!("{TIMESTAMP_FILE}.minisig"),
        ] {
            if let Some(b) = self.get_cached(&base.join(&optional)?).await? {
                out.push((optional, b));
            }
        }
        for name in names {
            check_plugin_name(name)?;
            self.fetch_index(name).await?;
            let mut paths = vec![format!("index/{name}.toml")];
            if signed {
                paths.push(format!("index/{name}.toml.minisig"));
            }
            for path in paths {
                let url = base.join(&path)?;
                let bytes = self.get_cached(&url).await?.ok_or_else(|| {
                    let problem = format!(
                        "registry {}: {url} disappeared while it was being mirrored",
                        self.provider.name
                    );
                    self.failure(&url, RegistryKind::Unreachable, problem)
                })?;
                out.push((path, bytes));
            }
        }
        Ok(out)
    }
}

//! Writing `index.html` ([`crate::registry::page`]) after every change to the registry: every
//! index is read again and verified with the publishing key; one that does not verify is left
//! off the page (and named there), never shown unverified. The page is written last, through
//! the same storage as the indexes, after the signed timestamp: it is a view of the signed
//! documents, which stay the authority (a racing publisher's page may briefly lag its index).

use super::Publisher;
use crate::error::{Error, Result};
use crate::registry::page::{Page, PAGE_CONTENT_TYPE, PAGE_FILE};
use crate::registry::timestamp::Timestamp;
use crate::registry::{verify_signature, PluginIndex, RegistryConfig};
use crate::source::PutMode;
use bytes::Bytes;

impl Publisher<'_> {
    /// The registry's `config.toml`, if it has one.
    pub(super) async fn read_config(
        &self,
    ) -> Result<Option<(RegistryConfig, Option<object_store::UpdateVersion>)>> {
        let loc = self.loc("config.toml")?;
        let Some((bytes, version)) = self.transport.get_versioned(&loc).await? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        let cfg = toml::from_str(&text)
            .map_err(|e| crate::error::toml_error(&loc.display(), &text, &e))?;
        Ok(Some((cfg, version)))
    }

    /// Records `--public-url` in `config.toml` when it differs from what is there, and gives
    /// a registry made before registry ids its `id` (before the timestamp is signed: the
    /// timestamp lists `config.toml`'s digest and carries the id).
    pub(super) async fn record_public_url(&self) -> Result<()> {
        let Some((mut cfg, version)) = self.read_config().await? else {
            return Ok(());
        };
        let url_changes = self
            .public_url
            .as_ref()
            .is_some_and(|u| cfg.url.as_deref() != Some(u.as_str()));
        if !url_changes && cfg.id.is_some() {
            return Ok(());
        }
        if let Some(url) = &self.public_url {
            cfg.url = Some(url.clone());
        }
        let mut new_id = false;
        if cfg.id.is_none() {
            let id = crate::registry::index::new_registry_id(
                &self.root.to_string(),
                &self.key.public_key_base64(),
            );
            cfg.id = Some(id);
            new_id = true;
        }
        let text = toml::to_string(&cfg).expect("config serialises");
        let mode = PutMode::Update(version.unwrap_or(object_store::UpdateVersion {
            e_tag: None,
            version: None,
        }));
        let loc = self.loc("config.toml")?;
        self.transport.put(&loc, Bytes::from(text), mode).await?;
        if let (true, Some(id)) = (new_id, &cfg.id) {
            self.reporter.note(&super::registry_id_note(&cfg.name, id));
        }
        Ok(())
    }

    /// One index, verified with the publishing key (whatever `--resign` says).
    async fn verified_index(&self, name: &str) -> Result<Option<PluginIndex>> {
        let loc = self.loc(&format!("index/{name}.toml"))?;
        let Some((bytes, _)) = self.transport.get_versioned(&loc).await? else {
            return Ok(None);
        };
        let what = loc.display();
        let sig = self
            .transport
            .get_versioned(&self.loc(&format!("index/{name}.toml.minisig"))?)
            .await?
            .map(|(b, _)| String::from_utf8_lossy(&b).into_owned())
            .ok_or_else(|| Error::Signature {
                what: what.clone(),
                problem: "has no signature".into(),
                mismatch: false,
            })?;
        verify_signature(&bytes, &sig, &[self.key.public_key_base64()], &what)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::document(&what, "not UTF-8"))?;
        PluginIndex::parse(text, name, &what).map(Some)
    }

    /// Writes `index.html` from the indexes as they are now.
    pub(super) async fn write_page(&self, snapshot: &Timestamp) -> Result<()> {
        let mut plugins = Vec::new();
        let mut left_out = Vec::new();
        for file in self.index_names().await? {
            let name = file.trim_end_matches(".toml");
            match self.verified_index(name).await {
                Ok(Some(idx)) => plugins.push(idx),
                Ok(None) => {}
                Err(e) => {
                    self.reporter
                        .warn(&format!("{PAGE_FILE}: leaving {name} off the page: {e}"));
                    left_out.push(format!(
                        "{name} (its index does not verify with the key that wrote this page)"
                    ));
                }
            }
        }
        let config = self.read_config().await?.map(|(c, _)| c);
        let name = config
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "registry".into());
        let url = self
            .public_url
            .clone()
            .or_else(|| config.and_then(|c| c.url))
            .unwrap_or_else(|| self.root.to_string());
        let html = Page {
            name: &name,
            url: &url,
            public_keys: &[self.key.public_key_base64()],
            snapshot: Some((snapshot.version, &snapshot.expires)),
            plugins: &plugins,
            left_out: &left_out,
        }
        .render();
        let loc = self.loc(PAGE_FILE)?;
        self.transport
            .put_document(&loc, Bytes::from(html), PAGE_CONTENT_TYPE)
            .await
    }
}

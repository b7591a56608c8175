//! What a provider adds to requests for its own origins (and which URLs those are): its
//! headers, its https client (`ca_file`, client certificate) and the `Authorization` header
//! its `credential_process` yields. One per provider per [`Transport`]: the client is built
//! and the program run at most once per command, when a request first needs them; a failure
//! is kept and given to every request that asks again.

use super::{credential, tls, Transport};
use crate::error::Result;
use crate::model::credentials::{Credentials, Origin};
use crate::model::redact;
use std::sync::{Arc, OnceLock};

pub struct Access {
    /// The provider's name (for messages).
    name: String,
    /// Its base and mirrors that are URLs: the only origins its credentials go to.
    origins: Vec<url::Url>,
    /// Its base, as the credential process is told it (`OPTIMUS_PROVIDER_URL`).
    base: String,
    credentials: Credentials,
    /// How long its credential process may take (`OPTIMUS_CREDENTIAL_TIMEOUT`).
    credential_timeout: std::time::Duration,
    /// The provider's own client; `None` when it has no TLS settings (the shared one serves).
    client: OnceLock<Kept<Option<reqwest::Client>>>,
    authorization: tokio::sync::OnceCell<Kept<Option<String>>>,
}

/// A result made once and handed to every request that asks: the value, or the error the
/// first attempt met (shared).
type Kept<T> = std::result::Result<T, Arc<crate::error::Error>>;

/// The kept result for one more request: the value, or the same error, shared
/// ([`crate::error::Error::Shared`]).
fn again<T: Clone>(k: &Kept<T>) -> Result<T> {
    k.clone().map_err(crate::error::Error::Shared)
}

impl Access {
    pub fn provider(&self) -> &str {
        &self.name
    }

    pub fn has_client_cert(&self) -> bool {
        self.credentials.tls.client_identity.is_some()
    }

    pub fn has_ca_file(&self) -> bool {
        self.credentials.tls.ca_file.is_some()
    }

    /// Whether `url` is one of the provider's own origins (its `url` or a mirror): the only
    /// URLs its credentials, CA and client certificate are used for, decided for every
    /// request and every redirect hop ([`super::redirect`]).
    pub(super) fn owns(&self, url: &url::Url) -> bool {
        own_origin(self.origins.iter(), url).is_some()
    }

    /// The headers the provider's credentials add to a request for `url` (none for a URL it
    /// does not own).
    pub(super) fn headers(&self, url: &url::Url) -> Vec<(String, String)> {
        provider_headers(&self.origins, &self.credentials.headers, url)
    }

    /// The provider's own client, if it has TLS settings.
    pub(super) fn client(&self, t: &Transport) -> Result<Option<reqwest::Client>> {
        again(self.client.get_or_init(|| {
            let tls_settings = &self.credentials.tls;
            if tls_settings.is_default() {
                return Ok(None);
            }
            tls::provider_client(&t.net, &self.name, tls_settings)
                .map(Some)
                .map_err(Arc::new)
        }))
    }

    /// The `Authorization` value from the credential process (run once, off the runtime's
    /// threads), if the provider has one.
    pub(super) async fn authorization(&self) -> Result<Option<String>> {
        let kept = self
            .authorization
            .get_or_init(|| async {
                let Some(argv) = self.credentials.credential_process.clone() else {
                    return Ok(None);
                };
                let (name, url) = (self.name.clone(), self.base.clone());
                let deadline = self.credential_timeout;
                let run = tokio::task::spawn_blocking(move || {
                    credential::authorization(&name, &url, &argv, deadline)
                });
                match run.await {
                    Ok(r) => r.map(Some).map_err(Arc::new),
                    Err(e) => Err(Arc::new(credential::failed(
                        &self.name,
                        &format!("did not run: {e}"),
                    ))),
                }
            })
            .await;
        again(kept)
    }
}

impl Transport {
    /// The provider's [`Access`] (one per provider: its client and token are made once).
    pub(super) fn access(&self, p: Origin<'_>) -> Option<Arc<Access>> {
        let mut map = self.access.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            map.entry(p.name.to_string())
                .or_insert_with(|| {
                    Arc::new(Access {
                        name: p.name.to_string(),
                        origins: p.urls().cloned().collect(),
                        base: p.base.to_string(),
                        credentials: p.credentials.clone(),
                        credential_timeout: self.net.credential_timeout,
                        client: OnceLock::new(),
                        authorization: tokio::sync::OnceCell::new(),
                    })
                })
                .clone(),
        )
    }
}

/// The provider's base or mirror URL (among `origins`) with the origin of `url`, if `url` is
/// one of its own.
pub(super) fn own_origin<'a>(
    mut origins: impl Iterator<Item = &'a url::Url>,
    url: &url::Url,
) -> Option<&'a url::Url> {
    origins.find(|b| super::redirect::same_origin(b, url))
}

/// The headers a provider's credentials add to a request for `url`.
///
/// They go only to the provider's own origin (its `url` or one of its `mirrors`): an index may
/// list absolute artifact URLs on other hosts, and those must not receive the credentials.
/// User-info in the provider's URL (`https://user:pass@host/`) becomes a Basic
/// `Authorization` header, so URLs written to the lock without it still authenticate.
pub(super) fn provider_headers(
    origins: &[url::Url],
    headers: &[(String, String)],
    url: &url::Url,
) -> Vec<(String, String)> {
    let Some(base) = own_origin(origins.iter(), url) else {
        return Vec::new();
    };
    let mut headers = headers.to_vec();
    let has_auth = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if !has_auth && url.username().is_empty() && !base.username().is_empty() {
        let user = redact::percent_decode(base.username());
        let pass = redact::percent_decode(base.password().unwrap_or(""));
        use base64::Engine;
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        redact::register(&pass);
        redact::register(&enc);
        headers.push(("Authorization".into(), format!("Basic {enc}")));
    }
    headers
}

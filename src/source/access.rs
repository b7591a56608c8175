//! What a provider adds to requests for its own origins: its
//! https client (`ca_file`, client certificate) and the `Authorization` header its
//! `credential_process` yields. One per provider per [`Transport`]: the client is built and
//! the program run at most once per command, when a request first needs them.

use super::{credential, tls, Transport};
use crate::config::Provider;
use crate::error::{Error, Result};
use std::sync::{Arc, OnceLock};

pub struct Access {
    provider: Provider,
    /// How long its credential process may take (`OPTIMUS_CREDENTIAL_TIMEOUT`).
    credential_timeout: std::time::Duration,
    /// The provider's own client; `None` when it has no TLS settings (the shared one serves).
    client: OnceLock<std::result::Result<Option<reqwest::Client>, Failure>>,
    authorization: tokio::sync::OnceCell<std::result::Result<Option<String>, Failure>>,
}

/// An error kept to be given again to every request that asks (exit code, message).
#[derive(Clone)]
struct Failure(i32, String);

impl Failure {
    fn of(e: Error) -> Failure {
        Failure(e.exit_code(), e.to_string())
    }
    fn error(&self) -> Error {
        match self.0 {
            2 => Error::config(self.1.clone()),
            _ => Error::runtime(self.1.clone()),
        }
    }
}

impl Access {
    pub fn provider(&self) -> &str {
        &self.provider.name
    }

    pub fn has_client_cert(&self) -> bool {
        self.provider.tls.client_identity.is_some()
    }

    pub fn has_ca_file(&self) -> bool {
        self.provider.tls.ca_file.is_some()
    }

    /// Whether `url` is one of the provider's own origins (its `url` or a mirror): the only
    /// URLs its credentials, CA and client certificate are used for, decided for every
    /// request and every redirect hop ([`super::redirect`]).
    pub(super) fn owns(&self, url: &url::Url) -> bool {
        super::http::own_origin(&self.provider, url).is_some()
    }

    /// The headers the provider's credentials add to a request for `url` (none for a URL it
    /// does not own).
    pub(super) fn headers(&self, url: &url::Url) -> Vec<(String, String)> {
        super::http::provider_headers(&self.provider, url)
    }

    /// The provider's own client, if it has TLS settings.
    pub(super) fn client(&self, t: &Transport) -> Result<Option<reqwest::Client>> {
        self.client
            .get_or_init(|| {
                if self.provider.tls.is_default() {
                    return Ok(None);
                }
                tls::provider_client(&t.net, &self.provider.name, &self.provider.tls)
                    .map(Some)
                    .map_err(Failure::of)
            })
            .clone()
            .map_err(|f| f.error())
    }

    /// The `Authorization` value from the credential process (run once, off the runtime's
    /// threads), if the provider has one.
    pub(super) async fn authorization(&self) -> Result<Option<String>> {
        self.authorization
            .get_or_init(|| async {
                let Some(argv) = self.provider.credential_process.clone() else {
                    return Ok(None);
                };
                let name = self.provider.name.clone();
                let url = self.provider.base.to_string();
                let deadline = self.credential_timeout;
                tokio::task::spawn_blocking(move || {
                    credential::authorization(&name, &url, &argv, deadline)
                })
                .await
                .map_err(|e| {
                    Failure(
                        1,
                        format!("provider {}: credential_process: {e}", self.provider.name),
                    )
                })
                .and_then(|r| r.map(Some).map_err(Failure::of))
            })
            .await
            .clone()
            .map_err(|f| f.error())
    }
}

impl Transport {
    /// The provider's [`Access`] (one per provider: its client and token are made once).
    pub(super) fn access(&self, p: &Provider) -> Option<Arc<Access>> {
        let mut map = self.access.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            map.entry(p.name.clone())
                .or_insert_with(|| {
                    Arc::new(Access {
                        provider: p.clone(),
                        credential_timeout: self.net.credential_timeout,
                        client: OnceLock::new(),
                        authorization: tokio::sync::OnceCell::new(),
                    })
                })
                .clone(),
        )
    }
}

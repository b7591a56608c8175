//! A provider as the transport sees it, and nothing more: its name (for messages, and one
//! client per provider), its origins (the base and the mirrors: the only places its
//! credentials go, and where copies are tried first) and what its requests carry (headers, TLS
//! settings, a credential program, an object store's settings). `config` builds it from the
//! provider's declaration (`config::Provider::origin`); `source` takes it in place of the
//! whole provider, so the transport never sees a provider's keys, kind or declaration.

use crate::model::location::Location;
use std::path::PathBuf;

/// A provider's TLS settings (absolute paths).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderTls {
    /// PEM CA certificates trusted for this provider's origins, on top of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) and private key, presented when the server asks.
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

impl ProviderTls {
    pub fn is_default(&self) -> bool {
        self.ca_file.is_none() && self.client_identity.is_none()
    }
}

/// Where an object-store provider (s3, gcs, azure) is, beside the standard environment.
#[derive(Clone, Debug, Default)]
pub struct ObjectStore {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// gcs: base64 service-account json (the RFC's form), raw json, or a path to a json file.
    pub service_account: Option<String>,
}

/// What a provider's requests carry (secrets registered with the scrubber by `config`).
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// Headers for its own origins (`headers`, `auth`).
    pub headers: Vec<(String, String)>,
    /// `ca_file`, `client_cert`, `client_key`: read when its https client is first needed.
    pub tls: ProviderTls,
    /// `credential_process`: the program and its arguments (`{name}` and `{url}` replaced).
    pub credential_process: Option<Vec<String>>,
    pub object: ObjectStore,
}

/// A provider, narrowed to what moving bytes needs (borrowed from `config::Provider`).
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub name: &'a str,
    /// A directory (absolute), or an `http(s)://`, `s3://`, `gs://` or `az://` URL.
    pub base: &'a Location,
    pub mirrors: &'a [Location],
    pub credentials: &'a Credentials,
}

impl Origin<'_> {
    /// The URLs among its base and mirrors: the origins its credentials go to.
    pub fn urls(&self) -> impl Iterator<Item = &url::Url> {
        std::iter::once(self.base)
            .chain(self.mirrors)
            .filter_map(|b| match b {
                Location::Url(u) => Some(u),
                Location::Path(_) => None,
            })
    }
}

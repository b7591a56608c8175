//! The plugin section as written: serde types for the three spellings (spec §3).

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub(super) struct RawTop {
    #[serde(alias = "plugin")]
    pub(super) plugins: Option<RawSection>,
    /// The client config's Optimus server (`host: localhost:9100`).
    pub(super) host: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    // `location`: goto's server config (`plugins: {location: DIR}`).
    #[serde(alias = "plugin_dir", alias = "install_location", alias = "location")]
    pub(super) dir: Option<String>,
    #[serde(default)]
    pub(super) providers: Vec<RawProvider>,
    #[serde(default, alias = "list")]
    pub(super) plugins: Vec<RawPlugin>,
    #[serde(default)]
    pub(super) artifacts: Vec<String>,
    #[serde(default)]
    pub(super) limits: Option<RawLimits>,
    /// Which Optimus: raystack (default), raystack-0.5, goto.
    pub(super) target: Option<String>,
    /// goto: whether `lock` records the digests of the images yaml plugins name (default true).
    pub(super) lock_images: Option<bool>,
    #[serde(default)]
    pub(super) image_registries: Vec<RawImageRegistry>,
    /// How cached files are placed: hardlink (default), copy or reflink.
    pub(super) link_mode: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImageRegistry {
    pub(super) host: String,
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    #[serde(default)]
    pub(super) insecure: bool,
    #[serde(default)]
    pub(super) token_hosts: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub(super) max_unpacked_size: Option<u64>,
    pub(super) max_entries: Option<u64>,
    pub(super) max_ratio: Option<u64>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    pub(super) name: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    #[serde(alias = "location")]
    pub(super) url: Option<String>,
    pub(super) bucket: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) region: Option<String>,
    pub(super) service_account: Option<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    pub(super) auth: Option<RawAuth>,
    #[serde(default)]
    pub(super) public_keys: Vec<String>,
    #[serde(default)]
    pub(super) allow_unsigned: bool,
    /// The registry's id (its `config.toml`'s `id`): a timestamp naming another registry is
    /// refused from any source, even on a first contact.
    pub(super) registry_id: Option<String>,
    #[serde(default)]
    pub(super) mirrors: Vec<String>,
    /// PEM file of CA certificates trusted for this provider's https origins (besides the
    /// system's roots).
    pub(super) ca_file: Option<String>,
    /// PEM client certificate (chain) and its private key, for servers that ask for one.
    pub(super) client_cert: Option<String>,
    pub(super) client_key: Option<String>,
    /// A program that prints this provider's token: `"prog arg"` or `[prog, arg]`.
    pub(super) credential_process: Option<RawArgv>,
    // The RFC's type-keyed spelling: `- http: {name, url}`.
    pub(super) http: Option<Box<RawProvider>>,
    pub(super) gcs: Option<Box<RawProvider>>,
    pub(super) s3: Option<Box<RawProvider>>,
    pub(super) azure: Option<Box<RawProvider>>,
    pub(super) local: Option<Box<RawProvider>>,
    pub(super) registry: Option<Box<RawProvider>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    pub(super) bearer: Option<String>,
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
}

/// A command line: one string (split on whitespace) or a list of arguments.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub(super) enum RawArgv {
    Line(String),
    Args(Vec<String>),
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlugin {
    pub(super) name: Option<String>,
    pub(super) provider: Option<String>,
    pub(super) version: Option<String>,
    pub(super) path: Option<String>,
    pub(super) url: Option<String>,
    pub(super) sha256: Option<RawPins>,
    pub(super) plugin: Option<Box<RawPlugin>>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub(super) enum RawPins {
    One(String),
    PerPlatform(BTreeMap<String, String>),
}

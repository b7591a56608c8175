//! `plugins.image_registries`: credentials and transport for the container registries whose
//! image tags `lock` resolves to digests (goto v2 yaml plugins). Registries not listed are
//! spoken to anonymously.

use super::expand::expand_env;
use super::raw::RawImageRegistry;
use crate::error::{Error, Result};
use crate::model::redact;
use std::path::Path;

#[derive(Clone, Debug, Default)]
pub struct ImageRegistry {
    /// `host[:port]` as image references name it (`ghcr.io`, `127.0.0.1:5000`, `docker.io`).
    pub host: String,
    pub username: Option<String>,
    /// `${VAR}` expanded; registered as a secret.
    pub password: Option<String>,
    /// Speak plain http (loopback registries always do).
    pub insecure: bool,
    /// Hosts besides `host` that may receive the credentials, to get a bearer token (Docker
    /// Hub's `auth.docker.io`). A token realm on any other host gets no credentials.
    pub token_hosts: Vec<String>,
}

impl ImageRegistry {
    /// Whether the credentials may go to `host[:port]`.
    pub fn trusts(&self, host: &str) -> bool {
        host == self.host || self.token_hosts.iter().any(|h| h == host)
    }

    pub fn credentials(&self) -> Option<(&str, &str)> {
        Some((
            self.username.as_deref()?,
            self.password.as_deref().unwrap_or(""),
        ))
    }
}

pub(super) fn normalize(raw: &[RawImageRegistry], file: &Path) -> Result<Vec<ImageRegistry>> {
    let mut out: Vec<ImageRegistry> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let what = format!("image_registries[{i}]");
        let host = r.host.trim().trim_end_matches('/').to_string();
        if host.is_empty() || host.contains('/') {
            return Err(Error::in_config(
                file,
                Some(what),
                format!(
                    "`host` must be a registry's host[:port] as image references name it, got {:?}",
                    r.host
                ),
            ));
        }
        if out.iter().any(|o| o.host == host) {
            return Err(Error::in_config(
                file,
                Some(what),
                format!("registry {host} is listed twice"),
            ));
        }
        let expand = |v: &Option<String>, key: &str| {
            v.as_deref()
                .map(|v| expand_env(v, &format!("{what}.{key}"), file))
                .transpose()
        };
        let username = expand(&r.username, "username")?;
        let password = expand(&r.password, "password")?;
        if let Some(p) = &password {
            redact::register(p);
        }
        if password.is_some() && username.is_none() {
            return Err(Error::in_config(
                file,
                Some(what),
                "`password` without `username`",
            ));
        }
        out.push(ImageRegistry {
            host,
            username,
            password,
            insecure: r.insecure,
            token_hosts: r.token_hosts.clone(),
        });
    }
    Ok(out)
}

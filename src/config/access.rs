//! How a provider reaches a private https registry: its own CA file, a client certificate and
//! key, and a `credential_process` that prints its token (docs/operations.md, "Private registries").
//! Checked here; the files are read and the program is run by `source` when first needed.

use super::expand::expand_env;
use super::raw::{RawArgv, RawProvider};
use super::ProviderKind;
use crate::error::{Error, Result};
use crate::model::location::Location;
use std::path::{Path, PathBuf};

pub use crate::model::credentials::ProviderTls;

/// The provider's `ca_file`, `client_cert`/`client_key` and `credential_process`, checked:
/// the certificate and key come as a pair, only an https provider takes them, and a
/// credential process is the provider's only source of an `Authorization` header.
pub(super) fn normalize_access(
    body: &RawProvider,
    name: &str,
    kind: ProviderKind,
    origins: &[&Location],
    has_authorization: bool,
    file: &Path,
    dir: &Path,
) -> Result<(ProviderTls, Option<Vec<String>>)> {
    let fail = |msg: String| Error::in_config(file, Some(format!("provider {name}")), msg);
    let path = |v: &Option<String>, field: &str| -> Result<Option<PathBuf>> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Err(fail(format!("`{field}` is empty"))),
            Some(s) => {
                let s = expand_env(s, &format!("provider {name}: {field}"), file)?;
                Ok(Some(dir.join(s)))
            }
        }
    };
    let ca_file = path(&body.ca_file, "ca_file")?;
    let cert = path(&body.client_cert, "client_cert")?;
    let key = path(&body.client_key, "client_key")?;
    let client_identity = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(fail(
                "`client_cert` needs `client_key` (the PEM private key of that certificate)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(fail(
                "`client_key` needs `client_cert` (the PEM certificate of that key)".into(),
            ))
        }
    };
    let tls = ProviderTls {
        ca_file,
        client_identity,
    };
    let argv = match &body.credential_process {
        None => None,
        Some(RawArgv::Line(l)) => Some(l.split_whitespace().map(String::from).collect()),
        Some(RawArgv::Args(a)) => Some(a.clone()),
    };
    let credential_process = match argv {
        None => None,
        Some(a) if a.first().is_none_or(|p| p.trim().is_empty()) => {
            return Err(fail("`credential_process` names no program".into()))
        }
        Some(a) => {
            let url = origins.first().map(|o| o.to_string()).unwrap_or_default();
            let mut out = Vec::with_capacity(a.len());
            for (i, arg) in a.iter().enumerate() {
                let arg = expand_env(arg, &format!("provider {name}: credential_process"), file)?;
                let arg = arg.replace("{name}", name).replace("{url}", &url);
                // A program path with a slash is relative to the config's directory (as in
                // cargo); a bare name is looked up on PATH.
                if i == 0 && arg.contains('/') && Path::new(&arg).is_relative() {
                    out.push(dir.join(arg.trim_start_matches("./")).display().to_string());
                } else {
                    out.push(arg);
                }
            }
            Some(out)
        }
    };
    if tls.is_default() && credential_process.is_none() {
        return Ok((tls, None));
    }
    let field = if credential_process.is_some() {
        "credential_process"
    } else if tls.ca_file.is_some() {
        "ca_file"
    } else {
        "client_cert"
    };
    if matches!(
        kind,
        ProviderKind::S3 | ProviderKind::Gcs | ProviderKind::Azure | ProviderKind::Local
    ) || !origins
        .iter()
        .any(|o| matches!(o, Location::Url(u) if matches!(u.scheme(), "http" | "https")))
    {
        return Err(fail(format!(
            "`{field}` applies to http(s) providers only; an object-store provider takes its credentials and certificates from its SDK's settings (AWS_*, GOOGLE_*, AZURE_*)"
        )));
    }
    if credential_process.is_some() && has_authorization {
        return Err(fail(
            "give either `credential_process` or an Authorization header (`headers`, `auth` or user:password in the url), not both".into(),
        ));
    }
    Ok((tls, credential_process))
}

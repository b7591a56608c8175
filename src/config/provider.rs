//! A provider as declared → a [`Provider`]: its type, base location, credentials, pinned keys
//! and mirrors.

use super::access::normalize_access;
use super::expand::expand_env;
use super::raw::RawProvider;
use super::{in_file, Provider, ProviderKind};
use crate::error::{Error, RegistryKind, Result};
use crate::model::credentials::{Credentials, ObjectStore};
use crate::model::keys;
use crate::model::location::Location;
use crate::model::redact;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn normalize_provider(
    raw: &RawProvider,
    index: usize,
    file: &Path,
    dir: &Path,
) -> Result<Provider> {
    // An entry without a name is told by its place in the list.
    let item = || Some(format!("providers[{index}]"));
    // Type-keyed form: exactly one of http/gcs/s3/azure/local/registry holds the body.
    let keyed: Vec<(&str, &RawProvider)> = [
        ("http", &raw.http),
        ("gcs", &raw.gcs),
        ("s3", &raw.s3),
        ("azure", &raw.azure),
        ("local", &raw.local),
        ("registry", &raw.registry),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|b| (k, b)))
    .collect();
    let (kind_text, body) = match keyed.as_slice() {
        [] => (raw.kind.clone(), raw),
        [(k, body)] => (Some(k.to_string()), *body),
        _ => {
            return Err(Error::in_config(
                file,
                item(),
                "give one provider per list entry",
            ))
        }
    };
    let name = body
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Error::in_config(file, item(), "missing `name`"))?;
    crate::model::names::check_provider_name(&name)
        .map_err(|e| Error::in_config(file, item(), e.to_string()))?;
    let what = |field: &str| format!("provider {name}: {field}");
    // A problem with the provider as a whole: `provider NAME`.
    let fail = |problem: String| Error::in_config(file, Some(format!("provider {name}")), problem);
    let kind_text = kind_text.unwrap_or_else(|| "registry".to_string());
    let kind = ProviderKind::parse(&kind_text).ok_or_else(|| {
        let kinds = ["registry", "http", "s3", "gcs", "azure", "local"];
        fail(format!(
            "unknown type `{kind_text}` (expected registry, http, s3, gcs, azure or local){}",
            crate::model::names::did_you_mean(&kind_text, kinds)
        ))
    })?;
    let opt = |v: &Option<String>, field: &str| -> Result<Option<String>> {
        v.as_deref()
            .map(|s| expand_env(s, &what(field), file))
            .transpose()
    };
    let url = opt(&body.url, "url")?;
    let bucket = opt(&body.bucket, "bucket")?;
    let prefix = opt(&body.prefix, "prefix")?;
    let base = match (kind, url, bucket) {
        (_, Some(u), None) => {
            Location::parse(&u, dir).map_err(|e| in_file(file, &what("url"), e))?
        }
        (
            ProviderKind::S3 | ProviderKind::Gcs | ProviderKind::Azure | ProviderKind::Registry,
            u,
            Some(b),
        ) => {
            if u.is_some() {
                return Err(fail("give either `url` or `bucket`, not both".into()));
            }
            let scheme = match kind {
                ProviderKind::S3 | ProviderKind::Registry => "s3",
                ProviderKind::Gcs => "gs",
                _ => "az",
            };
            let prefix = prefix.as_deref().unwrap_or("").trim_matches('/');
            let url = if prefix.is_empty() {
                format!("{scheme}://{b}")
            } else {
                format!("{scheme}://{b}/{prefix}")
            };
            Location::parse(&url, dir).map_err(|e| in_file(file, &what("bucket"), e))?
        }
        (_, _, Some(_)) => return Err(fail("`bucket` needs type s3, gcs or azure".into())),
        (_, None, None) => return Err(fail("missing `url` (or `bucket`)".into())),
    };
    let mut headers = Vec::new();
    for (k, v) in &body.headers {
        let v = expand_env(v, &what(&format!("headers.{k}")), file)?;
        redact::register(&v);
        // What HTTP can carry (RFC 9110): a token for the name, no control characters but
        // tab in the value. Said here, once, not as a network failure on every request.
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if k.is_empty() || !k.chars().all(tchar) {
            return Err(fail(format!(
                "headers: {:?} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)",
                redact::printable(k)
            )));
        }
        if v.chars().any(|c| c.is_control() && c != '\t') {
            return Err(fail(format!(
                "headers.{k}: the value holds a line break or another control character, which no HTTP request can carry (a ${{VAR}} read from a file with its trailing newline?)"
            )));
        }
        if let Some(token) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("Basic "))
        {
            redact::register(token);
        }
        headers.push((k.clone(), v));
    }
    if let Some(auth) = &body.auth {
        if let Some(token) = opt(&auth.bearer, "auth.bearer")? {
            redact::register(&token);
            headers.push(("Authorization".into(), format!("Bearer {token}")));
        }
        if let Some(user) = opt(&auth.username, "auth.username")? {
            use base64::Engine;
            let pass = opt(&auth.password, "auth.password")?.unwrap_or_default();
            redact::register(&pass);
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            redact::register(&enc);
            headers.push(("Authorization".into(), format!("Basic {enc}")));
        }
    }
    let service_account = opt(&body.service_account, "service_account")?;
    if let Some(sa) = &service_account {
        redact::register(sa);
    }
    let mut public_keys = Vec::new();
    for k in &body.public_keys {
        let k = expand_env(k, &what("public_keys"), file)?;
        // Accept the bare base64 key or a whole minisign .pub file's text.
        let key = keys::public_key(&k).ok_or_else(|| {
            fail(format!(
                "public key {:?} is not a minisign public key",
                keys::payload_line(&k).unwrap_or("")
            ))
        })?;
        public_keys.push(key.to_string());
    }
    let registry_id = opt(&body.registry_id, "registry_id")?
        .map(|given| {
            // Printed as given: a value from `${VAR}` is hidden only in the form it was set.
            let id = given.trim().to_ascii_lowercase();
            match id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                true => Ok(id),
                false => Err(fail(format!(
                    "registry_id {:?} is not a registry id (32 hex digits: the `id` in the registry's config.toml, printed by `optimus-plugins publish`)",
                    crate::model::redact::printable(&given)
                ))),
            }
        })
        .transpose()?;
    if registry_id.is_some() && !kind.holds_registry() {
        return Err(fail(format!(
            "registry_id applies to a provider holding a registry (type registry, s3, gcs or azure), not to type {}",
            body.kind.as_deref().unwrap_or("?")
        )));
    }
    if registry_id.is_some() && public_keys.is_empty() {
        return Err(fail(
            "registry_id needs `public_keys`: the id is checked in the registry's signed timestamp"
                .into(),
        ));
    }
    let mut mirrors = Vec::new();
    for m in &body.mirrors {
        let mirror = expand_env(m, &what("mirrors"), file)?;
        mirrors
            .push(Location::parse(&mirror, dir).map_err(|e| in_file(file, &what("mirrors"), e))?);
    }
    let has_authorization = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        || matches!(&base, Location::Url(u) if !u.username().is_empty());
    let origins: Vec<&Location> = std::iter::once(&base).chain(&mirrors).collect();
    let (tls, credential_process) =
        normalize_access(body, &name, kind, &origins, has_authorization, file, dir)?;
    Ok(Provider {
        name: name.clone(),
        kind,
        base,
        public_keys,
        allow_unsigned: body.allow_unsigned,
        registry_id,
        mirrors,
        credentials: Credentials {
            headers,
            tls,
            credential_process,
            object: ObjectStore {
                endpoint: opt(&body.endpoint, "endpoint")?,
                region: opt(&body.region, "region")?,
                service_account,
            },
        },
        declared_at: crate::model::fsutil::shown(file),
    })
}

/// A directory written by `optimus-plugins mirror` (`OPTIMUS_MIRROR_DIR`, `--mirror`): each
/// provider with a subdirectory of its name there gets it as its first mirror (never trusted:
/// what it serves is verified as anything a mirror serves).
pub(super) fn use_mirror_dir(providers: &mut BTreeMap<String, Provider>, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::Registry {
            registry: "mirror".into(),
            url: dir.display().to_string(),
            kind: RegistryKind::Missing,
            problem: format!(
                "mirror directory {} does not exist (OPTIMUS_MIRROR_DIR or --mirror; `optimus-plugins mirror --output DIR` writes one)",
                dir.display()
            ),
        });
    }
    for p in providers.values_mut() {
        let sub = crate::model::names::provider_dir(dir, &p.name)?;
        if sub.is_dir() {
            p.mirrors.insert(0, Location::Path(sub));
        }
    }
    Ok(())
}

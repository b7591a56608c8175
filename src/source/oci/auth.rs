//! A container registry's `401`, answered: a `Bearer` challenge fetches a token from its realm
//! (with the configured credentials only when the realm is the registry itself or one of its
//! `token_hosts`, and never in clear text to a registry spoken to over https), a `Basic`
//! challenge gets the configured credentials.

use super::{registry_error, Oci};
use crate::config::ImageRegistry;
use crate::error::{RegistryKind, Result};
use crate::model::image::ImageRef;
use crate::model::redact;
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use reqwest::Method;

const MAX_TOKEN: usize = 1 << 20;

/// A `WWW-Authenticate` challenge: its scheme (lower-cased) and parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, mut rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches([' ', ',']);
            if rest.is_empty() {
                break;
            }
            let (key, after) = rest.split_once('=')?;
            let key = key.trim().to_ascii_lowercase();
            let (value, next) = param_value(after.trim_start())?;
            params.push((key, value));
            rest = next;
        }
        Some(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A parameter's value (quoted, with `\` escapes, or up to the next comma) and what follows.
fn param_value(after: &str) -> Option<(String, &str)> {
    let Some(q) = after.strip_prefix('"') else {
        let end = after.find(',').unwrap_or(after.len());
        return Some((after[..end].trim().to_string(), &after[end..]));
    };
    let mut v = String::new();
    let mut chars = q.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    v.push(n);
                }
            }
            '"' => return Some((v, &q[i + 1..])),
            c => v.push(c),
        }
    }
    None
}

fn host_port(u: &url::Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    redact::register(&enc);
    format!("Basic {enc}")
}

/// The configured credentials, for the registry at `registry_host` and the hosts it trusts
/// only.
fn creds_for<'c>(
    creds: Option<&'c ImageRegistry>,
    registry_host: &str,
    host: &str,
) -> Option<(&'c str, &'c str)> {
    creds
        .filter(|c| host == registry_host || c.trusts(host))
        .and_then(ImageRegistry::credentials)
}

impl Oci<'_> {
    /// Answers a 401's challenge: the `Authorization` header to retry with.
    pub(super) async fn login(
        &self,
        image: &ImageRef,
        url: &url::Url,
        headers: &HeaderMap,
        creds: Option<&ImageRegistry>,
        plain: bool,
    ) -> Result<String> {
        let shown = redact::url_for_display(url.as_str());
        let fail =
            |problem: String| registry_error(image, &shown, RegistryKind::Unreachable, problem);
        let challenge = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse)
            .ok_or_else(|| {
                fail(format!(
                    "image {image}: {shown} asks for authentication (HTTP 401) without a usable WWW-Authenticate challenge"
                ))
            })?;
        let registry_host = host_port(url);
        match challenge.scheme.as_str() {
            "basic" => {
                let (u, p) = creds_for(creds, &registry_host, &registry_host).ok_or_else(|| {
                    fail(format!(
                        "image {image}: {shown} wants a username and password (Basic); give them for {} under `plugins.image_registries`",
                        image.registry
                    ))
                })?;
                Ok(basic(u, p))
            }
            "bearer" => {
                let token_url = token_url(&challenge, image).ok_or_else(|| {
                    fail(format!(
                        "image {image}: {shown} names token realm {:?}, which is not an http(s) URL",
                        redact::printable(challenge.get("realm").unwrap_or_default())
                    ))
                })?;
                // Never credentials in clear text to a registry spoken to over https.
                let clear_ok = token_url.scheme() == "https" || plain;
                let auth = creds_for(creds, &registry_host, &host_port(&token_url))
                    .filter(|_| clear_ok)
                    .map(|(u, p)| basic(u, p));
                let token = self.token(image, &token_url, auth.as_deref()).await?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(fail(format!(
                "image {image}: {shown} asks for `{}` authentication, which is not supported (Bearer and Basic are)",
                redact::printable(other)
            ))),
        }
    }

    /// A bearer token from the token service at `token_url` (registered as a secret).
    async fn token(
        &self,
        image: &ImageRef,
        token_url: &url::Url,
        auth: Option<&str>,
    ) -> Result<String> {
        let token_shown = redact::url_for_display(token_url.as_str());
        let fail = |problem: String| {
            registry_error(image, &token_shown, RegistryKind::Unreachable, problem)
        };
        let mut resp = self.send(Method::GET, token_url, auth).await?;
        if !resp.status().is_success() {
            return Err(fail(format!(
                "image {image}: the token service {token_shown} answered HTTP {}{}",
                resp.status(),
                if auth.is_none() {
                    " to an anonymous request (give credentials under `plugins.image_registries`)"
                } else {
                    ""
                }
            )));
        }
        let body = self
            .read_limited(&mut resp, MAX_TOKEN, &token_shown)
            .await?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            fail(format!(
                "image {image}: the token service {token_shown} sent no JSON: {e}"
            ))
        })?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                fail(format!(
                    "image {image}: the token service {token_shown} sent no `token`"
                ))
            })?;
        redact::register(token);
        Ok(token.to_string())
    }
}

/// The token request a `Bearer` challenge asks for: its realm (an http(s) URL) with the
/// service and the scopes (the image's repository, pull, when the challenge names none).
fn token_url(challenge: &Challenge, image: &ImageRef) -> Option<url::Url> {
    let realm = challenge.get("realm").unwrap_or_default();
    let mut token_url = url::Url::parse(realm)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))?;
    {
        let mut q = token_url.query_pairs_mut();
        if let Some(s) = challenge.get("service") {
            q.append_pair("service", s);
        }
        let default_scope = format!("repository:{}:pull", image.repository);
        let scope = challenge.get("scope").unwrap_or(&default_scope);
        for s in scope.split(' ').filter(|s| !s.is_empty()) {
            q.append_pair("scope", s);
        }
    }
    Some(token_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = Challenge::parse(
            r#"Bearer realm="auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.get("realm"), Some("auth.example/token"));
        assert_eq!(c.get("service"), Some("registry.example"));
        assert_eq!(c.get("scope"), Some("repository:a/b:pull,push"));
        let c = Challenge::parse(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(
            (c.scheme.as_str(), c.get("realm")),
            ("basic", Some("Registry Realm"))
        );
        let c = Challenge::parse(r#"Bearer realm="a\"b", x=y"#).unwrap();
        assert_eq!((c.get("realm"), c.get("x")), (Some("a\"b"), Some("y")));
        assert!(Challenge::parse(r#"Bearer realm="open"#).is_none());
    }
}

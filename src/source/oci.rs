//! Container registries (the OCI distribution API): which manifest digest an image tag names
//! now. `HEAD /v2/<repository>/manifests/<tag>` with the four manifest media types accepted,
//! the digest from `Docker-Content-Digest`; `GET` (the digest is then the body's sha256, and a
//! header that disagrees with it is refused) when a registry answers HEAD without one.
//! Anonymous first; a `401` with a `Bearer` challenge fetches a token from its realm (with the
//! configured credentials only when the realm is the registry itself or one of its
//! `token_hosts`), a `Basic` challenge gets the configured credentials.

use super::http::describe_reqwest;
use super::{Transport, MAX_ATTEMPTS};
use crate::config::ImageRegistry;
use crate::error::{Error, Result};
use crate::model::digest::Sha256;
use crate::model::image::{is_image_digest, ImageRef};
use crate::model::redact;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
/// A manifest or index larger than this is refused (the registry itself caps them at 4 MiB).
const MAX_MANIFEST: usize = 4 << 20;
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
            let after = after.trim_start();
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let mut v = String::new();
                let mut chars = q.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        c => v.push(c),
                    }
                }
                (v, &q[end?..])
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            };
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

impl Transport {
    /// The digest (`sha256:<hex>`) of the manifest the registry serves for `image` now. A
    /// reference that pins a digest is its own answer (no request). `creds`: the
    /// `image_registries` entry for the image's registry.
    pub async fn image_digest(
        &self,
        image: &ImageRef,
        creds: Option<&ImageRegistry>,
    ) -> Result<String> {
        if let Some(d) = &image.digest {
            return Ok(d.clone());
        }
        let plain = image.is_loopback() || creds.is_some_and(|c| c.insecure);
        let url = image.manifest_url(&image.api_base(plain)?)?;
        let shown = redact::url_for_display(url.as_str());
        if self.offline {
            return Err(Error::runtime(format!(
                "--offline: the digest of image {image} is not locked and its registry ({shown}) may not be asked"
            )));
        }
        let mut auth: Option<String> = None;
        let mut resp = self.oci_send(Method::HEAD, &url, auth.as_deref()).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            auth = Some(
                self.oci_login(image, &url, resp.headers(), creds, plain)
                    .await?,
            );
            resp = self.oci_send(Method::HEAD, &url, auth.as_deref()).await?;
        }
        let header_digest = |h: &HeaderMap| {
            h.get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
        };
        let status = resp.status();
        if status.is_success() {
            if let Some(d) = header_digest(resp.headers()).filter(|d| is_image_digest(d)) {
                return Ok(d);
            }
        } else {
            self.oci_status(status, image, &shown, auth.is_some())?;
        }
        // No usable digest from HEAD (or HEAD not allowed): GET and hash the body.
        let mut resp = self.oci_send(Method::GET, &url, auth.as_deref()).await?;
        if !resp.status().is_success() {
            self.oci_status(resp.status(), image, &shown, auth.is_some())?;
            return Err(Error::runtime(format!(
                "image {image}: GET {shown}: HTTP {}",
                resp.status()
            )));
        }
        let said = header_digest(resp.headers());
        let body = self.read_limited(&mut resp, MAX_MANIFEST, &shown).await?;
        let actual = format!("sha256:{}", Sha256::of_bytes(&body).into_string());
        match said {
            Some(d) if d != actual => Err(Error::runtime(format!(
                "image {image}: GET {shown}: the registry says the manifest is {d} but its bytes hash to {actual}; refusing it"
            ))),
            _ => Ok(actual),
        }
    }

    /// An error for a status that gives no digest (404, 401/403 after logging in, ...);
    /// `Ok` for those that a GET may still answer (405 and other odd HEAD answers).
    fn oci_status(&self, s: StatusCode, image: &ImageRef, shown: &str, authed: bool) -> Result<()> {
        let msg = match s.as_u16() {
            404 => format!("image {image}: the registry has no such tag (HTTP 404 from {shown})"),
            401 | 403 => format!(
                "image {image}: access denied by the registry (HTTP {s} from {shown}{}); give credentials for {} under `plugins.image_registries`",
                if authed { " even with a token" } else { "" },
                image.registry
            ),
            500..=599 | 429 => format!("image {image}: HTTP {s} from {shown}"),
            _ => return Ok(()),
        };
        Err(Error::runtime(msg))
    }

    /// One request with the manifest media types accepted, retried on connection errors,
    /// 5xx and 429, following redirects ([`super::redirect`]): `auth` goes only to the origin
    /// of `url`, never to a host a redirect names.
    async fn oci_send(
        &self,
        method: Method,
        url: &url::Url,
        auth: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut chain = vec![url.clone()];
        loop {
            let hop = chain.last().expect("one URL at least").clone();
            let auth = auth.filter(|_| super::redirect::same_origin(&hop, url));
            let resp = self.oci_send_hop(method.clone(), &hop, auth).await?;
            match super::redirect::next_hop(&resp, &chain)? {
                Some(next) => chain.push(next),
                None => return Ok(resp),
            }
        }
    }

    async fn oci_send_hop(
        &self,
        method: Method,
        url: &url::Url,
        auth: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http()?
                .request(method.clone(), url.clone())
                .header(ACCEPT, MANIFEST_TYPES);
            if let Some(a) = auth {
                req = req.header(AUTHORIZATION, a);
            }
            // The response head within the connect and read timeouts, as in `http_send`.
            let head = self.net.connect_timeout + self.net.read_timeout;
            let err = match tokio::time::timeout(head, req.send()).await {
                Ok(Ok(r)) if r.status().is_server_error() || r.status() == 429 => {
                    format!("HTTP {}", r.status())
                }
                Ok(Ok(r)) => return Ok(r),
                Ok(Err(e)) => describe_reqwest(&e),
                Err(_) => format!("timed out: no response within {} s", head.as_secs()),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(Error::Http {
                    url: redact::url_for_display(url.as_str()),
                    message: format!("{err} (after {attempt} attempts)"),
                });
            }
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// Answers a 401's challenge: the `Authorization` header to retry with.
    async fn oci_login(
        &self,
        image: &ImageRef,
        url: &url::Url,
        headers: &HeaderMap,
        creds: Option<&ImageRegistry>,
        plain: bool,
    ) -> Result<String> {
        let shown = redact::url_for_display(url.as_str());
        let challenge = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse)
            .ok_or_else(|| {
                Error::runtime(format!(
                    "image {image}: {shown} asks for authentication (HTTP 401) without a usable WWW-Authenticate challenge"
                ))
            })?;
        let registry_host = host_port(url);
        // Credentials for this registry, and only to hosts they are meant for.
        let creds_for = |host: &str| {
            creds
                .filter(|c| host == registry_host || c.trusts(host))
                .and_then(ImageRegistry::credentials)
        };
        match challenge.scheme.as_str() {
            "basic" => {
                let (u, p) = creds_for(&registry_host).ok_or_else(|| {
                    Error::runtime(format!(
                        "image {image}: {shown} wants a username and password (Basic); give them for {} under `plugins.image_registries`",
                        image.registry
                    ))
                })?;
                Ok(basic(u, p))
            }
            "bearer" => {
                let realm = challenge.get("realm").unwrap_or_default();
                let mut token_url = url::Url::parse(realm)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        Error::runtime(format!(
                            "image {image}: {shown} names token realm {:?}, which is not an http(s) URL",
                            redact::printable(realm)
                        ))
                    })?;
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
                let token_shown = redact::url_for_display(token_url.as_str());
                let realm_host = host_port(&token_url);
                // Never credentials in clear text to a registry spoken to over https.
                let clear_ok = token_url.scheme() == "https" || plain;
                let auth = creds_for(&realm_host)
                    .filter(|_| clear_ok)
                    .map(|(u, p)| basic(u, p));
                let mut resp = self
                    .oci_send(Method::GET, &token_url, auth.as_deref())
                    .await?;
                if !resp.status().is_success() {
                    return Err(Error::runtime(format!(
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
                    Error::runtime(format!(
                        "image {image}: the token service {token_shown} sent no JSON: {e}"
                    ))
                })?;
                let token = v
                    .get("token")
                    .or_else(|| v.get("access_token"))
                    .and_then(|t| t.as_str())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        Error::runtime(format!(
                            "image {image}: the token service {token_shown} sent no `token`"
                        ))
                    })?;
                redact::register(token);
                Ok(format!("Bearer {token}"))
            }
            other => Err(Error::runtime(format!(
                "image {image}: {shown} asks for `{}` authentication, which is not supported (Bearer and Basic are)",
                redact::printable(other)
            ))),
        }
    }
}

impl Transport {
    /// A small response body (a manifest, a token), at most `max` bytes, with the download
    /// deadline every remote body has ([`super::deadline`]).
    async fn read_limited(
        &self,
        resp: &mut reqwest::Response,
        max: usize,
        shown: &str,
    ) -> Result<Vec<u8>> {
        let started = tokio::time::Instant::now();
        let declared = resp.content_length().unwrap_or(0);
        let mut out = Vec::new();
        loop {
            let budget = super::deadline::allowed(&self.net, declared.max(out.len() as u64));
            let next = tokio::time::timeout_at(started + budget, resp.chunk())
                .await
                .map_err(|_| super::deadline::too_slow(shown, out.len() as u64, budget))?;
            match next {
                Ok(Some(c)) => {
                    if out.len() + c.len() > max {
                        return Err(Error::runtime(format!(
                            "{shown}: the response is larger than {max} bytes"
                        )));
                    }
                    out.extend_from_slice(&c);
                }
                Ok(None) => return Ok(out),
                Err(e) => {
                    return Err(Error::Http {
                        url: shown.to_string(),
                        message: describe_reqwest(&e),
                    })
                }
            }
        }
    }
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

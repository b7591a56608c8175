//! Container registries (the OCI distribution API): which manifest digest an image tag names
//! now. A client of its own ([`Oci`]) over the [`Transport`]'s http client, timeouts, retries,
//! redirect rule and download deadline. `HEAD /v2/<repository>/manifests/<tag>` with the four
//! manifest media types accepted, the digest from `Docker-Content-Digest`; `GET` (the digest is
//! then the body's sha256, and a header that disagrees with it is refused) when a registry
//! answers HEAD without one. Anonymous first; a `401` is answered by [`auth`].

mod auth;

pub use auth::Challenge;

use super::http::describe_reqwest;
use super::{Transport, MAX_ATTEMPTS};
use crate::config::ImageRegistry;
use crate::error::{Error, RegistryKind, Result};
use crate::model::digest::Sha256;
use crate::model::image::{is_image_digest, ImageRef};
use crate::model::redact;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
/// A manifest or index larger than this is refused (the registry itself caps them at 4 MiB).
const MAX_MANIFEST: usize = 4 << 20;

/// A client of container registries, speaking through a [`Transport`].
pub struct Oci<'t> {
    transport: &'t Transport,
}

/// A request about `image` that its registry (at `url`) answered badly.
fn registry_error(image: &ImageRef, url: &str, kind: RegistryKind, problem: String) -> Error {
    Error::Registry {
        registry: image.registry.clone(),
        url: url.to_string(),
        kind,
        problem,
    }
}

fn header_digest(h: &HeaderMap) -> Option<String> {
    h.get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

impl<'t> Oci<'t> {
    pub fn new(transport: &'t Transport) -> Oci<'t> {
        Oci { transport }
    }

    /// The digest (`sha256:<hex>`) of the manifest the registry serves for `image` now. A
    /// reference that pins a digest is its own answer (no request). `creds`: the
    /// `image_registries` entry for the image's registry.
    pub async fn digest(&self, image: &ImageRef, creds: Option<&ImageRegistry>) -> Result<String> {
        if let Some(d) = &image.digest {
            return Ok(d.clone());
        }
        let plain = image.is_loopback() || creds.is_some_and(|c| c.insecure);
        let url = image.manifest_url(&image.api_base(plain)?)?;
        let shown = redact::url_for_display(url.as_str());
        if self.transport.offline {
            return Err(Error::Refused {
                what: "--offline".into(),
                problem: format!("the digest of image {image} is not locked and its registry ({shown}) may not be asked"),
            });
        }
        let mut auth: Option<String> = None;
        let mut resp = self.send(Method::HEAD, &url, auth.as_deref()).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let login = self
                .login(image, &url, resp.headers(), creds, plain)
                .await?;
            auth = Some(login);
            resp = self.send(Method::HEAD, &url, auth.as_deref()).await?;
        }
        let status = resp.status();
        if status.is_success() {
            if let Some(d) = header_digest(resp.headers()).filter(|d| is_image_digest(d)) {
                return Ok(d);
            }
        } else {
            status_error(status, image, &shown, auth.is_some())?;
        }
        // No usable digest from HEAD (or HEAD not allowed): GET and hash the body.
        self.digest_of_body(image, &url, auth.as_deref()).await
    }

    /// GETs the manifest and hashes it; a `Docker-Content-Digest` that disagrees is refused.
    async fn digest_of_body(
        &self,
        image: &ImageRef,
        url: &url::Url,
        auth: Option<&str>,
    ) -> Result<String> {
        let shown = redact::url_for_display(url.as_str());
        let mut resp = self.send(Method::GET, url, auth).await?;
        if !resp.status().is_success() {
            status_error(resp.status(), image, &shown, auth.is_some())?;
            return Err(Error::Http {
                url: shown,
                message: format!("HTTP {}", resp.status()),
            }
            .at(format!("image {image}")));
        }
        let said = header_digest(resp.headers());
        let body = self.read_limited(&mut resp, MAX_MANIFEST, &shown).await?;
        let actual = format!("sha256:{}", Sha256::of_bytes(&body).into_string());
        match said {
            Some(d) if d != actual => Err(Error::document(
                format!("image {image}: GET {shown}"),
                format!("the registry says the manifest is {d} but its bytes hash to {actual}; refusing it"),
            )),
            _ => Ok(actual),
        }
    }

    /// One request with the manifest media types accepted, retried on connection errors,
    /// 5xx and 429, following redirects ([`super::redirect`]): `auth` goes only to the origin
    /// of `url`, never to a host a redirect names.
    async fn send(
        &self,
        method: Method,
        url: &url::Url,
        auth: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut chain = vec![url.clone()];
        loop {
            let hop = chain.last().expect("one URL at least").clone();
            let auth = auth.filter(|_| super::redirect::same_origin(&hop, url));
            let resp = self.send_hop(method.clone(), &hop, auth).await?;
            match super::redirect::next_hop(&resp, &chain)? {
                Some(next) => chain.push(next),
                None => return Ok(resp),
            }
        }
    }

    async fn send_hop(
        &self,
        method: Method,
        url: &url::Url,
        auth: Option<&str>,
    ) -> Result<reqwest::Response> {
        let t = self.transport;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = t
                .http()?
                .request(method.clone(), url.clone())
                .header(ACCEPT, MANIFEST_TYPES);
            if let Some(a) = auth {
                req = req.header(AUTHORIZATION, a);
            }
            // The response head within the connect and read timeouts, as in `http_send`.
            let head = t.net.connect_timeout + t.net.read_timeout;
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
            tokio::time::sleep(t.backoff(attempt)).await;
        }
    }

    /// A small response body (a manifest, a token), at most `max` bytes, with the download
    /// deadline every remote body has ([`super::deadline`]).
    async fn read_limited(
        &self,
        resp: &mut reqwest::Response,
        max: usize,
        shown: &str,
    ) -> Result<Vec<u8>> {
        let net = &self.transport.net;
        let started = tokio::time::Instant::now();
        let declared = resp.content_length().unwrap_or(0);
        let mut out = Vec::new();
        loop {
            let budget = super::deadline::allowed(net, declared.max(out.len() as u64));
            let next = tokio::time::timeout_at(started + budget, resp.chunk())
                .await
                .map_err(|_| super::deadline::too_slow(shown, out.len() as u64, budget))?;
            match next {
                Ok(Some(c)) if out.len() + c.len() > max => {
                    return Err(Error::document(
                        shown,
                        format!("the response is larger than {max} bytes"),
                    ));
                }
                Ok(Some(c)) => out.extend_from_slice(&c),
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

/// An error for a status that gives no digest (404, 401/403 after logging in, ...); `Ok` for
/// those that a GET may still answer (405 and other odd HEAD answers).
fn status_error(s: StatusCode, image: &ImageRef, shown: &str, authed: bool) -> Result<()> {
    let (kind, problem) = match s.as_u16() {
        404 => (
            RegistryKind::NotListed,
            format!("image {image}: the registry has no such tag (HTTP 404 from {shown})"),
        ),
        401 | 403 => (
            RegistryKind::Unreachable,
            format!(
                "image {image}: access denied by the registry (HTTP {s} from {shown}{}); give credentials for {} under `plugins.image_registries`",
                if authed { " even with a token" } else { "" },
                image.registry
            ),
        ),
        500..=599 | 429 => (
            RegistryKind::Unreachable,
            format!("image {image}: HTTP {s} from {shown}"),
        ),
        _ => return Ok(()),
    };
    Err(registry_error(image, shown, kind, problem))
}

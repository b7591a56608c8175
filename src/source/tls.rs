//! The http clients and what they trust: one client shared by every origin without settings
//! of its own, and one per provider with a `ca_file` or a client certificate, used for that
//! provider's origins only. The proxies of the environment (`Net::proxy`) are set here
//! explicitly, so reqwest never reads the environment itself. A TLS failure is explained here
//! too ([`hint`], [`client_cert_hint`]).

use super::Access;
use crate::config::{Net, ProxyEnv};
use crate::error::{Error, Result};
use crate::model::credentials::ProviderTls;
use crate::model::redact::url_for_display;
use std::path::Path;

/// The settings every client shares: user agent, timeouts, no Referer, identity encoding,
/// no redirect followed by reqwest itself, and the proxies.
pub(super) fn builder(net: &Net) -> Result<reqwest::ClientBuilder> {
    let b = reqwest::Client::builder()
        .user_agent(concat!("optimus-plugins/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(net.connect_timeout)
        .read_timeout(net.read_timeout)
        // A Referer would carry the previous URL (signed query included) to the next host
        // of a redirect; reqwest sets one by default.
        .referer(false)
        // Bytes exactly as stored: a compressed transfer would hash differently.
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("identity"),
        )]))
        // Redirects are followed by `redirect::next_hop`, which decides what crosses them:
        // reqwest would carry custom headers, the CA and the client certificate to any host.
        .redirect(reqwest::redirect::Policy::none());
    proxies(b, &net.proxy)
}

/// `https_proxy` for https URLs, `http_proxy` for http ones, `all_proxy` for either without
/// its own, each minus the `no_proxy` hosts. None set: no proxy at all.
fn proxies(b: reqwest::ClientBuilder, p: &ProxyEnv) -> Result<reqwest::ClientBuilder> {
    p.check()?;
    // Clears reqwest's own reading of the environment ("system" proxies).
    let mut b = b.no_proxy();
    let no_proxy = p
        .no_proxy
        .as_deref()
        .and_then(reqwest::NoProxy::from_string);
    let https = p.https.as_ref().or(p.all.as_ref());
    let http = p.http.as_ref().or(p.all.as_ref());
    for (which, var) in [("https", https), ("http", http)] {
        let Some((name, value)) = var else { continue };
        let proxy = if which == "https" {
            reqwest::Proxy::https(value.as_str())
        } else {
            reqwest::Proxy::http(value.as_str())
        }
        .map_err(|e| Error::Env {
            var: format!("{name}={}", url_for_display(value)),
            problem: format!("not a usable proxy URL ({})", root_cause(&e)),
        })?;
        b = b.proxy(proxy.no_proxy(no_proxy.clone()));
    }
    Ok(b)
}

/// Names the proxy variable in force for `url`'s scheme, for connection failures: the
/// failure may be the proxy's.
pub(super) fn proxy_note(p: &ProxyEnv, url: &url::Url) -> String {
    let var = match url.scheme() {
        "https" => p.https.as_ref().or(p.all.as_ref()),
        _ => p.http.as_ref().or(p.all.as_ref()),
    };
    match var {
        Some((name, value)) => format!(
            " ({name}={} is set: is the proxy up, or should NO_PROXY list this host?)",
            url_for_display(value)
        ),
        None => String::new(),
    }
}

/// The client for a provider with TLS settings: its CA file added to the trusted roots, its
/// client certificate presented when a server asks for one.
pub(super) fn provider_client(
    net: &Net,
    provider: &str,
    tls: &ProviderTls,
) -> Result<reqwest::Client> {
    let mut b = builder(net)?;
    if let Some(ca) = &tls.ca_file {
        let pem = read_pem(provider, "ca_file", ca, "CERTIFICATE")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                file_error(
                    provider,
                    "ca_file",
                    ca,
                    "no PEM certificate could be read from it",
                )
            })?;
        b = b.tls_certs_merge(certs);
    }
    if let Some((cert, key)) = &tls.client_identity {
        let mut pem = read_pem(provider, "client_cert", cert, "CERTIFICATE")?;
        pem.push(b'\n');
        pem.extend(read_pem(provider, "client_key", key, "PRIVATE KEY")?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            let with = format!("with client_key {}: {}", key.display(), root_cause(&e));
            file_error(provider, "client_cert", cert, &with)
        })?;
        b = b.identity(identity);
    }
    b.build().map_err(|e| {
        let cause = root_cause(&e);
        match (&tls.client_identity, &tls.ca_file) {
            (Some((cert, key)), _) => file_error(
                provider,
                "client_cert",
                cert,
                &format!("cannot set up the https client with it and client_key {} (is the key the certificate's?): {cause}", key.display()),
            ),
            (None, Some(ca)) => file_error(
                provider,
                "ca_file",
                ca,
                &format!("cannot set up the https client with it: {cause}"),
            ),
            (None, None) => Error::runtime(format!(
                "provider {provider}: cannot set up its https client: {cause}"
            )),
        }
    })
}

/// Reads a PEM file of the provider's, refusing one without a `-----BEGIN ...{kind}-----`
/// block (a DER file, a key given as the certificate, an empty file).
fn read_pem(provider: &str, field: &str, path: &Path, kind: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .map_err(|e| file_error(provider, field, path, &format!("cannot be read: {e}")))?;
    let text = String::from_utf8_lossy(&bytes);
    let has_block = text
        .lines()
        .any(|l| l.starts_with("-----BEGIN ") && l.trim_end().ends_with(&format!("{kind}-----")));
    if !has_block {
        return Err(file_error(
            provider,
            field,
            path,
            &format!("not a PEM file with a `-----BEGIN ...{kind}-----` block"),
        ));
    }
    Ok(bytes)
}

/// A certificate or key file a provider names (`field`: `ca_file`, `client_cert`,
/// `client_key`) that cannot serve: which provider, which setting, which file, and why (exit
/// 2: the config or the file must change).
fn file_error(provider: &str, field: &str, path: &Path, problem: &str) -> Error {
    Error::Key {
        file: path.to_path_buf(),
        problem: problem.to_string(),
    }
    .at(format!("provider {provider}: {field}"))
}

/// A TLS failure explained: an unknown CA points at `ca_file` (or `SSL_CERT_FILE`), a
/// refused client certificate at `client_cert`.
pub(super) fn hint(msg: &str, access: Option<&Access>) -> String {
    let provider = access
        .map(|a| format!("provider {}", a.provider()))
        .unwrap_or_else(|| "the provider".into());
    if msg.contains("invalid peer certificate: UnknownIssuer") {
        let have = if access.is_some_and(Access::has_ca_file) {
            "; the `ca_file` given does not hold the CA that signed it"
        } else {
            ""
        };
        return format!(
            " (the server's certificate is not signed by a CA this machine trusts{have}: set `ca_file` on {provider} to the PEM file of the CA, or SSL_CERT_FILE for every connection)"
        );
    }
    let refused = [
        "CertificateRequired",
        "BadCertificate",
        "UnknownCA",
        "CertificateUnknown",
    ];
    if msg.contains("received fatal alert") && refused.iter().any(|a| msg.contains(a)) {
        let have = if access.is_some_and(Access::has_client_cert) {
            "refused the client certificate given"
        } else {
            "asks for a client certificate"
        };
        return format!(" (the server {have}: set `client_cert` and `client_key` on {provider})");
    }
    if msg.contains("invalid peer certificate") {
        return format!(" (the server's certificate was refused; check the name it is issued for, its dates, and `ca_file` on {provider})");
    }
    String::new()
}

/// nginx answers 400 "No required SSL certificate was sent" when `ssl_verify_client on`
/// finds no client certificate.
pub(super) async fn client_cert_hint(
    mut resp: reqwest::Response,
    access: Option<&Access>,
) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 4096 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&body);
    if !text.contains("SSL certificate") {
        return String::new();
    }
    let provider = access
        .map(|a| format!("provider {}", a.provider()))
        .unwrap_or_else(|| "the provider".into());
    if access.is_some_and(Access::has_client_cert) {
        format!(" (the server refused the client certificate of {provider})")
    } else {
        format!(" (the server asks for a client certificate: set `client_cert` and `client_key` on {provider})")
    }
}

/// The innermost cause of an error (reqwest's outer text repeats what we already say).
pub(super) fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    cause
}

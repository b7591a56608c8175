//! Redirects, followed here and nowhere else. Every client is built with reqwest's own
//! redirect handling off (`tls::builder`), so no request crosses a redirect without passing
//! [`next_hop`], and the caller decides the credentials of each hop again:
//!
//! - a provider's credentials (its `headers`, the `Authorization` from `auth`, user-info or
//!   `credential_process`, its `ca_file` and its client certificate) go to the provider's own
//!   origins only (its `url` and `mirrors`), judged for every hop (`Access::owns`): a redirect
//!   to another host gets a plain request from the shared client, with the system's roots and
//!   no client certificate;
//! - a container registry's token goes back only to the origin it was asked for.
//!
//! What may follow a redirect at all: at most [`MAX_REDIRECTS`] hops, http(s) only, never from
//! https down to plain http.

use crate::error::{Error, Result};
use crate::model::redact::{self, url_for_display};

/// Hops followed before a request fails with "too many redirects".
pub const MAX_REDIRECTS: usize = 5;

/// The statuses followed (as the same method: every request here is a GET or a HEAD).
fn is_redirect(s: reqwest::StatusCode) -> bool {
    matches!(s.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect response sends the request next, checked against `chain` (every URL
/// requested so far, the one that answered last); `None` when the response is not a redirect.
pub(super) fn next_hop(resp: &reqwest::Response, chain: &[url::Url]) -> Result<Option<url::Url>> {
    if !is_redirect(resp.status()) {
        return Ok(None);
    }
    let from = chain.last().expect("a request was made");
    let fail = |message: String| Error::Http {
        url: url_for_display(chain[0].as_str()),
        message,
    };
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| fail(format!("HTTP {} without a usable Location", resp.status())))?;
    let next = from.join(location.trim()).map_err(|e| {
        fail(format!(
            "HTTP {} to {}: not a URL ({e})",
            resp.status(),
            redact::printable(&redact::location_text(location))
        ))
    })?;
    if chain.len() > MAX_REDIRECTS {
        return Err(fail(format!(
            "too many redirects (more than {MAX_REDIRECTS})"
        )));
    }
    match next.scheme() {
        "https" => {}
        "http" if chain.iter().any(|u| u.scheme() == "https") => {
            return Err(fail(format!(
                "refusing a redirect from https to plain http ({})",
                url_for_display(next.as_str())
            )))
        }
        "http" => {}
        other => {
            return Err(fail(format!(
                "refusing a redirect to a `{}` URL ({})",
                redact::printable(other),
                url_for_display(next.as_str())
            )))
        }
    }
    Ok(Some(next))
}

/// Whether two URLs share an origin (scheme, host and port).
pub(super) fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

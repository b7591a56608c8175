//! http(s): the client (built on first use), GETs with bounded retries, bodies checked against
//! their Content-Length (a provider's headers, client and token come from [`Access`]).

use super::{deadline, tls, Access, Body, Fetched, Transport, MAX_ATTEMPTS};
use crate::error::{Error, Result};
use crate::model::redact::{self, url_for_display};
use crate::model::report::SharedReporter;
use futures::stream::StreamExt;
use std::time::Duration;

/// How long a request may go without a byte before a terminal is told (and told again).
const WAIT_NOTE: Duration = Duration::from_secs(10);

/// Who to tell, and about which host, when a request waits (see [`noting_waits`]).
#[derive(Clone)]
pub(super) struct Waits {
    reporter: Option<SharedReporter>,
    host: String,
}

/// Awaits `fut`, telling the reporter `waiting for HOST (10 s)...` every [`WAIT_NOTE`] it
/// goes on (the request's own timeouts and deadline still end it).
pub(super) async fn noting_waits<F: std::future::Future>(w: &Waits, fut: F) -> F::Output {
    let Some(r) = &w.reporter else {
        return fut.await;
    };
    tokio::pin!(fut);
    let mut waited = Duration::ZERO;
    loop {
        match tokio::time::timeout(WAIT_NOTE, &mut fut).await {
            Ok(v) => return v,
            Err(_) => {
                waited += WAIT_NOTE;
                r.waiting(&w.host, waited.as_secs());
            }
        }
    }
}

impl Transport {
    /// The same transport, saying through `reporter` when a server keeps it waiting.
    pub fn with_reporter(mut self, reporter: SharedReporter) -> Transport {
        self.reporter = Some(reporter);
        self
    }

    /// The waits of a request to `url`: its host (and port, when given).
    pub(super) fn waits(&self, url: &url::Url) -> Waits {
        let host = url.host_str().unwrap_or("the server");
        Waits {
            reporter: self.reporter.clone(),
            host: match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            },
        }
    }

    /// [`Transport::get_small`] over http(s).
    pub(super) async fn get_small_http(
        &self,
        url: &url::Url,
        access: Option<&Access>,
        max: u64,
        etag: Option<&str>,
    ) -> Result<Fetched> {
        let resp = self.http_send(url, access, etag).await?;
        // The body's clock starts with its head (each attempt's head has its own bound; a
        // Retry-After wait is not the body's time).
        let started = tokio::time::Instant::now();
        match resp.status() {
            reqwest::StatusCode::NOT_MODIFIED => return Ok(Fetched::NotModified),
            reqwest::StatusCode::NOT_FOUND => return Ok(Fetched::NotFound),
            _ => {}
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let display = url_for_display(url.as_str());
        let body = body(resp, display.clone(), self.waits(url))?;
        let mut body = deadline::bounded(body, &self.net, started, None, display.clone());
        let mut out = Vec::new();
        while let Some(chunk) = body.stream.next().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > max {
                return Err(super::too_large(&display, max));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes: out.into(),
            etag,
        })
    }

    /// [`Transport::open`] over http(s): a missing file is an error naming it.
    pub(super) async fn open_http(
        &self,
        url: &url::Url,
        access: Option<&Access>,
        size: Option<u64>,
    ) -> Result<Body> {
        let resp = self.http_send(url, access, None).await?;
        let started = tokio::time::Instant::now();
        let display = url_for_display(url.as_str());
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::Http {
                url: display,
                message: "HTTP 404 Not Found".into(),
            });
        }
        let body = body(resp, display.clone(), self.waits(url))?;
        Ok(deadline::bounded(body, &self.net, started, size, display))
    }

    pub(super) fn http(&self) -> Result<&reqwest::Client> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let c = tls::builder(&self.net)?
            .build()
            .map_err(|e| Error::runtime(format!("cannot start the http client: {e}")))?;
        // A racing first use may have set it already; either client is fine.
        Ok(self.http.get_or_init(|| c))
    }

    /// Sends a GET, following redirects ([`super::redirect`]) with the provider's credentials
    /// decided again for every hop: only the provider's own origins get them.
    pub(super) async fn http_send(
        &self,
        url: &url::Url,
        access: Option<&Access>,
        etag: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut chain = vec![url.clone()];
        loop {
            let hop = chain.last().expect("one URL at least").clone();
            // The one rule for what crosses a redirect: credentials for own origins only.
            let own = access.filter(|a| a.owns(&hop));
            let resp = self.http_send_hop(&hop, own, etag).await?;
            match super::redirect::next_hop(&resp, &chain)? {
                Some(next) => chain.push(next),
                None => return Ok(resp),
            }
        }
    }

    /// One GET of one URL (no redirect followed), with retries for connection errors,
    /// timeouts, 5xx and 429. Any other non-success status except 304/404 and the redirects is
    /// an error naming the URL. `own`: the provider whose own origin `url` is.
    async fn http_send_hop(
        &self,
        url: &url::Url,
        own: Option<&Access>,
        etag: Option<&str>,
    ) -> Result<reqwest::Response> {
        let display = url_for_display(url.as_str());
        let headers = own.map(|a| a.headers(url)).unwrap_or_default();
        let client = match own {
            Some(a) => a.client(self)?,
            None => None,
        };
        let authorization = match own {
            Some(a) => a.authorization().await?,
            None => None,
        };
        let client = match &client {
            Some(c) => c,
            None => self.http()?,
        };
        // The response head must come within the connect and read timeouts (reqwest's read
        // timeout alone restarts with every byte of a trickled head).
        let head_deadline = self.net.connect_timeout + self.net.read_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = client.get(url.clone());
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            if let Some(v) = &authorization {
                req = req.header(reqwest::header::AUTHORIZATION, v.as_str());
            }
            if let Some(e) = etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, e);
            }
            let sent = match tokio::time::timeout(
                head_deadline,
                noting_waits(&self.waits(url), req.send()),
            )
            .await
            {
                Ok(r) => r.map_err(Some),
                Err(_) => Err(None),
            };
            let (retry, msg, wait) = match sent {
                Ok(resp) => match self.refused(resp, own).await {
                    Ok(resp) => return Ok(resp),
                    Err(failure) => failure,
                },
                Err(None) => (
                    true,
                    format!(
                        "timed out: no response within {} s",
                        head_deadline.as_secs()
                    ),
                    None,
                ),
                Err(Some(e)) => self.not_answered(&e, url, own),
            };
            if !retry || attempt >= MAX_ATTEMPTS {
                let tries = if attempt > 1 {
                    format!(" (after {attempt} attempts)")
                } else {
                    String::new()
                };
                return Err(Error::Http {
                    url: display,
                    message: redact::scrub(&format!("{msg}{tries}")),
                });
            }
            tokio::time::sleep(wait.unwrap_or_else(|| self.backoff(attempt))).await;
        }
    }

    /// A response worth returning (success, a redirect, 404), or what is wrong with it:
    /// (worth a retry, the message, the wait the server asked for).
    async fn refused(
        &self,
        resp: reqwest::Response,
        own: Option<&Access>,
    ) -> std::result::Result<reqwest::Response, (bool, String, Option<Duration>)> {
        let s = resp.status();
        if s.is_success() || s.is_redirection() || s == reqwest::StatusCode::NOT_FOUND {
            return Ok(resp);
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(30)));
        let retry = s.is_server_error() || s == reqwest::StatusCode::TOO_MANY_REQUESTS;
        let hint = match s.as_u16() {
            401 | 403 => " (check the provider's credentials or headers)".to_string(),
            400 => tls::client_cert_hint(resp, own).await,
            _ => String::new(),
        };
        Err((retry, format!("HTTP {s}{hint}"), retry_after))
    }

    /// A request that got no answer, explained: (worth a retry, the message, no wait).
    fn not_answered(
        &self,
        e: &reqwest::Error,
        url: &url::Url,
        own: Option<&Access>,
    ) -> (bool, String, Option<Duration>) {
        let msg = describe_reqwest(e);
        let hint = tls::hint(&msg, own);
        let via = if e.is_connect() && hint.is_empty() {
            tls::proxy_note(&self.net.proxy, url)
        } else if e.is_timeout() {
            format!(
                " (nothing came back within {} s: check that {} is up, or raise OPTIMUS_READ_TIMEOUT)",
                self.net.read_timeout.as_secs(),
                self.waits(url).host
            )
        } else {
            String::new()
        };
        // A certificate the client does not trust stays so: no retry.
        (hint.is_empty(), format!("{msg}{hint}{via}"), None)
    }
}

pub(super) fn describe_reqwest(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "the response body was cut short or malformed"
    } else {
        "request failed"
    };
    // reqwest's own text repeats the URL; keep the root cause only.
    let mut cause = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() {
        what.to_string()
    } else {
        redact::scrub(&format!("{what}: {cause}"))
    }
}

/// Checks the status and wraps the body as a stream that fails if it is shorter or longer than
/// its Content-Length.
pub(super) fn body(resp: reqwest::Response, display: String, waits: Waits) -> Result<Body> {
    let status = resp.status();
    if !status.is_success() {
        return Err(Error::Http {
            url: display,
            message: format!("HTTP {status}"),
        });
    }
    let header = |h: reqwest::header::HeaderName| {
        resp.headers().get(h).map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
    };
    if let Some(enc) = header(reqwest::header::CONTENT_ENCODING).filter(|e| e != "identity") {
        return Err(Error::Http {
            url: display,
            message: format!(
                "the server sent `Content-Encoding: {}`, which was not asked for (the request said `Accept-Encoding: identity`); refusing bytes that are not the file as stored",
                redact::printable(&enc)
            ),
        });
    }
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let len = resp.content_length();
    let stream = futures::stream::unfold(Some((resp, 0u64)), move |state| {
        let (display, waits) = (display.clone(), waits.clone());
        async move {
            let (mut resp, total) = state?;
            match noting_waits(&waits, resp.chunk()).await {
                Ok(Some(c)) => {
                    let total = total + c.len() as u64;
                    match len {
                        Some(l) if total > l => Some((
                            Err(Error::transient(format!(
                                "GET {display}: body is longer than its Content-Length {l}"
                            ))),
                            None,
                        )),
                        _ => Some((Ok(c), Some((resp, total)))),
                    }
                }
                Ok(None) => match len {
                    Some(l) if total != l => Some((
                        Err(Error::transient(format!(
                            "GET {display}: body ended after {total} of {l} bytes (Content-Length)"
                        ))),
                        None,
                    )),
                    _ => None,
                },
                Err(e) => Some((
                    Err(Error::transient(format!(
                        "GET {display}: {}",
                        describe_reqwest(&e)
                    ))),
                    None,
                )),
            }
        }
    });
    Ok(Body {
        stream: stream.boxed(),
        len,
        content_type,
    })
}

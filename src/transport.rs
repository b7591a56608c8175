//! Moving bytes: local files, http(s) (reqwest + rustls) and object stores (S3, GCS, Azure
//! through `object_store`). One [`Location`] type for all of them; callers never branch on the
//! scheme. Timeouts, bounded retries with backoff (honouring `Retry-After`) and redirect limits
//! live here. Errors name the URL with credentials removed.

use crate::config::Provider;
use crate::error::{Error, Result};
use crate::redact::url_for_display;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::{path::Path as ObjPath, ObjectStore, ObjectStoreExt};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where some bytes live.
#[derive(Clone)]
pub enum Location {
    File(PathBuf),
    Http {
        url: url::Url,
        headers: Vec<(String, String)>,
    },
    Object {
        store: Arc<dyn ObjectStore>,
        path: ObjPath,
        url: String,
    },
}

impl Location {
    /// Printable: no credentials.
    pub fn display(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            Location::Http { url, .. } => url_for_display(url.as_str()),
            Location::Object { url, .. } => url_for_display(url),
        }
    }

    pub fn is_remote(&self) -> bool {
        !matches!(self, Location::File(_))
    }
}

/// The answer to a conditional small fetch.
pub enum Fetched {
    Body { bytes: Bytes, etag: Option<String> },
    NotModified,
    NotFound,
}

pub struct Body {
    pub stream: BoxStream<'static, Result<Bytes>>,
    pub len: Option<u64>,
}

/// Attempts per request (and per download, for bodies cut short), the first included.
pub const MAX_ATTEMPTS: u32 = 4;

pub struct Transport {
    /// Built on first use: loading the system's TLS roots costs milliseconds that a no-op
    /// install, a warm install or a directory registry never needs.
    http: std::sync::OnceLock<reqwest::Client>,
    pub offline: bool,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

fn env_secs(key: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

impl Transport {
    pub fn new(offline: bool) -> Result<Transport> {
        Ok(Transport {
            http: std::sync::OnceLock::new(),
            offline,
            stores: Mutex::new(HashMap::new()),
        })
    }

    fn http(&self) -> Result<&reqwest::Client> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let c = reqwest::Client::builder()
            .user_agent(concat!("optimus-plugins/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(env_secs("OPTIMUS_CONNECT_TIMEOUT", 10))
            .read_timeout(env_secs("OPTIMUS_READ_TIMEOUT", 30))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // At most 5 hops, and never from https down to plain http.
                let downgrade = attempt.previous().iter().any(|u| u.scheme() == "https")
                    && attempt.url().scheme() == "http";
                if attempt.previous().len() > 5 {
                    attempt.error("too many redirects")
                } else if downgrade {
                    attempt.error("refusing a redirect from https to plain http")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| Error::runtime(format!("cannot start the http client: {e}")))?;
        // A racing first use may have set it already; either client is fine.
        Ok(self.http.get_or_init(|| c))
    }

    /// Turns an absolute URL or path into a location, with the provider's credentials.
    pub fn locate(&self, url: &str, provider: Option<&Provider>) -> Result<Location> {
        if let Some(path) = url.strip_prefix("file://") {
            return Ok(Location::File(PathBuf::from(path)));
        }
        if !url.contains("://") {
            return Ok(Location::File(PathBuf::from(url)));
        }
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::config(format!("bad URL {}: {e}", url_for_display(url))))?;
        match parsed.scheme() {
            "http" | "https" => Ok(Location::Http {
                headers: provider
                    .map(|p| provider_headers(p, &parsed))
                    .unwrap_or_default(),
                url: parsed,
            }),
            "s3" | "s3a" | "gs" | "az" | "azure" | "abfs" | "abfss" => {
                let bucket = parsed.host_str().unwrap_or_default().to_string();
                let key = format!("{}://{bucket}|{}", parsed.scheme(), provider.map(|p| p.name.as_str()).unwrap_or(""));
                let store = {
                    let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
                    match stores.get(&key) {
                        Some(s) => s.clone(),
                        None => {
                            let s = build_store(&parsed, provider)?;
                            stores.insert(key, s.clone());
                            s
                        }
                    }
                };
                let path = ObjPath::parse(parsed.path().trim_start_matches('/'))
                    .map_err(|e| Error::config(format!("bad object path in {}: {e}", url_for_display(url))))?;
                Ok(Location::Object {
                    store,
                    path,
                    url: url.to_string(),
                })
            }
            other => Err(Error::config(format!(
                "unsupported URL scheme `{other}` in {} (expected a path, file://, http(s)://, s3://, gs:// or az://)",
                url_for_display(url)
            ))),
        }
    }

    fn check_online(&self, loc: &Location) -> Result<()> {
        if self.offline && loc.is_remote() {
            return Err(Error::runtime(format!(
                "--offline: {} is not in the cache and the network may not be used",
                loc.display()
            )));
        }
        Ok(())
    }

    /// Fetches a small document (an index file, a signature), at most `max` bytes, with an
    /// optional ETag for revalidation.
    pub async fn get_small(&self, loc: &Location, max: u64, etag: Option<&str>) -> Result<Fetched> {
        self.check_online(loc)?;
        match loc {
            Location::File(p) => match tokio::fs::read(p).await {
                Ok(b) if b.len() as u64 > max => Err(Error::runtime(format!(
                    "{} is larger than {max} bytes",
                    p.display()
                ))),
                Ok(b) => Ok(Fetched::Body {
                    bytes: b.into(),
                    etag: None,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Fetched::NotFound),
                Err(e) => Err(Error::path("reading", p, e)),
            },
            Location::Http { url, headers } => {
                let resp = self.http_send(url, headers, etag).await?;
                let status = resp.status();
                if status == reqwest::StatusCode::NOT_MODIFIED {
                    return Ok(Fetched::NotModified);
                }
                if status == reqwest::StatusCode::NOT_FOUND {
                    return Ok(Fetched::NotFound);
                }
                let etag = resp
                    .headers()
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                let display = loc.display();
                let mut body = http_body(resp, display.clone())?;
                let mut out = Vec::new();
                while let Some(chunk) = body.stream.next().await {
                    let chunk = chunk?;
                    if (out.len() + chunk.len()) as u64 > max {
                        return Err(Error::runtime(format!(
                            "{display} is larger than {max} bytes"
                        )));
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(Fetched::Body {
                    bytes: out.into(),
                    etag,
                })
            }
            Location::Object { store, path, .. } => {
                let opts = object_store::GetOptions {
                    if_none_match: etag.map(String::from),
                    ..Default::default()
                };
                let res = store.get_opts(path, opts).await;
                match res {
                    Ok(r) => {
                        if r.meta.size > max {
                            return Err(Error::runtime(format!(
                                "{} is larger than {max} bytes",
                                loc.display()
                            )));
                        }
                        let etag = r.meta.e_tag.clone();
                        let bytes = r.bytes().await.map_err(|e| object_error(loc, e))?;
                        Ok(Fetched::Body { bytes, etag })
                    }
                    Err(object_store::Error::NotFound { .. }) => Ok(Fetched::NotFound),
                    Err(object_store::Error::NotModified { .. }) => Ok(Fetched::NotModified),
                    Err(e) => Err(object_error(loc, e)),
                }
            }
        }
    }

    /// Opens a location as a byte stream (for artifacts). Missing is an error naming it.
    pub async fn open(&self, loc: &Location) -> Result<Body> {
        self.check_online(loc)?;
        match loc {
            Location::File(p) => {
                let f = tokio::fs::File::open(p)
                    .await
                    .map_err(|e| Error::path("opening", p, e))?;
                let len = f.metadata().await.ok().map(|m| m.len());
                let p = p.clone();
                let stream =
                    tokio_util_stream(f).map(move |r| r.map_err(|e| Error::path("reading", &p, e)));
                Ok(Body {
                    stream: stream.boxed(),
                    len,
                })
            }
            Location::Http { url, headers } => {
                let resp = self.http_send(url, headers, None).await?;
                if resp.status() == reqwest::StatusCode::NOT_FOUND {
                    return Err(Error::runtime(format!("{}: 404 Not Found", loc.display())));
                }
                http_body(resp, loc.display())
            }
            Location::Object { store, path, .. } => {
                let r = store.get(path).await.map_err(|e| object_error(loc, e))?;
                let len = Some(r.meta.size);
                let display = loc.display();
                let stream = r.into_stream().map(move |c| {
                    c.map_err(|e| {
                        Error::runtime(format!(
                            "{display}: {}",
                            crate::redact::scrub(&e.to_string())
                        ))
                    })
                });
                Ok(Body {
                    stream: stream.boxed(),
                    len,
                })
            }
        }
    }

    /// Sends a GET with retries for connection errors, timeouts, 5xx and 429. Any other
    /// non-success status except 304/404 is an error naming the URL.
    async fn http_send(
        &self,
        url: &url::Url,
        headers: &[(String, String)],
        etag: Option<&str>,
    ) -> Result<reqwest::Response> {
        let display = url_for_display(url.as_str());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http()?.get(url.clone());
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            if let Some(e) = etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, e);
            }
            let (retry, msg, wait) = match req.send().await {
                Ok(resp) => {
                    let s = resp.status();
                    if s.is_success()
                        || s == reqwest::StatusCode::NOT_MODIFIED
                        || s == reqwest::StatusCode::NOT_FOUND
                    {
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
                        401 | 403 => " (check the provider's credentials or headers)",
                        _ => "",
                    };
                    (retry, format!("HTTP {s}{hint}"), retry_after)
                }
                Err(e) => (true, describe_reqwest(&e), None),
            };
            if !retry || attempt >= MAX_ATTEMPTS {
                let tries = if attempt > 1 {
                    format!(" (after {attempt} attempts)")
                } else {
                    String::new()
                };
                return Err(Error::runtime(crate::redact::scrub(&format!(
                    "GET {display}: {msg}{tries}"
                ))));
            }
            tokio::time::sleep(wait.unwrap_or_else(|| backoff(attempt))).await;
        }
    }

    /// Writes `data` to a location. `mode` is honoured on object stores; local writes are
    /// atomic renames (callers serialise them with a lock).
    pub async fn put(&self, loc: &Location, data: Bytes, mode: PutMode) -> Result<PutOutcome> {
        match loc {
            Location::File(p) => {
                if matches!(mode, PutMode::Create) && p.exists() {
                    return Ok(PutOutcome::Conflict);
                }
                let p2 = p.clone();
                tokio::task::spawn_blocking(move || crate::fsutil::write_atomic(&p2, &data))
                    .await
                    .map_err(|e| Error::runtime(e.to_string()))??;
                Ok(PutOutcome::Written(None))
            }
            Location::Http { .. } => Err(Error::config(format!(
                "{}: cannot publish to an http registry; publish to the directory or bucket the web server serves",
                loc.display()
            ))),
            Location::Object { store, path, .. } => {
                let mode = match mode {
                    PutMode::Create => object_store::PutMode::Create,
                    PutMode::Update(v) => object_store::PutMode::Update(v),
                };
                let opts = object_store::PutOptions { mode, ..Default::default() };
                match store.put_opts(path, data.into(), opts).await {
                    Ok(r) => Ok(PutOutcome::Written(Some(object_store::UpdateVersion {
                        e_tag: r.e_tag,
                        version: r.version,
                    }))),
                    Err(object_store::Error::Precondition { .. }) | Err(object_store::Error::AlreadyExists { .. }) => {
                        Ok(PutOutcome::Conflict)
                    }
                    Err(e) => Err(object_error(loc, e)),
                }
            }
        }
    }

    /// Reads a document with its version (for read-modify-write on object stores).
    pub async fn get_versioned(
        &self,
        loc: &Location,
    ) -> Result<Option<(Bytes, Option<object_store::UpdateVersion>)>> {
        match loc {
            Location::Object { store, path, .. } => match store.get(path).await {
                Ok(r) => {
                    let v = object_store::UpdateVersion {
                        e_tag: r.meta.e_tag.clone(),
                        version: r.meta.version.clone(),
                    };
                    let bytes = r.bytes().await.map_err(|e| object_error(loc, e))?;
                    Ok(Some((bytes, Some(v))))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(object_error(loc, e)),
            },
            _ => match self.get_small(loc, 64 << 20, None).await? {
                Fetched::Body { bytes, .. } => Ok(Some((bytes, None))),
                _ => Ok(None),
            },
        }
    }
}

pub enum PutMode {
    Create,
    Update(object_store::UpdateVersion),
}

pub enum PutOutcome {
    Written(Option<object_store::UpdateVersion>),
    /// The precondition failed: someone else wrote first.
    Conflict,
}

/// The wait before retry number `attempt` (1-based): `OPTIMUS_RETRY_BASE_MS` (default 250)
/// doubled each time, capped at 64 times the base.
pub fn backoff(attempt: u32) -> Duration {
    let base = std::env::var("OPTIMUS_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250u64);
    Duration::from_millis(base.saturating_mul(1 << (attempt - 1).min(6)))
}

fn describe_reqwest(e: &reqwest::Error) -> String {
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
        crate::redact::scrub(&format!("{what}: {cause}"))
    }
}

/// Checks the status and wraps the body as a stream that fails if it is shorter or longer than
/// its Content-Length.
fn http_body(resp: reqwest::Response, display: String) -> Result<Body> {
    let status = resp.status();
    if !status.is_success() {
        return Err(Error::runtime(format!("GET {display}: HTTP {status}")));
    }
    let len = resp.content_length();
    let stream = futures::stream::unfold(Some((resp, 0u64)), move |state| {
        let display = display.clone();
        async move {
            let (mut resp, total) = state?;
            match resp.chunk().await {
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
    })
}

fn object_error(loc: &Location, e: object_store::Error) -> Error {
    Error::runtime(crate::redact::scrub(&format!("{}: {e}", loc.display())))
}

/// Reads a tokio file as a stream of chunks.
fn tokio_util_stream(f: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(f, |mut f| async move {
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The headers a provider's credentials add to a request for `url`.
///
/// They go only to the provider's own origin (its `url` or one of its `mirrors`): an index may
/// list absolute artifact URLs on other hosts, and those must not receive the credentials.
/// User-info in the provider's URL (`https://user:pass@host/`) becomes a Basic
/// `Authorization` header, so URLs written to the lock without it still authenticate.
fn provider_headers(p: &Provider, url: &url::Url) -> Vec<(String, String)> {
    let bases: Vec<url::Url> = std::iter::once(&p.base)
        .chain(&p.mirrors)
        .filter_map(|b| url::Url::parse(b).ok())
        .collect();
    let Some(base) = bases.iter().find(|b| same_origin(b, url)) else {
        return Vec::new();
    };
    let mut headers = p.headers.clone();
    let has_auth = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if !has_auth && url.username().is_empty() && !base.username().is_empty() {
        let decode = |s: &str| {
            let b = s.as_bytes();
            let mut out = Vec::with_capacity(b.len());
            let mut i = 0;
            while i < b.len() {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                    (b'%', Some(v)) => {
                        out.push(v);
                        i += 3;
                    }
                    (c, _) => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        };
        let user = decode(base.username());
        let pass = decode(base.password().unwrap_or(""));
        use base64::Engine;
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        crate::redact::register(&pass);
        crate::redact::register(&enc);
        headers.push(("Authorization".into(), format!("Basic {enc}")));
    }
    headers
}

/// Environment variables holding object-store credentials: registered as secrets so that no
/// message can echo them, whatever an object-store error happens to include.
const SECRET_ENV: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_BEARER_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_MASTER_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
];

/// Bounded retries inside object_store (its default retries for up to 3 minutes).
fn object_retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig {
            init_backoff: backoff(1),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: (MAX_ATTEMPTS - 1) as usize,
        retry_timeout: env_secs("OPTIMUS_READ_TIMEOUT", 30) * 2,
    }
}

fn env_nonempty(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// Builds the object store for `s3://`, `gs://` or `az://` URLs.
///
/// Credentials and settings come from the standard environment (`AWS_*`, `GOOGLE_*`,
/// `AZURE_*`, read by object_store's `from_env`), then from the provider: `endpoint`, `region`
/// and, for gcs, `service_account` (base64 service-account json as in the RFC, raw json, or a
/// path to a json file). A plain `http://` endpoint (an emulator, minio) is allowed without
/// further flags.
fn build_store(url: &url::Url, provider: Option<&Provider>) -> Result<Arc<dyn ObjectStore>> {
    use object_store::ClientConfigKey;
    for k in SECRET_ENV {
        if let Some(v) = env_nonempty(k) {
            crate::redact::register(&v);
        }
    }
    let display = url_for_display(url.as_str());
    let fail = |e: object_store::Error| {
        Error::config(crate::redact::scrub(&format!("cannot open {display}: {e}")))
    };
    let endpoint = provider.and_then(|p| p.endpoint.clone());
    let region = provider.and_then(|p| p.region.clone());
    let is_http = |e: &Option<String>| e.as_deref().is_some_and(|e| e.starts_with("http://"));
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "s3" | "s3a" => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.as_str())
                .with_retry(object_retry());
            let env_endpoint = env_nonempty("AWS_ENDPOINT_URL").or(env_nonempty("AWS_ENDPOINT"));
            if is_http(&endpoint) || (endpoint.is_none() && is_http(&env_endpoint)) {
                b = b.with_allow_http(true);
            }
            if let Some(e) = endpoint {
                b = b.with_endpoint(e);
            }
            if let Some(r) = region {
                b = b.with_region(r);
            } else if env_nonempty("AWS_REGION").is_none() {
                if let Some(r) = env_nonempty("AWS_DEFAULT_REGION") {
                    b = b.with_region(r);
                }
            }
            Arc::new(b.build().map_err(fail)?)
        }
        "gs" => {
            let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(object_retry());
            if let Some(sa) = provider.and_then(|p| p.service_account.clone()) {
                crate::redact::register(&sa);
                let sa = sa.trim().to_string();
                use base64::Engine;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(sa.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                b = match decoded {
                    Some(json) => {
                        crate::redact::register(&json);
                        b.with_service_account_key(json)
                    }
                    None if sa.starts_with('{') => b.with_service_account_key(sa),
                    None => b.with_service_account_path(sa),
                };
            }
            let env_endpoint = env_nonempty("GOOGLE_BASE_URL");
            if is_http(&endpoint) || (endpoint.is_none() && is_http(&env_endpoint)) {
                // Through with_config, so client options read from the environment stay.
                b = b.with_config(
                    object_store::gcp::GoogleConfigKey::Client(ClientConfigKey::AllowHttp),
                    "true",
                );
            }
            if let Some(e) = endpoint {
                b = b.with_config(object_store::gcp::GoogleConfigKey::BaseUrl, e);
            }
            Arc::new(b.build().map_err(fail)?)
        }
        _ => {
            let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(object_retry());
            if is_http(&endpoint) {
                b = b.with_allow_http(true);
            }
            if let Some(e) = endpoint {
                b = b.with_endpoint(e);
            }
            Arc::new(b.build().map_err(fail)?)
        }
    };
    Ok(store)
}

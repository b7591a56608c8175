//! Moving bytes: local files, http(s) (reqwest + rustls, [`http`]) and object stores (S3, GCS,
//! Azure through `object_store`, [`object`]). A typed [`Location`] is opened into an
//! [`Endpoint`] with its provider's credentials; callers never branch on the scheme.
//! Timeouts, bounded retries with backoff (honouring `Retry-After`) and redirect limits live
//! here. Errors name the URL with credentials removed.

mod access;
mod credential;
mod deadline;
mod http;
mod object;
mod oci;
mod redirect;
mod tls;

pub use access::Access;
pub use oci::{Challenge, Oci};

use crate::config::Net;
use crate::error::{Error, Result};
use crate::model::credentials::Origin;
use crate::model::location::Location;
use crate::model::mirror_layout::{mirror_blob_path, mirror_path};
use crate::model::redact::url_for_display;
use crate::model::report::SharedReporter;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::{path::Path as ObjPath, ObjectStore, ObjectStoreExt};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A location opened for transfer: the path, the URL with its provider's credentials, or an
/// object-store handle.
#[derive(Clone)]
pub enum Endpoint {
    File(PathBuf),
    Http {
        url: url::Url,
        /// The provider's headers, client and credential process, when `url` is one of its own
        /// origins; each request (and each redirect hop) uses them for its own origins only.
        access: Option<Arc<Access>>,
    },
    Object {
        store: Arc<dyn ObjectStore>,
        path: ObjPath,
        url: String,
    },
}

impl Endpoint {
    /// Printable: no credentials.
    pub fn display(&self) -> String {
        match self {
            Endpoint::File(p) => p.display().to_string(),
            Endpoint::Http { url, .. } => url_for_display(url.as_str()),
            Endpoint::Object { url, .. } => url_for_display(url),
        }
    }

    pub fn is_remote(&self) -> bool {
        !matches!(self, Endpoint::File(_))
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
    /// The media type an http server declared (`text/html`, ...), lower-cased, if any.
    pub content_type: Option<String>,
}

/// Attempts per request (and per download, for bodies cut short), the first included.
pub const MAX_ATTEMPTS: u32 = 4;

pub struct Transport {
    /// Built on first use: loading the system's TLS roots costs milliseconds that a no-op
    /// install, a warm install or a directory registry never needs.
    http: std::sync::OnceLock<reqwest::Client>,
    pub offline: bool,
    net: Net,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Per provider (by name): its own https client and credential process.
    access: Mutex<HashMap<String, Arc<Access>>>,
    /// Told when a server has sent nothing for a while (`waiting for HOST (10 s)...`).
    reporter: Option<SharedReporter>,
}

impl Transport {
    pub fn new(offline: bool, net: &Net) -> Transport {
        Transport {
            http: std::sync::OnceLock::new(),
            offline,
            net: net.clone(),
            stores: Mutex::new(HashMap::new()),
            access: Mutex::new(HashMap::new()),
            reporter: None,
        }
    }

    /// The wait before retry number `attempt` (1-based): the retry base doubled each time,
    /// capped at 64 times the base.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.net
            .retry_base
            .saturating_mul(1 << (attempt - 1).min(6))
    }

    /// Opens a location, with the provider's credentials when it is the provider's own origin.
    pub fn locate(&self, loc: &Location, provider: Option<Origin<'_>>) -> Result<Endpoint> {
        let parsed = match loc {
            Location::Path(p) => return Ok(Endpoint::File(p.clone())),
            Location::Url(u) => u,
        };
        match parsed.scheme() {
            "http" | "https" => {
                let own = provider.filter(|p| access::own_origin(p.urls(), parsed).is_some());
                Ok(Endpoint::Http {
                    access: own.and_then(|p| self.access(p)),
                    url: parsed.clone(),
                })
            }
            "s3" | "s3a" | "gs" | "az" | "azure" | "abfs" | "abfss" => {
                let bucket = parsed.host_str().unwrap_or_default().to_string();
                let key = format!(
                    "{}://{bucket}|{}",
                    parsed.scheme(),
                    provider.map(|p| p.name).unwrap_or("")
                );
                let store = {
                    let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
                    match stores.get(&key) {
                        Some(s) => s.clone(),
                        None => {
                            let object = provider.map(|p| &p.credentials.object);
                            let s = object::build_store(parsed, object, self)?;
                            stores.insert(key, s.clone());
                            s
                        }
                    }
                };
                let path = ObjPath::parse(parsed.path().trim_start_matches('/')).map_err(|e| {
                    Error::invalid("bad object path in", loc.to_string(), e.to_string())
                })?;
                Ok(Endpoint::Object {
                    store,
                    path,
                    url: parsed.to_string(),
                })
            }
            other => Err(Error::invalid(
                "unsupported URL scheme",
                format!("`{other}` in {loc}"),
                "expected a path, file://, http(s)://, s3://, gs:// or az://",
            )),
        }
    }

    /// Endpoints to try for a location: the provider's mirrors (same layout) first, then the
    /// origin.
    pub fn sources(&self, loc: &Location, provider: Option<Origin<'_>>) -> Result<Vec<Endpoint>> {
        let mut out = Vec::new();
        if let Some(p) = provider {
            if let Some(rest) = loc.strip_base(p.base) {
                for m in p.mirrors {
                    out.push(self.locate(&m.join(&rest)?, Some(p))?);
                }
            }
        }
        out.push(self.locate(loc, provider)?);
        Ok(out)
    }

    /// Endpoints to try for a locked artifact with this sha256: [`Transport::sources`], and
    /// first, for an artifact a mirror cannot hold at the same relative path (outside its
    /// provider's root, or with a query), each mirror's content-addressed copy
    /// `sha256/<hex>` ([`mirror_path`]). The bytes are checked against the hash either way.
    pub fn artifact_sources(
        &self,
        loc: &Location,
        provider: Option<Origin<'_>>,
        sha256: &str,
    ) -> Result<Vec<Endpoint>> {
        let mut out = Vec::new();
        if let Some(p) = provider {
            let blob = mirror_blob_path(sha256);
            if mirror_path(loc, p.base, sha256) == blob {
                for m in p.mirrors {
                    out.push(self.locate(&m.join(&blob)?, Some(p))?);
                }
            }
        }
        out.extend(self.sources(loc, provider)?);
        Ok(out)
    }

    fn check_online(&self, loc: &Endpoint) -> Result<()> {
        if self.offline && loc.is_remote() {
            return Err(Error::Refused {
                what: "--offline".into(),
                problem: format!(
                    "{} is not in the cache and the network may not be used",
                    loc.display()
                ),
            });
        }
        Ok(())
    }

    /// Fetches a small document (an index file, a signature), at most `max` bytes, with an
    /// optional ETag for revalidation.
    pub async fn get_small(&self, loc: &Endpoint, max: u64, etag: Option<&str>) -> Result<Fetched> {
        self.check_online(loc)?;
        match loc {
            Endpoint::File(p) => match tokio::fs::read(p).await {
                Ok(b) if b.len() as u64 > max => Err(too_large(&p.display().to_string(), max)),
                Ok(b) => Ok(Fetched::Body {
                    bytes: b.into(),
                    etag: None,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Fetched::NotFound),
                Err(e) => Err(Error::path("reading", p, e)),
            },
            Endpoint::Http { url, access } => {
                self.get_small_http(url, access.as_deref(), max, etag).await
            }
            Endpoint::Object { store, path, .. } => {
                self.get_small_object(loc, store.as_ref(), path, max, etag)
                    .await
            }
        }
    }

    /// Opens a location as a byte stream (for artifacts). Missing is an error naming it. A
    /// remote body carries the download deadline ([`deadline`]); `size` is the size the index
    /// or lock declares, if any.
    pub async fn open(&self, loc: &Endpoint, size: Option<u64>) -> Result<Body> {
        self.check_online(loc)?;
        match loc {
            Endpoint::File(p) => {
                let f = tokio::fs::File::open(p)
                    .await
                    .map_err(|e| Error::path("opening", p, e))?;
                let len = f.metadata().await.ok().map(|m| m.len());
                let p = p.clone();
                let stream =
                    file_stream(f).map(move |r| r.map_err(|e| Error::path("reading", &p, e)));
                Ok(Body {
                    stream: stream.boxed(),
                    len,
                    content_type: None,
                })
            }
            Endpoint::Http { url, access } => self.open_http(url, access.as_deref(), size).await,
            Endpoint::Object { store, path, .. } => {
                self.open_object(loc, store.as_ref(), path, size).await
            }
        }
    }

    /// Writes `data` to a location. `mode` is honoured on object stores; local writes are
    /// atomic renames (callers serialise them with a lock).
    pub async fn put(&self, loc: &Endpoint, data: Bytes, mode: PutMode) -> Result<PutOutcome> {
        match loc {
            Endpoint::File(p) => {
                if matches!(mode, PutMode::Create) && p.exists() {
                    return Ok(PutOutcome::Conflict);
                }
                let p2 = p.clone();
                tokio::task::spawn_blocking(move || crate::model::fsutil::write_atomic(&p2, &data))
                    .await
                    .map_err(|e| Error::path("writing", p, std::io::Error::other(e)))??;
                Ok(PutOutcome::Written(None))
            }
            Endpoint::Http { .. } => Err(Error::usage(
                loc.display(),
                "cannot publish to an http registry; publish to the directory or bucket the web server serves",
            )),
            Endpoint::Object { store, path, .. } => {
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
                    Err(e) => Err(object::write_error(loc, e)),
                }
            }
        }
    }

    /// Writes a public document (a registry's `index.html`) over whatever is there, with its
    /// content type on object stores (a directory's web server picks it from the name).
    pub async fn put_document(
        &self,
        loc: &Endpoint,
        data: Bytes,
        content_type: &'static str,
    ) -> Result<()> {
        match loc {
            Endpoint::Object { store, path, .. } => {
                let mut attributes = object_store::Attributes::new();
                attributes.insert(object_store::Attribute::ContentType, content_type.into());
                let opts = object_store::PutOptions {
                    mode: object_store::PutMode::Overwrite,
                    attributes,
                    ..Default::default()
                };
                store
                    .put_opts(path, data.into(), opts)
                    .await
                    .map(|_| ())
                    .map_err(|e| object::write_error(loc, e))
            }
            _ => self
                .put(
                    loc,
                    data,
                    PutMode::Update(object_store::UpdateVersion {
                        e_tag: None,
                        version: None,
                    }),
                )
                .await
                .map(|_| ()),
        }
    }

    /// Reads a document with its version (for read-modify-write on object stores).
    pub async fn get_versioned(
        &self,
        loc: &Endpoint,
    ) -> Result<Option<(Bytes, Option<object_store::UpdateVersion>)>> {
        match loc {
            Endpoint::Object { store, path, .. } => match store.get(path).await {
                Ok(r) => {
                    let v = object_store::UpdateVersion {
                        e_tag: r.meta.e_tag.clone(),
                        version: r.meta.version.clone(),
                    };
                    let bytes = r.bytes().await.map_err(|e| object::read_error(loc, e))?;
                    Ok(Some((bytes, Some(v))))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(object::read_error(loc, e)),
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

/// A document larger than a caller accepts (an index, a signature, a manifest).
fn too_large(what: &str, max: u64) -> Error {
    Error::document(what, format!("larger than {max} bytes"))
}

/// Reads a tokio file as a stream of chunks.
fn file_stream(f: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
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

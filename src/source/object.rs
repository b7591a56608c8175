//! Object stores (S3, GCS, Azure) through `object_store`: building a store from the URL, the
//! standard environment and the provider's settings, with bounded retries.

use super::{deadline, Body, Endpoint, Fetched, Transport, MAX_ATTEMPTS};
use crate::error::{Error, Result};
use crate::model::credentials::ObjectStore as Settings;
use crate::model::redact::{self, url_for_display};
use futures::stream::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use std::sync::Arc;
use std::time::Duration;

/// A read from an object store that failed (after its retries).
pub(super) fn read_error(loc: &Endpoint, e: impl std::fmt::Display) -> Error {
    Error::Http {
        url: loc.display(),
        message: redact::scrub(&e.to_string()),
    }
}

/// A write to an object store that failed (after its retries), the registry it holds left as
/// it was.
pub(super) fn write_error(loc: &Endpoint, e: impl std::fmt::Display) -> Error {
    Error::Refused {
        what: loc.display(),
        problem: redact::scrub(&e.to_string()),
    }
}

/// Bounded retries inside object_store (its default retries for up to 3 minutes).
fn retry(t: &Transport) -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig {
            init_backoff: t.backoff(1),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: (MAX_ATTEMPTS - 1) as usize,
        retry_timeout: t.net.read_timeout * 2,
    }
}

/// Builds the object store for `s3://`, `gs://` or `az://` URLs.
///
/// Credentials and settings come from the standard environment (`AWS_*`, `GOOGLE_*`,
/// `AZURE_*`, read by object_store's `from_env`), then from the provider: `endpoint`, `region`
/// and, for gcs, `service_account` (base64 service-account json as in the RFC, raw json, or a
/// path to a json file). A plain `http://` endpoint (an emulator, minio) is allowed without
/// further flags.
pub(super) fn build_store(
    url: &url::Url,
    settings: Option<&Settings>,
    t: &Transport,
) -> Result<Arc<dyn ObjectStore>> {
    use object_store::ClientConfigKey;
    // The object-store SDK's http client reads the proxy variables itself: the same refusal.
    t.net.proxy.check()?;
    let display = url_for_display(url.as_str());
    let fail = |e: object_store::Error| {
        Error::invalid(
            "object store",
            display.clone(),
            redact::scrub(&format!("cannot be opened: {e}")),
        )
    };
    let endpoint = settings.and_then(|s| s.endpoint.clone());
    let region = settings.and_then(|s| s.region.clone());
    let is_http = |e: &Option<String>| e.as_deref().is_some_and(|e| e.starts_with("http://"));
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "s3" | "s3a" => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.as_str())
                .with_retry(retry(t));
            let env_endpoint = t.net.object.aws_endpoint.clone();
            if is_http(&endpoint) || (endpoint.is_none() && is_http(&env_endpoint)) {
                b = b.with_allow_http(true);
            }
            if let Some(e) = endpoint {
                b = b.with_endpoint(e);
            }
            if let Some(r) = region {
                b = b.with_region(r);
            } else if t.net.object.aws_region.is_none() {
                if let Some(r) = t.net.object.aws_default_region.clone() {
                    b = b.with_region(r);
                }
            }
            Arc::new(b.build().map_err(fail)?)
        }
        "gs" => {
            let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry(t));
            if let Some(sa) = settings.and_then(|s| s.service_account.clone()) {
                redact::register(&sa);
                let sa = sa.trim().to_string();
                use base64::Engine;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(sa.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                b = match decoded {
                    Some(json) => {
                        redact::register(&json);
                        b.with_service_account_key(json)
                    }
                    None if sa.starts_with('{') => b.with_service_account_key(sa),
                    None => b.with_service_account_path(sa),
                };
            }
            let env_endpoint = t.net.object.google_base_url.clone();
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
                .with_retry(retry(t));
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

impl Transport {
    /// Streams a local file to an object store (multipart for large files: bounded memory).
    pub async fn put_file(&self, loc: &Endpoint, path: &std::path::Path) -> Result<()> {
        let Endpoint::Object {
            store, path: obj, ..
        } = loc
        else {
            return Err(Error::usage(loc.display(), "not an object store"));
        };
        use object_store::ObjectStoreExt;
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::path("opening", path, e))?;
        let upload = store
            .put_multipart(obj)
            .await
            .map_err(|e| write_error(loc, e))?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f
                .read(&mut buf)
                .await
                .map_err(|e| Error::path("reading", path, e))?;
            if n == 0 {
                break;
            }
            w.wait_for_capacity(4)
                .await
                .map_err(|e| write_error(loc, e))?;
            w.write(&buf[..n]);
        }
        w.finish().await.map_err(|e| write_error(loc, e))?;
        Ok(())
    }
}

impl Transport {
    /// [`Transport::get_small`] from an object store.
    pub(super) async fn get_small_object(
        &self,
        loc: &Endpoint,
        store: &dyn ObjectStore,
        path: &object_store::path::Path,
        max: u64,
        etag: Option<&str>,
    ) -> Result<Fetched> {
        let opts = object_store::GetOptions {
            if_none_match: etag.map(String::from),
            ..Default::default()
        };
        let res = store.get_opts(path, opts).await;
        let started = tokio::time::Instant::now();
        let r = match res {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(Fetched::NotFound),
            Err(object_store::Error::NotModified { .. }) => return Ok(Fetched::NotModified),
            Err(e) => return Err(read_error(loc, e)),
        };
        if r.meta.size > max {
            return Err(super::too_large(&loc.display(), max));
        }
        let etag = r.meta.e_tag.clone();
        let budget = deadline::allowed(&self.net, r.meta.size);
        let bytes = tokio::time::timeout_at(started + budget, r.bytes())
            .await
            .map_err(|_| deadline::too_slow(&loc.display(), 0, budget))?
            .map_err(|e| read_error(loc, e))?;
        Ok(Fetched::Body { bytes, etag })
    }

    /// [`Transport::open`] from an object store.
    pub(super) async fn open_object(
        &self,
        loc: &Endpoint,
        store: &dyn ObjectStore,
        path: &object_store::path::Path,
        size: Option<u64>,
    ) -> Result<Body> {
        let r = store.get(path).await.map_err(|e| read_error(loc, e))?;
        let started = tokio::time::Instant::now();
        let len = Some(r.meta.size);
        let failed = loc.clone();
        let stream = r
            .into_stream()
            .map(move |c| c.map_err(|e| read_error(&failed, e)));
        let body = Body {
            stream: stream.boxed(),
            len,
            content_type: None,
        };
        Ok(deadline::bounded(
            body,
            &self.net,
            started,
            size,
            loc.display(),
        ))
    }
}

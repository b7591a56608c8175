//! The overall deadline of every download from the network, artifacts and metadata alike
//! (indexes, signatures, `timestamp.toml`): a body must have arrived within the connect and
//! read timeouts plus its size at the slowest accepted rate (`OPTIMUS_DOWNLOAD_MIN_RATE`).
//! The size is the larger of what is declared (Content-Length, else the size the index or lock
//! gives) and what has arrived so far, so a body of unknown length must keep that average
//! too. A server trickling bytes just within the read timeout cannot hold a run. Applied in
//! `Transport::open` and `Transport::get_small`, the only ways a registry's or a provider's
//! body is read, and to a container registry's manifests and tokens (`oci.rs`).

use super::Body;
use crate::config::Net;
use crate::error::Error;
use futures::stream::StreamExt;
use std::time::Duration;
use tokio::time::Instant;

/// The time a body of `size` bytes may take.
pub(super) fn allowed(net: &Net, size: u64) -> Duration {
    net.connect_timeout + net.read_timeout + Duration::from_secs(size / net.min_rate.max(1))
}

/// `body` with the deadline applied: once it passes, the stream ends with an error naming the
/// URL, the bytes received and the setting (not retried: the same server would trickle again).
/// `started`: when the response head arrived (each attempt's head has its own bound of the
/// connect and read timeouts, and a `Retry-After` wait is not the body's time); `size`: the
/// size declared by someone else (the index or lock), if any.
pub(super) fn bounded(
    body: Body,
    net: &Net,
    started: Instant,
    size: Option<u64>,
    display: String,
) -> Body {
    let net = net.clone();
    let declared = body.len.or(size).unwrap_or(0);
    let Body {
        stream,
        len,
        content_type,
    } = body;
    let state = Some((stream, 0u64));
    let stream = futures::stream::unfold(state, move |state| {
        let (net, display) = (net.clone(), display.clone());
        async move {
            let (mut stream, n) = state?;
            let budget = allowed(&net, declared.max(n));
            match tokio::time::timeout_at(started + budget, stream.next()).await {
                Ok(Some(Ok(chunk))) => {
                    let n = n + chunk.len() as u64;
                    Some((Ok(chunk), Some((stream, n))))
                }
                Ok(Some(Err(e))) => Some((Err(e), None)),
                Ok(None) => None,
                Err(_) => Some((Err(too_slow(&display, n, budget)), None)),
            }
        }
    });
    Body {
        stream: stream.boxed(),
        len,
        content_type,
    }
}

/// The error of a body that missed its deadline.
pub(super) fn too_slow(display: &str, received: u64, budget: Duration) -> Error {
    Error::Http {
        url: display.to_string(),
        message: format!(
            "did not finish within {} s ({received} bytes received; a download must average at least OPTIMUS_DOWNLOAD_MIN_RATE bytes per second after the connect and read timeouts)",
            budget.as_secs()
        ),
    }
}

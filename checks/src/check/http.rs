//! The http, https and http_proxy negotiate checks, as ldirectord's
//! `check_http` (LWP) does them: `httpmethod` (GET or HEAD) for the
//! request URL, the Host header set to `virtualhost` (or the real server's
//! address), redirects followed for up to 7 hops (LWP's default, without
//! the Host header, as LWP drops it), and up when the final answer is 2xx
//! and — if `receive` is set — its body matches it.
//!
//! The URL is `SCHEME://REAL:CHECKPORT/REQUEST`; a `request` that is itself
//! a URL of the service's scheme is used as is. For http_proxy the real
//! server is the proxy, asked for the absolute URL in `request`.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{CONNECTION, HOST, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

use super::io::{excerpt, Stream};
use super::kind::{HttpMethod, Service};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;
use super::url::Url;

/// Redirects followed before giving up (LWP's `max_redirect`).
const MAX_REDIRECTS: usize = 7;
/// The most body bytes read and matched.
const MAX_BODY: usize = 1 << 20;
/// The User-Agent sent.
const AGENT: &str = "lvs-director health check";

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One request: where to connect, the request line's target, and the
/// Host header.
struct Hop {
    connect_to: SocketAddr,
    tls: bool,
    target: String,
    host: String,
    sni: Option<String>,
    connect_limit: Option<Duration>,
}

/// A received answer.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
}

/// Runs the check; `Ok` carries the status line of a healthy answer.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let proxy = spec.service == Service::HttpProxy;
    let scheme = if spec.service == Service::Https {
        "https"
    } else {
        "http"
    };
    let uri = spec.request_body();
    let mut url = if uri.contains(&format!("{scheme}://")) || proxy {
        Url::parse(uri).ok_or_else(|| {
            CheckError::Answer(format!("request {uri:?} is not a usable {scheme} URL"))
        })?
    } else {
        Url::for_address(scheme == "https", spec.target, &format!("/{uri}"))
    };
    // The first request carries the configured Host header; redirects do not.
    let mut host = Some(
        spec.virtual_host
            .clone()
            .unwrap_or_else(|| host_of(spec.target)),
    );
    let mut method = spec.http_method;
    for _ in 0..=MAX_REDIRECTS {
        let hop = if proxy {
            Hop {
                connect_to: spec.target,
                tls: false,
                target: url.to_string(),
                host: url.authority(),
                sni: None,
                connect_limit: spec.connect_timeout,
            }
        } else {
            Hop {
                connect_to: url.resolve().await?,
                tls: url.https,
                target: url.path.clone(),
                host: host.take().unwrap_or_else(|| url.authority()),
                sni: spec.virtual_host.clone().or_else(|| Some(url.host.clone())),
                connect_limit: spec.connect_timeout,
            }
        };
        let answer = request(&hop, method).await?;
        if answer.status.is_redirection() && answer.status != StatusCode::NOT_MODIFIED {
            if let Some(next) = answer.location.as_deref().and_then(|l| url.join(l)) {
                if answer.status == StatusCode::SEE_OTHER {
                    method = HttpMethod::Get;
                }
                url = next;
                continue;
            }
        }
        return judge(spec, &answer);
    }
    Err(CheckError::Answer(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}

/// The verdict on the final answer.
fn judge(spec: &CheckSpec, answer: &Answer) -> CheckResult {
    let status = status_line(answer.status);
    if !answer.status.is_success() {
        return Err(CheckError::Answer(status));
    }
    if spec.receive.matches_or_unset(&answer.body) {
        Ok(status)
    } else {
        Err(CheckError::Answer(format!(
            "{status}, but the body does not match {:?}: {}",
            spec.receive.pattern(),
            excerpt(&String::from_utf8_lossy(&answer.body))
        )))
    }
}

fn status_line(status: StatusCode) -> String {
    format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_string()
}

/// The Host header for a bare address: the IP, in brackets for IPv6.
fn host_of(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

/// Sends one request and reads its answer (at most [`MAX_BODY`] bytes of body).
async fn request(hop: &Hop, method: HttpMethod) -> CheckResult<Answer> {
    let stream = Stream::connect(
        hop.connect_to,
        hop.tls,
        hop.sni.as_deref(),
        hop.connect_limit,
    )
    .await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(http_error)?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let request = Request::builder()
        .method(method.name())
        .uri(hop.target.as_str())
        .header(HOST, hop.host.as_str())
        .header(USER_AGENT, AGENT)
        .header(CONNECTION, "close")
        .body(Empty::new())
        .map_err(|e| CheckError::Answer(format!("cannot build the request: {e}")))?;
    let response = sender.send_request(request).await.map_err(http_error)?;
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = response.into_body();
    let mut collected = Vec::new();
    while collected.len() < MAX_BODY {
        match body.frame().await {
            None => break,
            Some(frame) => {
                if let Ok(data) = frame.map_err(http_error)?.into_data() {
                    let room = MAX_BODY - collected.len();
                    collected
                        .extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                }
            }
        }
    }
    Ok(Answer {
        status,
        location,
        body: collected,
    })
}

fn http_error(e: hyper::Error) -> CheckError {
    if e.is_incomplete_message() {
        CheckError::Closed("before a complete HTTP answer")
    } else {
        CheckError::Malformed(format!("HTTP: {e}"))
    }
}

//! The http, https and http_proxy checks against real servers in a lab:
//! the six standard cases for http and https (a self-signed certificate
//! made at test time: certificates are not verified, as in ldirectord),
//! error statuses, virtualhost, HEAD, redirects, chunked bodies and a proxy.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use common::{assert_down, assert_up, six_cases, spec, Bed, Behaviour, TIMEOUT};
use ha_checks::check::{HttpMethod, Receive, Service};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const PAGE: &str = "<html><body><h1>Test HA Page</h1></body></html>";

/// The request line and headers of one request.
#[derive(Debug, Clone, Default, PartialEq)]
struct Seen {
    request_line: String,
    host: String,
}

async fn read_head(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Seen> {
    let mut seen = Seen::default();
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    seen.request_line = line.trim_end().to_string();
    loop {
        line.clear();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Some(seen);
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("host") {
                seen.host = value.trim().to_string();
            }
        }
    }
}

fn response(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Serves one request on any stream: `answer` maps what was seen to the reply.
async fn serve_http<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    behaviour: Behaviour,
    answer: impl Fn(&Seen) -> String,
) {
    let mut stream = BufReader::new(stream);
    let Some(seen) = read_head(&mut stream).await else {
        return;
    };
    if !behaviour.before_answer().await {
        return;
    }
    let reply = if behaviour == Behaviour::Wrong {
        response("200 OK", "<html>Sorry, down for maintenance</html>")
    } else {
        answer(&seen)
    };
    let _ = stream.get_mut().write_all(reply.as_bytes()).await;
    let _ = stream.get_mut().shutdown().await;
}

async fn web(stream: TcpStream, behaviour: Behaviour) {
    serve_http(stream, behaviour, |seen| {
        if seen.request_line == "GET /lvs_testpage.html HTTP/1.1" {
            response("200 OK", PAGE)
        } else {
            response("404 Not Found", "no")
        }
    })
    .await
}

fn test_page(spec: &mut ha_checks::check::CheckSpec) {
    spec.request = "/lvs_testpage.html".into();
    spec.receive = Receive::new("Test HA Page").unwrap();
}

#[test]
fn http_check() {
    six_cases("http", Service::Http, web, test_page, "does not match");
}

/// A TLS acceptor with a self-signed certificate made now.
fn acceptor() -> tokio_rustls::TlsAcceptor {
    let made = rcgen::generate_simple_self_signed(vec!["www.example.test".to_string()]).unwrap();
    let cert = CertificateDer::from(made.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[test]
fn https_check_accepts_a_self_signed_certificate() {
    let acceptor = acceptor();
    six_cases(
        "https",
        Service::Https,
        move |stream, behaviour| {
            let acceptor = acceptor.clone();
            async move {
                // A silent server does not even finish the handshake.
                if behaviour == Behaviour::Silent {
                    behaviour.before_answer().await;
                    return;
                }
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                serve_http(tls, behaviour, |seen| {
                    if seen.request_line == "GET /lvs_testpage.html HTTP/1.1" {
                        response("200 OK", PAGE)
                    } else {
                        response("404 Not Found", "no")
                    }
                })
                .await
            }
        },
        test_page,
        "does not match",
    );
}

/// One server on port 80 of the lab's server answering with `answer`,
/// and the outcome of checking `adjust`ed http spec against it; also what
/// the server saw.
fn check_against(
    tag: &str,
    answer: fn(&Seen) -> String,
    adjust: impl FnOnce(&mut ha_checks::check::CheckSpec) + Send,
) -> (ha_checks::check::CheckOutcome, Vec<Seen>) {
    let bed = Bed::new(tag);
    let listener = bed.listen_tcp(80);
    let addr = bed.server_addr(80);
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = Arc::clone(&seen);
    let outcome = bed.on_director(|| async move {
        common::serve_tcp(listener, Behaviour::Healthy, move |stream, behaviour| {
            let log = Arc::clone(&log);
            async move {
                serve_http(stream, behaviour, |s| {
                    log.lock().unwrap().push(s.clone());
                    answer(s)
                })
                .await
            }
        });
        let mut s = spec(Service::Http, addr, TIMEOUT);
        adjust(&mut s);
        ha_checks::check::run(&s).await
    });
    let seen = seen.lock().unwrap().clone();
    (outcome, seen)
}

#[test]
fn error_statuses_are_down_and_name_the_status() {
    let (outcome, _) = check_against(
        "http503",
        |_| response("503 Service Unavailable", PAGE),
        |_| {},
    );
    assert_down(&outcome, "503 Service Unavailable");
    let (outcome, _) = check_against("http404", |_| response("404 Not Found", PAGE), |_| {});
    assert_down(&outcome, "404");
}

#[test]
fn without_receive_any_success_is_up_and_the_host_is_the_real_address() {
    let (outcome, seen) = check_against("httpplain", |_| response("204 No Content", ""), |_| {});
    assert_up(&outcome);
    assert_eq!(outcome.detail, "204 No Content");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "GET / HTTP/1.1");
    assert_eq!(seen[0].host, "10.61.0.1");
}

#[test]
fn virtualhost_and_head_are_sent() {
    let (outcome, seen) = check_against(
        "httphead",
        |seen| {
            if seen.host == "www.example.test" && seen.request_line.starts_with("HEAD ") {
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n".to_string()
            } else {
                response("400 Bad Request", "")
            }
        },
        |s| {
            s.virtual_host = Some("www.example.test".into());
            s.http_method = HttpMethod::Head;
        },
    );
    assert_up(&outcome);
    assert_eq!(seen[0].request_line, "HEAD / HTTP/1.1");
}

#[test]
fn redirects_are_followed_without_the_virtual_host() {
    let (outcome, seen) = check_against(
        "httpredir",
        |seen| {
            if seen.request_line.starts_with("GET /old ") {
                "HTTP/1.1 302 Found\r\nLocation: /new/page\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            } else if seen.request_line.starts_with("GET /new/page ") {
                response("200 OK", PAGE)
            } else {
                response("404 Not Found", "")
            }
        },
        |s| {
            s.request = "/old".into();
            s.receive = Receive::new("Test HA").unwrap();
            s.virtual_host = Some("www.example.test".into());
        },
    );
    assert_up(&outcome);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].host, "www.example.test");
    assert_eq!(seen[1].host, "10.61.0.1");
}

#[test]
fn endless_redirects_are_down() {
    let (outcome, seen) = check_against(
        "httploop",
        |_| {
            "HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        },
        |_| {},
    );
    assert_down(&outcome, "redirects");
    assert_eq!(seen.len(), 8);
}

#[test]
fn chunked_bodies_are_matched() {
    let (outcome, _) = check_against(
        "httpchunk",
        |_| {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nTest \r\n7\r\nHA Page\r\n0\r\n\r\n"
                .to_string()
        },
        |s| s.receive = Receive::new("Test HA Page").unwrap(),
    );
    assert_up(&outcome);
}

#[test]
fn garbage_is_down_not_a_panic() {
    let (outcome, _) = check_against(
        "httpjunk",
        |_| "SSH-2.0-OpenSSH\r\n\r\n".to_string(),
        |_| {},
    );
    assert!(!outcome.healthy, "{outcome:?}");
}

#[test]
fn a_proxy_is_asked_for_the_absolute_url() {
    let (outcome, seen) = check_against(
        "httpproxy",
        |seen| {
            if seen.request_line == "GET http://www.example.test/probe HTTP/1.1" {
                response("200 OK", PAGE)
            } else {
                response("400 Bad Request", "")
            }
        },
        |s| {
            s.service = Service::HttpProxy;
            s.request = "/http://www.example.test/probe".into();
            s.receive = Receive::new("Test HA Page").unwrap();
        },
    );
    assert_up(&outcome);
    assert_eq!(seen[0].host, "www.example.test");
}

//! The sip negotiate check (ldirectord's `check_sip`): an `OPTIONS
//! sip:LOGIN` request over the virtual service's protocol (TCP or UDP),
//! whose answer's status line must begin `SIP/2.0 200 OK`.

use std::net::SocketAddr;

use ha_net::rng::Rng;
use tokio::io::AsyncWriteExt;

use super::datagram::Exchange;
use super::io::{excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::{CheckSpec, Protocol};

/// The OPTIONS request ldirectord sends, from `local`.
pub(crate) fn request(login: &str, local: SocketAddr, transport: &str) -> String {
    let call_id = format!("{:016x}", Rng::new().next_u64());
    format!(
        "OPTIONS sip:{login} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch=z9hG4bKhjhs8ass877\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:{login}>\r\n\
         From: <sip:{login}>;tag=1928301774\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 63104 OPTIONS\r\n\
         Contact: <sip:{login}>\r\n\
         Accept: application/sdp\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn judge(status: &str) -> CheckResult {
    if status.starts_with("SIP/2.0 200 OK") {
        Ok(excerpt(status))
    } else {
        Err(CheckError::Answer(format!("status {:?}", excerpt(status))))
    }
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    match spec.protocol {
        Protocol::Tcp => {
            let Stream::Plain(tcp) =
                Stream::connect(spec.target, false, None, spec.connect_timeout).await?
            else {
                return Err(CheckError::Closed("before the request"));
            };
            let local = tcp
                .local_addr()
                .map_err(CheckError::io("reading the local address"))?;
            let mut lines = Lines::new(Stream::Plain(tcp));
            lines.send(&request(&spec.login, local, "TCP")).await?;
            let status = lines.expect_line("before its status line").await?;
            let _ = lines.reader().get_mut().shutdown().await;
            judge(&status)
        }
        Protocol::Udp => {
            let mut exchange = Exchange::connect(spec.target).await?;
            let local = exchange.local_addr()?;
            exchange
                .send(
                    request(&spec.login, local, "UDP").as_bytes(),
                    "sending the request",
                )
                .await?;
            let answer = String::from_utf8_lossy(exchange.receive().await?).into_owned();
            judge(answer.lines().next().unwrap_or_default())
        }
    }
}

//! The simpletcp negotiate check (ldirectord's `check_simpletcp`): the
//! `request` (with `\n` turned into newlines) is sent, the sending side is
//! shut down, and the answer is read line by line until one line matches
//! `receive` (up) or the server closes the connection (down). Over UDP the
//! request is one datagram and each answering datagram's lines are tried.

use tokio::io::AsyncWriteExt;

use super::datagram::Exchange;
use super::io::{excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::{CheckSpec, Protocol};

/// The request as ldirectord sends it.
fn request(spec: &CheckSpec) -> String {
    spec.request_body().replace("\\n", "\n")
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    match spec.protocol {
        Protocol::Tcp => over_tcp(spec).await,
        Protocol::Udp => over_udp(spec).await,
    }
}

async fn over_tcp(spec: &CheckSpec) -> CheckResult {
    let mut stream = Stream::connect(spec.target, false, None, spec.connect_timeout).await?;
    stream
        .write_all(request(spec).as_bytes())
        .await
        .map_err(CheckError::io("sending the request"))?;
    let _ = stream.shutdown().await;
    let mut lines = Lines::new(stream);
    let mut last = String::new();
    while let Some(line) = lines.read_line().await? {
        if spec.receive.matches_or_unset(line.as_bytes()) {
            return Ok(format!("got {:?}", excerpt(&line)));
        }
        last = line;
    }
    Err(no_match(spec, &last))
}

async fn over_udp(spec: &CheckSpec) -> CheckResult {
    let mut exchange = Exchange::connect(spec.target).await?;
    exchange
        .send(request(spec).as_bytes(), "sending the request")
        .await?;
    loop {
        let datagram = String::from_utf8_lossy(exchange.receive().await?).into_owned();
        if let Some(line) = datagram
            .lines()
            .find(|line| spec.receive.matches_or_unset(line.as_bytes()))
        {
            return Ok(format!("got {:?}", excerpt(line)));
        }
    }
}

fn no_match(spec: &CheckSpec, last: &str) -> CheckError {
    CheckError::Answer(format!(
        "no line matched {:?} before the server closed (last: {:?})",
        spec.receive.pattern(),
        excerpt(last)
    ))
}

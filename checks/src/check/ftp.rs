//! The ftp negotiate check (ldirectord's `check_ftp`, through Net::FTP):
//! log in with `login`/`passwd` (the configuration makes them `anonymous`
//! and `ldirectord@HOSTNAME` by default), `CWD /`, `TYPE I`, passive mode,
//! `RETR request`; the file must match `receive`.
//!
//! Passive data connections go to the real server's own address with the
//! port the server names (PASV over IPv4, EPSV over IPv6). ldirectord
//! ignores failures along the way and judges only the retrieved text; here
//! a failed step is reported as the cause, and with no `receive` the file
//! must at least have been retrieved.

use std::net::SocketAddr;

use tokio::io::AsyncReadExt;

use super::io::{connect_tcp, excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// The most file bytes read and matched.
const MAX_FILE: u64 = 1 << 20;

/// A complete FTP reply: code and first line.
async fn reply(lines: &mut Lines, waiting_for: &'static str) -> CheckResult<(u16, String)> {
    let first = lines.expect_line(waiting_for).await?;
    let code = first
        .get(..3)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| CheckError::Malformed(format!("not a reply: {:?}", excerpt(&first))))?;
    if first.as_bytes().get(3) == Some(&b'-') {
        let end = format!("{code} ");
        loop {
            let line = lines.expect_line(waiting_for).await?;
            if line.starts_with(&end) || line == end.trim_end() {
                break;
            }
        }
    }
    Ok((code, first))
}

async fn command(
    lines: &mut Lines,
    text: &str,
    waiting_for: &'static str,
) -> CheckResult<(u16, String)> {
    lines.send(&format!("{text}\r\n")).await?;
    reply(lines, waiting_for).await
}

fn refused(step: &str, line: &str) -> CheckError {
    CheckError::Answer(format!("{step} refused: {:?}", excerpt(line)))
}

/// The data port of a PASV (`227 ... (h1,h2,h3,h4,p1,p2)`) or EPSV
/// (`229 ... (|||port|)`) reply.
fn passive_port(line: &str) -> Option<u16> {
    if let Some(start) = line.find("(|") {
        let inner = line.get(start + 1..)?;
        let port = inner.trim_start_matches('|').split('|').next()?;
        return port.parse().ok();
    }
    let digits = line.get(4..)?;
    let start = digits.find(|c: char| c.is_ascii_digit())?;
    let numbers: Vec<u16> = digits
        .get(start..)?
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [_, _, _, _, high, low] if *high < 256 && *low < 256 => Some(high * 256 + low),
        _ => None,
    }
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let mut lines =
        Lines::new(Stream::connect(spec.target, false, None, spec.connect_timeout).await?);
    let (code, greeting) = reply(&mut lines, "before its greeting").await?;
    if code / 100 != 2 {
        return Err(refused("connection", &greeting));
    }
    let (mut code, mut line) =
        command(&mut lines, &format!("USER {}", spec.login), "after USER").await?;
    if code / 100 == 3 {
        (code, line) = command(&mut lines, &format!("PASS {}", spec.passwd), "after PASS").await?;
    }
    if code / 100 != 2 {
        return Err(refused("login", &line));
    }
    let (code, line) = command(&mut lines, "CWD /", "after CWD").await?;
    if code / 100 != 2 {
        return Err(refused("CWD /", &line));
    }
    let (code, line) = command(&mut lines, "TYPE I", "after TYPE").await?;
    if code / 100 != 2 {
        return Err(refused("TYPE I", &line));
    }
    let passive = if spec.target.is_ipv6() {
        "EPSV"
    } else {
        "PASV"
    };
    let (code, line) = command(&mut lines, passive, "after PASV").await?;
    let port = (code / 100 == 2)
        .then(|| passive_port(&line))
        .flatten()
        .ok_or_else(|| refused(passive, &line))?;
    let mut data = connect_tcp(
        SocketAddr::new(spec.target.ip(), port),
        spec.connect_timeout,
    )
    .await?;
    let (code, line) = command(&mut lines, &format!("RETR {}", spec.request), "after RETR").await?;
    if code / 100 != 1 && code / 100 != 2 {
        return Err(refused("RETR", &line));
    }
    let mut file = Vec::new();
    (&mut data)
        .take(MAX_FILE)
        .read_to_end(&mut file)
        .await
        .map_err(CheckError::io("reading the file"))?;
    drop(data);
    let _ = command(&mut lines, "QUIT", "after QUIT").await;
    match spec.receive.find_in(&file) {
        Some(false) => Err(CheckError::Answer(format!(
            "{} does not match {:?}: {}",
            spec.request,
            spec.receive.pattern(),
            excerpt(&String::from_utf8_lossy(&file))
        ))),
        _ => Ok(format!("retrieved {} ({} bytes)", spec.request, file.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_ports_are_parsed() {
        assert_eq!(
            passive_port("227 Entering Passive Mode (10,0,0,1,195,80)."),
            Some(50000)
        );
        assert_eq!(passive_port("227 =10,0,0,1,0,21"), Some(21));
        assert_eq!(
            passive_port("229 Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(
            passive_port("227 Entering Passive Mode (10,0,0,1,999,1)"),
            None
        );
        assert_eq!(passive_port("227 nothing"), None);
    }
}

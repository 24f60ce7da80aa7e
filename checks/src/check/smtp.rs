//! The smtp and submission negotiate checks (ldirectord's `check_smtp`,
//! through Net::SMTP): the greeting must be 2xx and `EHLO` accepted (or,
//! when EHLO is refused with 5xx, `HELO`); then `QUIT`.

use super::io::{excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// The domain Net::SMTP greets with.
const HELLO_DOMAIN: &str = "localhost.localdomain";

/// A complete (possibly multi-line) SMTP reply: its code and last text.
pub(crate) async fn read_reply(
    lines: &mut Lines,
    waiting_for: &'static str,
) -> CheckResult<(u16, String)> {
    loop {
        let line = lines.expect_line(waiting_for).await?;
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| CheckError::Malformed(format!("not a reply: {:?}", excerpt(&line))))?;
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, line));
        }
    }
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let mut lines =
        Lines::new(Stream::connect(spec.target, false, None, spec.connect_timeout).await?);
    let (code, greeting) = read_reply(&mut lines, "before its greeting").await?;
    if code / 100 != 2 {
        return Err(CheckError::Answer(format!(
            "greeting {:?}",
            excerpt(&greeting)
        )));
    }
    lines.send(&format!("EHLO {HELLO_DOMAIN}\r\n")).await?;
    let (mut code, mut reply) = read_reply(&mut lines, "after EHLO").await?;
    if code / 100 == 5 {
        lines.send(&format!("HELO {HELLO_DOMAIN}\r\n")).await?;
        (code, reply) = read_reply(&mut lines, "after HELO").await?;
    }
    if code / 100 != 2 {
        return Err(CheckError::Answer(format!(
            "hello refused: {:?}",
            excerpt(&reply)
        )));
    }
    let _ = lines.send("QUIT\r\n").await;
    Ok(format!("greeting {:?}", excerpt(&greeting)))
}

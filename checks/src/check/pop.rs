//! The pop and pops negotiate checks (ldirectord's `check_pop`, through
//! Mail::POP3Client): the greeting must be `+OK`; when `login` is set the
//! login must succeed — APOP first if the greeting offers a timestamp,
//! else (or when APOP is refused) USER and PASS; then `QUIT`.
//!
//! ldirectord's own check reports a server up even when the connection
//! fails if no login is configured (Mail::POP3Client's constructor never
//! fails); here a missing or negative greeting is always a failure.

use md5::{Digest, Md5};

use super::io::{excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// The APOP timestamp (`<...@...>`) of a greeting, if it has one.
fn apop_timestamp(greeting: &str) -> Option<&str> {
    let start = greeting.find('<')?;
    let end = start + greeting.get(start..)?.find('>')?;
    let stamp = greeting.get(start..=end)?;
    stamp.contains('@').then_some(stamp)
}

async fn ok(lines: &mut Lines, waiting_for: &'static str) -> CheckResult<Result<String, String>> {
    let line = lines.expect_line(waiting_for).await?;
    Ok(if line.starts_with("+OK") || line.starts_with("+ok") {
        Ok(line)
    } else {
        Err(line)
    })
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec, tls: bool) -> CheckResult {
    let mut lines =
        Lines::new(Stream::connect(spec.target, tls, None, spec.connect_timeout).await?);
    let greeting = ok(&mut lines, "before its greeting")
        .await?
        .map_err(|line| CheckError::Answer(format!("greeting {:?}", excerpt(&line))))?;
    if !spec.login.is_empty() {
        let mut logged_in = false;
        if let Some(stamp) = apop_timestamp(&greeting) {
            let digest = Md5::digest(format!("{stamp}{}", spec.passwd).as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            lines
                .send(&format!("APOP {} {hex}\r\n", spec.login))
                .await?;
            logged_in = ok(&mut lines, "after APOP").await?.is_ok();
        }
        if !logged_in {
            lines.send(&format!("USER {}\r\n", spec.login)).await?;
            let user = lines.expect_line("after USER").await?;
            if !user.starts_with('+') {
                return Err(CheckError::Answer(format!(
                    "USER refused: {:?}",
                    excerpt(&user)
                )));
            }
            lines.send(&format!("PASS {}\r\n", spec.passwd)).await?;
            ok(&mut lines, "after PASS").await?.map_err(|line| {
                CheckError::Answer(format!("PASS refused: {:?}", excerpt(&line)))
            })?;
        }
    }
    let _ = lines.send("QUIT\r\n").await;
    Ok(format!("greeting {:?}", excerpt(&greeting)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_apop_timestamp() {
        assert_eq!(
            apop_timestamp("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>"),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        assert_eq!(apop_timestamp("+OK ready <no-at-sign>"), None);
        assert_eq!(apop_timestamp("+OK ready <unclosed@x"), None);
    }
}

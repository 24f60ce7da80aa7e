//! The imap and imaps negotiate checks (ldirectord's `check_imap` and
//! `check_imaps`, through Net::IMAP::Simple): the greeting must be
//! `* OK` or `* PREAUTH`; when `login` is set, `LOGIN user "passwd"` must
//! be answered OK; then `LOGOUT`.

use super::io::{excerpt, Lines, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// The password quoted as Net::IMAP::Simple quotes it.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn is_greeting(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('*') else {
        return false;
    };
    let word = rest.trim_start();
    let starts = |keyword: &str| {
        word.get(..keyword.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    };
    rest.len() > word.len() && (starts("OK") || starts("PREAUTH"))
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec, tls: bool) -> CheckResult {
    let mut lines =
        Lines::new(Stream::connect(spec.target, tls, None, spec.connect_timeout).await?);
    let greeting = lines.expect_line("before its greeting").await?;
    if !is_greeting(&greeting) {
        return Err(CheckError::Answer(format!(
            "greeting {:?}",
            excerpt(&greeting)
        )));
    }
    if !spec.login.is_empty() {
        lines
            .send(&format!(
                "1 LOGIN {} {}\r\n",
                spec.login,
                quoted(&spec.passwd)
            ))
            .await?;
        loop {
            let line = lines.expect_line("after LOGIN").await?;
            if let Some(status) = line.strip_prefix("1 ") {
                if !status
                    .get(..2)
                    .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
                {
                    return Err(CheckError::Answer(format!(
                        "LOGIN refused: {:?}",
                        excerpt(&line)
                    )));
                }
                break;
            }
        }
    }
    let _ = lines.send("2 LOGOUT\r\n").await;
    Ok(format!("greeting {:?}", excerpt(&greeting)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_quoting() {
        assert!(is_greeting("* OK IMAP4rev1 ready"));
        assert!(is_greeting("* PREAUTH hello"));
        assert!(is_greeting("*  ok fine"));
        assert!(!is_greeting("* BYE go away"));
        assert!(!is_greeting("*OK"));
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}

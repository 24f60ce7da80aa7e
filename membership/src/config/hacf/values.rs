//! The values of ha.cf's simple directives, each checked as heartbeat does.
//!
//! Every function takes the directive's name (for the message) and its
//! values as the lexer split them, and returns the typed value or the
//! complaint to put on the line.

use std::path::PathBuf;
use std::time::Duration;

use super::{AutoFailback, MAX_RTPRIO, MIN_RTPRIO};
use crate::config::time::{parse_time, TimeError, EXPECTED_TIME};

/// heartbeat keeps node names in a 100-byte buffer, terminator included.
const MAX_NODE_NAME: usize = 99;

/// The syslog facilities heartbeat accepts by name (glibc's list, without the
/// internal `mark`), plus `none`, which turns syslog off.
const FACILITIES: &[&str] = &[
    "none", "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "security",
    "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7",
];

/// The one value of a single-valued directive.
pub(super) fn one<'a>(name: &str, values: &[&'a str], expected: &str) -> Result<&'a str, String> {
    match values {
        [value] => Ok(value),
        [] => Err(format!("{name}: expected {expected}, found nothing")),
        _ => Err(format!(
            "{name}: expected one value, found {}: '{}'",
            values.len(),
            values.join(" ")
        )),
    }
}

/// A time directive (`keepalive`, `deadtime`, ...).
pub(super) fn time(name: &str, values: &[&str]) -> Result<Duration, String> {
    let text = one(name, values, EXPECTED_TIME)?;
    match parse_time(text) {
        Ok(time) => Ok(time),
        Err(TimeError::Syntax) => Err(format!("{name}: expected {EXPECTED_TIME}, found '{text}'")),
        Err(TimeError::TooLong) => Err(format!(
            "{name}: '{text}' is too long; the longest time accepted is 4294967295ms"
        )),
    }
}

/// A time that must not be zero (`keepalive`, `deadtime`, `warntime`).
pub(super) fn positive_time(name: &str, values: &[&str]) -> Result<Duration, String> {
    let time = time(name, values)?;
    if time.is_zero() {
        return Err(format!("{name} must be greater than 0"));
    }
    Ok(time)
}

/// A UDP port number, 1 to 65535.
pub(super) fn port(name: &str, text: &str) -> Result<u16, String> {
    let expected = || format!("{name}: expected a port number from 1 to 65535, found '{text}'");
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(expected()),
    }
}

/// heartbeat's boolean words, any letter case.
pub(super) fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// An on/off directive (`realtime`): any of heartbeat's boolean words.
pub(super) fn on_off(name: &str, values: &[&str]) -> Result<bool, String> {
    const EXPECTED: &str = "on or off (or yes/no, true/false, 1/0)";
    let text = one(name, values, EXPECTED)?;
    boolean(text).ok_or_else(|| format!("{name}: expected {EXPECTED}, found '{text}'"))
}

/// `rtprio`: a SCHED_FIFO priority, [`MIN_RTPRIO`] to [`MAX_RTPRIO`].
///
/// heartbeat reads the number with `atoi` and refuses it outside
/// `sched_get_priority_min(SCHED_FIFO)..=sched_get_priority_max(SCHED_FIFO)`
/// (1 to 99 on Linux); a word that is not a number is refused here rather
/// than read as 0.
pub(super) fn rtprio(name: &str, values: &[&str]) -> Result<u8, String> {
    let expected = format!("a SCHED_FIFO priority from {MIN_RTPRIO} to {MAX_RTPRIO}");
    let text = one(name, values, &expected)?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{name}: expected {expected}, found '{text}'"));
    }
    match text.parse::<u8>() {
        Ok(priority) if (MIN_RTPRIO..=MAX_RTPRIO).contains(&priority) => Ok(priority),
        _ => Err(out_of_range(name, text)),
    }
}

/// The complaint about a number outside the SCHED_FIFO priorities.
fn out_of_range(name: &str, text: &str) -> String {
    format!("{name}: {text} is outside the SCHED_FIFO priorities, {MIN_RTPRIO} to {MAX_RTPRIO}")
}

/// `auto_failback`: any boolean word, or `legacy`.
pub(super) fn auto_failback(name: &str, values: &[&str]) -> Result<AutoFailback, String> {
    const EXPECTED: &str = "on, off or legacy";
    let text = one(name, values, EXPECTED)?;
    match boolean(text) {
        Some(true) => Ok(AutoFailback::On),
        Some(false) => Ok(AutoFailback::Off),
        None if text.eq_ignore_ascii_case("legacy") => Ok(AutoFailback::Legacy),
        None => Err(format!("{name}: expected {EXPECTED}, found '{text}'")),
    }
}

/// A file name (`logfile`, `debugfile`).
pub(super) fn path(name: &str, values: &[&str]) -> Result<PathBuf, String> {
    one(name, values, "a file name").map(PathBuf::from)
}

/// `metrics_listen`: an address and port, `127.0.0.1:9694` or `[::1]:9694`.
pub(super) fn socket_addr(name: &str, values: &[&str]) -> Result<std::net::SocketAddr, String> {
    const EXPECTED: &str = "an address and port such as 127.0.0.1:9694 or [::1]:9694";
    let text = one(name, values, EXPECTED)?;
    text.parse()
        .map_err(|_| format!("{name}: expected {EXPECTED}, found '{text}'"))
}

/// `logfacility`: a syslog facility name or `none`, case-sensitively.
pub(super) fn facility(name: &str, values: &[&str]) -> Result<String, String> {
    const EXPECTED: &str = "a syslog facility (such as daemon or local0) or none";
    let text = one(name, values, EXPECTED)?;
    if FACILITIES.contains(&text) {
        return Ok(text.to_owned());
    }
    Err(format!(
        "{name}: expected {EXPECTED}, found '{text}'; the facilities are {}",
        FACILITIES[1..].join(", ")
    ))
}

/// `crm`/`pacemaker`: only a false boolean is accepted. Turning it on asks
/// heartbeat to hand the groups to Pacemaker's CRM, which ha-node does not
/// run: the message says the two ways forward (the groups run natively from
/// haresources, or the cluster moves to Pacemaker, which `ha-node export
/// pacemaker` writes the configuration for).
pub(super) fn crm(name: &str, values: &[&str]) -> Result<(), String> {
    let text = one(name, values, "off")?;
    match boolean(text) {
        Some(false) => Ok(()),
        _ if is_crm_mode(text) => Err(format!(
            "{name} {text}: ha-node does not run a cluster resource manager; either run the \
             groups natively (remove this line or write '{name} off', and list the groups in \
             haresources) or move to Pacemaker (`ha-node export pacemaker` writes its \
             configuration from ha.cf and haresources)"
        )),
        _ => Err(format!(
            "{name}: expected off (ha-node runs the haresources groups itself), found '{text}'"
        )),
    }
}

/// Whether heartbeat would read this value as turning Pacemaker on.
fn is_crm_mode(text: &str) -> bool {
    let modes = ["minimal", "manual", "respawn", "ccm-only", "valgrind"];
    boolean(text) == Some(true) || modes.iter().any(|m| m.eq_ignore_ascii_case(text))
}

/// A node name, lowered as heartbeat lowers it (`uname -n` is compared
/// without regard to ASCII letter case).
pub(super) fn node_name(name: &str, text: &str) -> Result<String, String> {
    if text.len() > MAX_NODE_NAME {
        return Err(format!(
            "{name}: '{text}' is longer than {MAX_NODE_NAME} bytes, the longest node name heartbeat keeps"
        ));
    }
    Ok(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_is_required() {
        assert_eq!(one("logfile", &["a"], "x"), Ok("a"));
        assert_eq!(
            one("logfile", &[], "a file name"),
            Err("logfile: expected a file name, found nothing".to_owned())
        );
        assert_eq!(
            one("logfile", &["a", "b"], "a file name"),
            Err("logfile: expected one value, found 2: 'a b'".to_owned())
        );
    }

    #[test]
    fn times_say_what_was_expected() {
        assert_eq!(
            time("keepalive", &["100ms"]),
            Ok(Duration::from_millis(100))
        );
        assert_eq!(
            time("keepalive", &["abc"]),
            Err("keepalive: expected a time such as 2, 1.5 or 500ms, found 'abc'".to_owned())
        );
        assert_eq!(
            positive_time("keepalive", &["0"]),
            Err("keepalive must be greater than 0".to_owned())
        );
        assert_eq!(
            positive_time("keepalive", &["400us"]),
            Err("keepalive must be greater than 0".to_owned())
        );
        assert!(time("initdead", &["99999999"]).is_err());
    }

    #[test]
    fn ports() {
        assert_eq!(port("udpport", "694"), Ok(694));
        assert_eq!(port("udpport", "65535"), Ok(65535));
        for bad in ["0", "65536", "-1", "+5", "69a", ""] {
            assert_eq!(
                port("udpport", bad),
                Err(format!(
                    "udpport: expected a port number from 1 to 65535, found '{bad}'"
                ))
            );
        }
    }

    #[test]
    fn auto_failback_takes_booleans_and_legacy() {
        for (text, want) in [
            ("on", AutoFailback::On),
            ("YES", AutoFailback::On),
            ("1", AutoFailback::On),
            ("y", AutoFailback::On),
            ("off", AutoFailback::Off),
            ("False", AutoFailback::Off),
            ("n", AutoFailback::Off),
            ("legacy", AutoFailback::Legacy),
            ("LEGACY", AutoFailback::Legacy),
        ] {
            assert_eq!(auto_failback("auto_failback", &[text]), Ok(want), "{text}");
        }
        assert_eq!(
            auto_failback("auto_failback", &["maybe"]),
            Err("auto_failback: expected on, off or legacy, found 'maybe'".to_owned())
        );
    }

    #[test]
    fn facilities_are_syslog_names() {
        assert_eq!(
            facility("logfacility", &["local0"]),
            Ok("local0".to_owned())
        );
        assert_eq!(facility("logfacility", &["none"]), Ok("none".to_owned()));
        let error = facility("logfacility", &["LOCAL0"]).expect_err("case-sensitive");
        assert!(
            error.starts_with(
                "logfacility: expected a syslog facility (such as daemon or local0) or none, found 'LOCAL0'"
            ),
            "{error}"
        );
        assert!(facility("logfacility", &["mark"]).is_err());
    }

    #[test]
    fn crm_may_only_be_off() {
        for off in ["off", "no", "false", "0", "N"] {
            assert_eq!(crm("crm", &[off]), Ok(()), "{off}");
        }
        assert_eq!(
            crm("crm", &["respawn"]),
            Err(
                "crm respawn: ha-node does not run a cluster resource manager; either run the \
                 groups natively (remove this line or write 'crm off', and list the groups in \
                 haresources) or move to Pacemaker (`ha-node export pacemaker` writes its \
                 configuration from ha.cf and haresources)"
                    .to_owned()
            )
        );
        assert!(crm("pacemaker", &["yes"]).is_err());
        assert_eq!(
            crm("crm", &["bogus"]),
            Err(
                "crm: expected off (ha-node runs the haresources groups itself), found 'bogus'"
                    .to_owned()
            )
        );
    }

    #[test]
    fn node_names_are_lowered_and_bounded() {
        assert_eq!(node_name("node", "Node-A"), Ok("node-a".to_owned()));
        assert!(node_name("node", &"n".repeat(99)).is_ok());
        assert!(node_name("node", &"n".repeat(100)).is_err());
    }
}

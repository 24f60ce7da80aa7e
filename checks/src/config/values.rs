//! Parsers of single values; each error says what was expected.

use super::lexer::unquote;
use super::model::{LogTarget, Netmask, SchedulerFlags};
use super::names::SYSLOG_FACILITIES;
use ha_ipvs::model::{is_known_scheduler, NEWER_SCHEDULERS, SCHEDULERS};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

/// Longest persistence timeout ipvsadm accepts (31 days, `MAX_TIMEOUT`).
pub(super) const MAX_PERSISTENT: u32 = 86400 * 31;

/// A whole number in `1..=max`.
fn positive(value: &str, max: u64) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().filter(|n| (1..=max).contains(n))
}

/// A whole number of seconds greater than 0 (`checktimeout=3`).
pub(super) fn seconds(value: &str) -> Result<Duration, String> {
    positive(value, u64::from(u32::MAX))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            format!("expected a whole number of seconds greater than 0, found '{value}'")
        })
}

/// A whole number greater than 0 (`failurecount=3`).
pub(super) fn count(value: &str) -> Result<u32, String> {
    positive(value, u64::from(u32::MAX))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("expected a whole number greater than 0, found '{value}'"))
}

/// `yes` or `no`.
pub(super) fn yes_no(value: &str) -> Result<bool, String> {
    match value {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("expected 'yes' or 'no', found '{value}'")),
    }
}

/// A string, quoted or not; `allow_empty` says whether `""` is a value.
pub(super) fn string(value: &str, allow_empty: bool) -> Result<String, String> {
    let text = unquote(value)?;
    if text.is_empty() && !allow_empty {
        return Err("expected a value, found nothing".into());
    }
    Ok(text.to_string())
}

/// A port from 1 to 65535 (`checkport=`).
pub(super) fn check_port(value: &str) -> Result<u16, String> {
    positive(value, 65535)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("expected a port number from 1 to 65535, found '{value}'"))
}

/// Persistence timeout in seconds (`persistent=`), as ipvsadm's `-p`.
pub(super) fn persistent(value: &str) -> Result<u32, String> {
    positive(value, u64::from(MAX_PERSISTENT))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!("expected a persistence timeout from 1 to {MAX_PERSISTENT} seconds, found '{value}'")
        })
}

/// A scheduler the kernel ships (ha-ipvs' list: ipvsadm's thirteen and
/// the newer `twos`). ldirectord takes any word and fails when ipvsadm
/// does; here the name is checked at load.
pub(super) fn scheduler(value: &str) -> Result<String, String> {
    if is_known_scheduler(value) {
        Ok(value.to_string())
    } else {
        let mut names: Vec<&str> = SCHEDULERS.iter().chain(NEWER_SCHEDULERS).copied().collect();
        let last = names.pop().unwrap_or_default();
        Err(format!(
            "expected scheduler {} or {last}, found '{value}'",
            names.join(", ")
        ))
    }
}

/// Persistence netmask: a dotted quad for IPv4, a prefix length for IPv6.
pub(super) fn netmask(value: &str, ipv6: bool) -> Result<Netmask, String> {
    if ipv6 {
        positive(value, 128)
            .and_then(|n| u8::try_from(n).ok())
            .map(Netmask::V6Prefix)
            .ok_or_else(|| format!("expected a prefix length from 1 to 128, found '{value}'"))
    } else {
        value.parse::<Ipv4Addr>().map(Netmask::V4).map_err(|_| {
            format!("expected a dotted-quad netmask such as 255.255.255.0, found '{value}'")
        })
    }
}

/// ipvsadm's `-b` flag names, comma separated; the scheduler they need (if
/// any) is checked when the block is complete.
pub(super) fn scheduler_flags(
    value: &str,
) -> Result<(SchedulerFlags, Option<&'static str>), String> {
    let mut flags = SchedulerFlags::NONE;
    let mut needs = None;
    let mut any = false;
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        any = true;
        let (bit, scheduler) = match name {
            "flag-1" => (1, None),
            "flag-2" => (2, None),
            "flag-3" => (3, None),
            "sh-fallback" => (1, Some("sh")),
            "sh-port" => (2, Some("sh")),
            "mh-fallback" => (1, Some("mh")),
            "mh-port" => (2, Some("mh")),
            _ => {
                return Err(format!(
                    "unknown scheduler flag '{name}': expected flag-1, flag-2, flag-3, \
                     sh-fallback, sh-port, mh-fallback or mh-port"
                ))
            }
        };
        match bit {
            1 => flags.flag1 = true,
            2 => flags.flag2 = true,
            _ => flags.flag3 = true,
        }
        if let Some(scheduler) = scheduler {
            if needs.is_some_and(|n| n != scheduler) {
                return Err(format!(
                    "scheduler flag '{name}' cannot be mixed with flags of another scheduler"
                ));
            }
            needs = Some(scheduler);
        }
    }
    if !any {
        return Err("expected scheduler flags such as sh-port, found nothing".into());
    }
    Ok((flags, needs))
}

/// `logfile=`: an absolute path, or a syslog facility.
pub(super) fn logfile(value: &str) -> Result<LogTarget, String> {
    let text = unquote(value)?;
    if text.starts_with('/') {
        Ok(LogTarget::File(PathBuf::from(text)))
    } else if SYSLOG_FACILITIES.contains(&text) {
        Ok(LogTarget::Syslog(text.to_string()))
    } else {
        Err(format!(
            "expected an absolute file name or a syslog facility (daemon, local0...), found '{text}'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_whole_and_positive() {
        assert_eq!(seconds("3"), Ok(Duration::from_secs(3)));
        for bad in ["0", "-1", "3s", "", "1.5", "99999999999"] {
            assert_eq!(
                seconds(bad),
                Err(format!(
                    "expected a whole number of seconds greater than 0, found '{bad}'"
                ))
            );
        }
        assert_eq!(count("2"), Ok(2));
        assert!(count("0").is_err());
        assert_eq!(check_port("65535"), Ok(65535));
        assert!(check_port("65536").is_err());
        assert_eq!(persistent("600"), Ok(600));
        assert!(persistent("2678401").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(yes_no("yes"), Ok(true));
        assert_eq!(yes_no("no"), Ok(false));
        assert_eq!(
            yes_no("Yes"),
            Err("expected 'yes' or 'no', found 'Yes'".into())
        );
        for name in [
            "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
            "twos",
        ] {
            assert_eq!(scheduler(name), Ok(name.into()));
        }
        assert_eq!(
            scheduler("nosuchsched"),
            Err(
                "expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh \
                 or twos, found 'nosuchsched'"
                    .into()
            )
        );
        assert!(scheduler("WLC").is_err());
        assert!(scheduler("").is_err());
        assert_eq!(string("\"x y\"", false), Ok("x y".into()));
        assert!(string("\"\"", false).is_err());
        assert_eq!(string("\"\"", true), Ok(String::new()));
    }

    #[test]
    fn netmasks_by_family() {
        assert_eq!(
            netmask("255.255.255.0", false),
            Ok(Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)))
        );
        assert!(netmask("24", false).is_err());
        assert_eq!(netmask("64", true), Ok(Netmask::V6Prefix(64)));
        assert!(netmask("129", true).is_err());
    }

    #[test]
    fn scheduler_flag_names() {
        let (flags, needs) = scheduler_flags("sh-fallback,sh-port").expect("flags");
        assert!(flags.flag1 && flags.flag2 && !flags.flag3);
        assert_eq!(needs, Some("sh"));
        assert_eq!(
            scheduler_flags("flag-3").map(|(f, n)| (f.flag3, n)),
            Ok((true, None))
        );
        assert!(scheduler_flags("sh-port,mh-port").is_err());
        assert!(scheduler_flags("bogus").is_err());
        assert!(scheduler_flags(",").is_err());
    }

    #[test]
    fn logfiles() {
        assert_eq!(
            logfile("\"/var/log/ldirectord.log\""),
            Ok(LogTarget::File("/var/log/ldirectord.log".into()))
        );
        assert_eq!(
            logfile("\"local0\""),
            Ok(LogTarget::Syslog("local0".into()))
        );
        assert!(logfile("relative.log").is_err());
    }
}

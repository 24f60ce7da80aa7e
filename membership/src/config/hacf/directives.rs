//! Every directive name heartbeat 3.0.6 accepts in ha.cf, and which we implement.
//!
//! heartbeat knows three kinds of directive: option directives from its
//! built-in table (`keepalive`, `node`, ...), whole-line directives
//! (`stonith`, `respawn`, ...) and media, which are the names of its
//! communication plugins (`bcast`, `ucast`, `serial`, ...). A name outside
//! all three makes heartbeat refuse the file; so do we. Names heartbeat knows
//! but we do not implement yet are refused too, with a message that says so,
//! rather than being ignored; those that would change nothing here are
//! accepted with a note ([`super::notes`]).

use super::notes::Noted;
use crate::config::lexer::closest;

/// A directive this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Directive {
    /// `keepalive TIME`
    Keepalive,
    /// `warntime TIME`
    Warntime,
    /// `deadtime TIME`
    Deadtime,
    /// `initdead TIME`
    Initdead,
    /// `udpport PORT`
    Udpport,
    /// `bcast IFACE...` (also heartbeat's old alias `udp`)
    Bcast,
    /// `ucast IFACE PEER`
    Ucast,
    /// `mcast IFACE GROUP PORT TTL LOOP`
    Mcast,
    /// `ucast6 IFACE PEER`
    Ucast6,
    /// `mcast6 IFACE GROUP PORT HOPS LOOP`
    Mcast6,
    /// `serial DEVICE...`
    Serial,
    /// `baud RATE`
    Baud,
    /// `node NAME...`
    Node,
    /// `auto_failback on|off|legacy`
    AutoFailback,
    /// `logfile PATH`
    Logfile,
    /// `debugfile PATH`
    Debugfile,
    /// `logfacility FACILITY|none`
    Logfacility,
    /// `crm off` / `pacemaker off` (enabling it is not supported yet)
    Crm,
    /// `realtime on|off`
    Realtime,
    /// `rtprio PRIORITY`
    Rtprio,
    /// `ping ADDR...`
    Ping,
    /// `ping6 ADDR...`
    Ping6,
    /// `ping_group NAME ADDR...`
    PingGroup,
    /// `deadping TIME`
    Deadping,
    /// `watchdog DEVICE`
    Watchdog,
    /// `respawn USER PROGRAM ARGS...`
    Respawn,
    /// `apiauth CLIENT [uid=LIST] [gid=LIST]`
    Apiauth,
    /// `stonith TYPE CONFIGFILE`
    Stonith,
    /// `stonith_host HOSTFROM|* TYPE PARAMS...`
    StonithHost,
    /// `stonith_command PROGRAM [ARGS...]` (ours)
    StonithCommand,
    /// `ping_weight NAME WEIGHT` (ours)
    PingWeight,
    /// `compression zlib|bz2`
    Compression,
    /// `compression_threshold KIB`
    CompressionThreshold,
    /// `traditional_compression on|off`
    TraditionalCompression,
}

/// What a directive name means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// Implemented.
    Implemented(Directive),
    /// Accepted, changing nothing here: read and answered with a note.
    Noted(Noted),
    /// Accepted by heartbeat, not implemented here yet.
    NotSupportedYet,
}

/// The directives accepted with a note, by name.
const NOTED: &[(&str, Noted)] = &[
    ("use_logd", Noted::UseLogd),
    ("conn_logd_time", Noted::ConnLogdTime),
    ("coredumps", Noted::Coredumps),
    ("uuidfrom", Noted::Uuidfrom),
];

/// The implemented directives by name. `udp` is heartbeat's old name for
/// `bcast`, still accepted by it; `crm` is the old name of `pacemaker`.
const IMPLEMENTED: &[(&str, Directive)] = &[
    ("keepalive", Directive::Keepalive),
    ("warntime", Directive::Warntime),
    ("deadtime", Directive::Deadtime),
    ("initdead", Directive::Initdead),
    ("udpport", Directive::Udpport),
    ("bcast", Directive::Bcast),
    ("udp", Directive::Bcast),
    ("ucast", Directive::Ucast),
    ("mcast", Directive::Mcast),
    ("ucast6", Directive::Ucast6),
    ("mcast6", Directive::Mcast6),
    ("serial", Directive::Serial),
    ("baud", Directive::Baud),
    ("node", Directive::Node),
    ("auto_failback", Directive::AutoFailback),
    ("logfile", Directive::Logfile),
    ("debugfile", Directive::Debugfile),
    ("logfacility", Directive::Logfacility),
    ("crm", Directive::Crm),
    ("pacemaker", Directive::Crm),
    ("realtime", Directive::Realtime),
    ("rtprio", Directive::Rtprio),
    ("ping", Directive::Ping),
    ("ping6", Directive::Ping6),
    ("ping_group", Directive::PingGroup),
    ("deadping", Directive::Deadping),
    ("watchdog", Directive::Watchdog),
    ("respawn", Directive::Respawn),
    ("apiauth", Directive::Apiauth),
    ("stonith", Directive::Stonith),
    ("stonith_host", Directive::StonithHost),
    ("stonith_command", Directive::StonithCommand),
    ("ping_weight", Directive::PingWeight),
    ("compression", Directive::Compression),
    ("compression_threshold", Directive::CompressionThreshold),
    ("traditional_compression", Directive::TraditionalCompression),
];

/// Directives heartbeat 3.0.6 accepts that are not implemented yet.
///
/// Option directives, whole-line directives, then the media plugins of the
/// heartbeat source tree. `normalpoll` is left out: heartbeat only knows it
/// when built with ALLOWPOLLCHOICE, which the 3.0.6 packages are not.
pub(super) const NOT_SUPPORTED_YET: &[&str] = &[
    // option directives
    "cluster",
    "hopfudge",
    "nice_failback",
    "hbgenmethod",
    "debug",
    "msgfmt",
    "use_apphbd",
    "log_badpack",
    "syslogmsgfmt",
    "coreroot",
    "crm_daemon_dir",
    "crmd_spawns_pengine",
    "autojoin",
    "env",
    "max_rexmit_delay",
    "record_config_changes",
    "record_pengine_inputs",
    "enable_config_writes",
    "memreserve",
    "quorum_server",
    // whole-line directives
    "failfast",
    // media plugins
    "hbaping",
    "rds",
];

/// Not-yet-supported directives that carry heartbeats between nodes: a file
/// with one of these has media even though we refuse them.
pub(super) const OTHER_MEDIA: &[&str] = &["rds"];

/// Looks a directive name up, case-sensitively as heartbeat does.
pub(super) fn lookup(name: &str) -> Option<Known> {
    if let Some((_, directive)) = IMPLEMENTED.iter().find(|(n, _)| *n == name) {
        return Some(Known::Implemented(*directive));
    }
    if let Some((_, noted)) = NOTED.iter().find(|(n, _)| *n == name) {
        return Some(Known::Noted(*noted));
    }
    NOT_SUPPORTED_YET
        .contains(&name)
        .then_some(Known::NotSupportedYet)
}

/// Every name [`lookup`] knows.
pub(super) fn known_names() -> impl Iterator<Item = &'static str> {
    IMPLEMENTED
        .iter()
        .map(|(n, _)| *n)
        .chain(NOTED.iter().map(|(n, _)| *n))
        .chain(NOT_SUPPORTED_YET.iter().copied())
}

/// The message for a name that is no directive at all, with a hint if one fits.
pub(super) fn unknown_directive_message(name: &str) -> String {
    let mut message = format!("unknown directive '{name}'");
    if let Some((directive, value)) = name.split_once('=') {
        if lookup(directive).is_some() {
            message.push_str(&format!(
                "; write '{directive} {value}' (ha.cf has no '=' form)"
            ));
            return message;
        }
    }
    let names: Vec<&str> = known_names().collect();
    if let Some(near) = closest(name, &names) {
        message.push_str(&format!("; did you mean '{near}'?"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(
            lookup("keepalive"),
            Some(Known::Implemented(Directive::Keepalive))
        );
        assert_eq!(lookup("Keepalive"), None);
        assert_eq!(lookup("udp"), Some(Known::Implemented(Directive::Bcast)));
        assert_eq!(
            lookup("pacemaker"),
            Some(Known::Implemented(Directive::Crm))
        );
        assert_eq!(
            lookup("stonith_host"),
            Some(Known::Implemented(Directive::StonithHost))
        );
        assert_eq!(lookup("failfast"), Some(Known::NotSupportedYet));
        assert_eq!(lookup("hbaping"), Some(Known::NotSupportedYet));
        assert_eq!(lookup("normalpoll"), None);
        assert_eq!(lookup("use_logd"), Some(Known::Noted(Noted::UseLogd)));
    }

    #[test]
    fn no_name_is_both_implemented_and_unsupported() {
        for (name, _) in IMPLEMENTED {
            assert!(!NOT_SUPPORTED_YET.contains(name), "{name}");
            assert!(NOTED.iter().all(|(n, _)| n != name), "{name}");
        }
        for (name, _) in NOTED {
            assert!(!NOT_SUPPORTED_YET.contains(name), "{name}");
        }
    }

    #[test]
    fn unknown_names_get_a_hint_when_one_fits() {
        assert_eq!(
            unknown_directive_message("Keepalive"),
            "unknown directive 'Keepalive'; did you mean 'keepalive'?"
        );
        assert_eq!(
            unknown_directive_message("deadtime=5"),
            "unknown directive 'deadtime=5'; write 'deadtime 5' (ha.cf has no '=' form)"
        );
        assert_eq!(
            unknown_directive_message("respwan"),
            "unknown directive 'respwan'; did you mean 'respawn'?"
        );
        assert_eq!(
            unknown_directive_message("frobnicate"),
            "unknown directive 'frobnicate'"
        );
    }
}

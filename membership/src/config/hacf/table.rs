//! The ha.cf directive table of the README: every directive heartbeat
//! 3.0.6 accepts, with what ha-node does with it and a short note.
//!
//! The names are heartbeat's (its option and whole-line directive tables
//! and its communication plugins, `normalpoll` aside: 3.0.6 is built
//! without it), plus ours. What ha-node does with each comes from
//! [`lookup`], the parser's own table, so the README cannot claim a
//! directive works that the parser refuses; the tests check that every
//! name the parser knows is here and that the README holds exactly
//! [`markdown`]'s rendering (run them with `HA_WRITE_README=1` to rewrite
//! it).

use super::directives::{lookup, Known};

/// heartbeat 3.0.6's directives with a note each (empty: nothing to say).
pub(super) const HEARTBEAT_DIRECTIVES: &[(&str, &str)] = &[
    ("keepalive", "seconds, or milliseconds with `ms`"),
    (
        "deadtime",
        "more than twice keepalive; under 4 × keepalive is warned about",
    ),
    ("warntime", "more than keepalive"),
    ("initdead", "at least deadtime"),
    ("udpport", "the port of `bcast` and `ucast`"),
    ("bcast", "several interfaces per line"),
    ("udp", "heartbeat's old name for `bcast`"),
    ("ucast", "IPv4 peer address; host names are refused"),
    ("mcast", "IPv4 group"),
    (
        "ucast6",
        "a link-local peer is reached through the line's interface",
    ),
    (
        "mcast6",
        "hop limit 1 to 4, link to organisation scope, as heartbeat's plugin",
    ),
    ("serial", "heartbeat's serial protocol; full device paths"),
    ("baud", "before the `serial` lines; 9600 up to 460800"),
    ("node", ""),
    ("auto_failback", "`on`, `off`, `legacy`"),
    ("logfile", ""),
    ("debugfile", ""),
    ("logfacility", "a syslog facility, or `none`"),
    ("crm", "`off` only: Pacemaker is not supported"),
    ("pacemaker", "`off` only: Pacemaker is not supported"),
    (
        "realtime",
        "mlockall and SCHED_FIFO for the membership loop",
    ),
    ("rtprio", "1 to 99"),
    ("ping", "IPv4 or IPv6 addresses, no host names"),
    ("ping6", "IPv6 addresses"),
    ("ping_group", "up while any of its addresses answers"),
    ("deadping", ""),
    ("watchdog", ""),
    (
        "respawn",
        "a program ending in `/ipfail` is the built-in ipfail",
    ),
    (
        "apiauth",
        "checked; no API client is served but the built-in ipfail",
    ),
    ("stonith", "run through cluster-glue's `stonith`"),
    ("stonith_host", "run through cluster-glue's `stonith`"),
    ("use_logd", "no logging daemon: ha-node writes its own log"),
    ("conn_logd_time", "no logging daemon to reconnect to"),
    ("coredumps", "core dumps follow the system's settings"),
    (
        "uuidfrom",
        "nodes are known by name, as `uuidfrom nodename`",
    ),
    (
        "cluster",
        "the cluster name on every message: not implemented",
    ),
    ("hopfudge", "message relaying limit: not implemented"),
    (
        "nice_failback",
        "obsolete in heartbeat too: use `auto_failback`",
    ),
    (
        "hbgenmethod",
        "generation numbers by file or time: not implemented",
    ),
    ("debug", "debug levels: not implemented"),
    ("msgfmt", "the netstring wire format: not implemented"),
    ("use_apphbd", "apphbd: not implemented"),
    ("log_badpack", "not implemented"),
    ("syslogmsgfmt", "not implemented"),
    ("coreroot", "core dump directory: not implemented"),
    ("crm_daemon_dir", "Pacemaker is not supported"),
    ("crmd_spawns_pengine", "Pacemaker is not supported"),
    ("record_config_changes", "Pacemaker is not supported"),
    ("record_pengine_inputs", "Pacemaker is not supported"),
    ("enable_config_writes", "Pacemaker is not supported"),
    ("autojoin", "nodes without a `node` line: not implemented"),
    ("compression", "message compression: not implemented"),
    (
        "compression_threshold",
        "message compression: not implemented",
    ),
    (
        "traditional_compression",
        "message compression: not implemented",
    ),
    ("env", "environment of respawned clients: not implemented"),
    (
        "max_rexmit_delay",
        "retransmission requests: not implemented",
    ),
    ("memreserve", "not implemented; `realtime` locks all memory"),
    ("quorum_server", "quorumd: not implemented"),
    (
        "failfast",
        "a client whose death reboots the node: not implemented",
    ),
    (
        "hbaping",
        "Fibre Channel medium, not in Debian's build: not implemented",
    ),
    ("rds", "RDS medium, not in Debian's build: not implemented"),
];

/// Our directives, which heartbeat does not have.
pub(super) const OURS: &[(&str, &str)] = &[
    (
        "stonith_command",
        "ours: fencing by any program (heartbeat has no such directive)",
    ),
    (
        "ping_weight",
        "ours: a ping node's weight in ipfail's comparison; turns the rule on without ipfail",
    ),
];

/// What ha-node does with `name`, in the table's words.
fn support(name: &str) -> &'static str {
    match lookup(name) {
        Some(Known::Implemented(_)) => "supported",
        Some(Known::Noted(_)) => "accepted with a note",
        Some(Known::NotSupportedYet) => "refused",
        None => "unknown",
    }
}

/// The table in Markdown: supported directives first, then those
/// accepted with a note, then the refused ones, each group in the
/// order above.
pub fn markdown() -> String {
    let mut rows: Vec<(&str, &str, &str)> = HEARTBEAT_DIRECTIVES
        .iter()
        .chain(OURS)
        .map(|(name, note)| (*name, support(name), *note))
        .collect();
    let rank = |support: &str| {
        ["supported", "accepted with a note", "refused"]
            .iter()
            .position(|s| *s == support)
            .unwrap_or(3)
    };
    rows.sort_by_key(|(_, support, _)| rank(support));
    let mut text = String::from("| Directive | ha-node | Note |\n|---|---|---|\n");
    for (name, support, note) in rows {
        text.push_str(&format!("| `{name}` | {support} | {note} |\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::directives::known_names;
    use super::*;

    /// The README's table sits between these lines.
    const BEGIN: &str =
        "<!-- ha.cf directives: generated by membership/src/config/hacf/table.rs -->\n";
    const END: &str = "<!-- end of ha.cf directives -->\n";

    #[test]
    fn every_directive_heartbeat_accepts_is_recognised_and_every_known_one_listed() {
        for (name, _) in HEARTBEAT_DIRECTIVES.iter().chain(OURS) {
            assert!(lookup(name).is_some(), "'{name}' reads as unknown");
        }
        let listed: Vec<&str> = HEARTBEAT_DIRECTIVES
            .iter()
            .chain(OURS)
            .map(|(n, _)| *n)
            .collect();
        for name in known_names() {
            assert!(listed.contains(&name), "'{name}' is missing from the table");
        }
        let mut unique = listed.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "a name is listed twice");
        assert!(lookup("normalpoll").is_none());
    }

    #[test]
    fn the_table_says_what_the_parser_does() {
        let table = markdown();
        assert!(table.contains("| `keepalive` | supported | "));
        assert!(table.contains("| `use_logd` | accepted with a note | "));
        assert!(table.contains("| `failfast` | refused | "));
        assert!(!table.contains("unknown"));
        assert_eq!(
            table.lines().count(),
            2 + HEARTBEAT_DIRECTIVES.len() + OURS.len()
        );
    }

    #[test]
    fn the_readme_holds_this_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let readme = std::fs::read_to_string(&path).expect("read the README");
        let (before, rest) = readme
            .split_once(BEGIN)
            .expect("the README has the table's opening marker");
        let (current, after) = rest
            .split_once(END)
            .expect("the README has the table's closing marker");
        let table = markdown();
        if current != table && std::env::var_os("HA_WRITE_README").is_some() {
            std::fs::write(&path, format!("{before}{BEGIN}{table}{END}{after}"))
                .expect("rewrite the README");
            return;
        }
        assert_eq!(
            current, table,
            "the README's ha.cf table differs from the code's; run the membership tests \
             with HA_WRITE_README=1 to rewrite it"
        );
    }
}

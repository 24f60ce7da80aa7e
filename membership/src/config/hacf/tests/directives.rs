//! Directive names, line syntax, duplicates and the simple directives.

use super::super::directives::NOT_SUPPORTED_YET;
use super::*;

#[test]
fn every_recognised_directive_we_lack_is_refused_by_name() {
    for name in NOT_SUPPORTED_YET {
        assert_eq!(
            error(&format!("{name} something")),
            format!("/etc/ha.d/ha.cf:1: directive '{name}' is not supported yet")
        );
    }
}

#[test]
fn logging_daemon_core_dump_and_uuid_directives_are_accepted_with_a_note() {
    let with = |line: &str| warnings(&format!("{line}\n{MEDIA_AND_NODES}"));
    assert_eq!(
        with("use_logd yes"),
        [
            "/etc/ha.d/ha.cf:1: warning: use_logd: ha-node uses no logging daemon; it writes \
          its own log (logfile, debugfile, logfacility, and stderr)"
        ]
    );
    assert!(with("use_logd off").is_empty());
    assert_eq!(
        with("conn_logd_time 30"),
        [
            "/etc/ha.d/ha.cf:1: warning: conn_logd_time: ignored, ha-node uses no logging \
          daemon to reconnect to"
        ]
    );
    assert_eq!(
        with("coredumps true"),
        [
            "/etc/ha.d/ha.cf:1: warning: coredumps: ha-node's core dumps follow the system's \
          settings (ulimit -c, kernel.core_pattern), not /var/lib/heartbeat/cores"
        ]
    );
    assert!(with("coredumps off").is_empty());
    assert!(with("uuidfrom nodename").is_empty());
    assert_eq!(
        with("uuidfrom file"),
        [
            "/etc/ha.d/ha.cf:1: warning: uuidfrom file: ha-node knows every node by its name, \
          as with 'uuidfrom nodename'"
        ]
    );
    assert_eq!(
        error("use_logd maybe"),
        "/etc/ha.d/ha.cf:1: use_logd: expected on or off (or yes/no, true/false, 1/0), \
         found 'maybe'"
    );
    assert_eq!(
        error("conn_logd_time 0"),
        "/etc/ha.d/ha.cf:1: conn_logd_time must be greater than 0"
    );
    assert_eq!(
        error("uuidfrom mac"),
        "/etc/ha.d/ha.cf:1: uuidfrom: expected file or nodename, found 'mac'"
    );
}

#[test]
fn unknown_words_are_refused_with_a_hint() {
    assert_eq!(
        error("bogus 1"),
        "/etc/ha.d/ha.cf:1: unknown directive 'bogus'"
    );
    assert_eq!(
        error("Keepalive 2"),
        "/etc/ha.d/ha.cf:1: unknown directive 'Keepalive'; did you mean 'keepalive'?"
    );
    assert_eq!(
        error("keepalive=2"),
        "/etc/ha.d/ha.cf:1: unknown directive 'keepalive=2'; write 'keepalive 2' \
         (ha.cf has no '=' form)"
    );
    assert_eq!(
        error("normalpoll on"),
        "/etc/ha.d/ha.cf:1: unknown directive 'normalpoll'"
    );
}

#[test]
fn comments_whitespace_and_commas_as_heartbeat_reads_them() {
    let config = config(
        "# a comment\n\n   \t\n  keepalive\t 2   # trailing\r\nnode a,b , c#d\r\n\
         bcast eth0,eth1 # two\nlogfile /var/log/ha#log\n",
    );
    assert_eq!(config.keepalive, secs(2));
    assert_eq!(config.nodes, ["a", "b", "c"]);
    assert_eq!(config.media.len(), 2);
    assert_eq!(config.logfile, Some(PathBuf::from("/var/log/ha")));
}

#[test]
fn a_directive_given_twice_is_refused() {
    assert_eq!(
        error("keepalive 2\n\nkeepalive 2"),
        "/etc/ha.d/ha.cf:3: keepalive is already set at line 1"
    );
    assert_eq!(
        error("crm off\npacemaker off"),
        "/etc/ha.d/ha.cf:2: pacemaker is already set at line 1"
    );
    assert_eq!(
        error("logfile a b"),
        "/etc/ha.d/ha.cf:1: logfile: expected one value, found 2: 'a b'"
    );
}

#[test]
fn auto_failback_logging_and_crm() {
    let with = |line: &str| config(&format!("{line}\n{MEDIA_AND_NODES}"));
    assert_eq!(with("auto_failback yes").auto_failback, AutoFailback::On);
    assert_eq!(
        with("auto_failback legacy").auto_failback,
        AutoFailback::Legacy
    );
    assert_eq!(
        with("logfacility none").logfacility.as_deref(),
        Some("none")
    );
    assert_eq!(with("crm false"), config(MEDIA_AND_NODES));
    assert_eq!(
        error("crm respawn"),
        "/etc/ha.d/ha.cf:1: crm respawn: the cluster resource manager (Pacemaker) is not \
         supported yet; only 'crm off' is accepted"
    );
    assert_eq!(
        error("pacemaker on"),
        "/etc/ha.d/ha.cf:1: pacemaker on: the cluster resource manager (Pacemaker) is not \
         supported yet; only 'pacemaker off' is accepted"
    );
    assert_eq!(
        error("auto_failback sometimes"),
        "/etc/ha.d/ha.cf:1: auto_failback: expected on, off or legacy, found 'sometimes'"
    );
}

#[test]
fn every_complaint_is_reported_in_file_order() {
    assert_eq!(
        errors("keepalive 2\nbogus\ndeadtime 3\nnode a\nucast eth0 x\n"),
        [
            "/etc/ha.d/ha.cf:2: unknown directive 'bogus'",
            "/etc/ha.d/ha.cf:3: deadtime (3s) must be more than twice keepalive (2s)",
            "/etc/ha.d/ha.cf:5: ucast: expected the peer's IPv4 address, found 'x' \
             (host names are not supported yet)",
        ]
    );
}

#[test]
fn realtime_is_on_at_priority_50_unless_told() {
    let defaults = config(MEDIA_AND_NODES);
    assert!(defaults.realtime);
    assert_eq!(defaults.rtprio, 50);
    assert_eq!(DEFAULT_RTPRIO, 50);
    let with = |lines: &str| config(&format!("{lines}\n{MEDIA_AND_NODES}"));
    for (word, on) in [
        ("on", true),
        ("yes", true),
        ("true", true),
        ("1", true),
        ("Y", true),
        ("ON", true),
        ("off", false),
        ("no", false),
        ("false", false),
        ("0", false),
        ("n", false),
        ("Off", false),
    ] {
        assert_eq!(with(&format!("realtime {word}")).realtime, on, "{word}");
    }
    for (text, priority) in [("1", 1), ("20", 20), ("99", 99), ("+7", 7), ("050", 50)] {
        assert_eq!(with(&format!("rtprio {text}")).rtprio, priority, "{text}");
    }
    // rtprio is read (and checked) with realtime off too, as heartbeat does.
    let off = with("realtime off\nrtprio 10");
    assert_eq!((off.realtime, off.rtprio), (false, 10));
}

#[test]
fn bad_realtime_and_rtprio_values_are_refused_at_their_line() {
    assert_eq!(
        error("realtime maybe"),
        "/etc/ha.d/ha.cf:1: realtime: expected on or off (or yes/no, true/false, 1/0), \
         found 'maybe'"
    );
    assert_eq!(
        error("realtime"),
        "/etc/ha.d/ha.cf:1: realtime: expected on or off (or yes/no, true/false, 1/0), \
         found nothing"
    );
    assert_eq!(
        error("realtime on off"),
        "/etc/ha.d/ha.cf:1: realtime: expected one value, found 2: 'on off'"
    );
    for out in ["0", "100", "-1", "256", "99999999999999999999"] {
        assert_eq!(
            error(&format!("keepalive 1\nrtprio {out}")),
            format!(
                "/etc/ha.d/ha.cf:2: rtprio: {out} is outside the SCHED_FIFO priorities, 1 to 99"
            )
        );
    }
    for bad in ["high", "5x", "1.5", "+", "-", "0x10"] {
        assert_eq!(
            error(&format!("rtprio {bad}")),
            format!(
                "/etc/ha.d/ha.cf:1: rtprio: expected a SCHED_FIFO priority from 1 to 99, \
                 found '{bad}'"
            )
        );
    }
    assert_eq!(
        error("rtprio"),
        "/etc/ha.d/ha.cf:1: rtprio: expected a SCHED_FIFO priority from 1 to 99, found nothing"
    );
    assert_eq!(
        error("rtprio 20\nrealtime on\nrtprio 30"),
        "/etc/ha.d/ha.cf:3: rtprio is already set at line 1"
    );
}

#[test]
fn compression_takes_heartbeats_meaning() {
    use crate::wire::{CompressMethod, Compression};
    let base = "bcast eth0\nnode a\n";
    assert_eq!(config(base).compression, Compression::default());
    assert_eq!(
        config(&format!(
            "compression bz2\ncompression_threshold 3\ntraditional_compression on\n{base}"
        ))
        .compression,
        Compression {
            method: CompressMethod::Bz2,
            threshold: 3 * 1024,
            traditional: true,
        }
    );
    // Without traditional compression the threshold changes nothing, as in
    // heartbeat: it is read, kept, and noted.
    let text = format!("compression bz2\ncompression_threshold 2\n{base}");
    assert_eq!(
        config(&text).compression,
        Compression {
            method: CompressMethod::Bz2,
            threshold: 2048,
            traditional: false,
        }
    );
    assert_eq!(
        warnings(&text),
        [
            "/etc/ha.d/ha.cf:2: warning: compression_threshold takes effect only with \
          'traditional_compression on' (as in heartbeat): without it, only messages of \
          256 KiB or more are compressed"
        ]
    );
    assert!(warnings(&format!(
        "compression zlib\ntraditional_compression yes\n{base}"
    ))
    .is_empty());
    assert_eq!(
        error("compression lzo"),
        "/etc/ha.d/ha.cf:1: compression: expected a compression method: zlib or bz2, found 'lzo'"
    );
    assert_eq!(
        error("compression_threshold 0"),
        "/etc/ha.d/ha.cf:1: compression_threshold: 0 is out of range \
         (expected a size in KiB from 1 to 2097151)"
    );
    assert_eq!(
        error("traditional_compression maybe"),
        "/etc/ha.d/ha.cf:1: traditional_compression: expected on or off \
         (or yes/no, true/false, 1/0), found 'maybe'"
    );
    assert_eq!(
        error("compression zlib\ncompression bz2"),
        "/etc/ha.d/ha.cf:2: compression is already set at line 1"
    );
}

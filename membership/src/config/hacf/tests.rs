//! Tests of ha.cf parsing: one per rule, each message asserted with its line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ha_conf::{ConfigErrors, Source};
use ha_transport::spec::MediumSpec;

use super::*;

mod clients;
mod directives;
mod fencing;
mod media;
mod ping;
mod roundtrip;
mod seeds;

fn parse(text: &str) -> Result<HaConfig, ConfigErrors> {
    parse_ha_cf(&Source::new("/etc/ha.d/ha.cf", text))
}

fn config(text: &str) -> HaConfig {
    match parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
    }
}

/// The one complaint about a file that has media and nodes besides `lines`.
fn error(lines: &str) -> String {
    let all = errors(&format!("{lines}\nbcast eth9\nnode z\n"));
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap_or_default()
}

/// A respawn entry, for comparisons (which ignore where it was written).
fn respawn(user: &str, program: &str, args: &[&str]) -> Respawn {
    Respawn {
        user: user.into(),
        program: program.into(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        location: nowhere(),
    }
}

/// An apiauth entry, for comparisons (which ignore where it was written).
fn apiauth(client: &str, uids: &[&str], gids: &[&str]) -> ApiAuth {
    let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect();
    ApiAuth {
        client: client.into(),
        uids: names(uids),
        gids: names(gids),
        location: nowhere(),
    }
}

fn nowhere() -> ha_conf::Location {
    ha_conf::Location {
        path: std::sync::Arc::from(Path::new("ha.cf")),
        line: 0,
    }
}

const MEDIA_AND_NODES: &str = "bcast eth0\nnode alpha\n";

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

#[test]
fn a_minimal_file_gets_heartbeats_defaults() {
    let config = config(MEDIA_AND_NODES);
    assert_eq!(
        config,
        HaConfig {
            keepalive: secs(1),
            warntime: secs(15),
            deadtime: secs(30),
            initdead: secs(30),
            udpport: 694,
            baud: 19200,
            media: vec![MediumSpec::Broadcast {
                interface: "eth0".into(),
                port: 694
            }],
            nodes: vec!["alpha".into()],
            auto_failback: AutoFailback::Legacy,
            logfile: None,
            debugfile: None,
            logfacility: None,
            realtime: true,
            rtprio: 50,
            ping_nodes: Vec::new(),
            deadping: secs(30),
            ipfail: false,
            watchdog: None,
            respawns: vec![],
            apiauth: vec![],
            fencing: vec![],
            compression: Compression::default(),
        }
    );
}

#[test]
fn every_implemented_directive_is_read() {
    let config = config(
        "keepalive 2\nwarntime 10\ndeadtime 30\ninitdead 120\nudpport 695\n\
         bcast eth0 eth1\nucast eth2 10.0.0.2\nmcast eth3 239.0.0.1 694 1 0\n\
         node alpha beta\nnode gamma\nauto_failback off\nlogfile /var/log/ha-log\n\
         debugfile /var/log/ha-debug\nlogfacility local0\ncrm no\n\
         realtime off\nrtprio 20\n",
    );
    let bcast = |name: &str| MediumSpec::Broadcast {
        interface: name.into(),
        port: 695,
    };
    assert_eq!(
        config,
        HaConfig {
            keepalive: secs(2),
            warntime: secs(10),
            deadtime: secs(30),
            initdead: secs(120),
            udpport: 695,
            baud: 19200,
            media: vec![
                bcast("eth0"),
                bcast("eth1"),
                MediumSpec::Unicast {
                    interface: "eth2".into(),
                    peer: "10.0.0.2".parse().expect("address"),
                    port: 695
                },
                MediumSpec::Multicast {
                    interface: "eth3".into(),
                    group: "239.0.0.1".parse().expect("group"),
                    port: 694,
                    ttl: 1,
                    loopback: false
                },
            ],
            nodes: vec!["alpha".into(), "beta".into(), "gamma".into()],
            auto_failback: AutoFailback::Off,
            logfile: Some(PathBuf::from("/var/log/ha-log")),
            debugfile: Some(PathBuf::from("/var/log/ha-debug")),
            logfacility: Some("local0".into()),
            realtime: false,
            rtprio: 20,
            ping_nodes: Vec::new(),
            deadping: secs(30),
            ipfail: false,
            watchdog: None,
            respawns: vec![],
            apiauth: vec![],
            fencing: vec![],
            compression: Compression::default(),
        }
    );
}

#[test]
fn short_and_fractional_timers_are_valid() {
    let short = config(&format!(
        "keepalive 100ms\ndeadtime 500ms\n{MEDIA_AND_NODES}"
    ));
    assert_eq!(
        (
            short.keepalive,
            short.deadtime,
            short.warntime,
            short.initdead
        ),
        (ms(100), ms(500), ms(250), secs(12))
    );
    let fractional = config(&format!("keepalive 0.5\ndeadtime 1.5\n{MEDIA_AND_NODES}"));
    assert_eq!(
        (fractional.keepalive, fractional.deadtime),
        (ms(500), ms(1500))
    );
}

#[test]
fn bad_time_values_say_what_was_expected() {
    assert_eq!(
        error("keepalive abc"),
        "/etc/ha.d/ha.cf:1: keepalive: expected a time such as 2, 1.5 or 500ms, found 'abc'"
    );
    assert_eq!(
        error("\ndeadtime 5 s"),
        "/etc/ha.d/ha.cf:2: deadtime: expected one value, found 2: '5 s'"
    );
    assert_eq!(
        error("warntime"),
        "/etc/ha.d/ha.cf:1: warntime: expected a time such as 2, 1.5 or 500ms, found nothing"
    );
    assert_eq!(
        error("keepalive 0"),
        "/etc/ha.d/ha.cf:1: keepalive must be greater than 0"
    );
    assert_eq!(
        error("deadtime 0ms"),
        "/etc/ha.d/ha.cf:1: deadtime must be greater than 0"
    );
}

#[test]
fn deadtime_must_exceed_twice_keepalive() {
    assert_eq!(
        error("keepalive 2\ndeadtime 4"),
        "/etc/ha.d/ha.cf:2: deadtime (4s) must be more than twice keepalive (2s)"
    );
    assert_eq!(
        error("deadtime 1\nkeepalive 500ms"),
        "/etc/ha.d/ha.cf:1: deadtime (1s) must be more than twice keepalive (500ms)"
    );
    assert_eq!(
        error("keepalive 15"),
        "/etc/ha.d/ha.cf:1: keepalive (15s) must be less than half of deadtime (30s by default)"
    );
    assert!(parse(&format!("keepalive 2\ndeadtime 4001ms\n{MEDIA_AND_NODES}")).is_ok());
}

#[test]
fn warntime_must_exceed_keepalive_and_is_a_warning_from_deadtime_on() {
    assert_eq!(
        error("keepalive 2\nwarntime 2"),
        "/etc/ha.d/ha.cf:2: warntime (2s) must be greater than keepalive (2s)"
    );
    // heartbeat takes any positive warntime: so do we, with a warning.
    for (lines, warntime) in [("warntime 30\ndeadtime 30", 30), ("warntime 40", 40)] {
        let text = format!("{lines}\n{MEDIA_AND_NODES}");
        assert_eq!(config(&text).warntime, secs(warntime));
        assert_eq!(
            warnings(&text),
            [format!(
                "/etc/ha.d/ha.cf:1: warning: warntime ({warntime}s) is not less than deadtime \
                 (30s): a node is declared dead before its heartbeat is reported late, so no \
                 late heartbeat is reported"
            )]
        );
    }
    assert_eq!(
        config(&format!("warntime 29.999\n{MEDIA_AND_NODES}")).warntime,
        ms(29_999)
    );
}

#[test]
fn initdead_must_be_at_least_deadtime() {
    assert_eq!(
        error("deadtime 60\ninitdead 59"),
        "/etc/ha.d/ha.cf:2: initdead (59s) must be at least deadtime (60s)"
    );
    assert_eq!(
        error("initdead 0"),
        "/etc/ha.d/ha.cf:1: initdead (0s) must be at least deadtime (30s)"
    );
    assert_eq!(
        config(&format!("initdead 30\n{MEDIA_AND_NODES}")).initdead,
        secs(30)
    );
}

#[test]
fn a_refused_timer_is_not_also_compared() {
    assert_eq!(
        errors("keepalive abc\ndeadtime 1\nbcast eth0\nnode a\n"),
        ["/etc/ha.d/ha.cf:1: keepalive: expected a time such as 2, 1.5 or 500ms, found 'abc'"]
    );
}

#[test]
fn render_writes_every_value_explicitly() {
    let config = config("keepalive 1500ms\nmcast eth0 239.0.0.1 694 1 1\nnode a b\n");
    assert_eq!(
        config.render(),
        "# ha.cf written by heartbeat-rs\nudpport 694\nbaud 19200\nkeepalive 1500ms\nwarntime 15\n\
         deadtime 30\ninitdead 30\nauto_failback legacy\nrealtime on\nrtprio 50\ndeadping 30\n\
         compression zlib\ntraditional_compression off\nmcast eth0 239.0.0.1 694 1 1\n\
         node a\nnode b\n"
    );
}

/// The warnings about `text`, on a host with every interface.
fn warnings(text: &str) -> Vec<String> {
    match check_ha_cf(&Source::new("/etc/ha.d/ha.cf", text), &|_: &str| true) {
        Ok((_, warnings)) => warnings.iter().map(ToString::to_string).collect(),
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

#[test]
fn a_keepalive_the_loop_cannot_keep_is_refused() {
    assert_eq!(
        error("keepalive 4ms\ndeadtime 40ms"),
        "/etc/ha.d/ha.cf:1: keepalive (4ms) is below 5ms, the shortest interval ha-node keeps"
    );
    assert_eq!(
        config("keepalive 5ms\ndeadtime 20ms\nbcast eth0\nnode a").keepalive,
        ms(5)
    );
}

#[test]
fn a_thin_deadtime_margin_is_a_warning_at_the_deadtime() {
    assert_eq!(
        warnings("keepalive 10ms\ndeadtime 30ms\nbcast eth0\nnode a\n"),
        [
            "/etc/ha.d/ha.cf:2: warning: deadtime (30ms) leaves 2.0 keepalives (10ms) of margin \
          after the heartbeat that is due: a short burst of loss or delay is a false takeover; \
          3 or more (deadtime of at least 40ms) is safer"
        ]
    );
    // Without a deadtime line, at the keepalive's.
    assert_eq!(
        warnings("keepalive 12\nbcast eth0\nnode a\n"),
        [
            "/etc/ha.d/ha.cf:1: warning: deadtime (30s) leaves 1.5 keepalives (12s) of margin \
          after the heartbeat that is due: a short burst of loss or delay is a false takeover; \
          3 or more (deadtime of at least 48s) is safer"
        ]
    );
    for safe in [
        "keepalive 10ms\ndeadtime 40ms\n",
        "keepalive 100ms\ndeadtime 500ms\n",
        "",
    ] {
        assert_eq!(
            warnings(&format!("{safe}bcast eth0\nnode a\n")),
            Vec::<String>::new()
        );
    }
}

//! Our first users' ha.cf files: the supported parts parse, the rest is named.

use super::*;

const SEED_000: &str = include_str!("../../testdata/seed000_ha.cf");
const SEED_001: &str = include_str!("../../testdata/seed001_ha.cf");
const SEED_002: &str = include_str!("../../testdata/seed002_ha.cf");
const SEED_003: &str = include_str!("../../testdata/seed003_ha.cf");

#[test]
fn seed_000_parses_whole() {
    let config = config(SEED_000);
    assert_eq!(
        config,
        HaConfig {
            keepalive: secs(2),
            warntime: secs(10),
            deadtime: secs(30),
            initdead: secs(120),
            udpport: 694,
            baud: 19200,
            media: vec![MediumSpec::Unicast {
                interface: "eth0".into(),
                peer: "192.168.8.126".parse().expect("address"),
                port: 694
            }],
            nodes: vec!["usvr-124".into(), "usvr-126".into()],
            auto_failback: AutoFailback::On,
            logfile: Some(PathBuf::from("/var/log/ha-log")),
            debugfile: None,
            logfacility: None,
            realtime: true,
            rtprio: 50,
            ping_nodes: vec![PingNode {
                name: "192.168.3.1".into(),
                addresses: vec!["192.168.3.1".parse().expect("address")],
                group: false,
                weight: 1,
            }],
            deadping: secs(30),
            ipfail: true,
            watchdog: None,
            respawns: vec![respawn("hacluster", "/usr/lib64/heartbeat/ipfail", &[])],
            apiauth: vec![],
            fencing: vec![],
            compression: Compression::default(),
        }
    );
    assert_eq!(
        config.check_local_node("usvr-124", Path::new("ha.cf")),
        Ok(())
    );
}

#[test]
fn seed_001_parses_whole() {
    let config = config(SEED_001);
    assert_eq!(
        (
            config.keepalive,
            config.warntime,
            config.deadtime,
            config.initdead
        ),
        (secs(2), secs(10), secs(30), secs(120))
    );
    assert_eq!(
        config.media,
        [MediumSpec::Broadcast {
            interface: "eth0".into(),
            port: 694
        }]
    );
    assert_eq!(config.nodes, ["server10", "server11"]);
    assert_eq!(config.auto_failback, AutoFailback::Legacy);
}

#[test]
fn seed_002_parses_whole() {
    let config = config(SEED_002);
    assert_eq!(
        config,
        HaConfig {
            keepalive: secs(2),
            warntime: secs(3),
            deadtime: secs(5),
            initdead: secs(10),
            udpport: 694,
            baud: 19200,
            media: vec![
                MediumSpec::Broadcast {
                    interface: "eth0".into(),
                    port: 694
                },
                MediumSpec::Unicast {
                    interface: "eth0".into(),
                    peer: "172.16.60.207".parse().expect("address"),
                    port: 694
                },
            ],
            nodes: vec!["ha-master".into(), "ha-slave".into()],
            auto_failback: AutoFailback::On,
            logfile: Some(PathBuf::from("/var/log/ha-log")),
            debugfile: Some(PathBuf::from("/var/log/ha-debug")),
            logfacility: Some("local0".into()),
            realtime: true,
            rtprio: 50,
            ping_nodes: vec![PingNode {
                name: "group1".into(),
                addresses: vec![
                    "172.16.60.204".parse().expect("address"),
                    "172.16.60.205".parse().expect("address"),
                ],
                group: true,
                weight: 1,
            }],
            deadping: secs(5),
            ipfail: true,
            watchdog: None,
            respawns: vec![respawn("root", "/usr/lib64/heartbeat/ipfail", &[])],
            apiauth: vec![apiauth("ipfail", &["root"], &["root"])],
            fencing: vec![],
            compression: Compression::default(),
        }
    );
}

#[test]
fn seed_003_parses_whole_with_its_compression() {
    let config = config(SEED_003);
    assert_eq!(
        config.compression,
        Compression {
            method: crate::wire::CompressMethod::Bz2,
            threshold: 2048,
            traditional: false,
        }
    );
    assert_eq!(
        config.media,
        [
            MediumSpec::Broadcast {
                interface: "eth0".into(),
                port: 694
            },
            MediumSpec::Broadcast {
                interface: "eth1".into(),
                port: 694
            },
        ]
    );
    assert_eq!(config.nodes, ["admin1.tuchao.com", "admin2.tuchao.com"]);
    assert_eq!(config.auto_failback, AutoFailback::On);
    // heartbeat would not compress these small messages (no traditional
    // compression): the threshold line is noted as having no effect.
    let warnings = warnings(SEED_003);
    assert!(
        warnings.iter().any(
            |w| w.starts_with("/etc/ha.d/ha.cf:3: warning: compression_threshold takes effect")
        ),
        "{warnings:?}"
    );
}

#[test]
fn seeds_survive_a_render_round_trip() {
    for text in [
        SEED_000.to_owned(),
        SEED_001.to_owned(),
        SEED_002.to_owned(),
        SEED_003.to_owned(),
    ] {
        let config = config(&text);
        assert_eq!(parse(&config.render()), Ok(config));
    }
}

#[test]
fn a_seed_file_loads_from_disk() {
    let path = std::env::temp_dir().join(format!("ha.cf-test-{}", std::process::id()));
    std::fs::write(&path, SEED_001).expect("write");
    let loaded = load_ha_cf(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded, Ok(config(SEED_001)));
    let missing = load_ha_cf(Path::new("/nonexistent/ha.cf")).expect_err("missing");
    assert!(
        missing
            .to_string()
            .starts_with("/nonexistent/ha.cf: cannot read:"),
        "{missing}"
    );
}

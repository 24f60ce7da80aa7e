//! Our first users' ldirectord.cf files parse unchanged, to these values.

use super::*;

const SEED_001: &str = include_str!("../testdata/seed001_ldirectord.cf");
const SEED_002: &str = include_str!("../testdata/seed002_ldirectord.cf");
const SEED_003: &str = include_str!("../testdata/seed003_ldirectord.cf");

#[test]
fn seed_001() {
    let mut expected = tcp_service("172.25.60.200", 80);
    expected.scheduler = "rr".into();
    expected.reals = vec![real("172.25.60.12", 80, 1), real("172.25.60.13", 80, 1)];
    expected.fallback = Some(fallback("127.0.0.1", Some(80)));
    expected.check.check_port = Some(80);
    expected.check.request = Some("index.html".into());
    let parsed = config(SEED_001);
    assert_eq!(
        parsed,
        DirectorConfig {
            global: GlobalSettings::default(),
            virtual_services: vec![expected],
        }
    );
    let service = &parsed.virtual_services[0];
    assert_eq!(service.check.service, Service::Http);
    assert_eq!(service.check.check_type, CheckType::Negotiate);
    let at = |origin: &Origin| origin.location().map(|l| l.line);
    assert_eq!(at(&service.origin), Some(1));
    assert_eq!(at(&service.reals[1].origin), Some(3));
    assert_eq!(
        service.fallback.as_ref().and_then(|f| at(&f.origin)),
        Some(4)
    );
}

#[test]
fn seed_002() {
    let parsed = config(SEED_002);
    let mut expected = tcp_service("172.16.60.111", 80);
    expected.scheduler = "wlc".into();
    expected.persistent = Some(600);
    expected.reals = vec![real("172.16.60.204", 80, 1), real("172.16.60.205", 80, 1)];
    expected.fallback = Some(fallback("127.0.0.1", Some(80)));
    expected.check.check_port = Some(80);
    expected.check.request = Some("lvs_testpage.html".into());
    expected.check.receive = Some("Test HA Page".into());
    let global = GlobalSettings {
        defaults: Overridable {
            check_timeout: Some(secs(3)),
            check_interval: Some(secs(1)),
            quiescent: Some(false),
            ..Overridable::default()
        },
        autoreload: true,
        logfile: LogTarget::File("/var/log/ldirectord.log".into()),
        ..GlobalSettings::default()
    };
    assert_eq!(
        parsed,
        DirectorConfig {
            global,
            virtual_services: vec![expected],
        }
    );
    // What the document's `ipvsadm -Ln` shows ldirectord made of it:
    // TCP 172.16.60.111:80 wlc persistent 600, both servers Route weight 1.
    let service = &parsed.virtual_services[0];
    let ipvs = service.ipvs_service();
    assert_eq!(ipvs.scheduler, "wlc");
    assert_eq!(ipvs.persistence.as_ref().map(|p| p.timeout), Some(600));
    let destinations: Vec<_> = service
        .reals
        .iter()
        .map(|r| service.destination(r, r.weight))
        .collect();
    assert!(destinations
        .iter()
        .all(|d| d.forwarding == Forwarding::DirectRoute && d.weight == 1 && d.port == 80));
    let settings = parsed.settings(service);
    assert_eq!(settings.check_timeout, secs(3));
    assert_eq!(settings.negotiate_timeout, secs(3));
    assert_eq!(settings.check_interval, secs(1));
    assert!(!settings.quiescent);
}

#[test]
fn seed_003() {
    let parsed = config(SEED_003);
    let mut expected = tcp_service("192.168.18.100", 80);
    expected.reals = vec![real("192.168.18.191", 80, 1), real("192.168.18.192", 80, 3)];
    expected.fallback = Some(fallback("127.0.0.1", Some(80)));
    expected.check.check_port = Some(80);
    expected.check.request = Some(".test.html".into());
    expected.check.receive = Some("OK".into());
    expected.check.virtual_host = Some("www.tuchao.com".into());
    let global = GlobalSettings {
        defaults: Overridable {
            check_timeout: Some(secs(3)),
            check_interval: Some(secs(1)),
            quiescent: Some(true),
            ..Overridable::default()
        },
        autoreload: true,
        ..GlobalSettings::default()
    };
    assert_eq!(
        parsed,
        DirectorConfig {
            global,
            virtual_services: vec![expected],
        }
    );
    assert!(parsed.settings(&parsed.virtual_services[0]).quiescent);
}

#[test]
fn seeds_survive_a_round_trip() {
    for seed in [SEED_001, SEED_002, SEED_003] {
        let parsed = config(seed);
        assert_eq!(config(&parsed.render()), parsed);
    }
}

//! The reconciler's view of parsed ldirectord.cf files: seed 002's and
//! 003's files as the kernel should hold them, fallbacks inherited or not,
//! and real servers IPVS would confuse refused with FILE:LINE.

use ha_conf::Source;
use ha_ipvs::{Destination, Forwarding, Netmask, Persistence, Protocol, Service, ServiceKey};

use super::super::*;
use super::ip;
use crate::config;

fn spec_of(text: &str) -> Result<DirectorSpec, String> {
    let parsed = config::parse(&Source::new("/etc/ha.d/ldirectord.cf", text))
        .map_err(|e| format!("parse: {e}"))?;
    director_spec(&parsed).map_err(|e| e.to_string())
}

fn seed(name: &str) -> String {
    let path = format!("{}/src/config/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gate(addr: &str, port: u16, weight: u32) -> Destination {
    Destination {
        weight,
        ..Destination::new(ip(addr), port)
    }
}

#[test]
fn seed_002_is_one_persistent_wlc_service_with_two_reals_and_a_local_fallback() {
    let spec = spec_of(&seed("seed002_ldirectord.cf")).unwrap();
    assert!(!spec.readd_quiescent);
    let [v] = spec.virtuals() else {
        panic!("one virtual service: {spec:?}");
    };
    let key = ServiceKey::Address {
        protocol: Protocol::Tcp,
        addr: ip("172.16.60.111"),
        port: 80,
    };
    let mut service = Service::new(key, "wlc");
    service.persistence = Some(Persistence {
        timeout: 600,
        netmask: Netmask::V4("255.255.255.255".parse().unwrap()),
        engine: None,
    });
    assert_eq!(v.service, service);
    assert!(!v.quiescent);
    assert!(v.cleanstop, "ldirectord's default");
    assert_eq!(
        v.reals(),
        [gate("172.16.60.204", 80, 1), gate("172.16.60.205", 80, 1)]
    );
    assert_eq!(v.fallback(), Some(&gate("127.0.0.1", 80, 1)));
}

#[test]
fn seed_003_is_quiescent_with_a_weighted_real() {
    let spec = spec_of(&seed("seed003_ldirectord.cf")).unwrap();
    let [v] = spec.virtuals() else {
        panic!("one virtual service: {spec:?}");
    };
    assert!(v.quiescent);
    assert_eq!(v.service.scheduler, "wrr");
    assert_eq!(
        v.reals(),
        [gate("192.168.18.191", 80, 1), gate("192.168.18.192", 80, 3)]
    );
}

#[test]
fn a_global_fallback_takes_the_virtual_port_and_checktype_off_has_none() {
    let text = "fallback=127.0.0.1 masq\n\
                cleanstop=no\n\
                virtual=192.0.2.1:8080\n\
                \treal=10.0.0.1:80 masq 2\n\
                \tchecktype=connect\n\
                virtual=192.0.2.1:8081\n\
                \treal=10.0.0.1:80 gate\n\
                \tchecktype=off\n\
                \tcleanstop=yes\n";
    let spec = spec_of(text).unwrap();
    let [with, off] = spec.virtuals() else {
        panic!("two virtual services: {spec:?}");
    };
    let masq = |addr: &str, port, weight| Destination {
        forwarding: Forwarding::Masquerade,
        ..gate(addr, port, weight)
    };
    assert_eq!(with.reals(), [masq("10.0.0.1", 80, 2)]);
    assert_eq!(with.fallback(), Some(&masq("127.0.0.1", 8080, 1)));
    assert!(!with.cleanstop);
    assert_eq!(
        off.reals(),
        [gate("10.0.0.1", 8081, 1)],
        "gate takes the virtual port"
    );
    assert_eq!(off.fallback(), None);
    assert!(off.cleanstop);
}

#[test]
fn real_servers_ipvs_would_hold_as_one_are_refused_with_their_line() {
    // The parser refuses such lines itself; a model built another way
    // (here: a parsed one, edited) is still checked.
    let text = "virtual=192.0.2.1:80\n\
                \treal=10.0.0.1:8080 gate\n\
                \tchecktype=connect\n";
    let mut parsed = config::parse(&Source::new("/etc/ha.d/ldirectord.cf", text)).unwrap();
    let mut twin = parsed.virtual_services[0].reals[0].clone();
    twin.port = 8081;
    parsed.virtual_services[0].reals.push(twin);
    let error = director_spec(&parsed).unwrap_err().to_string();
    assert_eq!(
        error,
        "/etc/ha.d/ldirectord.cf:2: real server 10.0.0.1:80 appears twice in virtual \
         service TCP 192.0.2.1:80 (a direct-routed or tunnelled real server takes the \
         virtual port)"
    );
}

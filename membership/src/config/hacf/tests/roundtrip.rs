//! Property tests: rendering round-trips, and no input makes the parser panic.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use proptest::sample::select;

use super::super::timers::{default_initdead, default_warntime};
use super::*;

fn interface() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,10}"
}

/// The serial rate a generated config uses, picked by its udpport.
fn baud_for(udpport: u16) -> u32 {
    let rates = ha_transport::serial::baud::RATES;
    rates[usize::from(udpport) % rates.len()]
}

fn medium(udpport: u16) -> impl Strategy<Value = MediumSpec> {
    prop_oneof![
        "/dev/[a-zA-Z0-9/_.-]{1,20}".prop_map(move |device| MediumSpec::Serial {
            device,
            baud: baud_for(udpport),
        }),
        interface().prop_map(move |interface| MediumSpec::Broadcast {
            interface,
            port: udpport
        }),
        (interface(), any::<[u8; 4]>()).prop_map(move |(interface, octets)| {
            MediumSpec::Unicast {
                interface,
                peer: IpAddr::V4(Ipv4Addr::from(octets)),
                port: udpport,
            }
        }),
        (
            interface(),
            224u8..=239,
            any::<[u8; 3]>(),
            1u16..,
            1u8..,
            any::<bool>()
        )
            .prop_map(|(interface, first, rest, port, ttl, loopback)| {
                MediumSpec::Multicast {
                    interface,
                    group: Ipv4Addr::new(first, rest[0], rest[1], rest[2]),
                    port,
                    ttl,
                    loopback,
                }
            }),
    ]
}

/// Keeps the first of equal items.
fn unique<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut kept = Vec::new();
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}

/// keepalive, warntime, deadtime, initdead: valid, given or defaulted.
fn timers() -> impl Strategy<Value = [Duration; 4]> {
    (1u64..=20_000)
        .prop_flat_map(|k| (Just(k), (2 * k + 1)..=(2 * k + 200_000)))
        .prop_flat_map(|(k, d)| {
            let warntime = prop::option::of((k + 1)..d);
            let initdead = prop::option::of(d..=(d + 300_000));
            (Just(k), Just(d), warntime, initdead)
        })
        .prop_map(|(k, d, warntime, initdead)| {
            let deadtime = ms(d);
            [
                ms(k),
                warntime.map_or_else(|| default_warntime(deadtime), ms),
                deadtime,
                initdead.map_or_else(|| default_initdead(deadtime), ms),
            ]
        })
}

fn path() -> impl Strategy<Value = Option<PathBuf>> {
    prop::option::of("/[a-zA-Z0-9/._-]{1,30}".prop_map(PathBuf::from))
}

fn ha_config() -> impl Strategy<Value = HaConfig> {
    let facilities = vec!["none", "daemon", "local0", "local7", "authpriv", "user"];
    let failback = vec![AutoFailback::On, AutoFailback::Off, AutoFailback::Legacy];
    (
        timers(),
        1u16..,
        select(failback),
        path(),
        path(),
        prop::option::of(select(facilities).prop_map(String::from)),
        prop::collection::vec("[a-z][a-z0-9-]{0,12}", 1..6),
        any::<bool>(),
        MIN_RTPRIO..=MAX_RTPRIO,
    )
        .prop_flat_map(
            move |(t, udpport, failback, logfile, debugfile, facility, nodes, realtime, rtprio)| {
                prop::collection::vec(medium(udpport), 1..6).prop_map(move |media| HaConfig {
                    keepalive: t[0],
                    warntime: t[1],
                    deadtime: t[2],
                    initdead: t[3],
                    udpport,
                    baud: baud_for(udpport),
                    media: unique(media),
                    nodes: unique(nodes.clone()),
                    auto_failback: failback,
                    logfile: logfile.clone(),
                    debugfile: debugfile.clone(),
                    logfacility: facility.clone(),
                    realtime,
                    rtprio,
                })
            },
        )
}

/// Lines built from ha.cf's own words, to reach deep into the parser.
fn directive_soup() -> impl Strategy<Value = String> {
    let names = vec![
        "keepalive",
        "warntime",
        "deadtime",
        "initdead",
        "udpport",
        "bcast",
        "udp",
        "ucast",
        "mcast",
        "node",
        "auto_failback",
        "logfile",
        "debugfile",
        "logfacility",
        "crm",
        "realtime",
        "rtprio",
        "ping",
        "Keepalive",
        "bogus",
        "#",
        "",
    ];
    let values = vec![
        "2",
        "0",
        "1.5",
        "500ms",
        "99999999999",
        "abc",
        "eth0",
        "eth0:1",
        "10.0.0.1",
        "239.0.0.1",
        "694",
        "0",
        "1",
        "on",
        "legacy",
        "local0",
        "none",
        ",",
        "#",
        "a",
        "A",
        "fe80::1",
    ];
    let line = (select(names), prop::collection::vec(select(values), 0..6))
        .prop_map(|(name, values)| format!("{name} {}", values.join(" ")));
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

/// Whatever parses must render to text that parses to the same value.
fn check_round_trip(text: &str) -> Result<(), TestCaseError> {
    if let Ok(config) = parse(text) {
        prop_assert_eq!(parse(&config.render()), Ok(config));
    }
    Ok(())
}

proptest! {
    #[test]
    fn rendered_configs_parse_back_equal(config in ha_config()) {
        prop_assert_eq!(parse(&config.render()), Ok(config));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        check_round_trip(&text)?;
    }

    #[test]
    fn directive_soup_never_panics(text in directive_soup()) {
        check_round_trip(&text)?;
    }
}

//! Property tests: rendering round-trips, and no input makes the parser panic.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use proptest::sample::select;

use super::super::timers::{default_initdead, default_warntime};
use super::*;
use crate::wire::{CompressMethod, Compression};

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
    // A keepalive below 5 ms is refused.
    (5u64..=20_000)
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

fn ping_node() -> impl Strategy<Value = PingNode> {
    let address = prop_oneof![
        any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        any::<[u16; 8]>().prop_map(|s| IpAddr::V6(std::net::Ipv6Addr::from(s))),
    ];
    prop_oneof![
        (address.clone(), 1..=3u32).prop_map(|(address, weight)| PingNode {
            name: address.to_string(),
            addresses: vec![address],
            group: false,
            weight,
        }),
        (
            "ping-[a-z0-9]{1,8}",
            prop::collection::vec(address, 1..4),
            1..=3u32
        )
            .prop_map(|(name, addresses, weight)| PingNode {
                name,
                addresses: unique(addresses),
                group: true,
                weight,
            }),
    ]
}

/// Ping nodes with distinct names, deadping (more than twice `keepalive`)
/// and ipfail (never with auto_failback legacy, which it refuses).
fn ping_part(
    keepalive: Duration,
    failback: AutoFailback,
) -> impl Strategy<Value = (Vec<PingNode>, Duration, bool)> {
    let k = u64::try_from(keepalive.as_millis()).unwrap_or(1);
    (
        prop::collection::vec(ping_node(), 0..4),
        (2 * k + 1)..=(2 * k + 100_000),
        any::<bool>(),
    )
        .prop_map(move |(nodes, deadping, ipfail)| {
            let ipfail = ipfail && failback != AutoFailback::Legacy;
            let mut kept: Vec<PingNode> = Vec::new();
            for mut node in nodes {
                // Weights turn the rule on: only where ipfail is on.
                if !ipfail {
                    node.weight = 1;
                }
                if !kept.iter().any(|k| k.name == node.name) {
                    kept.push(node);
                }
            }
            (kept, ms(deadping), ipfail)
        })
}

/// A word of a respawn or apiauth line: no whitespace, `#`, or shell syntax.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_./=:+-]{1,12}"
}

fn respawns() -> impl Strategy<Value = Vec<Respawn>> {
    let one = (
        "[a-z][a-z0-9_-]{0,8}",
        "(/[a-zA-Z0-9._-]{1,10}){1,4}",
        prop::collection::vec(word(), 0..4),
    )
        .prop_map(|(user, program, args)| Respawn {
            user,
            program: PathBuf::from(program),
            args,
            location: nowhere(),
        });
    prop::collection::vec(one, 0..4)
}

fn apiauths() -> impl Strategy<Value = Vec<ApiAuth>> {
    let names = || prop::collection::vec("[a-z0-9_][a-z0-9_.-]{0,8}", 0..3);
    let one = ("[a-z][a-z0-9_-]{0,30}", names(), names())
        .prop_filter("a uid= or gid= list", |(_, uids, gids)| {
            !uids.is_empty() || !gids.is_empty()
        })
        .prop_map(|(client, uids, gids)| ApiAuth {
            client,
            uids,
            gids,
            location: nowhere(),
        });
    prop::collection::vec(one, 0..4).prop_map(|list| {
        let mut kept: Vec<ApiAuth> = Vec::new();
        for auth in list {
            if !kept.iter().any(|k| k.client == auth.client) {
                kept.push(auth);
            }
        }
        kept
    })
}

fn compression() -> impl Strategy<Value = Compression> {
    (
        select(CompressMethod::ALL.to_vec()),
        1usize..=4096,
        any::<bool>(),
    )
        .prop_map(|(method, kib, traditional)| Compression {
            method,
            threshold: kib * 1024,
            traditional,
        })
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
        (path(), respawns(), apiauths(), compression()),
    )
        .prop_flat_map(
            move |(
                t,
                udpport,
                failback,
                logfile,
                debugfile,
                facility,
                nodes,
                realtime,
                rtprio,
                (watchdog, respawns, apiauth, compression),
            )| {
                let media = prop::collection::vec(medium(udpport), 1..6);
                (media, ping_part(t[0], failback)).prop_map(
                    move |(media, (ping_nodes, deadping, ipfail))| {
                        // ipfail is on exactly when heartbeat's ipfail is respawned.
                        let mut respawns: Vec<Respawn> = respawns
                            .iter()
                            .filter(|r| !r.is_ipfail())
                            .cloned()
                            .collect();
                        if ipfail {
                            respawns.push(Respawn {
                                user: "hacluster".into(),
                                program: PathBuf::from("/usr/lib/heartbeat/ipfail"),
                                args: Vec::new(),
                                location: nowhere(),
                            });
                        }
                        HaConfig {
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
                            ping_nodes,
                            deadping,
                            ipfail,
                            watchdog: watchdog.clone(),
                            respawns,
                            apiauth: apiauth.clone(),
                            fencing: vec![],
                            compression,
                        }
                    },
                )
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
        "watchdog",
        "respawn",
        "apiauth",
        "ping",
        "ping_group",
        "deadping",
        "respawn",
        "apiauth",
        "compression",
        "compression_threshold",
        "traditional_compression",
        "Keepalive",
        "bogus",
        "#",
        "",
    ];
    let values = vec![
        "bz2",
        "zlib",
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
        "/usr/lib/heartbeat/ipfail",
        "ipfail",
        "hacluster",
        "hacluster",
        "uid=root",
        "gid=haclient,root",
        "uid=",
        "$x",
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

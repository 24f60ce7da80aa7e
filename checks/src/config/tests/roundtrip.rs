//! Random configurations survive render then parse; no text makes the
//! parser panic.

use super::*;
use ha_ipvs::model::{NEWER_SCHEDULERS, SCHEDULERS};
use ha_ipvs::Tunnel;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// A key for asking whether a check is supported (the answer does not
/// depend on it).
const ANY_KEY: ServiceKey = ServiceKey::FirewallMark {
    af: AddressFamily::Inet,
    mark: 1,
};

/// Strings ldirectord.cf can carry in quotes: no quote, no line break.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 /._#:@|-]{1,20}"
}

fn some_secs() -> impl Strategy<Value = Option<Duration>> {
    proptest::option::of((1u64..100_000).prop_map(Duration::from_secs))
}

fn overridable() -> impl Strategy<Value = Overridable> {
    (
        (some_secs(), some_secs(), some_secs(), some_secs()),
        proptest::option::of(1u32..100),
        proptest::option::of(1u32..100),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(
                (check, negotiate, connect, interval),
                count,
                failures,
                quiescent,
                cleanstop,
                command,
            )| {
                Overridable {
                    check_timeout: check,
                    negotiate_timeout: negotiate,
                    connect_timeout: connect,
                    check_interval: interval,
                    check_count: count,
                    failure_count: failures,
                    quiescent,
                    cleanstop,
                    fallback_command: command,
                }
            },
        )
}

fn addr(ipv6: bool) -> BoxedStrategy<IpAddr> {
    if ipv6 {
        any::<u128>()
            .prop_map(|n| IpAddr::V6(Ipv6Addr::from(n)))
            .boxed()
    } else {
        any::<u32>()
            .prop_map(|n| IpAddr::V4(Ipv4Addr::from(n)))
            .boxed()
    }
}

fn forwarding() -> impl Strategy<Value = Forwarding> {
    prop_oneof![
        Just(Forwarding::DirectRoute),
        Just(Forwarding::Masquerade),
        Just(Forwarding::Tunnel(Tunnel::IPIP)),
    ]
}

fn fallback(ipv6: bool, port_required: bool) -> impl Strategy<Value = Fallback> {
    let port = if port_required {
        any::<u16>().prop_map(Some).boxed()
    } else {
        proptest::option::of(any::<u16>()).boxed()
    };
    (addr(ipv6), port, forwarding()).prop_map(|(addr, port, forwarding)| Fallback {
        origin: Origin::default(),
        addr,
        port,
        forwarding,
    })
}

fn real_server(ipv6: bool) -> impl Strategy<Value = RealServer> {
    (
        addr(ipv6),
        any::<u16>(),
        forwarding(),
        0u32..=65535,
        proptest::option::of(("[a-z/ .]{0,8}", "[a-zA-Z .]{0,8}")),
        0u32..1000,
        0u32..1000,
    )
        .prop_map(
            |(addr, port, forwarding, weight, pair, low, high)| RealServer {
                origin: Origin::default(),
                addr,
                port,
                forwarding,
                weight,
                request_receive: pair,
                lower_threshold: low,
                upper_threshold: high,
            },
        )
}

fn check_spec() -> impl Strategy<Value = CheckSpec> {
    let check_type = prop_oneof![
        Just(CheckType::Connect),
        Just(CheckType::Negotiate),
        (1..=u32::MAX).prop_map(CheckType::Combined),
        Just(CheckType::Ping),
        Just(CheckType::External),
        Just(CheckType::On),
        Just(CheckType::Off),
    ];
    let strings = proptest::collection::vec(proptest::option::of(text()), 8);
    (
        check_type,
        proptest::sample::select(Service::ALL.to_vec()),
        proptest::option::of(1u16..=65535),
        any::<bool>(),
        strings,
    )
        .prop_filter("a check the director runs", |(check_type, service, ..)| {
            supported_check(
                &CheckSpec {
                    check_type: *check_type,
                    ..CheckSpec::new(*service)
                },
                &ANY_KEY,
            )
            .is_ok()
        })
        .prop_map(|(check_type, service, port, head, s)| CheckSpec {
            check_type,
            service,
            check_port: port,
            request: s[0].clone(),
            receive: s[1].clone(),
            http_method: if head {
                HttpMethod::Head
            } else {
                HttpMethod::Get
            },
            virtual_host: s[2].clone(),
            login: s[3].clone(),
            passwd: s[4].clone(),
            database: s[5].clone(),
            secret: s[6].clone(),
            check_command: s[7].clone(),
        })
}

fn virtual_service() -> impl Strategy<Value = VirtualService> {
    any::<bool>().prop_flat_map(|ipv6| {
        let af = if ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        let key = prop_oneof![
            (
                addr(ipv6),
                1u16..=65535,
                prop_oneof![Just(Protocol::Tcp), Just(Protocol::Sctp)]
            )
                .prop_map(|(addr, port, protocol)| ServiceKey::Address {
                    protocol,
                    addr,
                    port
                }),
            (1u32..=u32::MAX).prop_map(move |mark| ServiceKey::FirewallMark { af, mark }),
        ];
        let netmask = if ipv6 {
            (1u8..=128).prop_map(Netmask::V6Prefix).boxed()
        } else {
            any::<u32>()
                .prop_map(|n| Netmask::V4(Ipv4Addr::from(n)))
                .boxed()
        };
        (
            (
                key,
                proptest::sample::select(
                    SCHEDULERS
                        .iter()
                        .chain(NEWER_SCHEDULERS)
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                ),
                (any::<bool>(), any::<bool>(), any::<bool>()),
            ),
            (
                proptest::option::of(1u32..=2_678_400),
                proptest::option::of(netmask),
            ),
            proptest::collection::vec(real_server(ipv6), 0..4),
            proptest::option::of(fallback(ipv6, false)),
            (check_spec(), overridable()),
            (
                proptest::option::of("[a-zA-Z ]{0,10}"),
                proptest::option::of("[a-zA-Z ]{0,10}"),
            ),
        )
            .prop_map(
                |(
                    (key, scheduler, flags),
                    (persistent, netmask),
                    reals,
                    fallback,
                    (check, overrides),
                    (name, comment),
                )| {
                    let mut service = VirtualService {
                        origin: Origin::default(),
                        key,
                        scheduler,
                        scheduler_flags: SchedulerFlags {
                            flag1: flags.0,
                            flag2: flags.1,
                            flag3: flags.2,
                        },
                        persistent,
                        netmask,
                        one_packet: false,
                        reals: Vec::new(),
                        fallback,
                        check,
                        overrides,
                        service_name: name,
                        comment,
                    };
                    // Real servers must differ as IPVS destinations.
                    let mut seen = std::collections::HashSet::new();
                    service.reals = reals
                        .into_iter()
                        .filter(|real| seen.insert(service.destination_key(real)))
                        .collect();
                    service
                },
            )
    })
}

fn director_config() -> impl Strategy<Value = DirectorConfig> {
    let logfile = prop_oneof![
        "/[a-z/.]{1,20}".prop_map(|p| LogTarget::File(PathBuf::from(p))),
        proptest::sample::select(SYSLOG_FACILITIES.to_vec())
            .prop_map(|f| LogTarget::Syslog(f.into())),
    ];
    (
        overridable(),
        proptest::option::of(fallback(false, false)),
        proptest::option::of(fallback(true, false)),
        (any::<bool>(), any::<bool>()),
        proptest::option::of(text()),
        logfile,
        proptest::option::of("/[a-z/]{1,10}"),
        proptest::collection::vec(virtual_service(), 0..4),
    )
        .prop_map(
            |(
                defaults,
                fallback,
                fallback6,
                (autoreload, readd),
                callback,
                logfile,
                dir,
                services,
            )| {
                let mut seen = std::collections::HashSet::new();
                DirectorConfig {
                    global: GlobalSettings {
                        defaults,
                        fallback,
                        fallback6,
                        autoreload,
                        callback,
                        logfile,
                        maintenance_dir: dir.map(PathBuf::from),
                        readd_quiescent: readd,
                    },
                    virtual_services: services
                        .into_iter()
                        .filter(|v| seen.insert(v.key))
                        .collect(),
                }
            },
        )
}

proptest! {
    #[test]
    fn render_then_parse_gives_the_same_config(original in director_config()) {
        let text = original.render();
        let parsed = parse(&Source::new(PATH, text.clone()));
        prop_assert_eq!(parsed.as_ref().ok(), Some(&original), "text:\n{}\nresult: {:?}", text, parsed);
        prop_assert!(diff(&original, &config(&text)).is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = parse(&Source::new(PATH, text));
    }

    #[test]
    fn config_like_lines_never_panic(
        lines in proptest::collection::vec(
            (
                proptest::option::of("[ \t]{1,3}"),
                proptest::sample::select(vec![
                    "virtual", "virtual6", "real", "real6", "fallback", "fallback6", "checktype",
                    "service", "netmask", "protocol", "schedflags", "persistent", "request",
                    "checktimeout", "logfile", "ops", "bogus",
                ]),
                "[0-9a-z:.\\[\\]>\" ,/#=-]{0,30}",
            ),
            0..12,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|(indent, keyword, value)| {
                format!("{}{keyword}={value}\n", indent.clone().unwrap_or_default())
            })
            .collect();
        if let Ok(parsed) = parse(&Source::new(PATH, text)) {
            prop_assert_eq!(config(&parsed.render()), parsed);
        }
    }
}

#[test]
fn values_holding_quotes_read_back() {
    let text = "callback=/bin/cb\"#x\"\n\
                virtual=10.0.0.1:80\n\treal=10.0.1.1 gate\n\
                \tcheckcommand=a\"#b\"\n\treceive=\"\"x\"\"\n\trequest=\"a\" \"#b\"\n\
                \tlogin=//x\"\n";
    let parsed = config(text);
    let check = &parsed.virtual_services[0].check;
    assert_eq!(check.check_command.as_deref(), Some("a\"#b\""));
    assert_eq!(check.receive.as_deref(), Some("\"x\""));
    assert_eq!(check.request.as_deref(), Some("a\" \"#b"));
    assert_eq!(check.login.as_deref(), Some("//x\""));
    assert_eq!(parsed.global.callback.as_deref(), Some("/bin/cb\"#x\""));
    assert_eq!(config(&parsed.render()), parsed);
}

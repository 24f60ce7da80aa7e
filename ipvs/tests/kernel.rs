//! The binding against a real IPVS kernel: everything added reads back as
//! added, every kernel refusal comes back as the right typed error, batches
//! report each change. The host has no IPVS, so these tests are ignored
//! there and run in the VM (`cargo test -p ha-ipvs --test in_vm`), one at a
//! time, each starting from an empty table. The 1,000-service benchmark
//! against `ipvsadm -R` is the bench target `apply_1000_services`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ha_ipvs::model::SCHEDULERS;
use ha_ipvs::{
    AddressFamily, Change, DaemonConfig, DaemonRefusal, DaemonState, Destination, DestinationEntry,
    DestinationKey, Forwarding, Ipvs, IpvsError, Netmask, Operation, Persistence, Protocol,
    SchedulerFlags, Service, ServiceEntry, ServiceKey, Timeouts, Tunnel, TunnelChecksum,
    TunnelKind,
};

const IGNORE: &str = "needs IPVS: runs in the VM";

/// A connection to the kernel's IPVS with an empty table and no sync
/// daemon.
fn ipvs() -> Ipvs {
    assert!(
        Path::new("/proc/net/ip_vs").exists(),
        "this test needs a kernel with IPVS ({IGNORE})"
    );
    let mut ipvs = Ipvs::connect().expect("connect to IPVS");
    ipvs.flush().expect("flush");
    for daemon in ipvs.daemons().expect("list daemons") {
        ipvs.stop_daemon(daemon.state).expect("stop daemon");
    }
    ipvs
}

fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse::<Ipv4Addr>().expect("IPv4 address"))
}

fn v6(text: &str) -> IpAddr {
    IpAddr::V6(text.parse::<Ipv6Addr>().expect("IPv6 address"))
}

fn tcp(addr: IpAddr, port: u16) -> ServiceKey {
    ServiceKey::Address {
        protocol: Protocol::Tcp,
        addr,
        port,
    }
}

/// The kernel's refusal inside an error, or a failure naming the error.
fn refusal(result: Result<impl std::fmt::Debug, IpvsError>) -> (Operation, i32, String) {
    match result {
        Err(IpvsError::Kernel(refusal)) => (refusal.operation, refusal.errno, refusal.to_string()),
        other => panic!("expected a kernel refusal, got {other:?}"),
    }
}

/// Services as configured, sorted by key, for comparing tables.
fn configured(entries: Vec<ServiceEntry>) -> Vec<Service> {
    let mut services: Vec<Service> = entries.into_iter().map(|e| e.service).collect();
    services.sort_by_key(|s| s.key);
    services
}

fn destinations_of(entries: Vec<DestinationEntry>) -> Vec<Destination> {
    let mut dests: Vec<Destination> = entries.into_iter().map(|e| e.destination).collect();
    dests.sort_by_key(|d| d.key());
    dests
}

#[test]
fn connect_says_whether_the_kernel_has_ipvs() {
    let has_ipvs = Path::new("/proc/net/ip_vs").exists();
    match Ipvs::connect() {
        Ok(_) => assert!(has_ipvs, "connected to IPVS without /proc/net/ip_vs"),
        Err(error) => {
            assert!(!has_ipvs, "IPVS is present, yet: {error}");
            assert!(matches!(error, IpvsError::NotAvailable), "{error:?}");
            assert_eq!(
                error.to_string(),
                "IPVS is not available: load the ip_vs module"
            );
        }
    }
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn info_matches_proc() {
    let mut ipvs = ipvs();
    let info = ipvs.info().expect("info");
    let proc = std::fs::read_to_string("/proc/net/ip_vs").expect("read /proc/net/ip_vs");
    let banner = proc.lines().next().unwrap_or_default();
    assert_eq!(
        banner,
        format!(
            "IP Virtual Server version {} (size={})",
            info.version, info.conn_tab_size
        )
    );
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn services_of_every_kind_round_trip() {
    let mut ipvs = ipvs();
    let keys = [
        tcp(v4("192.0.2.1"), 80),
        ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: v4("192.0.2.1"),
            port: 53,
        },
        ServiceKey::Address {
            protocol: Protocol::Sctp,
            addr: v4("192.0.2.2"),
            port: 3868,
        },
        tcp(v6("2001:db8::1"), 443),
        ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: v6("2001:db8::1"),
            port: 53,
        },
        ServiceKey::Address {
            protocol: Protocol::Sctp,
            addr: v6("2001:db8::2"),
            port: 2905,
        },
        tcp(v4("192.0.2.3"), 0),
        ServiceKey::FirewallMark {
            af: AddressFamily::Inet,
            mark: 1,
        },
        ServiceKey::FirewallMark {
            af: AddressFamily::Inet6,
            mark: 0xffff_fffe,
        },
    ];
    let mut added = Vec::new();
    for key in keys {
        let service = Service::new(key, "wlc");
        ipvs.add_service(&service).expect("add service");
        let read = ipvs.service(&key).expect("get service");
        assert_eq!(read.service, service);
        assert!(read.hashed, "the kernel reports its services hashed");
        assert_eq!(read.stats, Default::default());
        added.push(service);
    }
    added.sort_by_key(|s| s.key);
    assert_eq!(configured(ipvs.services().expect("list")), added);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn every_scheduler_and_its_flags_round_trip() {
    let mut ipvs = ipvs();
    let mut added = Vec::new();
    for (index, name) in SCHEDULERS.iter().enumerate() {
        let mut service = Service::new(tcp(v4("198.51.100.1"), 1000 + index as u16), *name);
        service.scheduler_flags = match *name {
            "sh" => SchedulerFlags {
                flag1: true,
                flag2: true,
                flag3: false,
            },
            "mh" => SchedulerFlags {
                flag1: false,
                flag2: true,
                flag3: false,
            },
            "rr" => SchedulerFlags {
                flag1: false,
                flag2: false,
                flag3: true,
            },
            _ => SchedulerFlags::NONE,
        };
        ipvs.add_service(&service)
            .unwrap_or_else(|e| panic!("add a {name} service: {e}"));
        assert_eq!(ipvs.service(&service.key).expect("get").service, service);
        added.push(service);
    }
    added.sort_by_key(|s| s.key);
    assert_eq!(configured(ipvs.services().expect("list")), added);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn persistence_and_one_packet_round_trip() {
    let mut ipvs = ipvs();
    let mut services = Vec::new();
    let mut v4_persistent = Service::new(tcp(v4("203.0.113.1"), 443), "rr");
    v4_persistent.persistence = Some(Persistence {
        timeout: 3600,
        netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)),
        engine: None,
    });
    services.push(v4_persistent);
    let mut v6_persistent = Service::new(tcp(v6("2001:db8:1::1"), 443), "lc");
    v6_persistent.persistence = Some(Persistence {
        timeout: 60,
        netmask: Netmask::V6Prefix(64),
        engine: None,
    });
    services.push(v6_persistent);
    let mut fwmark_persistent = Service::new(
        ServiceKey::FirewallMark {
            af: AddressFamily::Inet,
            mark: 7,
        },
        "wrr",
    );
    fwmark_persistent.persistence = Some(Persistence {
        timeout: 300,
        netmask: Netmask::default_for(AddressFamily::Inet),
        engine: None,
    });
    services.push(fwmark_persistent);
    let mut sip = Service::new(
        ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: v4("203.0.113.2"),
            port: 5060,
        },
        "rr",
    );
    sip.persistence = Some(Persistence {
        timeout: 120,
        netmask: Netmask::default_for(AddressFamily::Inet),
        engine: Some("sip".to_string()),
    });
    services.push(sip);
    let mut one_packet = Service::new(
        ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: v4("203.0.113.3"),
            port: 514,
        },
        "rr",
    );
    one_packet.one_packet = true;
    services.push(one_packet);
    for service in &services {
        ipvs.add_service(service).expect("add service");
        assert_eq!(&ipvs.service(&service.key).expect("get").service, service);
    }
    services.sort_by_key(|s| s.key);
    assert_eq!(configured(ipvs.services().expect("list")), services);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn editing_a_service_changes_only_what_was_asked() {
    let mut ipvs = ipvs();
    let key = tcp(v4("192.0.2.50"), 80);
    let other = Service::new(tcp(v4("192.0.2.51"), 80), "wlc");
    ipvs.add_service(&Service::new(key, "wlc")).expect("add");
    ipvs.add_service(&other).expect("add other");
    let mut edited = Service::new(key, "sh");
    edited.scheduler_flags.flag1 = true;
    edited.persistence = Some(Persistence {
        timeout: 900,
        netmask: Netmask::V4(Ipv4Addr::new(255, 255, 0, 0)),
        engine: None,
    });
    ipvs.edit_service(&edited).expect("edit");
    assert_eq!(ipvs.service(&key).expect("get").service, edited);
    let plain = Service::new(key, "rr");
    ipvs.edit_service(&plain).expect("edit back");
    assert_eq!(ipvs.service(&key).expect("get").service, plain);
    assert_eq!(ipvs.service(&other.key).expect("get other").service, other);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn real_servers_of_every_forwarding_method_round_trip() {
    let mut ipvs = ipvs();
    let key = tcp(v4("192.0.2.80"), 80);
    ipvs.add_service(&Service::new(key, "wrr"))
        .expect("add service");
    let dest =
        |addr: &str, forwarding: Forwarding, weight: u32, upper: u32, lower: u32| Destination {
            addr: v4(addr),
            port: 8080,
            forwarding,
            weight,
            upper_threshold: upper,
            lower_threshold: lower,
        };
    let mut dests = vec![
        dest("10.0.0.1", Forwarding::Masquerade, 1, 0, 0),
        dest("10.0.0.2", Forwarding::DirectRoute, 0, 100, 50),
        dest("10.0.0.3", Forwarding::Tunnel(Tunnel::IPIP), 65535, 10, 10),
        dest(
            "10.0.0.4",
            Forwarding::Tunnel(Tunnel {
                kind: TunnelKind::Gue,
                port: 6080,
                checksum: TunnelChecksum::Checksum,
            }),
            3,
            0,
            0,
        ),
        dest(
            "10.0.0.5",
            Forwarding::Tunnel(Tunnel {
                kind: TunnelKind::Gue,
                port: 6081,
                checksum: TunnelChecksum::RemoteChecksum,
            }),
            4,
            0,
            0,
        ),
        dest(
            "10.0.0.6",
            Forwarding::Tunnel(Tunnel {
                kind: TunnelKind::Gre,
                port: 0,
                checksum: TunnelChecksum::None,
            }),
            5,
            1000,
            0,
        ),
    ];
    for d in &dests {
        ipvs.add_destination(&key, d).expect("add real server");
    }
    dests.sort_by_key(|d| d.key());
    let entries = ipvs.destinations(&key).expect("list real servers");
    for entry in &entries {
        assert_eq!(
            (
                entry.active_conns,
                entry.inactive_conns,
                entry.persistent_conns
            ),
            (0, 0, 0)
        );
    }
    assert_eq!(destinations_of(entries), dests);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn ipv6_and_mixed_family_real_servers_round_trip() {
    let mut ipvs = ipvs();
    let key = tcp(v6("2001:db8::80"), 80);
    ipvs.add_service(&Service::new(key, "rr"))
        .expect("add service");
    let mut dests = vec![
        Destination::new(v6("2001:db8:2::1"), 80),
        Destination {
            forwarding: Forwarding::Masquerade,
            weight: 7,
            ..Destination::new(v6("2001:db8:2::2"), 8080)
        },
        // A tunnelled IPv4 server behind an IPv6 service.
        Destination {
            forwarding: Forwarding::Tunnel(Tunnel::IPIP),
            ..Destination::new(v4("10.0.1.1"), 80)
        },
    ];
    for d in &dests {
        ipvs.add_destination(&key, d).expect("add real server");
    }
    dests.sort_by_key(|d| d.key());
    assert_eq!(
        destinations_of(ipvs.destinations(&key).expect("list")),
        dests
    );
    let fwmark = ServiceKey::FirewallMark {
        af: AddressFamily::Inet6,
        mark: 3,
    };
    ipvs.add_service(&Service::new(fwmark, "wlc")).expect("add");
    let server = Destination::new(v6("2001:db8:3::1"), 0);
    ipvs.add_destination(&fwmark, &server).expect("add");
    assert_eq!(
        destinations_of(ipvs.destinations(&fwmark).expect("list")),
        vec![server]
    );
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn editing_and_deleting_real_servers_and_services() {
    let mut ipvs = ipvs();
    let key = ServiceKey::Address {
        protocol: Protocol::Udp,
        addr: v4("192.0.2.90"),
        port: 53,
    };
    ipvs.add_service(&Service::new(key, "wlc"))
        .expect("add service");
    let first = Destination::new(v4("10.0.2.1"), 53);
    let second = Destination::new(v4("10.0.2.2"), 53);
    ipvs.add_destination(&key, &first).expect("add");
    ipvs.add_destination(&key, &second).expect("add");
    let edited = Destination {
        forwarding: Forwarding::Masquerade,
        weight: 9,
        upper_threshold: 500,
        lower_threshold: 400,
        ..first.clone()
    };
    ipvs.edit_destination(&key, &edited).expect("edit");
    assert_eq!(
        destinations_of(ipvs.destinations(&key).expect("list")),
        vec![edited.clone(), second.clone()]
    );
    ipvs.delete_destination(&key, &second.key())
        .expect("delete");
    assert_eq!(
        destinations_of(ipvs.destinations(&key).expect("list")),
        vec![edited]
    );
    ipvs.delete_service(&key).expect("delete service");
    assert_eq!(ipvs.services().expect("list"), vec![]);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn kernel_refusals_are_typed_with_ipvsadm_sentences() {
    let mut ipvs = ipvs();
    let key = tcp(v4("192.0.2.100"), 80);
    let missing = tcp(v4("192.0.2.101"), 80);
    let service = Service::new(key, "wlc");
    ipvs.add_service(&service).expect("add");
    let server = Destination::new(v4("10.0.3.1"), 80);
    ipvs.add_destination(&key, &server)
        .expect("add real server");
    let absent = DestinationKey {
        addr: v4("10.0.3.2"),
        port: 80,
    };

    let cases: Vec<(Result<(), IpvsError>, Operation, i32, &str)> = vec![
        (
            ipvs.add_service(&service),
            Operation::AddService,
            17,
            "Service already exists",
        ),
        (
            ipvs.add_service(&Service::new(missing, "nonesuch")),
            Operation::AddService,
            2,
            "Scheduler or persistence engine not found",
        ),
        (
            ipvs.edit_service(&Service::new(key, "nonesuch")),
            Operation::EditService,
            2,
            "Scheduler or persistence engine not found",
        ),
        (
            ipvs.edit_service(&Service::new(missing, "rr")),
            Operation::EditService,
            3,
            "No such service",
        ),
        (
            ipvs.delete_service(&missing),
            Operation::DeleteService,
            3,
            "No such service",
        ),
        (
            ipvs.zero(Some(&missing)),
            Operation::Zero,
            3,
            "No such service",
        ),
        (
            ipvs.add_destination(&missing, &server),
            Operation::AddDestination,
            3,
            "Service not defined",
        ),
        (
            ipvs.add_destination(&key, &server),
            Operation::AddDestination,
            17,
            "Destination already exists",
        ),
        (
            ipvs.edit_destination(&key, &Destination::new(absent.addr, absent.port)),
            Operation::EditDestination,
            2,
            "No such destination",
        ),
        (
            ipvs.delete_destination(&key, &absent),
            Operation::DeleteDestination,
            2,
            "No such destination",
        ),
        (
            ipvs.delete_destination(&missing, &absent),
            Operation::DeleteDestination,
            3,
            "Service not defined",
        ),
        (
            ipvs.add_destination(
                &key,
                &Destination {
                    upper_threshold: 10,
                    lower_threshold: 20,
                    ..Destination::new(v4("10.0.3.3"), 80)
                },
            ),
            Operation::AddDestination,
            34,
            "Numerical result out of range",
        ),
        (
            ipvs.add_destination(
                &key,
                &Destination {
                    forwarding: Forwarding::Tunnel(Tunnel {
                        kind: TunnelKind::Gue,
                        port: 0,
                        checksum: TunnelChecksum::None,
                    }),
                    ..Destination::new(v4("10.0.3.4"), 80)
                },
            ),
            Operation::AddDestination,
            22,
            "Invalid operation.  Possibly wrong module version, address not unicast, ...",
        ),
        (
            ipvs.add_destination(&key, &Destination::new(v4("224.0.0.1"), 80)),
            Operation::AddDestination,
            22,
            "Invalid operation.  Possibly wrong module version, address not unicast, ...",
        ),
        (
            ipvs.stop_daemon(DaemonState::Master),
            Operation::StopDaemon,
            3,
            "No daemon is running",
        ),
    ];
    for (index, (result, operation, errno, message)) in cases.into_iter().enumerate() {
        assert_eq!(
            refusal(result),
            (operation, errno, message.to_string()),
            "case {index}"
        );
    }
    assert_eq!(
        refusal(ipvs.service(&missing)),
        (Operation::GetService, 3, "No such service".to_string())
    );
    assert_eq!(
        refusal(ipvs.destinations(&missing)),
        (
            Operation::ListDestinations,
            3,
            "No such service".to_string()
        )
    );
    let mut bad_prefix = Service::new(tcp(v6("2001:db8::9"), 80), "rr");
    bad_prefix.persistence = Some(Persistence {
        timeout: 1,
        netmask: Netmask::V6Prefix(0),
        engine: None,
    });
    assert_eq!(refusal(ipvs.add_service(&bad_prefix)).1, 22);
    // Nothing refused changed the table.
    assert_eq!(configured(ipvs.services().expect("list")), vec![service]);
    assert_eq!(
        destinations_of(ipvs.destinations(&key).expect("list")),
        vec![server]
    );
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn timeouts_set_and_read_back() {
    let mut ipvs = ipvs();
    let before = ipvs.timeouts().expect("timeouts");
    let wanted = Timeouts {
        tcp: 901,
        tcp_fin: 121,
        udp: 301,
    };
    ipvs.set_timeouts(&wanted).expect("set");
    assert_eq!(ipvs.timeouts().expect("timeouts"), wanted);
    // 0 leaves a timeout as it is.
    ipvs.set_timeouts(&Timeouts {
        tcp: 0,
        tcp_fin: 60,
        udp: 0,
    })
    .expect("set one");
    assert_eq!(
        ipvs.timeouts().expect("timeouts"),
        Timeouts {
            tcp_fin: 60,
            ..wanted
        }
    );
    ipvs.set_timeouts(&before).expect("restore");
    assert_eq!(ipvs.timeouts().expect("timeouts"), before);
}

/// Opens TCP connections to `port` on the loopback address, through a
/// service whose real server is the same local address and port, until the
/// service has counted `wanted` connections or `limit` passes.
fn make_traffic(ipvs: &mut Ipvs, key: &ServiceKey, port: u16, wanted: u64, limit: Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        for _ in 0..20 {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = stream.write_all(b"ping");
            }
        }
        if ipvs.service(key).expect("get").stats.conns >= wanted {
            return;
        }
    }
}

/// Moves the calling thread (and the threads and processes it starts) into
/// a network namespace of its own, with `lo` up. IPVS keeps a table per
/// namespace, so the connections a test's traffic leaves behind for a while
/// stay out of the table other tests list.
fn enter_private_network_namespace() {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare");
    let output = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .output()
        .expect("run ip");
    assert!(output.status.success(), "ip link set lo up: {output:?}");
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn statistics_and_rates_count_traffic_and_zero_clears_them() {
    enter_private_network_namespace();
    let mut ipvs = ipvs();
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("listen");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let key = tcp(v4("127.0.0.1"), port);
    ipvs.add_service(&Service::new(key, "rr")).expect("add");
    ipvs.add_destination(&key, &Destination::new(v4("127.0.0.1"), port))
        .expect("add real server");
    let quiet = ServiceKey::FirewallMark {
        af: AddressFamily::Inet,
        mark: 99,
    };
    ipvs.add_service(&Service::new(quiet, "rr")).expect("add");

    // Rates are estimated every two seconds: keep traffic going until the
    // estimator has seen it.
    let started = Instant::now();
    let mut entry = ipvs.service(&key).expect("get");
    while (entry.stats.cps == 0 || entry.stats.conns < 50)
        && started.elapsed() < Duration::from_secs(30)
    {
        make_traffic(
            &mut ipvs,
            &key,
            port,
            entry.stats.conns + 50,
            Duration::from_secs(2),
        );
        entry = ipvs.service(&key).expect("get");
    }
    let stats = entry.stats;
    assert!(stats.conns >= 50, "{stats:?}");
    assert!(
        stats.inpkts >= stats.conns && stats.inbytes > 0,
        "{stats:?}"
    );
    assert!(
        stats.cps > 0 && stats.inpps > 0 && stats.inbps > 0,
        "{stats:?}"
    );
    let dest_stats = ipvs.destinations(&key).expect("list")[0].stats;
    assert!(
        dest_stats.conns > 0 && dest_stats.inpkts > 0,
        "{dest_stats:?}"
    );
    let by_list = ipvs
        .services()
        .expect("list")
        .into_iter()
        .find(|e| e.service.key == key)
        .expect("listed");
    assert!(by_list.stats.conns >= stats.conns);

    ipvs.zero(Some(&key)).expect("zero one");
    let zeroed = ipvs.service(&key).expect("get").stats;
    assert_eq!((zeroed.conns, zeroed.inpkts, zeroed.cps), (0, 0, 0));
    assert_eq!(ipvs.destinations(&key).expect("list")[0].stats.conns, 0);

    make_traffic(&mut ipvs, &key, port, 5, Duration::from_secs(10));
    assert!(ipvs.service(&key).expect("get").stats.conns >= 5);
    ipvs.zero(None).expect("zero all");
    assert_eq!(ipvs.service(&key).expect("get").stats.conns, 0);
    assert_eq!(ipvs.service(&quiet).expect("get").stats.conns, 0);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn flush_empties_the_table() {
    let mut ipvs = ipvs();
    for port in 1..=20 {
        let key = tcp(v4("192.0.2.120"), port);
        ipvs.add_service(&Service::new(key, "rr")).expect("add");
        ipvs.add_destination(&key, &Destination::new(v4("10.0.4.1"), port))
            .expect("add real server");
    }
    assert_eq!(ipvs.services().expect("list").len(), 20);
    ipvs.flush().expect("flush");
    assert_eq!(ipvs.services().expect("list"), vec![]);
}

/// A veth pair with an IPv4 address on its first end, up: the sync daemon
/// needs a multicast-capable interface with an address.
fn sync_interface() -> &'static str {
    const NAME: &str = "ipvs-sync0";
    if !Path::new("/sys/class/net").join(NAME).exists() {
        for args in [
            &[
                "link",
                "add",
                NAME,
                "type",
                "veth",
                "peer",
                "name",
                "ipvs-sync1",
            ][..],
            &["addr", "add", "192.168.251.1/24", "dev", NAME],
            &["link", "set", NAME, "up"],
            &["link", "set", "ipvs-sync1", "up"],
        ] {
            let output = Command::new("ip").args(args).output().expect("run ip");
            assert!(
                output.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    NAME
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn sync_daemons_start_list_and_stop() {
    let mut ipvs = ipvs();
    let interface = sync_interface();
    let master = DaemonConfig {
        sync_maxlen: Some(1200),
        mcast_group: Some(v4("239.1.2.3")),
        mcast_port: Some(8850),
        mcast_ttl: Some(3),
        ..DaemonConfig::new(DaemonState::Master, interface, 5)
    };
    ipvs.start_daemon(&master).expect("start master");
    assert_eq!(ipvs.daemons().expect("list"), vec![master.clone()]);
    assert_eq!(
        refusal(ipvs.start_daemon(&master)),
        (
            Operation::StartDaemon,
            17,
            "Daemon has already run".to_string()
        )
    );

    let backup = DaemonConfig::new(DaemonState::Backup, interface, 6);
    ipvs.start_daemon(&backup).expect("start backup");
    let daemons = ipvs.daemons().expect("list");
    assert_eq!(daemons.len(), 2, "{daemons:?}");
    assert_eq!(daemons[0], master);
    let listed = &daemons[1];
    assert_eq!(
        (listed.state, listed.mcast_ifname.as_str(), listed.syncid),
        (DaemonState::Backup, interface, 6)
    );
    // What the kernel chose for what was left unsaid.
    assert_eq!(listed.mcast_group, Some(v4("224.0.0.81")));
    assert_eq!(listed.mcast_port, Some(8848));
    assert_eq!(listed.mcast_ttl, Some(1));
    assert!(listed.sync_maxlen.is_some_and(|len| len > 0));

    ipvs.stop_daemon(DaemonState::Master).expect("stop master");
    assert_eq!(
        ipvs.daemons()
            .expect("list")
            .iter()
            .map(|d| d.state)
            .collect::<Vec<_>>(),
        vec![DaemonState::Backup]
    );
    ipvs.stop_daemon(DaemonState::Backup).expect("stop backup");
    assert_eq!(ipvs.daemons().expect("list"), vec![]);
}

/// A veth pair up, its first end with no IPv6 address at all (not even a
/// link-local one).
fn interface_without_ipv6() -> &'static str {
    const NAME: &str = "ipvs-sync6a";
    if !Path::new("/sys/class/net").join(NAME).exists() {
        for args in [
            &[
                "link",
                "add",
                NAME,
                "type",
                "veth",
                "peer",
                "name",
                "ipvs-sync6b",
            ][..],
            &["link", "set", NAME, "addrgenmode", "none"],
            &["link", "set", NAME, "up"],
            &["link", "set", "ipvs-sync6b", "up"],
        ] {
            let output = Command::new("ip").args(args).output().expect("run ip");
            assert!(
                output.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    NAME
}

/// The typed refusal of a daemon request, with the errno and the text
/// the kernel's errno has.
fn daemon_refusal(result: Result<(), IpvsError>) -> (Option<DaemonRefusal>, Option<i32>, String) {
    let error = result.expect_err("a refusal");
    let text = error
        .kernel()
        .map(|k| k.errno_text())
        .unwrap_or_else(|| error.to_string());
    (error.daemon_refusal(), error.errno(), text)
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn sync_daemon_refusals_are_typed_with_the_kernels_errno() {
    let mut ipvs = ipvs();
    let interface = sync_interface();
    let master = DaemonConfig::new(DaemonState::Master, interface, 3);

    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&DaemonConfig::new(DaemonState::Master, "nosuchif0", 1))),
        (
            Some(DaemonRefusal::NoSuchInterface),
            Some(19),
            "No such device".to_string()
        )
    );
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&DaemonConfig::new(DaemonState::Backup, interface, 256))),
        (
            Some(DaemonRefusal::SyncIdOutOfRange(256)),
            None,
            "sync ID 256 is out of range: a sync message carries 0 to 255".to_string()
        )
    );
    let unicast_group = DaemonConfig {
        mcast_group: Some(v4("192.0.2.1")),
        ..master.clone()
    };
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&unicast_group)),
        (
            Some(DaemonRefusal::Invalid),
            Some(22),
            "Invalid argument".to_string()
        )
    );
    let unicast_group6 = DaemonConfig {
        mcast_group: Some(v6("2001:db8::1")),
        ..master.clone()
    };
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&unicast_group6)).0,
        Some(DaemonRefusal::Invalid)
    );
    let unreachable_group6 = DaemonConfig {
        mcast_group: Some(v6("ff02::1:81")),
        ..DaemonConfig::new(DaemonState::Master, "lo", 3)
    };
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&unreachable_group6)),
        (
            Some(DaemonRefusal::GroupUnreachable),
            Some(101),
            "Network is unreachable".to_string()
        )
    );
    assert_eq!(
        daemon_refusal(ipvs.stop_daemon(DaemonState::Backup)),
        (
            Some(DaemonRefusal::NotRunning),
            Some(3),
            "No such process".to_string()
        )
    );
    assert_eq!(ipvs.daemons().expect("list"), vec![], "nothing started");

    // The highest sync ID a message carries, an IPv6 group.
    let backup = DaemonConfig {
        mcast_group: Some(v6("ff02::1:81")),
        ..DaemonConfig::new(DaemonState::Backup, interface, 255)
    };
    ipvs.start_daemon(&master).expect("start master");
    ipvs.start_daemon(&backup)
        .expect("start backup, IPv6 group");
    let listed = ipvs.daemons().expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|d| (d.state, d.syncid, d.mcast_group))
            .collect::<Vec<_>>(),
        vec![
            (DaemonState::Master, 3, Some(v4("224.0.0.81"))),
            (DaemonState::Backup, 255, Some(v6("ff02::1:81")))
        ]
    );
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&master)),
        (
            Some(DaemonRefusal::AlreadyRunning),
            Some(17),
            "File exists".to_string()
        )
    );
    ipvs.stop_daemon(DaemonState::Master).expect("stop master");
    ipvs.stop_daemon(DaemonState::Backup).expect("stop backup");
    // A master sending to an IPv6 group needs an IPv6 address on the
    // interface to send from.
    let master6 = DaemonConfig {
        mcast_group: Some(v6("ff02::1:81")),
        ..DaemonConfig::new(DaemonState::Master, interface_without_ipv6(), 3)
    };
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&master6)),
        (
            Some(DaemonRefusal::NoInterfaceAddress),
            Some(99),
            "Cannot assign requested address".to_string()
        )
    );

    // The sync protocol cannot carry a table mixing the families of a
    // service and its real servers (tunnelled): the kernel refuses to
    // start a daemon then, and to mix them while one runs.
    let key = tcp(v4("192.0.2.140"), 80);
    let mixed = Destination {
        forwarding: Forwarding::Tunnel(Tunnel {
            kind: TunnelKind::Ipip,
            port: 0,
            checksum: TunnelChecksum::None,
        }),
        ..Destination::new(v6("2001:db8::140"), 80)
    };
    ipvs.add_service(&Service::new(key, "rr")).expect("add");
    ipvs.start_daemon(&master).expect("start master");
    assert_eq!(
        refusal(ipvs.add_destination(&key, &mixed)),
        (
            Operation::AddDestination,
            22,
            "Invalid operation.  Possibly wrong module version, address not unicast, ..."
                .to_string()
        )
    );
    ipvs.stop_daemon(DaemonState::Master).expect("stop master");
    ipvs.add_destination(&key, &mixed)
        .expect("add an IPv6 real server to an IPv4 service");
    assert_eq!(
        daemon_refusal(ipvs.start_daemon(&master)).0,
        Some(DaemonRefusal::Invalid)
    );
    ipvs.flush().expect("flush");
    ipvs.start_daemon(&master)
        .expect("start once the table is flushed");
    ipvs.stop_daemon(DaemonState::Master).expect("stop master");
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn a_batch_reports_each_change_and_goes_on_after_a_refusal() {
    let mut ipvs = ipvs();
    let key = tcp(v4("192.0.2.130"), 80);
    let server = Destination::new(v4("10.0.5.1"), 80);
    let zero_mark = ServiceKey::FirewallMark {
        af: AddressFamily::Inet,
        mark: 0,
    };
    let changes = vec![
        Change::AddService(Service::new(key, "rr")),
        Change::AddDestination(key, server.clone()),
        Change::AddDestination(key, server.clone()),
        Change::DeleteService(zero_mark),
        Change::EditService(Service::new(key, "wlc")),
        Change::SetTimeouts(Timeouts::default()),
        Change::Zero(None),
    ];
    let results = ipvs.apply(&changes).expect("apply");
    assert_eq!(results.len(), changes.len());
    assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
    assert_eq!(
        results[2]
            .as_ref()
            .err()
            .and_then(IpvsError::kernel)
            .map(|e| e.to_string()),
        Some("Destination already exists".to_string())
    );
    assert!(
        matches!(results[3], Err(IpvsError::InvalidRequest(_))),
        "{results:?}"
    );
    assert!(results[4..].iter().all(Result::is_ok), "{results:?}");
    assert_eq!(ipvs.service(&key).expect("get").service.scheduler, "wlc");
    assert_eq!(
        destinations_of(ipvs.destinations(&key).expect("list")),
        vec![server]
    );
}

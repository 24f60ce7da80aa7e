//! Building topologies: hosts on LANs reach each other, separate LANs stay
//! separate, names never collide, and everything is gone after a drop.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use ha_lab::{Lab, LabError};

/// Long enough for anything expected to succeed, even on a loaded machine.
const WAIT: Duration = Duration::from_secs(5);

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn netns_exists(name: &str) -> bool {
    Path::new("/run/netns").join(name).exists()
}

fn listed_by_ip_netns(name: &str) -> bool {
    let out = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|line| line.split_whitespace().next() == Some(name))
}

#[test]
fn two_hosts_on_a_lan_ping_and_talk_tcp() -> Result<(), LabError> {
    let lab = Lab::new("two_hosts")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    lab.connect(&b, "eth0", "10.77.0.2/24")?;

    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    assert!(b.ping(ip("10.77.0.1"), WAIT)?);
    // Nobody has .3: no reply.
    assert!(!a.ping(ip("10.77.0.3"), Duration::from_millis(300))?);

    let _server = b.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "B")?;
    assert_eq!(
        a.probe_tcp(([10, 77, 0, 2], 8080), WAIT)?.as_deref(),
        Some("B")
    );
    // A host on no LAN has no way to it.
    let loner = lab.host("loner")?;
    assert_eq!(
        loner.probe_tcp(([10, 77, 0, 2], 8080), Duration::from_millis(200))?,
        None
    );
    Ok(())
}

#[test]
fn ipv6_addresses_work_at_once() -> Result<(), LabError> {
    let lab = Lab::new("ipv6")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    lab.connect(&a, "eth0", "fd77::1/64")?;
    lab.connect(&b, "eth0", "fd77::2/64")?;
    assert!(a.ping(ip("fd77::2"), WAIT)?);
    let _server = b.serve_whoami((ip("::"), 8080), "B6")?;
    assert_eq!(
        a.probe_tcp((ip("fd77::2"), 8080), WAIT)?.as_deref(),
        Some("B6")
    );
    Ok(())
}

#[test]
fn separate_lans_are_separate_media() -> Result<(), LabError> {
    let lab = Lab::new("two_lans")?;
    let red = lab.lan("red")?;
    let blue = lab.lan("blue")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    let c = lab.host("c")?;
    red.connect(&a, "eth0", "10.1.0.1/24")?;
    red.connect(&b, "eth0", "10.1.0.2/24")?;
    blue.connect(&a, "eth1", "10.2.0.1/24")?;
    blue.connect(&c, "eth0", "10.1.0.3/24")?;

    assert!(a.ping(ip("10.1.0.2"), WAIT)?);
    // c sits in red's subnet but on the blue wire: b cannot reach it.
    assert!(!b.ping(ip("10.1.0.3"), Duration::from_millis(300))?);

    // Pulling b's cable on red cuts a from b; plugging it back restores it.
    red.port_down(&b, "eth0")?;
    assert!(!a.ping(ip("10.1.0.2"), Duration::from_millis(300))?);
    red.port_up(&b, "eth0")?;
    let mut back = false;
    for _ in 0..20 {
        if a.ping(ip("10.1.0.2"), Duration::from_millis(250))? {
            back = true;
            break;
        }
    }
    assert!(back);
    Ok(())
}

#[test]
fn names_are_unique_across_concurrent_labs() -> Result<(), LabError> {
    let labs = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| -> Result<(Lab, Vec<String>), LabError> {
                    let lab = Lab::new("same_tag")?;
                    let a = lab.host("a")?;
                    lab.connect(&a, "eth0", "10.77.0.1/24")?;
                    let names = lab.namespaces();
                    Ok((lab, names))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("lab thread panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut all: Vec<&String> = labs.iter().flat_map(|(_, names)| names).collect();
    assert_eq!(all.len(), 8, "each lab has a host and a LAN namespace");
    for name in &all {
        assert!(netns_exists(name), "{name} exists");
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 8, "no name is shared");
    Ok(())
}

#[test]
fn duplicate_and_bad_names_are_refused() -> Result<(), LabError> {
    let lab = Lab::new("bad_names")?;
    let a = lab.host("a")?;
    assert!(matches!(lab.host("a"), Err(LabError::InvalidName { .. })));
    assert!(matches!(lab.lan("a"), Err(LabError::InvalidName { .. })));
    assert!(matches!(lab.host("a/b"), Err(LabError::InvalidName { .. })));
    assert!(matches!(
        lab.connect(&a, "a-very-long-ifname", "10.0.0.1/24"),
        Err(LabError::InvalidName { .. })
    ));
    assert!(matches!(
        lab.connect(&a, "eth0", "10.0.0.1"),
        Err(LabError::InvalidAddress { .. })
    ));
    lab.connect(&a, "eth0", "10.0.0.1/24")?;
    // A second eth0 in the same host is the kernel's to refuse, with its message.
    match lab.connect(&a, "eth0", "10.0.0.2/24") {
        Err(LabError::Command {
            command, stderr, ..
        }) => {
            assert!(command.starts_with("ip -n "), "{command}");
            assert!(!stderr.is_empty());
        }
        other => panic!("expected a command error, got {other:?}"),
    }
    Ok(())
}

#[test]
fn drop_removes_every_namespace() -> Result<(), LabError> {
    let lab = Lab::new("drop")?;
    let a = lab.host("a")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    let names = lab.namespaces();
    assert_eq!(names.len(), 2);
    assert!(names.iter().all(|n| listed_by_ip_netns(n)));
    drop(lab);
    for name in &names {
        assert!(!listed_by_ip_netns(name), "{name} still listed");
        assert!(!netns_exists(name), "{name} still exists");
    }
    Ok(())
}

#[test]
fn close_reports_success_and_removes_everything() -> Result<(), LabError> {
    let lab = Lab::new("close")?;
    lab.host("a")?;
    let names = lab.namespaces();
    lab.close()?;
    assert!(names.iter().all(|n| !netns_exists(n)));
    Ok(())
}

#[test]
fn a_panicking_test_still_removes_its_namespaces() {
    let (sender, receiver) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(move || {
        let lab = Lab::new("panics").expect("lab");
        let a = lab.host("a").expect("host");
        lab.connect(&a, "eth0", "10.77.0.1/24").expect("connect");
        let child = a.spawn({
            let mut sleep = a.command("sleep");
            sleep.arg("600");
            sleep
        });
        let child = child.expect("spawn");
        child.detach();
        sender.send(lab.namespaces()).expect("send");
        panic!("test failure inside the lab");
    });
    assert!(outcome.is_err());
    let names = receiver.recv().expect("names were sent");
    assert_eq!(names.len(), 2);
    for name in &names {
        assert!(!netns_exists(name), "{name} survived the panic");
    }
}

#[test]
fn addresses_are_reported_with_prefix_and_label() -> Result<(), LabError> {
    let lab = Lab::new("addresses")?;
    let a = lab.host("a")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    a.ip(&[
        "addr",
        "add",
        "10.77.0.100/24",
        "dev",
        "eth0",
        "label",
        "eth0:0",
    ])?;
    let found = a.addresses("eth0")?;
    let vip = found
        .iter()
        .find(|x| x.addr == ip("10.77.0.100"))
        .expect("VIP listed");
    assert_eq!(vip.prefix, 24);
    assert_eq!(vip.label.as_deref(), Some("eth0:0"));
    assert!(a.has_address(ip("10.77.0.1"))?);
    assert!(a.has_address(ip("127.0.0.1"))?);
    a.del_address("eth0", "10.77.0.100/24")?;
    assert!(!a.has_address(ip("10.77.0.100"))?);
    assert!(a.addresses("nosuch0").is_err());
    let mac = a.mac("eth0")?;
    assert_eq!(mac.len(), 17, "{mac}");
    Ok(())
}

#[test]
fn neighbour_table_learns_the_peer_mac() -> Result<(), LabError> {
    let lab = Lab::new("neighbour")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    lab.connect(&b, "eth0", "10.77.0.2/24")?;
    assert_eq!(a.neighbour(ip("10.77.0.2"))?, None);
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    assert_eq!(a.neighbour(ip("10.77.0.2"))?, Some(b.mac("eth0")?));
    Ok(())
}

#[test]
fn handles_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Lab>();
    shareable::<ha_lab::Host>();
    shareable::<ha_lab::Lan>();
    shareable::<ha_lab::LabChild>();
    shareable::<ha_lab::Responder>();
    shareable::<ha_lab::Watcher>();
    shareable::<LabError>();
}

#[test]
fn broadcast_and_multicast_cross_the_lan() -> Result<(), LabError> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::{SocketAddr, UdpSocket};

    let lab = Lab::new("bcast_mcast")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    let c = lab.host("c")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    lab.connect(&b, "eth0", "10.77.0.2/24")?;
    lab.connect(&c, "eth0", "10.77.0.3/24")?;
    let group = Ipv4Addr::new(239, 77, 0, 1);
    let io = |context: &str| {
        let context = context.to_string();
        move |source| LabError::Io { context, source }
    };

    let receiver = |host: &ha_lab::Host, own: Ipv4Addr| -> Result<UdpSocket, LabError> {
        let socket = host
            .run_in(|| UdpSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 7100))))?
            .map_err(io("bind receiver"))?;
        socket.join_multicast_v4(&group, &own).map_err(io("join"))?;
        socket.set_read_timeout(Some(WAIT)).map_err(io("timeout"))?;
        Ok(socket)
    };
    let at_a = receiver(&a, Ipv4Addr::new(10, 77, 0, 1))?;
    let at_c = receiver(&c, Ipv4Addr::new(10, 77, 0, 3))?;

    let sender = b
        .run_in(|| Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)))?
        .map_err(io("sender"))?;
    sender.set_broadcast(true).map_err(io("broadcast"))?;
    sender
        .set_multicast_if_v4(&Ipv4Addr::new(10, 77, 0, 2))
        .map_err(io("multicast if"))?;
    let sender: UdpSocket = sender.into();
    for (payload, to) in [
        (&b"bcast"[..], Ipv4Addr::new(10, 77, 0, 255)),
        (b"mcast", group),
    ] {
        sender
            .send_to(payload, SocketAddr::from((to, 7100)))
            .map_err(io("send"))?;
        for socket in [&at_a, &at_c] {
            let mut buf = [0u8; 16];
            let n = socket.recv(&mut buf).map_err(io("receive"))?;
            assert_eq!(buf.get(..n), Some(payload));
        }
    }
    Ok(())
}

#[test]
fn ipv6_link_local_addresses_are_usable_at_once() -> Result<(), LabError> {
    let lab = Lab::new("link_local")?;
    let a = lab.host("a")?;
    lab.connect(&a, "eth0", "")?;
    let link_local = a
        .addresses("eth0")?
        .into_iter()
        .find(|x| matches!(x.addr, IpAddr::V6(v6) if v6.segments()[0] == 0xfe80))
        .expect("a link-local address");
    let out = a.ip(&["-o", "addr", "show", "dev", "eth0"])?;
    assert!(!out.contains("tentative"), "{out}");
    assert_eq!(link_local.prefix, 64);
    Ok(())
}

#[test]
fn link_state_follows_both_ends_of_the_cable() -> Result<(), LabError> {
    let lab = Lab::new("link_state")?;
    let a = lab.host("a")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    let lan = lab.default_lan()?;
    assert_eq!(a.link_state("eth0")?, "UP");
    lan.port_down(&a, "eth0")?;
    assert_ne!(a.link_state("eth0")?, "UP");
    lan.port_up(&a, "eth0")?;
    assert_eq!(a.link_state("eth0")?, "UP");
    a.link_down("eth0")?;
    assert_eq!(a.link_state("eth0")?, "DOWN");
    // Plugging in a cable whose host end is down does not wait for it.
    lan.port_down(&a, "eth0")?;
    lan.port_up(&a, "eth0")?;
    a.link_up("eth0")?;
    a.wait_link_up("eth0", WAIT)?;
    assert!(matches!(
        a.wait_link_up("nosuch0", WAIT),
        Err(LabError::Command { .. })
    ));
    Ok(())
}

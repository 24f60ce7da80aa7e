//! The native IPsrcaddr, SendArp, Delay and IPv6addr agents against real
//! kernels (ha-lab namespaces), each compared with what resource-agents'
//! own OCF agent does to the same host state: the routing table after
//! IPsrcaddr's start and stop, the ARP frames a peer sees from SendArp,
//! the IPv6 address and the neighbour advertisements from IPv6addr, and
//! how long Delay's actions take.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ha_lab::{Host, Lab};
use ha_resources::group::{Group, GroupError};
use ha_resources::haresources::parse_haresources;
use ha_resources::{build_agent, ActionTimeouts, Agent, AgentErrorKind, Health, Resolver};

use common::netns::{block_on_in, capture};

const OCF_ROOT: &str = "/usr/lib/ocf";

/// The agent for one haresources word, as ha-node builds it, checking
/// that it is served natively.
fn native_agent(word: &str) -> Arc<dyn Agent> {
    let source = ha_conf::Source::new("haresources", format!("node {word}\n"));
    let parsed = parse_haresources(&source).expect("test resource parses");
    let spec = &parsed.groups[0].resources[0];
    let resolved = Resolver::default().resolve(spec).expect("resolves");
    assert!(
        resolved.describe().starts_with("native "),
        "{word}: {}",
        resolved.describe()
    );
    build_agent(spec, &Resolver::default(), ActionTimeouts::default()).expect("builds")
}

/// A scratch `HA_RSCTMP` for the OCF agents' state files, removed on drop.
struct RscTmp(PathBuf);

impl Drop for RscTmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rsc_tmp(tag: &str) -> RscTmp {
    let dir = std::env::temp_dir().join(format!("ha-native-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("rsctmp");
    RscTmp(dir)
}

/// Runs resource-agents' `agent` `action` inside `host` with `params`;
/// its exit code and how long it took.
fn ocf(
    host: &Host,
    agent: &str,
    action: &str,
    params: &[(&str, &str)],
    tmp: &RscTmp,
) -> (i32, Duration) {
    let mut command = host.command(format!("{OCF_ROOT}/resource.d/heartbeat/{agent}"));
    command
        .arg(action)
        .env("OCF_ROOT", OCF_ROOT)
        .env("HA_RSCTMP", &tmp.0)
        .env("OCF_RESOURCE_INSTANCE", format!("{agent}_test"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (name, value) in params {
        command.env(format!("OCF_RESKEY_{name}"), value);
    }
    let began = Instant::now();
    let status = command.status().expect("run the OCF agent");
    (status.code().unwrap_or(-1), began.elapsed())
}

fn routes(host: &Host) -> String {
    host.ip(&["-j", "route", "show", "table", "main"])
        .expect("ip route")
}

fn twin(lab: &Lab, name: &str) -> Host {
    let host = lab.host(name).expect("host");
    lab.lan(&format!("{name}lan"))
        .expect("lan")
        .connect(&host, "eth0", "10.77.1.1/24")
        .expect("eth0");
    host.ip(&["route", "add", "default", "via", "10.77.1.254"])
        .expect("default route");
    host.add_address("eth0", "10.77.1.100/24").expect("VIP");
    host
}

#[test]
fn ipsrcaddr_changes_the_routes_as_the_ocf_agent_does() {
    let lab = Lab::new("ipsrcaddr").expect("lab (needs root)");
    let native = twin(&lab, "native");
    let real = twin(&lab, "ocf");
    let tmp = rsc_tmp("ipsrcaddr");
    assert_eq!(routes(&native), routes(&real), "twins start alike");

    let (health_before, started, health_after, start_ms) = block_on_in(&native, || async {
        let agent = native_agent("IPsrcaddr::10.77.1.100");
        let before = agent.monitor().await.expect("monitor");
        let began = Instant::now();
        let started = agent.start().await.map_err(|e| e.to_string());
        let took = began.elapsed();
        (
            before,
            started,
            agent.monitor().await.expect("monitor"),
            took,
        )
    });
    let (rc, ocf_took) = ocf(
        &real,
        "IPsrcaddr",
        "start",
        &[("ipaddress", "10.77.1.100")],
        &tmp,
    );
    eprintln!(
        "IPsrcaddr start: native {} µs, OCF {} ms",
        start_ms.as_micros(),
        ocf_took.as_millis()
    );
    assert_eq!((health_before, started, rc), (Health::Stopped, Ok(()), 0));
    assert_eq!(health_after, Health::Running);
    let after_start = routes(&native);
    assert!(
        after_start.contains(r#""prefsrc":"10.77.1.100""#),
        "{after_start}"
    );
    assert_eq!(after_start, routes(&real), "after start");
    let (monitor_rc, _) = ocf(
        &real,
        "IPsrcaddr",
        "monitor",
        &[("ipaddress", "10.77.1.100")],
        &tmp,
    );
    assert_eq!(monitor_rc, 0);

    let (stopped, stopped_again, health) = block_on_in(&native, || async {
        let agent = native_agent("IPsrcaddr::10.77.1.100");
        let first = agent.stop().await.map_err(|e| e.to_string());
        let second = agent.stop().await.map_err(|e| e.to_string());
        (first, second, agent.monitor().await.expect("monitor"))
    });
    let (rc, _) = ocf(
        &real,
        "IPsrcaddr",
        "stop",
        &[("ipaddress", "10.77.1.100")],
        &tmp,
    );
    let (rc_again, _) = ocf(
        &real,
        "IPsrcaddr",
        "stop",
        &[("ipaddress", "10.77.1.100")],
        &tmp,
    );
    eprintln!("IPsrcaddr: the OCF agent's second stop exits {rc_again}");
    assert_eq!((stopped, stopped_again, rc), (Ok(()), Ok(()), 0));
    assert_eq!(health, Health::Stopped);
    let after_stop = routes(&native);
    assert!(!after_stop.contains("10.77.1.100"), "{after_stop}");
    assert_eq!(after_stop, routes(&real), "after stop");

    // An address not configured here: the same class of error.
    let missing = block_on_in(&native, || async {
        native_agent("IPsrcaddr::10.77.1.150")
            .start()
            .await
            .expect_err("not here")
    });
    let (rc, _) = ocf(
        &real,
        "IPsrcaddr",
        "start",
        &[("ipaddress", "10.77.1.150")],
        &tmp,
    );
    assert!(
        matches!(missing.kind, AgentErrorKind::NotAvailable(_)),
        "{missing}"
    );
    assert_eq!(rc, 5, "OCF_ERR_INSTALLED, 'not installed on this node'");
    assert_eq!(routes(&native), routes(&real));
}

fn two_hosts(tag: &str) -> (Lab, Host, Host) {
    let lab = Lab::new(tag).expect("lab (needs root)");
    let node = lab.host("node").expect("host node");
    let peer = lab.host("peer").expect("host peer");
    lab.connect(&node, "eth0", "10.77.1.1/24").expect("node");
    lab.connect(&peer, "eth0", "10.77.1.2/24").expect("peer");
    (lab, node, peer)
}

/// `(op, at)` of the ARP frames announcing `address` (sender = target).
fn arp_for(frames: &[(Vec<u8>, Instant)], address: Ipv4Addr) -> Vec<(u16, Instant)> {
    frames
        .iter()
        .filter(|(f, _)| {
            f.len() >= 28 && f[14..18] == address.octets() && f[24..28] == address.octets()
        })
        .map(|(f, at)| (u16::from_be_bytes([f[6], f[7]]), *at))
        .collect()
}

fn spread<T>(seen: &[(T, Instant)]) -> Duration {
    match (seen.first(), seen.last()) {
        (Some(first), Some(last)) => last.1.duration_since(first.1),
        _ => Duration::ZERO,
    }
}

#[test]
fn sendarp_announces_as_the_ocf_agent_does() {
    let (_lab, node, peer) = two_hosts("sendarp");
    let tmp = rsc_tmp("sendarp");
    let native_vip = Ipv4Addr::new(10, 77, 1, 50);
    let ocf_vip = Ipv4Addr::new(10, 77, 1, 51);
    let (frames, (before, after, start_ms, stopped)) = std::thread::scope(|scope| {
        let capture = scope.spawn(|| capture(&peer, 0x0806, Duration::from_millis(4000)));
        std::thread::sleep(Duration::from_millis(300));
        let outcome = block_on_in(&node, || async {
            let agent = native_agent(&format!("SendArp::{native_vip}/eth0"));
            let before = agent.monitor().await.expect("monitor");
            let began = Instant::now();
            agent.start().await.expect("start");
            let took = began.elapsed();
            let after = agent.monitor().await.expect("monitor");
            tokio::time::sleep(Duration::from_millis(1200)).await;
            agent.stop().await.expect("stop");
            (before, after, took, agent.monitor().await.expect("monitor"))
        });
        let params = [("ip", "10.77.1.51"), ("nic", "eth0")];
        let (rc, ocf_took) = ocf(&node, "SendArp", "start", &params, &tmp);
        assert_eq!(rc, 0);
        let (monitor_rc, _) = ocf(&node, "SendArp", "monitor", &params, &tmp);
        assert_eq!(monitor_rc, 0);
        eprintln!(
            "SendArp start: native {} µs, OCF {} ms",
            outcome.2.as_micros(),
            ocf_took.as_millis()
        );
        std::thread::sleep(Duration::from_millis(1500));
        let (stop_rc, _) = ocf(&node, "SendArp", "stop", &params, &tmp);
        let (stopped_rc, _) = ocf(&node, "SendArp", "monitor", &params, &tmp);
        assert_eq!((stop_rc, stopped_rc), (0, 7));
        (capture.join().expect("capture"), outcome)
    });
    assert_eq!(
        (before, after, stopped),
        (Health::Stopped, Health::Running, Health::Stopped)
    );
    assert!(
        start_ms < Duration::from_millis(200),
        "background rounds: {start_ms:?}"
    );
    let ours = arp_for(&frames, native_vip);
    let theirs = arp_for(&frames, ocf_vip);
    let ops = |seen: &[(u16, Instant)]| {
        (
            seen.iter().filter(|(op, _)| *op == 1).count(),
            seen.iter().filter(|(op, _)| *op == 2).count(),
        )
    };
    eprintln!(
        "SendArp frames (requests, replies): native {:?} over {:?}, OCF {:?} over {:?}",
        ops(&ours),
        spread(&ours),
        ops(&theirs),
        spread(&theirs)
    );
    assert_eq!(ops(&ours), ops(&theirs), "the same frames");
    let (native_spread, ocf_spread) = (spread(&ours), spread(&theirs));
    assert!(
        native_spread.abs_diff(ocf_spread) < Duration::from_millis(400),
        "5 rounds 200 ms apart: native {native_spread:?}, OCF {ocf_spread:?}"
    );
}

/// `(target, at)` of the neighbour advertisements among IPv6 packets.
fn advertisements(frames: &[(Vec<u8>, Instant)]) -> Vec<(Ipv6Addr, u8, Instant)> {
    frames
        .iter()
        .filter(|(p, _)| p.len() >= 64 && p[6] == 58 && p[40] == 136)
        .map(|(p, at)| {
            let target: [u8; 16] = p[48..64].try_into().expect("16 bytes");
            (Ipv6Addr::from(target), p[44], *at)
        })
        .collect()
}

/// `(prefixlen, flags)` of `address` in `ip -j -6 addr show dev eth0`.
fn ipv6_entry(host: &Host, address: &str) -> Option<String> {
    let text = host
        .ip(&["-o", "-6", "addr", "show", "dev", "eth0"])
        .expect("ip addr");
    text.lines()
        .find(|line| line.contains(&format!(" {address}/")))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "inet6").expect("inet6");
            let prefix = words[at + 1].split_once('/').expect("prefix").1;
            let flags: Vec<&str> = words[at + 2..]
                .iter()
                .take_while(|w| !w.starts_with("valid_lft") && **w != "\\")
                .copied()
                .collect();
            format!("/{prefix} {}", flags.join(" "))
        })
}

#[test]
fn ipv6addr_adds_and_advertises_as_the_ocf_agent_does() {
    let (_lab, node, peer) = two_hosts("ipv6addr");
    node.add_address("eth0", "2001:db8:77::1/64")
        .expect("node v6");
    peer.add_address("eth0", "2001:db8:77::2/64")
        .expect("peer v6");
    node.ip(&["link", "set", "lo", "up"]).expect("lo up");
    // Duplicate address detection as on a real host (the lab turns it off).
    node.sysctl("net.ipv6.conf.eth0.accept_dad", "1")
        .expect("DAD on");
    let tmp = rsc_tmp("ipv6addr");
    let (frames, (health, start_ms, ocf_ms)) = std::thread::scope(|scope| {
        let capture = scope.spawn(|| capture(&peer, 0x86dd, Duration::from_millis(15_000)));
        std::thread::sleep(Duration::from_millis(300));
        let (health, took) = block_on_in(&node, || async {
            let agent = native_agent("IPv6addr::2001:db8:77:0:0:0:0:10");
            let began = Instant::now();
            agent.start().await.expect("start");
            let took = began.elapsed();
            let health = agent.monitor().await.expect("monitor");
            tokio::time::sleep(Duration::from_millis(4500)).await;
            (health, took)
        });
        let (rc, ocf_took) = ocf(
            &node,
            "IPv6addr",
            "start",
            &[("ipv6addr", "2001:db8:77::20")],
            &tmp,
        );
        assert_eq!(rc, 0);
        (capture.join().expect("capture"), (health, took, ocf_took))
    });
    eprintln!(
        "IPv6addr start: native {} ms, OCF {} ms",
        start_ms.as_millis(),
        ocf_ms.as_millis()
    );
    assert_eq!(health, Health::Running);
    let ours = ipv6_entry(&node, "2001:db8:77::10").expect("native address present");
    let theirs = ipv6_entry(&node, "2001:db8:77::20").expect("OCF address present");
    assert_eq!(ours, theirs, "same prefix and flags");
    assert!(ours.starts_with("/64"), "{ours}");
    let native_ip: Ipv6Addr = "2001:db8:77::10".parse().expect("v6");
    let ocf_ip: Ipv6Addr = "2001:db8:77::20".parse().expect("v6");
    let seen = advertisements(&frames);
    let of = |target: Ipv6Addr| -> Vec<(u8, Instant)> {
        seen.iter()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, flags, at)| (*flags, *at))
            .collect()
    };
    let (native_na, ocf_na) = (of(native_ip), of(ocf_ip));
    eprintln!(
        "neighbour advertisements: native {} over {:?}, OCF {} over {:?}",
        native_na.len(),
        spread(&native_na),
        ocf_na.len(),
        spread(&ocf_na)
    );
    assert_eq!(native_na.len(), ocf_na.len());
    assert_eq!(native_na.len(), 5);
    assert!(
        native_na
            .iter()
            .chain(&ocf_na)
            .all(|(flags, _)| *flags == 0x20),
        "override only"
    );
    assert!(spread(&native_na).abs_diff(spread(&ocf_na)) < Duration::from_millis(600));

    let (stopped, health) = block_on_in(&node, || async {
        let agent = native_agent("IPv6addr::2001:db8:77:0:0:0:0:10");
        let stopped = agent.stop().await.map_err(|e| e.to_string());
        (stopped, agent.monitor().await.expect("monitor"))
    });
    let (rc, _) = ocf(
        &node,
        "IPv6addr",
        "stop",
        &[("ipv6addr", "2001:db8:77::20")],
        &tmp,
    );
    assert_eq!((stopped, health, rc), (Ok(()), Health::Stopped, 0));
    assert_eq!(ipv6_entry(&node, "2001:db8:77::10"), None);
    assert_eq!(ipv6_entry(&node, "2001:db8:77::20"), None);

    // An address the peer already holds: duplicate address detection
    // fails the start, and the address does not stay.
    peer.add_address("eth0", "2001:db8:77::30/64")
        .expect("peer holds ::30");
    let (failed, took) = block_on_in(&node, || async {
        let began = Instant::now();
        let failed = native_agent("IPv6addr::2001:db8:77:0:0:0:0:30")
            .start()
            .await
            .expect_err("duplicate");
        (failed.to_string(), began.elapsed())
    });
    let (rc, ocf_took) = ocf(
        &node,
        "IPv6addr",
        "start",
        &[("ipv6addr", "2001:db8:77::30")],
        &tmp,
    );
    eprintln!(
        "IPv6addr start of a duplicate: native fails in {} ms, OCF exits {rc} in {} ms",
        took.as_millis(),
        ocf_took.as_millis()
    );
    assert!(
        failed.contains("duplicate address detection failed"),
        "{failed}"
    );
    // The OCF agent reports success and leaves the duplicate configured,
    // marked by the kernel (a difference: the native start fails).
    let left = ipv6_entry(&node, "2001:db8:77::30");
    eprintln!("the OCF agent leaves {left:?}");
    assert_eq!(rc, 0);
    assert!(left.is_some_and(|entry| entry.contains("dadfailed")));
    let (rc, _) = ocf(
        &node,
        "IPv6addr",
        "stop",
        &[("ipv6addr", "2001:db8:77::30")],
        &tmp,
    );
    assert_eq!(rc, 0);
    assert_eq!(ipv6_entry(&node, "2001:db8:77::30"), None);
}

#[test]
fn delay_takes_its_time_like_the_ocf_agent_and_fails_past_its_timeout() {
    let tmp = rsc_tmp("delay");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let word = "ocf:heartbeat:Delay::startdelay=1::stopdelay=0.5::mondelay=0";
    let (start, running, stop, stopped) = runtime.block_on(async {
        let agent = native_agent(word);
        let began = Instant::now();
        agent.start().await.expect("start");
        let start = began.elapsed();
        let running = agent.monitor().await.expect("monitor");
        let began = Instant::now();
        agent.stop().await.expect("stop");
        (
            start,
            running,
            began.elapsed(),
            agent.monitor().await.expect("monitor"),
        )
    });
    let params = [("startdelay", "1"), ("stopdelay", "0.5"), ("mondelay", "0")];
    let lab = Lab::new("delay").expect("lab (needs root)");
    let host = lab.host("h").expect("host");
    let (rc_start, ocf_start) = ocf(&host, "Delay", "start", &params, &tmp);
    let (rc_running, _) = ocf(&host, "Delay", "monitor", &params, &tmp);
    let (rc_stop, ocf_stop) = ocf(&host, "Delay", "stop", &params, &tmp);
    let (rc_stopped, _) = ocf(&host, "Delay", "monitor", &params, &tmp);
    eprintln!(
        "Delay start 1 s: native {} ms, OCF {} ms; stop 0.5 s: native {} ms, OCF {} ms",
        start.as_millis(),
        ocf_start.as_millis(),
        stop.as_millis(),
        ocf_stop.as_millis()
    );
    assert_eq!((rc_start, rc_running, rc_stop, rc_stopped), (0, 0, 0, 7));
    assert_eq!((running, stopped), (Health::Running, Health::Stopped));
    for took in [start, ocf_start] {
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
    for took in [stop, ocf_stop] {
        assert!(
            took >= Duration::from_millis(500) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }

    // A start delay past the start timeout fails the start, and the sleep
    // runs in the action's own future: other tasks go on meanwhile.
    let error = runtime.block_on(async {
        let ticks = tokio::spawn(async {
            let mut count = 0;
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                count += 1;
            }
            count
        });
        let mut group =
            Group::new("g", vec![native_agent("Delay::3")]).with_timeouts(ActionTimeouts {
                start: Duration::from_millis(300),
                ..ActionTimeouts::default()
            });
        let error = group.start().await.expect_err("past its timeout");
        assert_eq!(ticks.await.expect("ticks"), 10);
        error
    });
    match error {
        GroupError::StartFailed { failure, .. } => {
            assert!(failure.to_string().contains("timed out"), "{failure}")
        }
        other => panic!("unexpected {other:?}"),
    }
}

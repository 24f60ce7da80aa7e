//! The native IPaddr / IPaddr2 agent against real kernels: hosts are network
//! namespaces on a bridged LAN (ha-lab). Proves the address, prefix,
//! broadcast and label it adds, the gratuitous ARP a peer receives, stop,
//! monitor, idempotence, clear errors, and a group rolled back for real.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ha_lab::{Host, Lab};
use ha_resources::group::{Group, GroupError, Rollback};
use ha_resources::haresources::parse_haresources;
use ha_resources::{
    build_agent, ActionTimeouts, Agent, AgentErrorKind, ArpSchedule, Health, IpAddrAgent,
    IpAddrSpec, IpAddrStyle, NativeSpec, Resolved, Resolver,
};

use common::netns::{block_on_in, capture};

const ETH_P_ARP: u16 = 0x0806;

/// The agent for one haresources word, as ha-node builds it.
fn agent_for(word: &str) -> IpAddrAgent {
    let source = ha_conf::Source::new("haresources", format!("node {word}\n"));
    let parsed = parse_haresources(&source).expect("test resource parses");
    match Resolver::default().resolve(&parsed.groups[0].resources[0]) {
        Ok(Resolved::Native(NativeSpec::IpAddr(spec))) => IpAddrAgent::new(word, spec),
        other => panic!("not an IP resource: {other:?}"),
    }
}

/// `(prefix, broadcast, label)` of `address` on `ifname`, from `ip -o -4 addr`.
fn address_line(
    host: &Host,
    ifname: &str,
    address: Ipv4Addr,
) -> Option<(u8, Option<String>, String)> {
    let text = host
        .ip(&["-o", "-4", "addr", "show", "dev", ifname])
        .expect("ip addr show");
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "inet")?;
        let (addr, prefix) = words.get(at + 1)?.split_once('/')?;
        if addr != address.to_string() {
            return None;
        }
        let broadcast = words
            .iter()
            .position(|w| *w == "brd")
            .and_then(|i| words.get(i + 1))
            .map(|b| b.to_string());
        // The label is the last word before "valid_lft" (or the line end).
        let end = words
            .iter()
            .position(|w| *w == "valid_lft")
            .unwrap_or(words.len());
        let label = words
            .get(end.checked_sub(1)?)?
            .trim_end_matches('\\')
            .to_string();
        Some((prefix.parse().ok()?, broadcast, label))
    })
}

/// ARP payloads seen in `host` for `duration`: `(op, sender mac, sender ip, target ip, at)`.
type Arp = (u16, [u8; 6], Ipv4Addr, Ipv4Addr, Instant);

fn capture_arp(host: &Host, duration: Duration) -> Vec<Arp> {
    capture(host, ETH_P_ARP, duration)
        .into_iter()
        .filter(|(bytes, _)| bytes.len() >= 28 && bytes[4] == 6 && bytes[5] == 4)
        .map(|(bytes, at)| {
            let mut mac = [0u8; 6];
            mac.copy_from_slice(&bytes[8..14]);
            let ip =
                |at: usize| Ipv4Addr::new(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
            (
                u16::from_be_bytes([bytes[6], bytes[7]]),
                mac,
                ip(14),
                ip(24),
                at,
            )
        })
        .collect()
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn two_hosts(tag: &str) -> (Lab, Host, Host) {
    let lab = Lab::new(tag).expect("lab (needs root)");
    let node = lab.host("node").expect("host node");
    let peer = lab.host("peer").expect("host peer");
    lab.connect(&node, "eth0", "10.77.1.1/24")
        .expect("node on LAN");
    lab.connect(&peer, "eth0", "10.77.1.2/24")
        .expect("peer on LAN");
    (lab, node, peer)
}

#[test]
fn ipaddr_start_adds_an_alias_announces_it_and_stop_removes_it() {
    let (_lab, node, peer) = two_hosts("ipaddr_start");
    for key in [
        "net.ipv4.conf.all.arp_accept",
        "net.ipv4.conf.eth0.arp_accept",
    ] {
        peer.sysctl(key, "1").expect("arp_accept on the peer");
    }
    let vip = Ipv4Addr::new(10, 77, 1, 100);
    let node_mac = node.mac("eth0").expect("node MAC");
    assert_eq!(peer.neighbour(IpAddr::V4(vip)).expect("neigh"), None);

    let (captured, (returned_after, first_health, after_health, second_start)) =
        std::thread::scope(|scope| {
            let capture = scope.spawn(|| capture_arp(&peer, Duration::from_millis(3500)));
            std::thread::sleep(Duration::from_millis(300)); // let the capture start
            let outcome = block_on_in(&node, || async {
                let agent = agent_for(&vip.to_string());
                let before = agent.monitor().await.expect("monitor");
                let began = Instant::now();
                agent.start().await.expect("start");
                let returned_after = began.elapsed();
                let after = agent.monitor().await.expect("monitor");
                // Stay up while the background task sends the other rounds.
                tokio::time::sleep(Duration::from_millis(2500)).await;
                let again = agent.start().await.map_err(|e| e.to_string());
                (returned_after, before, after, again)
            });
            (capture.join().expect("capture thread"), outcome)
        });

    assert_eq!(first_health, Health::Stopped);
    assert_eq!(after_health, Health::Running);
    assert_eq!(second_start, Ok(()), "starting a started address succeeds");
    assert!(
        returned_after < ArpSchedule::default().interval,
        "start returned after {returned_after:?}, before the second ARP round"
    );
    // As IPaddr does: the subnet's prefix and broadcast, first free alias.
    assert_eq!(
        address_line(&node, "eth0", vip),
        Some((24, Some("10.77.1.255".to_string()), "eth0:0".to_string()))
    );

    // The peer saw send_arp's 5 rounds of request + reply from our MAC.
    let ours: Vec<&Arp> = captured
        .iter()
        .filter(|(_, mac, sender, target, _)| {
            mac_text(*mac) == node_mac && *sender == vip && *target == vip
        })
        .collect();
    let requests = ours.iter().filter(|a| a.0 == 1).count();
    let replies = ours.iter().filter(|a| a.0 == 2).count();
    assert_eq!((requests, replies), (5, 5), "captured {captured:?}");
    let spread = ours[ours.len() - 1].4.duration_since(ours[0].4);
    assert!(
        spread >= Duration::from_millis(700) && spread < Duration::from_millis(2000),
        "5 rounds 200 ms apart span about 800 ms, not {spread:?}"
    );
    // And its neighbour table learned the address at our MAC.
    assert_eq!(
        peer.neighbour(IpAddr::V4(vip)).expect("neigh"),
        Some(node_mac)
    );

    let (stopped, stopped_again, health) = block_on_in(&node, || async {
        let agent = agent_for(&vip.to_string());
        let first = agent.stop().await.map_err(|e| e.to_string());
        let second = agent.stop().await.map_err(|e| e.to_string());
        (first, second, agent.monitor().await.expect("monitor"))
    });
    assert_eq!((stopped, stopped_again), (Ok(()), Ok(())));
    assert_eq!(health, Health::Stopped);
    assert_eq!(address_line(&node, "eth0", vip), None);
    assert!(node
        .has_address(IpAddr::V4(Ipv4Addr::new(10, 77, 1, 1)))
        .expect("addrs"));
}

#[test]
fn ipaddr2_uses_given_prefix_label_and_broadcast_and_ipaddr_takes_the_next_alias() {
    let (_lab, node, _peer) = two_hosts("ipaddr2_fields");
    let results = block_on_in(&node, || async {
        let labelled = agent_for("IPaddr2::10.77.1.200/28/eth0:web/10.77.1.207");
        let plain = agent_for("IPaddr2::10.77.1.21");
        let first_alias = agent_for("IPaddr::10.77.1.202/24");
        let second_alias = agent_for("IPaddr::10.77.1.203/27/eth0");
        let mut out = Vec::new();
        for agent in [&labelled, &plain, &first_alias, &second_alias] {
            out.push(agent.start().await.map_err(|e| e.to_string()));
        }
        out
    });
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let expect = |prefix: u8, broadcast: &str, label: &str| {
        Some((prefix, Some(broadcast.to_string()), label.to_string()))
    };
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 200)),
        expect(28, "10.77.1.207", "eth0:web")
    );
    // IPaddr2 without a label: the kernel's default label, the interface name;
    // without a prefix: that of the subnet holding it (10.77.1.0/24, since
    // 10.77.1.21 lies outside the /28 just added).
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 21)),
        expect(24, "10.77.1.255", "eth0")
    );
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 202)),
        expect(24, "10.77.1.255", "eth0:0")
    );
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 203)),
        expect(27, "10.77.1.223", "eth0:1")
    );
}

#[test]
fn missing_interface_and_foreign_subnet_are_clear_errors() {
    let (_lab, node, _peer) = two_hosts("ipaddr_missing");
    let (missing, missing_health, missing_stop, foreign) = block_on_in(&node, || async {
        let absent = agent_for("IPaddr::10.77.1.100/24/eth9");
        let started = absent.start().await.expect_err("no eth9");
        let kind_ok = matches!(started.kind, AgentErrorKind::NotAvailable(_));
        let health = absent.monitor().await.expect("monitor");
        let stop = absent.stop().await.map_err(|e| e.to_string());
        let elsewhere = agent_for("IPaddr::192.168.50.5");
        let foreign = elsewhere.start().await.expect_err("no subnet").to_string();
        ((started.to_string(), kind_ok), health, stop, foreign)
    });
    assert_eq!(
        missing,
        (
            "IPaddr::10.77.1.100/24/eth9: not available on this node: interface eth9 does not exist".to_string(),
            true
        )
    );
    assert_eq!(missing_health, Health::Stopped);
    assert_eq!(
        missing_stop,
        Ok(()),
        "stopping what cannot be there succeeds"
    );
    assert!(
        foreign.contains("no interface has an IPv4 subnet containing 192.168.50.5"),
        "{foreign}"
    );
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 100)),
        None
    );
}

#[test]
fn monitor_and_start_notice_the_address_on_another_interface() {
    let (lab, node, _peer) = two_hosts("ipaddr_elsewhere");
    let other = lab.lan("other").expect("second LAN");
    other.connect(&node, "eth1", "10.88.0.1/24").expect("eth1");
    node.add_address("eth1", "10.77.1.150/32")
        .expect("stray address");
    let (health, start) = block_on_in(&node, || async {
        let agent = agent_for("IPaddr2::10.77.1.150/24/eth0");
        let health = agent.monitor().await.expect("monitor");
        (health, agent.start().await.map_err(|e| e.to_string()))
    });
    assert_eq!(
        health,
        Health::Failed("10.77.1.150 is on eth1 instead of eth0".to_string())
    );
    assert_eq!(
        start,
        Err(
            "IPaddr2::10.77.1.150/24/eth0: 10.77.1.150 is already configured on eth1, not on eth0"
                .to_string()
        )
    );
    assert_eq!(
        address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, 150)),
        None
    );
}

#[test]
fn a_failing_group_is_rolled_back_on_the_real_interface() {
    let (_lab, node, _peer) = two_hosts("ipaddr_group");
    let source = ha_conf::Source::new(
        "haresources",
        "node IPaddr2::10.77.1.180/24/eth0 10.77.1.181 IPaddr::10.77.1.182/24/eth7\n",
    );
    let parsed = parse_haresources(&source).expect("parses");
    let spec = &parsed.groups[0];
    let (during, error) = block_on_in(&node, || async {
        let agents: Vec<Arc<dyn Agent>> = spec
            .resources
            .iter()
            .map(|r| {
                build_agent(r, &Resolver::default(), ActionTimeouts::default())
                    .expect("IP agents build")
            })
            .collect();
        let mut group = Group::new(spec.id(), agents);
        let error = group.start().await.expect_err("eth7 is missing");
        (group.monitor().await.map_err(|e| e.to_string()), error)
    });
    match &error {
        GroupError::StartFailed {
            failure, rollback, ..
        } => {
            assert_eq!(failure.resource, "IPaddr::10.77.1.182/24/eth7");
            assert!(
                matches!(rollback, Rollback::Clean { stopped: 3 }),
                "{rollback:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(during.is_err(), "nothing runs after the rollback");
    for last in [180, 181, 182] {
        assert_eq!(
            address_line(&node, "eth0", Ipv4Addr::new(10, 77, 1, last)),
            None
        );
    }
}

#[test]
fn a_spec_built_by_hand_is_validated() {
    let agent = IpAddrAgent::new(
        "IPaddr2::10.0.0.1",
        IpAddrSpec {
            style: IpAddrStyle::IPaddr2,
            address: Ipv4Addr::new(10, 0, 0, 1),
            prefix: Some(40),
            interface: None,
            label: None,
            broadcast: None,
            arp: ha_net::arp::ArpSchedule::default(),
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let error = runtime.block_on(agent.validate()).expect_err("prefix 40");
    assert_eq!(
        error.to_string(),
        "IPaddr2::10.0.0.1: invalid configuration: prefix length 40 is not within 1-32"
    );
    assert!(agent
        .meta_data()
        .contains(r#"<resource-agent name="IPaddr2""#));
}

#[test]
fn the_ocf_form_sets_the_gratuitous_arp_count_and_interval() {
    let (_lab, node, peer) = two_hosts("ipaddr_arp");
    let vip = Ipv4Addr::new(10, 77, 1, 101);
    let node_mac = node.mac("eth0").expect("node MAC");
    let word = format!(
        "ocf:heartbeat:IPaddr2::ip={vip}::cidr_netmask=24::nic=eth0::arp_count=3::arp_interval=100"
    );
    let captured = std::thread::scope(|scope| {
        let capture = scope.spawn(|| capture_arp(&peer, Duration::from_millis(1500)));
        std::thread::sleep(Duration::from_millis(300)); // let the capture start
        block_on_in(&node, || async {
            let agent = agent_for(&word);
            agent.start().await.expect("start");
            tokio::time::sleep(Duration::from_millis(800)).await;
            agent.stop().await.expect("stop");
        });
        capture.join().expect("capture thread")
    });
    let ours: Vec<&Arp> = captured
        .iter()
        .filter(|(_, mac, sender, target, _)| {
            mac_text(*mac) == node_mac && *sender == vip && *target == vip
        })
        .collect();
    let requests = ours.iter().filter(|a| a.0 == 1).count();
    let replies = ours.iter().filter(|a| a.0 == 2).count();
    assert_eq!((requests, replies), (3, 3), "captured {captured:?}");
    let spread = ours[ours.len() - 1].4.duration_since(ours[0].4);
    eprintln!("3 rounds at arp_interval=100 spread over {spread:?}");
    assert!(
        spread >= Duration::from_millis(180) && spread < Duration::from_millis(600),
        "3 rounds 100 ms apart span about 200 ms, not {spread:?}"
    );
}

//! Gratuitous ARP for real, in a namespace of the test's own: announced on
//! one end of a veth pair, the address is learned (with `arp_accept`) by
//! the other end's neighbour table at the sender's MAC, by the first round
//! and again by the later rounds of a schedule.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::{block_on, in_new_netns, ip, sysctl};
use ha_net::address::Netlink;
use ha_net::arp::{ArpSchedule, ArpSender};

const VIP: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 100);

/// The MAC `ip neigh` on `b` shows for the VIP, once it shows one, within
/// two seconds.
fn learned_mac() -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let text = ip(&["-o", "neigh", "show", "10.9.0.100", "dev", "far"]);
        let words: Vec<&str> = text.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "lladdr") {
            return words.get(at + 1).map(|w| w.to_string());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Waits until both ends of the veth pair carry traffic.
fn wait_until_up() {
    let deadline = Instant::now() + Duration::from_secs(2);
    while ["near", "far"]
        .iter()
        .any(|name| !ip(&["-o", "link", "show", "dev", name]).contains("state UP"))
    {
        assert!(Instant::now() < deadline, "the veth pair did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.map(|b| format!("{b:02x}")).join(":")
}

#[test]
fn the_peer_learns_the_address_from_the_first_round_and_the_later_ones() {
    let (mac, first, later, took) = in_new_netns(|| {
        ip(&[
            "link", "add", "name", "near", "type", "veth", "peer", "name", "far",
        ]);
        ip(&["addr", "add", "10.9.0.2/24", "dev", "far"]);
        for interface in ["all", "far"] {
            sysctl(&format!("net/ipv4/conf/{interface}/arp_accept"), "1");
        }
        ip(&["link", "set", "near", "up"]);
        ip(&["link", "set", "far", "up"]);
        wait_until_up();
        let near = block_on(async {
            let netlink = Netlink::connect().expect("a route netlink socket");
            let links = netlink.links().await.expect("links");
            links
                .into_iter()
                .find(|l| l.name == "near")
                .expect("veth near")
        });
        let mac = near.mac.expect("a MAC");
        let sender = ArpSender::open(near.index, mac, VIP).expect("an AF_PACKET socket");

        sender.announce().expect("the first round");
        let first = learned_mac();

        ip(&["neigh", "flush", "dev", "far"]);
        let schedule = ArpSchedule {
            count: 3,
            interval: Duration::from_millis(100),
        };
        let began = Instant::now();
        block_on(sender.announce_rest(schedule, "near".to_string()));
        let took = began.elapsed();
        (mac, first, learned_mac(), took)
    });
    assert_eq!(first, Some(mac_text(mac)));
    assert_eq!(later, Some(mac_text(mac)));
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1000),
        "two more rounds 100 ms apart took {took:?}"
    );
}

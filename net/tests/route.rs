//! IPv4 routes and IPv6 addresses over rtnetlink against a real kernel, in
//! a namespace of the test's own, with `ip` as the witness: the main
//! table listed (connected network, default route with its gateway and
//! metric), a route's preferred source set and put back with everything
//! else kept; an IPv6 address listed with its DAD state and deleted.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::{block_on, in_new_netns, ip};
use ha_net::address::{Netlink, NewAddress};
use ha_net::route::PROTOCOL_KERNEL;

#[test]
fn routes_are_listed_and_their_preferred_source_rewritten() {
    let (listed, with_source, put_back) = in_new_netns(|| {
        ip(&[
            "link", "add", "name", "near", "type", "veth", "peer", "name", "far",
        ]);
        ip(&["link", "set", "near", "up"]);
        ip(&["link", "set", "far", "up"]);
        ip(&["addr", "add", "10.9.0.1/24", "dev", "near"]);
        ip(&["addr", "add", "10.9.0.100/24", "dev", "near"]);
        ip(&[
            "route",
            "add",
            "default",
            "via",
            "10.9.0.254",
            "metric",
            "7",
        ]);
        block_on(async {
            let netlink = Netlink::connect().expect("a route netlink socket");
            let routes = netlink.ipv4_routes().await.expect("routes");
            let listed: Vec<_> = routes.iter().map(|r| r.info.clone()).collect();
            let default = routes
                .iter()
                .find(|r| r.info.is_default())
                .expect("default");
            let vip = Ipv4Addr::new(10, 9, 0, 100);
            netlink
                .set_preferred_source(default, vip)
                .await
                .expect("set src");
            let with_source = ip(&["route", "show", "default"]);
            netlink
                .set_preferred_source(default, Ipv4Addr::new(10, 9, 0, 1))
                .await
                .expect("put back");
            (listed, with_source, ip(&["route", "show", "default"]))
        })
    });
    let default = listed
        .iter()
        .find(|r| r.is_default())
        .expect("default listed");
    assert_eq!(default.gateway, Some(Ipv4Addr::new(10, 9, 0, 254)));
    assert_eq!((default.metric, default.preferred_source), (Some(7), None));
    assert!(!default.link_scope);
    let connected = listed
        .iter()
        .find(|r| r.prefix == 24)
        .expect("connected network listed");
    assert_eq!(connected.destination, Ipv4Addr::new(10, 9, 0, 0));
    assert_eq!(
        (
            connected.protocol,
            connected.link_scope,
            connected.preferred_source
        ),
        (PROTOCOL_KERNEL, true, Some(Ipv4Addr::new(10, 9, 0, 1)))
    );
    assert!(connected.contains(Ipv4Addr::new(10, 9, 0, 100)));
    assert_eq!(
        with_source.trim(),
        "default via 10.9.0.254 dev near src 10.9.0.100 metric 7"
    );
    assert_eq!(
        put_back.trim(),
        "default via 10.9.0.254 dev near src 10.9.0.1 metric 7"
    );
}

/// The entries of `address` in the namespace.
async fn ours(netlink: &Netlink, address: Ipv6Addr) -> Vec<ha_net::address::Ipv6Entry> {
    netlink
        .ipv6_addresses()
        .await
        .expect("list")
        .into_iter()
        .filter(|e| e.address == address)
        .collect()
}

#[test]
fn ipv6_addresses_are_listed_with_their_dad_state_and_deleted() {
    let address: Ipv6Addr = "2001:db8:9::10".parse().expect("v6");
    let (tentative, settled, after) = in_new_netns(|| {
        ip(&[
            "link", "add", "name", "near", "type", "veth", "peer", "name", "far",
        ]);
        ip(&["link", "set", "near", "up"]);
        ip(&["link", "set", "far", "up"]);
        block_on(async {
            let netlink = Netlink::connect().expect("a route netlink socket");
            let near = netlink
                .links()
                .await
                .expect("links")
                .into_iter()
                .find(|l| l.name == "near")
                .expect("near");
            let new = NewAddress {
                index: near.index,
                interface: &near.name,
                address: IpAddr::V6(address),
                prefix: 64,
                broadcast: None,
                label: None,
            };
            netlink.add(&new).await.expect("add");
            let first = ours(&netlink, address).await;
            let tentative = first
                .iter()
                .map(|e| (e.prefix, e.tentative))
                .collect::<Vec<_>>();
            let mut settled = false;
            for _ in 0..100 {
                if ours(&netlink, address)
                    .await
                    .iter()
                    .all(|e| !e.tentative && !e.dad_failed)
                {
                    settled = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            for entry in ours(&netlink, address).await {
                netlink.delete_ipv6(entry).await.expect("delete");
            }
            (
                tentative,
                settled,
                ip(&["-6", "addr", "show", "dev", "near"]),
            )
        })
    });
    assert_eq!(tentative, [(64, true)], "DAD runs on a new address");
    assert!(settled, "DAD finishes");
    assert!(!after.contains("2001:db8:9::10"), "{after}");
}

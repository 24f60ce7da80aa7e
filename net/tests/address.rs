//! Links and addresses over rtnetlink against a real kernel, in a
//! namespace of the test's own, with `ip` as the witness: an IPv4 address
//! added with prefix, broadcast and label, listed, added again and deleted
//! (twice); host addresses of both families on `lo` coming and going; a
//! missing interface named.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::{block_on, in_new_netns, ip};
use ha_net::address::{
    host_prefix, AddrInfo, AddressEntry, AddressError, InterfaceAddresses, Netlink, NewAddress,
};

/// `ADDRESS/PREFIX` of every address on `lo` but its own (127.0.0.1/8,
/// ::1/128), as `ip -o addr` prints them, sorted.
fn vips_in_ip_output() -> Vec<String> {
    let text = ip(&["-o", "addr", "show", "dev", "lo"]);
    let mut found: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "inet" || *w == "inet6")?;
            words.get(at + 1).map(|w| w.to_string())
        })
        .filter(|a| a != "127.0.0.1/8" && a != "::1/128")
        .collect();
    found.sort();
    found
}

#[test]
fn an_ipv4_address_with_prefix_broadcast_and_label_is_added_listed_and_deleted() {
    let vip = Ipv4Addr::new(10, 9, 0, 100);
    let (links, listed, shown, after_delete) = in_new_netns(|| {
        ip(&[
            "link", "add", "name", "near", "type", "veth", "peer", "name", "far",
        ]);
        block_on(async {
            let netlink = Netlink::connect().expect("a route netlink socket");
            let links = netlink.links().await.expect("links");
            let near = links.iter().find(|l| l.name == "near").expect("veth near");
            let new = NewAddress {
                index: near.index,
                interface: &near.name,
                address: IpAddr::V4(vip),
                prefix: 24,
                broadcast: Some(Ipv4Addr::new(10, 9, 0, 255)),
                label: Some("near:web"),
            };
            netlink.add(&new).await.expect("add");
            netlink.add(&new).await.expect("add again");
            let ours = |entries: Vec<AddressEntry>| {
                entries
                    .into_iter()
                    .filter(|e| e.info.address == vip)
                    .collect::<Vec<_>>()
            };
            let entries = ours(netlink.ipv4_addresses().await.expect("list"));
            let listed: Vec<AddrInfo> = entries.iter().map(|e| e.info.clone()).collect();
            let shown = ip(&["-o", "-4", "addr", "show", "dev", "near"]);
            let listed_again = ours(netlink.ipv4_addresses().await.expect("list"));
            for entry in entries.into_iter().chain(listed_again) {
                netlink.delete(entry).await.expect("delete (what is gone)");
            }
            let gone = ours(netlink.ipv4_addresses().await.expect("list"));
            (links, listed, shown, gone.len())
        })
    });
    let lo = links.iter().find(|l| l.name == "lo").expect("lo");
    assert!(!lo.arp_capable, "{lo:?}");
    let near = links.iter().find(|l| l.name == "near").expect("near");
    assert!(near.arp_capable && near.mac.is_some(), "{near:?}");
    assert_eq!(
        listed,
        [AddrInfo {
            index: near.index,
            address: vip,
            prefix: 24,
            label: Some("near:web".into()),
        }]
    );
    assert!(
        shown.contains("inet 10.9.0.100/24 brd 10.9.0.255 scope global near:web"),
        "{shown}"
    );
    assert_eq!(after_delete, 0);
}

#[test]
fn an_address_for_a_missing_interface_is_refused_with_the_kernels_reason() {
    let error = in_new_netns(|| {
        block_on(async {
            let netlink = Netlink::connect().expect("a route netlink socket");
            let new = NewAddress {
                index: 999,
                interface: "gone0",
                address: "10.9.0.1".parse().expect("an address"),
                prefix: 24,
                broadcast: None,
                label: None,
            };
            netlink.add(&new).await.err()
        })
    });
    let error = error.expect("no interface 999");
    assert!(
        error
            .to_string()
            .starts_with("cannot add 10.9.0.1/24 to gone0: "),
        "{error}"
    );
}

#[test]
fn host_addresses_of_both_families_come_and_go_on_lo() {
    let v4: IpAddr = "192.0.2.10".parse().unwrap();
    let v6: IpAddr = "2001:db8::10".parse().unwrap();
    let expected = ["192.0.2.10/32", "2001:db8::10/128"].map(String::from);

    let (listed, shown, after_remove) = in_new_netns(|| {
        let listed = block_on(async {
            let lo = InterfaceAddresses::open("lo").await.expect("open lo");
            for address in [v4, v6, v4, v6] {
                lo.add_host(address).await.expect("add (again)");
            }
            let mut listed: Vec<String> = lo
                .list()
                .await
                .expect("list")
                .iter()
                .filter(|a| !a.address.is_loopback())
                .map(|a| format!("{}/{}", a.address, a.prefix))
                .collect();
            listed.sort();
            listed
        });
        let shown = vips_in_ip_output();
        block_on(async {
            let lo = InterfaceAddresses::open("lo").await.expect("open lo");
            lo.remove(v4).await.expect("remove");
            lo.remove(v4).await.expect("remove what is gone");
        });
        (listed, shown, vips_in_ip_output())
    });
    assert_eq!(listed, expected);
    assert_eq!(shown, expected);
    assert_eq!(after_remove, ["2001:db8::10/128"]);
    assert_eq!(host_prefix(&v6), 128);
}

#[test]
fn a_missing_interface_is_named() {
    let error =
        in_new_netns(|| block_on(async { InterfaceAddresses::open("nosuch0").await.err() }));
    let error = error.expect("no such interface");
    // The kernel refuses a lookup by a name it does not know: ENODEV.
    assert!(
        matches!(&error, AddressError::Netlink { operation, message }
            if operation == "find interface nosuch0" && message.contains("No such device")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot find interface nosuch0: "),
        "{error}"
    );
}

//! `bcast` media between two network namespaces: a broadcast reaches the
//! peers on that LAN only (and loops back to its sender), two media carry
//! it twice, link state follows the interface, and missing interfaces or
//! addresses are reported.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    bcast, expect_datagram, expect_silence, ip, wait_for_link, wait_for_link_matching, Bed,
};
use ha_transport::udp::BROADCAST_RECHECK;
use ha_transport::{DownReason, LinkState, Medium, TransportError};

#[test]
fn a_broadcast_reaches_the_peers_on_its_lan_only() {
    let bed = Bed::new("bcast-lan");
    let a0 = bed.must_open(&bed.a, &bcast("eth0", 694));
    let a1 = bed.must_open(&bed.a, &bcast("eth1", 694));
    let b0 = bed.must_open(&bed.b, &bcast("eth0", 694));
    let b1 = bed.must_open(&bed.b, &bcast("eth1", 694));
    bed.block_on(async {
        a0.send(b"on lan0").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"on lan0").await, ip("10.77.1.1"));
        // Linux loops broadcasts back to the sender, source and all.
        assert_eq!(expect_datagram(&a0, b"on lan0").await, ip("10.77.1.1"));
        expect_silence(&[&b1, &a1, &b0]).await;

        a0.send(b"twice").await.unwrap();
        a1.send(b"twice").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"twice").await, ip("10.77.1.1"));
        assert_eq!(expect_datagram(&b1, b"twice").await, ip("10.77.2.1"));
        expect_silence(&[&b0, &b1]).await;
    });
    assert_eq!(a0.describe(), "bcast eth0");
}

#[test]
fn a_changed_broadcast_address_is_followed() {
    let bed = Bed::new("bcast-renumber");
    let a0 = bed.must_open(&bed.a, &bcast("eth0", 694));
    let b0 = bed.must_open(&bed.b, &bcast("eth0", 694));
    // Move a to another subnet of the same LAN; b listens on both.
    bed.b.add_address("eth0", "10.77.3.2/24").unwrap();
    bed.a.add_address("eth0", "10.77.3.1/24").unwrap();
    bed.a.del_address("eth0", "10.77.1.1/24").unwrap();
    let started = std::time::Instant::now();
    let limit = BROADCAST_RECHECK + std::time::Duration::from_secs(3);
    let from = bed.block_on(async {
        loop {
            a0.send(b"renumbered").await.unwrap();
            if let Some((datagram, from)) =
                common::recv_within(&b0, std::time::Duration::from_millis(250)).await
            {
                assert_eq!(datagram, b"renumbered");
                break from;
            }
            assert!(
                started.elapsed() < limit,
                "b heard nothing for {limit:?} after the address changed"
            );
        }
    });
    assert_eq!(from.ip(), ip("10.77.3.1"));
}

#[test]
fn link_state_follows_the_interface() {
    let bed = Bed::new("bcast-link");
    let b0 = bed.must_open(&bed.b, &bcast("eth0", 694));
    let b1 = bed.must_open(&bed.b, &bcast("eth1", 694));
    wait_for_link(&b0, &LinkState::Up);

    // Cable pulled at the switch: carrier lost, interface still up.
    bed.lan0.port_down(&bed.b, "eth0").unwrap();
    let no_carrier = LinkState::Down(DownReason::NoCarrier {
        interface: "eth0".into(),
    });
    wait_for_link(&b0, &no_carrier);
    bed.lan0.port_up(&bed.b, "eth0").unwrap();
    wait_for_link(&b0, &LinkState::Up);

    // Interface taken down: sends fail, and the link says why.
    bed.b.link_down("eth0").unwrap();
    let down = LinkState::Down(DownReason::InterfaceDown {
        interface: "eth0".into(),
    });
    assert_eq!(b0.link(), down);
    assert_eq!(b0.link().to_string(), "down: interface eth0 is down");
    assert!(bed.block_on(b0.send(b"nowhere")).is_err());
    bed.b.link_up("eth0").unwrap();
    // Up again, the last send's failure shows until a send succeeds.
    let failed = wait_for_link_matching(&b0, "a send failure", |state| {
        matches!(state, LinkState::Down(DownReason::SendFailed { .. }))
    });
    assert!(
        failed.to_string().starts_with("down: last send failed: "),
        "{failed}"
    );
    bed.block_on(b0.send(b"back")).unwrap();
    assert_eq!(b0.link(), LinkState::Up);

    // Interface deleted.
    bed.b.ip(&["link", "del", "eth1"]).unwrap();
    assert_eq!(b1.link().to_string(), "down: no such interface eth1");
}

#[test]
fn missing_interfaces_and_addresses_are_reported() {
    let bed = Bed::new("bcast-missing");
    let error = bed.open(&bed.a, &bcast("eth9", 694)).unwrap_err();
    assert!(
        matches!(error, TransportError::NoSuchInterface { .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "bcast eth9: no such interface");

    bed.lan0.connect(&bed.a, "eth2", "").unwrap();
    let error = bed.open(&bed.a, &bcast("eth2", 694)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "bcast eth2: interface eth2 has no IPv4 broadcast address"
    );
}

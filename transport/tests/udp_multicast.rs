//! `mcast` media between two network namespaces: a group datagram reaches
//! the members on that LAN only, loopback and TTL are applied, another group
//! on the same port is not heard, and a missing interface is reported.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{expect_datagram, expect_silence, ip, mcast, Bed};
use ha_transport::{Medium, TransportError};

const GROUP: [u8; 4] = [239, 77, 0, 1];
const PORT: u16 = 6941;

#[test]
fn a_group_datagram_reaches_the_members_on_its_lan_only() {
    let bed = Bed::new("mcast-lan");
    // The same group and port on both interfaces, as redundant rings do.
    let a0 = bed.must_open(&bed.a, &mcast("eth0", GROUP, PORT, 1, false));
    let a1 = bed.must_open(&bed.a, &mcast("eth1", GROUP, PORT, 1, true));
    let b0 = bed.must_open(&bed.b, &mcast("eth0", GROUP, PORT, 1, false));
    let b1 = bed.must_open(&bed.b, &mcast("eth1", GROUP, PORT, 1, false));
    let b0_other_group = bed.must_open(&bed.b, &mcast("eth0", [239, 77, 0, 2], PORT, 1, false));
    bed.block_on(async {
        a0.send(b"ring 0").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"ring 0").await, ip("10.77.1.1"));
        // Loopback is off on a0; b1 and a1 are on the other LAN.
        expect_silence(&[&a0, &a1, &b1, &b0_other_group]).await;

        a1.send(b"ring 1").await.unwrap();
        assert_eq!(expect_datagram(&b1, b"ring 1").await, ip("10.77.2.1"));
        // Loopback is on for a1: its own datagram comes back to it only.
        assert_eq!(expect_datagram(&a1, b"ring 1").await, ip("10.77.2.1"));
        expect_silence(&[&a0, &b0]).await;
    });
    assert_eq!(a0.describe(), "mcast eth0 239.77.0.1");
}

#[test]
fn the_ttl_is_applied() {
    let bed = Bed::new("mcast-ttl");
    let host_only = bed.must_open(&bed.a, &mcast("eth0", GROUP, PORT, 0, false));
    let lan_wide = bed.must_open(&bed.a, &mcast("eth1", GROUP, PORT, 1, false));
    let b0 = bed.must_open(&bed.b, &mcast("eth0", GROUP, PORT, 1, false));
    let b1 = bed.must_open(&bed.b, &mcast("eth1", GROUP, PORT, 1, false));
    bed.block_on(async {
        host_only.send(b"ttl 0").await.unwrap();
        lan_wide.send(b"ttl 1").await.unwrap();
        assert_eq!(expect_datagram(&b1, b"ttl 1").await, ip("10.77.2.1"));
        expect_silence(&[&b0]).await;
    });
}

#[test]
fn a_missing_interface_is_reported() {
    let bed = Bed::new("mcast-missing");
    let error = bed
        .open(&bed.a, &mcast("eth9", GROUP, PORT, 1, false))
        .unwrap_err();
    assert!(
        matches!(error, TransportError::NoSuchInterface { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "mcast eth9 239.77.0.1: no such interface"
    );
}

//! `ucast` media between two network namespaces: each line carries
//! datagrams over its own interface, the bound interface decides the way
//! out and in, a line naming our own address only receives, IPv6 peers
//! work, and missing interfaces are reported.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{bcast, expect_datagram, expect_silence, ip, ucast, wait_for_link, Bed};
use ha_transport::{DownReason, LinkState, Medium, TransportError};

#[test]
fn each_ucast_line_carries_datagrams_over_its_own_interface() {
    let bed = Bed::new("ucast-two-lines");
    let a0 = bed.must_open(&bed.a, &ucast("eth0", "10.77.1.2", 694));
    let a1 = bed.must_open(&bed.a, &ucast("eth1", "10.77.2.2", 694));
    let b0 = bed.must_open(&bed.b, &ucast("eth0", "10.77.1.1", 694));
    let b1 = bed.must_open(&bed.b, &ucast("eth1", "10.77.2.1", 694));
    bed.block_on(async {
        a0.send(b"heartbeat").await.unwrap();
        a1.send(b"heartbeat").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"heartbeat").await, ip("10.77.1.1"));
        assert_eq!(expect_datagram(&b1, b"heartbeat").await, ip("10.77.2.1"));
        // One copy each, and none looped back to the sender.
        expect_silence(&[&b0, &b1, &a0, &a1]).await;

        b0.send(b"reply").await.unwrap();
        assert_eq!(expect_datagram(&a0, b"reply").await, ip("10.77.1.2"));
        expect_silence(&[&a1]).await;
    });
    wait_for_link(&a0, &LinkState::Up);
    assert_eq!(a0.describe(), "ucast eth0 10.77.1.2");
}

#[test]
fn the_bound_interface_decides_the_way_out_and_in() {
    let bed = Bed::new("ucast-bound");
    // b's eth0 address, which the routing table reaches through eth0; the
    // medium is bound to eth1, so the datagram must leave through eth1.
    let a1 = bed.must_open(&bed.a, &ucast("eth1", "10.77.1.2", 694));
    let b0 = bed.must_open(&bed.b, &ucast("eth0", "10.77.1.1", 694));
    let b1 = bed.must_open(&bed.b, &ucast("eth1", "10.77.2.1", 694));
    bed.block_on(async {
        a1.send(b"through eth1").await.unwrap();
        assert_eq!(expect_datagram(&b1, b"through eth1").await, ip("10.77.2.1"));
        expect_silence(&[&b0]).await;
    });
}

#[test]
fn a_line_naming_our_own_address_only_receives() {
    let bed = Bed::new("ucast-own");
    // The same two lines on both hosts, as in a shared ha.cf; both share
    // port 694 on eth0.
    let lines = [
        ucast("eth0", "10.77.1.1", 694),
        ucast("eth0", "10.77.1.2", 694),
    ];
    let [a_own, a_peer] = lines.clone().map(|spec| bed.must_open(&bed.a, &spec));
    let [b_peer, b_own] = lines.map(|spec| bed.must_open(&bed.b, &spec));
    assert!(a_own.is_receive_only() && b_own.is_receive_only());
    assert!(!a_peer.is_receive_only() && !b_peer.is_receive_only());
    assert_eq!(
        a_own.describe(),
        "ucast eth0 10.77.1.1 (own address: receive only)"
    );
    bed.block_on(async {
        a_own.send(b"to myself").await.unwrap();
        expect_silence(&[&a_own, &a_peer, &b_own, &b_peer]).await;

        // b's datagram reaches a on exactly one of the two sockets sharing
        // the port.
        b_peer.send(b"to a").await.unwrap();
        let (first, second) = tokio::join!(
            common::recv_within(&a_own, common::ARRIVES_WITHIN),
            common::recv_within(&a_peer, common::QUIET_FOR * 2),
        );
        let heard: Vec<_> = [first, second].into_iter().flatten().collect();
        assert_eq!(heard.len(), 1, "heard {heard:?}");
        assert_eq!(heard[0].0, b"to a");
        assert_eq!(heard[0].1.ip(), ip("10.77.1.2"));
    });
    wait_for_link(&a_own, &LinkState::Up);
}

#[test]
fn ipv6_peers_are_reached_too() {
    let bed = Bed::new("ucast-v6");
    bed.a.add_address("eth0", "fd77::1/64").unwrap();
    bed.b.add_address("eth0", "fd77::2/64").unwrap();
    let a0 = bed.must_open(&bed.a, &ucast("eth0", "fd77::2", 694));
    let b0 = bed.must_open(&bed.b, &ucast("eth0", "fd77::1", 694));
    let b1 = bed.must_open(&bed.b, &ucast("eth1", "fd77::1", 694));
    bed.block_on(async {
        a0.send(b"over ipv6").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"over ipv6").await, ip("fd77::1"));
        expect_silence(&[&b1]).await;
    });
}

#[test]
fn a_missing_interface_fails_to_open_and_a_vanished_one_shows_down() {
    let bed = Bed::new("ucast-missing");
    let error = bed
        .open(&bed.a, &ucast("eth9", "10.77.1.2", 694))
        .unwrap_err();
    assert!(
        matches!(error, TransportError::NoSuchInterface { .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "ucast eth9 10.77.1.2: no such interface");

    let a1 = bed.must_open(&bed.a, &ucast("eth1", "10.77.2.2", 694));
    wait_for_link(&a1, &LinkState::Up);
    bed.a.ip(&["link", "del", "eth1"]).unwrap();
    assert_eq!(
        a1.link(),
        LinkState::Down(DownReason::InterfaceMissing {
            interface: "eth1".into()
        })
    );
    assert_eq!(a1.link().to_string(), "down: no such interface eth1");
    let sent = bed.block_on(a1.send(b"into the void"));
    assert!(
        sent.is_err(),
        "sending through a deleted interface succeeded"
    );
    // An unrelated medium on the remaining interface is unaffected.
    let a0 = bed.must_open(&bed.a, &bcast("eth0", 694));
    wait_for_link(&a0, &LinkState::Up);
}

#[test]
fn a_peer_host_with_nothing_on_the_port_refuses_and_a_listening_one_does_not() {
    let bed = Bed::new("ucast-refused");
    let a0 = bed.must_open(&bed.a, &ucast("eth0", "10.77.1.2", 694));
    let bcast_a0 = bed.must_open(&bed.a, &bcast("eth0", 694));
    bed.block_on(async {
        // Nothing listens on b's port 694: b's host answers port unreachable.
        a0.send(b"anyone?").await.unwrap();
        let refused = tokio::time::timeout(common::ARRIVES_WITHIN, a0.refused())
            .await
            .expect("no refusal reported")
            .unwrap();
        assert_eq!(refused, "10.77.1.2:694".parse().unwrap());
        // The pending error costs no datagram: the next send goes out.
        a0.send(b"again").await.unwrap();
        a0.send(b"and again").await.unwrap();
        // A medium that cannot tell never reports one.
        let silent = tokio::time::timeout(common::QUIET_FOR, bcast_a0.refused()).await;
        assert!(silent.is_err(), "bcast reported a refusal");
    });
    wait_for_link(&a0, &LinkState::Up);
    // Once b listens, its datagrams arrive and nothing is refused.
    let b0 = bed.must_open(&bed.b, &ucast("eth0", "10.77.1.1", 694));
    bed.block_on(async {
        // Drain what the earlier sends left queued.
        while tokio::time::timeout(common::QUIET_FOR, a0.refused())
            .await
            .is_ok()
        {}
        a0.send(b"now?").await.unwrap();
        assert_eq!(expect_datagram(&b0, b"now?").await, ip("10.77.1.1"));
        let quiet = tokio::time::timeout(common::QUIET_FOR, a0.refused()).await;
        assert!(quiet.is_err(), "a listening peer refused: {quiet:?}");
    });
}

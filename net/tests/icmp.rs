//! ICMP and ICMPv6 echo for real, in a namespace of the test's own: `lo`
//! answers over raw sockets, then over datagram sockets once
//! `ping_group_range` allows them; a firewall that drops echo requests
//! gives no reply within the timeout; a target with no route is refused
//! when the socket is connected.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{block_on, in_new_netns, nft, sysctl};
use ha_net::icmp::{OpenError, Pinger, SocketKind};

const WAIT: Duration = Duration::from_secs(2);

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

/// Pings each target once: `(socket kind, answered)`.
fn ping_all(targets: &[&str], timeout: Duration) -> Vec<(SocketKind, bool)> {
    block_on(async {
        let mut results = Vec::new();
        for target in targets {
            let pinger = Pinger::open(ip(target)).expect("an ICMP socket");
            assert_eq!(pinger.target(), ip(target));
            results.push((pinger.kind(), pinger.ping(timeout).await));
        }
        results
    })
}

#[test]
fn loopback_answers_over_raw_then_datagram_sockets() {
    let results = in_new_netns(|| {
        let raw = ping_all(&["127.0.0.1", "::1"], WAIT);
        sysctl("net/ipv4/ping_group_range", "0 2147483647");
        let datagram = ping_all(&["127.0.0.1", "::1"], WAIT);
        (raw, datagram)
    });
    assert_eq!(
        results,
        (
            vec![(SocketKind::Raw, true); 2],
            vec![(SocketKind::Datagram, true); 2]
        )
    );
}

#[test]
fn dropped_requests_get_no_reply_within_the_timeout() {
    let (results, took) = in_new_netns(|| {
        nft("table inet drop_echo {
               chain input {
                 type filter hook input priority 0; policy accept;
                 icmp type echo-request drop
                 icmpv6 type echo-request drop
               }
             }");
        let began = Instant::now();
        let results = ping_all(&["127.0.0.1", "::1"], Duration::from_millis(300));
        (results, began.elapsed())
    });
    assert_eq!(results, vec![(SocketKind::Raw, false); 2]);
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_millis(1500),
        "two pings of 300 ms took {took:?}"
    );
}

#[test]
fn a_target_without_a_route_is_refused_at_connect() {
    let error = in_new_netns(|| block_on(async { Pinger::open(ip("192.0.2.1")).err() }));
    let error = error.expect("no route to 192.0.2.1");
    assert!(
        matches!(&error, OpenError::Connect { target, source }
            if *target == ip("192.0.2.1") && source.raw_os_error() == Some(libc::ENETUNREACH)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot connect an ICMP socket to 192.0.2.1: "),
        "{error}"
    );
    assert_eq!(error.into_io().raw_os_error(), Some(libc::ENETUNREACH));
}

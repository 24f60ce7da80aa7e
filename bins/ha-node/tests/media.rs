//! End to end: several media at once; a node is alive while any medium
//! delivers its heartbeats, and dead once none does. Also: a cluster whose
//! only medium is ucast, or mcast, settles and fails over; so does one on
//! IPv6 only, with `mcast6` on a link-local group or `ucast6` to global
//! addresses.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{
    both_stay_active, cluster, holds_vip, medium_link, outputs, served_by, start_both, state_seen,
    BINARY, MS,
};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::Lan;

/// `ClusterSpec::fast`'s deadtime.
const DEADTIME: Duration = Duration::from_millis(500);

/// How long a view must hold while one medium is cut: four deadtimes.
const HOLD: Duration = Duration::from_secs(2);

/// Both nodes stay active, node-a keeping the VIP, for [`HOLD`], checked
/// at least 20 times.
fn stays_active(cluster: &TwoNodeCluster, what: &str) {
    let checks = both_stay_active(cluster, HOLD, 20 * MS, what);
    assert!(checks >= 20, "{what}: only {checks} checks in {HOLD:?}");
}

/// The second medium of the two-LAN cluster.
const MCAST_ETH1: &str = "mcast eth1 225.0.0.1 694 1 0";

/// A cluster with `bcast eth0` on the usual LAN and `mcast eth1` on a
/// second LAN joining only the two nodes (10.78.0.0/24).
fn two_lan_cluster() -> (TwoNodeCluster, Lan) {
    let mut spec = ClusterSpec::fast(BINARY);
    let media = vec!["bcast eth0".to_string(), MCAST_ETH1.to_string()];
    spec.media = [media.clone(), media];
    let cluster = cluster("hn-media2", spec);
    let lan2 = cluster.connect_second_lan().expect("second LAN");
    (cluster, lan2)
}

/// Waits until `node` reports the link of its medium `prefix` as `up` (or,
/// with `up == false`, as down for some reason).
fn wait_link(cluster: &TwoNodeCluster, node: Node, prefix: &str, up: bool) {
    let seen = cluster.wait_until(Duration::from_secs(3), |c| {
        medium_link(c, node, prefix).is_some_and(|l| (l == "up") == up)
    });
    assert!(
        seen.is_some(),
        "{} reports {prefix} as {:?}, expected {}",
        node.name(),
        medium_link(cluster, node, prefix),
        if up { "up" } else { "down" }
    );
}

#[test]
fn a_node_is_alive_while_any_medium_delivers_and_dead_when_none_does() {
    let (mut cluster, lan2) = two_lan_cluster();
    let lan1 = cluster.lab().default_lan().expect("first LAN");
    start_both(&mut cluster);
    for node in Node::BOTH {
        wait_link(&cluster, node, "bcast eth0", true);
        wait_link(&cluster, node, "mcast eth1", true);
    }

    // Cable of node-b's eth1 pulled: bcast on eth0 still carries it.
    lan2.port_down(cluster.host(Node::B), "eth1")
        .expect("eth1 of node-b down");
    wait_link(&cluster, Node::B, "mcast eth1", false);
    let link = medium_link(&cluster, Node::B, "mcast eth1").unwrap_or_default();
    assert_eq!(link, "down: interface eth1 has no carrier");
    stays_active(&cluster, "eth1 of node-b down");
    lan2.port_up(cluster.host(Node::B), "eth1")
        .expect("eth1 of node-b up");
    wait_link(&cluster, Node::B, "mcast eth1", true);

    // Cable of node-b's eth0 pulled: mcast on eth1 now carries it alone.
    lan1.port_down(cluster.host(Node::B), "eth0")
        .expect("eth0 of node-b down");
    wait_link(&cluster, Node::B, "bcast eth0", false);
    stays_active(&cluster, "eth0 of node-b down");

    // Between the samples above, node-a's log shows any flap.
    let log = cluster.log(Node::A);
    let flaps: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("node node-b: active -> "))
        .collect();
    assert!(
        flaps.is_empty(),
        "node-b flapped while one medium was down: {flaps:?}"
    );

    // Both pulled: node-a must declare node-b dead within deadtime + slack
    // and keep the VIP.
    let cut = Instant::now();
    lan2.port_down(cluster.host(Node::B), "eth1")
        .expect("eth1 of node-b down again");
    let dead = cluster
        .wait_until(Duration::from_secs(3), |c| {
            state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
        })
        .unwrap_or_else(|| panic!("node-b never declared dead\n{}", outputs(&cluster)));
    let elapsed = dead.duration_since(cut);
    eprintln!(
        "both media of node-b cut: dead in node-a's view after {} ms",
        elapsed.as_millis()
    );
    // The last heartbeat may have left up to one keepalive (100 ms) before
    // the cut; polling the status adds a little.
    assert!(
        elapsed >= DEADTIME - 150 * MS,
        "declared dead after {} ms, sooner than deadtime allows",
        elapsed.as_millis()
    );
    assert!(
        elapsed <= DEADTIME + 300 * MS,
        "declared dead after {} ms (deadtime 500 ms + 300 ms)",
        elapsed.as_millis()
    );
    assert!(holds_vip(&cluster, Node::A), "node-a gave up the VIP");
    assert!(served_by(&cluster, Node::A), "the client lost the VIP");
}

/// Settles a cluster on the given media, kills node-a and checks the client
/// is served by node-b within deadtime + 500 ms.
fn settles_and_fails_over(tag: &str, media: [String; 2]) {
    settles_and_fails_over_after(tag, media, |_| {});
}

/// [`settles_and_fails_over`], with `prepare` run on the hosts before the
/// nodes start.
fn settles_and_fails_over_after(tag: &str, media: [String; 2], prepare: impl Fn(&TwoNodeCluster)) {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.media = media.clone().map(|m| vec![m]);
    let mut cluster = cluster(tag, spec);
    prepare(&cluster);
    start_both(&mut cluster);
    assert!(served_by(&cluster, Node::A), "client not served by node-a");
    assert!(!holds_vip(&cluster, Node::B), "node-b holds the VIP too");
    for node in Node::BOTH {
        let line = match node {
            Node::A => &media[0],
            Node::B => &media[1],
        };
        // The medium's name in the status: its first three words.
        let prefix = line
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        wait_link(&cluster, node, &prefix, true);
    }
    let watcher = cluster.watch_client(10 * MS).expect("client watcher");
    assert!(watcher
        .wait_for_reply("A", Duration::from_secs(2))
        .is_some());
    let killed = Instant::now();
    cluster.kill(Node::A).expect("kill -9 node-a");
    let served = watcher
        .wait_for_reply_after(killed, "B", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("client never served by node-b\n{}", outputs(&cluster)));
    let elapsed = served.duration_since(killed);
    eprintln!(
        "{tag}: client served by B {} ms after kill -9",
        elapsed.as_millis()
    );
    assert!(
        elapsed <= DEADTIME + 500 * MS,
        "failover took {} ms",
        elapsed.as_millis()
    );
    assert_eq!(
        state_seen(&cluster, Node::B, Node::A).as_deref(),
        Some("dead")
    );
}

#[test]
fn a_cluster_on_ucast_only_settles_and_fails_over() {
    settles_and_fails_over(
        "hn-ucast",
        [
            format!("ucast eth0 {}", Node::B.address()),
            format!("ucast eth0 {}", Node::A.address()),
        ],
    );
}

#[test]
fn a_cluster_on_mcast_only_settles_and_fails_over() {
    settles_and_fails_over(
        "hn-mcast",
        [
            "mcast eth0 225.0.0.1 694 1 0".into(),
            "mcast eth0 225.0.0.1 694 1 0".into(),
        ],
    );
}

/// The nodes' IPv6 addresses on the LAN, added without duplicate address
/// detection.
fn ipv6_address(node: Node) -> &'static str {
    match node {
        Node::A => "fd00:77::1",
        Node::B => "fd00:77::2",
    }
}

/// Gives both nodes their IPv6 address on eth0.
fn add_ipv6_addresses(cluster: &TwoNodeCluster) {
    for node in Node::BOTH {
        cluster
            .host(node)
            .add_address("eth0", &format!("{}/64", ipv6_address(node)))
            .expect("IPv6 address");
    }
}

#[test]
fn a_cluster_on_ucast6_only_settles_and_fails_over() {
    settles_and_fails_over_after(
        "hn-ucast6",
        [
            format!("ucast6 eth0 {}", ipv6_address(Node::B)),
            format!("ucast6 eth0 {}", ipv6_address(Node::A)),
        ],
        add_ipv6_addresses,
    );
}

#[test]
fn a_cluster_on_link_local_mcast6_only_settles_and_fails_over() {
    // heartbeat's own example: a transient group of link-local scope, which
    // is reached through the line's interface.
    settles_and_fails_over_after(
        "hn-mcast6",
        [
            "mcast6 eth0 ff12::1:2:3:4 694 1 0".into(),
            "mcast6 eth0 ff12::1:2:3:4 694 1 0".into(),
        ],
        add_ipv6_addresses,
    );
}

//! End to end, a rolling upgrade's mixed pair (real heartbeat 3.0.6 as
//! node-a, `ha-node` as node-b, see `common::mixed`) on media other than
//! IPv4 multicast: heartbeat's own IPv6 plugins (`ucast6` to a global
//! address, `mcast6` on a link-local group) and a serial line (a PTY pair
//! paced at 19200 baud by the lab). On each, with auto_failback off, the
//! pair comes up with heartbeat holding the group, heartbeat's host
//! crashes (kill -9 of its process group, its address gone with it) and
//! ha-node takes over; heartbeat comes back and leaves the group there;
//! ha-node's host crashes and heartbeat takes over. The virtual IP,
//! sampled every 10 ms, is never on both nodes.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::holds_vip;
use common::mixed::{
    check_pair, crash_ha_node, keeps_it, logs, pair, spec, wait_holder, wait_pair_up, TwoHolders,
    HA, HB, VIP_CIDR,
};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::serial_line::SerialLine;

/// The nodes' IPv6 addresses on the LAN.
fn ipv6_address(node: Node) -> &'static str {
    match node {
        Node::A => "fd00:77::1",
        Node::B => "fd00:77::2",
    }
}

/// Waits until `holder` alone has the group; how long after `since`.
fn took_over(cluster: &TwoNodeCluster, holder: Node, what: &str, since: Instant) -> Duration {
    wait_holder(cluster, holder, what);
    since.elapsed()
}

/// The crashes both ways, on a pair built from `spec` (auto_failback off,
/// heartbeat preferred); `prepare` runs on the bed before anything starts.
fn fails_over_both_ways(tag: &str, spec: ClusterSpec, prepare: impl Fn(&TwoNodeCluster)) {
    let mut cluster = pair(tag, spec);
    prepare(&cluster);
    let watch = TwoHolders::watch(&cluster);
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes the group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    keeps_it(&cluster, HB, "the pair up", Duration::from_secs(2));

    let crashed = Instant::now();
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    let took = took_over(
        &cluster,
        HA,
        "ha-node takes over a crashed heartbeat",
        crashed,
    );
    eprintln!(
        "{tag}: heartbeat killed -9, ha-node holds the group {} ms later",
        took.as_millis()
    );

    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat back");
    keeps_it(&cluster, HA, "heartbeat back", Duration::from_secs(2));

    let crashed = Instant::now();
    crash_ha_node(&mut cluster);
    let took = took_over(
        &cluster,
        HB,
        "heartbeat takes over a crashed ha-node",
        crashed,
    );
    eprintln!(
        "{tag}: ha-node killed -9, heartbeat holds the group {} ms later",
        took.as_millis()
    );
    assert!(
        !holds_vip(&cluster, HA),
        "ha-node's host kept the address\n{}",
        logs(&cluster)
    );
    check_pair(&cluster, watch);
}

/// The mixed pair's spec on `media` (the same line on both nodes unless
/// each is given), auto_failback off.
fn spec_on(media: [String; 2]) -> ClusterSpec {
    let mut spec = spec("off", HB);
    spec.media = media.map(|m| vec![m]);
    spec
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
fn a_mixed_pair_over_ucast6_fails_over_both_ways() {
    fails_over_both_ways(
        "hn-mxu6",
        spec_on([
            format!("ucast6 eth0 {}", ipv6_address(Node::B)),
            format!("ucast6 eth0 {}", ipv6_address(Node::A)),
        ]),
        add_ipv6_addresses,
    );
}

#[test]
fn a_mixed_pair_over_mcast6_fails_over_both_ways() {
    let line = "mcast6 eth0 ff12::1:2:3:4 694 1 0".to_string();
    fails_over_both_ways("hn-mxm6", spec_on([line.clone(), line]), add_ipv6_addresses);
}

/// The line's rate: heartbeat's default.
const BAUD: u32 = 19200;

#[test]
fn a_mixed_pair_over_a_serial_line_fails_over_both_ways() {
    let line = SerialLine::new(BAUD).unwrap();
    let mut spec = spec("off", HB);
    // Timers a 19200-baud line carries for two nodes (ha-node's
    // check-config agrees).
    spec.keepalive = "400ms".into();
    spec.warntime = "1".into();
    spec.deadtime = "2".into();
    spec.initdead = "4".into();
    let media = |path: &str| vec![format!("baud {BAUD}"), format!("serial {path}")];
    spec.media = [media(&line.paths()[0]), media(&line.paths()[1])];
    // Both nodes are machines with a private /run: ha-node locks the line
    // in /var/lock (/run/lock), which a real machine has.
    fails_over_both_ways("hn-mxser", spec, |cluster| {
        cluster.host(HA).run("mkdir", ["-p", "/run/lock"]).unwrap();
    });
}

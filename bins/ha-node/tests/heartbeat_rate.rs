//! Heartbeats go out on a fixed schedule: at keepalive 10 ms a peer counts
//! 100 per second from a node, within 1 %, over 10 s.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, start_both, status, BINARY};
use ha_lab::cluster::{ClusterSpec, Node};

/// Messages node-b has received from node-a on its one medium.
fn received_from_a(cluster: &ha_lab::cluster::TwoNodeCluster) -> u64 {
    let status = status(cluster, Node::B).expect("node-b's status");
    status["history"]["peers"][0]["links"][0]["received"]
        .as_u64()
        .expect("a received count")
}

#[test]
fn a_node_sends_100_heartbeats_a_second_at_keepalive_10ms() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "50ms".into();
    let mut cluster = cluster("hn-rate", spec);
    start_both(&mut cluster);
    let (t0, n0) = (Instant::now(), received_from_a(&cluster));
    std::thread::sleep(Duration::from_secs(10));
    let (t1, n1) = (Instant::now(), received_from_a(&cluster));
    let rate = (n1 - n0) as f64 / t1.duration_since(t0).as_secs_f64();
    eprintln!(
        "node-b received {} heartbeats from node-a in {:.3} s: {rate:.1} per second",
        n1 - n0,
        t1.duration_since(t0).as_secs_f64()
    );
    assert!(
        (99.0..=101.0).contains(&rate),
        "{rate:.1} heartbeats per second at keepalive 10 ms"
    );
}

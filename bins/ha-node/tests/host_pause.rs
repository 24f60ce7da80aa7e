//! A paused host is not a dead peer: both nodes' processes are frozen
//! together (SIGSTOP, as when the hypervisor pauses the machine or the
//! kernel stalls it) for three times the deadtime, 20 times over, at
//! keepalive 10 ms / deadtime 50 ms. Each node, on resuming, sees that it
//! was not running itself and gives its peer a grace to be heard before
//! judging it: nobody is declared dead and the group never moves. Needs
//! root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{cluster, start_both, status, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node};

#[test]
fn freezing_both_nodes_for_three_deadtimes_moves_nothing() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "50ms".into();
    let mut cluster = cluster("hn-pause", spec);
    start_both(&mut cluster);
    let before = [Node::A, Node::B].map(|node| cluster.log(node).len());
    const PAUSES: usize = 20;
    for _ in 0..PAUSES {
        cluster.freeze(Node::A).expect("freeze node-a");
        cluster.freeze(Node::B).expect("freeze node-b");
        std::thread::sleep(150 * MS);
        cluster.thaw(Node::A).expect("thaw node-a");
        cluster.thaw(Node::B).expect("thaw node-b");
        std::thread::sleep(200 * MS);
    }
    let logs = [(Node::A, before[0]), (Node::B, before[1])].map(|(node, from)| {
        let log = cluster.log(node);
        log.get(from..).unwrap_or_default().to_string()
    });
    // Every pause is counted in the node's history.
    let stalls = [Node::A, Node::B].map(|node| {
        status(&cluster, node).expect("status")["history"]["stalls"]
            .as_u64()
            .expect("a stall count")
    });
    eprintln!(
        "{PAUSES} pauses of 150 ms at 10/50 ms: stalls counted by node-a {}, node-b {}",
        stalls[0], stalls[1]
    );
    for (node, log) in [Node::A, Node::B].iter().zip(&logs) {
        assert!(
            !log.contains("-> dead") && !log.contains("acquiring resource group"),
            "{} judged its peer dead after a pause:\n{log}",
            node.name()
        );
    }
    // The pauses were seen for what they were, and said so in the log.
    assert!(stalls.iter().all(|n| *n >= PAUSES as u64), "{stalls:?}");
    assert!(
        logs.iter().all(|log| log.contains("this node was stalled")),
        "{logs:?}"
    );
    assert!(cluster.holds_vip(Node::A).expect("addresses of node-a"));
    assert!(!cluster.holds_vip(Node::B).expect("addresses of node-b"));
}

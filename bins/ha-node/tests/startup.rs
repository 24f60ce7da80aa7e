//! End to end: a node that starts alone waits initdead before taking its
//! groups, and a node that starts later hears the owner and stays idle.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, holds_throughout, holds_vip, outputs, owner_seen, state_seen, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node};

/// `ClusterSpec::fast`'s initdead.
const INITDEAD: Duration = Duration::from_secs(2);

#[test]
fn a_lone_node_takes_its_group_after_initdead_and_a_later_node_leaves_it_alone() {
    let spec = ClusterSpec::fast(BINARY);
    assert_eq!(spec.initdead, "2", "this test assumes initdead 2");
    let mut cluster = cluster("hn-start", spec);

    let started = Instant::now();
    cluster.start(Node::A).expect("start node-a");

    // Before initdead node-a may not act: its peer may just be slow to boot.
    let checks = holds_throughout(1500 * MS, 10 * MS, || match holds_vip(&cluster, Node::A) {
        true => Err("node-a took the VIP before initdead".into()),
        false => Ok(()),
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", outputs(&cluster)));
    assert!(checks >= 20, "only {checks} samples in 1.5 s");

    // After initdead it must give up on node-b and take the group.
    let taken = cluster
        .wait_until(
            (INITDEAD + Duration::from_secs(1)).saturating_sub(started.elapsed()),
            |c| holds_vip(c, Node::A),
        )
        .unwrap_or_else(|| {
            panic!(
                "node-a has no VIP {} ms after its start\n{}",
                started.elapsed().as_millis(),
                outputs(&cluster)
            )
        });
    let after = taken.duration_since(started);
    eprintln!(
        "lone node-a took the VIP {} ms after start",
        after.as_millis()
    );
    // The node's own clock starts after `started`, so the VIP cannot
    // legitimately appear before initdead has passed on ours.
    assert!(
        after >= INITDEAD,
        "VIP after {} ms, before initdead",
        after.as_millis()
    );
    assert_eq!(
        state_seen(&cluster, Node::A, Node::B).as_deref(),
        Some("dead"),
        "node-a should have declared the silent node-b dead"
    );
    assert_eq!(owner_seen(&cluster, Node::A).as_deref(), Some("node-a"));

    // node-b joins: it must hear node-a owning the group and never add the
    // VIP. Watching past node-b's own initdead also catches a node-b that
    // does not hear node-a at all and takes the group when initdead expires.
    cluster.start(Node::B).expect("start node-b");
    let checks = holds_throughout(INITDEAD + Duration::from_secs(1), 10 * MS, || {
        if holds_vip(&cluster, Node::B) {
            return Err("node-b added the VIP although node-a owns it".into());
        }
        if !holds_vip(&cluster, Node::A) {
            return Err("node-a lost the VIP".into());
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", outputs(&cluster)));
    assert!(checks >= 30, "only {checks} samples in 3 s");

    // And it did join: both see each other active, both name node-a the owner.
    assert_eq!(
        state_seen(&cluster, Node::B, Node::A).as_deref(),
        Some("active"),
        "{}",
        outputs(&cluster)
    );
    assert_eq!(
        state_seen(&cluster, Node::A, Node::B).as_deref(),
        Some("active"),
        "{}",
        outputs(&cluster)
    );
    assert_eq!(owner_seen(&cluster, Node::B).as_deref(), Some("node-a"));
    assert_eq!(owner_seen(&cluster, Node::A).as_deref(), Some("node-a"));
    assert!(
        !cluster.log(Node::B).contains("acquiring resource group"),
        "node-b tried to acquire the group:\n{}",
        cluster.log(Node::B)
    );
}

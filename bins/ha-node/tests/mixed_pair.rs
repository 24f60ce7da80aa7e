//! End to end, a rolling upgrade's mixed pair: real heartbeat 3.0.6
//! (Debian's package `heartbeat`) as node-a, the preferred node, and
//! `ha-node` as node-b, over mcast with sha1, keepalive 100 ms and
//! deadtime 500 ms, one IPaddr group. Either starts first, either is
//! killed with SIGKILL, either stops gracefully; throughout, the virtual
//! IP (sampled every 10 ms) is never on both nodes, heartbeat's log shows
//! no flow-control trouble, its `cl_status` answers, and ha-node rejects
//! none of heartbeat's packets.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::mixed::{
    check_pair, crash_ha_node, keeps_it, logs, pair, spec, stop_ha_node, wait_holder, wait_pair_up,
    TwoHolders, HA, HB, SETTLE, VIP_CIDR,
};
use ha_lab::cluster::{Node, TwoNodeCluster};

fn mixed_pair(tag: &str) -> TwoNodeCluster {
    mixed_pair_with(tag, "off", HB)
}

/// A mixed pair with `auto_failback` as given and the group preferring
/// `preferred`.
fn mixed_pair_with(tag: &str, auto_failback: &str, preferred: Node) -> TwoNodeCluster {
    pair(tag, spec(auto_failback, preferred))
}

/// heartbeat 3.0.6 with `auto_failback off` (its nice_failback): a node
/// that starts while its peer holds the group leaves it there. Each node
/// is started while the other is settled (see the README on what a mixed
/// pair does not do).
#[test]
fn a_mixed_pair_with_heartbeat_3_0_6_fails_over_both_ways() {
    let mut cluster = mixed_pair("hn-mixed");
    let watch = TwoHolders::watch(&cluster);

    // heartbeat first (it takes the group after initdead), then ha-node.
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes its group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    cluster
        .cl_status(HB, &["hbstatus"])
        .unwrap_or_else(|e| panic!("cl_status hbstatus: {e}\n{}", logs(&cluster)));
    // Long enough for heartbeat's history (500 messages, acks every
    // 10th) to fill up if it waited for acks: 100 ms heartbeats from
    // both sides.
    keeps_it(
        &cluster,
        HB,
        "ha-node leaves heartbeat's group",
        Duration::from_secs(10),
    );

    // ha-node killed, and back: heartbeat keeps the group.
    cluster.kill(HA).unwrap();
    keeps_it(&cluster, HB, "ha-node killed", Duration::from_millis(1500));
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back after a kill");

    // heartbeat stops gracefully: ha-node takes the group and keeps it
    // while heartbeat's last heartbeats (after its shutdone) arrive.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop within {SETTLE:?}\n{}",
        logs(&cluster)
    );
    wait_holder(&cluster, HA, "ha-node takes over a stopped heartbeat");
    keeps_it(
        &cluster,
        HA,
        "after heartbeat's shutdone",
        Duration::from_secs(3),
    );

    // heartbeat started while ha-node holds the group: it comes up (it
    // leaves `up`, cl_status signs on) and leaves the group there.
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat started second comes up");
    keeps_it(
        &cluster,
        HA,
        "heartbeat started second",
        Duration::from_secs(2),
    );

    // ha-node stops gracefully: heartbeat takes over.
    stop_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a stopped ha-node");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back after a stop");
    keeps_it(
        &cluster,
        HB,
        "ha-node back after a stop",
        Duration::from_secs(1),
    );

    // heartbeat's host crashes: ha-node takes over.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    wait_holder(&cluster, HA, "ha-node takes over a crashed heartbeat");
    keeps_it(
        &cluster,
        HA,
        "after heartbeat's crash",
        Duration::from_secs(1),
    );

    // heartbeat back while ha-node holds the group: it comes up and leaves
    // the group there. (A heartbeat that comes up waits for its peer's
    // resource report, which ha-node does not send; if ha-node died in
    // that wait, heartbeat would take its peer's groups for none: see the
    // README. So ha-node leaves gracefully, and heartbeat takes over.)
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat back after a crash");
    keeps_it(
        &cluster,
        HA,
        "heartbeat back after a crash",
        Duration::from_secs(1),
    );
    stop_ha_node(&mut cluster);
    wait_holder(
        &cluster,
        HB,
        "heartbeat takes over ha-node's group on its stop",
    );

    // heartbeat alone stops gracefully.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );

    check_pair(&cluster, watch);
}

/// heartbeat's auto_failback on with heartbeat as the preferred node: its
/// group comes back to it whenever it returns, through heartbeat's own
/// hand-over (ha-node asks `info=me`, heartbeat agrees, ha-node releases,
/// heartbeat acquires); started together or one after the other.
#[test]
fn auto_failback_returns_the_group_to_a_heartbeat_node() {
    let mut cluster = mixed_pair_with("hn-mixfb", "on", HB);
    let watch = TwoHolders::watch(&cluster);

    // ha-node alone takes heartbeat's group; heartbeat comes and gets it back.
    cluster.start(HA).unwrap();
    wait_holder(&cluster, HA, "ha-node alone takes the group");
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat joins ha-node");
    wait_holder(&cluster, HB, "the group fails back to heartbeat");
    keeps_it(&cluster, HB, "after failback", Duration::from_secs(2));

    // heartbeat killed: ha-node takes over; heartbeat back: failback.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    wait_holder(&cluster, HA, "ha-node takes over a crashed heartbeat");
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "the group fails back after a crash");
    keeps_it(
        &cluster,
        HB,
        "after the second failback",
        Duration::from_secs(2),
    );

    // ha-node restarted while heartbeat holds the group: it leaves it there.
    cluster.kill(HA).unwrap();
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back");
    keeps_it(&cluster, HB, "ha-node restarted", Duration::from_secs(3));

    // heartbeat stops gracefully: ha-node takes over, and gives it back.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop within {SETTLE:?}\n{}",
        logs(&cluster)
    );
    wait_holder(&cluster, HA, "ha-node takes over a stopped heartbeat");
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "the group fails back after a stop");
    stop_ha_node(&mut cluster);
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );
    // Each failback went through heartbeat's hand-over, as heartbeat
    // itself logs it.
    let hb_log = cluster.heartbeat_log(HB);
    let acquired = hb_log
        .matches("standby: acquire [foreign] resources from node-b")
        .count();
    assert!(acquired >= 3, "{acquired} hand-overs\n{}", logs(&cluster));
    check_pair(&cluster, watch);
}

/// auto_failback on with ha-node as the preferred node: heartbeat, holding
/// ha-node's group after a takeover, hands it back by itself when ha-node
/// returns (heartbeat's PerformAutoFailback asks `info=me`).
#[test]
fn auto_failback_returns_the_group_to_an_ha_node() {
    let mut cluster = mixed_pair_with("hn-mixfb2", "on", HA);
    let watch = TwoHolders::watch(&cluster);

    // heartbeat alone takes ha-node's group; ha-node comes and gets it back.
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes the group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    wait_holder(&cluster, HA, "the group fails back to ha-node");
    keeps_it(&cluster, HA, "after failback", Duration::from_secs(2));

    // ha-node's host crashes: heartbeat takes over; ha-node back: failback.
    crash_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a killed ha-node");
    cluster.start(HA).unwrap();
    wait_holder(&cluster, HA, "the group fails back after a kill");
    keeps_it(
        &cluster,
        HA,
        "after the second failback",
        Duration::from_secs(2),
    );

    // heartbeat restarted while ha-node holds the group: it leaves it there.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat back");
    keeps_it(&cluster, HA, "heartbeat restarted", Duration::from_secs(3));

    stop_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a stopped ha-node");
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );
    let hb_log = cluster.heartbeat_log(HB);
    let handed = hb_log
        .matches("standby: node-b can take our foreign resources")
        .count();
    assert!(handed >= 2, "{handed} hand-overs\n{}", logs(&cluster));
    check_pair(&cluster, watch);
}

/// ha-node, the preferred node with auto_failback on, killed and back as
/// soon as heartbeat has started its group, while heartbeat's takeover
/// may still be finishing ("T_STARTING received during takeover"):
/// heartbeat hands the group back every time. (Back before heartbeat has
/// started the group, heartbeat 3.0.6 may run its failback's stop before
/// its takeover's start, and hold the address after handing it over.)
#[test]
fn an_ha_node_back_during_heartbeats_takeover_gets_its_group_back() {
    let mut cluster = mixed_pair_with("hn-mixfb3", "on", HA);
    let watch = TwoHolders::watch(&cluster);
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes the group");
    cluster.start(HA).unwrap();
    wait_holder(&cluster, HA, "the group fails back to ha-node");
    for round in 1..=3 {
        crash_ha_node(&mut cluster);
        wait_holder(
            &cluster,
            HB,
            &format!("round {round}: heartbeat takes the group over"),
        );
        cluster.start(HA).unwrap();
        if cluster
            .wait_until(SETTLE, |c| {
                common::holds_vip(c, HA) && !common::holds_vip(c, HB)
            })
            .is_none()
        {
            panic!(
                "round {round}: the group never came back to ha-node\nstatus: {}\n{}",
                cluster.status_json(HA).unwrap_or_default(),
                logs(&cluster)
            );
        }
        keeps_it(
            &cluster,
            HA,
            &format!("round {round}"),
            Duration::from_secs(1),
        );
    }
    check_pair(&cluster, watch);
}

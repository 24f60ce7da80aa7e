//! Ping nodes and ipfail on the simulated cluster: a node that loses its
//! ping nodes while its peer keeps them hands its groups over; losing them
//! everywhere moves nothing; connectivity back, auto_failback decides.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ha_membership::harness::{Cluster, Setup};
use ha_membership::machine::{ActionKind, Event, PingState, ReleaseReason, StartCause};
use ha_membership::message::Message;

const MS: Duration = Duration::from_millis(1);
const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";
const ROUTER: &str = "192.168.3.1";
const A: usize = 0;
const B: usize = 1;

/// `a` (preferred) and `b`, one ping node, ipfail on, settled with `a`
/// holding the group. keepalive 100 ms, deadtime and deadping 500 ms.
fn cluster(auto_failback: bool) -> Cluster {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a").ping_node(ROUTER);
    setup.auto_failback = auto_failback;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    cluster
}

/// The actions node `i` asked for after `since`.
fn actions_since(cluster: &Cluster, i: usize, since: Duration) -> Vec<ActionKind> {
    cluster
        .actions(i)
        .filter(|(at, ..)| *at > since)
        .map(|(.., kind)| kind)
        .filter(|kind| {
            !matches!(
                kind,
                ActionKind::Announce | ActionKind::Monitor | ActionKind::Probe
            )
        })
        .collect()
}

/// When node `i` first asked for `kind` after `since`.
fn first(cluster: &Cluster, i: usize, since: Duration, kind: ActionKind) -> Duration {
    cluster
        .actions(i)
        .find(|(at, .., k)| *at > since && *k == kind)
        .map(|(at, ..)| at)
        .unwrap_or_else(|| {
            panic!(
                "{kind:?} never asked of node {i}:\n{}",
                cluster.transcript()
            )
        })
}

#[test]
fn heartbeats_carry_the_ping_node_count_once_judged() {
    let cluster = cluster(true);
    let counts: Vec<Option<u32>> = cluster
        .sent(B)
        .filter_map(|(_, m)| match m {
            Message::Status(s) => Some(s.ping_nodes),
            _ => None,
        })
        .collect();
    assert_eq!(counts.last(), Some(&Some(1)));
    let nodes = cluster.machine(A).unwrap().nodes(cluster.now());
    assert_eq!(
        nodes.iter().map(|n| n.ping_nodes).collect::<Vec<_>>(),
        [Some(1), Some(1)]
    );
    let pings = cluster.machine(A).unwrap().ping_nodes(cluster.now());
    assert_eq!(pings.len(), 1);
    assert_eq!(
        (pings[0].name.as_str(), pings[0].state),
        (ROUTER, PingState::Up)
    );
}

#[test]
fn the_owner_cut_off_from_its_ping_node_hands_the_group_over_and_gets_it_back() {
    let mut cluster = cluster(true);
    let cut = cluster.elapsed();
    cluster.set_ping_reachable(A, ROUTER, false);
    cluster.advance(2000 * MS);
    assert_eq!(
        cluster.owner_names(GROUP),
        ["b"],
        "{}",
        cluster.transcript()
    );
    let stop = first(&cluster, A, cut, ActionKind::Stop(ReleaseReason::PingNodes));
    let start = first(&cluster, B, cut, ActionKind::Start(StartCause::PingNodes));
    // deadping (500 ms, counted from the last answer) + the hold (2 ×
    // keepalive) + a keepalive of slack.
    assert!(stop - cut <= 800 * MS, "released after {:?}", stop - cut);
    assert!(start >= stop && start - stop <= 100 * MS);
    assert!(cluster
        .events(A)
        .any(|(_, e)| matches!(e, Event::PingShortfall { node, short: true } if node == "a")));
    // Nothing flaps meanwhile.
    assert_eq!(
        actions_since(&cluster, A, cut),
        [ActionKind::Stop(ReleaseReason::PingNodes)]
    );

    let restored = cluster.elapsed();
    cluster.set_ping_reachable(A, ROUTER, true);
    cluster.advance(1000 * MS);
    assert_eq!(
        cluster.owner_names(GROUP),
        ["a"],
        "{}",
        cluster.transcript()
    );
    assert_eq!(
        actions_since(&cluster, B, restored),
        [ActionKind::Stop(ReleaseReason::Failback)]
    );
    let back = first(
        &cluster,
        A,
        restored,
        ActionKind::Start(StartCause::Failback),
    );
    assert!(
        back - restored <= 300 * MS,
        "back after {:?}",
        back - restored
    );
}

#[test]
fn without_auto_failback_the_group_stays_with_the_peer() {
    let mut cluster = cluster(false);
    cluster.set_ping_reachable(A, ROUTER, false);
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    cluster.set_ping_reachable(A, ROUTER, true);
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
}

#[test]
fn losing_the_ping_nodes_on_both_nodes_moves_nothing() {
    let mut cluster = cluster(true);
    let cut = cluster.elapsed();
    cluster.set_ping_reachable(A, ROUTER, false);
    // `b` loses it a keepalive later: within the hold.
    cluster.advance(100 * MS);
    cluster.set_ping_reachable(B, ROUTER, false);
    cluster.advance(3000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(actions_since(&cluster, A, cut), []);
    assert_eq!(actions_since(&cluster, B, cut), []);
    let nodes = cluster.machine(B).unwrap().nodes(cluster.now());
    assert_eq!(
        nodes.iter().map(|n| n.ping_nodes).collect::<Vec<_>>(),
        [Some(0), Some(0)]
    );
    // Both back: still nothing moves.
    cluster.set_ping_reachable(A, ROUTER, true);
    cluster.set_ping_reachable(B, ROUTER, true);
    cluster.advance(2000 * MS);
    assert_eq!(actions_since(&cluster, A, cut), []);
    assert_eq!(actions_since(&cluster, B, cut), []);
}

#[test]
fn the_peer_cut_off_takes_nothing_and_the_owner_keeps_the_group() {
    let mut cluster = cluster(true);
    let cut = cluster.elapsed();
    cluster.set_ping_reachable(B, ROUTER, false);
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(actions_since(&cluster, A, cut), []);
    // The owner dies meanwhile: the short peer is the only node left, and
    // takes the group rather than leave it down.
    let died = cluster.elapsed();
    cluster.crash(A);
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    first(&cluster, B, died, ActionKind::Start(StartCause::PeerDead));
}

#[test]
fn a_node_without_ipfail_only_tracks_its_ping_nodes() {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a").ping_node(ROUTER);
    setup.ipfail = false;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster.advance(1000 * MS);
    let cut = cluster.elapsed();
    cluster.set_ping_reachable(A, ROUTER, false);
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(actions_since(&cluster, A, cut), []);
    let pings = cluster.machine(A).unwrap().ping_nodes(cluster.now());
    assert_eq!(pings[0].state, PingState::Dead);
}

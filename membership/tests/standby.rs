//! The operator's hand-overs on the simulated cluster: heartbeat's
//! `hb_standby` and `hb_takeover` with each of their arguments, answered
//! within a round trip rather than a deadtime, and refused when no peer is
//! there to take part.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ha_membership::harness::{Cluster, Setup};
use ha_membership::machine::{
    ActionKind, HandoverRefused, ReleaseReason, ResourceSet, StartCause, Which,
};
use ha_membership::message::{Header, Message};

const MS: Duration = Duration::from_millis(1);
/// Preferred by `a`.
const GA: &str = "IPaddr::10.0.0.100/24/eth0";
/// Preferred by `b`.
const GB: &str = "IPaddr::10.0.0.101/24/eth0";
const A: usize = 0;
const B: usize = 1;

/// `a` and `b`, one group preferred by each, auto_failback on, both
/// settled: `a` holds GA, `b` holds GB. Actions take 10 ms.
fn cluster() -> Cluster {
    let mut setup = Setup::new(&["a", "b"]).group(GA, "a").group(GB, "b");
    setup.action_delay = 10 * MS;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert_eq!(cluster.owner_names(GB), ["b"]);
    cluster
}

/// Advances until every group in `expected` is held by the node named and
/// nobody else; returns the time it took.
fn until_owned(cluster: &mut Cluster, expected: &[(&str, &str)]) -> Duration {
    let start = cluster.elapsed();
    for _ in 0..1000 {
        if expected
            .iter()
            .all(|(group, node)| cluster.owner_names(group) == [*node])
        {
            return cluster.elapsed() - start;
        }
        cluster.advance(MS);
    }
    panic!("never owned as {expected:?}:\n{}", cluster.transcript());
}

fn starts(cluster: &Cluster, node: usize) -> Vec<(String, StartCause)> {
    cluster
        .actions(node)
        .filter_map(|(_, _, group, kind)| match kind {
            ActionKind::Start(cause) => Some((group.to_string(), cause)),
            _ => None,
        })
        .collect()
}

fn stops(cluster: &Cluster, node: usize) -> Vec<(String, ReleaseReason)> {
    cluster
        .actions(node)
        .filter_map(|(_, _, group, kind)| match kind {
            ActionKind::Stop(reason) => Some((group.to_string(), reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn standby_all_hands_everything_over_at_once_and_auto_failback_does_not_undo_it() {
    let mut cluster = cluster();
    let handover = cluster.standby(A, Which::All).unwrap().unwrap();
    assert_eq!(handover.set, ResourceSet::All);
    assert_eq!(handover.moving, [GA]);
    assert_eq!(handover.peers, ["b"]);
    let took = until_owned(&mut cluster, &[(GA, "b"), (GB, "b")]);
    // A stop, a status, a start: no deadtime (500 ms), no keepalive wait.
    assert!(took <= 30 * MS, "took {took:?}");
    assert_eq!(
        stops(&cluster, A),
        [(GA.to_string(), ReleaseReason::Standby)]
    );
    assert!(starts(&cluster, B).contains(&(GA.to_string(), StartCause::Standby)));
    // auto_failback is on and `a` is active: the groups stay with `b`.
    cluster.advance(3000 * MS);
    assert_eq!(cluster.owner_names(GA), ["b"]);
    assert_eq!(cluster.owner_names(GB), ["b"]);
}

#[test]
fn takeover_all_brings_everything_back_in_a_round_trip() {
    let mut cluster = cluster();
    cluster.standby(A, Which::All).unwrap().unwrap();
    until_owned(&mut cluster, &[(GA, "b")]);
    cluster.advance(500 * MS);
    let handover = cluster.takeover(A, Which::All).unwrap().unwrap();
    assert_eq!(handover.moving, [GA, GB]);
    let took = until_owned(&mut cluster, &[(GA, "a"), (GB, "a")]);
    assert!(took <= 30 * MS, "took {took:?}");
    assert!(stops(&cluster, B).contains(&(GA.to_string(), ReleaseReason::Standby)));
    assert!(starts(&cluster, A).contains(&(GB.to_string(), StartCause::Standby)));
    // `b` now stands by for both: they stay with `a`.
    cluster.advance(3000 * MS);
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert_eq!(cluster.owner_names(GB), ["a"]);
}

#[test]
fn standby_local_gives_only_the_groups_preferred_here() {
    let mut cluster = cluster();
    let handover = cluster.standby(A, Which::Local).unwrap().unwrap();
    assert_eq!(handover.set, ResourceSet::Local);
    assert_eq!(handover.moving, [GA]);
    until_owned(&mut cluster, &[(GA, "b"), (GB, "b")]);
    // `b` going standby for its local groups hands GB over to `a`, and
    // overrides nothing else: GA stays where it is.
    let handover = cluster.standby(B, Which::Local).unwrap().unwrap();
    assert_eq!(handover.moving, [GB]);
    until_owned(&mut cluster, &[(GA, "b"), (GB, "a")]);
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GA), ["b"]);
    assert_eq!(cluster.owner_names(GB), ["a"]);
}

#[test]
fn standby_foreign_and_failback_give_the_other_nodes_groups_back() {
    for which in [Which::Foreign, Which::Failback] {
        let mut cluster = cluster();
        // `b` goes standby: `a` holds both.
        cluster.standby(B, Which::All).unwrap().unwrap();
        until_owned(&mut cluster, &[(GA, "a"), (GB, "a")]);
        let handover = cluster.standby(A, which).unwrap().unwrap();
        assert_eq!(handover.set, ResourceSet::Foreign, "{which:?}");
        assert_eq!(handover.moving, [GB], "{which:?}");
        until_owned(&mut cluster, &[(GA, "a"), (GB, "b")]);
        cluster.advance(2000 * MS);
        assert_eq!(cluster.owner_names(GA), ["a"], "{which:?}");
        assert_eq!(cluster.owner_names(GB), ["b"], "{which:?}");
    }
}

#[test]
fn takeover_local_and_foreign_take_only_that_set_and_failback_takes_all() {
    let cases = [
        (Which::Local, vec![GA], ("a", "b")),
        (Which::Foreign, vec![GB], ("b", "a")),
        (Which::Failback, vec![GA, GB], ("a", "a")),
    ];
    for (which, moving, (owner_a, owner_b)) in cases {
        let mut cluster = cluster();
        cluster.standby(A, Which::All).unwrap().unwrap();
        until_owned(&mut cluster, &[(GA, "b"), (GB, "b")]);
        let handover = cluster.takeover(A, which).unwrap().unwrap();
        assert_eq!(handover.moving, moving, "{which:?}");
        until_owned(&mut cluster, &[(GA, owner_a), (GB, owner_b)]);
        cluster.advance(2000 * MS);
        assert_eq!(cluster.owner_names(GA), [owner_a], "{which:?}");
        assert_eq!(cluster.owner_names(GB), [owner_b], "{which:?}");
    }
}

#[test]
fn refused_when_the_peer_is_dead_and_before_settling() {
    let mut cluster = cluster();
    cluster.crash(B);
    cluster.advance(600 * MS);
    for refused in [
        cluster.standby(A, Which::All).unwrap().unwrap_err(),
        cluster.takeover(A, Which::All).unwrap().unwrap_err(),
    ] {
        assert!(matches!(refused, HandoverRefused::NoActivePeer { .. }));
    }
    assert_eq!(
        cluster
            .standby(A, Which::All)
            .unwrap()
            .unwrap_err()
            .to_string(),
        "no peer is active to take the groups over (b is dead): refused"
    );
    assert_eq!(
        cluster
            .takeover(A, Which::Local)
            .unwrap()
            .unwrap_err()
            .to_string(),
        "no peer is active to hand the groups over (b is dead): refused"
    );
    // Nothing moved: `a` serves both.
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert_eq!(cluster.owner_names(GB), ["a"]);
    // Restarted, `a` is up and has not heard `b` yet.
    cluster.restart(A);
    let refused = cluster.standby(A, Which::All).unwrap().unwrap_err();
    assert_eq!(
        refused.to_string(),
        "this node is up, not active yet: refused"
    );
}

#[test]
fn a_node_standing_by_serves_everything_once_its_peer_dies() {
    let mut cluster = cluster();
    cluster.standby(A, Which::All).unwrap().unwrap();
    until_owned(&mut cluster, &[(GA, "b"), (GB, "b")]);
    cluster.crash(B);
    cluster.advance(700 * MS);
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert_eq!(cluster.owner_names(GB), ["a"]);
    // `b` back: no longer stood by for, GB fails back to it as usual.
    cluster.start(B);
    cluster.advance(1500 * MS);
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert_eq!(cluster.owner_names(GB), ["b"]);
}

#[test]
fn the_messages_are_heartbeats_own() {
    let mut cluster = cluster();
    cluster.standby(A, Which::Failback).unwrap().unwrap();
    cluster.takeover(A, Which::Local).unwrap().unwrap();
    cluster.advance(100 * MS);
    let sent: Vec<Message> = cluster.sent(A).map(|(_, m)| m.clone()).collect();
    let asks: Vec<(String, String)> = sent
        .iter()
        .filter_map(|m| match m {
            Message::AskResources {
                resources, info, ..
            } => Some((resources.clone(), info.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asks[0], ("foreign".to_string(), "me".to_string()));
    let takeover = sent
        .iter()
        .find(|m| matches!(m, Message::Takeover { .. }))
        .unwrap();
    let wire = takeover.to_wire(1_700_000_000, 3).unwrap();
    assert_eq!(wire.string("t"), Some("hb_takeover"));
    assert_eq!(wire.string("rsc_hold"), Some("local"));
    // `b` answered `a`'s standby as a heartbeat peer does.
    assert!(cluster.sent(B).any(|(_, m)| matches!(m,
        Message::AskResources { info, .. } if info == "other")));
    // A heartbeat hb_standby message decodes, `rsc_hold` missing being all.
    let header = Header {
        from: "a".into(),
        uuid: [1; 16],
        generation: 1,
        seq: 9,
    };
    let ask = Message::AskResources {
        header,
        resources: "all".into(),
        info: "me".into(),
    };
    let mut wire = ask.to_wire(1_700_000_000, 3).unwrap();
    assert_eq!(wire.string("t"), Some("ask_resources"));
    assert_eq!(wire.string("info"), Some("me"));
    wire.remove("rsc_hold");
    assert_eq!(Message::from_wire(&wire).unwrap(), ask);
}

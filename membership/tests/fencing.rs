//! Fencing before takeover on the simulated cluster, as heartbeat does it:
//! a dead owner is fenced once before its groups are started elsewhere; a
//! failed fence is retried every 5 s and the groups stay down meanwhile; a
//! dead peer that was heard and held nothing needs no fence; without a
//! device the takeover happens as before, with a warning.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ha_membership::harness::{ActionType, Cluster, Setup};
use ha_membership::machine::{ActionKind, Event, StartCause};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);
/// Preferred by `a`.
const GA: &str = "IPaddr::10.0.0.100/24/eth0";
const A: usize = 0;
const B: usize = 1;

/// `a` and `b`, one group preferred by `a`, settled: `a` holds GA.
/// Actions and fences take 10 ms.
fn cluster(fencing: bool) -> Cluster {
    let mut setup = Setup::new(&["a", "b"]).group(GA, "a");
    if fencing {
        setup = setup.fencing();
    }
    setup.action_delay = 10 * MS;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GA), ["a"]);
    cluster
}

/// When `b` asked to start GA after a peer died.
fn takeovers(cluster: &Cluster) -> Vec<Duration> {
    cluster
        .actions(B)
        .filter(|(_, _, group, kind)| {
            *group == GA && *kind == ActionKind::Start(StartCause::PeerDead)
        })
        .map(|(at, ..)| at)
        .collect()
}

fn fences(cluster: &Cluster) -> Vec<(Duration, String)> {
    cluster
        .fences_asked(B)
        .map(|(at, _, node)| (at, node.to_string()))
        .collect()
}

fn fence_events(cluster: &Cluster) -> Vec<Event> {
    cluster
        .events(B)
        .filter(|(_, e)| {
            matches!(
                e,
                Event::FenceStarted { .. }
                    | Event::FenceFailed { .. }
                    | Event::FenceSucceeded { .. }
                    | Event::FenceCancelled { .. }
                    | Event::FencingUnavailable { .. }
                    | Event::FenceUnneeded { .. }
            )
        })
        .map(|(_, e)| e.clone())
        .collect()
}

#[test]
fn a_crashed_owner_is_fenced_once_then_taken_over() {
    let mut cluster = cluster(true);
    cluster.crash(A);
    cluster.advance(2 * SECOND);
    let fenced = fences(&cluster);
    assert_eq!(fenced.len(), 1, "{}", cluster.transcript());
    assert_eq!(fenced[0].1, "a");
    let taken = takeovers(&cluster);
    assert_eq!(taken.len(), 1, "{}", cluster.transcript());
    // The fence is answered 10 ms after it is asked; the start follows.
    assert_eq!(taken[0], fenced[0].0 + 10 * MS);
    assert_eq!(cluster.owner_names(GA), ["b"]);
    assert_eq!(
        fence_events(&cluster),
        [
            Event::FenceStarted {
                node: "a".into(),
                attempt: 1
            },
            Event::FenceSucceeded {
                node: "a".into(),
                attempts: 1
            },
        ]
    );
    println!(
        "fence asked at {:?}, takeover at {:?}",
        fenced[0].0, taken[0]
    );
}

#[test]
fn failed_fences_are_retried_every_five_seconds_and_hold_the_takeover() {
    let mut cluster = cluster(true);
    cluster.fail_next(B, ActionType::Fence);
    cluster.fail_next(B, ActionType::Fence);
    cluster.crash(A);
    cluster.advance(SECOND);
    assert_eq!(fences(&cluster).len(), 1);
    let pending = cluster.machine(B).unwrap().fences(cluster.now());
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].node, "a");
    assert!(pending[0].retry_in.is_some(), "{pending:?}");
    cluster.advance(5 * SECOND);
    assert_eq!(fences(&cluster).len(), 2);
    assert!(takeovers(&cluster).is_empty(), "{}", cluster.transcript());
    assert!(cluster.owner_names(GA).is_empty());
    cluster.advance(5 * SECOND);
    let fenced = fences(&cluster);
    assert_eq!(fenced.len(), 3, "{}", cluster.transcript());
    // Each retry 5 s after the failure, which came 10 ms after the ask.
    assert_eq!(fenced[1].0 - fenced[0].0, 5 * SECOND + 10 * MS);
    assert_eq!(fenced[2].0 - fenced[1].0, 5 * SECOND + 10 * MS);
    let taken = takeovers(&cluster);
    assert_eq!(taken, [fenced[2].0 + 10 * MS]);
    assert_eq!(cluster.owner_names(GA), ["b"]);
    assert!(cluster.machine(B).unwrap().fences(cluster.now()).is_empty());
    let failures = fence_events(&cluster)
        .into_iter()
        .filter(|e| matches!(e, Event::FenceFailed { .. }))
        .count();
    assert_eq!(failures, 2);
    println!("fences asked at {fenced:?}, takeover at {taken:?}");
}

#[test]
fn a_dead_peer_that_was_heard_and_held_nothing_is_not_fenced() {
    let mut cluster = cluster(true);
    cluster.crash(B);
    cluster.advance(2 * SECOND);
    assert_eq!(cluster.fences_asked(A).count(), 0);
    assert!(cluster
        .events(A)
        .any(|(_, e)| *e == Event::FenceUnneeded { node: "b".into() }));
}

#[test]
fn without_a_device_the_takeover_happens_with_a_warning() {
    let mut cluster = cluster(false);
    cluster.crash(A);
    cluster.advance(2 * SECOND);
    assert!(fences(&cluster).is_empty());
    assert_eq!(takeovers(&cluster).len(), 1);
    assert_eq!(cluster.owner_names(GA), ["b"]);
    assert_eq!(
        fence_events(&cluster),
        [Event::FencingUnavailable { node: "a".into() }]
    );
}

#[test]
fn a_peer_heard_again_cancels_its_fence() {
    let mut cluster = cluster(true);
    cluster.hold(B, ActionType::Fence);
    cluster.crash(A);
    cluster.advance(SECOND);
    assert_eq!(fences(&cluster).len(), 1);
    assert!(cluster.owner_names(GA).is_empty());
    cluster.restart(A);
    cluster.advance(2 * SECOND);
    assert!(fence_events(&cluster).contains(&Event::FenceCancelled { node: "a".into() }));
    assert!(cluster.machine(B).unwrap().fences(cluster.now()).is_empty());
    // Back, `a` takes its group again; `b` never started it.
    assert_eq!(cluster.owner_names(GA), ["a"]);
    assert!(takeovers(&cluster).is_empty());
}

#[test]
fn a_peer_never_heard_is_fenced_before_anything_starts() {
    let mut setup = Setup::new(&["a", "b"]).group(GA, "a").fencing();
    setup.action_delay = 10 * MS;
    let mut cluster = Cluster::new(setup);
    cluster.fail_next(B, ActionType::Fence);
    cluster.start(B);
    cluster.advance(3 * SECOND);
    // initdead (1 s): fenced, failed; nothing started while it fails.
    assert_eq!(fences(&cluster).len(), 1);
    assert!(cluster.owner_names(GA).is_empty());
    cluster.advance(4 * SECOND);
    assert_eq!(fences(&cluster).len(), 2);
    assert_eq!(cluster.owner_names(GA), ["b"]);
}

//! Probes and per-resource monitors in the state machine, on the
//! simulated cluster's fake clock: a node probes each group it is not to
//! hold (once settled, after a stop, after a failed start, while standing
//! by) and again at the group's probe interval; a failed probe moves
//! nothing; each monitored resource runs on its own schedule.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ha_membership::harness::{ActionType, Cluster, Setup};
use ha_membership::machine::{
    ActionKind, ActionOutcome, Event, LocalGroupState, ResourceMonitor, Which,
};

const MS: Duration = Duration::from_millis(1);
const GROUP: &str = "IPaddr::10.0.0.100/24/eth0 nginx";
const A: usize = 0;
const B: usize = 1;

/// Nodes `a` and `b`, `a` preferred; the group's resources 0 and 1
/// monitored every `fast` and `slow`.
fn cluster(fast: Duration, slow: Duration) -> Cluster {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    setup.resource_monitors = [(0, fast), (1, slow)]
        .into_iter()
        .map(|(resource, interval)| ResourceMonitor {
            group: GROUP.into(),
            resource,
            interval,
        })
        .collect();
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster
}

/// When node `i` asked for `kind`.
fn times(cluster: &Cluster, i: usize, kind: ActionKind) -> Vec<Duration> {
    cluster
        .actions(i)
        .filter(|(.., k)| *k == kind)
        .map(|(at, ..)| at)
        .collect()
}

#[test]
fn each_resource_is_monitored_at_its_own_interval() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    cluster.advance(60_000 * MS);
    let fast = times(&cluster, A, ActionKind::MonitorResource(0));
    let slow = times(&cluster, A, ActionKind::MonitorResource(1));
    assert_eq!(fast.len(), 60, "{fast:?}");
    assert_eq!(slow.len(), 12, "{slow:?}");
    assert_eq!(fast.len() / slow.len(), 5);
    assert!(times(&cluster, A, ActionKind::Monitor).is_empty());
    // No whole-group monitor, and b monitors nothing.
    assert!(times(&cluster, B, ActionKind::MonitorResource(0)).is_empty());
}

#[test]
fn a_resource_monitor_waits_for_the_last_one_to_answer() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(300 * MS);
    cluster.hold(A, ActionType::Monitor);
    cluster.advance(10_000 * MS);
    // One monitor of each asked, none answered: none asked again.
    assert_eq!(times(&cluster, A, ActionKind::MonitorResource(0)).len(), 1);
    assert_eq!(times(&cluster, A, ActionKind::MonitorResource(1)).len(), 1);
}

#[test]
fn a_failed_resource_monitor_restarts_the_group_here() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(300 * MS);
    cluster.fail_next(A, ActionType::Monitor);
    cluster.advance(1500 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    let starts = cluster
        .actions(A)
        .filter(|(.., k)| matches!(k, ActionKind::Start(_)))
        .count();
    assert_eq!(starts, 2);
}

#[test]
fn the_node_not_holding_the_group_probes_it_at_once_then_at_its_interval() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(10_300 * MS);
    let probes = times(&cluster, B, ActionKind::Probe);
    // b settles on hearing a (at once): probed then, then every second
    // (the group's smallest interval).
    assert_eq!(probes.len(), 11, "{probes:?}");
    for pair in probes.windows(2) {
        assert_eq!(pair[1] - pair[0], 1000 * MS, "{probes:?}");
    }
    // The holder never probes.
    assert!(times(&cluster, A, ActionKind::Probe).is_empty());
}

#[test]
fn nothing_is_probed_before_the_node_settles() {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    setup.initdead = 2000 * MS;
    let mut cluster = Cluster::new(setup);
    cluster.start(B);
    cluster.advance(1900 * MS);
    assert_eq!(
        cluster.group_state(B, GROUP),
        Some(LocalGroupState::Stopped)
    );
    assert!(times(&cluster, B, ActionKind::Probe).is_empty());
    // Settled alone after initdead, b acquires the group: its start
    // probes, not a probe action.
    cluster.advance(200 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    assert!(times(&cluster, B, ActionKind::Probe).is_empty());
}

#[test]
fn a_failed_probe_is_reported_and_moves_nothing() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.fail_next(B, ActionType::Probe);
    cluster.advance(3300 * MS);
    assert!(cluster.events(B).any(|(_, e)| matches!(
        e,
        Event::GroupFailed {
            action: ActionKind::Probe,
            ..
        }
    )));
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(
        cluster.group_state(B, GROUP),
        Some(LocalGroupState::Stopped)
    );
    // And it goes on probing.
    assert!(times(&cluster, B, ActionKind::Probe).len() >= 3);
}

#[test]
fn a_probe_that_never_answers_is_not_asked_again_and_blocks_no_takeover() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.hold(B, ActionType::Probe);
    cluster.advance(2300 * MS);
    assert_eq!(times(&cluster, B, ActionKind::Probe).len(), 1);
    // a crashes: b takes over after deadtime, its probe still under way.
    cluster.crash(A);
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    // Its late answer changes nothing.
    let (_, id, ..) = cluster
        .actions(B)
        .find(|(.., k)| *k == ActionKind::Probe)
        .expect("the probe");
    cluster.unhold(B, ActionType::Probe);
    cluster.answer(B, id, ActionOutcome::failed("probe of nginx timed out"));
    cluster.advance(300 * MS);
    assert_eq!(
        cluster.group_state(B, GROUP),
        Some(LocalGroupState::Running)
    );
}

#[test]
fn a_node_probes_a_group_once_it_let_it_go() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(300 * MS);
    assert!(times(&cluster, A, ActionKind::Probe).is_empty());
    // a stands by: it hands the group over, then probes it.
    cluster.standby(A, Which::All).unwrap().unwrap();
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    // Asked after the stop answered (actions answer at once here).
    let asked: Vec<ActionKind> = cluster.actions(A).map(|(.., k)| k).collect();
    let stop = asked
        .iter()
        .position(|k| matches!(k, ActionKind::Stop(_)))
        .expect("a stop");
    let probe = asked
        .iter()
        .position(|k| *k == ActionKind::Probe)
        .expect("a probe");
    assert!(probe > stop, "{asked:?}");
    // And goes on probing while it stands by.
    cluster.advance(3000 * MS);
    assert!(times(&cluster, A, ActionKind::Probe).len() >= 4);
}

#[test]
fn without_monitoring_a_group_is_probed_once_each_time_it_is_let_go() {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    setup.auto_failback = true;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster.advance(5000 * MS);
    assert_eq!(times(&cluster, B, ActionKind::Probe).len(), 1);
}

#[test]
fn a_node_restarted_while_the_peer_holds_the_group_probes_it_before_taking_it_back() {
    let mut cluster = cluster(1000 * MS, 5000 * MS);
    cluster.advance(300 * MS);
    cluster.crash(A);
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    let restarted = cluster.elapsed();
    cluster.restart(A);
    cluster.advance(2000 * MS);
    // Settled on hearing b, which holds the group: a probes it (and stops
    // what its last run left) before b gives it back (auto_failback).
    let since: Vec<ActionKind> = cluster
        .actions(A)
        .filter(|(at, ..)| *at >= restarted)
        .map(|(.., kind)| kind)
        .filter(|kind| !matches!(kind, ActionKind::MonitorResource(_)))
        .collect();
    assert_eq!(
        since,
        [
            ActionKind::Probe,
            ActionKind::Start(ha_membership::machine::StartCause::Failback)
        ],
        "{since:?}"
    );
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
}

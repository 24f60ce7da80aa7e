//! Tests of the state machine, two nodes at a time on the simulated cluster
//! (`ha_membership::harness`): perfect links, actions answered at once
//! unless a test says otherwise; a machine alone where a test hands it
//! messages one by one.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ha_membership::harness::{ActionType, Cluster, Setup};
use ha_membership::machine::{
    ActionId, ActionKind, ActionOutcome, Event, LocalGroupState, Machine, Output, RejectReason,
    Rejection, ReleaseReason, StartCause,
};
use ha_membership::message::{Header, Message, NodeState, Status};

const MS: Duration = Duration::from_millis(1);
const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";
const A: usize = 0;
const B: usize = 1;

/// Nodes `a` and `b`, `a` preferred for the one group; both started.
fn cluster(auto_failback: bool) -> Cluster {
    with_monitor(auto_failback, None)
}

fn with_monitor(auto_failback: bool, monitor_interval: Option<Duration>) -> Cluster {
    let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    setup.auto_failback = auto_failback;
    setup.monitor_interval = monitor_interval;
    let mut cluster = Cluster::new(setup);
    cluster.start_all();
    cluster
}

/// The actions `node` asked for, probes aside (see `probes.rs`).
fn kinds(cluster: &Cluster, node: usize) -> Vec<&'static str> {
    cluster
        .actions(node)
        .filter(|(.., kind)| *kind != ActionKind::Probe)
        .map(|(.., kind)| kind.as_str())
        .collect()
}

#[test]
fn both_nodes_become_active_and_the_preferred_one_owns_the_group() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    assert_eq!(cluster.state_seen(A, B), Some(NodeState::Active));
    assert_eq!(cluster.state_seen(B, A), Some(NodeState::Active));
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
}

#[test]
fn a_lone_node_takes_its_groups_after_initdead() {
    let mut cluster = cluster(true);
    cluster.crash(B);
    cluster.restart(A);
    // Restarted `a` has not heard `b` (crashed): it waits for initdead.
    cluster.advance(900 * MS);
    assert!(
        cluster.owners(GROUP).is_empty(),
        "took the group before initdead"
    );
    cluster.advance(200 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
}

#[test]
fn the_survivor_takes_over_within_deadtime_and_failback_follows_the_setting() {
    for auto_failback in [true, false] {
        let mut cluster = cluster(auto_failback);
        cluster.advance(300 * MS);
        assert_eq!(cluster.owner_names(GROUP), ["a"]);
        cluster.crash(A);
        cluster.advance(400 * MS);
        assert!(
            cluster.owners(GROUP).is_empty(),
            "declared dead before deadtime"
        );
        cluster.advance(200 * MS);
        assert_eq!(cluster.owner_names(GROUP), ["b"]);
        assert_eq!(cluster.state_seen(B, A), Some(NodeState::Dead));
        cluster.start(A);
        cluster.advance(300 * MS);
        let expected = if auto_failback { "a" } else { "b" };
        assert_eq!(
            cluster.owner_names(GROUP),
            [expected],
            "auto_failback {auto_failback}"
        );
    }
}

#[test]
fn shutdown_hands_over_at_once() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.shutdown(A);
    // The peer hears the shutdown at the same instant.
    cluster.advance(Duration::ZERO);
    assert_eq!(cluster.owner_names(GROUP), ["b"], "no wait for deadtime");
    assert!(cluster
        .events(A)
        .any(|(_, e)| *e == Event::ShutdownComplete));
}

#[test]
fn a_late_heartbeat_is_reported_once_per_silence() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.isolate(B);
    cluster.advance(350 * MS);
    cluster.heal();
    cluster.advance(350 * MS);
    let late = cluster
        .events(A)
        .filter(|(_, e)| matches!(e, Event::LateHeartbeat { .. }))
        .count();
    assert_eq!(late, 1, "{}", cluster.transcript());
    assert!(cluster
        .events(A)
        .any(|(_, e)| matches!(e, Event::HeartbeatResumed { .. })));
    assert_eq!(cluster.state_seen(A, B), Some(NodeState::Active));
}

#[test]
fn replayed_and_duplicate_messages_are_rejected() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    let message = cluster
        .sent(B)
        .map(|(_, m)| m.clone())
        .last()
        .expect("b sent heartbeats");
    let rejected = |cluster: &Cluster, reason| {
        cluster.events(A).last().map(|(_, e)| e.clone())
            == Some(Event::Rejected {
                node: "b".into(),
                reason,
            })
    };
    // `a` has it already: a second copy from a live peer is a duplicate.
    cluster.deliver(A, message.clone());
    assert!(rejected(&cluster, RejectReason::Duplicate));
    // After `b` restarts (new generation), the old message is stale.
    cluster.restart(B);
    cluster.advance(100 * MS);
    cluster.deliver(A, message);
    assert!(rejected(
        &cluster,
        RejectReason::Replay(Rejection::StaleGeneration)
    ));
}

#[test]
fn messages_from_unknown_nodes_are_rejected() {
    let mut cluster = cluster(true);
    let stranger = Message::Shutdown(Header {
        from: "mallory".into(),
        uuid: [0; 16],
        generation: 1,
        seq: 1,
    });
    cluster.deliver(A, stranger);
    assert!(cluster.events(A).any(|(_, e)| *e
        == Event::Rejected {
            node: "mallory".into(),
            reason: RejectReason::UnknownNode
        }));
}

#[test]
fn a_failed_monitor_restarts_in_place_then_moves_the_group_if_that_fails() {
    let mut cluster = with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    cluster.fail_next(A, ActionType::Monitor);
    cluster.fail_next(A, ActionType::Start);
    cluster.advance(1000 * MS);
    // The monitor failed, the restart in place failed: failed here, and the
    // peer took the group.
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    assert_eq!(cluster.group_state(A, GROUP), Some(LocalGroupState::Failed));
    assert_eq!(kinds(&cluster, A), ["start", "monitor", "start"]);
    assert!(cluster.events(A).any(|(_, e)| matches!(
        e,
        Event::GroupFailed {
            action: ActionKind::Monitor,
            ..
        }
    )));
    // auto_failback does not hand the group back to a node it failed on.
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
}

#[test]
fn a_monitor_that_gives_up_moves_the_group_until_cleanup_or_the_failure_timeout() {
    for cleanup in [true, false] {
        let mut cluster = with_monitor(true, Some(1000 * MS));
        cluster.hold(A, ActionType::Monitor);
        cluster.advance(1300 * MS);
        let (_, monitor_id, ..) = cluster
            .actions(A)
            .find(|(.., kind)| *kind == ActionKind::Monitor)
            .expect("a monitor");
        cluster.unhold(A, ActionType::Monitor);
        cluster.answer(
            A,
            monitor_id,
            ActionOutcome::GaveUp {
                detail: "2 failures".into(),
                retry_after: Some(10_000 * MS),
            },
        );
        cluster.advance(300 * MS);
        // Stopped by its monitor already: no stop is asked for; b takes it.
        assert_eq!(cluster.group_state(A, GROUP), Some(LocalGroupState::Failed));
        assert_eq!(cluster.owner_names(GROUP), ["b"]);
        assert_eq!(kinds(&cluster, A), ["start", "monitor"]);
        // auto_failback does not bring it back while a keeps it away.
        cluster.advance(5000 * MS);
        assert_eq!(cluster.owner_names(GROUP), ["b"]);
        if cleanup {
            assert_eq!(cluster.cleanup(A, GROUP), Some(true));
            assert_eq!(cluster.cleanup(A, "no such group"), Some(false));
        } else {
            cluster.advance(5000 * MS);
        }
        // Failed back to a, its preferred node.
        cluster.advance(1000 * MS);
        assert_eq!(cluster.owner_names(GROUP), ["a"], "cleanup: {cleanup}");
    }
}

#[test]
fn a_monitor_that_succeeds_keeps_the_group_and_restarts_nothing() {
    let mut cluster = with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    cluster.fail_next(A, ActionType::Monitor);
    cluster.advance(1000 * MS);
    // Restarted in place: still a's, never b's.
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    cluster.advance(5000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    let a_actions = kinds(&cluster, A);
    assert_eq!(&a_actions[..3], ["start", "monitor", "start"]);
    assert!(a_actions[3..].iter().all(|k| *k == "monitor"));
    assert!(kinds(&cluster, B).is_empty());
}

#[test]
fn monitors_run_at_the_interval_one_at_a_time() {
    let mut cluster = with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    let (started_at, ..) = cluster.actions(A).next().expect("a start");
    cluster.advance(2600 * MS);
    let monitors = |cluster: &Cluster| -> Vec<Duration> {
        cluster
            .actions(A)
            .filter(|(.., kind)| *kind == ActionKind::Monitor)
            .map(|(at, ..)| at)
            .collect()
    };
    assert_eq!(
        monitors(&cluster),
        [started_at + 1000 * MS, started_at + 2000 * MS],
        "every interval after the last answer"
    );
    // A monitor left unanswered is never doubled.
    cluster.hold(A, ActionType::Monitor);
    cluster.advance(5000 * MS);
    assert_eq!(monitors(&cluster).len(), 3);
}

#[test]
fn a_late_or_repeated_answer_is_ignored() {
    let mut cluster = with_monitor(true, Some(1000 * MS));
    cluster.hold(A, ActionType::Monitor);
    cluster.advance(1300 * MS);
    let (_, monitor_id, ..) = cluster
        .actions(A)
        .find(|(.., kind)| *kind == ActionKind::Monitor)
        .expect("a monitor");
    let (_, start_id, ..) = cluster.actions(A).next().expect("a start");
    let asked_before = cluster.actions(A).count();
    // The start was answered already; an answer for it again says nothing
    // about the group now.
    let failed = || ActionOutcome::Failed {
        detail: "late".into(),
    };
    cluster.answer(A, start_id, failed());
    cluster.answer(A, ActionId(9999), failed());
    assert_eq!(
        cluster.group_state(A, GROUP),
        Some(LocalGroupState::Running)
    );
    // The monitor in flight is answered once; a second answer is stale.
    cluster.answer(A, monitor_id, ActionOutcome::Succeeded);
    cluster.answer(A, monitor_id, failed());
    assert_eq!(
        cluster.group_state(A, GROUP),
        Some(LocalGroupState::Running)
    );
    assert_eq!(
        cluster.actions(A).count(),
        asked_before,
        "nothing restarted"
    );
}

#[test]
fn a_shutdown_is_sent_twice() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.shutdown(A);
    // The stop is answered, then the shutdown goes out, at the same instant.
    cluster.advance(Duration::ZERO);
    let shutdowns: Vec<&Message> = cluster
        .sent(A)
        .map(|(_, m)| m)
        .filter(|m| matches!(m, Message::Shutdown(_)))
        .collect();
    assert_eq!(shutdowns.len(), 2);
    assert_eq!(shutdowns[0], shutdowns[1]);
}

#[test]
fn a_second_shutdown_is_a_duplicate_and_what_was_sent_before_it_is_ignored() {
    let setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    let t0 = Instant::now();
    let mut a = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let header = |seq| Header {
        from: "b".into(),
        uuid: [b'b'; 16],
        generation: 1,
        seq,
    };
    let status = |seq| {
        Message::Status(Status {
            header: header(seq),
            state: NodeState::Active,
            deadtime_ms: 500,
            held: vec![GROUP.into()],
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        })
    };
    a.handle_message(t0, status(1));
    // b's heartbeat 2 is overtaken by its shutdown (3), sent twice.
    a.handle_message(t0, Message::Shutdown(header(3)));
    a.handle_message(t0, Message::Shutdown(header(3)));
    a.handle_message(t0, status(2));
    let rejections: Vec<RejectReason> = std::iter::from_fn(|| a.poll_output())
        .filter_map(|o| match o {
            Output::Event(Event::Rejected { reason, .. }) => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejections,
        [RejectReason::Duplicate, RejectReason::AfterShutdown]
    );
    let b = a.nodes(t0).into_iter().find(|n| n.name == "b");
    assert_eq!(b.map(|n| n.state), Some(NodeState::Dead));
    assert!(a.groups().iter().all(|g| g.owner.as_deref() != Some("b")));
}

/// heartbeat 3.0.6 goes on sending `st=active` heartbeats for about two
/// seconds after its `shutdone`: they must not bring it back, while a new
/// generation (a restart) does.
#[test]
fn a_generation_that_said_farewell_stays_gone() {
    let setup = Setup::new(&["a", "b"]).group(GROUP, "b");
    let t0 = Instant::now();
    let mut a = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let header = |generation, seq| Header {
        from: "b".into(),
        uuid: [b'b'; 16],
        generation,
        seq,
    };
    let status = |generation, seq, held: &[&str]| {
        Message::Status(Status {
            header: header(generation, seq),
            state: NodeState::Active,
            deadtime_ms: 500,
            held: held.iter().map(|g| (*g).to_string()).collect(),
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        })
    };
    a.handle_message(t0, status(1, 1, &[]));
    a.handle_message(t0, Message::Shutdown(header(1, 2)));
    let b_state = |a: &Machine, at| {
        a.nodes(at)
            .into_iter()
            .find(|n| n.name == "b")
            .map(|n| n.state)
    };
    for (seq, ms) in (3..23).zip((100..).step_by(100)) {
        a.handle_message(t0 + ms * MS, status(1, seq, &[]));
        assert_eq!(
            b_state(&a, t0 + ms * MS),
            Some(NodeState::Dead),
            "seq {seq}"
        );
    }
    let rejections = std::iter::from_fn(|| a.poll_output())
        .filter(|o| {
            matches!(
                o,
                Output::Event(Event::Rejected {
                    reason: RejectReason::AfterShutdown,
                    ..
                })
            )
        })
        .count();
    assert_eq!(rejections, 20);
    let back = t0 + 3000 * MS;
    a.handle_message(back, status(2, 1, &[]));
    assert_eq!(b_state(&a, back), Some(NodeState::Active));
}

/// heartbeat's acks (`NS_ackmsg`) carry no sequence number: never a
/// replay, and no proof of life either (heartbeat times nodes by their
/// statuses only).
#[test]
fn unsequenced_messages_are_neither_replays_nor_heartbeats() {
    let setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    let t0 = Instant::now();
    let mut a = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let header = |seq| Header {
        from: "b".into(),
        uuid: [b'b'; 16],
        generation: 1,
        seq,
    };
    let ack = || Message::Other {
        header: header(0),
        kind: "NS_ackmsg".into(),
    };
    a.handle_message(
        t0,
        Message::Status(Status {
            header: header(1),
            state: NodeState::Active,
            deadtime_ms: 500,
            held: Vec::new(),
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        }),
    );
    // Acks every 100 ms for a second: b still dies at deadtime.
    for ms in (100..=1000).step_by(100) {
        a.handle_timeout(t0 + ms * MS);
        a.handle_message(t0 + ms * MS, ack());
    }
    let outputs: Vec<Output> = std::iter::from_fn(|| a.poll_output()).collect();
    assert!(
        !outputs
            .iter()
            .any(|o| matches!(o, Output::Event(Event::Rejected { .. }))),
        "{outputs:#?}"
    );
    let b = a.nodes(t0 + 1000 * MS).into_iter().find(|n| n.name == "b");
    assert_eq!(b.map(|n| n.state), Some(NodeState::Dead));
}

/// Heartbeats sent by a lone machine whose loop wakes `late` after every
/// deadline, over `window`, at keepalive 10 ms.
fn heartbeats_sent(late: Duration, window: Duration) -> usize {
    let mut setup = Setup::new(&["a", "b"]);
    setup.keepalive = 10 * MS;
    setup.warntime = 30 * MS;
    setup.deadtime = 40 * MS;
    setup.initdead = 1000 * MS;
    let t0 = Instant::now();
    let mut machine = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let count = |machine: &mut Machine| {
        std::iter::from_fn(|| machine.poll_output())
            .filter(|o| matches!(o, Output::Send(Message::Status(_))))
            .count()
    };
    let mut sent = count(&mut machine);
    while let Some(at) = machine.poll_timeout().filter(|&at| at < t0 + window) {
        machine.handle_timeout(at + late);
        sent += count(&mut machine);
    }
    sent
}

#[test]
fn heartbeats_keep_their_rate_when_the_loop_wakes_late() {
    // 10 s at keepalive 10 ms: 1000 heartbeats (and the first at 0), on
    // time or woken 1 ms or 9 ms late every time.
    for late in [Duration::ZERO, MS, 9 * MS] {
        let sent = heartbeats_sent(late, Duration::from_secs(10));
        assert!(
            (1000..=1003).contains(&sent),
            "{sent} heartbeats in 10 s when woken {late:?} late"
        );
    }
}

/// The generation of the heartbeats `machine` sends now.
fn generation_sent(machine: &mut Machine) -> Option<u64> {
    std::iter::from_fn(|| machine.poll_output())
        .filter_map(|o| match o {
            Output::Send(Message::Status(status)) => Some(status.header.generation),
            _ => None,
        })
        .last()
}

#[test]
fn a_node_that_lost_its_state_is_hinted_past_its_old_generation_and_accepted() {
    let setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    let t0 = Instant::now();
    // b knew a in generation 3601 (a's clock an hour ahead, once); a comes
    // back without its state directory, in generation 1.
    let known = BTreeMap::from([("a".to_string(), 3601)]);
    let mut b = Machine::new(setup.config(B), 5, &known, t0);
    let mut a = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let drain = |m: &mut Machine| std::iter::from_fn(|| m.poll_output()).collect::<Vec<_>>();
    drain(&mut b);
    let from_a: Vec<Message> = drain(&mut a)
        .into_iter()
        .filter_map(|o| match o {
            Output::Send(m) => Some(m),
            _ => None,
        })
        .collect();
    // b rejects a's generation 1 and answers with a hint, once.
    for message in &from_a {
        b.handle_message(t0 + MS, message.clone());
    }
    let hints: Vec<Message> = drain(&mut b)
        .into_iter()
        .filter_map(|o| match o {
            Output::Send(m @ Message::GenerationHint { .. }) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(hints.len(), 1, "{hints:?}");
    let Message::GenerationHint { to, known, .. } = &hints[0] else {
        unreachable!()
    };
    assert_eq!((to.as_str(), *known), ("a", 3601));
    // a moves past it; b accepts a's next heartbeat and sees it up.
    a.handle_message(t0 + 2 * MS, hints[0].clone());
    let outputs = drain(&mut a);
    assert!(outputs.contains(&Output::Event(Event::GenerationAdvanced {
        from: 1,
        to: 3602
    })));
    let next = outputs
        .into_iter()
        .find_map(|o| match o {
            Output::Send(m @ Message::Status(_)) => Some(m),
            _ => None,
        })
        .expect("a heartbeat in the new generation");
    assert_eq!(next.header().generation, 3602);
    b.handle_message(t0 + 3 * MS, next);
    assert!(drain(&mut b).iter().any(|o| matches!(
        o,
        Output::Event(Event::NodeState { node, to: NodeState::Up | NodeState::Active, .. }) if node == "a"
    )));
    // A replay of a's old generation is still refused, and a hint to a
    // node already past it changes nothing.
    let old = Message::Shutdown(Header {
        from: "a".into(),
        uuid: [0; 16],
        generation: 3601,
        seq: 9,
    });
    b.handle_message(t0 + 4 * MS, old);
    assert!(drain(&mut b).iter().any(|o| matches!(
        o,
        Output::Event(Event::Rejected {
            reason: RejectReason::Replay(Rejection::StaleGeneration),
            ..
        })
    )));
    a.handle_message(t0 + 5 * MS, hints[0].clone());
    assert_eq!(generation_sent(&mut a), None);
}

/// The causes of the starts node `i` asked for, in order.
fn start_causes(cluster: &Cluster, node: usize) -> Vec<StartCause> {
    cluster
        .actions(node)
        .filter_map(|(.., kind)| match kind {
            ActionKind::Start(cause) => Some(cause),
            _ => None,
        })
        .collect()
}

#[test]
fn the_first_start_after_settling_is_initial() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    assert_eq!(start_causes(&cluster, A), [StartCause::Initial]);
    assert!(start_causes(&cluster, B).is_empty());
}

#[test]
fn a_lone_node_after_initdead_starts_as_initial() {
    let mut cluster = cluster(true);
    cluster.crash(B);
    cluster.restart(A);
    cluster.advance(1100 * MS);
    assert_eq!(start_causes(&cluster, A), [StartCause::Initial]);
}

#[test]
fn a_takeover_from_a_crashed_holder_says_peer_dead_and_failback_says_failback() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.crash(A);
    cluster.advance(600 * MS);
    assert_eq!(start_causes(&cluster, B), [StartCause::PeerDead]);
    cluster.start(A);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    // `a`'s first run started it as initial; back, it sees `b` hold it and
    // give it back.
    assert_eq!(
        start_causes(&cluster, A),
        [StartCause::Initial, StartCause::Failback]
    );
    assert!(cluster
        .actions(B)
        .any(|(.., kind)| kind == ActionKind::Stop(ReleaseReason::Failback)));
}

#[test]
fn a_takeover_after_a_goodbye_says_peer_shutdown() {
    for auto_failback in [true, false] {
        let mut cluster = cluster(auto_failback);
        cluster.advance(300 * MS);
        cluster.shutdown(A);
        cluster.advance(Duration::ZERO);
        assert_eq!(
            start_causes(&cluster, B),
            [StartCause::PeerShutdown],
            "auto_failback {auto_failback}"
        );
    }
}

#[test]
fn a_holder_back_in_a_new_generation_without_the_group_is_a_dead_peer() {
    let mut cluster = cluster(false);
    cluster.advance(300 * MS);
    cluster.crash(A);
    cluster.advance(600 * MS);
    cluster.start(A);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"], "no failback");
    // `b` crashes and restarts within deadtime: `a` hears it again at once,
    // in a new generation, holding nothing.
    cluster.restart(B);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(
        start_causes(&cluster, A),
        [StartCause::Initial, StartCause::PeerDead]
    );
}

#[test]
fn a_group_failed_by_its_holder_is_taken_as_peer_failed() {
    let mut cluster = cluster(true);
    cluster.fail_next(A, ActionType::Start);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    assert_eq!(start_causes(&cluster, B), [StartCause::PeerFailed]);
}

#[test]
fn a_failed_monitor_restarts_with_cause_restart() {
    let mut cluster = with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    cluster.fail_next(A, ActionType::Monitor);
    cluster.advance(1000 * MS);
    assert_eq!(
        start_causes(&cluster, A),
        [StartCause::Initial, StartCause::Restart]
    );
    let done = cluster.events(A).filter(|(_, e)| {
        **e == Event::GroupActionDone {
            group: GROUP.into(),
            action: ActionKind::Start(StartCause::Restart),
        }
    });
    assert_eq!(done.count(), 1);
}

#[test]
fn a_healed_partition_reports_one_conflict_on_each_side() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.partition(&[A], &[B]);
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owners(GROUP), [A, B]);
    assert_eq!(start_causes(&cluster, B), [StartCause::PeerDead]);
    cluster.heal();
    cluster.advance(1000 * MS);
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    for node in [A, B] {
        let conflicts: Vec<&Event> = cluster
            .events(node)
            .map(|(_, e)| e)
            .filter(|e| matches!(e, Event::Conflict { .. }))
            .collect();
        assert_eq!(
            conflicts,
            [&Event::Conflict {
                group: GROUP.into(),
                holders: vec!["a".into(), "b".into()],
            }],
            "node {node}"
        );
    }
    assert!(cluster
        .actions(B)
        .any(|(.., kind)| kind == ActionKind::Stop(ReleaseReason::Conflict)));
}

#[test]
fn a_pause_of_the_whole_host_is_no_evidence_that_anyone_died() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    // Both nodes frozen for twice the deadtime, as on a paused host.
    cluster.pause(A, 1000 * MS);
    cluster.pause(B, 1000 * MS);
    cluster.advance(2000 * MS);
    let deaths: Vec<String> = (0..2)
        .flat_map(|i| {
            cluster
                .events(i)
                .filter(|(_, e)| {
                    matches!(
                        e,
                        Event::NodeState {
                            to: NodeState::Dead,
                            ..
                        }
                    )
                })
                .map(move |(at, e)| format!("{i} at {at:?}: {e:?}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(deaths.is_empty(), "{deaths:?}\n{}", cluster.transcript());
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    for i in [A, B] {
        let stalls: Vec<Duration> = cluster
            .events(i)
            .filter_map(|(_, e)| match e {
                Event::Stalled { late_by, .. } => Some(*late_by),
                _ => None,
            })
            .collect();
        assert_eq!(stalls.len(), 1, "node {i}: {stalls:?}");
        assert!(stalls[0] > 800 * MS, "node {i}: {stalls:?}");
    }
}

#[test]
fn after_its_own_stall_a_node_still_declares_a_silent_peer_dead_after_the_grace() {
    let mut cluster = cluster(true);
    cluster.advance(300 * MS);
    cluster.crash(A);
    let crashed = cluster.elapsed();
    // `b` is frozen past the deadtime it would have waited.
    cluster.pause(B, 800 * MS);
    cluster.advance(800 * MS);
    assert_eq!(cluster.state_seen(B, A), Some(NodeState::Active));
    // Grace: half the deadtime (250 ms) after it resumed.
    cluster.advance(240 * MS);
    assert_eq!(
        cluster.state_seen(B, A),
        Some(NodeState::Active),
        "judged before the grace"
    );
    cluster.advance(20 * MS);
    assert_eq!(cluster.state_seen(B, A), Some(NodeState::Dead));
    assert_eq!(cluster.owner_names(GROUP), ["b"]);
    let dead_at = cluster
        .events(B)
        .find(|(_, e)| {
            matches!(
                e,
                Event::NodeState {
                    to: NodeState::Dead,
                    ..
                }
            )
        })
        .map(|(at, _)| at)
        .unwrap();
    assert_eq!(dead_at - crashed, 1050 * MS, "{}", cluster.transcript());
}

/// A status that arrives after a newer one (over a slower medium, a serial
/// line beside a LAN) proves its sender alive and changes nothing else: the
/// peer stays in the state, and keeps the claims, of its newest status.
#[test]
fn an_older_status_arriving_late_changes_neither_state_nor_claims() {
    let setup = Setup::new(&["a", "b"]).group(GROUP, "a");
    let t0 = Instant::now();
    let mut a = Machine::new(setup.config(A), 1, &BTreeMap::new(), t0);
    let status = |seq, state, held: Vec<String>| {
        Message::Status(Status {
            header: Header {
                from: "b".into(),
                uuid: [b'b'; 16],
                generation: 1,
                seq,
            },
            state,
            deadtime_ms: 500,
            held,
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        })
    };
    a.handle_message(t0, status(2, NodeState::Active, vec![GROUP.into()]));
    // Status 1, sent while b was still coming up and holding nothing.
    a.handle_message(t0 + 10 * MS, status(1, NodeState::Up, Vec::new()));
    let b = a.nodes(t0 + 10 * MS).into_iter().find(|n| n.name == "b");
    assert_eq!(b.as_ref().map(|n| n.state), Some(NodeState::Active));
    assert_eq!(b.and_then(|n| n.silent_for), Some(Duration::ZERO), "heard");
    assert!(a.groups().iter().any(|g| g.owner.as_deref() == Some("b")));
    // A newer one is taken again.
    a.handle_message(t0 + 20 * MS, status(3, NodeState::Up, Vec::new()));
    let b = a.nodes(t0 + 20 * MS).into_iter().find(|n| n.name == "b");
    assert_eq!(b.map(|n| n.state), Some(NodeState::Up));
}

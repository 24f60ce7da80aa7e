//! Unit tests of the state machine: a few nodes wired together by hand, with
//! a fake clock.

use super::*;
use crate::message::Message;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn config(local: &str, auto_failback: bool, monitor_interval: Option<Duration>) -> Config {
    Config {
        local: local.to_string(),
        uuid: [local.as_bytes()[0]; 16],
        nodes: vec!["a".into(), "b".into()],
        keepalive: 100 * MS,
        warntime: 300 * MS,
        deadtime: 500 * MS,
        initdead: 1000 * MS,
        auto_failback,
        monitor_interval,
        groups: vec![GroupConfig {
            id: "IPaddr::10.0.0.100/24/eth0".into(),
            preferred: "a".into(),
        }],
    }
}

const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";

/// Nodes exchanging messages instantly, with actions succeeding at once
/// (unless `failing` or `held` says otherwise); a crashed node is `None`.
struct Cluster {
    now: Instant,
    nodes: Vec<Option<Machine>>,
    generations: Vec<u64>,
    events: Vec<(usize, Event)>,
    auto_failback: bool,
    monitor_interval: Option<Duration>,
    /// (node, action word): the next such action fails.
    failing: Vec<(usize, &'static str)>,
    /// Actions of these words are left unanswered, recorded in `actions`.
    held: Vec<&'static str>,
    /// Every action asked for: (node, id, kind, when).
    actions: Vec<(usize, ActionId, ActionKind, Instant)>,
}

impl Cluster {
    fn new(auto_failback: bool) -> Self {
        Self::with_monitor(auto_failback, None)
    }

    fn with_monitor(auto_failback: bool, monitor_interval: Option<Duration>) -> Self {
        let now = Instant::now();
        let mut cluster = Cluster {
            now,
            nodes: vec![None, None],
            generations: vec![0, 0],
            events: Vec::new(),
            auto_failback,
            monitor_interval,
            failing: Vec::new(),
            held: Vec::new(),
            actions: Vec::new(),
        };
        cluster.start(0);
        cluster.start(1);
        cluster
    }

    fn name(i: usize) -> &'static str {
        ["a", "b"][i]
    }

    fn start(&mut self, i: usize) {
        self.generations[i] += 1;
        let machine = Machine::new(
            config(Self::name(i), self.auto_failback, self.monitor_interval),
            self.generations[i],
            &BTreeMap::new(),
            self.now,
        );
        self.nodes[i] = Some(machine);
        self.pump();
    }

    fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for i in 0..self.nodes.len() {
                let Some(machine) = self.nodes[i].as_mut() else {
                    continue;
                };
                let mut messages = Vec::new();
                let mut results = Vec::new();
                while let Some(output) = machine.poll_output() {
                    progressed = true;
                    match output {
                        Output::Send(message) => messages.push(message),
                        Output::Action { id, kind, .. } => {
                            self.actions.push((i, id, kind, self.now));
                            if !self.held.contains(&kind.as_str()) {
                                results.push((id, kind));
                            }
                        }
                        Output::Event(e) => self.events.push((i, e)),
                    }
                }
                for (id, kind) in results {
                    let outcome = match self.failing.iter().position(|f| *f == (i, kind.as_str())) {
                        Some(at) => {
                            self.failing.remove(at);
                            ActionOutcome::Failed {
                                detail: "told to fail".into(),
                            }
                        }
                        None => ActionOutcome::Succeeded,
                    };
                    machine.handle_action_result(self.now, id, outcome);
                }
                for message in messages {
                    for (j, other) in self.nodes.iter_mut().enumerate() {
                        if let (true, Some(other)) = (j != i, other.as_mut()) {
                            other.handle_message(self.now, message.clone());
                        }
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let next = self
                .nodes
                .iter()
                .flatten()
                .filter_map(|m| m.poll_timeout())
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for machine in self.nodes.iter_mut().flatten() {
                        machine.handle_timeout(self.now);
                    }
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    fn owners(&self) -> Vec<&'static str> {
        (0..self.nodes.len())
            .filter(|&i| {
                self.nodes[i]
                    .as_ref()
                    .is_some_and(|m| m.local_group_state(GROUP) == LocalGroupState::Running)
            })
            .map(Self::name)
            .collect()
    }

    fn state_of(&self, viewer: usize, node: &str) -> NodeState {
        let machine = self.nodes[viewer].as_ref().expect("viewer is running");
        machine
            .nodes(self.now)
            .into_iter()
            .find(|n| n.name == node)
            .map(|n| n.state)
            .expect("known node")
    }
}

#[test]
fn both_nodes_become_active_and_the_preferred_one_owns_the_group() {
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    assert_eq!(cluster.state_of(0, "b"), NodeState::Active);
    assert_eq!(cluster.state_of(1, "a"), NodeState::Active);
    assert_eq!(cluster.owners(), vec!["a"]);
}

#[test]
fn a_lone_node_takes_its_groups_after_initdead() {
    let mut cluster = Cluster::new(true);
    cluster.crash(1);
    cluster.start(0);
    cluster.crash(1);
    // Restarted `a` has not heard `b` (crashed): it waits for initdead.
    cluster.advance(900 * MS);
    assert!(
        cluster.owners().is_empty(),
        "took the group before initdead"
    );
    cluster.advance(200 * MS);
    assert_eq!(cluster.owners(), vec!["a"]);
}

#[test]
fn the_survivor_takes_over_within_deadtime_and_failback_follows_the_setting() {
    for auto_failback in [true, false] {
        let mut cluster = Cluster::new(auto_failback);
        cluster.advance(300 * MS);
        assert_eq!(cluster.owners(), vec!["a"]);
        cluster.crash(0);
        cluster.advance(400 * MS);
        assert!(cluster.owners().is_empty(), "declared dead before deadtime");
        cluster.advance(200 * MS);
        assert_eq!(cluster.owners(), vec!["b"]);
        assert_eq!(cluster.state_of(1, "a"), NodeState::Dead);
        cluster.start(0);
        cluster.advance(300 * MS);
        let expected = if auto_failback { "a" } else { "b" };
        assert_eq!(
            cluster.owners(),
            vec![expected],
            "auto_failback {auto_failback}"
        );
    }
}

#[test]
fn shutdown_hands_over_at_once() {
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    let machine = cluster.nodes[0].as_mut().expect("a runs");
    machine.shutdown(cluster.now);
    cluster.pump();
    assert_eq!(cluster.owners(), vec!["b"], "no wait for deadtime");
    assert!(cluster
        .events
        .iter()
        .any(|(i, e)| *i == 0 && *e == Event::ShutdownComplete));
}

#[test]
fn a_late_heartbeat_is_reported_once_per_silence() {
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    let mut silent = cluster.nodes[1].take();
    cluster.advance(350 * MS);
    cluster.nodes[1] = silent.take();
    cluster.pump();
    cluster.advance(350 * MS);
    let late: Vec<_> = cluster
        .events
        .iter()
        .filter(|(i, e)| *i == 0 && matches!(e, Event::LateHeartbeat { .. }))
        .collect();
    assert_eq!(late.len(), 1, "{:?}", cluster.events);
    assert!(cluster
        .events
        .iter()
        .any(|(i, e)| *i == 0 && matches!(e, Event::HeartbeatResumed { .. })));
    assert_eq!(cluster.state_of(0, "b"), NodeState::Active);
}

#[test]
fn replayed_and_duplicate_messages_are_rejected() {
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    let now = cluster.now;
    let b = cluster.nodes[1].as_mut().expect("b runs");
    b.handle_timeout(now + 100 * MS);
    let message = std::iter::from_fn(|| b.poll_output())
        .find_map(|o| match o {
            Output::Send(m) => Some(m),
            _ => None,
        })
        .expect("b sends a heartbeat");
    let a = cluster.nodes[0].as_mut().expect("a runs");
    a.handle_message(now, message.clone());
    a.handle_message(now, message.clone());
    let rejected = std::iter::from_fn(|| a.poll_output()).any(|o| {
        o == Output::Event(Event::Rejected {
            node: "b".into(),
            reason: RejectReason::Duplicate,
        })
    });
    assert!(rejected);
    // After b restarts (new generation), the old message is stale.
    cluster.crash(1);
    cluster.start(1);
    cluster.advance(100 * MS);
    let a = cluster.nodes[0].as_mut().expect("a runs");
    a.handle_message(now, message);
    let stale = std::iter::from_fn(|| a.poll_output()).any(|o| {
        o == Output::Event(Event::Rejected {
            node: "b".into(),
            reason: RejectReason::Replay(Rejection::StaleGeneration),
        })
    });
    assert!(stale);
}

#[test]
fn messages_from_unknown_nodes_are_rejected() {
    let mut cluster = Cluster::new(true);
    let now = cluster.now;
    let a = cluster.nodes[0].as_mut().expect("a runs");
    let stranger = Message::Shutdown(Header {
        from: "mallory".into(),
        uuid: [0; 16],
        generation: 1,
        seq: 1,
    });
    a.handle_message(now, stranger);
    assert!(std::iter::from_fn(|| a.poll_output()).any(|o| o
        == Output::Event(Event::Rejected {
            node: "mallory".into(),
            reason: RejectReason::UnknownNode
        })));
}

#[test]
fn a_failed_monitor_restarts_in_place_then_moves_the_group_if_that_fails() {
    let mut cluster = Cluster::with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    assert_eq!(cluster.owners(), vec!["a"]);
    cluster.failing = vec![(0, "monitor"), (0, "start")];
    cluster.advance(1000 * MS);
    // The monitor failed, the restart in place failed: failed here, and the
    // peer took the group.
    assert_eq!(cluster.owners(), vec!["b"]);
    let a = cluster.nodes[0].as_ref().expect("a runs");
    assert_eq!(a.local_group_state(GROUP), LocalGroupState::Failed);
    let kinds: Vec<&str> = cluster
        .actions
        .iter()
        .filter(|(node, ..)| *node == 0)
        .map(|(_, _, kind, _)| kind.as_str())
        .collect();
    assert_eq!(kinds, ["start", "monitor", "start"]);
    assert!(cluster.events.iter().any(|(node, e)| *node == 0
        && matches!(
            e,
            Event::GroupFailed {
                action: ActionKind::Monitor,
                ..
            }
        )));
    // auto_failback does not hand the group back to a node it failed on.
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owners(), vec!["b"]);
}

#[test]
fn a_monitor_that_succeeds_keeps_the_group_and_restarts_nothing() {
    let mut cluster = Cluster::with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    cluster.failing = vec![(0, "monitor")];
    cluster.advance(1000 * MS);
    // Restarted in place: still a's, never b's.
    assert_eq!(cluster.owners(), vec!["a"]);
    cluster.advance(5000 * MS);
    assert_eq!(cluster.owners(), vec!["a"]);
    let a_actions: Vec<&str> = cluster
        .actions
        .iter()
        .filter(|(node, ..)| *node == 0)
        .map(|(_, _, kind, _)| kind.as_str())
        .collect();
    assert_eq!(&a_actions[..3], ["start", "monitor", "start"]);
    assert!(a_actions[3..].iter().all(|k| *k == "monitor"));
    assert!(cluster.actions.iter().all(|(node, ..)| *node == 0));
}

#[test]
fn monitors_run_at_the_interval_one_at_a_time() {
    let mut cluster = Cluster::with_monitor(true, Some(1000 * MS));
    cluster.advance(300 * MS);
    let started_at = cluster.actions[0].3;
    cluster.advance(2600 * MS);
    let monitors: Vec<Instant> = cluster
        .actions
        .iter()
        .filter(|(_, _, kind, _)| *kind == ActionKind::Monitor)
        .map(|(.., at)| *at)
        .collect();
    assert_eq!(
        monitors,
        vec![started_at + 1000 * MS, started_at + 2000 * MS],
        "every interval after the last answer"
    );
    // A monitor left unanswered is never doubled.
    cluster.held = vec!["monitor"];
    cluster.advance(5000 * MS);
    let monitors = cluster
        .actions
        .iter()
        .filter(|(_, _, kind, _)| *kind == ActionKind::Monitor)
        .count();
    assert_eq!(monitors, 3);
}

#[test]
fn a_late_or_repeated_answer_is_ignored() {
    let mut cluster = Cluster::with_monitor(true, Some(1000 * MS));
    cluster.held = vec!["monitor"];
    cluster.advance(1300 * MS);
    let (_, monitor_id, ..) = *cluster
        .actions
        .iter()
        .find(|(_, _, kind, _)| *kind == ActionKind::Monitor)
        .expect("a monitor");
    let (_, start_id, ..) = cluster.actions[0];
    let now = cluster.now;
    let a = cluster.nodes[0].as_mut().expect("a runs");
    // The start was answered already; an answer for it again says nothing
    // about the group now.
    let failed = || ActionOutcome::Failed {
        detail: "late".into(),
    };
    a.handle_action_result(now, start_id, failed());
    a.handle_action_result(now, ActionId(9999), failed());
    assert_eq!(a.local_group_state(GROUP), LocalGroupState::Running);
    // The monitor in flight is answered once; a second answer is stale.
    a.handle_action_result(now, monitor_id, ActionOutcome::Succeeded);
    a.handle_action_result(now, monitor_id, failed());
    assert_eq!(a.local_group_state(GROUP), LocalGroupState::Running);
    assert!(std::iter::from_fn(|| a.poll_output()).all(|o| !matches!(
        o,
        Output::Action {
            kind: ActionKind::Start,
            ..
        }
    )));
}

#[test]
fn a_shutdown_is_sent_twice() {
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    let now = cluster.now;
    let a = cluster.nodes[0].as_mut().expect("a runs");
    a.shutdown(now);
    let mut ids = Vec::new();
    while let Some(output) = a.poll_output() {
        if let Output::Action { id, .. } = output {
            ids.push(id);
        }
    }
    for id in ids {
        a.handle_action_result(now, id, ActionOutcome::Succeeded);
    }
    let shutdowns: Vec<Message> = std::iter::from_fn(|| a.poll_output())
        .filter_map(|o| match o {
            Output::Send(m @ Message::Shutdown(_)) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(shutdowns.len(), 2);
    assert_eq!(shutdowns[0], shutdowns[1]);
}

#[test]
fn a_second_shutdown_is_a_duplicate_and_what_was_sent_before_it_is_ignored() {
    let t0 = Instant::now();
    let mut a = Machine::new(config("a", true, None), 1, &BTreeMap::new(), t0);
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
        [RejectReason::Duplicate, RejectReason::SentBeforeShutdown]
    );
    let b = a.nodes(t0).into_iter().find(|n| n.name == "b");
    assert_eq!(b.map(|n| n.state), Some(NodeState::Dead));
    assert!(a.groups().iter().all(|g| g.owner.as_deref() != Some("b")));
}

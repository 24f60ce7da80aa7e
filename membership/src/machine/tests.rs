//! Unit tests of the state machine: a few nodes wired together by hand, with
//! a fake clock.

use super::*;
use crate::message::Message;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn config(local: &str, auto_failback: bool) -> Config {
    Config {
        local: local.to_string(),
        uuid: [local.as_bytes()[0]; 16],
        nodes: vec!["a".into(), "b".into()],
        keepalive: 100 * MS,
        warntime: 300 * MS,
        deadtime: 500 * MS,
        initdead: 1000 * MS,
        auto_failback,
        groups: vec![GroupConfig {
            id: "IPaddr::10.0.0.100/24/eth0".into(),
            preferred: "a".into(),
        }],
    }
}

const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";

/// Nodes exchanging messages instantly, with groups starting and stopping
/// instantly, unless `down` says a node is crashed.
struct Cluster {
    now: Instant,
    nodes: Vec<Option<Machine>>,
    generations: Vec<u64>,
    events: Vec<(usize, Event)>,
    auto_failback: bool,
}

impl Cluster {
    fn new(auto_failback: bool) -> Self {
        let now = Instant::now();
        let mut cluster = Cluster {
            now,
            nodes: vec![None, None],
            generations: vec![0, 0],
            events: Vec::new(),
            auto_failback,
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
            config(Self::name(i), self.auto_failback),
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
                        Output::StartGroup(g) => results.push((g, GroupResult::Started)),
                        Output::StopGroup { group, .. } => {
                            results.push((group, GroupResult::Stopped))
                        }
                        Output::Event(e) => self.events.push((i, e)),
                    }
                }
                for (group, result) in results {
                    machine.handle_group_result(self.now, &group, result);
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
    let mut cluster = Cluster::new(true);
    cluster.advance(300 * MS);
    assert_eq!(cluster.owners(), vec!["a"]);
    let now = cluster.now;
    let a = cluster.nodes[0].as_mut().expect("a runs");
    a.handle_group_result(now, GROUP, GroupResult::MonitorFailed);
    assert_eq!(a.local_group_state(GROUP), LocalGroupState::Starting);
    assert!(std::iter::from_fn(|| a.poll_output()).any(|o| o == Output::StartGroup(GROUP.into())));
    // The restart fails: the group is failed here and the peer takes it.
    a.handle_group_result(now, GROUP, GroupResult::StartFailed);
    cluster.pump();
    assert_eq!(cluster.owners(), vec!["b"]);
    let a = cluster.nodes[0].as_ref().expect("a runs");
    assert_eq!(a.local_group_state(GROUP), LocalGroupState::Failed);
    // auto_failback does not hand the group back to a node it failed on.
    cluster.advance(2000 * MS);
    assert_eq!(cluster.owners(), vec!["b"]);
}

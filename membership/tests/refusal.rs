//! Fast detection of a dead peer process from refused heartbeats
//! (`machine::refusal`): node `a` alone, handed `b`'s heartbeats and the
//! refusals its media report one by one, at keepalive 100 ms and deadtime
//! 2 s, woken at every deadline it asks for.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use ha_membership::harness::Setup;
use ha_membership::machine::{Event, Machine, Output, StateCause, Via};
use ha_membership::message::{Header, Message, NodeState, Status};

const MS: Duration = Duration::from_millis(1);
const KEEPALIVE: Duration = Duration::from_millis(100);
const DEADTIME: Duration = Duration::from_secs(2);
/// The medium `b` is heard on and refusals come from (`ucast eth0 10.0.0.2`).
const UCAST: usize = 0;

fn b_address() -> IpAddr {
    "10.0.0.2".parse().unwrap()
}

/// Node `a` and what it said, on a clock of its own.
struct Node {
    machine: Machine,
    now: Instant,
    t0: Instant,
    seq: u64,
    outputs: Vec<(Duration, Output)>,
}

impl Node {
    /// `a`, having heard `b` (from `b_source`) for a second, both active.
    fn new(b_source: IpAddr) -> Node {
        let mut setup = Setup::new(&["a", "b"]);
        setup.keepalive = KEEPALIVE;
        setup.warntime = DEADTIME / 2;
        setup.deadtime = DEADTIME;
        setup.initdead = DEADTIME;
        let t0 = Instant::now();
        let machine = Machine::new(setup.config(0), 1, &BTreeMap::new(), t0);
        let mut node = Node {
            machine,
            now: t0,
            t0,
            seq: 0,
            outputs: Vec::new(),
        };
        for _ in 0..10 {
            node.heartbeat_from_b(b_source);
            node.advance(KEEPALIVE);
        }
        assert_eq!(node.state_of_b(), NodeState::Active);
        node.outputs.clear();
        node
    }

    fn drain(&mut self) {
        let at = self.now.duration_since(self.t0);
        while let Some(output) = self.machine.poll_output() {
            self.outputs.push((at, output));
        }
    }

    /// Lets `by` pass, waking the machine at every deadline on the way.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        while let Some(due) = self.machine.poll_timeout().filter(|due| *due <= until) {
            self.now = due.max(self.now);
            self.machine.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
    }

    fn heartbeat_from_b(&mut self, source: IpAddr) {
        self.seq += 1;
        let message = Message::Status(Status {
            header: Header {
                from: "b".into(),
                uuid: [2; 16],
                generation: 7,
                seq: self.seq,
            },
            state: NodeState::Active,
            deadtime_ms: 2000,
            held: Vec::new(),
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        });
        let via = Via {
            medium: UCAST,
            source,
        };
        self.machine.handle_message_via(self.now, message, via);
        self.drain();
    }

    fn refusal(&mut self, to: IpAddr) {
        self.machine.handle_refusal(self.now, UCAST, to);
        self.drain();
    }

    fn state_of_b(&self) -> NodeState {
        self.machine.nodes(self.now)[1].state
    }

    /// When `b` was declared dead, and why.
    fn death_of_b(&self) -> Option<(Duration, Option<StateCause>)> {
        self.outputs.iter().find_map(|(at, output)| match output {
            Output::Event(Event::NodeState {
                node,
                to: NodeState::Dead,
                cause,
                ..
            }) if node == "b" => Some((*at, *cause)),
            _ => None,
        })
    }

    /// When `a` sent heartbeats, after `since`.
    fn sends_since(&self, since: Duration) -> Vec<Duration> {
        self.outputs
            .iter()
            .filter(|(at, output)| *at >= since && matches!(output, Output::Send(_)))
            .map(|(at, _)| *at)
            .collect()
    }
}

#[test]
fn a_single_refusal_never_kills() {
    let mut a = Node::new(b_address());
    let killed = a.now.duration_since(a.t0);
    a.refusal(b_address());
    // Probed at once, and then every half keepalive.
    let probes = a.sends_since(killed);
    assert_eq!(probes.first(), Some(&killed), "no probe at once");
    // The process came back: its port no longer refuses, but it does not
    // speak either (it is starting). Only deadtime may kill.
    // b was last heard a keepalive before the refusal.
    a.advance(DEADTIME - KEEPALIVE - 50 * MS);
    assert_eq!(a.death_of_b(), None, "one refusal killed");
    assert_eq!(a.state_of_b(), NodeState::Active);
    a.advance(100 * MS);
    assert_eq!(a.death_of_b().map(|(_, cause)| cause), Some(None));
}

#[test]
fn a_refusal_followed_by_a_heartbeat_is_forgotten() {
    let mut a = Node::new(b_address());
    a.refusal(b_address());
    a.refusal(b_address());
    a.advance(30 * MS);
    a.heartbeat_from_b(b_address());
    // Refusals from before the heartbeat no longer count: two more are
    // not three since it was heard.
    a.advance(20 * MS);
    a.refusal(b_address());
    a.refusal(b_address());
    a.advance(KEEPALIVE * 3);
    assert_eq!(a.death_of_b(), None, "{:?}", a.outputs);
    assert_eq!(a.state_of_b(), NodeState::Active);
}

#[test]
fn confirmed_refusals_kill_well_before_deadtime() {
    let mut a = Node::new(b_address());
    // b was last heard 100 ms ago (its heartbeat at the end of the second).
    let heard = a.now.duration_since(a.t0) - KEEPALIVE;
    // Our heartbeat is refused, then the immediate probe, then the next.
    a.refusal(b_address());
    let probes = a.sends_since(a.now.duration_since(a.t0));
    assert_eq!(probes.len(), 1, "one probe at once");
    a.advance(MS);
    a.refusal(b_address());
    a.advance(49 * MS);
    assert_eq!(a.death_of_b(), None, "two refusals killed");
    a.refusal(b_address());
    a.advance(DEADTIME);
    let (at, cause) = a.death_of_b().expect("b never declared dead");
    assert_eq!(cause, Some(StateCause::PortRefused { refusals: 3 }));
    // Dead once silent for two keepalives, not before.
    assert_eq!(at - heard, 2 * KEEPALIVE);
    assert!(at - heard < DEADTIME / 4);
    assert_eq!(
        cause.unwrap().to_string(),
        "its port refused 3 heartbeats: process gone, host up"
    );
}

#[test]
fn refusals_about_an_address_the_peer_is_not_heard_from_are_ignored() {
    // b is heard from 10.0.0.3; our ucast line names 10.0.0.2.
    let mut a = Node::new("10.0.0.3".parse().unwrap());
    for _ in 0..10 {
        a.refusal(b_address());
        a.advance(10 * MS);
    }
    let ignored: Vec<_> = a
        .outputs
        .iter()
        .filter_map(|(_, output)| match output {
            Output::Event(Event::RefusalsIgnored {
                medium,
                address,
                heard,
            }) => Some((*medium, *address, heard.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ignored,
        [(
            UCAST,
            b_address(),
            vec![("b".to_string(), "10.0.0.3".parse().unwrap())]
        )],
        "reported once, naming where b is heard from"
    );
    // No probe either: nothing but the regular heartbeats.
    assert_eq!(a.sends_since(Duration::ZERO).len(), 1);
    // b was last heard 200 ms ago: deadtime has not run out.
    a.advance(DEADTIME - 300 * MS);
    assert_eq!(a.death_of_b(), None);
    assert_eq!(a.state_of_b(), NodeState::Active);
}

#[test]
fn a_refusal_from_a_peer_heard_without_an_address_is_ignored() {
    // handle_message (no medium, no source): nothing to match against.
    let mut setup = Setup::new(&["a", "b"]);
    setup.keepalive = KEEPALIVE;
    setup.deadtime = DEADTIME;
    let t0 = Instant::now();
    let mut machine = Machine::new(setup.config(0), 1, &BTreeMap::new(), t0);
    for _ in 0..5 {
        machine.handle_refusal(t0, UCAST, b_address());
    }
    let ignored = std::iter::from_fn(|| machine.poll_output())
        .filter(|o| matches!(o, Output::Event(Event::RefusalsIgnored { .. })))
        .count();
    assert_eq!(ignored, 1);
}

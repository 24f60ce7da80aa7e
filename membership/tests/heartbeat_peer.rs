//! The machine's side of heartbeat 3.0.6's resource negotiation
//! (`machine::heartbeat_peer`), under a fake clock: node `a` runs this
//! machine, node `b` is a heartbeat node whose messages the test writes
//! as heartbeat sends them (statuses without `rsc_lists`, `t=starting`,
//! `t=resource`, `t=ask_resources`).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ha_membership::harness::Setup;
use ha_membership::machine::{ActionKind, ActionOutcome, Machine, Output, ReleaseReason, Which};
use ha_membership::message::{Header, Message, NodeState, Status};

const MS: Duration = Duration::from_millis(1);
const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";

/// What node `b`, running heartbeat, sends: numbered from 1.
struct HeartbeatNode {
    seq: u64,
}

impl HeartbeatNode {
    fn header(&mut self) -> Header {
        self.seq += 1;
        Header {
            from: "b".into(),
            uuid: [b'b'; 16],
            generation: 7,
            seq: self.seq,
        }
    }

    fn status(&mut self, state: NodeState) -> Message {
        Message::Status(Status {
            header: self.header(),
            state,
            deadtime_ms: 500,
            held: Vec::new(),
            failed: Vec::new(),
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: false,
        })
    }

    fn report(&mut self, held: &str, stable: bool) -> Message {
        Message::Resources {
            header: self.header(),
            held: held.into(),
            full: true,
            stable: Some(stable),
            info: None,
        }
    }

    fn ask(&mut self, resources: &str, info: &str) -> Message {
        Message::AskResources {
            header: self.header(),
            resources: resources.into(),
            info: info.into(),
        }
    }
}

/// Node `a` (this machine) with the group preferring `preferred`.
fn node_a(preferred: &str, now: Instant) -> Machine {
    let setup = Setup::new(&["a", "b"]).group(GROUP, preferred);
    Machine::new(setup.config(0), 1, &BTreeMap::new(), now)
}

/// Everything `a` asked for since the last call: messages sent and
/// actions, answering each action with success.
fn drain(a: &mut Machine, now: Instant) -> (Vec<Message>, Vec<ActionKind>) {
    let mut sent = Vec::new();
    let mut actions = Vec::new();
    while let Some(output) = a.poll_output() {
        match output {
            Output::Send(message) => sent.push(message),
            Output::Action { id, kind, .. } => {
                actions.push(kind);
                a.handle_action_result(now, id, ActionOutcome::Succeeded);
            }
            _ => {}
        }
    }
    (sent, actions)
}

fn asks(sent: &[Message]) -> Vec<(String, String)> {
    sent.iter()
        .filter_map(|m| match m {
            Message::AskResources {
                resources, info, ..
            } => Some((resources.clone(), info.clone())),
            _ => None,
        })
        .collect()
}

fn starts(actions: &[ActionKind]) -> usize {
    actions
        .iter()
        .filter(|k| matches!(k, ActionKind::Start(_)))
        .count()
}

fn stops(actions: &[ActionKind]) -> Vec<ReleaseReason> {
    actions
        .iter()
        .filter_map(|k| match k {
            ActionKind::Stop(reason) => Some(*reason),
            _ => None,
        })
        .collect()
}

/// A node that starts while a heartbeat node is up asks it what it holds
/// (`t=starting`) and starts nothing before the answer; a report that
/// the peer holds the group keeps it there.
#[test]
fn nothing_starts_before_the_heartbeat_peer_has_said_what_it_holds() {
    let t0 = Instant::now();
    let mut a = node_a("a", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let at = t0 + 100 * MS;
    a.handle_message(at, b.status(NodeState::Active));
    let (sent, actions) = drain(&mut a, at);
    assert!(
        sent.iter().any(|m| matches!(m, Message::Starting(_))),
        "{sent:#?}"
    );
    assert_eq!(starts(&actions), 0, "{actions:?}");
    // Well past deadtime and keepalives, still no word: nothing starts.
    for ms in (200..=2000).step_by(100) {
        let now = t0 + ms * MS;
        a.handle_message(now, b.status(NodeState::Active));
        a.handle_timeout(now);
        assert_eq!(starts(&drain(&mut a, now).1), 0, "at {ms} ms");
    }
    // b holds a's group as foreign: a leaves it there.
    let now = t0 + 2100 * MS;
    a.handle_message(now, b.report("foreign", true));
    a.handle_timeout(now);
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 0, "{actions:?}");
    // a's report: it holds no group, and is stable; it claims the kind
    // of group it has none of (`foreign`), which b does not claim.
    assert!(
        sent.iter().any(|m| matches!(
            m,
            Message::Resources { held, stable: Some(true), .. } if held == "foreign"
        )),
        "{sent:#?}"
    );
}

/// A heartbeat node that never answers: after heartbeat's RQSTDELAY
/// (10 s) this node starts its own preferred groups.
#[test]
fn without_an_answer_own_groups_start_after_ten_seconds() {
    let t0 = Instant::now();
    let mut a = node_a("a", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let mut started_at = None;
    for ms in (100..=12_000).step_by(100) {
        let now = t0 + ms * MS;
        a.handle_message(now, b.status(NodeState::Active));
        a.handle_timeout(now);
        if starts(&drain(&mut a, now).1) > 0 {
            started_at = Some(ms);
            break;
        }
    }
    let started_at = started_at.expect("never started");
    assert!(
        (10_100..=10_300).contains(&started_at),
        "started at {started_at} ms"
    );
}

/// auto_failback to a heartbeat node: this node asks (`info=me`), stops
/// only once heartbeat agrees (`info=other`), then says `info=done`.
#[test]
fn failback_to_a_heartbeat_node_waits_for_its_agreement() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    // b dead at initdead: a takes b's group (its loop called on time).
    let mut started = 0;
    for ms in (100..=1100).step_by(100) {
        let now = t0 + ms * MS;
        a.handle_timeout(now);
        started += starts(&drain(&mut a, now).1);
    }
    assert_eq!(started, 1);
    // b comes back, active, and reports holding nothing, stable.
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 1200 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("none", true));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(
        asks(&sent),
        [("foreign".to_string(), "me".to_string())],
        "{sent:#?}"
    );
    assert!(stops(&actions).is_empty(), "{actions:?}");
    // No agreement for a while: asked again every 2 s, nothing stopped.
    let mut again = 0;
    for ms in (1300..=5300).step_by(100) {
        let now = t0 + ms * MS;
        a.handle_message(now, b.status(NodeState::Active));
        a.handle_timeout(now);
        let (sent, actions) = drain(&mut a, now);
        again += asks(&sent).len();
        assert!(stops(&actions).is_empty(), "at {ms} ms: {actions:?}");
    }
    assert_eq!(again, 2);
    // heartbeat agrees: a stops for failback and says it is done.
    let now = t0 + 5400 * MS;
    a.handle_message(now, b.ask("foreign", "other"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(stops(&actions), [ReleaseReason::Failback]);
    // The stop was answered inside drain: the next input reports done.
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert!(
        asks(&all).contains(&("foreign".to_string(), "done".to_string())),
        "{all:#?}"
    );
}

/// heartbeat hands this node's group back (its auto_failback): its
/// report during the hand-over leaves the group out before its stop has
/// run, so this node starts it only at heartbeat's `info=done`, then says
/// `info=done` itself once it runs.
#[test]
fn a_group_heartbeat_hands_over_starts_at_its_done() {
    let t0 = Instant::now();
    let mut a = node_a("a", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("foreign", true));
    assert_eq!(starts(&drain(&mut a, now).1), 0);
    // heartbeat: "me" (give up foreign), a answers "other".
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("foreign", "me"));
    let (sent, _) = drain(&mut a, now);
    assert!(
        asks(&sent).contains(&("foreign".to_string(), "other".to_string())),
        "{sent:#?}"
    );
    // Its report already says none, unstable: not released yet.
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("none", false));
    a.handle_timeout(now);
    assert_eq!(starts(&drain(&mut a, now).1), 0);
    // Its done: a starts the group, then says done.
    let now = t0 + 400 * MS;
    a.handle_message(now, b.ask("foreign", "done"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 1, "{actions:?}");
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert!(
        asks(&all).contains(&("foreign".to_string(), "done".to_string())),
        "{all:#?}"
    );
}

/// What `a` last reported holding in `sent`, if it reported.
fn reported(sent: &[Message]) -> Option<String> {
    sent.iter().rev().find_map(|m| match m {
        Message::Resources { held, .. } => Some(held.clone()),
        _ => None,
    })
}

/// heartbeat's auto_failback of a set holding no group (its `foreign`
/// after a takeover, when this node prefers none): heartbeat still waits
/// for this node's `info=done` (an hour, refusing every other standby
/// meanwhile), so `done` follows its `done` at once, nothing started.
#[test]
fn a_hand_over_of_no_group_is_still_answered_done() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("all", true));
    drain(&mut a, now);
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("foreign", "me"));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(
        asks(&sent),
        [("foreign".to_string(), "other".to_string())],
        "{sent:#?}"
    );
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("local", false));
    a.handle_message(now, b.ask("foreign", "done"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 0, "{actions:?}");
    assert_eq!(
        asks(&sent),
        [("foreign".to_string(), "done".to_string())],
        "{sent:#?}"
    );
    // Its own `done` to a standby this node asked for later is not taken
    // for another hand-over to answer.
    let now = t0 + 400 * MS;
    a.handle_message(now, b.report("local", true));
    a.handle_message(now, b.ask("foreign", "done"));
    let (sent, _) = drain(&mut a, now);
    assert!(asks(&sent).is_empty(), "{sent:#?}");
}

/// heartbeat went standby (`hb_standby`): this node took its group. Then
/// the operator here goes standby: heartbeat agrees (`info=other`), and
/// this node releases the group and says `done`, though heartbeat had
/// stood by for it.
#[test]
fn a_standby_here_after_heartbeats_own_releases_once_it_agrees() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("local", true));
    drain(&mut a, now);
    // hb_standby on b: me, other, b's unstable report, done.
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("all", "me"));
    a.handle_message(now, b.report("none", false));
    a.handle_message(now, b.ask("all", "done"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 1, "{actions:?}");
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert!(
        asks(&all).contains(&("all".to_string(), "done".to_string())),
        "{all:#?}"
    );
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("none", true));
    a.handle_timeout(now);
    drain(&mut a, now);
    // ha-node standby here: asks, waits for heartbeat's other.
    let now = t0 + 400 * MS;
    a.standby(now, Which::All).unwrap();
    let (sent, actions) = drain(&mut a, now);
    assert!(
        asks(&sent).contains(&("all".to_string(), "me".to_string())),
        "{sent:#?}"
    );
    assert!(stops(&actions).is_empty(), "{actions:?}");
    let now = t0 + 500 * MS;
    a.handle_message(now, b.ask("all", "other"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(stops(&actions), [ReleaseReason::Standby], "{sent:#?}");
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert!(
        asks(&all).contains(&("all".to_string(), "done".to_string())),
        "{all:#?}"
    );
}

/// heartbeat holds a kind of group, not groups: this node, which prefers
/// no group, holds its empty `local` as heartbeat would — not while
/// heartbeat holds it as its `foreign` after a takeover, but from
/// heartbeat's failback of it on — so that heartbeat always finds one
/// owner of each kind.
#[test]
fn an_empty_kind_is_held_as_heartbeat_would_hold_it() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("all", true));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(reported(&sent).as_deref(), Some("none"), "{sent:#?}");
    // heartbeat's failback of its foreign kind (none of its groups).
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("foreign", "me"));
    a.handle_message(now, b.report("local", false));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(reported(&sent), None, "{sent:#?}");
    a.handle_message(now, b.ask("foreign", "done"));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(reported(&sent).as_deref(), Some("local"), "{sent:#?}");
    // b goes standby for all: a takes b's group, and holds all.
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("local", true));
    a.handle_message(now, b.ask("all", "me"));
    a.handle_message(now, b.report("none", false));
    a.handle_message(now, b.ask("all", "done"));
    let (sent, _) = drain(&mut a, now);
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert_eq!(reported(&all).as_deref(), Some("all"), "{all:#?}");
    // a goes standby for all: it gives its empty kind with the group.
    let now = t0 + 400 * MS;
    a.handle_message(now, b.report("none", true));
    a.standby(now, Which::All).unwrap();
    drain(&mut a, now);
    a.handle_message(now, b.ask("all", "other"));
    let (sent, _) = drain(&mut a, now);
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    assert!(
        asks(&all).contains(&("all".to_string(), "done".to_string())),
        "{all:#?}"
    );
    assert_eq!(reported(&all).as_deref(), Some("none"), "{all:#?}");
}

/// heartbeat answers any report of ours that turns it stable with a
/// report of its own marked stable, also while its standby's stop
/// scripts still run: during a hand-over this node agreed to, only
/// heartbeat's `info=done` frees the group, or the address would be on
/// both nodes.
#[test]
fn a_stable_report_during_heartbeats_standby_frees_nothing() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("local", true));
    drain(&mut a, now);
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("all", "me"));
    a.handle_message(now, b.report("none", false));
    a.handle_message(now, b.report("none", true));
    a.handle_timeout(now);
    let (_, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 0, "{actions:?}");
    let now = t0 + 300 * MS;
    a.handle_message(now, b.ask("all", "done"));
    let (_, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 1, "{actions:?}");
}

/// heartbeat ignores a standby request while one runs (its own
/// `hb_standby` during its auto_failback), and takes any `info=other` as
/// the answer to the one it runs: this node ignores that request too, or
/// heartbeat would give up everything while this node takes the group
/// at the end of the first hand-over, and the address be on both nodes.
#[test]
fn a_standby_request_during_a_hand_over_is_ignored_as_heartbeat_does() {
    let t0 = Instant::now();
    let mut a = node_a("b", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("all", true));
    drain(&mut a, now);
    let now = t0 + 200 * MS;
    a.handle_message(now, b.ask("foreign", "me"));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(asks(&sent), [("foreign".into(), "other".into())]);
    // hb_standby on b meanwhile: b ignores it; so does a.
    a.handle_message(now, b.ask("all", "me"));
    let (sent, _) = drain(&mut a, now);
    assert!(asks(&sent).is_empty(), "{sent:#?}");
    // The first hand-over ends; nothing started (b's foreign is empty).
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("local", false));
    a.handle_message(now, b.ask("foreign", "done"));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 0, "{actions:?}");
    assert_eq!(asks(&sent), [("foreign".into(), "done".into())]);
    // Asked again, now: agreed.
    let now = t0 + 400 * MS;
    a.handle_message(now, b.report("local", true));
    a.handle_message(now, b.ask("all", "me"));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(asks(&sent), [("all".into(), "other".into())]);
}

/// A kind this node holds with no group in it is given up as soon as
/// heartbeat says it holds it (heartbeat's mach_down takes every kind),
/// and none is held before heartbeat's first stable report: heartbeat
/// never finds both nodes holding a kind ("Both machines own our
/// resources!").
#[test]
fn an_empty_kind_heartbeat_holds_is_not_held_here() {
    let t0 = Instant::now();
    let mut a = node_a("a", t0);
    let mut b = HeartbeatNode { seq: 0 };
    let now = t0 + 100 * MS;
    a.handle_message(now, b.status(NodeState::Active));
    a.handle_message(now, b.report("foreign", false));
    let (sent, _) = drain(&mut a, now);
    assert!(reported(&sent).is_none_or(|r| r == "none"), "{sent:#?}");
    let now = t0 + 200 * MS;
    a.handle_message(now, b.report("none", true));
    let (sent, actions) = drain(&mut a, now);
    assert_eq!(starts(&actions), 1, "{actions:?}");
    a.handle_timeout(now + MS);
    let (more, _) = drain(&mut a, now + MS);
    let all: Vec<Message> = sent.into_iter().chain(more).collect();
    // Its own group, and b's kind, which holds no group.
    assert_eq!(reported(&all).as_deref(), Some("all"), "{all:#?}");
    let now = t0 + 300 * MS;
    a.handle_message(now, b.report("local", true));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(reported(&sent).as_deref(), Some("local"), "{sent:#?}");
    // heartbeat lets it go again: this node does not take it back by
    // itself.
    let now = t0 + 400 * MS;
    a.handle_message(now, b.report("none", true));
    let (sent, _) = drain(&mut a, now);
    assert_eq!(reported(&sent), None, "{sent:#?}");
}

/// heartbeat fails back only when its peer's report turns stable; a node
/// that came back while heartbeat was still taking its group over missed
/// that moment. With auto_failback on, this node, whose group heartbeat
/// holds, reminds it every 2 s (an unstable report, then a stable one)
/// until it hands the group back; with auto_failback off, never.
#[test]
fn a_heartbeat_peer_holding_our_group_is_reminded_to_fail_back() {
    for auto_failback in [true, false] {
        let t0 = Instant::now();
        let mut setup = Setup::new(&["a", "b"]).group(GROUP, "a");
        setup.auto_failback = auto_failback;
        let mut a = Machine::new(setup.config(0), 1, &BTreeMap::new(), t0);
        let mut b = HeartbeatNode { seq: 0 };
        let mut reminders = Vec::new();
        for ms in (100..=4_500).step_by(100) {
            let now = t0 + ms * MS;
            a.handle_message(now, b.status(NodeState::Active));
            if ms == 100 {
                a.handle_message(now, b.report("all", true));
            }
            a.handle_timeout(now);
            let (sent, actions) = drain(&mut a, now);
            assert_eq!(starts(&actions), 0, "{actions:?}");
            let stability: Vec<Option<bool>> = sent
                .iter()
                .filter_map(|m| match m {
                    Message::Resources { stable, .. } => Some(*stable),
                    _ => None,
                })
                .collect();
            if ms > 100 && !stability.is_empty() {
                reminders.push((ms, stability));
            }
        }
        if auto_failback {
            assert_eq!(
                reminders,
                [
                    (2_100, vec![Some(false), Some(true)]),
                    (4_100, vec![Some(false), Some(true)])
                ],
            );
        } else {
            assert!(reminders.is_empty(), "{reminders:?}");
        }
    }
}

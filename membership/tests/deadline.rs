//! A heartbeat that has arrived by the deadline always counts: however the
//! arrivals are spaced, as long as no gap between them exceeds deadtime, the
//! peer is never declared dead — the driver hands the machine every
//! message already received before it acts on a deadline that is due, and
//! the machine must then keep the peer.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ha_membership::harness::Setup;
use ha_membership::machine::{Event, Machine, Output};
use ha_membership::message::{Header, Message, NodeState, Status};
use proptest::prelude::*;

const MS: Duration = Duration::from_millis(1);

fn heartbeat(seq: u64) -> Message {
    Message::Status(Status {
        header: Header {
            from: "b".into(),
            uuid: [2; 16],
            generation: 7,
            seq,
        },
        state: NodeState::Active,
        deadtime_ms: 40,
        held: Vec::new(),
        failed: Vec::new(),
        standby: Vec::new(),
        ping_nodes: None,
        lists_groups: true,
    })
}

/// Whether `a` ever declares `b` dead when `b`'s heartbeats arrive after
/// the given gaps (in µs), with deadtime `deadtime`; the machine is woken
/// at every deadline it asks for, and at an arrival first.
fn declares_dead(gaps_us: &[u64], deadtime: Duration) -> bool {
    let mut setup = Setup::new(&["a", "b"]);
    setup.keepalive = deadtime / 4;
    setup.warntime = deadtime * 3 / 4;
    setup.deadtime = deadtime;
    setup.initdead = deadtime;
    let t0 = Instant::now();
    let mut machine = Machine::new(setup.config(0), 1, &BTreeMap::new(), t0);
    let mut dead = false;
    let mut check = |machine: &mut Machine| {
        for output in std::iter::from_fn(|| machine.poll_output()) {
            if let Output::Event(Event::NodeState { node, to, .. }) = output {
                dead |= node == "b" && to == NodeState::Dead;
            }
        }
    };
    let mut at = t0;
    for (seq, gap) in gaps_us.iter().enumerate() {
        let arrival = at + Duration::from_micros(*gap);
        // Every deadline before the arrival is acted on...
        while let Some(due) = machine.poll_timeout().filter(|&due| due < arrival) {
            machine.handle_timeout(due);
            check(&mut machine);
        }
        // ...and at the arrival, the message is read before the deadline
        // that falls at the same instant.
        machine.handle_message(arrival, heartbeat(seq as u64 + 1));
        check(&mut machine);
        if machine.poll_timeout().is_some_and(|due| due <= arrival) {
            machine.handle_timeout(arrival);
            check(&mut machine);
        }
        at = arrival;
    }

    dead
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_heartbeat_delivered_by_the_deadline_never_yields_a_takeover(
        deadtime_ms in 4u32..200,
        gaps in prop::collection::vec(0u64..=1000, 1..60),
    ) {
        let deadtime = deadtime_ms * MS;
        // Gaps as fractions of deadtime, up to exactly deadtime.
        let gaps_us: Vec<u64> = gaps
            .iter()
            .map(|g| deadtime.as_micros() as u64 * g / 1000)
            .collect();
        prop_assert!(!declares_dead(&gaps_us, deadtime), "gaps {:?} µs", gaps_us);
    }
}

#[test]
fn a_gap_longer_than_deadtime_is_a_death() {
    // The property above is not vacuous: one gap of deadtime + 1 µs kills.
    let deadtime = 40 * MS;
    let gaps = [0, 10_000, 40_001];
    assert!(declares_dead(&gaps, deadtime));
    assert!(!declares_dead(&[0, 10_000, 40_000], deadtime));
}

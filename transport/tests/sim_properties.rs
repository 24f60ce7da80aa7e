//! Properties of the simulated network, checked over random schedules driven
//! by a fake clock: determinism, exactly-once delivery without loss,
//! partitions, delay bounds, crashes and restarts.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ha_transport::sim::{LinkConfig, NodeId, SimNetwork};
use proptest::prelude::*;

/// Something that happens at a moment of the schedule.
#[derive(Debug, Clone)]
enum Event {
    /// The node broadcasts a datagram carrying the event's number.
    Send(usize),
    /// The node crashes.
    Crash(usize),
    /// The node restarts.
    Restart(usize),
}

/// A delivery as a test sees it: when, to whom, from whom, which send.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    at: Duration,
    to: NodeId,
    from: NodeId,
    send: u32,
}

/// Runs `events` (each after its gap) on `net`, delivering everything that
/// falls due exactly when it falls due, and returns the deliveries and the
/// time of each send.
fn run(net: &mut SimNetwork, events: &[(Duration, Event)]) -> (Vec<Seen>, Vec<Duration>) {
    let t0 = Instant::now();
    let mut seen = Vec::new();
    let mut send_times = Vec::new();
    let mut now = Duration::ZERO;
    let deliver_until = |net: &mut SimNetwork, until: Duration, seen: &mut Vec<Seen>| {
        while let Some(due) = net.next_delivery_time() {
            if due > t0 + until {
                break;
            }
            for (to, from, datagram) in net.deliver_due(due) {
                let bytes: [u8; 4] = datagram.as_slice().try_into().expect("4-byte datagram");
                seen.push(Seen {
                    at: due - t0,
                    to,
                    from,
                    send: u32::from_le_bytes(bytes),
                });
            }
        }
    };
    for (gap, event) in events {
        now += *gap;
        deliver_until(net, now, &mut seen);
        match event {
            Event::Send(node) => {
                let number = u32::try_from(send_times.len()).expect("few sends");
                net.send(NodeId(*node), &number.to_le_bytes(), t0 + now);
                send_times.push(now);
            }
            Event::Crash(node) => net.detach(NodeId(*node)),
            Event::Restart(node) => net.attach(NodeId(*node)),
        }
    }
    deliver_until(net, Duration::MAX / 4, &mut seen);
    assert_eq!(net.in_flight(), 0);
    (seen, send_times)
}

fn network(nodes: usize, seed: u64, link: LinkConfig) -> SimNetwork {
    let mut net = SimNetwork::new(seed);
    for i in 0..nodes {
        net.add_node(&format!("node{i}"));
    }
    net.set_default_link(link);
    net
}

fn sends(nodes: usize) -> impl Strategy<Value = Vec<(Duration, Event)>> {
    prop::collection::vec(
        (0u64..40, 0..nodes)
            .prop_map(|(gap, node)| (Duration::from_millis(gap), Event::Send(node))),
        1..60,
    )
}

fn delays() -> impl Strategy<Value = (Duration, Duration)> {
    (0u64..100, 0u64..100).prop_map(|(a, b)| (Duration::from_millis(a), Duration::from_millis(b)))
}

/// Which sends each node should hear when nothing is lost or cut.
fn everyone_else_hears(
    nodes: usize,
    events: &[(Duration, Event)],
) -> BTreeMap<(u32, NodeId), NodeId> {
    let mut expected = BTreeMap::new();
    let mut number = 0u32;
    for (_, event) in events {
        if let Event::Send(from) = event {
            for to in (0..nodes).filter(|to| to != from) {
                expected.insert((number, NodeId(to)), NodeId(*from));
            }
            number += 1;
        }
    }
    expected
}

proptest! {
    #[test]
    fn the_same_seed_gives_the_same_deliveries(
        nodes in 2usize..6,
        seed in any::<u64>(),
        loss in 0.0f64..0.9,
        (min, max) in delays(),
        events in sends(5),
    ) {
        let events: Vec<_> = events
            .into_iter()
            .map(|(gap, event)| match event {
                Event::Send(node) => (gap, Event::Send(node % nodes)),
                other => (gap, other),
            })
            .collect();
        let link = LinkConfig::perfect().with_loss(loss).with_delay(min, max);
        let (first, _) = run(&mut network(nodes, seed, link), &events);
        let (second, _) = run(&mut network(nodes, seed, link), &events);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn without_loss_everyone_else_hears_every_send_exactly_once(
        nodes in 2usize..6,
        seed in any::<u64>(),
        (min, max) in delays(),
        events in sends(5),
    ) {
        let events: Vec<_> = events
            .into_iter()
            .map(|(gap, event)| match event {
                Event::Send(node) => (gap, Event::Send(node % nodes)),
                other => (gap, other),
            })
            .collect();
        let link = LinkConfig::perfect().with_delay(min, max);
        let (seen, _) = run(&mut network(nodes, seed, link), &events);
        let mut heard = BTreeMap::new();
        for s in &seen {
            prop_assert!(heard.insert((s.send, s.to), s.from).is_none(), "duplicate {:?}", s);
        }
        prop_assert_eq!(heard, everyone_else_hears(nodes, &events));
    }

    #[test]
    fn delays_stay_within_bounds_and_deliveries_come_in_time_order(
        seed in any::<u64>(),
        (min, max) in delays(),
        events in sends(4),
    ) {
        let link = LinkConfig::perfect().with_delay(min, max);
        let (low, high) = link.delay_range();
        let (seen, send_times) = run(&mut network(4, seed, link), &events);
        prop_assert!(seen.windows(2).all(|w| w[0].at <= w[1].at));
        for s in &seen {
            let delay = s.at - send_times[s.send as usize];
            prop_assert!(low <= delay && delay <= high, "{:?} outside {:?}..={:?}", delay, low, high);
        }
    }

    #[test]
    fn nothing_crosses_a_partition(
        seed in any::<u64>(),
        sides in prop::collection::vec(any::<bool>(), 2..6),
        (min, max) in delays(),
        events in sends(5),
    ) {
        let nodes = sides.len();
        let events: Vec<_> = events
            .into_iter()
            .map(|(gap, event)| match event {
                Event::Send(node) => (gap, Event::Send(node % nodes)),
                other => (gap, other),
            })
            .collect();
        let side = |node: NodeId| sides[node.0];
        let mut net = network(nodes, seed, LinkConfig::perfect().with_delay(min, max));
        let left: Vec<NodeId> = (0..nodes).map(NodeId).filter(|&n| side(n)).collect();
        let right: Vec<NodeId> = (0..nodes).map(NodeId).filter(|&n| !side(n)).collect();
        net.partition(&left, &right);
        let (seen, _) = run(&mut net, &events);
        for s in &seen {
            prop_assert_eq!(side(s.to), side(s.from), "{:?} crossed the partition", s);
        }
        // Within a side nothing is lost.
        let mut expected = everyone_else_hears(nodes, &events);
        expected.retain(|(_, to), from| side(*to) == side(*from));
        let heard: BTreeMap<_, _> = seen.iter().map(|s| ((s.send, s.to), s.from)).collect();
        prop_assert_eq!(heard, expected);
    }

    #[test]
    fn a_crashed_node_neither_sends_nor_receives_until_it_restarts(
        seed in any::<u64>(),
        (min, max) in delays(),
        events in prop::collection::vec(
            (0u64..40, 0usize..3, 0u8..10).prop_map(|(gap, node, what)| {
                let event = match what {
                    0 => Event::Crash(node),
                    1 => Event::Restart(node),
                    _ => Event::Send(node),
                };
                (Duration::from_millis(gap), event)
            }),
            1..80,
        ),
    ) {
        let link = LinkConfig::perfect().with_delay(min, max);
        let (_, longest) = link.delay_range();
        let (seen, _) = run(&mut network(3, seed, link), &events);
        // Replay the schedule: who was attached at each send, and when each
        // node crashed afterwards. Deliveries due at an instant happen before
        // the events of that instant, so a crash at the very moment a copy
        // falls due does not stop it.
        let mut attached = [true; 3];
        let mut now = Duration::ZERO;
        let mut timeline = Vec::new();
        for (gap, event) in &events {
            now += *gap;
            timeline.push((now, event.clone(), attached));
            match event {
                Event::Crash(node) => attached[*node] = false,
                Event::Restart(node) => attached[*node] = true,
                Event::Send(_) => {}
            }
        }
        let heard: BTreeMap<_, _> = seen.iter().map(|s| ((s.send, s.to), (s.from, s.at))).collect();
        let mut number = 0u32;
        for (position, (sent, event, attached)) in timeline.iter().enumerate() {
            let Event::Send(from) = event else { continue };
            let crashes_after = |node: usize| -> Vec<Duration> {
                timeline[position + 1..]
                    .iter()
                    .filter(|(_, e, _)| matches!(e, Event::Crash(n) if *n == node))
                    .map(|(at, _, _)| *at)
                    .collect()
            };
            for to in (0..3).filter(|to| to != from) {
                let crashes: Vec<Duration> = crashes_after(*from).into_iter().chain(crashes_after(to)).collect();
                match heard.get(&(number, NodeId(to))) {
                    Some(&(sender, at)) => {
                        prop_assert_eq!(sender, NodeId(*from));
                        prop_assert!(attached[*from] && attached[to], "send {} reached {} though an end was down", number, to);
                        prop_assert!(crashes.iter().all(|&x| x >= at), "send {} reached {} after a crash", number, to);
                    }
                    None => {
                        let undisturbed = crashes.iter().all(|&x| x > *sent + longest);
                        prop_assert!(
                            !(attached[*from] && attached[to] && undisturbed),
                            "send {} from {} to {} was lost", number, from, to
                        );
                    }
                }
            }
            number += 1;
        }
    }
}

#[test]
fn loss_probability_is_honoured_on_average() {
    let mut net = network(2, 99, LinkConfig::perfect().with_loss(0.25));
    let t0 = Instant::now();
    let copies: usize = (0..20_000).map(|_| net.send(NodeId(0), b"x", t0)).sum();
    let lost = 20_000 - copies;
    assert!(
        (4_600..5_400).contains(&lost),
        "lost {lost} of 20000 at p = 0.25"
    );
    assert_eq!(net.deliver_due(t0).len(), copies);
}

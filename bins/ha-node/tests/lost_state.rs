//! No node needs its clock, or its state directory, to rejoin: a node that
//! once ran with its clock an hour ahead (so its peer knows it by a
//! generation an hour's worth of seconds high) comes back with the right
//! clock and an empty state directory; its peer tells it the generation it
//! knew, the node moves past it, and the group fails back.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{cluster, served_by, start_both, state_seen, view_of, BINARY};
use ha_lab::cluster::{ClusterSpec, Node};

/// Runs the scenario with node-a's first generation `first` (what an
/// earlier node, with its clock set to that many seconds, would have
/// stored), then restarts node-a with no state.
fn comes_back_without_its_state(tag: &str, first: u64) {
    let mut cluster = cluster(tag, ClusterSpec::fast(BINARY));
    let state = cluster.node_dir(Node::A).join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("generation"), format!("{}\n", first - 1)).unwrap();
    start_both(&mut cluster);
    let (_, known) = view_of(&cluster, Node::B, Node::A).expect("node-b's view of node-a");
    assert_eq!(known, first, "node-b knows node-a by its first generation");
    cluster.kill(Node::A).expect("kill node-a");
    assert!(cluster
        .wait_until(Duration::from_secs(3), |c| served_by(c, Node::B))
        .is_some());
    std::fs::remove_dir_all(&state).unwrap();
    cluster
        .start(Node::A)
        .expect("restart node-a without its state");
    let back = cluster.wait_until(Duration::from_secs(5), |c| {
        state_seen(c, Node::B, Node::A).as_deref() == Some("active")
            && c.holds_vip(Node::A).unwrap_or(false)
            && served_by(c, Node::A)
    });
    assert!(
        back.is_some(),
        "node-a was not taken back:\n{}\n{}",
        cluster.log(Node::A),
        cluster.log(Node::B)
    );
    let (_, now_known) = view_of(&cluster, Node::B, Node::A).expect("node-b's view of node-a");
    if first > 1 {
        assert_eq!(
            now_known,
            first + 1,
            "node-a moved just past what node-b knew"
        );
    } else {
        // Restarted in the very generation node-b knew: its first messages
        // are refused as replays, and either the hint moves it on, or its
        // sequence numbers pass the old run's before the hint arrives.
        assert!([first, first + 1].contains(&now_known), "{now_known}");
    }
    if now_known == first + 1 {
        let stored = cluster.wait_until(Duration::from_secs(2), |_| {
            std::fs::read_to_string(state.join("generation"))
                .is_ok_and(|text| text.trim() == now_known.to_string())
        });
        assert!(
            stored.is_some(),
            "node-a did not store generation {now_known}"
        );
        assert!(cluster
            .log(Node::A)
            .contains(&format!("a peer knew this node by generation {first}")));
    }
}

fn wall_clock_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_node_that_ran_an_hour_ahead_rejoins_without_its_state() {
    comes_back_without_its_state("hn-skew-ahead", wall_clock_secs() + 3600);
}

#[test]
fn a_node_that_ran_an_hour_behind_rejoins_without_its_state() {
    // Behind or ahead, a generation is a counter: what matters is that the
    // peer knew a higher one than the fresh start's 1.
    comes_back_without_its_state("hn-skew-behind", wall_clock_secs() - 3600);
}

#[test]
fn a_node_that_lost_its_first_generation_rejoins() {
    // The same generation again (1), with its sequence numbers from 1:
    // refused as replays until the hint moves it on.
    comes_back_without_its_state("hn-lost-1", 1);
}

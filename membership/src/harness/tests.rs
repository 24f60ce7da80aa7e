//! Tests of the harness itself: what it promises about the network, the
//! actions, restarts and the transcript.

use super::*;
use crate::machine::RejectReason;
use crate::machine::Rejection;

const MS: Duration = Duration::from_millis(1);
const GROUP: &str = "web";

fn pair() -> Cluster {
    let mut cluster = Cluster::new(Setup::new(&["a", "b"]).group(GROUP, "a"));
    cluster.start_all();
    cluster
}

#[test]
fn nodes_hear_each_other_through_the_codec_and_settle() {
    let mut cluster = pair();
    cluster.advance(300 * MS);
    assert_eq!(cluster.state_seen(0, 1), Some(NodeState::Active));
    assert_eq!(cluster.state_seen(1, 0), Some(NodeState::Active));
    assert_eq!(cluster.owner_names(GROUP), ["a"]);
    assert_eq!(cluster.owner_seen(1, GROUP).as_deref(), Some("a"));
}

#[test]
fn actions_take_the_delay_and_held_ones_wait_for_an_answer() {
    let mut cluster = pair();
    cluster.set_action_delay(50 * MS);
    cluster.hold(0, ActionType::Monitor);
    cluster.advance(40 * MS);
    assert_eq!(cluster.holders(GROUP), [0]);
    assert!(
        cluster.owners(GROUP).is_empty(),
        "answered before its delay"
    );
    cluster.advance(10 * MS);
    assert_eq!(cluster.owners(GROUP), [0]);

    let mut cluster = pair();
    cluster.hold(0, ActionType::Start);
    cluster.advance(1000 * MS);
    assert_eq!(
        cluster.group_state(0, GROUP),
        Some(LocalGroupState::Starting)
    );
    let (_, id, ..) = cluster.actions(0).next().expect("a start");
    cluster.answer(0, id, ActionOutcome::Succeeded);
    assert_eq!(cluster.owners(GROUP), [0]);
}

#[test]
fn a_restart_bumps_the_generation_and_peers_generations_are_remembered() {
    let mut cluster = pair();
    cluster.advance(300 * MS);
    cluster.restart(1);
    cluster.advance(300 * MS);
    assert_eq!(cluster.generation(1), 2);
    // `a` restarts knowing `b` is in generation 2: `b`'s first-generation
    // messages are replays even though this run of `a` never heard them.
    cluster.restart(0);
    cluster.replay(0, 1, 1, 3);
    let rejected = Event::Rejected {
        node: "b".into(),
        reason: RejectReason::Replay(Rejection::StaleGeneration),
    };
    assert_eq!(cluster.events(0).last().map(|(_, e)| e), Some(&rejected));
}

#[test]
fn a_graceful_shutdown_reaches_the_peers_and_stops_the_node() {
    let mut cluster = pair();
    cluster.advance(300 * MS);
    cluster.shutdown(0);
    assert!(cluster.is_shutting_down(0), "stopping its group first");
    cluster.advance(Duration::ZERO);
    assert!(!cluster.is_running(0));
    assert_eq!(cluster.down_since(0), Some(300 * MS));
    assert_eq!(cluster.state_seen(1, 0), Some(NodeState::Dead));
    assert_eq!(cluster.owners(GROUP), [1]);
}

#[test]
fn a_partition_silences_and_a_heal_restores() {
    let mut cluster = pair();
    cluster.advance(300 * MS);
    cluster.isolate(1);
    cluster.advance(600 * MS);
    assert_eq!(cluster.state_seen(0, 1), Some(NodeState::Dead));
    assert_eq!(cluster.owners(GROUP), [0, 1], "both sides hold it");
    cluster.heal();
    cluster.advance(300 * MS);
    assert_eq!(cluster.owners(GROUP), [0]);
}

#[test]
fn checks_see_every_output_as_it_happens() {
    let mut cluster = pair();
    cluster.check_each(|cluster, entry| match entry.what {
        What::Asked {
            kind: ActionKind::Start(_),
            ..
        } if cluster.is_running(entry.node) => Err("asked".into()),
        _ => Ok(()),
    });
    cluster.advance(300 * MS);
    assert_eq!(cluster.violations(), ["at 0ns, a: asked"]);
}

#[test]
fn the_transcript_folds_repeated_heartbeats() {
    let mut cluster = Cluster::new(Setup::new(&["a"]).group(GROUP, "a"));
    cluster.start(0);
    cluster.advance(1000 * MS);
    let transcript = cluster.transcript();
    let expected = [
        "     0 a  * started, generation 1",
        "     0 a  send status init gen=1 seq=1",
        "     0 a  event node a: init -> up",
        "     0 a  event node a: up -> active",
        "     0 a  send status active gen=1 seq=2",
        "     0 a  ask #1 start web (initial)",
        "     0 a  send status active gen=1 seq=3..4 held=web (2 sent, last at 0)",
        "     0 a  event done start web (initial)",
        "     0 a  send status active gen=1 seq=5..15 held=web (11 sent, last at 1000)",
    ];
    assert_eq!(transcript.lines().collect::<Vec<_>>(), expected);
}

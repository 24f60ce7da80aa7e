//! End to end, and slow (2 minutes): CPU starvation. Two nodes at keepalive
//! 10 ms / deadtime 40 ms with heartbeat's default `realtime on` settle;
//! then twice as many busy loops as there are CPUs run at the normal
//! priority for 120 s. The membership loop, at SCHED_FIFO, keeps the
//! heartbeats going: no node is declared dead and the group never moves.
//! Needs root. A file of its own, so cargo runs it as its own binary.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::sched::{fifo_threads, node_pid, MEMBERSHIP_THREAD, SCHED_FIFO};
use common::{cluster, holds_vip, outputs, start_both, state_seen, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::BusyLoops;

/// How long the CPUs are kept busy.
const STARVATION: Duration = Duration::from_secs(120);

/// heartbeat's rtprio when ha.cf does not set it.
const DEFAULT_RTPRIO: u32 = 50;

/// What each node logged after `from` bytes of its log.
fn logged_since(cluster: &TwoNodeCluster, from: [usize; 2]) -> [String; 2] {
    let [a, b] = from;
    [(Node::A, a), (Node::B, b)].map(|(node, start)| {
        let log = cluster.log(node);
        log.get(start..).unwrap_or_default().to_string()
    })
}

/// The lines of `logs` that mean a takeover: a node declared dead, or a
/// group acquired or released.
fn takeover_lines(logs: &[String; 2]) -> Vec<String> {
    logs.iter()
        .flat_map(|log| log.lines())
        .filter(|line| {
            line.contains("-> dead")
                || line.contains("acquiring resource group")
                || line.contains("releasing resource group")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn cpu_starvation_for_2_minutes_at_10ms_40ms_causes_no_takeover() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "40ms".into();
    spec.initdead = "2".into();
    let mut cluster = cluster("hn-starve", spec);
    start_both(&mut cluster);
    let pids = [Node::A, Node::B].map(|node| node_pid(&cluster, node).expect("node pid"));
    for pid in pids {
        let fifo = fifo_threads(pid);
        assert_eq!(fifo.len(), 1, "{fifo:?}");
        assert_eq!(fifo[0].comm, MEMBERSHIP_THREAD);
        assert_eq!(fifo[0].rt_priority, DEFAULT_RTPRIO);
    }
    // Let the settling lines be written before the mark.
    std::thread::sleep(Duration::from_millis(500));
    let mark = [cluster.log(Node::A).len(), cluster.log(Node::B).len()];

    let cpus = ha_lab::cpu::cpu_count();
    let busy = BusyLoops::start(2 * cpus).expect("start the busy loops");
    eprintln!(
        "{} busy loops on {cpus} CPUs (pids {:?}) for {} s",
        2 * cpus,
        busy.pids(),
        STARVATION.as_secs()
    );
    let started = Instant::now();
    let mut checks = 0;
    while started.elapsed() < STARVATION {
        std::thread::sleep(Duration::from_secs(1));
        for (node, pid) in [Node::A, Node::B].into_iter().zip(pids) {
            let fifo = fifo_threads(pid);
            assert!(
                fifo.len() == 1
                    && fifo[0].comm == MEMBERSHIP_THREAD
                    && fifo[0].policy == SCHED_FIFO
                    && fifo[0].rt_priority == DEFAULT_RTPRIO,
                "{} after {} ms: FIFO threads {fifo:?}",
                node.name(),
                started.elapsed().as_millis()
            );
        }
        let takeovers = takeover_lines(&logged_since(&cluster, mark));
        assert!(
            takeovers.is_empty(),
            "after {} ms of starvation:\n{}",
            started.elapsed().as_millis(),
            takeovers.join("\n")
        );
        assert!(holds_vip(&cluster, Node::A) && !holds_vip(&cluster, Node::B));
        checks += 1;
    }
    let starved_for = started.elapsed();
    drop(busy);

    let logs = logged_since(&cluster, mark);
    let takeovers = takeover_lines(&logs);
    let late: usize = logs
        .iter()
        .map(|log| log.matches("late heartbeat").count())
        .sum();
    eprintln!(
        "starved for {} ms, {checks} checks: {} takeovers, {late} late-heartbeat warnings",
        starved_for.as_millis(),
        takeovers.len()
    );
    assert!(checks >= 100, "only {checks} checks in {starved_for:?}");
    assert!(takeovers.is_empty(), "{}", takeovers.join("\n"));
    for (viewer, node) in [(Node::A, Node::B), (Node::B, Node::A)] {
        assert_eq!(
            state_seen(&cluster, viewer, node).as_deref(),
            Some("active"),
            "{}",
            outputs(&cluster)
        );
    }
    assert!(holds_vip(&cluster, Node::A) && !holds_vip(&cluster, Node::B));
}

//! End to end: `ha-node run` under a service manager, whose notification
//! socket is a real Unix datagram socket the test binds and names in
//! `NOTIFY_SOCKET`, as systemd does for a `Type=notify` unit.
//!
//! Proven: `READY=1` comes only once the node is active — alone, once
//! initdead has passed; beside a running peer, as soon as that peer is
//! heard, well before initdead — with a `STATUS=` line, and more status
//! lines as the node's view changes; `STOPPING=1` on SIGTERM;
//! `WATCHDOG=1` at half of `WATCHDOG_USEC`, from the membership loop
//! itself: none while that loop's thread alone is frozen (the rest of the
//! process running on), again once it is let go. Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, outputs, status, wait_settled, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::service_manager::NotifySocket;
use nix::sys::ptrace;
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

/// The state `node` reports for itself, `None` when it does not answer.
fn own_state(cluster: &TwoNodeCluster, node: Node) -> Option<String> {
    let status = status(cluster, node)?;
    status["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["local"] == true)
        .and_then(|n| n["state"].as_str().map(str::to_string))
}

/// Polls `node`'s own state until `manager` has `READY=1` (or 15 s):
/// returns when READY came, and fails if any status answered after it
/// shows the node not yet active (READY too early).
fn ready_after_active(cluster: &TwoNodeCluster, node: Node, manager: &NotifySocket) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = own_state(cluster, node);
        let answered = Instant::now();
        if let Some(ready) = manager.first("READY=1") {
            if answered > ready + 5 * MS && state.is_some() {
                assert_eq!(
                    state.as_deref(),
                    Some("active"),
                    "READY=1 came before the node was active\n{}",
                    outputs(cluster)
                );
                return ready;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no READY=1 within 15 s: {:?}\n{}",
            manager.all(),
            outputs(cluster)
        );
        std::thread::sleep(10 * MS);
    }
}

#[test]
fn ready_comes_once_the_node_is_active_alone_after_initdead_beside_a_peer_at_once() {
    let mut cluster = cluster("hn-notify", ClusterSpec::fast(BINARY));
    let manager = NotifySocket::bind(&cluster.node_dir(Node::A).join("notify")).unwrap();

    // Alone: initdead (2 s) must pass before node-a is active.
    let started = Instant::now();
    cluster
        .start_with_env(Node::A, &[("NOTIFY_SOCKET", manager.path())])
        .unwrap();
    let first_pid = cluster.pid(Node::A).unwrap();
    let ready = ready_after_active(&cluster, Node::A, &manager);
    let alone = ready.duration_since(started);
    let ready_text = manager.first_text("READY=1").unwrap();

    // The peer comes: the status line says so.
    cluster.start(Node::B).unwrap();
    wait_settled(&cluster);
    assert!(
        manager.wait_status("peer node-b active", Duration::from_secs(5)),
        "{:?}",
        manager.statuses()
    );

    // SIGTERM: STOPPING=1.
    let node = cluster.terminate(Node::A).unwrap().unwrap();
    node.wait_timeout(Duration::from_secs(15)).unwrap().unwrap();
    assert!(manager.first("STOPPING=1").is_some(), "{:?}", manager.all());

    // Beside a running peer: active as soon as node-b is heard.
    manager.clear();
    let restarted = Instant::now();
    cluster
        .start_with_env(Node::A, &[("NOTIFY_SOCKET", manager.path())])
        .unwrap();
    let ready = ready_after_active(&cluster, Node::A, &manager);
    let beside = ready.duration_since(restarted);

    eprintln!(
        "READY=1 {} ms after the start alone (initdead 2 s), {} ms beside an active peer; \
         first message {ready_text:?}; status lines {:?}",
        alone.as_millis(),
        beside.as_millis(),
        manager.statuses()
    );
    assert!(alone >= 1900 * MS, "ready after {alone:?}, before initdead");
    assert!(
        ready_text.contains(&format!("MAINPID={first_pid}\n")),
        "{ready_text}"
    );
    assert!(
        ready_text.contains("STATUS=active, holds 1 of 1 group, peer node-b dead"),
        "{ready_text}"
    );
    assert!(
        beside < 1500 * MS,
        "ready after {beside:?} beside an active peer"
    );
}

/// The thread of process `pid` named `name` (its `comm`).
fn thread_named(pid: u32, name: &str) -> Option<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
        .find(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.trim() == name)
        })
        .and_then(|task| task.file_name().to_str()?.parse().ok())
}

/// The one-letter state of each thread of `pid` (`/proc/PID/task/*/stat`).
fn thread_states(pid: u32) -> Vec<(i32, char)> {
    let mut states = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if let (Some(state), Some(tid)) = (state, task.file_name().to_str()) {
            states.push((tid.parse().unwrap(), state));
        }
    }
    states
}

/// Gaps between consecutive times.
fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn the_watchdog_comes_every_half_timeout_from_the_loop_and_stops_while_the_loop_is_frozen() {
    let mut cluster = cluster("hn-notify-wd", ClusterSpec::fast(BINARY));
    let manager = NotifySocket::bind(&cluster.node_dir(Node::A).join("notify")).unwrap();
    // WatchdogSec=400ms: WATCHDOG=1 every 200 ms.
    cluster
        .start_with_env(
            Node::A,
            &[
                ("NOTIFY_SOCKET", manager.path()),
                ("WATCHDOG_USEC", "400000"),
            ],
        )
        .unwrap();
    cluster.start(Node::B).unwrap();
    wait_settled(&cluster);

    let window = Duration::from_secs(3);
    let began = Instant::now();
    std::thread::sleep(window);
    let running = manager.watchdogs(began, Instant::now());

    // Freeze the membership loop's thread alone (ptrace stops one thread;
    // SIGSTOP would stop them all).
    let pid = cluster.pid(Node::A).unwrap();
    let tid = thread_named(pid, "membership").expect("the membership thread");
    let thread = Pid::from_raw(tid);
    ptrace::seize(thread, ptrace::Options::empty()).unwrap();
    ptrace::interrupt(thread).unwrap();
    waitpid(thread, Some(WaitPidFlag::__WALL)).unwrap();
    let frozen_at = Instant::now();
    std::thread::sleep(window);
    let states = thread_states(pid);
    let frozen = manager.watchdogs(frozen_at + 20 * MS, Instant::now());
    ptrace::detach(thread, None).unwrap();
    let thawed_at = Instant::now();
    std::thread::sleep(window);
    let thawed = manager.watchdogs(thawed_at, Instant::now());

    let ms = |d: &Vec<Duration>| d.iter().map(|g| g.as_millis()).collect::<Vec<_>>();
    eprintln!(
        "WATCHDOG=1 in {} s: running {} (gaps ms {:?}), loop frozen {}, after {} (first {} ms \
         after the thaw); threads while frozen {states:?}",
        window.as_secs(),
        running.len(),
        ms(&gaps(&running)),
        frozen.len(),
        thawed.len(),
        thawed
            .first()
            .map_or(-1, |at| at.duration_since(thawed_at).as_millis() as i64),
    );
    assert!(
        (13..=16).contains(&running.len()),
        "{} in 3 s at 200 ms\n{}",
        running.len(),
        outputs(&cluster)
    );
    let gaps = gaps(&running);
    assert!(
        gaps.iter().all(|g| *g >= 150 * MS && *g <= 300 * MS),
        "{gaps:?}"
    );
    // Only the loop was stopped: the other threads ran on.
    let stopped: Vec<_> = states.iter().filter(|(_, s)| *s == 't').collect();
    assert_eq!(stopped, [&(tid, 't')], "{states:?}");
    assert!(states.len() > 1, "{states:?}");
    assert_eq!(
        frozen,
        Vec::<Instant>::new(),
        "WATCHDOG=1 while the loop was frozen"
    );
    assert!(
        (12..=16).contains(&thawed.len()),
        "{} after the thaw",
        thawed.len()
    );
    assert!(thawed[0].duration_since(thawed_at) < 300 * MS);
}

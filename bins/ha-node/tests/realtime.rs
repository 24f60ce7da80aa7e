//! End to end: `realtime` and `rtprio` as heartbeat has them. With realtime
//! on, a node's membership thread is SCHED_FIFO at rtprio, its memory is
//! locked, and the resource scripts it runs (and what they fork) are
//! SCHED_OTHER; with realtime off nothing is realtime or locked; a node the
//! kernel refuses says so in one line per refusal and runs on. Read from
//! /proc; needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::sched::{
    add_probe_resource, append_ha_cf, fifo_threads, node_pid, probe_calls, threads, vm_lck_kb,
    MEMBERSHIP_THREAD, SCHED_FIFO,
};
use common::{cluster, outputs, start_both, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// A cluster whose nodes both have `lines` in ha.cf and the probe script
/// in their group; started and settled.
fn started(tag: &str, spec: ClusterSpec, lines: &str) -> TwoNodeCluster {
    let mut cluster = cluster(tag, spec);
    for node in Node::BOTH {
        append_ha_cf(&cluster, node, lines);
        add_probe_resource(&cluster, node);
    }
    start_both(&mut cluster);
    cluster
}

#[test]
fn realtime_on_rtprio_20_runs_the_membership_thread_fifo_20_memory_locked_scripts_sched_other() {
    let cluster = started(
        "hn-rt-on",
        ClusterSpec::fast(BINARY),
        "realtime on\nrtprio 20",
    );
    // A monitor or two of the probe, every 2 s.
    std::thread::sleep(Duration::from_millis(2500));
    for node in Node::BOTH {
        let pid = node_pid(&cluster, node).expect("the node's pid");
        let fifo = fifo_threads(pid);
        eprintln!("{}: pid {pid}, FIFO threads {fifo:?}", node.name());
        assert_eq!(fifo.len(), 1, "one FIFO thread: {:?}", threads(pid));
        assert_eq!(fifo[0].comm, MEMBERSHIP_THREAD);
        assert_eq!((fifo[0].policy, fifo[0].rt_priority), (SCHED_FIFO, 20));
        let locked = vm_lck_kb(pid).expect("VmLck");
        // VmLck counts reserved but untouched address space (malloc's
        // arenas) too; VmRSS says what is actually resident.
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap_or("");
        eprintln!("{}: VmLck {locked} kB, {rss}", node.name());
        assert!(locked > 0, "VmLck {locked} kB");
        let log = cluster.log(node);
        assert!(log.contains("realtime: memory locked (mlockall)"), "{log}");
        assert!(
            log.contains("realtime: the membership thread runs at SCHED_FIFO priority 20"),
            "{log}"
        );
        assert!(!log.contains("refused"), "{log}");
    }
    // node-a started its group (the probe with it) and monitored it; node-b
    // probed it (status), not holding it. Each call, and a child of each, ran at
    // SCHED_OTHER with no realtime priority.
    let calls_a = probe_calls(&cluster, Node::A);
    let calls_b = probe_calls(&cluster, Node::B);
    eprintln!("probe calls on node-a: {calls_a:?}\nprobe calls on node-b: {calls_b:?}");
    assert!(calls_a.iter().any(|(action, ..)| action == "start"));
    assert!(calls_a.iter().any(|(action, ..)| action == "status"));
    assert!(!calls_b.is_empty());
    for (action, script, child) in calls_a.iter().chain(&calls_b) {
        assert_eq!(
            *script,
            [0, 0],
            "{action}: the script's priority and policy"
        );
        assert_eq!(*child, [0, 0], "{action}: its child's priority and policy");
    }
}

#[test]
fn realtime_off_leaves_every_thread_sched_other_and_memory_unlocked() {
    let cluster = started("hn-rt-off", ClusterSpec::fast(BINARY), "realtime off");
    for node in Node::BOTH {
        let pid = node_pid(&cluster, node).expect("the node's pid");
        let all = threads(pid);
        assert!(!all.is_empty());
        assert!(
            all.iter().all(|t| t.policy == 0 && t.rt_priority == 0),
            "{all:?}"
        );
        assert!(all.iter().all(|t| t.comm != MEMBERSHIP_THREAD), "{all:?}");
        assert_eq!(vm_lck_kb(pid), Some(0));
        assert!(!cluster.log(node).contains("realtime:"));
    }
    // node-a's group, the probe with it, starts once the node has settled.
    let started = cluster.wait_until(Duration::from_secs(5), |c| {
        probe_calls(c, Node::A)
            .iter()
            .any(|(action, ..)| action == "start")
    });
    assert!(started.is_some(), "{:?}", probe_calls(&cluster, Node::A));
}

#[test]
fn a_node_the_kernel_refuses_realtime_says_why_in_one_line_each_and_runs_on() {
    // ha-node without CAP_SYS_NICE and CAP_IPC_LOCK (gone from the bounding
    // set, so root cannot regain them at exec), RLIMIT_RTPRIO 0 and
    // RLIMIT_MEMLOCK 64 kB.
    let wrapper = std::env::temp_dir().join(format!("ha-node-unprivileged-{}", std::process::id()));
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec setpriv --bounding-set=-sys_nice,-ipc_lock \
             --inh-caps=-sys_nice,-ipc_lock prlimit --rtprio=0 --memlock=65536 -- {BINARY} \"$@\"\n"
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    let cluster = started("hn-rt-no", ClusterSpec::fast(&wrapper), "");
    let _ = fs::remove_file(&wrapper);
    for node in Node::BOTH {
        let pid = node_pid(&cluster, node).expect("the node's pid");
        assert!(fifo_threads(pid).is_empty(), "{:?}", threads(pid));
        assert_eq!(vm_lck_kb(pid), Some(0));
        let log = cluster.log(node);
        let refusals: Vec<&str> = log.lines().filter(|l| l.contains("refused")).collect();
        eprintln!("{}:\n{}", node.name(), refusals.join("\n"));
        assert_eq!(refusals.len(), 2, "{log}");
        assert!(
            refusals[0].contains(
                "realtime: the kernel refused to lock the node's memory (mlockall): \
                 ENOMEM: Out of memory: the node's memory is more than RLIMIT_MEMLOCK (64 kB) \
                 allows without CAP_IPC_LOCK; running unlocked"
            ),
            "{log}"
        );
        assert!(
            refusals[1].contains(
                "realtime: the kernel refused SCHED_FIFO priority 50 for the membership \
                 thread: EPERM: Operation not permitted: it needs CAP_SYS_NICE or RLIMIT_RTPRIO of at \
                 least 50 (it is 0)"
            ),
            "{log}"
        );
    }
    // It ran on: the cluster settled (start_both) and the group started
    // (the probe, after the address, may still be starting).
    assert!(
        cluster
            .wait_until(Duration::from_secs(5), |c| {
                probe_calls(c, Node::A)
                    .iter()
                    .any(|(action, ..)| action == "start")
            })
            .is_some(),
        "{}",
        outputs(&cluster)
    );
}

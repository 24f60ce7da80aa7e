//! End to end: ha.cf's `respawn` programs run with a real node. One killed
//! with SIGKILL is started again; one that exits 100 is not; heartbeat's
//! ipfail is not run at all; the program's output is in the node's log
//! under its name; and when the node stops, its programs are gone. Needs
//! root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{cluster, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Appends lines to a node's ha.cf.
fn append_ha_cf(cluster: &TwoNodeCluster, node: Node, lines: &str) {
    let path = cluster.config_dir(node).join("ha.cf");
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(lines);
    fs::write(&path, text).unwrap();
}

fn pid_in(path: &Path) -> Option<i32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

/// Waits up to `timeout` for `check`.
fn wait_for(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if check() {
            return true;
        }
        std::thread::sleep(10 * MS);
    }
    check()
}

#[test]
fn respawned_programs_are_restarted_unless_they_exit_100_and_stop_with_the_node() {
    let mut cluster = cluster("hn-respawn", ClusterSpec::fast(BINARY));
    let dir = cluster.node_dir(Node::A);
    let pid_file = dir.join("worker.pid");
    let worker = dir.join("worker");
    let quitter_runs = dir.join("quitter.runs");
    let quitter = dir.join("quitter");
    script(
        &worker,
        &format!(
            "echo \"worker up as $(id -un)\"\necho $$ > {}\nexec sleep 1000",
            pid_file.display()
        ),
    );
    script(
        &quitter,
        &format!("echo run >> {}\nexit 100", quitter_runs.display()),
    );
    append_ha_cf(
        &cluster,
        Node::A,
        &format!(
            "respawn root {}\nrespawn root {}\nrespawn hacluster /usr/lib/heartbeat/ipfail\n\
             apiauth ipfail uid=hacluster\n",
            worker.display(),
            quitter.display()
        ),
    );
    cluster.start(Node::A).expect("start node-a");
    let out = |cluster: &TwoNodeCluster| cluster.output(Node::A);

    assert!(
        wait_for(Duration::from_secs(10), || pid_in(&pid_file).is_some()),
        "the worker never started\n{}",
        out(&cluster)
    );
    let first = pid_in(&pid_file).unwrap();
    assert!(alive(first));
    kill(Pid::from_raw(first), Signal::SIGKILL).unwrap();
    let killed = Instant::now();
    assert!(
        wait_for(Duration::from_secs(5), || pid_in(&pid_file)
            .is_some_and(|pid| pid != first && alive(pid))),
        "the killed worker was not restarted\n{}",
        out(&cluster)
    );
    let restarted_after = killed.elapsed();
    let second = pid_in(&pid_file).unwrap();
    eprintln!(
        "worker killed (pid {first}), restarted as pid {second} after {} ms \
         (a short run: heartbeat waits 1 s)",
        restarted_after.as_millis()
    );
    assert!(
        restarted_after >= 900 * MS,
        "{} ms",
        restarted_after.as_millis()
    );

    // The quitter exited 100 once and was left alone.
    std::thread::sleep(2000 * MS);
    assert_eq!(fs::read_to_string(&quitter_runs).unwrap(), "run\n");

    let log = cluster.log(Node::A);
    assert!(log.contains("worker: worker up as root"), "{log}");
    assert!(log.contains("which asks not to be restarted"), "{log}");
    assert!(
        log.contains("respawn /usr/lib/heartbeat/ipfail: not run; ha-node's built-in ipfail"),
        "{log}"
    );
    assert!(!log.contains("respawn ipfail: started"), "{log}");

    // Stopping the node stops the worker with its process group.
    let node = cluster.terminate(Node::A).unwrap().expect("node-a runs");
    node.wait_timeout(Duration::from_secs(15))
        .unwrap()
        .expect("node-a stops");
    assert!(!alive(second), "the worker outlived the node");
    let log = cluster.log(Node::A);
    assert!(log.contains("respawn worker: stopped"), "{log}");
}

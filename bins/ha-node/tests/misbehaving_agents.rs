//! Agents that misbehave, end to end: node-a's group is an address, a
//! `resource.d` service and a script that, on node-a only, writes garbage
//! (binary bytes, a long line, no final newline) and dies of SIGSEGV in
//! its start. node-a says which resource, which action and which signal,
//! stops what it had started, holds nothing, and node-b takes the group.
//! Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{cluster, holds_vip, outputs, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// A service keeping its state file in the node's directory.
const SERVICE: &str = r#"#!/bin/sh
dir="$(dirname "$0")/../.."
case "$1" in
  start) touch "$dir/svc.running"; echo "svc start" >> "$dir/events";;
  stop) rm -f "$dir/svc.running"; echo "svc stop" >> "$dir/events";;
  status) if [ -e "$dir/svc.running" ]; then echo running; else echo stopped; fi;;
esac
exit 0
"#;

/// Crashes in its start on node-a after writing garbage; fine elsewhere.
const CRASHY: &str = r#"#!/bin/sh
dir="$(dirname "$0")/../.."
echo "crashy $1" >> "$dir/events"
printf '\000\377\376garbage\033[0m\n'
head -c 10000 /dev/zero | tr '\000' z
case "$dir" in
  */node-a/*) if [ "$1" = start ]; then printf 'about to crash'; kill -SEGV $$; fi;;
esac
case "$1" in
  start) touch "$dir/crashy.running";;
  stop) rm -f "$dir/crashy.running";;
  status) if [ -e "$dir/crashy.running" ]; then echo running; else echo stopped; fi;;
esac
exit 0
"#;

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn events(cluster: &TwoNodeCluster, node: Node) -> String {
    fs::read_to_string(cluster.node_dir(node).join("events")).unwrap_or_default()
}

#[test]
fn a_start_killed_by_a_signal_is_named_rolled_back_and_the_peer_takes_the_group() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.haresources = "node-a IPaddr::10.77.0.100/24/eth0 svc crashy\n".into();
    let mut cluster = cluster("hn-misbehave", spec);
    for node in Node::BOTH {
        let dir = cluster.config_dir(node).join("resource.d");
        fs::create_dir_all(&dir).unwrap();
        executable(&dir.join("svc"), SERVICE);
        executable(&dir.join("crashy"), CRASHY);
    }
    let began = Instant::now();
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    let taken = cluster
        .wait_until(Duration::from_secs(20), |c| {
            holds_vip(c, Node::B)
                && c.node_dir(Node::B).join("svc.running").exists()
                && c.node_dir(Node::B).join("crashy.running").exists()
        })
        .unwrap_or_else(|| panic!("node-b never ran the group\n{}", outputs(&cluster)));
    eprintln!(
        "node-b ran the group {} ms after the nodes started",
        taken.duration_since(began).as_millis()
    );
    // And it stays that way: node-a holds nothing.
    std::thread::sleep(Duration::from_secs(2));
    assert!(!holds_vip(&cluster, Node::A), "{}", outputs(&cluster));
    let dir_a = cluster.node_dir(Node::A);
    assert!(
        !dir_a.join("svc.running").exists(),
        "svc left running on node-a"
    );
    assert!(!dir_a.join("crashy.running").exists());
    let events_a = events(&cluster, Node::A);
    let started: Vec<&str> = events_a
        .lines()
        .skip_while(|line| *line != "svc start")
        .collect();
    assert_eq!(
        started.get(..4),
        Some(&["svc start", "crashy start", "crashy stop", "svc stop"][..]),
        "node-a started svc, crashy died, both were stopped in reverse:\n{events_a}"
    );
    let output_a = cluster.output(Node::A);
    assert!(
        output_a.contains("crashy: start: killed by signal 11 (SIGSEGV)"),
        "the resource, the action and the signal are named:\n{output_a}"
    );
    assert!(!output_a.contains("panicked"), "{output_a}");
    assert!(cluster.is_running(Node::A), "node-a runs on");
}

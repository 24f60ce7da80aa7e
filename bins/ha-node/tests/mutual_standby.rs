//! Seed 003's mutual standby, end to end: two haresources lines, each
//! node preferred for its own group, auto_failback on —
//!
//! ```text
//! node-a IPaddr::10.77.0.100/24/eth0 httpd
//! node-b IPaddr::10.77.0.101/24/eth0 mysqld
//! ```
//!
//! (seed 003 has `admin1 IPaddr::192.168.18.222/24 Filesystem::… httpd`
//! and `admin2 IPaddr::192.168.18.220/24 Filesystem::… mysqld`; here two
//! addresses of the lab LAN, and `resource.d` scripts standing in for the
//! services. Filesystem mounts an NFS export the lab does not have, so it
//! is left out.)
//!
//! Each node runs its own group; kill -9 of either puts both groups on the
//! survivor; the node back takes its own group back. What runs where is
//! read from the scripts' own state files and from `ip addr` in each
//! node's namespace, not from ha-node's status. Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{cluster, outputs, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// A service standing in for httpd or mysqld: its state file and a line
/// per action in `events`, both in the node's directory (two levels above
/// `ha.d/resource.d`).
const SERVICE: &str = r#"#!/bin/sh
dir="$(dirname "$0")/../.."
name="$(basename "$0")"
case "$1" in
  start) touch "$dir/$name.running"; echo "$name start" >> "$dir/events"; exit 0;;
  stop) rm -f "$dir/$name.running"; echo "$name stop" >> "$dir/events"; exit 0;;
  status) if [ -e "$dir/$name.running" ]; then echo running; else echo stopped; fi; exit 0;;
esac
exit 1
"#;

/// A group of the mutual standby: its address and service.
#[derive(Debug, Clone, Copy)]
struct Group {
    address: &'static str,
    service: &'static str,
}

/// node-a's own group, as admin1's in seed 003.
const WEB: Group = Group {
    address: "10.77.0.100/24",
    service: "httpd",
};

/// node-b's own group, as admin2's in seed 003.
const DB: Group = Group {
    address: "10.77.0.101/24",
    service: "mysqld",
};

/// Whether `group` runs on `node`: its service's state file and its address
/// in the node's namespace.
fn runs(cluster: &TwoNodeCluster, node: Node, group: Group) -> bool {
    let state = cluster
        .node_dir(node)
        .join(format!("{}.running", group.service));
    let addresses = cluster
        .host(node)
        .ip(&["-4", "-o", "addr", "show", "dev", "eth0"])
        .unwrap_or_default();
    state.exists() && addresses.contains(&format!("inet {} ", group.address))
}

/// Whether nothing of `group` is on `node`.
fn absent(cluster: &TwoNodeCluster, node: Node, group: Group) -> bool {
    let state = cluster
        .node_dir(node)
        .join(format!("{}.running", group.service));
    let addresses = cluster
        .host(node)
        .ip(&["-4", "-o", "addr", "show", "dev", "eth0"])
        .unwrap_or_default();
    !state.exists() && !addresses.contains(&format!("inet {} ", group.address))
}

/// Each node runs its own group and nothing of the other's.
fn each_runs_its_own(c: &TwoNodeCluster) -> bool {
    runs(c, Node::A, WEB)
        && runs(c, Node::B, DB)
        && absent(c, Node::A, DB)
        && absent(c, Node::B, WEB)
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// kill -9 of `victim`: returns how long the survivor took to run both
/// groups; then the victim comes back and takes its own group back.
fn kill_and_return(cluster: &mut TwoNodeCluster, victim: Node) -> (Duration, Duration) {
    let survivor = victim.other();
    let killed = Instant::now();
    cluster.kill(victim).expect("kill -9");
    let both = cluster
        .wait_until(Duration::from_secs(10), |c| {
            runs(c, survivor, WEB) && runs(c, survivor, DB)
        })
        .unwrap_or_else(|| {
            panic!(
                "{} never ran both groups after kill -9 of {}\n{}",
                survivor.name(),
                victim.name(),
                outputs(cluster)
            )
        });
    let takeover = both.duration_since(killed);
    let restarted = Instant::now();
    cluster.start(victim).expect("restart");
    let back = cluster
        .wait_until(Duration::from_secs(20), each_runs_its_own)
        .unwrap_or_else(|| {
            panic!(
                "{} did not take its group back\n{}",
                victim.name(),
                outputs(cluster)
            )
        });
    (takeover, back.duration_since(restarted))
}

#[test]
fn each_node_runs_its_own_group_and_the_survivor_runs_both() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.haresources = format!(
        "node-a IPaddr::{}/eth0 {}\nnode-b IPaddr::{}/eth0 {}\n",
        WEB.address, WEB.service, DB.address, DB.service
    );
    let mut cluster = cluster("hn-mutual", spec);
    for node in Node::BOTH {
        let dir = cluster.config_dir(node).join("resource.d");
        fs::create_dir_all(&dir).unwrap();
        executable(&dir.join(WEB.service), SERVICE);
        executable(&dir.join(DB.service), SERVICE);
    }
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    cluster
        .wait_until(Duration::from_secs(15), each_runs_its_own)
        .unwrap_or_else(|| panic!("the groups did not settle\n{}", outputs(&cluster)));

    let (a_dead, a_back) = kill_and_return(&mut cluster, Node::A);
    let (b_dead, b_back) = kill_and_return(&mut cluster, Node::B);
    eprintln!(
        "mutual standby: after kill -9 of node-a node-b ran both groups in {} ms, \
         node-a took its own back {} ms after its restart; after kill -9 of node-b \
         node-a ran both in {} ms, node-b took its own back in {} ms",
        a_dead.as_millis(),
        a_back.as_millis(),
        b_dead.as_millis(),
        b_back.as_millis()
    );
    for taken in [a_dead, b_dead] {
        assert!(
            taken <= Duration::from_secs(3),
            "takeover took {taken:?} (deadtime 500 ms)"
        );
    }
    // The services' own records: each node's events, in order.
    let events =
        |node: Node| fs::read_to_string(cluster.node_dir(node).join("events")).unwrap_or_default();
    let (events_a, events_b) = (events(Node::A), events(Node::B));
    eprintln!("node-a events:\n{events_a}node-b events:\n{events_b}");
    // A node starting clears what a crash may have left (a stop of each
    // resource); then node-b starts mysqld first, runs httpd while node-a
    // is dead, hands httpd back; node-a likewise with mysqld.
    let first_start = |events: &str| {
        events
            .lines()
            .find(|line| line.ends_with(" start"))
            .map(str::to_string)
    };
    assert_eq!(
        first_start(&events_b).as_deref(),
        Some("mysqld start"),
        "{events_b}"
    );
    let httpd_on_b: Vec<&str> = events_b
        .lines()
        .filter(|l| l.starts_with("httpd"))
        .collect();
    assert!(
        httpd_on_b
            .windows(2)
            .any(|w| w == ["httpd start", "httpd stop"]),
        "node-b ran httpd and handed it back: {events_b}"
    );
    assert_eq!(
        first_start(&events_a).as_deref(),
        Some("httpd start"),
        "{events_a}"
    );
    let mysqld_on_a: Vec<&str> = events_a
        .lines()
        .filter(|l| l.starts_with("mysqld"))
        .collect();
    assert!(
        mysqld_on_a
            .windows(2)
            .any(|w| w == ["mysqld start", "mysqld stop"]),
        "node-a ran mysqld and handed it back: {events_a}"
    );
    assert!(each_runs_its_own(&cluster), "{}", outputs(&cluster));
}

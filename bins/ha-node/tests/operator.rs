//! End to end: heartbeat's operator commands against two real `ha-node`
//! processes in network namespaces — standby and takeover move the virtual
//! IP within a round trip while a client polls it, and cl_status answers
//! with heartbeat's texts and exit codes (tools/cl_status.c).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{cluster, outputs, owner_seen, start_both, state_seen, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// A command's stdout, stderr and exit code.
struct Ran {
    stdout: String,
    stderr: String,
    code: i32,
}

fn run(program: &Path, args: &[&str], socket: &Path) -> Ran {
    let output = Command::new(program)
        .args(args)
        .env("HA_NODE_SOCKET", socket)
        .output()
        .expect("run the command");
    Ran {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

/// `ha-node ARGS --socket SOCKET` against `node`.
fn ha_node(cluster: &TwoNodeCluster, node: Node, args: &[&str]) -> Ran {
    let socket = cluster.socket(node);
    let mut all: Vec<&str> = args.to_vec();
    all.push("--socket");
    let socket_text = socket.to_string_lossy().into_owned();
    all.push(&socket_text);
    run(Path::new(BINARY), &all, &socket)
}

/// Links named as heartbeat's tools, to the binary under test.
struct Links(PathBuf);

impl Links {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ha-node-links-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["cl_status", "hb_standby", "hb_takeover"] {
            std::os::unix::fs::symlink(BINARY, dir.join(name)).unwrap();
        }
        Links(dir)
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the hand-over and returns how long the client took to be served
/// by `to`, printing it.
fn move_vip(
    cluster: &TwoNodeCluster,
    watcher: &ha_lab::Watcher,
    what: &str,
    to: Node,
    hand_over: impl FnOnce() -> Ran,
) -> Duration {
    let asked = Instant::now();
    let ran = hand_over();
    assert_eq!(ran.code, 0, "{what}: {}{}", ran.stdout, ran.stderr);
    let served = watcher
        .wait_for_reply_after(asked, to.reply(), Duration::from_secs(3))
        .unwrap_or_else(|| {
            panic!(
                "{what}: never served by {}\n{}",
                to.name(),
                outputs(cluster)
            )
        });
    let took = served.duration_since(asked);
    eprintln!(
        "{what}: client served by {} after {} ms ({})",
        to.name(),
        took.as_millis(),
        ran.stdout.trim()
    );
    // deadtime is 500 ms: a hand-over waits for none of it.
    assert!(took <= 300 * MS, "{what} took {} ms", took.as_millis());
    took
}

#[test]
fn standby_and_takeover_move_the_vip_each_way_well_within_deadtime() {
    let mut cluster = cluster("hn-standby", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    let links = Links::new("standby");
    let watcher = cluster.watch_client(10 * MS).expect("client watcher");
    assert!(watcher
        .wait_for_reply("A", Duration::from_secs(2))
        .is_some());

    // node-a holds no foreign group: nothing moves.
    let ran = ha_node(&cluster, Node::A, &["standby", "foreign"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "Going standby [foreign]: to node-b: nothing to move\n"
    );

    move_vip(
        &cluster,
        &watcher,
        "ha-node standby on node-a",
        Node::B,
        || ha_node(&cluster, Node::A, &["standby"]),
    );
    // auto_failback is on and node-a is active: the standby holds.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(owner_seen(&cluster, Node::A).as_deref(), Some("node-b"));
    assert!(cluster.holds_vip(Node::B).unwrap());

    move_vip(&cluster, &watcher, "hb_standby on node-b", Node::A, || {
        run(&links.tool("hb_standby"), &[], &cluster.socket(Node::B))
    });
    move_vip(
        &cluster,
        &watcher,
        "ha-node takeover foreign on node-b",
        Node::B,
        || ha_node(&cluster, Node::B, &["takeover", "foreign"]),
    );
    move_vip(&cluster, &watcher, "hb_takeover on node-a", Node::A, || {
        run(
            &links.tool("hb_takeover"),
            &["all"],
            &cluster.socket(Node::A),
        )
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(owner_seen(&cluster, Node::B).as_deref(), Some("node-a"));

    let ran = run(
        &links.tool("hb_standby"),
        &["sideways"],
        &cluster.socket(Node::A),
    );
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout
            .ends_with("hb_standby: wrong resources(sideways).\nusage:\n"),
        "{}",
        ran.stdout
    );
    assert!(ran
        .stderr
        .ends_with("hb_standby [all|foreign|local|failback]\n"));
}

#[test]
fn standby_and_takeover_are_refused_when_the_peer_is_dead() {
    let mut cluster = cluster("hn-refuse", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    cluster.kill(Node::B).expect("kill node-b");
    let dead = cluster.wait_until(Duration::from_secs(3), |c| {
        state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
    });
    assert!(dead.is_some(), "{}", outputs(&cluster));
    let ran = ha_node(&cluster, Node::A, &["standby", "all"]);
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr,
        "ha-node: standby all: no peer is active to take the groups over (node-b is dead): refused\n"
    );
    let ran = ha_node(&cluster, Node::A, &["takeover"]);
    assert_eq!(ran.code, 1);
    assert!(ran
        .stderr
        .contains("no peer is active to hand the groups over"));
    assert!(cluster.holds_vip(Node::A).unwrap());
}

#[test]
fn cl_status_answers_with_heartbeats_texts_and_exit_codes() {
    let mut cluster = cluster("hn-clstatus", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    let links = Links::new("clstatus");
    let cl_status = links.tool("cl_status");
    let a = cluster.socket(Node::A);
    let b = cluster.socket(Node::B);
    let check = |socket: &Path, args: &[&str], stdout: &str, code: i32| {
        let ran = run(&cl_status, args, socket);
        assert_eq!(
            (ran.stdout.as_str(), ran.code),
            (stdout, code),
            "cl_status {args:?}: {}",
            ran.stderr
        );
        // The same through `ha-node cl_status`.
        let socket_text = socket.to_string_lossy().into_owned();
        let mut all = vec!["cl_status", "--socket", socket_text.as_str()];
        all.extend_from_slice(args);
        let ran = run(Path::new(BINARY), &all, socket);
        assert_eq!(
            (ran.stdout.as_str(), ran.code),
            (stdout, code),
            "ha-node cl_status {args:?}"
        );
    };
    check(
        &a,
        &["hbstatus"],
        "Heartbeat is running on this machine.\n",
        0,
    );
    check(&a, &["listnodes"], "node-b\nnode-a\n", 0);
    check(
        &b,
        &["listnodes", "-m"],
        "The nodes are as follow:\nnode-b\nnode-a\n",
        0,
    );
    check(&a, &["nodestatus", "node-b"], "active\n", 0);
    check(
        &b,
        &["nodestatus", "-m", "node-a"],
        "The cluster node node-a is active\n",
        0,
    );
    check(&a, &["nodetype", "node-b"], "normal\n", 0);
    check(
        &a,
        &["nodetype", "-m", "node-a"],
        "The node node-a's type: normal\n",
        0,
    );
    check(&a, &["listhblinks", "node-b"], "\teth0\n", 0);
    check(&a, &["listhblinks", "-v", "node-b"], "\teth0\tup\n", 0);
    check(&a, &["hblinkstatus", "node-b", "eth0"], "up\n", 0);
    check(
        &b,
        &["hblinkstatus", "-m", "node-a", "eth0"],
        "The node node-a's heartbeat link eth0 is up\n",
        0,
    );
    check(&a, &["rscstatus"], "local\n", 0);
    check(&b, &["rscstatus"], "none\n", 0);
    check(
        &a,
        &["rscstatus", "-m"],
        "This node is holding local resources.\n",
        0,
    );
    check(&a, &["clientstatus", "node-b", "ipfail"], "offline\n", 1);
    check(
        &a,
        &["hbstatus", "-v"],
        "version:\t3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)\nmanaged by:\t\"haresources\"\n\nnode-b\tactive\t(nodetype: normal)\n\teth0\tup\n\nnode-a\tactive\t(nodetype: normal)\n\teth0\tup\n",
        0,
    );
    // Parameter errors: 11, with heartbeat's messages.
    let ran = run(&cl_status, &["nodestatus"], &a);
    assert_eq!(
        (ran.stderr.as_str(), ran.code),
        ("Not enough parameters.\n", 11)
    );
    let ran = run(&cl_status, &["nodestatus", "node-z"], &a);
    assert_eq!(
        (ran.stderr.as_str(), ran.code),
        ("Error. May be due to incorrect node name\n", 11)
    );
    let ran = run(&cl_status, &["hblinkstatus", "node-b"], &a);
    assert_eq!(
        (ran.stderr.as_str(), ran.code),
        ("No enough parameter.\n", 11)
    );
    let ran = run(&cl_status, &["frob"], &a);
    assert_eq!(ran.code, 11);
    assert!(
        ran.stderr.ends_with(" ERROR: frob: invalid sub-command.\n"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains(" cl_status: ["), "{}", ran.stderr);

    // node-b gone: dead, its link dead; then node-a stopped.
    cluster.kill(Node::B).expect("kill node-b");
    let dead = cluster.wait_until(Duration::from_secs(3), |c| {
        state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
    });
    assert!(dead.is_some());
    check(&a, &["nodestatus", "node-b"], "dead\n", 1);
    check(&a, &["hblinkstatus", "node-b", "eth0"], "dead\n", 1);
    check(&a, &["rscstatus"], "local\n", 0);
    cluster.terminate(Node::A).expect("stop node-a");
    check(
        &a,
        &["hbstatus"],
        "Heartbeat is stopped on this machine.\n",
        1,
    );
    let ran = run(&cl_status, &["listnodes"], &a);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .contains(" ERROR: Cannot signon with heartbeat\n"),
        "{}",
        ran.stderr
    );
}

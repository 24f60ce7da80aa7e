//! End to end: two real `ha-node` processes in network namespaces keep a
//! virtual IP answering a client through crashes, shutdowns and restarts.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, owner_seen, served_by, start_both, state_seen, status, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

#[test]
fn both_nodes_see_each_other_active_and_the_preferred_node_owns_the_vip() {
    let mut cluster = cluster("hn-settle", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    assert_eq!(owner_seen(&cluster, Node::A).as_deref(), Some("node-a"));
    assert_eq!(owner_seen(&cluster, Node::B).as_deref(), Some("node-a"));
    assert!(!cluster.holds_vip(Node::B).expect("addresses of b"));
    assert!(served_by(&cluster, Node::A));
    let status = status(&cluster, Node::A).expect("status");
    assert_eq!(status["node"], "node-a");
    assert_eq!(status["media"][0]["link"], "up");
    assert_eq!(status["groups"][0]["local_state"], "running");
}

#[test]
fn kill_9_of_the_owner_fails_over_within_deadtime_plus_150ms() {
    let mut cluster = cluster("hn-kill", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    let watcher = cluster.watch_client(10 * MS).expect("client watcher");
    assert!(watcher
        .wait_for_reply("A", Duration::from_secs(2))
        .is_some());
    let killed = Instant::now();
    cluster.kill(Node::A).expect("kill -9 node-a");
    let served = watcher
        .wait_for_reply_after(killed, "B", Duration::from_secs(5))
        .expect("client never served by node-b");
    let elapsed = served.duration_since(killed);
    eprintln!(
        "kill -9 failover: client served by B after {} ms",
        elapsed.as_millis()
    );
    assert!(
        elapsed <= 650 * MS,
        "failover took {} ms (deadtime 500 ms + 150 ms)",
        elapsed.as_millis()
    );
    assert_eq!(
        state_seen(&cluster, Node::B, Node::A).as_deref(),
        Some("dead")
    );
}

#[test]
fn after_a_kill_9_the_survivor_counts_one_peer_dead_takeover_and_a_silence_past_deadtime() {
    let mut cluster = cluster("hn-hist", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    cluster.kill(Node::A).expect("kill -9 node-a");
    assert!(cluster
        .wait_until(Duration::from_secs(3), |c| served_by(c, Node::B))
        .is_some());
    let status = status(&cluster, Node::B).expect("status of node-b");
    let history = &status["history"];
    assert_eq!(history["deadtime_ms"], 500, "{history:#}");
    let takeovers = history["takeovers"].as_object().expect("takeovers");
    let total: u64 = takeovers.values().filter_map(|n| n.as_u64()).sum();
    assert_eq!(total, 1, "{history:#}");
    assert_eq!(takeovers["peer-dead"], 1, "{history:#}");
    let node_a = &history["peers"][0];
    assert_eq!(node_a["node"], "node-a");
    let silence = node_a["longest_silence_ms"].as_u64().expect("silence");
    assert!(silence >= 500, "longest silence {silence} ms\n{history:#}");
    assert!(node_a["margin_ms"].as_i64().expect("margin") <= 0);
    let link = &node_a["links"][0];
    assert!(link["received"].as_u64().expect("received") > 0);
    assert!(link["longest_silence_ms"].as_u64().expect("silence") >= 500);
    assert!(link["gaps"]["p50_ms"].as_f64().expect("p50") > 0.0);
    let takeover = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "takeover")
        .cloned()
        .expect("a takeover event");
    assert_eq!(takeover["cause"], "peer-dead");
    let output = std::process::Command::new(BINARY)
        .args(["status", "--socket"])
        .arg(cluster.socket(Node::B))
        .output()
        .expect("ha-node status");
    let text = String::from_utf8_lossy(&output.stdout);
    eprintln!("{text}");
    // The crm_mon-like summary first, the detail below it.
    for line in [
        "Cluster Summary:\n",
        "  * Current node: node-b (generation ",
        "\nNode List:\n  * Online: [ node-b ]\n  * OFFLINE: [ node-a ]\n",
        "\nActive Resources:\n  * Resource Group: IPaddr::10.77.0.100/24/eth0:\n    \
         * IPaddr::10.77.0.100/24/eth0:\t Started node-b\n",
        "\nnode node-b\n\nnodes:\n",
    ] {
        assert!(text.contains(line), "{line:?}\n{text}");
    }
    assert!(
        text.find("Cluster Summary:") < text.find("\nnode node-b\n"),
        "{text}"
    );
    assert!(text.contains("takeovers 1 (peer-dead 1)"), "{text}");
    assert!(text.contains("past deadtime"), "{text}");
}

fn restart_after_crash(auto_failback: &str) -> TwoNodeCluster {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.auto_failback = auto_failback.into();
    let mut cluster = cluster(&format!("hn-fb-{auto_failback}"), spec);
    start_both(&mut cluster);
    cluster.kill(Node::A).expect("kill node-a");
    // A crashed node leaves its address behind: the restarted node must
    // clear it rather than answer for a group it does not own.
    assert!(cluster.holds_vip(Node::A).expect("addresses of a"));
    assert!(cluster
        .wait_until(Duration::from_secs(3), |c| served_by(c, Node::B))
        .is_some());
    cluster.start(Node::A).expect("restart node-a");
    cluster
        .wait_until(Duration::from_secs(10), |c| {
            state_seen(c, Node::B, Node::A).as_deref() == Some("active")
        })
        .expect("node-b sees node-a back");
    cluster
}

#[test]
fn restart_with_auto_failback_on_brings_the_vip_back() {
    let cluster = restart_after_crash("on");
    let back = cluster.wait_until(Duration::from_secs(5), |c| {
        c.holds_vip(Node::A).unwrap_or(false) && served_by(c, Node::A)
    });
    assert!(
        back.is_some(),
        "VIP did not return\n{}",
        cluster.output(Node::B)
    );
    assert!(!cluster.holds_vip(Node::B).expect("addresses of b"));
}

#[test]
fn restart_with_auto_failback_off_leaves_the_vip_where_it_is() {
    let cluster = restart_after_crash("off");
    // Give a wrong failback ample time to happen.
    std::thread::sleep(Duration::from_secs(2));
    assert!(cluster.holds_vip(Node::B).expect("addresses of b"));
    assert!(!cluster.holds_vip(Node::A).expect("addresses of a"));
    assert!(served_by(&cluster, Node::B));
    assert_eq!(owner_seen(&cluster, Node::A).as_deref(), Some("node-b"));
}

#[test]
fn sigterm_of_the_owner_hands_over_within_100ms() {
    let mut cluster = cluster("hn-term", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    let watcher = cluster.watch_client(10 * MS).expect("client watcher");
    assert!(watcher
        .wait_for_reply("A", Duration::from_secs(2))
        .is_some());
    let terminated = Instant::now();
    let child = cluster
        .terminate(Node::A)
        .expect("SIGTERM node-a")
        .expect("node-a was running");
    let served = watcher
        .wait_for_reply_after(terminated, "B", Duration::from_secs(3))
        .expect("client never served by node-b");
    let elapsed = served.duration_since(terminated);
    eprintln!(
        "SIGTERM failover: client served by B after {} ms",
        elapsed.as_millis()
    );
    assert!(
        elapsed <= 100 * MS,
        "hand-over took {} ms",
        elapsed.as_millis()
    );
    let exit = child.wait_timeout(Duration::from_secs(5)).expect("wait");
    assert!(exit.is_some_and(|s| s.success()), "node-a exit: {exit:?}");
    assert!(
        !cluster.holds_vip(Node::A).expect("addresses of a"),
        "VIP left behind"
    );
}

#[test]
fn nodes_with_different_secrets_reject_each_other() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.authkeys = [
        "auth 1\n1 sha1 secret-of-a\n".into(),
        "auth 1\n1 sha1 secret-of-b\n".into(),
    ];
    let mut cluster = cluster("hn-keys", spec);
    cluster.start(Node::A).expect("start a");
    cluster.start(Node::B).expect("start b");
    // initdead is 2 s: both must then give up on the other.
    let both_dead = cluster.wait_until(Duration::from_secs(6), |c| {
        state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
            && state_seen(c, Node::B, Node::A).as_deref() == Some("dead")
    });
    assert!(both_dead.is_some());
    // Let a few seconds of heartbeats (10 per second) be rejected.
    std::thread::sleep(Duration::from_secs(3));
    for node in Node::BOTH {
        let log = cluster.log(node);
        let failures = log
            .lines()
            .filter(|l| l.contains("rejected a packet from 10.77.0."))
            .count();
        assert!(
            failures >= 1,
            "{} logged no authentication failure:\n{log}",
            node.name()
        );
        assert!(
            failures <= 2,
            "{} logged {failures} lines for ~50 bad packets (not rate-limited):\n{log}",
            node.name()
        );
        assert!(
            log.contains("authentication"),
            "the log line should say what failed:\n{log}"
        );
    }
}

#[test]
fn a_vip_removed_behind_the_nodes_back_is_restored_by_the_monitor() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.monitoring = Some("IPaddr::10.77.0.100/24/eth0 interval=2s timeout=5s\n".into());
    let mut cluster = cluster("hn-monitor", spec);
    start_both(&mut cluster);
    cluster
        .host(Node::A)
        .ip(&["addr", "del", "10.77.0.100/24", "dev", "eth0"])
        .expect("remove the VIP by hand");
    assert!(!cluster.holds_vip(Node::A).expect("addresses of a"));
    // Monitored every 2 s: restored in place, on the same node.
    let restored = cluster.wait_until(Duration::from_secs(4), |c| {
        c.holds_vip(Node::A).unwrap_or(false)
    });
    assert!(
        restored.is_some(),
        "VIP not restored\n{}",
        cluster.log(Node::A)
    );
    assert!(cluster.log(Node::A).contains("restarted in place"));
    assert!(!cluster.holds_vip(Node::B).expect("addresses of b"));
    assert_eq!(owner_seen(&cluster, Node::B).as_deref(), Some("node-a"));
}

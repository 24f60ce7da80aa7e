//! A dead process on a live host is noticed before deadtime: on `ucast`
//! at keepalive 100 ms / deadtime 2 s, node-a's process is killed (kill -9)
//! while its host (network namespace) stays up, so node-a's host answers
//! node-b's heartbeats with ICMP port unreachable; node-b confirms the
//! refusals and takes over in a fraction of deadtime, and says why. A
//! frozen process (SIGSTOP) keeps its port bound, so nothing is refused
//! and only deadtime declares it dead. Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, holds_vip, outputs, start_both, state_seen, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

const DEADTIME: Duration = Duration::from_secs(2);

/// Two nodes on ucast only, keepalive 100 ms, deadtime 2 s.
fn ucast_cluster(tag: &str) -> TwoNodeCluster {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = "100ms".into();
    spec.warntime = "1".into();
    spec.deadtime = "2".into();
    spec.initdead = "4".into();
    spec.media = [
        vec![format!("ucast eth0 {}", Node::B.address())],
        vec![format!("ucast eth0 {}", Node::A.address())],
    ];
    let mut cluster = cluster(tag, spec);
    start_both(&mut cluster);
    cluster
}

/// How long after `since` node-b saw node-a dead and held the virtual IP.
fn takeover_after(cluster: &TwoNodeCluster, since: Instant) -> Duration {
    let taken = cluster
        .wait_until(DEADTIME * 3, |c| {
            state_seen(c, Node::B, Node::A).as_deref() == Some("dead") && holds_vip(c, Node::B)
        })
        .unwrap_or_else(|| panic!("node-b never took over\n{}", outputs(cluster)));
    taken.duration_since(since)
}

#[test]
fn a_killed_process_on_a_live_host_is_taken_over_long_before_deadtime() {
    let mut cluster = ucast_cluster("hn-refused-kill");
    let killed = Instant::now();
    cluster.kill(Node::A).expect("kill node-a");
    let after = takeover_after(&cluster, killed);
    let log = cluster.log(Node::B);
    eprintln!(
        "ucast, keepalive 100 ms, deadtime {} ms: node-a killed (host up), node-b took over \
         after {} ms",
        DEADTIME.as_millis(),
        after.as_millis()
    );
    assert!(
        log.contains("node node-a: active -> dead (its port refused"),
        "node-b does not say why:\n{log}"
    );
    assert!(
        log.contains("process gone, host up"),
        "node-b does not say why:\n{log}"
    );
    assert!(
        after < DEADTIME / 2,
        "took {} ms, deadtime is {} ms\n{log}",
        after.as_millis(),
        DEADTIME.as_millis()
    );
}

#[test]
fn a_frozen_process_refuses_nothing_and_waits_for_deadtime() {
    let cluster = ucast_cluster("hn-refused-stop");
    // What node-b logged before (a refusal while node-a was starting is
    // no matter here) is left out.
    let before = cluster.log(Node::B).len();
    let frozen = Instant::now();
    cluster.freeze(Node::A).expect("freeze node-a");
    let after = takeover_after(&cluster, frozen);
    cluster.thaw(Node::A).expect("thaw node-a");
    let log = cluster
        .log(Node::B)
        .get(before..)
        .unwrap_or_default()
        .to_string();
    eprintln!(
        "ucast, keepalive 100 ms, deadtime {} ms: node-a frozen (SIGSTOP), node-b took over \
         after {} ms",
        DEADTIME.as_millis(),
        after.as_millis()
    );
    assert!(
        !log.contains("refused"),
        "a frozen process was taken for a dead one:\n{log}"
    );
    // node-a was last heard up to a keepalive before it froze.
    assert!(
        after >= DEADTIME - 100 * MS,
        "took over after only {} ms\n{log}",
        after.as_millis()
    );
}

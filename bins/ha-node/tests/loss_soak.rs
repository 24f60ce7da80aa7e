//! Two minutes of 20 % loss on each of two media at keepalive 10 ms /
//! deadtime 50 ms: not one false takeover, not one conflict. (The
//! benchmark runs the same soak for 10 minutes; `HA_SOAK_SECS` sets the
//! length here.)

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, holds_vip, outputs, start_both, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node};

/// How long the loss lasts unless `HA_SOAK_SECS` says otherwise.
const SOAK: Duration = Duration::from_secs(120);

#[test]
fn two_minutes_of_20_percent_loss_on_two_media_move_nothing() {
    let soak = std::env::var("HA_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(SOAK, Duration::from_secs);
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "50ms".into();
    let spec = spec.on_two_media();
    let mut cluster = cluster("hn-soak", spec);
    let _lan2 = cluster.connect_second_lan().expect("second LAN");
    start_both(&mut cluster);
    // Each packet into either node is dropped with probability 0.2, so
    // each medium loses 20 % of the heartbeats, independently.
    for node in [Node::A, Node::B] {
        cluster.host(node).drop_incoming(20).expect("20 % loss");
    }
    let began = Instant::now();
    let mut checks = 0u32;
    while began.elapsed() < soak {
        assert!(
            holds_vip(&cluster, Node::A) && !holds_vip(&cluster, Node::B),
            "the VIP moved after {:?}:\n{}",
            began.elapsed(),
            outputs(&cluster)
        );
        checks += 1;
        std::thread::sleep(250 * MS);
    }
    for node in [Node::A, Node::B] {
        cluster.host(node).clear_faults().expect("end the loss");
    }
    let (log_a, log_b) = (cluster.log(Node::A), cluster.log(Node::B));
    let late = log_a.matches("late heartbeat").count() + log_b.matches("late heartbeat").count();
    eprintln!(
        "{} s of 20 % loss on two media at 10/50 ms: {checks} checks of the VIP, \
         {late} late-heartbeat warnings, 0 takeovers",
        soak.as_secs()
    );
    for (name, log) in [("node-a", &log_a), ("node-b", &log_b)] {
        assert!(
            !log.contains("-> dead"),
            "{name} declared its peer dead:\n{log}"
        );
        assert!(!log.contains("conflict"), "{name} saw a conflict:\n{log}");
    }
    assert!(
        !log_b.contains("acquiring resource group"),
        "node-b took over:\n{log_b}"
    );
}

//! End to end: two nodes joined by a serial line (two PTYs and a relay at
//! 19200 baud) see each other and settle; with a serial line and bcast
//! together the cluster holds while either is cut, and fails over when both
//! are.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{
    both_stay_active, cluster, holds_vip, medium_link, outputs, start_both, state_seen, BINARY, MS,
};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::serial_line::SerialLine;

/// The line's rate: heartbeat's default.
const BAUD: u32 = 19200;

/// Timers a 19200-baud line carries for two nodes (check-config agrees).
const KEEPALIVE: Duration = Duration::from_millis(400);
const DEADTIME: Duration = Duration::from_millis(2000);

/// A cluster whose nodes use `line`, with `extra` media besides.
fn serial_cluster(tag: &str, line: &SerialLine, extra: &[&str]) -> TwoNodeCluster {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.keepalive = format!("{}ms", KEEPALIVE.as_millis());
    spec.warntime = "1".into();
    spec.deadtime = format!("{}ms", DEADTIME.as_millis());
    spec.initdead = "4".into();
    let media = |path: &str| {
        let mut media = vec![format!("baud {BAUD}"), format!("serial {path}")];
        media.extend(extra.iter().map(ToString::to_string));
        media
    };
    spec.media = [media(&line.paths()[0]), media(&line.paths()[1])];
    cluster(tag, spec)
}

/// Waits until node-a declares node-b dead; how long after `since`.
fn dead_after(cluster: &TwoNodeCluster, since: Instant) -> Duration {
    let dead = cluster
        .wait_until(DEADTIME * 3, |c| {
            state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
        })
        .unwrap_or_else(|| panic!("node-b never declared dead\n{}", outputs(cluster)));
    dead.duration_since(since)
}

#[test]
fn two_nodes_on_a_serial_line_settle_and_fail_over() {
    let line = SerialLine::new(BAUD).unwrap();
    let mut cluster = serial_cluster("hn-serial", &line, &[]);
    start_both(&mut cluster);
    let serial_a = format!("serial {}", line.paths()[0]);
    assert_eq!(
        medium_link(&cluster, Node::A, &serial_a).as_deref(),
        Some("up")
    );
    both_stay_active(&cluster, 4 * KEEPALIVE, 50 * MS, "on the serial line");

    // The cable pulled: node-a declares node-b dead and takes nothing from
    // it (it holds the VIP already); node-b takes the VIP over.
    let cut = Instant::now();
    line.cut();
    let elapsed = dead_after(&cluster, cut);
    eprintln!(
        "serial line at {BAUD} baud cut: node-b dead in node-a's view after {} ms \
         (deadtime {} ms)",
        elapsed.as_millis(),
        DEADTIME.as_millis()
    );
    assert!(elapsed >= DEADTIME - KEEPALIVE - 200 * MS, "{elapsed:?}");
    let took = cluster
        .wait_until(DEADTIME * 3, |c| holds_vip(c, Node::B))
        .unwrap_or_else(|| panic!("node-b never took the VIP\n{}", outputs(&cluster)));
    eprintln!(
        "node-b holds the VIP {} ms after the cut",
        took.duration_since(cut).as_millis()
    );

    // Plugged back: they see each other again.
    line.restore();
    let back = cluster.wait_until(DEADTIME * 4, |c| {
        state_seen(c, Node::A, Node::B).as_deref() == Some("active")
            && state_seen(c, Node::B, Node::A).as_deref() == Some("active")
    });
    assert!(
        back.is_some(),
        "not back after restore\n{}",
        outputs(&cluster)
    );
}

#[test]
fn serial_and_bcast_together_hold_while_either_is_cut() {
    let line = SerialLine::new(BAUD).unwrap();
    let mut cluster = serial_cluster("hn-serbc", &line, &["bcast eth0"]);
    let lan = cluster.lab().default_lan().expect("the LAN");
    start_both(&mut cluster);
    both_stay_active(&cluster, 4 * KEEPALIVE, 50 * MS, "both media");

    line.cut();
    both_stay_active(&cluster, 2 * DEADTIME, 50 * MS, "serial cut, bcast carries");
    line.restore();
    both_stay_active(&cluster, 2 * KEEPALIVE, 50 * MS, "serial restored");

    lan.port_down(cluster.host(Node::B), "eth0")
        .expect("eth0 of node-b down");
    both_stay_active(&cluster, 2 * DEADTIME, 50 * MS, "bcast cut, serial carries");

    let cut = Instant::now();
    line.cut();
    let elapsed = dead_after(&cluster, cut);
    eprintln!(
        "serial and bcast both cut: node-b dead in node-a's view after {} ms",
        elapsed.as_millis()
    );
    assert!(elapsed >= DEADTIME - KEEPALIVE - 200 * MS, "{elapsed:?}");
}

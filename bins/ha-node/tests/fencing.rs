//! Fencing before takeover with real nodes, as heartbeat does it: node-a
//! holds the address and is killed with SIGKILL; node-b declares it dead
//! after deadtime, runs ha.cf's `stonith_command` with node-a's name, and
//! takes the address over only once the command has succeeded. A command
//! that fails is run again every 5 s, the address staying down meanwhile.
//! The command is a script recording each call: when (wall clock), its
//! arguments, and whether node-b held the address at that moment. Needs
//! root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{cluster, holds_vip, outputs, start_both, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// Records `TIME VIP-HELD ARGS` per call; fails (exit 1) the first
/// `failures` calls.
fn fence_script(record: &Path, failures: u32) -> String {
    format!(
        r#"#!/bin/sh
calls="{calls}"
held=$(ip -4 -o addr show | grep -c ' 10\.77\.0\.100/')
echo "$(date +%s.%N) $held $*" >> "$calls"
n=$(wc -l < "$calls")
if [ "$n" -le {failures} ]; then echo "device busy" >&2; exit 1; fi
exit 0
"#,
        calls = record.join("calls").display()
    )
}

/// One recorded call.
#[derive(Debug)]
struct Call {
    at: f64,
    vip_held: bool,
    args: String,
}

fn calls(record: &Path) -> Vec<Call> {
    fs::read_to_string(record.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let mut words = line.splitn(3, ' ');
            Call {
                at: words.next().unwrap().parse().unwrap(),
                vip_held: words.next().unwrap() != "0",
                args: words.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A cluster whose nodes fence with a recording script failing `failures`
/// times; returns it with the record directory.
fn fencing_cluster(tag: &str, failures: u32) -> (TwoNodeCluster, PathBuf) {
    let record = std::env::temp_dir().join(format!("ha-node-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&record);
    fs::create_dir_all(&record).unwrap();
    let script = record.join("fence");
    fs::write(&script, fence_script(&record, failures)).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let mut spec = ClusterSpec::fast(BINARY);
    spec.extra_ha_cf = vec![format!("stonith_command {} --reset", script.display())];
    let mut cluster = cluster(tag, spec);
    start_both(&mut cluster);
    (cluster, record)
}

/// Kills node-a; returns when (wall clock) node-b was first seen holding
/// the address, having checked meanwhile that it never held it before the
/// fence succeeded.
fn kill_and_wait_takeover(cluster: &mut TwoNodeCluster, limit: Duration) -> (f64, f64) {
    let killed = unix_now();
    cluster.kill(Node::A).expect("kill -9 node-a");
    cluster
        .wait_until(limit, |c| holds_vip(c, Node::B))
        .unwrap_or_else(|| panic!("node-b never took over\n{}", outputs(cluster)));
    (killed, unix_now())
}

#[test]
fn a_killed_owner_is_fenced_once_before_its_address_is_taken_over() {
    let (mut cluster, record) = fencing_cluster("hn-fence", 0);
    let (killed, taken) = kill_and_wait_takeover(&mut cluster, Duration::from_secs(10));
    // Nothing more is asked once the fence has succeeded.
    std::thread::sleep(Duration::from_secs(1));
    let calls = calls(&record);
    assert_eq!(calls.len(), 1, "{calls:?}\n{}", outputs(&cluster));
    let call = &calls[0];
    assert_eq!(call.args, "--reset node-a");
    assert!(!call.vip_held, "node-b held the address before the fence");
    assert!(call.at < taken);
    let log_b = cluster.log(Node::B);
    assert!(log_b.contains("Resetting node node-a with ["), "{log_b}");
    assert!(log_b.contains("node node-a now reset."), "{log_b}");
    let reset_at = log_b.find("node node-a now reset.").unwrap();
    let acquire_at = log_b
        .find("acquiring resource group IPaddr::10.77.0.100/24/eth0 (peer-dead)")
        .unwrap_or_else(|| panic!("no takeover in the log:\n{log_b}"));
    assert!(
        reset_at < acquire_at,
        "the takeover was logged before the reset"
    );
    eprintln!(
        "fence called {} ms after the kill; node-b seen holding the address {} ms after the kill \
         ({} ms after the fence call)",
        ((call.at - killed) * 1000.0) as i64,
        ((taken - killed) * 1000.0) as i64,
        ((taken - call.at) * 1000.0) as i64
    );
    for line in log_b.lines().filter(|l| {
        ["STONITH", "Resetting", "reset", "acquiring"]
            .iter()
            .any(|w| l.contains(w))
    }) {
        eprintln!("node-b: {line}");
    }
    let _ = fs::remove_dir_all(&record);
}

#[test]
fn a_failing_fence_is_retried_every_5_s_and_holds_the_takeover_until_it_succeeds() {
    let (mut cluster, record) = fencing_cluster("hn-fencefail", 2);
    let (killed, taken) = kill_and_wait_takeover(&mut cluster, Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(1));
    let calls = calls(&record);
    assert_eq!(calls.len(), 3, "{calls:?}\n{}", outputs(&cluster));
    for call in &calls {
        assert_eq!(call.args, "--reset node-a");
        assert!(
            !call.vip_held,
            "node-b held the address while fencing: {calls:?}"
        );
    }
    let gaps: Vec<f64> = calls.windows(2).map(|w| w[1].at - w[0].at).collect();
    for gap in &gaps {
        assert!(
            (4.9..6.0).contains(gap),
            "retries should be 5 s apart: {gaps:?}"
        );
    }
    assert!(taken > calls[2].at, "taken over before the last fence");
    let log_b = cluster.log(Node::B);
    assert_eq!(
        log_b
            .matches("STONITH of node-a failed.  Retrying...")
            .count(),
        2,
        "{log_b}"
    );
    assert!(
        log_b.contains("error: STONITH of node-a failed."),
        "failures at error level:\n{log_b}"
    );
    eprintln!(
        "fence calls at {:?} ms after the kill (gaps {:?} ms); node-b seen holding the address \
         {} ms after the kill, {} ms after the successful call",
        calls
            .iter()
            .map(|c| ((c.at - killed) * 1000.0) as i64)
            .collect::<Vec<_>>(),
        gaps.iter().map(|g| (g * 1000.0) as i64).collect::<Vec<_>>(),
        ((taken - killed) * 1000.0) as i64,
        ((taken - calls[2].at) * 1000.0) as i64
    );
    for line in log_b.lines().filter(|l| {
        ["STONITH", "Resetting", "reset", "acquiring"]
            .iter()
            .any(|w| l.contains(w))
    }) {
        eprintln!("node-b: {line}");
    }
    let _ = fs::remove_dir_all(&record);
}

/// cluster-glue's own `stonith` command, with its `null` device (which
/// "resets" the hosts of its list and does nothing): heartbeat's
/// `stonith_host` line runs unchanged. Our own recording plugin cannot be
/// used: cluster-glue looks for external plugins in its fixed directory
/// under /usr only.
#[test]
fn heartbeats_stonith_host_line_runs_cluster_glues_stonith() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.extra_ha_cf = vec!["stonith_host * null node-a node-b".to_string()];
    let mut cluster = cluster("hn-stonith", spec);
    start_both(&mut cluster);
    let (killed, taken) = kill_and_wait_takeover(&mut cluster, Duration::from_secs(10));
    let log_b = cluster.log(Node::B);
    let reset = log_b
        .find("Resetting node node-a with [null]")
        .unwrap_or_else(|| panic!("no reset:\n{log_b}"));
    let done = log_b
        .find("node node-a now reset.")
        .unwrap_or_else(|| panic!("no reset done:\n{log_b}"));
    let acquire = log_b
        .find("acquiring resource group IPaddr::10.77.0.100/24/eth0 (peer-dead)")
        .unwrap_or_else(|| panic!("no takeover:\n{log_b}"));
    assert!(reset < done && done < acquire, "{log_b}");
    eprintln!(
        "with cluster-glue's stonith (null device): node-b held the address {} ms after the kill",
        ((taken - killed) * 1000.0) as i64
    );
}

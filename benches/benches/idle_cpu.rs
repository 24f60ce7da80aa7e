//! Where an idle node's CPU goes, thread by thread: a two-node `ha-node`
//! cluster at keepalive 10 ms / deadtime 40 ms on bcast (the lab's
//! reference topology, as `versus_keepalived`'s `idle/ha-node-10-40`),
//! settled with node-a owning the group, measured over
//! `HA_BENCH_IDLE_SECS` (default 10) from /proc: each thread's time on a
//! CPU (`schedstat`) and its context switches, per node and in total, as
//! percent of one core and per second. With keepalived installed
//! (`KEEPALIVED_BIN` or `/usr/sbin/keepalived`) the same figures follow for
//! keepalived at `advert_int 0.01`; `HA_BENCH_KEEPALIVED=0` skips it.
//! `HA_BENCH_ROUNDS` (default 1) repeats the ha-node measurement in the
//! same bed and prints the mean. To tell a change from the noise of a busy
//! machine, `HA_NODE_BIN_COMPARE` names a second `ha-node` binary (say,
//! one built before the change): its cluster runs beside the first and is
//! measured in the same windows.
//!
//! ```text
//! cargo bench -p ha-benches --bench idle_cpu
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};

use common::{node_binary, PATIENCE};

/// Default length of one measurement, in seconds.
const DEFAULT_IDLE_SECS: u64 = 10;

/// One thread's counters so far: time on a CPU and context switches.
#[derive(Clone, Copy, Default)]
struct Counters {
    on_cpu: Duration,
    voluntary: u64,
    involuntary: u64,
}

/// Every live thread of the processes in process group `pgid`, by
/// `PID/comm/TID`.
fn threads(pgid: u32) -> BTreeMap<String, Counters> {
    let mut found: BTreeMap<String, Counters> = BTreeMap::new();
    for process in fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let name = process.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(process.path().join("stat")) else {
            continue;
        };
        let pgrp = stat
            .rfind(')')
            .and_then(|close| stat[close + 1..].split_whitespace().nth(2))
            .and_then(|f| f.parse::<u32>().ok());
        if pgrp != Some(pgid) {
            continue;
        }
        let Ok(tasks) = fs::read_dir(process.path().join("task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            if let Some((comm, counters)) = thread(&task.path()) {
                let tid = task.file_name().to_string_lossy().into_owned();
                found.insert(format!("{pid}/{comm}/{tid}"), counters);
            }
        }
    }
    found
}

/// One thread's name and counters, from `/proc/PID/task/TID`.
fn thread(task: &Path) -> Option<(String, Counters)> {
    let comm = fs::read_to_string(task.join("comm")).ok()?;
    let schedstat = fs::read_to_string(task.join("schedstat")).ok()?;
    let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    let status = fs::read_to_string(task.join("status")).ok()?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    Some((
        comm.trim().to_string(),
        Counters {
            on_cpu: Duration::from_nanos(nanos),
            voluntary: field("voluntary_ctxt_switches:"),
            involuntary: field("nonvoluntary_ctxt_switches:"),
        },
    ))
}

/// Measures the threads of each bed's two nodes over the same `secs` and
/// prints them; returns each bed's nodes' totals in % of one core.
fn measure(beds: &[(String, [u32; 2])], secs: u64) -> Vec<[f64; 2]> {
    let before: Vec<_> = beds.iter().map(|(_, pids)| pids.map(threads)).collect();
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let after: Vec<_> = beds.iter().map(|(_, pids)| pids.map(threads)).collect();
    let wall = began.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for (bed, (label, _)) in beds.iter().enumerate() {
        let mut totals = [0.0; 2];
        for (i, node) in ["node-a", "node-b"].iter().enumerate() {
            let mut lines = Vec::new();
            for (name, end) in &after[bed][i] {
                let start = before[bed][i].get(name).copied().unwrap_or_default();
                let cpu = end.on_cpu.saturating_sub(start.on_cpu).as_secs_f64() * 100.0 / wall;
                let vol = end.voluntary.saturating_sub(start.voluntary) as f64 / wall;
                let invol = end.involuntary.saturating_sub(start.involuntary) as f64 / wall;
                totals[i] += cpu;
                lines.push(format!(
                    "    {name:<28} {cpu:>6.3} %  {vol:>7.0} vol/s  {invol:>5.0} invol/s"
                ));
            }
            println!("{label} {node}: {:.3} % of one core", totals[i]);
            for line in lines {
                println!("{line}");
            }
        }
        all.push(totals);
    }
    all
}

/// Seconds (or a count) from environment variable `name`, or `default`.
fn from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A settled cluster of `binary` at 10/30/40 ms, node-a owning the group.
fn cluster(binary: PathBuf) -> TwoNodeCluster {
    let mut spec = ClusterSpec::fast(binary);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "40ms".into();
    let mut cluster = TwoNodeCluster::new("idle-cpu", spec)
        .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
    cluster.start(Node::B).unwrap();
    cluster.start(Node::A).unwrap();
    if cluster
        .wait_until(PATIENCE, |c| c.is_settled(Node::A))
        .is_none()
    {
        panic!("the cluster did not settle: {}", cluster.log(Node::B));
    }
    cluster
}

/// Measures `ha-node` (and, side by side in the same windows, the binary
/// `HA_NODE_BIN_COMPARE` names, if set) for `rounds` windows of `secs`.
fn ha_node(secs: u64, rounds: u64) {
    let mut binaries = vec![("ha-node-10-40".to_string(), node_binary())];
    if let Some(other) = std::env::var_os("HA_NODE_BIN_COMPARE") {
        binaries.push(("compared-10-40".to_string(), PathBuf::from(other)));
    }
    let clusters: Vec<_> = binaries
        .iter()
        .map(|(label, binary)| (label.clone(), cluster(binary.clone())))
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let beds: Vec<_> = clusters
        .iter()
        .map(|(label, c)| {
            let pids = [Node::A, Node::B].map(|n| c.pid(n).expect("running"));
            (label.clone(), pids)
        })
        .collect();
    let mut sums = vec![[0.0; 2]; beds.len()];
    for round in 1..=rounds {
        println!("round {round}");
        for (sum, [a, b]) in sums.iter_mut().zip(measure(&beds, secs)) {
            sum[0] += a;
            sum[1] += b;
        }
    }
    for ((label, _), [a, b]) in beds.iter().zip(sums) {
        let n = rounds as f64;
        println!(
            "idle/{label}: node-a {:.2} %, node-b {:.2} % over {rounds} x {secs} s",
            a / n,
            b / n
        );
    }
    for (label, c) in &clusters {
        if !c.is_settled(Node::A) {
            panic!("{label}: the cluster moved while idle: {}", c.log(Node::B));
        }
    }
}

fn keepalived(secs: u64) {
    let spec = KeepalivedSpec::new("0.01");
    if !spec.is_installed() {
        println!("keepalived is not installed: its line is skipped");
        return;
    }
    let mut pair = KeepalivedPair::new("idle-cpu", spec)
        .unwrap_or_else(|e| panic!("cannot build the keepalived lab: {e}"));
    pair.start(Node::B).unwrap();
    pair.start(Node::A).unwrap();
    if pair
        .wait_until(PATIENCE, |k| k.is_settled(Node::A))
        .is_none()
    {
        panic!("keepalived did not settle");
    }
    std::thread::sleep(Duration::from_secs(1));
    let pids = [Node::A, Node::B].map(|n| pair.pid(n).expect("running"));
    let beds = [("keepalived-0.01".to_string(), pids)];
    let [a, b] = measure(&beds, secs)[0];
    println!("idle/keepalived-0.01: node-a {a:.2} %, node-b {b:.2} % over {secs} s");
}

fn main() {
    // `cargo test --benches` runs this with no `--bench`: nothing to do.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs = from_env("HA_BENCH_IDLE_SECS", DEFAULT_IDLE_SECS);
    ha_node(secs, from_env("HA_BENCH_ROUNDS", 1).max(1));
    if from_env("HA_BENCH_KEEPALIVED", 1) != 0 {
        keepalived(secs);
    }
}

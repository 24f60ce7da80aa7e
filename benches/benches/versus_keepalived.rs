//! `ha-node` side by side with keepalived 2.2.7 in the same lab, in one run.
//!
//! Both peers run in the same bed (ha-lab's reference topology: node-a,
//! node-b and a client on one LAN, a virtual IP preferring node-a, "who am
//! I" responders on TCP 8080) with the same client probing the virtual IP
//! every 5 ms. keepalived runs as VRRPv3, MASTER priority 150 on node-a and
//! BACKUP priority 100 on node-b ([`KeepalivedPair`]).
//!
//! 1. Crash failover, criterion timings, one failover per sample: the time
//!    from the fault on node-a to the client's first reply from node-b.
//!    Faults: `kill-9` (the daemon's process; keepalived's whole process
//!    group, its VRRP process included) and `link-down` (host death: node-a's
//!    `eth0` is taken down inside its namespace, the daemon left running).
//!    Lines: `failover/ha-node-10-40/…`, `ha-node-20-80`, `ha-node-100-500`
//!    (keepalive/deadtime in ms, on bcast), the same on ucast
//!    (`ha-node-ucast-10-40`…: a killed process whose host lives is
//!    noticed by its port's refusals, before deadtime) and `failover/keepalived-0.01/…`,
//!    `keepalived-0.05`, `keepalived-0.1` (advert_int in s).
//! 2. Idle CPU of each node (all its processes and threads), as percent of
//!    one core, from /proc over `HA_BENCH_IDLE_SECS` (default 10; per
//!    thread `schedstat`, the precise form of utime+stime): ha-node at
//!    10/40 ms against keepalived at 0.01 s, the client not probing.
//! 3. False takeovers per hour, each line soaking for `HA_BENCH_SOAK_SECS`
//!    (default 60; `HA_BENCH_SOAK_SECS=600` for the 10-minute figures):
//!    20 % random loss into both nodes (nftables), ha-node at 10/50 ms on two
//!    media against keepalived at 0.05 on its single medium; and CPU
//!    starvation (2 × CPUs busy loops at the normal priority), ha-node at
//!    10/40 against keepalived at 0.01. A takeover is node-b declaring node-a
//!    dead or acquiring the group (ha-node's log), or entering MASTER state
//!    (keepalived's).
//!
//! Criterion times the failovers; the CPU and takeover figures are measured
//! in the same run afterwards (only under `cargo bench`, not in test mode)
//! and printed, with the failovers' median and maximum, in a summary table
//! at the end, also written to `target/criterion/versus-keepalived.txt`.
//! `HA_BENCH_IDLE_SECS=0` or `HA_BENCH_SOAK_SECS=0` skips those parts.
//!
//! keepalived is taken from `KEEPALIVED_BIN` or `/usr/sbin/keepalived`;
//! when it is missing its lines are skipped with a message. The `ha-node`
//! binary is built as for the `failover` bench (`HA_NODE_BIN` names
//! another). Needs root, iproute2 and nftables.
//!
//! ```text
//! cargo bench -p ha-benches --bench versus_keepalived
//! HA_BENCH_SOAK_SECS=600 cargo bench -p ha-benches --bench versus_keepalived
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::cpu::{cpu_count, group_cpu_time};
use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};
use ha_lab::{BusyLoops, Watcher};

use common::{
    min_median_max_ms, node_binary, one_failover_per_sample, random_phase, CLIENT_PERIOD,
    CLIENT_TIMEOUT, PATIENCE,
};

/// ha-node's timer settings for the failover lines: keepalive, warntime,
/// deadtime (ha.cf syntax).
const HA_NODE_TIMERS: [[&str; 3]; 3] = [
    ["10ms", "30ms", "40ms"],
    ["20ms", "60ms", "80ms"],
    ["100ms", "300ms", "500ms"],
];

/// keepalived's `advert_int` for the failover lines.
const KEEPALIVED_ADVERTS: [&str; 3] = ["0.01", "0.05", "0.1"];

/// Default length of each soak, in seconds.
const DEFAULT_SOAK_SECS: u64 = 60;

/// Default length of the idle CPU measurement, in seconds.
const DEFAULT_IDLE_SECS: u64 = 10;

/// The loss of the loss soaks, percent of packets into each node.
const LOSS_PERCENT: u8 = 20;

/// How the owner is taken down.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `kill -9` of the daemon.
    Kill,
    /// node-a's `eth0` taken down inside its namespace.
    LinkDown,
}

impl Fault {
    const BOTH: [Fault; 2] = [Fault::Kill, Fault::LinkDown];

    fn name(self) -> &'static str {
        match self {
            Fault::Kill => "kill-9",
            Fault::LinkDown => "link-down",
        }
    }
}

/// One peer's two-node bed: either ha-node's cluster or keepalived's pair.
enum Pair {
    HaNode(Box<TwoNodeCluster>),
    Keepalived(Box<KeepalivedPair>),
}

impl Pair {
    /// ha-node at these timers, on bcast, or on ucast (where a killed
    /// process on a live host is noticed by its port's refusals).
    fn ha_node(binary: &Path, [keepalive, warntime, deadtime]: [&str; 3], ucast: bool) -> Pair {
        let mut spec = ClusterSpec::fast(binary);
        if ucast {
            spec.media = [
                vec![format!("ucast eth0 {}", Node::B.address())],
                vec![format!("ucast eth0 {}", Node::A.address())],
            ];
        }
        spec.keepalive = keepalive.into();
        spec.warntime = warntime.into();
        spec.deadtime = deadtime.into();
        let cluster = TwoNodeCluster::new("vs-ka", spec)
            .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
        Pair::HaNode(Box::new(cluster))
    }

    fn keepalived(advert_int: &str) -> Pair {
        let pair = KeepalivedPair::new("vs-ka", KeepalivedSpec::new(advert_int))
            .unwrap_or_else(|e| panic!("cannot build the keepalived lab: {e}"));
        Pair::Keepalived(Box::new(pair))
    }

    fn host(&self, node: Node) -> &ha_lab::Host {
        match self {
            Pair::HaNode(c) => c.host(node),
            Pair::Keepalived(k) => k.host(node),
        }
    }

    fn watch_client(&self) -> Watcher {
        let (client, vip) = match self {
            Pair::HaNode(c) => (c.client(), c.vip()),
            Pair::Keepalived(k) => (k.client(), k.vip()),
        };
        client
            .watch_tcp_with_timeout(vip, CLIENT_PERIOD, CLIENT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot start the client: {e}"))
    }

    fn is_running(&self, node: Node) -> bool {
        match self {
            Pair::HaNode(c) => c.is_running(node),
            Pair::Keepalived(k) => k.is_running(node),
        }
    }

    fn start(&mut self, node: Node) {
        let started = match self {
            Pair::HaNode(c) => c.start(node),
            Pair::Keepalived(k) => k.start(node),
        };
        started.unwrap_or_else(|e| panic!("cannot start {}: {e}", node.name()));
    }

    fn kill(&mut self, node: Node) {
        let killed = match self {
            Pair::HaNode(c) => c.kill(node),
            Pair::Keepalived(k) => k.kill(node),
        };
        killed.unwrap_or_else(|e| panic!("cannot kill {}: {e}", node.name()));
    }

    fn pid(&self, node: Node) -> u32 {
        let pid = match self {
            Pair::HaNode(c) => c.pid(node),
            Pair::Keepalived(k) => k.pid(node),
        };
        pid.unwrap_or_else(|| self.fail(&format!("{} is not running", node.name())))
    }

    fn is_settled(&self) -> bool {
        match self {
            Pair::HaNode(c) => c.is_settled(Node::A),
            Pair::Keepalived(k) => k.is_settled(Node::A),
        }
    }

    /// How many takeovers node-b has logged so far: for ha-node the larger
    /// of its "node-a … -> dead" and "acquiring resource group" counts (one
    /// takeover writes one of each), for keepalived its MASTER entries.
    fn takeovers_by_b(&self) -> usize {
        match self {
            Pair::HaNode(c) => {
                let log = c.log(Node::B);
                let dead = log
                    .lines()
                    .filter(|l| l.contains("node node-a:") && l.contains("-> dead"))
                    .count();
                dead.max(log.matches("acquiring resource group").count())
            }
            Pair::Keepalived(k) => k.master_entries(Node::B),
        }
    }

    /// Starts whatever is down (node-b first, so node-a comes back as the
    /// preferred owner) and waits until both run, only node-a holds the
    /// virtual IP and `client` is served by A.
    fn settle(&mut self, client: &Watcher) {
        for node in [Node::B, Node::A] {
            if !self.is_running(node) {
                self.start(node);
            }
        }
        let settled = match self {
            Pair::HaNode(c) => c.wait_until(PATIENCE, |c| c.is_settled(Node::A)),
            Pair::Keepalived(k) => k.wait_until(PATIENCE, |k| k.is_settled(Node::A)),
        };
        let served = settled.and_then(|t| client.wait_for_reply_after(t, "A", PATIENCE));
        if served.is_none() {
            self.fail("the pair did not settle with node-a serving");
        }
    }

    /// Waits a little longer than the detection time so the backup has heard
    /// the master for a while (keepalived has no status to ask).
    fn steady(&self, extra: Duration) {
        std::thread::sleep(extra);
        if !self.is_settled() {
            self.fail("the pair did not stay settled");
        }
    }

    /// Takes node-a down with `fault`.
    fn fault(&mut self, fault: Fault) {
        match fault {
            Fault::Kill => self.kill(Node::A),
            Fault::LinkDown => self
                .host(Node::A)
                .link_down("eth0")
                .unwrap_or_else(|e| panic!("link down: {e}")),
        }
    }

    /// Undoes a fault's lasting damage: a node whose link went down is
    /// stopped (it would fight over the address) and its link brought back.
    fn recover(&mut self, fault: Fault) {
        if let Fault::LinkDown = fault {
            self.kill(Node::A);
            let host = self.host(Node::A);
            host.link_up("eth0")
                .and_then(|()| host.wait_link_up("eth0", PATIENCE))
                .unwrap_or_else(|e| panic!("link up: {e}"));
        }
    }

    fn outputs(&self) -> String {
        let output = |node| match self {
            Pair::HaNode(c) => c.output(node) + &c.log(node),
            Pair::Keepalived(k) => k.output(node),
        };
        format!(
            "--- node-a ---\n{}\n--- node-b ---\n{}",
            output(Node::A),
            output(Node::B)
        )
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\n{}", self.outputs())
    }
}

/// How to build a line's pair.
type Build<'a> = Box<dyn Fn() -> Pair + 'a>;

/// A pair with its client, for the failovers of one line.
struct Bed {
    pair: Pair,
    client: Watcher,
    /// How long after settling the pair is left alone before a fault.
    quiet: Duration,
}

impl Bed {
    fn new(pair: Pair, quiet: Duration) -> Bed {
        let client = pair.watch_client();
        Bed {
            pair,
            client,
            quiet,
        }
    }

    /// One failover: settle, fault, time until the client is served by B,
    /// undo the fault.
    fn failover(&mut self, fault: Fault) -> Duration {
        self.pair.settle(&self.client);
        self.pair.steady(self.quiet);
        std::thread::sleep(random_phase());
        let start = Instant::now();
        self.pair.fault(fault);
        let Some(served) = self.client.wait_for_reply_after(start, "B", PATIENCE) else {
            self.pair.fail("the client was never served by node-b");
        };
        self.pair.recover(fault);
        served - start
    }
}

/// Everything measured, for the summary.
#[derive(Default)]
struct Report {
    /// Failover line name and its samples.
    failovers: Vec<(String, Vec<Duration>)>,
    /// Idle CPU: line, % of a core for node-a and node-b, seconds measured.
    idle: Vec<(String, [f64; 2], u64)>,
    /// Soaks: line, takeovers counted, seconds soaked.
    soaks: Vec<(String, usize, f64)>,
    /// What was skipped, and why.
    skipped: Vec<String>,
}

impl Report {
    fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n== ha-node vs keepalived 2.2.7, side by side ==\n\n\
             Failover: fault on node-a -> client first served by node-b (ms)\n\
             {:<36} {:>5} {:>8} {:>8} {:>8}",
            "line", "n", "min", "median", "max"
        );
        for (name, samples) in &self.failovers {
            match min_median_max_ms(samples) {
                Some((min, median, max)) => {
                    let _ = writeln!(
                        out,
                        "{name:<36} {:>5} {min:>8.1} {median:>8.1} {max:>8.1}",
                        samples.len()
                    );
                }
                None => {
                    let _ = writeln!(out, "{name:<36} {:>5}", 0);
                }
            }
        }
        if !self.idle.is_empty() {
            let _ = writeln!(
                out,
                "\nIdle CPU, % of one core (time on CPU from /proc)\n\
                 {:<36} {:>16} {:>16} {:>6}",
                "line", "node-a (master)", "node-b (backup)", "secs"
            );
            for (name, [a, b], secs) in &self.idle {
                let _ = writeln!(out, "{name:<36} {a:>16.2} {b:>16.2} {secs:>6}");
            }
        }
        if !self.soaks.is_empty() {
            let _ = writeln!(
                out,
                "\nFalse takeovers by node-b\n{:<52} {:>9} {:>7} {:>9}",
                "line", "takeovers", "secs", "per hour"
            );
            for (name, count, secs) in &self.soaks {
                let per_hour = *count as f64 * 3600.0 / secs;
                let _ = writeln!(out, "{name:<52} {count:>9} {secs:>7.0} {per_hour:>9.1}");
            }
        }
        for skipped in &self.skipped {
            let _ = writeln!(out, "\nskipped: {skipped}");
        }
        out
    }
}

/// Seconds from environment variable `name`, or `default`.
fn secs_from_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a number of seconds")),
        Err(_) => default,
    }
}

/// Whether keepalived is there; if not, says so once and records the skip.
fn keepalived_available(report: &mut Report) -> bool {
    let spec = KeepalivedSpec::new("1");
    if spec.is_installed() {
        return true;
    }
    let why = format!(
        "keepalived lines: {} not found (apt-get install keepalived, or set KEEPALIVED_BIN)",
        spec.binary.display()
    );
    if !report.skipped.contains(&why) {
        println!("{why}; measuring ha-node only");
        report.skipped.push(why);
    }
    false
}

/// The lines of the failover comparison: name and how to build the pair.
fn failover_lines(binary: &Path, with_keepalived: bool) -> Vec<(String, Build<'_>)> {
    let mut lines: Vec<(String, Build<'_>)> = Vec::new();
    for ucast in [false, true] {
        for timers in HA_NODE_TIMERS {
            let name = format!(
                "ha-node{}-{}-{}",
                if ucast { "-ucast" } else { "" },
                timers[0].trim_end_matches("ms"),
                timers[2].trim_end_matches("ms")
            );
            let binary = binary.to_path_buf();
            lines.push((
                name,
                Box::new(move || Pair::ha_node(&binary, timers, ucast)),
            ));
        }
    }
    if with_keepalived {
        for advert in KEEPALIVED_ADVERTS {
            lines.push((
                format!("keepalived-{advert}"),
                Box::new(move || Pair::keepalived(advert)),
            ));
        }
    }
    lines
}

/// Part 1: the criterion failover group.
fn failovers(c: &mut Criterion, binary: &Path, report: &mut Report) {
    let with_keepalived = keepalived_available(report);
    let mut group = one_failover_per_sample(c, "failover");
    for (line, build) in failover_lines(binary, with_keepalived) {
        let mut bed: Option<Bed> = None;
        for fault in Fault::BOTH {
            let name = format!("{line}/{}", fault.name());
            let mut samples = Vec::new();
            group.bench_function(&name, |b| {
                b.iter_custom(|iters| {
                    let bed = bed.get_or_insert_with(|| Bed::new(build(), Duration::from_secs(1)));
                    (0..iters)
                        .map(|_| {
                            let took = bed.failover(fault);
                            samples.push(took);
                            took
                        })
                        .sum()
                })
            });
            if !samples.is_empty() {
                report.failovers.push((format!("failover/{name}"), samples));
            }
        }
    }
    group.finish();
}

/// Builds and settles a pair, failing with its output if it does not settle.
fn settled(pair: Pair) -> (Pair, Watcher) {
    let mut pair = pair;
    let client = pair.watch_client();
    pair.settle(&client);
    pair.steady(Duration::from_secs(1));
    (pair, client)
}

/// Part 2: idle CPU of both nodes of a pair, in % of one core.
fn idle_cpu(pair: Pair, secs: u64) -> [f64; 2] {
    let (pair, client) = settled(pair);
    // The client's probes are work for the master; measure the daemons idle.
    drop(client);
    let pids = [Node::A, Node::B].map(|node| pair.pid(node));
    let before = pids.map(|pid| group_cpu_time(pid).expect("cpu time"));
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let after = pids.map(|pid| group_cpu_time(pid).expect("cpu time"));
    let wall = began.elapsed().as_secs_f64();
    if !pair.is_settled() {
        pair.fail("the pair moved while idle");
    }
    [0, 1].map(|i| (after[i].saturating_sub(before[i])).as_secs_f64() * 100.0 / wall)
}

/// What a soak does to the pair while it runs.
#[derive(Clone, Copy)]
enum Stress {
    /// [`LOSS_PERCENT`] % of the packets into each node dropped.
    Loss,
    /// Twice as many busy loops as CPUs.
    Starvation,
}

/// Part 3: soaks `pair` under `stress` for `secs` and returns how many
/// takeovers node-b logged and how long it really lasted.
fn soak(pair: Pair, stress: Stress, secs: u64) -> (usize, f64) {
    let (pair, client) = settled(pair);
    drop(client);
    let before = pair.takeovers_by_b();
    let began = Instant::now();
    let busy = match stress {
        Stress::Loss => {
            for node in Node::BOTH {
                pair.host(node)
                    .drop_incoming(LOSS_PERCENT)
                    .unwrap_or_else(|e| panic!("loss (nftables needed): {e}"));
            }
            None
        }
        Stress::Starvation => Some(BusyLoops::per_cpu(2).expect("busy loops")),
    };
    std::thread::sleep(Duration::from_secs(secs));
    let soaked = began.elapsed().as_secs_f64();
    drop(busy);
    for node in Node::BOTH {
        let _ = pair.host(node).clear_faults();
    }
    // Let a last takeover reach the log.
    std::thread::sleep(Duration::from_millis(200));
    (pair.takeovers_by_b() - before, soaked)
}

/// The ha-node pair of the loss soak: 10/30/50 ms on two media (bcast on
/// the LAN, mcast on a second LAN).
fn ha_node_two_media(binary: &Path) -> Pair {
    let mut spec = ClusterSpec::fast(binary);
    spec.keepalive = "10ms".into();
    spec.warntime = "30ms".into();
    spec.deadtime = "50ms".into();
    let spec = spec.on_two_media();
    let cluster = TwoNodeCluster::new("vs-ka-loss", spec).expect("lab");
    // The LAN lives as long as the lab; the handle is not needed.
    cluster.connect_second_lan().expect("second LAN");
    Pair::HaNode(Box::new(cluster))
}

/// Parts 2 and 3, printed as they come.
fn steadiness(binary: &Path, report: &mut Report) {
    let with_keepalived = keepalived_available(report);
    let idle_secs = secs_from_env("HA_BENCH_IDLE_SECS", DEFAULT_IDLE_SECS);
    if idle_secs > 0 {
        let mut lines: Vec<(&str, Build<'_>)> = vec![(
            "idle/ha-node-10-40",
            Box::new(|| Pair::ha_node(binary, HA_NODE_TIMERS[0], false)),
        )];
        if with_keepalived {
            lines.push((
                "idle/keepalived-0.01",
                Box::new(|| Pair::keepalived("0.01")),
            ));
        }
        for (name, build) in lines {
            let cpu = idle_cpu(build(), idle_secs);
            println!(
                "{name}: node-a {:.2} %, node-b {:.2} % of one core over {idle_secs} s",
                cpu[0], cpu[1]
            );
            report.idle.push((name.to_string(), cpu, idle_secs));
        }
    }
    let soak_secs = secs_from_env("HA_BENCH_SOAK_SECS", DEFAULT_SOAK_SECS);
    if soak_secs > 0 {
        let cpus = cpu_count();
        let mut lines: Vec<(String, Stress, Build<'_>)> = vec![(
            format!("loss-{LOSS_PERCENT}/ha-node-10-50 (two media)"),
            Stress::Loss,
            Box::new(|| ha_node_two_media(binary)),
        )];
        if with_keepalived {
            lines.push((
                format!("loss-{LOSS_PERCENT}/keepalived-0.05 (one medium)"),
                Stress::Loss,
                Box::new(|| Pair::keepalived("0.05")),
            ));
        }
        lines.push((
            format!("starvation-{}x/ha-node-10-40", 2 * cpus),
            Stress::Starvation,
            Box::new(|| Pair::ha_node(binary, HA_NODE_TIMERS[0], false)),
        ));
        if with_keepalived {
            lines.push((
                format!("starvation-{}x/keepalived-0.01", 2 * cpus),
                Stress::Starvation,
                Box::new(|| Pair::keepalived("0.01")),
            ));
        }
        for (name, stress, build) in lines {
            let (count, secs) = soak(build(), stress, soak_secs);
            println!(
                "{name}: {count} takeovers in {secs:.0} s ({:.1} per hour)",
                count as f64 * 3600.0 / secs
            );
            report.soaks.push((name, count, secs));
        }
    }
}

/// `target/criterion`, next to criterion's own reports.
fn criterion_dir() -> Option<PathBuf> {
    // target/PROFILE/deps/versus_keepalived-HASH
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let binary = node_binary();
    let mut report = Report::default();
    failovers(&mut criterion, &binary, &mut report);
    // `cargo test --benches` runs each benchmark once, without `--bench`:
    // no soaks then.
    if std::env::args().any(|a| a == "--bench") {
        steadiness(&binary, &mut report);
    }
    criterion.final_summary();
    let table = report.table();
    println!("{table}");
    if let Some(dir) = criterion_dir() {
        let path = dir.join("versus-keepalived.txt");
        if std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &table))
            .is_ok()
        {
            println!("summary written to {}", path.display());
        }
    }
}

//! A rolling upgrade's mixed pair beside two heartbeats and two ha-nodes,
//! in one run: client-visible failover (kill -9 of the holder's daemon)
//! and graceful hand-over (SIGTERM of the holder) at keepalive 100 ms and
//! deadtime 500 ms.
//!
//! Four pairs, each built from the same spec (ha-lab's
//! [`ClusterSpec::fast`]: one IPaddr group 10.77.0.100/24 preferring
//! node-a, bcast, sha1, auto_failback on; every node a machine of its own
//! with a private `/run` and heartbeat's own ha.cf lines), differing only
//! in what node-a (the holder) and node-b (the taker) run:
//!
//! - `heartbeat`: heartbeat 3.0.6 on both;
//! - `ha-node`: ha-node on both;
//! - `heartbeat-to-ha-node`: heartbeat on node-a, ha-node on node-b;
//! - `ha-node-to-heartbeat`: ha-node on node-a, heartbeat on node-b.
//!
//! One sample: the pair settled (node-a alone holds the address, each
//! node sees the other active, the client served by node-a, then 1.5 s
//! of quiet so that no hand-over is still under way), then node-a's
//! daemon is killed with SIGKILL (heartbeat's whole process group) or
//! sent SIGTERM, and the time runs until the client (a TCP connection to
//! the address every 5 ms) is first answered by node-b. Afterwards node-a
//! is cleaned as a reboot would (the address a kill left behind removed)
//! and started again; the group fails back to it (auto_failback) before
//! the next sample.
//!
//! Lines `PAIR/kill-9` and `PAIR/sigterm`; the summary (min, median, max
//! of every sample, criterion's warm-up one included) is printed at the
//! end and written to `target/criterion/versus-heartbeat-mixed.txt`.
//! The pairs with heartbeat are skipped, saying so, when it is not
//! installed. The `ha-node` binary is built as for the `failover` bench
//! (`HA_NODE_BIN` names another). Needs root and iproute2.
//!
//! ```text
//! cargo bench -p ha-benches --bench versus_heartbeat_mixed
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use ha_lab::cluster::{ClusterSpec, Node};
use ha_lab::daemon_pair::{Daemon, DaemonPair};
use ha_lab::versus_heartbeat::{only_holder, GROUP_VIP_CIDR, HEARTBEAT_PATIENCE};
use ha_lab::{heartbeat, Watcher};

use common::summary::Summary;
use common::{random_phase, CLIENT_PERIOD, CLIENT_TIMEOUT};

/// How long the pair is left alone once settled before the fault.
const QUIET: Duration = Duration::from_millis(1500);

/// How node-a's daemon is taken down.
#[derive(Clone, Copy)]
enum Fault {
    /// SIGKILL: node-b must notice the silence.
    Kill,
    /// SIGTERM: node-a releases the group and tells node-b.
    Terminate,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Kill => "kill-9",
            Fault::Terminate => "sigterm",
        }
    }
}

/// The pairs compared: their line name and what node-a and node-b run.
const PAIRS: [(&str, [Daemon; 2]); 4] = [
    ("heartbeat", [Daemon::Heartbeat, Daemon::Heartbeat]),
    ("ha-node", [Daemon::HaNode, Daemon::HaNode]),
    ("heartbeat-to-ha-node", [Daemon::Heartbeat, Daemon::HaNode]),
    ("ha-node-to-heartbeat", [Daemon::HaNode, Daemon::Heartbeat]),
];

/// One pair with its client.
struct Bed {
    pair: DaemonPair,
    client: Watcher,
}

impl Bed {
    fn new(binary: &Path, daemons: [Daemon; 2]) -> Bed {
        let mut spec = ClusterSpec::fast(binary);
        // Every node a machine of its own, as a heartbeat node must be.
        spec.private_mounts = Some(heartbeat::private_dirs());
        let pair = DaemonPair::mixed("vs-hb-mix", spec, daemons)
            .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
        let cluster = pair.cluster();
        let client = cluster
            .client()
            .watch_tcp_with_timeout(cluster.vip(), CLIENT_PERIOD, CLIENT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot start the client: {e}"));
        Bed { pair, client }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{} pair: {what}\n{}",
            self.pair.name(),
            self.pair.evidence(40)
        )
    }

    fn is_settled(&self) -> bool {
        only_holder(self.pair.cluster(), Node::A) && self.pair.both_active()
    }

    /// Starts whatever is down (node-b first, so node-a comes back as the
    /// preferred owner) and waits until the pair is settled and the client
    /// is served by node-a, then for [`QUIET`].
    fn settle(&mut self) {
        for node in [Node::B, Node::A] {
            if !self.pair.is_running(node) {
                self.pair
                    .start(node)
                    .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.name()));
            }
        }
        let settled = self
            .pair
            .cluster()
            .wait_until(HEARTBEAT_PATIENCE, |_| self.is_settled());
        let served =
            settled.and_then(|t| self.client.wait_for_reply_after(t, "A", HEARTBEAT_PATIENCE));
        if served.is_none() {
            self.fail("the pair did not settle with node-a serving");
        }
        std::thread::sleep(QUIET);
        if !self.is_settled() {
            self.fail("the pair did not stay settled");
        }
    }

    /// One sample: settle, take node-a down with `fault`, time until the
    /// client is served by node-b, clean node-a up.
    fn failover(&mut self, fault: Fault) -> Duration {
        self.settle();
        std::thread::sleep(random_phase());
        let start = Instant::now();
        let stopping = match fault {
            Fault::Kill => {
                self.pair
                    .kill(Node::A)
                    .unwrap_or_else(|e| panic!("cannot kill node-a: {e}"));
                None
            }
            Fault::Terminate => self
                .pair
                .terminate(Node::A)
                .unwrap_or_else(|e| panic!("cannot terminate node-a: {e}")),
        };
        let Some(served) = self
            .client
            .wait_for_reply_after(start, "B", HEARTBEAT_PATIENCE)
        else {
            self.fail("the client was never served by node-b");
        };
        if let Some(child) = stopping {
            match child.wait_timeout(HEARTBEAT_PATIENCE) {
                Ok(Some(_)) => {}
                other => self.fail(&format!("node-a did not exit: {other:?}")),
            }
            self.pair
                .finish(&child)
                .unwrap_or_else(|e| self.fail(&format!("ending node-a's processes: {e}")));
        }
        let cluster = self.pair.cluster();
        if cluster.holds_vip(Node::A).unwrap_or(false) {
            cluster
                .host(Node::A)
                .del_address("eth0", GROUP_VIP_CIDR)
                .unwrap_or_else(|e| self.fail(&format!("cleaning node-a: {e}")));
        }
        served - start
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut summary = Summary::new(
        "mixed pair beside two heartbeats and two ha-nodes: node-a's daemon killed -9 or \
         sent SIGTERM -> client first served by node-b; keepalive 100 ms, deadtime 500 ms, \
         bcast, one IPaddr group",
    );
    let binary = common::node_binary();
    let installed = heartbeat::installed();
    if !installed {
        summary.skip(&format!(
            "every pair with heartbeat: {} not found (apt-get install heartbeat)",
            heartbeat::HEARTBEAT
        ));
    }
    let mut group = criterion.benchmark_group("mixed");
    // One fault per sample: the estimate criterion makes from the warm-up
    // includes settling, which is far longer than a failover.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(10));
    for (name, daemons) in PAIRS {
        if daemons.contains(&Daemon::Heartbeat) && !installed {
            continue;
        }
        let mut bed: Option<Bed> = None;
        for fault in [Fault::Kill, Fault::Terminate] {
            let mut samples = Vec::new();
            group.bench_function(format!("{name}/{}", fault.name()), |b| {
                b.iter_custom(|iters| {
                    let bed = bed.get_or_insert_with(|| Bed::new(&binary, daemons));
                    (0..iters)
                        .map(|_| {
                            let took = bed.failover(fault);
                            samples.push(took);
                            took
                        })
                        .sum()
                })
            });
            summary.line(&format!("{name}/{}", fault.name()), samples);
        }
    }
    group.finish();
    criterion.final_summary();
    summary.finish("versus-heartbeat-mixed.txt");
}

//! Client-visible failover of two `ha-node` processes in the lab.
//!
//! The [`TwoNodeCluster`] of ha-lab (keepalive 100 ms, deadtime 500 ms,
//! virtual IP preferring node-a) with a client probing the virtual IP every
//! 5 ms. Each iteration brings node-a back if needed, waits until both nodes
//! see each other active and the client is served by A, then takes node-a
//! down and measures the time from the fault to the client's first reply
//! from node-b (so the result includes the client's wait for its next
//! probe: 2.5 ms on average, the fault falling at a random point between two):
//!
//! - `failover/kill-9`: SIGKILL, so node-b must notice the silence (deadtime);
//! - `failover/sigterm`: an orderly shutdown, node-a hands the group over.
//!
//! The node binary is built (or found up to date) by cargo in the same
//! target directory and profile as this bench; `HA_NODE_BIN` names another.
//! Needs root. Ends by printing the median of every failover it measured.

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::Watcher;

use common::{describe, node_binary, random_phase, CLIENT_PERIOD, CLIENT_TIMEOUT, PATIENCE};

/// How the owner is taken down.
#[derive(Clone, Copy)]
enum Fault {
    Kill,
    Terminate,
}

/// The cluster, its client and every failover time measured so far.
struct Bed {
    cluster: TwoNodeCluster,
    client: Watcher,
    kills: Vec<Duration>,
    terminations: Vec<Duration>,
}

impl Bed {
    fn new(binary: &Path) -> Bed {
        let cluster = TwoNodeCluster::new("bench", ClusterSpec::fast(binary))
            .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
        let client = cluster
            .client()
            .watch_tcp_with_timeout(cluster.vip(), CLIENT_PERIOD, CLIENT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot start the client: {e}"));
        Bed {
            cluster,
            client,
            kills: Vec::new(),
            terminations: Vec::new(),
        }
    }

    /// Starts whichever node is down (a restarted node clears the address
    /// its crash left behind) and waits until both are active, node-a owns the
    /// virtual IP and the client is served by A.
    fn settle(&mut self) {
        for node in Node::BOTH {
            if self.cluster.is_running(node) {
                continue;
            }
            self.cluster
                .start(node)
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.name()));
        }
        let settled = self.cluster.wait_until(PATIENCE, |c| c.is_settled(Node::A));
        let served = settled.and_then(|t| self.client.wait_for_reply_after(t, "A", PATIENCE));
        if served.is_none() {
            self.fail("the cluster did not settle with node-a serving");
        }
    }

    /// Takes node-a down with `fault` and returns the time until the client
    /// is first served by node-b.
    fn failover(&mut self, fault: Fault) -> Duration {
        self.settle();
        std::thread::sleep(random_phase());
        let start = Instant::now();
        let stopping = match fault {
            Fault::Kill => {
                self.cluster.kill(Node::A).expect("kill -9 node-a");
                None
            }
            Fault::Terminate => self.cluster.terminate(Node::A).expect("SIGTERM node-a"),
        };
        let Some(served) = self.client.wait_for_reply_after(start, "B", PATIENCE) else {
            self.fail("the client was never served by node-b");
        };
        if let Some(child) = stopping {
            match child.wait_timeout(PATIENCE) {
                Ok(Some(status)) if status.success() => {}
                other => self.fail(&format!("node-a did not exit cleanly: {other:?}")),
            }
        }
        let took = served - start;
        match fault {
            Fault::Kill => self.kills.push(took),
            Fault::Terminate => self.terminations.push(took),
        }
        took
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- node-a ---\n{}\n--- node-b ---\n{}",
            self.cluster.output(Node::A),
            self.cluster.output(Node::B)
        )
    }
}

fn failover(c: &mut Criterion) {
    let binary = node_binary();
    let mut bed: Option<Bed> = None;
    let mut group = c.benchmark_group("failover");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(15));
    for (name, fault) in [("kill-9", Fault::Kill), ("sigterm", Fault::Terminate)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let bed = bed.get_or_insert_with(|| Bed::new(&binary));
                (0..iters).map(|_| bed.failover(fault)).sum()
            })
        });
    }
    group.finish();
    if let Some(bed) = &bed {
        println!("median kill -9 failover: {}", describe(&bed.kills));
        println!("median SIGTERM hand-over: {}", describe(&bed.terminations));
    }
}

criterion_group!(benches, failover);
criterion_main!(benches);

//! ipfail, `ha-node` against real heartbeat 3.0.6, in one run: how long
//! after the owner loses its uplink a client of the virtual IP is served by
//! the other node.
//!
//! Both pairs run the same bed (ha-lab's [`versus_heartbeat`] ipfail bed,
//! from one spec): node-a and node-b and a client on one LAN, a router on
//! it as the ping node, one IPaddr group preferring node-a, and the same
//! ha.cf on both daemons: keepalive 100 ms, deadtime 500 ms, deadping
//! 500 ms, bcast, auto_failback on, `ping 10.77.0.254`, `respawn hacluster
//! /usr/libexec/heartbeat/ipfail` (heartbeat runs ipfail; ha-node runs its
//! built-in ipfail for that line). heartbeat's nodes are machines of their
//! own (its `/etc/ha.d`, `/var/lib/heartbeat` and `/run` per node). A
//! client asks the address "who are you" every 5 ms.
//!
//! One failover per sample: the pair settled with node-a serving and both
//! nodes seeing the ping node, node-a's ICMP to and from the router
//! dropped (nftables; the heartbeat link stays up), then the time until
//! the client is first served by node-b. The path is restored afterwards
//! and the group fails back (auto_failback) before the next sample; a pair
//! whose group does not come back is restarted, and the summary counts
//! those restarts.
//!
//! Lines: `ipfail/ha-node/uplink-cut` and `ipfail/heartbeat/uplink-cut`;
//! the summary counts every failover, criterion's warm-up one included; it
//! is printed at the end and written to
//! `target/criterion/versus-heartbeat-ipfail.txt`. heartbeat is skipped,
//! saying so, when it is not installed. The `ha-node` binary is built as
//! for the `failover` bench (`HA_NODE_BIN` names another). Needs root,
//! iproute2 and nftables.
//!
//! ```text
//! cargo bench -p ha-benches --bench versus_heartbeat_ipfail
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use ha_lab::cluster::Node;
use ha_lab::daemon_pair::{Daemon, DaemonPair};
use ha_lab::versus_heartbeat::{
    connect_router, ipfail_spec, only_holder, whoami_addr, HEARTBEAT_PATIENCE, ROUTER,
};
use ha_lab::{Host, Watcher};

use common::summary::Summary;
use common::versus_heartbeat;
use common::{node_binary, one_failover_per_sample, random_phase, CLIENT_PERIOD, CLIENT_TIMEOUT};

/// ha.cf's `deadping` on both pairs.
const DEADPING: &str = "500ms";

/// One pair with its router and client.
struct Bed {
    pair: DaemonPair,
    _router: Host,
    client: Watcher,
    /// How many times the pair was restarted because the group did not
    /// come back to node-a after the path was restored.
    restarts: usize,
}

impl Bed {
    fn new(binary: &Path, daemon: Daemon) -> Bed {
        let pair = DaemonPair::new("vs-hb-ipf", ipfail_spec(binary, DEADPING), daemon)
            .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
        let router = connect_router(pair.cluster())
            .unwrap_or_else(|e| panic!("cannot put the router on the LAN: {e}"));
        let client = pair
            .cluster()
            .client()
            .watch_tcp_with_timeout(whoami_addr(), CLIENT_PERIOD, CLIENT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot start the client: {e}"));
        Bed {
            pair,
            _router: router,
            client,
            restarts: 0,
        }
    }

    fn fail(&self, what: &str) -> ! {
        versus_heartbeat::fail(&self.pair, what)
    }

    fn router() -> String {
        IpAddr::from(ROUTER).to_string()
    }

    /// Only node-a holds the address, each node sees the other active and
    /// the ping node up.
    fn is_settled(pair: &DaemonPair) -> bool {
        let router = Bed::router();
        only_holder(pair.cluster(), Node::A)
            && pair.both_active()
            && Node::BOTH
                .iter()
                .all(|&node| pair.sees_ping_node_up(node, &router))
    }

    /// Starts whatever is down (node-b first) and waits until the pair is
    /// settled and the client served by node-a; `false` if it does not
    /// within the patience.
    fn try_settle(&mut self) -> bool {
        versus_heartbeat::bring_up(&mut self.pair, &self.client, Bed::is_settled)
    }

    /// Settles the pair, restarting both daemons once (address removed)
    /// if the group does not come back by itself.
    fn settle(&mut self) {
        if !self.try_settle() {
            self.restarts += 1;
            for node in [Node::A, Node::B] {
                self.pair
                    .kill(node)
                    .unwrap_or_else(|e| panic!("cannot kill {}: {e}", node.name()));
                let cluster = self.pair.cluster();
                if cluster.holds_vip(node).unwrap_or(false) {
                    cluster
                        .host(node)
                        .del_address("eth0", "10.77.0.100/24")
                        .unwrap_or_else(|e| panic!("cannot remove the address: {e}"));
                }
            }
            if !self.try_settle() {
                self.fail("the pair did not settle with node-a serving, even restarted");
            }
        }
        versus_heartbeat::stay_settled(&self.pair, Bed::is_settled);
    }

    /// One failover: settle, cut node-a's path to the ping node, time until
    /// the client is served by node-b, restore the path.
    fn failover(&mut self) -> Duration {
        self.settle();
        std::thread::sleep(random_phase());
        let router = IpAddr::from(ROUTER);
        let host_a = self.pair.cluster().host(Node::A).clone();
        let start = Instant::now();
        host_a
            .block_icmp(router)
            .unwrap_or_else(|e| panic!("cut node-a's ICMP (nftables needed): {e}"));
        let served = self
            .client
            .wait_for_reply_after(start, "B", HEARTBEAT_PATIENCE);
        host_a
            .unblock_icmp(router)
            .unwrap_or_else(|e| panic!("restore node-a's ICMP: {e}"));
        match served {
            Some(served) => served - start,
            None => self.fail("the client was never served by node-b"),
        }
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut summary = Summary::new(
        "ha-node vs heartbeat 3.0.6 ipfail: owner's path to the ping node cut -> client \
         served by the peer; keepalive 100 ms, deadtime 500 ms, deadping 500 ms on both",
    );
    let binary = node_binary();
    let mut group = one_failover_per_sample(&mut criterion, "ipfail");
    for daemon in versus_heartbeat::daemons(&mut summary) {
        let mut bed: Option<Bed> = None;
        let mut samples = Vec::new();
        group.bench_function(format!("{}/uplink-cut", daemon.name()), |b| {
            b.iter_custom(|iters| {
                let bed = bed.get_or_insert_with(|| Bed::new(&binary, daemon));
                (0..iters)
                    .map(|_| {
                        let took = bed.failover();
                        samples.push(took);
                        took
                    })
                    .sum()
            })
        });
        let restarts = bed.as_ref().map_or(0, |b| b.restarts);
        drop(bed);
        let line = format!("ipfail/{}/uplink-cut", daemon.name());
        summary.note(&format!(
            "{line}: {restarts} restart(s) of the pair when the group did not fail back"
        ));
        summary.line(&line, samples);
    }
    group.finish();
    criterion.final_summary();
    summary.finish("versus-heartbeat-ipfail.txt");
}

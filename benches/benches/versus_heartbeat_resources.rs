//! The resource manager, `ha-node` against real heartbeat 3.0.6, in one
//! run: how long a killed owner's group of five resources takes to be all
//! started on the peer.
//!
//! Both pairs run the same bed (ha-lab's [`versus_heartbeat`] group bed,
//! from one spec): node-a and node-b, each a machine of its own (private
//! `/run` and nginx's directories; heartbeat's `/etc/ha.d` and
//! `/var/lib/heartbeat` bound per node), keepalive 100 ms, deadtime
//! 500 ms, bcast, auto_failback on, and the same haresources line:
//!
//! ```text
//! node-a IPaddr::10.77.0.100/24/eth0 OCF::Dummy::d1 OCF::Dummy::d2 OCF::Dummy::d3 nginx
//! ```
//!
//! (resource-agents' `ocf:heartbeat:Dummy` three times through heartbeat's
//! OCF wrapper, each instance with its own state file, and Debian's
//! `/etc/init.d/nginx` as the LSB script last). A client asks nginx for
//! its page on the address every 5 ms; each node's page is its letter.
//!
//! One failover per sample: the pair settled with node-a holding the
//! group, `kill -9` of node-a's daemon (heartbeat's whole process group;
//! node-a's resources stay as they are, as after any kill -9), then the
//! time until the group is fully started on node-b, taken from the agents'
//! own side effects: the later of node-b's Dummy state files and nginx pid
//! file all being there (read through node-b's mount namespace every
//! millisecond) and the client first served node-b's page through the
//! address. Afterwards node-a is wiped as a reboot would (nginx stopped,
//! state files and address gone) and its daemon started again; the group
//! fails back before the next sample.
//!
//! Lines: `resources/ha-node/kill-9` and `resources/heartbeat/kill-9`
//! (criterion's timings: kill to group started), and in the summary also
//! `.../dead-logged-to-started`: from the moment node-b's log got its "node
//! node-a: ... dead" line (a thread reading the log every millisecond) to
//! the group started — the resource manager's part alone, the detection
//! (the same deadtime on both) left out. ha-node's realtime loop hands its
//! log lines to a writer thread, so its line may land a little after the
//! decision; heartbeat writes its own. The summary counts every failover,
//! criterion's warm-up one included; it is printed at the end and written
//! to `target/criterion/versus-heartbeat-resources.txt`.
//!
//! heartbeat is skipped, saying so, when it is not installed; the whole
//! bench when resource-agents or nginx-light is missing. The `ha-node`
//! binary is built as for the `failover` bench (`HA_NODE_BIN` names
//! another). Needs root and iproute2.
//!
//! ```text
//! cargo bench -p ha-benches --bench versus_heartbeat_resources
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use ha_lab::cluster::Node;
use ha_lab::daemon_pair::{Daemon, DaemonPair};
use ha_lab::first_seen::FIRST_SEEN_EVERY;
use ha_lab::versus_heartbeat::{
    group_missing, only_holder, prepare_pages, resource_group_spec, GroupBed, HEARTBEAT_PATIENCE,
    WEB,
};
use ha_lab::{FirstSeen, Watcher};

use common::summary::Summary;
use common::versus_heartbeat;
use common::{node_binary, one_failover_per_sample, random_phase, CLIENT_PERIOD};

/// node-b's log line that says node-a is dead, in either daemon's words
/// (ha-node: `node node-a: active -> dead (...)`, heartbeat: `node node-a:
/// is dead`).
fn says_a_is_dead(line: &str) -> bool {
    line.contains("node node-a:") && line.contains("dead")
}

/// One pair with its client.
struct Bed {
    pair: DaemonPair,
    client: Watcher,
}

/// One failover's times.
struct Failover {
    /// Kill to group fully started on node-b.
    total: Duration,
    /// node-b logging node-a dead to group fully started, when logged
    /// before the group was started.
    after_dead: Option<Duration>,
}

impl Bed {
    fn new(binary: &Path, daemon: Daemon) -> Bed {
        let pair = DaemonPair::new("vs-hb-rsc", resource_group_spec(binary), daemon)
            .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
        prepare_pages(pair.cluster()).unwrap_or_else(|e| panic!("the nodes' pages: {e}"));
        let client = pair
            .cluster()
            .client()
            .watch_http(WEB, "/", CLIENT_PERIOD)
            .unwrap_or_else(|e| panic!("cannot start the client: {e}"));
        Bed { pair, client }
    }

    fn fail(&self, what: &str) -> ! {
        versus_heartbeat::fail(&self.pair, what)
    }

    /// Node-a holds the whole group, node-b nothing of it, each sees the
    /// other active.
    fn is_settled(pair: &DaemonPair) -> bool {
        let cluster = pair.cluster();
        let group = GroupBed::of(cluster);
        only_holder(cluster, Node::A)
            && group.all_started(Node::A)
            && !group.any_started(Node::B)
            && pair.both_active()
    }

    /// Starts whatever is down (node-b first, so node-a comes back as the
    /// preferred owner) and waits until the pair is settled and the client
    /// is served node-a's page.
    fn settle(&mut self) {
        if !versus_heartbeat::bring_up(&mut self.pair, &self.client, Bed::is_settled) {
            self.fail("the pair did not settle with node-a serving the group");
        }
        versus_heartbeat::stay_settled(&self.pair, Bed::is_settled);
    }

    /// One failover: settle, kill node-a's daemon, time until the group is
    /// fully started on node-b, wipe node-a.
    fn failover(&mut self) -> Failover {
        self.settle();
        std::thread::sleep(random_phase());
        let group = GroupBed::of(self.pair.cluster());
        let files = FirstSeen::files(group.started_files(Node::B), FIRST_SEEN_EVERY);
        let dead = FirstSeen::log_line(
            self.pair.log_path(Node::B),
            FIRST_SEEN_EVERY,
            says_a_is_dead,
        );
        let start = Instant::now();
        self.pair
            .kill(Node::A)
            .unwrap_or_else(|e| panic!("cannot kill node-a: {e}"));
        let Some(served) = self
            .client
            .wait_for_reply_after(start, "B", HEARTBEAT_PATIENCE)
        else {
            self.fail("the client was never served node-b's page");
        };
        let Some(files) = files.wait(HEARTBEAT_PATIENCE) else {
            self.fail("node-b never had all of the group's files");
        };
        let started = served.max(files);
        let after_dead = dead
            .wait(Duration::from_millis(200))
            .filter(|&d| d <= started)
            .map(|d| started - d);
        GroupBed::of(self.pair.cluster())
            .wipe(Node::A)
            .unwrap_or_else(|e| self.fail(&format!("wiping node-a: {e}")));
        Failover {
            total: started - start,
            after_dead,
        }
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut summary = Summary::new(
        "ha-node vs heartbeat 3.0.6: kill -9 of the owner -> group of 5 resources \
         (IPaddr, 3 x OCF::Dummy, nginx) fully started on the peer; keepalive 100 ms, \
         deadtime 500 ms on both",
    );
    let missing = group_missing();
    if missing.is_empty() {
        let binary = node_binary();
        let mut group = one_failover_per_sample(&mut criterion, "resources");
        for daemon in versus_heartbeat::daemons(&mut summary) {
            let mut bed: Option<Bed> = None;
            let mut totals = Vec::new();
            let mut after_dead = Vec::new();
            group.bench_function(format!("{}/kill-9", daemon.name()), |b| {
                b.iter_custom(|iters| {
                    let bed = bed.get_or_insert_with(|| Bed::new(&binary, daemon));
                    (0..iters)
                        .map(|_| {
                            let failover = bed.failover();
                            totals.push(failover.total);
                            after_dead.extend(failover.after_dead);
                            failover.total
                        })
                        .sum()
                })
            });
            drop(bed);
            summary.line(&format!("resources/{}/kill-9", daemon.name()), totals);
            summary.line(
                &format!("resources/{}/dead-logged-to-started", daemon.name()),
                after_dead,
            );
        }
        group.finish();
    } else {
        summary.skip(&format!(
            "every line: the group's agents are missing: {} (apt-get install resource-agents \
             nginx-light)",
            missing.join(", ")
        ));
    }
    criterion.final_summary();
    summary.finish("versus-heartbeat-resources.txt");
}

//! End to end, a rolling upgrade's mixed pair: real heartbeat 3.0.6
//! (Debian's package `heartbeat`) as node-a, the preferred node, and
//! `ha-node` as node-b, over mcast with sha1, keepalive 100 ms and
//! deadtime 500 ms, one IPaddr group. Either starts first, either is
//! killed with SIGKILL, either stops gracefully; throughout, the virtual
//! IP (sampled every 10 ms) is never on both nodes, heartbeat's log shows
//! no flow-control trouble, its `cl_status` answers, and ha-node rejects
//! none of heartbeat's packets.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{cluster, holds_throughout, holds_vip, state_seen, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::heartbeat;

/// heartbeat's node: node-a, the group's preferred node.
const HB: Node = Node::A;
/// ha-node's node.
const HA: Node = Node::B;
const VIP_CIDR: &str = "10.77.0.100/24";
const MEDIUM: &str = "mcast eth0 239.192.77.1 694 1 0";
/// Long enough for initdead (2 s), a start of IPaddr and heartbeat's
/// slower start-up.
const SETTLE: Duration = Duration::from_secs(20);

/// Lines of heartbeat's log that say the pair does not work: its history
/// of unacknowledged messages filling up, its clients paused for it, a
/// shutdown waiting for communication that never comes up, a client
/// unable to sign on.
const HEARTBEAT_TROUBLE: &[&str] = &[
    "hist queue",
    "clients are now paused",
    "Shutdown delayed until Communication is up",
    "Cannot signon",
];

fn mixed_pair(tag: &str) -> TwoNodeCluster {
    mixed_pair_with(tag, "off", HB)
}

/// A mixed pair with `auto_failback` as given and the group preferring
/// `preferred`.
fn mixed_pair_with(tag: &str, auto_failback: &str, preferred: Node) -> TwoNodeCluster {
    assert!(
        heartbeat::installed(),
        "heartbeat 3.0.6 is not installed: apt-get install heartbeat (see the README)"
    );
    let mut spec = ClusterSpec::fast(BINARY);
    spec.media = [vec![MEDIUM.into()], vec![MEDIUM.into()]];
    spec.auto_failback = auto_failback.into();
    spec.haresources = format!("{} IPaddr::{VIP_CIDR}/eth0\n", preferred.name());
    spec.private_mounts = Some(heartbeat::private_dirs());
    let cluster = cluster(tag, spec);
    // What heartbeat's own ha.cf says, on ha-node's side too.
    let ha_cf = cluster.config_dir(HA).join("ha.cf");
    let mut text = fs::read_to_string(&ha_cf).unwrap();
    text.push_str("use_logd no\nlogfacility none\ncrm off\n");
    fs::write(&ha_cf, text).unwrap();
    cluster
}

/// Samples both nodes every 10 ms in a thread of its own and counts the
/// samples in which both hold the virtual IP.
struct TwoHolders {
    stop: Arc<AtomicBool>,
    both: Arc<AtomicUsize>,
    samples: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TwoHolders {
    fn watch(cluster: &TwoNodeCluster) -> Self {
        let hosts = [cluster.host(Node::A).clone(), cluster.host(Node::B).clone()];
        let stop = Arc::new(AtomicBool::new(false));
        let both = Arc::new(AtomicUsize::new(0));
        let samples = Arc::new(AtomicUsize::new(0));
        let (s, b, n) = (stop.clone(), both.clone(), samples.clone());
        let vip = [10, 77, 0, 100].into();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let held = hosts
                    .iter()
                    .filter(|h| h.has_address(vip).unwrap_or(false))
                    .count();
                if held == 2 {
                    b.fetch_add(1, Ordering::Relaxed);
                }
                n.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(10 * MS);
            }
        });
        TwoHolders {
            stop,
            both,
            samples,
            thread: Some(thread),
        }
    }

    /// (samples with two holders, samples in all).
    fn finish(mut self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        (
            self.both.load(Ordering::Relaxed),
            self.samples.load(Ordering::Relaxed),
        )
    }
}

fn logs(cluster: &TwoNodeCluster) -> String {
    format!(
        "--- heartbeat (node-a) log:\n{}\n--- ha-node (node-b) log:\n{}\n--- outputs:\n{}\n{}",
        tail(&cluster.heartbeat_log(HB)),
        tail(&cluster.log(HA)),
        tail(&cluster.output(HB)),
        tail(&cluster.output(HA)),
    )
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

fn wait(cluster: &TwoNodeCluster, what: &str, check: impl FnMut(&TwoNodeCluster) -> bool) {
    if cluster.wait_until(SETTLE, check).is_none() {
        panic!("{what}: not within {SETTLE:?}\n{}", logs(cluster));
    }
}

/// Only `holder` has the address.
fn wait_holder(cluster: &TwoNodeCluster, holder: Node, what: &str) {
    wait(cluster, what, |c| {
        holds_vip(c, holder) && !holds_vip(c, holder.other())
    });
}

/// Each side sees the other active: ha-node in its status, heartbeat
/// through `cl_status`, which signs on to it.
fn wait_pair_up(cluster: &TwoNodeCluster, what: &str) {
    wait(cluster, what, |c| {
        state_seen(c, HA, HB).as_deref() == Some("active")
            && c.cl_status(HB, &["nodestatus", HA.name()])
                .is_ok_and(|s| s.trim() == "active")
    });
}

/// `holder` keeps the address, alone, for `hold`.
fn keeps_it(cluster: &TwoNodeCluster, holder: Node, what: &str, hold: Duration) {
    holds_throughout(hold, 20 * MS, || {
        if holds_vip(cluster, holder) && !holds_vip(cluster, holder.other()) {
            Ok(())
        } else {
            Err(format!(
                "the address is no longer on {} alone",
                holder.name()
            ))
        }
    })
    .unwrap_or_else(|e| panic!("{what}: {e}\n{}", logs(cluster)));
}

fn stop_ha_node(cluster: &mut TwoNodeCluster) {
    let child = cluster.terminate(HA).unwrap().unwrap();
    assert!(
        child
            .wait_timeout(Duration::from_secs(10))
            .unwrap()
            .is_some(),
        "ha-node did not stop\n{}",
        logs(cluster)
    );
}

/// heartbeat 3.0.6 with `auto_failback off` (its nice_failback): a node
/// that starts while its peer holds the group leaves it there. Each node
/// is started while the other is settled (see the README on what a mixed
/// pair does not do).
#[test]
fn a_mixed_pair_with_heartbeat_3_0_6_fails_over_both_ways() {
    let mut cluster = mixed_pair("hn-mixed");
    let watch = TwoHolders::watch(&cluster);

    // heartbeat first (it takes the group after initdead), then ha-node.
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes its group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    cluster
        .cl_status(HB, &["hbstatus"])
        .unwrap_or_else(|e| panic!("cl_status hbstatus: {e}\n{}", logs(&cluster)));
    // Long enough for heartbeat's history (500 messages, acks every
    // 10th) to fill up if it waited for acks: 100 ms heartbeats from
    // both sides.
    keeps_it(
        &cluster,
        HB,
        "ha-node leaves heartbeat's group",
        Duration::from_secs(10),
    );

    // ha-node killed, and back: heartbeat keeps the group.
    cluster.kill(HA).unwrap();
    keeps_it(&cluster, HB, "ha-node killed", Duration::from_millis(1500));
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back after a kill");

    // heartbeat stops gracefully: ha-node takes the group and keeps it
    // while heartbeat's last heartbeats (after its shutdone) arrive.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop within {SETTLE:?}\n{}",
        logs(&cluster)
    );
    wait_holder(&cluster, HA, "ha-node takes over a stopped heartbeat");
    keeps_it(
        &cluster,
        HA,
        "after heartbeat's shutdone",
        Duration::from_secs(3),
    );

    // heartbeat started while ha-node holds the group: it comes up (it
    // leaves `up`, cl_status signs on) and leaves the group there.
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat started second comes up");
    keeps_it(
        &cluster,
        HA,
        "heartbeat started second",
        Duration::from_secs(2),
    );

    // ha-node stops gracefully: heartbeat takes over.
    stop_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a stopped ha-node");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back after a stop");
    keeps_it(
        &cluster,
        HB,
        "ha-node back after a stop",
        Duration::from_secs(1),
    );

    // heartbeat's host crashes: ha-node takes over.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    wait_holder(&cluster, HA, "ha-node takes over a crashed heartbeat");
    keeps_it(
        &cluster,
        HA,
        "after heartbeat's crash",
        Duration::from_secs(1),
    );

    // heartbeat back while ha-node holds the group: it comes up and leaves
    // the group there. (A heartbeat that comes up waits for its peer's
    // resource report, which ha-node does not send; if ha-node died in
    // that wait, heartbeat would take its peer's groups for none: see the
    // README. So ha-node leaves gracefully, and heartbeat takes over.)
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat back after a crash");
    keeps_it(
        &cluster,
        HA,
        "heartbeat back after a crash",
        Duration::from_secs(1),
    );
    stop_ha_node(&mut cluster);
    wait_holder(
        &cluster,
        HB,
        "heartbeat takes over ha-node's group on its stop",
    );

    // heartbeat alone stops gracefully.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );

    check_pair(&cluster, watch);
}

/// ha-node's host crashes: its process is killed and its address goes
/// with the host.
fn crash_ha_node(cluster: &mut TwoNodeCluster) {
    cluster.kill(HA).unwrap();
    if cluster.holds_vip(HA).unwrap() {
        cluster.host(HA).del_address("eth0", VIP_CIDR).unwrap();
    }
}

/// What every mixed-pair run must show at its end: never two holders,
/// no flow-control trouble in heartbeat's log, flow control off, and no
/// packet of heartbeat's rejected by ha-node.
fn check_pair(cluster: &TwoNodeCluster, watch: TwoHolders) {
    let (both, samples) = watch.finish();
    assert!(samples > 500, "only {samples} samples");
    assert_eq!(
        both,
        0,
        "the address was on both nodes in {both} samples\n{}",
        logs(cluster)
    );
    let hb_log = cluster.heartbeat_log(HB);
    for trouble in HEARTBEAT_TROUBLE {
        assert!(
            !hb_log.contains(trouble),
            "heartbeat logged '{trouble}'\n{}",
            logs(cluster)
        );
    }
    assert!(
        hb_log.contains("flow control disabled"),
        "heartbeat did not turn flow control off\n{}",
        logs(cluster)
    );
    let ha_log = cluster.log(HA);
    assert!(
        !ha_log.contains("rejected"),
        "ha-node rejected packets\n{}",
        logs(cluster)
    );
    eprintln!("{samples} samples, none with two holders");
}

/// heartbeat's auto_failback on with heartbeat as the preferred node: its
/// group comes back to it whenever it returns, through heartbeat's own
/// hand-over (ha-node asks `info=me`, heartbeat agrees, ha-node releases,
/// heartbeat acquires); started together or one after the other.
#[test]
fn auto_failback_returns_the_group_to_a_heartbeat_node() {
    let mut cluster = mixed_pair_with("hn-mixfb", "on", HB);
    let watch = TwoHolders::watch(&cluster);

    // ha-node alone takes heartbeat's group; heartbeat comes and gets it back.
    cluster.start(HA).unwrap();
    wait_holder(&cluster, HA, "ha-node alone takes the group");
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat joins ha-node");
    wait_holder(&cluster, HB, "the group fails back to heartbeat");
    keeps_it(&cluster, HB, "after failback", Duration::from_secs(2));

    // heartbeat killed: ha-node takes over; heartbeat back: failback.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    wait_holder(&cluster, HA, "ha-node takes over a crashed heartbeat");
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "the group fails back after a crash");
    keeps_it(
        &cluster,
        HB,
        "after the second failback",
        Duration::from_secs(2),
    );

    // ha-node restarted while heartbeat holds the group: it leaves it there.
    cluster.kill(HA).unwrap();
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node back");
    keeps_it(&cluster, HB, "ha-node restarted", Duration::from_secs(3));

    // heartbeat stops gracefully: ha-node takes over, and gives it back.
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop within {SETTLE:?}\n{}",
        logs(&cluster)
    );
    wait_holder(&cluster, HA, "ha-node takes over a stopped heartbeat");
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "the group fails back after a stop");
    stop_ha_node(&mut cluster);
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );
    // Each failback went through heartbeat's hand-over, as heartbeat
    // itself logs it.
    let hb_log = cluster.heartbeat_log(HB);
    let acquired = hb_log
        .matches("standby: acquire [foreign] resources from node-b")
        .count();
    assert!(acquired >= 3, "{acquired} hand-overs\n{}", logs(&cluster));
    check_pair(&cluster, watch);
}

/// auto_failback on with ha-node as the preferred node: heartbeat, holding
/// ha-node's group after a takeover, hands it back by itself when ha-node
/// returns (heartbeat's PerformAutoFailback asks `info=me`).
#[test]
fn auto_failback_returns_the_group_to_an_ha_node() {
    let mut cluster = mixed_pair_with("hn-mixfb2", "on", HA);
    let watch = TwoHolders::watch(&cluster);

    // heartbeat alone takes ha-node's group; ha-node comes and gets it back.
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes the group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    wait_holder(&cluster, HA, "the group fails back to ha-node");
    keeps_it(&cluster, HA, "after failback", Duration::from_secs(2));

    // ha-node's host crashes: heartbeat takes over; ha-node back: failback.
    crash_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a killed ha-node");
    cluster.start(HA).unwrap();
    wait_holder(&cluster, HA, "the group fails back after a kill");
    keeps_it(
        &cluster,
        HA,
        "after the second failback",
        Duration::from_secs(2),
    );

    // heartbeat restarted while ha-node holds the group: it leaves it there.
    cluster.crash_heartbeat(HB, VIP_CIDR).unwrap();
    cluster.start_heartbeat(HB).unwrap();
    wait_pair_up(&cluster, "heartbeat back");
    keeps_it(&cluster, HA, "heartbeat restarted", Duration::from_secs(3));

    stop_ha_node(&mut cluster);
    wait_holder(&cluster, HB, "heartbeat takes over a stopped ha-node");
    assert!(
        cluster.stop_heartbeat(HB, SETTLE).unwrap(),
        "heartbeat did not stop alone\n{}",
        logs(&cluster)
    );
    let hb_log = cluster.heartbeat_log(HB);
    let handed = hb_log
        .matches("standby: node-b can take our foreign resources")
        .count();
    assert!(handed >= 2, "{handed} hand-overs\n{}", logs(&cluster));
    check_pair(&cluster, watch);
}

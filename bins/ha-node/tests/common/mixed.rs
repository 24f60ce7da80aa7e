//! The bed of a rolling upgrade's mixed pair: real heartbeat 3.0.6
//! (Debian's package `heartbeat`) as node-a and `ha-node` as node-b, with
//! the same ha.cf (heartbeat's own lines on both), authkeys (sha1) and
//! haresources (one IPaddr group, [`VIP_CIDR`]); what every mixed-pair
//! test watches (never two holders, sampled every 10 ms) and checks at
//! its end (heartbeat's log, ha-node's).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{cluster, holds_throughout, holds_vip, state_seen, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::heartbeat;

/// heartbeat's node.
pub const HB: Node = Node::A;
/// ha-node's node.
pub const HA: Node = Node::B;
/// The group's address, as IPaddr is given it.
pub const VIP_CIDR: &str = "10.77.0.100/24";
/// The medium of the pair unless a test says otherwise.
pub const MCAST: &str = "mcast eth0 239.192.77.1 694 1 0";
/// Long enough for initdead (2 s), a start of IPaddr and heartbeat's
/// slower start-up.
pub const SETTLE: Duration = Duration::from_secs(20);
/// heartbeat's standby script.
pub const HB_STANDBY: &str = "/usr/share/heartbeat/hb_standby";
/// heartbeat's takeover script.
pub const HB_TAKEOVER: &str = "/usr/share/heartbeat/hb_takeover";

/// Lines of heartbeat's log that say the pair does not work: its history
/// of unacknowledged messages filling up, its clients paused for it, a
/// shutdown waiting for communication that never comes up, a client
/// unable to sign on.
pub const HEARTBEAT_TROUBLE: &[&str] = &[
    "hist queue",
    "clients are now paused",
    "Shutdown delayed until Communication is up",
    "Cannot signon",
];

/// Lines of heartbeat's log that say a standby or takeover went wrong:
/// a request it ignored, or one nobody answered.
pub const STANDBY_TROUBLE: &[&str] = &[
    "Ignored standby message",
    "ignored.  Other side is in flux",
    "ignored.  local resources in flux",
    "new request from",
    "No reply to standby request",
    "go_standby: other is unstable",
];

/// Lines of heartbeat's log that say its audit of who holds which kind of
/// group (`local`, `foreign`) found none or two holders.
pub const AUDIT_TROUBLE: &[&str] = &[
    "No one owns our local resources!",
    "No one owns foreign resources!",
    "Both machines own our resources!",
    "Both machines own foreign resources!",
];

/// The spec of a mixed pair over [`MCAST`] with `auto_failback` as given
/// and the group preferring `preferred`.
pub fn spec(auto_failback: &str, preferred: Node) -> ClusterSpec {
    assert!(
        heartbeat::installed(),
        "heartbeat 3.0.6 is not installed: apt-get install heartbeat (see the README)"
    );
    let mut spec = ClusterSpec::fast(BINARY);
    spec.media = [vec![MCAST.into()], vec![MCAST.into()]];
    spec.auto_failback = auto_failback.into();
    spec.haresources = format!("{} IPaddr::{VIP_CIDR}/eth0\n", preferred.name());
    spec.private_mounts = Some(heartbeat::private_dirs());
    spec
}

/// The bed of `spec`, heartbeat's own ha.cf lines added to ha-node's.
pub fn pair(tag: &str, spec: ClusterSpec) -> TwoNodeCluster {
    let cluster = cluster(tag, spec);
    let ha_cf = cluster.config_dir(HA).join("ha.cf");
    let mut text = fs::read_to_string(&ha_cf).unwrap();
    text.push_str("use_logd no\nlogfacility none\ncrm off\n");
    fs::write(&ha_cf, text).unwrap();
    cluster
}

/// Samples both nodes every 10 ms in a thread of its own and counts the
/// samples in which both hold the virtual IP.
pub struct TwoHolders {
    stop: Arc<AtomicBool>,
    both: Arc<AtomicUsize>,
    samples: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TwoHolders {
    /// Starts sampling `cluster`'s nodes.
    pub fn watch(cluster: &TwoNodeCluster) -> Self {
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

    /// Samples with two holders so far.
    pub fn both(&self) -> usize {
        self.both.load(Ordering::Relaxed)
    }

    /// (samples with two holders, samples in all).
    pub fn finish(mut self) -> (usize, usize) {
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

impl Drop for TwoHolders {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The last lines of both nodes' logs and outputs, for a failure message.
pub fn logs(cluster: &TwoNodeCluster) -> String {
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

/// Waits up to [`SETTLE`] for `check`, or fails with both logs.
pub fn wait(cluster: &TwoNodeCluster, what: &str, check: impl FnMut(&TwoNodeCluster) -> bool) {
    if cluster.wait_until(SETTLE, check).is_none() {
        panic!("{what}: not within {SETTLE:?}\n{}", logs(cluster));
    }
}

/// Waits until only `holder` has the address.
pub fn wait_holder(cluster: &TwoNodeCluster, holder: Node, what: &str) {
    wait(cluster, what, |c| {
        holds_vip(c, holder) && !holds_vip(c, holder.other())
    });
}

/// Each side sees the other active: ha-node in its status, heartbeat
/// through `cl_status`, which signs on to it.
pub fn wait_pair_up(cluster: &TwoNodeCluster, what: &str) {
    wait(cluster, what, |c| {
        state_seen(c, HA, HB).as_deref() == Some("active")
            && c.cl_status(HB, &["nodestatus", HA.name()])
                .is_ok_and(|s| s.trim() == "active")
    });
}

/// Fails unless `holder` keeps the address, alone, for `hold`.
pub fn keeps_it(cluster: &TwoNodeCluster, holder: Node, what: &str, hold: Duration) {
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

/// SIGTERM to ha-node; fails unless it exits within 10 s.
pub fn stop_ha_node(cluster: &mut TwoNodeCluster) {
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

/// ha-node's host crashes: its process is killed and its address goes
/// with the host.
pub fn crash_ha_node(cluster: &mut TwoNodeCluster) {
    cluster.kill(HA).unwrap();
    if cluster.holds_vip(HA).unwrap() {
        cluster.host(HA).del_address("eth0", VIP_CIDR).unwrap();
    }
}

/// Runs heartbeat's `script ARGS` inside heartbeat's node, as an operator
/// there would; fails unless it exits 0.
pub fn heartbeat_script(cluster: &TwoNodeCluster, script: &str, args: &[&str]) {
    let output = cluster
        .host(HB)
        .command(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run heartbeat's {script}: {e}"));
    assert!(
        output.status.success(),
        "{script} {args:?}: {:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `ha-node ARGS --socket SOCKET` against ha-node's node; fails
/// unless it exits 0. Its stdout.
pub fn ha_node_command(cluster: &TwoNodeCluster, args: &[&str]) -> String {
    let socket = cluster.socket(HA);
    let output = Command::new(Path::new(BINARY))
        .args(args)
        .arg("--socket")
        .arg(&socket)
        .output()
        .unwrap_or_else(|e| panic!("run ha-node {args:?}: {e}"));
    assert!(
        output.status.success(),
        "ha-node {args:?}: {:?}\n{}{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        logs(cluster)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The lines of heartbeat's log that contain any of `words`.
pub fn heartbeat_lines_with(cluster: &TwoNodeCluster, words: &[&str]) -> Vec<String> {
    cluster
        .heartbeat_log(HB)
        .lines()
        .filter(|l| words.iter().any(|w| l.contains(w)))
        .map(str::to_string)
        .collect()
}

/// The lines of heartbeat's log at level WARN, ERROR or CRIT, printed for
/// the record.
pub fn heartbeat_complaints(cluster: &TwoNodeCluster) -> Vec<String> {
    let lines = heartbeat_lines_with(cluster, &["WARN:", "ERROR:", "CRIT:"]);
    for line in &lines {
        eprintln!("heartbeat complained: {line}");
    }
    lines
}

/// What every mixed-pair run must show at its end: never two holders,
/// no flow-control trouble in heartbeat's log, flow control off, and no
/// packet of heartbeat's rejected by ha-node.
pub fn check_pair(cluster: &TwoNodeCluster, watch: TwoHolders) {
    let (both, samples) = watch.finish();
    assert!(samples > 200, "only {samples} samples");
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
    heartbeat_complaints(cluster);
    eprintln!("{samples} samples, none with two holders");
}

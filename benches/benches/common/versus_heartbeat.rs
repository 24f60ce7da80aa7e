//! What the benches of ha-node against heartbeat 3.0.6 share: the daemons
//! compared, bringing a pair back up and settled before a sample, and the
//! panic that ends a run with the pair's evidence.

use std::time::Duration;

use ha_lab::cluster::Node;
use ha_lab::daemon_pair::{Daemon, DaemonPair};
use ha_lab::versus_heartbeat::HEARTBEAT_PATIENCE;
use ha_lab::{heartbeat, Watcher};

/// How long the pair is left alone once settled before the fault.
pub const QUIET: Duration = Duration::from_secs(1);

use super::summary::Summary;

/// The daemons to compare: ha-node, and heartbeat when it is installed
/// (else `summary` says its lines were skipped).
pub fn daemons(summary: &mut Summary) -> Vec<Daemon> {
    let mut daemons = vec![Daemon::HaNode];
    if heartbeat::installed() {
        daemons.push(Daemon::Heartbeat);
    } else {
        summary.skip(&format!(
            "heartbeat lines: {} not found (apt-get install heartbeat); measuring ha-node only",
            heartbeat::HEARTBEAT
        ));
    }
    daemons
}

/// Starts whichever of the pair's daemons is down, node-b first, so that
/// node-a comes back as the preferred owner.
fn start_whatever_is_down(pair: &mut DaemonPair) {
    for node in [Node::B, Node::A] {
        if !pair.is_running(node) {
            pair.start(node)
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.name()));
        }
    }
}

/// Starts whatever is down and waits until the pair `is_settled` and the
/// client is then served by node-a; `false` if that does not happen within
/// the patience.
pub fn bring_up(
    pair: &mut DaemonPair,
    client: &Watcher,
    is_settled: impl Fn(&DaemonPair) -> bool,
) -> bool {
    start_whatever_is_down(pair);
    pair.cluster()
        .wait_until(HEARTBEAT_PATIENCE, |_| is_settled(pair))
        .and_then(|t| client.wait_for_reply_after(t, "A", HEARTBEAT_PATIENCE))
        .is_some()
}

/// Leaves the settled pair alone for [`QUIET`], then ends the run if it
/// did not stay settled.
pub fn stay_settled(pair: &DaemonPair, is_settled: impl Fn(&DaemonPair) -> bool) {
    std::thread::sleep(QUIET);
    if !is_settled(pair) {
        fail(pair, "the pair did not stay settled");
    }
}

/// Ends the run: `what` went wrong with `pair`, with the last lines of its
/// daemons' logs.
pub fn fail(pair: &DaemonPair, what: &str) -> ! {
    panic!("{} pair: {what}\n{}", pair.name(), pair.evidence(40))
}

//! What the benches of ha-node against heartbeat 3.0.6 share: the daemons
//! compared, bringing a pair back up before a sample, and the panic that
//! ends a run with the pair's evidence.

use ha_lab::cluster::Node;
use ha_lab::daemon_pair::{Daemon, DaemonPair};
use ha_lab::heartbeat;

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
pub fn start_whatever_is_down(pair: &mut DaemonPair) {
    for node in [Node::B, Node::A] {
        if !pair.is_running(node) {
            pair.start(node)
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.name()));
        }
    }
}

/// Ends the run: `what` went wrong with `pair`, with the last lines of its
/// daemons' logs.
pub fn fail(pair: &DaemonPair, what: &str) -> ! {
    panic!(
        "{} pair: {what}\n{}",
        pair.daemon().name(),
        pair.evidence(40)
    )
}

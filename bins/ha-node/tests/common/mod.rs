//! Helpers shared by the end-to-end tests that drive real `ha-node`
//! processes in a [`TwoNodeCluster`]: reading a node's status, waiting for
//! a view to settle, and checking that a condition holds for a whole period.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

pub mod mixed;
pub mod sched;
pub mod vs_heartbeat;

use std::time::{Duration, Instant};

use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use serde_json::Value;

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

/// One millisecond.
pub const MS: Duration = Duration::from_millis(1);

/// A cluster with unique namespaces, or a clear panic if the machine cannot host one.
pub fn cluster(tag: &str, spec: ClusterSpec) -> TwoNodeCluster {
    TwoNodeCluster::new(tag, spec).expect("lab (needs root, iproute2, nftables)")
}

/// `ha-node status --json` of `node`, parsed; `None` if it does not answer.
pub fn status(cluster: &TwoNodeCluster, node: Node) -> Option<Value> {
    let text = cluster.status_json(node).ok()?;
    serde_json::from_str(&text).ok()
}

/// The entry `viewer` has for `node` in its status.
fn node_entry(cluster: &TwoNodeCluster, viewer: Node, node: Node) -> Option<Value> {
    let status = status(cluster, viewer)?;
    status["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["name"] == node.name())
        .cloned()
}

/// The state (`init`, `up`, `active`, `dead`) `viewer` sees `node` in.
pub fn state_seen(cluster: &TwoNodeCluster, viewer: Node, node: Node) -> Option<String> {
    node_entry(cluster, viewer, node)?["state"]
        .as_str()
        .map(str::to_string)
}

/// The state and generation `viewer` sees `node` in, from one status reply.
pub fn view_of(cluster: &TwoNodeCluster, viewer: Node, node: Node) -> Option<(String, u64)> {
    let entry = node_entry(cluster, viewer, node)?;
    Some((
        entry["state"].as_str()?.to_string(),
        entry["generation"].as_u64()?,
    ))
}

/// Who `viewer` says owns the (only) resource group.
pub fn owner_seen(cluster: &TwoNodeCluster, viewer: Node) -> Option<String> {
    let status = status(cluster, viewer)?;
    status["groups"][0]["owner"].as_str().map(str::to_string)
}

/// The link state `node` reports for its medium whose name starts with `prefix`.
pub fn medium_link(cluster: &TwoNodeCluster, node: Node, prefix: &str) -> Option<String> {
    let status = status(cluster, node)?;
    status["media"]
        .as_array()?
        .iter()
        .find(|m| m["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .and_then(|m| m["link"].as_str().map(str::to_string))
}

/// Whether a node's host carries the virtual IP (a failed look-up counts as no).
pub fn holds_vip(cluster: &TwoNodeCluster, node: Node) -> bool {
    cluster.holds_vip(node).unwrap_or(false)
}

/// Whether the client reaches `node` on the virtual IP.
pub fn served_by(cluster: &TwoNodeCluster, node: Node) -> bool {
    cluster
        .client()
        .probe_tcp(cluster.vip(), 500 * MS)
        .ok()
        .flatten()
        .as_deref()
        == Some(node.reply())
}

/// Both nodes' output, for failure messages.
pub fn outputs(cluster: &TwoNodeCluster) -> String {
    format!(
        "--- node-a ---\n{}\n--- node-b ---\n{}",
        cluster.output(Node::A),
        cluster.output(Node::B)
    )
}

/// Waits until each node sees the other active and node-a holds the VIP.
pub fn wait_settled(cluster: &TwoNodeCluster) {
    let settled = cluster.wait_until(Duration::from_secs(10), |c| {
        state_seen(c, Node::A, Node::B).as_deref() == Some("active")
            && state_seen(c, Node::B, Node::A).as_deref() == Some("active")
            && holds_vip(c, Node::A)
    });
    assert!(
        settled.is_some(),
        "cluster did not settle\n{}",
        outputs(cluster)
    );
}

/// Starts both nodes and waits until they have settled.
pub fn start_both(cluster: &mut TwoNodeCluster) {
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    wait_settled(cluster);
}

/// Checks `check` again and again for `period` (pausing `every` between
/// checks) and fails on the first check that does not hold, saying when.
/// Returns the number of checks made, so callers can insist there were enough.
pub fn holds_throughout(
    period: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<(), String>,
) -> Result<usize, String> {
    let start = Instant::now();
    let mut checks = 0;
    while start.elapsed() < period {
        check().map_err(|what| format!("after {} ms: {what}", start.elapsed().as_millis()))?;
        checks += 1;
        std::thread::sleep(every);
    }
    Ok(checks)
}

/// Fails unless each node sees the other active, node-a keeping the VIP
/// and node-b never taking it, at every check (every `every`) for `hold`;
/// returns how many checks were made.
pub fn both_stay_active(
    cluster: &TwoNodeCluster,
    hold: Duration,
    every: Duration,
    what: &str,
) -> usize {
    holds_throughout(hold, every, || {
        for (viewer, node) in [(Node::A, Node::B), (Node::B, Node::A)] {
            let state = state_seen(cluster, viewer, node);
            if state.as_deref() != Some("active") {
                return Err(format!(
                    "{} sees {} as {state:?}",
                    viewer.name(),
                    node.name()
                ));
            }
        }
        if !holds_vip(cluster, Node::A) || holds_vip(cluster, Node::B) {
            return Err("the VIP moved".into());
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{what}: {e}\n{}", outputs(cluster)))
}

//! `/metrics` of a running node, when `--metrics-listen` asks for it: what
//! `ha-node status` shows, as Prometheus metrics named `ha_node_*`.
//!
//! Each scrape asks the membership driver for a snapshot the way the
//! control socket's `status` does (the loop answers it between two
//! messages; the listener, the rendering and the HTTP work run on the
//! node's main runtime, never in the loop) and adds the resources' fail
//! counts from the groups. Counters count since the node started.
//!
//! Labels: `node` (a cluster node, as ha.cf names it), `medium` (as ha.cf
//! writes the medium line, e.g. `bcast eth0`), `group` (the haresources
//! group, as `status` names it), `cause` (a takeover's cause, a release's
//! reason, a rejection's cause), `state`, `ping_node`, `resource`,
//! `result`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ha_daemon::metrics::{state_samples, Exposition, Family};
use ha_membership::driver::{DriverHandle, Snapshot, GAP_BUCKETS};
use ha_resources::group::ResourceStatus;
use tokio::net::TcpListener;

use crate::groups::Groups;

/// How long a scrape waits for the driver's snapshot.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);

/// Every state a node can be in, as `status` writes them.
const NODE_STATES: [&str; 4] = ["init", "up", "active", "dead"];
/// Every state a group can be in on this node.
const GROUP_STATES: [&str; 6] = [
    "stopped",
    "starting",
    "running",
    "stopping",
    "failed",
    "stop-failed",
];
/// Every state of a ping node.
const PING_STATES: [&str; 3] = ["init", "up", "dead"];

/// Binds the metrics listener.
pub async fn listen(addr: SocketAddr) -> Result<TcpListener, String> {
    ha_daemon::http::bind(addr).await.map_err(|e| e.to_string())
}

/// Answers scrapes until aborted.
pub async fn serve(listener: TcpListener, driver: DriverHandle, groups: Arc<Groups>) {
    ha_daemon::http::serve(listener, move || {
        let (driver, groups) = (driver.clone(), groups.clone());
        async move {
            let snapshot = tokio::time::timeout(SNAPSHOT_TIMEOUT, driver.status())
                .await
                .map_err(|_| "the membership loop did not answer in 5 s".to_string())?
                .ok_or_else(|| "the node is stopping".to_string())?;
            exposition(&snapshot, &groups.status())
                .render()
                .map_err(|e| e.to_string())
        }
    })
    .await;
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The metrics of a snapshot and of the resources' status.
pub fn exposition(s: &Snapshot, resources: &[(String, Vec<ResourceStatus>)]) -> Exposition {
    let mut out = Exposition::new();
    let h = &s.history;
    let local = s.local.as_str();

    let mut f = Family::gauge(
        "ha_node_uptime_seconds",
        "Seconds since this node's membership loop started.",
    );
    f.sample(&[("node", local)], seconds(h.uptime));
    out.add(f);
    let mut f = Family::gauge("ha_node_deadtime_seconds", "ha.cf's deadtime.");
    f.sample(&[], seconds(h.deadtime));
    out.add(f);
    let mut f = Family::gauge("ha_node_warntime_seconds", "ha.cf's warntime.");
    f.sample(&[], seconds(h.warntime));
    out.add(f);

    // Nodes.
    let mut state = Family::gauge(
        "ha_node_node_state",
        "1 for the state each node is in as this node sees it (init, up, active, dead), else 0.",
    );
    let mut generation = Family::gauge(
        "ha_node_node_generation",
        "Each node's generation (bumped at each of its starts).",
    );
    let mut heard = Family::gauge(
        "ha_node_node_last_heard_seconds",
        "Seconds since each peer was last heard (peers heard at least once).",
    );
    for n in &s.nodes {
        state_samples(
            &mut state,
            &[("node", &n.name)],
            &NODE_STATES,
            n.state.as_str(),
        );
        generation.sample(&[("node", &n.name)], n.generation as f64);
        if let Some(silent) = n.silent_for.filter(|_| !n.local) {
            heard.sample(&[("node", &n.name)], seconds(silent));
        }
    }
    out.add(state);
    out.add(generation);
    out.add(heard);

    // Media and heartbeats.
    let mut up = Family::gauge(
        "ha_node_medium_up",
        "1 when the medium's link is up, 0 when it reports itself down.",
    );
    for m in &s.media {
        up.sample(
            &[("medium", &m.name)],
            if m.link == "up" { 1.0 } else { 0.0 },
        );
    }
    out.add(up);
    let mut sent = Family::counter(
        "ha_node_messages_sent_total",
        "Messages (heartbeats and others) this node sent on each medium.",
    );
    let mut failed = Family::counter(
        "ha_node_messages_send_failures_total",
        "Messages a medium failed to send.",
    );
    for m in &h.sends {
        sent.sample(&[("medium", &m.medium)], m.sent as f64);
        failed.sample(&[("medium", &m.medium)], m.failed as f64);
    }
    out.add(sent);
    out.add(failed);
    let mut received = Family::counter(
        "ha_node_messages_received_total",
        "Authentic messages received from each peer on each medium.",
    );
    let mut late = Family::counter(
        "ha_node_heartbeats_late_total",
        "Gaps between two messages of a peer on a medium longer than warntime.",
    );
    let mut gaps = Family::histogram(
        "ha_node_heartbeat_interarrival_seconds",
        "Gaps between consecutive messages of a peer on a medium (restarts and goodbyes left out).",
    );
    let mut silence = Family::gauge(
        "ha_node_peer_longest_silence_seconds",
        "Each peer's longest silence on all media at once (what deadtime sees), the one going on included.",
    );
    for p in &h.peers {
        silence.sample(&[("node", &p.node)], seconds(p.longest_silence));
        for l in &p.links {
            let labels = [("node", p.node.as_str()), ("medium", l.medium.as_str())];
            received.sample(&labels, l.received as f64);
            late.sample(&labels, l.late as f64);
            let buckets: Vec<(f64, u64)> = GAP_BUCKETS
                .iter()
                .zip(&l.histogram.cumulative)
                .map(|(ms, n)| (*ms as f64 / 1000.0, *n))
                .collect();
            gaps.histogram_sample(
                &labels,
                &buckets,
                seconds(l.histogram.sum),
                l.histogram.count,
            );
        }
    }
    out.add(received);
    out.add(late);
    out.add(gaps);
    out.add(silence);
    let mut rejected = Family::counter(
        "ha_node_messages_rejected_total",
        "Datagrams and messages rejected, by cause (auth, malformed, replay, unknown-node, duplicate, after-shutdown).",
    );
    for (cause, n) in &h.rejected {
        rejected.sample(&[("cause", cause.as_str())], *n as f64);
    }
    out.add(rejected);

    // Groups.
    let mut group_state = Family::gauge(
        "ha_node_group_state",
        "1 for the state each resource group is in on this node, else 0.",
    );
    let mut owner = Family::gauge(
        "ha_node_group_owner",
        "1 for the node holding each resource group as this node sees it, else 0.",
    );
    let mut preferred = Family::gauge(
        "ha_node_group_preferred",
        "1 for each resource group's preferred node, else 0.",
    );
    for g in &s.groups {
        state_samples(
            &mut group_state,
            &[("group", &g.id)],
            &GROUP_STATES,
            g.local_state.as_str(),
        );
        for node in &s.node_order {
            let labels = [("group", g.id.as_str()), ("node", node.as_str())];
            let holds = g.owner.as_deref() == Some(node.as_str());
            owner.sample(&labels, if holds { 1.0 } else { 0.0 });
            preferred.sample(&labels, if g.preferred == *node { 1.0 } else { 0.0 });
        }
    }
    out.add(group_state);
    out.add(owner);
    out.add(preferred);
    let mut takeovers = Family::counter(
        "ha_node_takeovers_total",
        "Resource groups this node was asked to start, by cause.",
    );
    for (cause, n) in &h.takeovers {
        takeovers.sample(&[("cause", cause.as_str())], *n as f64);
    }
    out.add(takeovers);
    let mut releases = Family::counter(
        "ha_node_releases_total",
        "Resource groups this node was asked to stop, by cause.",
    );
    for (reason, n) in &h.releases {
        releases.sample(&[("cause", reason.as_str())], *n as f64);
    }
    out.add(releases);
    let mut f = Family::counter(
        "ha_node_group_conflicts_total",
        "Resource groups seen held by two nodes or more at once.",
    );
    f.sample(&[], h.conflicts as f64);
    out.add(f);
    let mut f = Family::counter(
        "ha_node_group_failures_total",
        "Actions on resource groups (start, stop, monitor) that failed on this node.",
    );
    f.sample(&[], h.group_failures as f64);
    out.add(f);
    let mut fail_count = Family::gauge(
        "ha_node_resource_monitor_failures",
        "Monitor failures of each resource that still count (within its failure-timeout).",
    );
    for (group, statuses) in resources {
        for r in statuses {
            fail_count.sample(
                &[("group", group.as_str()), ("resource", r.resource.as_str())],
                f64::from(r.fail_count),
            );
        }
    }
    out.add(fail_count);

    // Ping nodes and fencing.
    let mut ping = Family::gauge(
        "ha_node_ping_node_state",
        "1 for the state each ping node or ping group is in (init, up, dead), else 0.",
    );
    for p in &s.ping_nodes {
        state_samples(
            &mut ping,
            &[("ping_node", &p.name)],
            &PING_STATES,
            p.state.as_str(),
        );
    }
    out.add(ping);
    let mut pending = Family::gauge(
        "ha_node_fence_pending",
        "Attempts made so far to fence each dead node whose groups wait for it.",
    );
    for f in &s.fences {
        pending.sample(&[("node", &f.node)], f64::from(f.attempts));
    }
    out.add(pending);
    let mut fences = Family::counter(
        "ha_node_fence_attempts_total",
        "Fence attempts by result (started, succeeded, failed, cancelled).",
    );
    for (result, n) in &h.fences {
        fences.sample(&[("result", result)], *n as f64);
    }
    out.add(fences);

    // This node itself.
    let mut f = Family::counter(
        "ha_node_stalls_total",
        "Times this node's own loop ran late (stalled).",
    );
    f.sample(&[], h.stalls as f64);
    out.add(f);
    let mut f = Family::gauge(
        "ha_node_longest_stall_seconds",
        "The longest of those stalls.",
    );
    f.sample(&[], seconds(h.longest_stall));
    out.add(f);
    out
}

//! The head of `ha-node status`: a summary in the shape of Pacemaker's
//! `crm_mon` (`Cluster Summary:`, `Node List:`, `Active Resources:`, and
//! when there are any `Inactive Resources:`, `Failed Resource Actions:`
//! and `Pending Fencing Actions:`), so that an operator who knows
//! Pacemaker reads it at a glance. The detail follows it (the report's
//! own text).
//!
//! Nodes are `Online` when active, `OFFLINE` when dead, and `pending`
//! while joining (`init` or `up`). A group held by this node shows each
//! resource's own state here; a group a peer holds shows its resources
//! `Started` on that peer, as this node knows them from the peer's
//! heartbeats.

use std::fmt::Write as _;

use crate::control::{GroupReport, ResourceReport, StatusReport};

/// The summary of `report`, as of `unix_ms` (wall clock, for the
/// `Last updated` line only).
pub fn summary(report: &StatusReport, unix_ms: u64) -> String {
    let mut text = String::from("Cluster Summary:\n");
    let local_state = report
        .nodes
        .iter()
        .find(|n| n.local)
        .map_or("unknown", |n| n.state.as_str());
    let generation = report
        .nodes
        .iter()
        .find(|n| n.local)
        .map_or(0, |n| n.generation);
    let media_up = report.media.iter().filter(|m| m.link == "up").count();
    let resources: usize = report.groups.iter().map(|g| g.resources.len()).sum();
    let _ = writeln!(text, "  * Stack: heartbeat (ha-node)");
    let _ = writeln!(
        text,
        "  * Current node: {} (generation {generation}) - {local_state}",
        report.node
    );
    let _ = writeln!(
        text,
        "  * Last updated: {} on {}",
        crate::control::utc(unix_ms),
        report.node
    );
    let _ = writeln!(text, "  * {} configured", count(report.nodes.len(), "node"));
    let _ = writeln!(
        text,
        "  * {} configured ({})",
        count(report.groups.len(), "resource group"),
        count(resources, "resource instance")
    );
    let _ = writeln!(
        text,
        "  * {media_up} of {} up",
        count(report.media.len(), "medium").replace("mediums", "media")
    );
    text += "\nNode List:\n";
    text += &node_list(report);
    let (active, inactive): (Vec<&GroupReport>, Vec<&GroupReport>) =
        report.groups.iter().partition(|g| g.owner.is_some());
    text += "\nActive Resources:\n";
    if active.is_empty() {
        text += "  * No active resources\n";
    }
    for group in active {
        text += &group_lines(group, &report.node);
    }
    if !inactive.is_empty() {
        text += "\nInactive Resources:\n";
        for group in inactive {
            text += &group_lines(group, &report.node);
        }
    }
    let failed: Vec<String> = report
        .groups
        .iter()
        .flat_map(|g| &g.resources)
        .filter_map(|r| failed_action(r, &report.node))
        .collect();
    if !failed.is_empty() {
        text += "\nFailed Resource Actions:\n";
        for line in failed {
            let _ = writeln!(text, "  * {line}");
        }
    }
    if !report.fences.is_empty() {
        text += "\nPending Fencing Actions:\n";
        for fence in &report.fences {
            let now = match (fence.running, fence.retry_in_ms) {
                (true, _) => "running".to_string(),
                (false, Some(ms)) => format!("next attempt in {ms} ms"),
                (false, None) => "waiting".to_string(),
            };
            let _ = writeln!(
                text,
                "  * reset of {} pending: origin={}, attempts={}, {now}",
                fence.node, report.node, fence.attempts
            );
        }
    }
    text
}

/// `1 node`, `2 nodes`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `Online: [ ... ]`, `OFFLINE: [ ... ]` and one line per joining node,
/// in ha.cf order.
fn node_list(report: &StatusReport) -> String {
    let mut nodes: Vec<_> = report.nodes.iter().collect();
    let position = |name: &str| {
        report
            .node_order
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX)
    };
    nodes.sort_by_key(|n| position(&n.name));
    let named = |state: &str| -> Vec<&str> {
        nodes
            .iter()
            .filter(|n| n.state == state)
            .map(|n| n.name.as_str())
            .collect()
    };
    let mut text = String::new();
    let online = named("active");
    if !online.is_empty() {
        let _ = writeln!(text, "  * Online: [ {} ]", online.join(" "));
    }
    for node in nodes
        .iter()
        .filter(|n| n.state == "init" || n.state == "up")
    {
        let _ = writeln!(text, "  * Node {}: pending ({})", node.name, node.state);
    }
    let offline = named("dead");
    if !offline.is_empty() {
        let _ = writeln!(text, "  * OFFLINE: [ {} ]", offline.join(" "));
    }
    text
}

/// A group's heading and one line per resource.
fn group_lines(group: &GroupReport, local: &str) -> String {
    let mut text = format!("  * Resource Group: {}:\n", group.id);
    let held_here = group.owner.as_deref() == Some(local);
    if group.resources.is_empty() {
        let _ = writeln!(text, "    * (no resource listed)");
    }
    for resource in &group.resources {
        let state = match (&group.owner, held_here) {
            (Some(_), true) | (None, _) => local_state(resource, local),
            (Some(owner), false) => format!("Started {owner}"),
        };
        let _ = writeln!(text, "    * {}:\t {state}", resource.resource);
    }
    text
}

/// A resource's state on this node in crm_mon's words.
fn local_state(resource: &ResourceReport, local: &str) -> String {
    match resource.state.as_str() {
        "running" => format!("Started {local}"),
        "starting" => format!("Starting {local}"),
        "stopping" => format!("Stopping {local}"),
        "failed" => format!("FAILED {local}"),
        _ => "Stopped".to_string(),
    }
}

/// `NAME ACTION on NODE: RESULT (N ms)` when the resource's last action
/// here failed.
fn failed_action(resource: &ResourceReport, local: &str) -> Option<String> {
    let result = resource.last_result.as_deref()?;
    if result == "ok" {
        return None;
    }
    let action = resource.last_action.as_deref().unwrap_or("action");
    let took = resource
        .last_duration_ms
        .map_or_else(String::new, |ms| format!(" ({ms} ms)"));
    Some(format!(
        "{} {action} on {local}: {result}{took}",
        resource.resource
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{FenceReport, HistoryReport, MediumReport, NodeReport};

    fn node(name: &str, state: &str, local: bool) -> NodeReport {
        NodeReport {
            name: name.into(),
            state: state.into(),
            local,
            last_heard_ms_ago: None,
            generation: 4,
            ping_nodes_up: None,
        }
    }

    fn resource(name: &str, state: &str, last: Option<(&str, &str)>) -> ResourceReport {
        ResourceReport {
            resource: name.into(),
            how: "native".into(),
            state: state.into(),
            last_action: last.map(|(a, _)| a.into()),
            last_result: last.map(|(_, r)| r.into()),
            last_duration_ms: last.map(|_| 12),
            fail_count: 0,
            monitor_interval_ms: None,
            probed: None,
            output: Vec::new(),
        }
    }

    fn group(id: &str, owner: Option<&str>, resources: Vec<ResourceReport>) -> GroupReport {
        GroupReport {
            id: id.into(),
            preferred: "node-a".into(),
            owner: owner.map(Into::into),
            local_state: "running".into(),
            resources,
        }
    }

    fn report() -> StatusReport {
        StatusReport {
            node: "node-a".into(),
            nodes: vec![
                node("node-a", "active", true),
                node("node-c", "dead", false),
                node("node-b", "active", false),
                node("node-d", "up", false),
            ],
            node_order: vec![
                "node-a".into(),
                "node-b".into(),
                "node-c".into(),
                "node-d".into(),
            ],
            media: vec![MediumReport {
                name: "bcast eth0:694".into(),
                link: "up".into(),
            }],
            groups: vec![
                group(
                    "IPaddr::10.0.0.1/24/eth0 httpd",
                    Some("node-a"),
                    vec![
                        resource("IPaddr::10.0.0.1/24/eth0", "running", Some(("start", "ok"))),
                        resource("httpd", "starting", None),
                    ],
                ),
                group(
                    "IPaddr::10.0.0.2",
                    Some("node-b"),
                    vec![resource("IPaddr::10.0.0.2", "stopped", None)],
                ),
                group(
                    "nginx",
                    None,
                    vec![resource(
                        "nginx",
                        "failed",
                        Some(("monitor", "not running")),
                    )],
                ),
            ],
            ping_nodes: Vec::new(),
            fences: vec![FenceReport {
                node: "node-c".into(),
                attempts: 2,
                running: false,
                retry_in_ms: Some(3120),
                pending_ms: 6890,
            }],
            history: HistoryReport::default(),
        }
    }

    #[test]
    fn the_summary_has_crm_mon_s_sections_in_its_order() {
        let text = summary(&report(), 951_827_696_789);
        assert_eq!(
            text,
            "Cluster Summary:
  * Stack: heartbeat (ha-node)
  * Current node: node-a (generation 4) - active
  * Last updated: 2000-02-29 12:34:56.789 UTC on node-a
  * 4 nodes configured
  * 3 resource groups configured (4 resource instances)
  * 1 of 1 medium up

Node List:
  * Online: [ node-a node-b ]
  * Node node-d: pending (up)
  * OFFLINE: [ node-c ]

Active Resources:
  * Resource Group: IPaddr::10.0.0.1/24/eth0 httpd:
    * IPaddr::10.0.0.1/24/eth0:\t Started node-a
    * httpd:\t Starting node-a
  * Resource Group: IPaddr::10.0.0.2:
    * IPaddr::10.0.0.2:\t Started node-b

Inactive Resources:
  * Resource Group: nginx:
    * nginx:\t FAILED node-a

Failed Resource Actions:
  * nginx monitor on node-a: not running (12 ms)

Pending Fencing Actions:
  * reset of node-c pending: origin=node-a, attempts=2, next attempt in 3120 ms
"
        );
    }

    #[test]
    fn a_node_holding_nothing_says_so() {
        let mut report = report();
        report.groups.clear();
        report.fences.clear();
        let text = summary(&report, 0);
        assert!(
            text.ends_with("\nActive Resources:\n  * No active resources\n"),
            "{text}"
        );
    }
}

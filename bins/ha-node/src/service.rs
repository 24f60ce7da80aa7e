//! The node under a service manager (systemd, `Type=notify`): `READY=1`
//! once the node has joined (its own state `active`: every peer heard, or
//! initdead passed), a `STATUS=` line each time what it would say changes
//! (`active, holds 1 of 2 groups, peer node-b active`), `WATCHDOG=1` at
//! half the unit's `WatchdogSec` from the membership loop itself (a hung
//! loop feeds nothing, and the manager restarts the node), and
//! `STOPPING=1` on SIGTERM. The protocol itself is ha-daemon's
//! [`Notifier`].

use ha_daemon::notify::Notifier;
use ha_membership::driver::{Driver, Summary};
use ha_membership::message::NodeState;

/// Hooks `notifier` to the membership driver: the watchdog on the loop's
/// own timer, readiness and the status line on its changes.
pub fn attach(driver: &mut Driver, notifier: &Notifier) {
    if !notifier.is_enabled() {
        return;
    }
    if let Some(period) = notifier.watchdog_period() {
        let watchdog = notifier.clone();
        driver.every(period, Box::new(move || watchdog.watchdog()));
    }
    let notifier = notifier.clone();
    let mut ready = false;
    let mut said = String::new();
    driver.on_change(Box::new(move |summary: &Summary| {
        let line = status_line(summary);
        let active = summary
            .nodes
            .first()
            .is_some_and(|n| n.state == NodeState::Active);
        if active && !ready {
            ready = true;
            notifier.ready(Some(&line));
        } else if line != said {
            notifier.status(&line);
        }
        said = line;
    }));
}

/// One line on the node: its state, the groups it holds, each peer's state
/// (`active, holds 1 of 2 groups, peer node-b active`).
pub fn status_line(summary: &Summary) -> String {
    let local = summary
        .nodes
        .iter()
        .find(|n| n.local)
        .map_or("unknown", |n| n.state.as_str());
    let held = summary
        .groups
        .iter()
        .filter(|g| g.local_state.is_held())
        .count();
    let mut line = format!(
        "{local}, holds {held} of {} group{}",
        summary.groups.len(),
        if summary.groups.len() == 1 { "" } else { "s" }
    );
    let peers: Vec<String> = summary
        .nodes
        .iter()
        .filter(|n| !n.local)
        .map(|n| format!("{} {}", n.name, n.state.as_str()))
        .collect();
    if !peers.is_empty() {
        let word = if peers.len() == 1 { "peer" } else { "peers" };
        line += &format!(", {word} {}", peers.join(", "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_membership::machine::{GroupStatus, LocalGroupState, NodeStatus};

    fn node(name: &str, state: NodeState, local: bool) -> NodeStatus {
        NodeStatus {
            name: name.into(),
            state,
            silent_for: None,
            generation: 1,
            local,
            ping_nodes: None,
        }
    }

    fn group(id: &str, local_state: LocalGroupState) -> GroupStatus {
        GroupStatus {
            id: id.into(),
            preferred: "node-a".into(),
            owner: None,
            local_state,
        }
    }

    #[test]
    fn the_status_line_names_the_state_the_groups_held_and_each_peer() {
        let summary = Summary {
            nodes: vec![
                node("node-a", NodeState::Active, true),
                node("node-b", NodeState::Active, false),
            ],
            groups: vec![
                group("IPaddr::10.0.0.1", LocalGroupState::Running),
                group("IPaddr::10.0.0.2", LocalGroupState::Stopped),
            ],
        };
        assert_eq!(
            status_line(&summary),
            "active, holds 1 of 2 groups, peer node-b active"
        );
        let summary = Summary {
            nodes: vec![
                node("node-a", NodeState::Up, true),
                node("node-b", NodeState::Init, false),
                node("node-c", NodeState::Dead, false),
            ],
            groups: vec![group("IPaddr::10.0.0.1", LocalGroupState::Starting)],
        };
        assert_eq!(
            status_line(&summary),
            "up, holds 1 of 1 group, peers node-b init, node-c dead"
        );
    }
}

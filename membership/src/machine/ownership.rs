//! Who should hold each resource group: the one rule every node applies.
//!
//! Every node evaluates the same rule on its own view of the cluster, so once
//! views agree (the network has settled) they agree on one owner:
//!
//! 1. A group nobody live holds goes to its preferred node if that node is
//!    live and has not failed to start it, else to the first such node in
//!    ha.cf's `node` order; nodes that stand by for the group (an
//!    operator's standby, the [`super::standby`] module) come after every
//!    other such node. Only an active node starts a group; an up node that
//!    is the chosen owner is waited for.
//! 2. A holder keeps its group, except when:
//!    - another live node holds it too (after a partition heals): the
//!      preferred node wins if it is among the holders, else the first
//!      holder in node order; the others release (`Conflict`);
//!    - the holder stands by for it and another active node neither failed
//!      it nor stands by for it: the holder releases so that node takes it
//!      (`Standby`);
//!    - auto_failback is on, the holder is not the preferred node, and the
//!      preferred node is active, has not failed the group, does not stand
//!      by for it, is not short of ping nodes and does not hold it: the
//!      holder releases so the preferred node can take it back
//!      (`Failback`);
//!    - the node is shutting down (`Shutdown`);
//!    - it stands by for the group (an operator's standby here, or a
//!      peer's takeover) and an active peer that does not can take it
//!      (`Standby`);
//!    - with ipfail, the node is short of ping nodes (it sees fewer than
//!      another live node, [`super::ping_nodes`]) and an active node that
//!      is not short and has not failed the group can take it (`PingNodes`).
//! 3. A node short of ping nodes takes no group another node can take,
//!    and a preferred node that is short is not failed back to.
//!
//! A group that is starting or stopping is left alone until it settles.

use std::collections::BTreeSet;

/// Why a node releases a group it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseReason {
    /// Another live node holds it too and wins the tie-break.
    Conflict,
    /// The preferred node is back and auto_failback is on.
    Failback,
    /// This node is shutting down.
    Shutdown,
    /// This node stands by for it (an operator's standby here, or a
    /// peer's takeover) and a peer can take it.
    Standby,
    /// This node sees fewer ping nodes than another (ipfail).
    PingNodes,
}

impl ReleaseReason {
    /// Every reason, in declaration order.
    pub const ALL: [ReleaseReason; 5] = [
        ReleaseReason::Conflict,
        ReleaseReason::Failback,
        ReleaseReason::Shutdown,
        ReleaseReason::Standby,
        ReleaseReason::PingNodes,
    ];

    /// A word for logs and status.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::Conflict => "conflict",
            ReleaseReason::Failback => "failback",
            ReleaseReason::Shutdown => "shutdown",
            ReleaseReason::Standby => "standby",
            ReleaseReason::PingNodes => "ping-nodes",
        }
    }
}

/// One node's view of a group, as the rule needs it.
#[derive(Debug)]
pub struct GroupView<'a> {
    /// The group's preferred node (haresources).
    pub preferred: &'a str,
    /// All nodes in ha.cf order.
    pub nodes: &'a [String],
    /// This node.
    pub local: &'a str,
    /// Live nodes (this one included unless it is shutting down) with
    /// whether each is active.
    pub live: &'a [(String, bool)],
    /// Live nodes other than this one that hold the group.
    pub peer_holders: BTreeSet<&'a str>,
    /// Nodes that failed to start the group.
    pub failed: BTreeSet<&'a str>,
    /// Nodes (this one included) that stand by for the group.
    pub standby: BTreeSet<&'a str>,
    /// Whether auto_failback is on.
    pub auto_failback: bool,
    /// Whether this node is shutting down.
    pub shutting_down: bool,
    /// Nodes short of ping nodes (ipfail; empty without it).
    pub short: BTreeSet<&'a str>,
}

/// What this node should do about a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing.
    Keep,
    /// Start the group here.
    Start,
    /// Stop the group here.
    Release(ReleaseReason),
}

impl GroupView<'_> {
    fn order(&self, node: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| n == node)
            .unwrap_or(usize::MAX)
    }

    fn is_live(&self, node: &str) -> Option<bool> {
        self.live
            .iter()
            .find(|(name, _)| name == node)
            .map(|(_, active)| *active)
    }

    /// Among `candidates`, the preferred node if present, else the first in node order.
    fn winner<'n>(&self, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
        let mut best: Option<&str> = None;
        for node in candidates {
            if node == self.preferred {
                return Some(node);
            }
            if best.is_none_or(|b| self.order(node) < self.order(b)) {
                best = Some(node);
            }
        }
        best
    }

    /// The decision for a node that holds the group, running and settled.
    pub fn decide_running(&self) -> Decision {
        if self.shutting_down {
            return Decision::Release(ReleaseReason::Shutdown);
        }
        if !self.peer_holders.is_empty() {
            let holders = self
                .peer_holders
                .iter()
                .copied()
                .chain(std::iter::once(self.local));
            if self.winner(holders) != Some(self.local) {
                return Decision::Release(ReleaseReason::Conflict);
            }
            return Decision::Keep;
        }
        if self.standby.contains(self.local) {
            let taker = self.live.iter().any(|(node, active)| {
                *active
                    && node != self.local
                    && !self.failed.contains(node.as_str())
                    && !self.standby.contains(node.as_str())
            });
            if taker {
                return Decision::Release(ReleaseReason::Standby);
            }
        }
        if self.short.contains(self.local) {
            let taker = self.live.iter().any(|(node, active)| {
                *active
                    && node != self.local
                    && !self.short.contains(node.as_str())
                    && !self.failed.contains(node.as_str())
            });
            if taker {
                return Decision::Release(ReleaseReason::PingNodes);
            }
        }
        let preferred_ready = self.is_live(self.preferred) == Some(true)
            && !self.failed.contains(self.preferred)
            && !self.standby.contains(self.preferred)
            && !self.short.contains(self.preferred);
        if self.auto_failback && self.local != self.preferred && preferred_ready {
            return Decision::Release(ReleaseReason::Failback);
        }
        Decision::Keep
    }

    /// The decision for an active node that does not hold the group.
    pub fn decide_idle(&self) -> Decision {
        if self.shutting_down || !self.peer_holders.is_empty() {
            return Decision::Keep;
        }
        let eligible = || {
            self.live
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| !self.failed.contains(name))
        };
        let keen = self.winner(
            eligible().filter(|name| !self.standby.contains(name) && !self.short.contains(name)),
        );
        let winner = keen
            .or_else(|| self.winner(eligible().filter(|name| !self.standby.contains(name))))
            .or_else(|| self.winner(eligible()));
        match winner {
            Some(owner) if owner == self.local => Decision::Start,
            _ => Decision::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    fn view<'a>(
        nodes: &'a [String],
        local: &'a str,
        live: &'a [(String, bool)],
        holders: &[&'a str],
    ) -> GroupView<'a> {
        GroupView {
            preferred: "a",
            nodes,
            local,
            live,
            peer_holders: holders.iter().copied().collect(),
            failed: BTreeSet::new(),
            standby: BTreeSet::new(),
            auto_failback: true,
            shutting_down: false,
            short: BTreeSet::new(),
        }
    }

    #[test]
    fn the_preferred_node_takes_an_unheld_group() {
        let nodes = nodes();
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        assert_eq!(view(&nodes, "a", &live, &[]).decide_idle(), Decision::Start);
        assert_eq!(view(&nodes, "b", &live, &[]).decide_idle(), Decision::Keep);
    }

    #[test]
    fn without_the_preferred_node_the_first_in_order_takes_it() {
        let nodes = nodes();
        let live = [("c".to_string(), true), ("b".to_string(), true)];
        assert_eq!(view(&nodes, "b", &live, &[]).decide_idle(), Decision::Start);
        assert_eq!(view(&nodes, "c", &live, &[]).decide_idle(), Decision::Keep);
    }

    #[test]
    fn a_node_that_failed_the_group_is_passed_over() {
        let nodes = nodes();
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        let mut v = view(&nodes, "b", &live, &[]);
        v.failed.insert("a");
        assert_eq!(v.decide_idle(), Decision::Start);
    }

    #[test]
    fn an_up_preferred_node_is_waited_for() {
        let nodes = nodes();
        let live = [("a".to_string(), false), ("b".to_string(), true)];
        assert_eq!(view(&nodes, "b", &live, &[]).decide_idle(), Decision::Keep);
    }

    #[test]
    fn failback_only_when_on_and_the_preferred_node_is_active() {
        let nodes = nodes();
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        let mut v = view(&nodes, "b", &live, &[]);
        assert_eq!(
            v.decide_running(),
            Decision::Release(ReleaseReason::Failback)
        );
        v.auto_failback = false;
        assert_eq!(v.decide_running(), Decision::Keep);
        let up = [("a".to_string(), false), ("b".to_string(), true)];
        let v = view(&nodes, "b", &up, &[]);
        assert_eq!(v.decide_running(), Decision::Keep);
    }

    #[test]
    fn a_node_standing_by_releases_to_an_active_peer_which_keeps_it() {
        let nodes = nodes();
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        let mut v = view(&nodes, "a", &live, &[]);
        v.standby.insert("a");
        assert_eq!(
            v.decide_running(),
            Decision::Release(ReleaseReason::Standby)
        );
        // The peer starts it, and does not give it back by failback.
        let mut v = view(&nodes, "b", &live, &[]);
        v.standby.insert("a");
        assert_eq!(v.decide_idle(), Decision::Start);
        assert_eq!(v.decide_running(), Decision::Keep);
        // With no other taker, standing by does not stop the service.
        let lone = [("a".to_string(), true)];
        let mut v = view(&nodes, "a", &lone, &[]);
        v.standby.insert("a");
        assert_eq!(v.decide_running(), Decision::Keep);
        assert_eq!(v.decide_idle(), Decision::Start);
    }

    #[test]
    fn a_node_short_of_ping_nodes_hands_over_and_takes_nothing() {
        let nodes = nodes();
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        let mut v = view(&nodes, "a", &live, &[]);
        v.short.insert("a");
        assert_eq!(
            v.decide_running(),
            Decision::Release(ReleaseReason::PingNodes)
        );
        assert_eq!(v.decide_idle(), Decision::Keep);
        let mut v = view(&nodes, "b", &live, &[]);
        v.short.insert("a");
        assert_eq!(v.decide_idle(), Decision::Start);
        assert_eq!(
            v.decide_running(),
            Decision::Keep,
            "no failback to a short node"
        );
        // Nobody else can take it: it stays.
        let mut v = view(&nodes, "a", &live, &[]);
        v.short.insert("a");
        v.failed.insert("b");
        assert_eq!(v.decide_running(), Decision::Keep);
        // Alone, a short node still takes what nobody else can.
        let alone = [("a".to_string(), true)];
        let mut v = view(&nodes, "a", &alone, &[]);
        v.short.insert("a");
        assert_eq!(v.decide_idle(), Decision::Start);
    }

    #[test]
    fn conflicts_keep_exactly_one_holder() {
        let nodes = nodes();
        let live = [("b".to_string(), true), ("c".to_string(), true)];
        assert_eq!(
            view(&nodes, "b", &live, &["c"]).decide_running(),
            Decision::Keep
        );
        assert_eq!(
            view(&nodes, "c", &live, &["b"]).decide_running(),
            Decision::Release(ReleaseReason::Conflict)
        );
        let live = [("a".to_string(), true), ("b".to_string(), true)];
        let mut v = view(&nodes, "b", &live, &["a"]);
        v.auto_failback = false;
        assert_eq!(
            v.decide_running(),
            Decision::Release(ReleaseReason::Conflict)
        );
    }
}

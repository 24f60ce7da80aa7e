//! Ping nodes, and ipfail's rule: a node that sees fewer of them than a
//! peer hands its groups over.
//!
//! A ping node (ha.cf `ping`, `ping_group`) is a pseudo-member of the
//! cluster, as in heartbeat: it is `up` from its first answer to ICMP echo
//! (a group: from the first answer of any of its addresses) and `dead` once
//! it has been silent for deadping (heartbeat's `deadping`, by default the
//! deadtime); before either it is `init`. The driver pings from a task of
//! its own every keepalive (heartbeat's ping medium sends an echo with each
//! heartbeat) and tells the machine of each answer.
//!
//! This node's count is the number of its ping nodes that are up, known
//! once none of them is `init`; it travels in every heartbeat (`num_ping`,
//! ipfail's field name), and a heartbeat goes out at once when it changes,
//! as ipfail asks its peer at once when a ping node dies or comes back.
//!
//! ipfail (heartbeat's `contrib/ipfail/ipfail.c`), generalised from its
//! two nodes to the view every node has: a live node is *short* of ping
//! nodes while its count is below the highest count among the live nodes
//! whose counts are known. A node without a known count (not settled yet,
//! or a heartbeat 3.0.6 peer, which sends none) is neither short nor makes
//! another short: ipfail too waits for the other side's count. Equal
//! counts, including both nodes seeing none, make nobody short: losing the
//! ping nodes everywhere moves nothing. A shortfall counts only once it has
//! lasted [`hold`] (ipfail's `delay_giveup`: twice the keepalive, cancelled
//! by `abort_giveup` when the counts balance again), so a ping node that
//! dies on both sides a moment apart moves nothing either. What a short
//! node does is in [`super::ownership`]: it releases what it holds
//! (`ping-nodes`) and takes nothing; when the counts balance again, groups
//! return to their preferred node under auto_failback, as ipfail's
//! "giving up foreign resources (auto_failback)".
//!
//! Our extension, for the same decision without ipfail or with ping nodes
//! that matter unequally (keepalived's weighted track_script idea): ha.cf's
//! `ping_weight NAME WEIGHT` gives a ping node a weight (1 by default), and
//! the count compared is then the sum of the weights of the ping nodes up.
//! Any `ping_weight` line turns the rule on, with or without ipfail's
//! respawn line.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A ping node's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PingState {
    /// Not answered yet, and not silent for deadping yet.
    Init,
    /// Answering (heartbeat's status `ping`).
    Up,
    /// Silent for deadping.
    Dead,
}

impl PingState {
    /// A word for logs and status.
    pub fn as_str(self) -> &'static str {
        match self {
            PingState::Init => "init",
            PingState::Up => "up",
            PingState::Dead => "dead",
        }
    }
}

impl std::fmt::Display for PingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a shortfall must last before it counts: twice the keepalive,
/// ipfail's delay before giving up.
pub fn hold(keepalive: Duration) -> Duration {
    keepalive.saturating_mul(2)
}

/// One ping node as this node sees it.
#[derive(Debug, Clone)]
struct PingNode {
    name: String,
    weight: u32,
    state: PingState,
    last_answer: Option<Instant>,
}

/// A change of a ping node's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub name: String,
    pub from: PingState,
    pub to: PingState,
}

/// This node's ping nodes, and which nodes are short of them.
#[derive(Debug)]
pub(super) struct PingNodes {
    nodes: Vec<PingNode>,
    started: Instant,
    deadping: Duration,
    hold: Duration,
    /// Each node short of ping nodes.
    short_since: BTreeMap<String, Shortfall>,
}

/// A node's shortage of ping nodes.
#[derive(Debug, Clone, Copy)]
struct Shortfall {
    /// Since when it has been short.
    since: Instant,
    /// Whether its hold is over: it counts as short.
    counts: bool,
}

impl PingNodes {
    /// The ping nodes `names`, none answered yet at `now`, each weighing
    /// what `weights` says (1 when it says nothing).
    pub fn new(
        names: &[String],
        weights: &BTreeMap<String, u32>,
        deadping: Duration,
        keepalive: Duration,
        now: Instant,
    ) -> Self {
        PingNodes {
            nodes: names
                .iter()
                .map(|name| PingNode {
                    name: name.clone(),
                    weight: weights.get(name).copied().unwrap_or(1),
                    state: PingState::Init,
                    last_answer: None,
                })
                .collect(),
            started: now,
            deadping,
            hold: hold(keepalive),
            short_since: BTreeMap::new(),
        }
    }

    /// `name` answered at `now`; its change, if any (unknown names are
    /// ignored).
    pub fn answered(&mut self, name: &str, now: Instant) -> Option<Change> {
        let node = self.nodes.iter_mut().find(|n| n.name == name)?;
        node.last_answer = Some(now);
        (node.state != PingState::Up).then(|| {
            let from = std::mem::replace(&mut node.state, PingState::Up);
            Change {
                name: node.name.clone(),
                from,
                to: PingState::Up,
            }
        })
    }

    /// When a ping node not dead yet is declared dead if nothing is heard.
    fn dead_at(&self, node: &PingNode) -> Option<Instant> {
        (node.state != PingState::Dead)
            .then(|| node.last_answer.unwrap_or(self.started) + self.deadping)
    }

    /// Declares dead every ping node silent for deadping at `now`.
    pub fn judge(&mut self, now: Instant) -> Vec<Change> {
        let due: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.dead_at(&self.nodes[i]).is_some_and(|at| now >= at))
            .collect();
        due.into_iter()
            .map(|i| {
                let node = &mut self.nodes[i];
                let from = std::mem::replace(&mut node.state, PingState::Dead);
                Change {
                    name: node.name.clone(),
                    from,
                    to: PingState::Dead,
                }
            })
            .collect()
    }

    /// How many ping nodes are up, each counted at its weight; `None`
    /// without ping nodes, or while one of them is still `init`.
    pub fn count(&self) -> Option<u32> {
        if self.nodes.is_empty() || self.nodes.iter().any(|n| n.state == PingState::Init) {
            return None;
        }
        Some(
            self.nodes
                .iter()
                .filter(|n| n.state == PingState::Up)
                .fold(0u32, |sum, n| sum.saturating_add(n.weight)),
        )
    }

    /// Takes the counts of the live nodes (this one included) at `now`:
    /// nodes below the highest known count are short from now on, the
    /// others no longer. Returns the nodes whose shortfall starts to count
    /// (its hold is over: `true`) or ends (`false`).
    pub fn observe_counts(
        &mut self,
        now: Instant,
        counts: &[(&str, Option<u32>)],
    ) -> Vec<(String, bool)> {
        let best = counts.iter().filter_map(|(_, c)| *c).max();
        let short: BTreeSet<&str> = counts
            .iter()
            .filter(|(_, count)| matches!((count, best), (Some(c), Some(b)) if c < &b))
            .map(|(node, _)| *node)
            .collect();
        let mut changes = Vec::new();
        self.short_since.retain(|node, shortfall| {
            let keep = short.contains(node.as_str());
            if !keep && shortfall.counts {
                changes.push((node.clone(), false));
            }
            keep
        });
        for node in short {
            let shortfall = self
                .short_since
                .entry(node.to_string())
                .or_insert(Shortfall {
                    since: now,
                    counts: false,
                });
            if !shortfall.counts && now >= shortfall.since + self.hold {
                shortfall.counts = true;
                changes.push((node.to_string(), true));
            }
        }
        changes
    }

    /// The nodes short of ping nodes for at least the hold, as of the last
    /// [`PingNodes::observe_counts`].
    pub fn short(&self) -> BTreeSet<&str> {
        self.short_since
            .iter()
            .filter(|(_, shortfall)| shortfall.counts)
            .map(|(node, _)| node.as_str())
            .collect()
    }

    /// Whether `node` is short of ping nodes at all, held or not yet.
    pub fn is_falling_short(&self, node: &str) -> bool {
        self.short_since.contains_key(node)
    }

    /// The next instant something here is due: a ping node's deadping, or
    /// the end of a shortfall's hold.
    pub fn next_deadline(&self) -> Option<Instant> {
        let dead = self.nodes.iter().filter_map(|n| self.dead_at(n));
        let holds = self
            .short_since
            .values()
            .filter(|shortfall| !shortfall.counts)
            .map(|shortfall| shortfall.since + self.hold);
        dead.chain(holds).min()
    }

    /// Every ping node: name, state, time since its last answer.
    pub fn statuses(&self, now: Instant) -> Vec<(String, PingState, Option<Duration>)> {
        self.nodes
            .iter()
            .map(|n| {
                let silent = n.last_answer.map(|at| now.saturating_duration_since(at));
                (n.name.clone(), n.state, silent)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn names() -> Vec<String> {
        vec!["10.0.0.1".into(), "uplink".into()]
    }

    #[test]
    fn a_count_is_the_sum_of_the_weights_of_the_ping_nodes_up() {
        let t0 = Instant::now();
        let names = vec!["uplink".to_string(), "backup".to_string()];
        let weights = BTreeMap::from([("uplink".to_string(), 5)]);
        let mut p = PingNodes::new(&names, &weights, 3 * S, S, t0);
        p.answered("uplink", t0);
        p.answered("backup", t0);
        assert_eq!(p.count(), Some(6));
        p.answered("backup", t0 + 3 * S);
        p.judge(t0 + 3 * S + Duration::from_millis(1));
        assert_eq!(p.count(), Some(1), "uplink (5) dead, backup (1) up");
    }

    #[test]
    fn a_ping_node_is_up_from_its_first_answer_and_dead_after_deadping() {
        let t0 = Instant::now();
        let mut p = PingNodes::new(&names(), &BTreeMap::new(), 3 * S, S, t0);
        assert_eq!(p.count(), None);
        assert_eq!(
            p.answered("10.0.0.1", t0 + S).map(|c| c.to),
            Some(PingState::Up)
        );
        assert_eq!(p.answered("10.0.0.1", t0 + 2 * S), None);
        assert_eq!(p.answered("nobody", t0), None);
        assert_eq!(p.count(), None, "uplink is still init");
        assert_eq!(p.next_deadline(), Some(t0 + 3 * S));
        let changes = p.judge(t0 + 3 * S);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].name.as_str(), changes[0].to),
            ("uplink", PingState::Dead)
        );
        assert_eq!(p.count(), Some(1));
        assert!(p.judge(t0 + 4 * S).is_empty());
        assert_eq!(p.judge(t0 + 5 * S).len(), 1);
        assert_eq!(p.count(), Some(0));
        assert_eq!(p.next_deadline(), None);
    }

    #[test]
    fn a_node_is_short_only_below_a_known_count_and_after_the_hold() {
        let t0 = Instant::now();
        let mut p = PingNodes::new(&[], &BTreeMap::new(), 3 * S, S, t0);
        assert!(p
            .observe_counts(t0, &[("a", Some(0)), ("b", None)])
            .is_empty());
        assert!(!p.is_falling_short("a"), "b's count is unknown");
        p.observe_counts(t0, &[("a", Some(0)), ("b", Some(0))]);
        assert!(!p.is_falling_short("a"), "balanced: nobody is short");
        assert!(p
            .observe_counts(t0, &[("a", Some(0)), ("b", Some(1))])
            .is_empty());
        assert!(p.is_falling_short("a"));
        assert!(p.short().is_empty());
        assert_eq!(p.next_deadline(), Some(t0 + 2 * S));
        assert!(p
            .observe_counts(t0 + S, &[("a", Some(0)), ("b", Some(1))])
            .is_empty());
        assert_eq!(
            p.observe_counts(t0 + 2 * S, &[("a", Some(0)), ("b", Some(1))]),
            [("a".to_string(), true)]
        );
        assert_eq!(p.short(), BTreeSet::from(["a"]));
        assert_eq!(p.next_deadline(), None);
        // Balanced again: the shortfall is forgotten, and a new one waits
        // the whole hold again.
        assert_eq!(
            p.observe_counts(t0 + 3 * S, &[("a", Some(1)), ("b", Some(1))]),
            [("a".to_string(), false)]
        );
        p.observe_counts(t0 + 4 * S, &[("a", Some(0)), ("b", Some(1))]);
        assert!(p
            .observe_counts(t0 + 5 * S, &[("a", Some(0)), ("b", Some(1))])
            .is_empty());
        assert_eq!(
            p.observe_counts(t0 + 6 * S, &[("a", Some(0)), ("b", Some(1))])
                .len(),
            1
        );
    }
}

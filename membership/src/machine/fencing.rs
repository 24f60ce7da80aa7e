//! Fencing (STONITH) before takeover, as heartbeat's
//! `hb_rsc_recover_dead_resources` does it.
//!
//! 1. When a peer is declared dead (deadtime, initdead, or its port
//!    refusing heartbeats; not a peer that said goodbye), fencing is
//!    needed unless the peer had been heard and held no group when it died
//!    ([`needed`]; heartbeat: `anypacketsyet` and `other_holds_resources
//!    == HB_NO_RSC`). A peer never heard may hold anything.
//! 2. Fencing needed and a device configured ([`super::Config::fencing`]):
//!    the machine asks for a fence of the peer ([`super::Output::Fence`]),
//!    and does not start the groups the peer held (every group, for a peer
//!    never heard) until a fence has succeeded. A failed fence is asked for
//!    again [`RETRY_INTERVAL`] later, forever, as heartbeat's
//!    `StonithProcessDied` does; the groups stay down meanwhile.
//! 3. Fencing needed and no device: the groups are taken over at once, with
//!    heartbeat's warning ([`super::Event::FencingUnavailable`]).
//! 4. A peer heard again while its fence is pending (back alive, or in a
//!    new generation) needs no fence any more: the fence is cancelled, and
//!    an answer still to come for it is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::types::ActionId;

/// How long after a failed fence it is tried again (heartbeat: 5 s).
pub const RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Whether a peer that just died must be fenced before what it held is
/// taken over: unless it was heard and held nothing.
pub fn needed(heard: bool, held: &BTreeSet<String>) -> bool {
    !heard || !held.is_empty()
}

/// The groups a pending fence keeps from being started here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Blocked {
    /// The groups the peer held when it died.
    Groups(BTreeSet<String>),
    /// Every group: the peer was never heard.
    All,
}

/// One pending fence.
#[derive(Debug, Clone)]
struct Fence {
    blocked: Blocked,
    /// The request in flight, if any.
    in_flight: Option<ActionId>,
    /// When it is asked for again, after a failure.
    retry_at: Option<Instant>,
    /// Requests made so far.
    attempts: u32,
    /// When the peer was declared dead.
    since: Instant,
}

/// What a fence result means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answered {
    /// Not a request in flight: stale or unknown.
    Ignored,
    /// The node is fenced after this many attempts.
    Fenced {
        /// The node.
        node: String,
        /// Requests made.
        attempts: u32,
    },
    /// The fence failed; it is asked for again at `retry_at`.
    Failed {
        /// The node.
        node: String,
        /// Requests made.
        attempts: u32,
    },
}

/// A snapshot of one pending fence, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceStatus {
    /// The node to fence.
    pub node: String,
    /// Requests made so far.
    pub attempts: u32,
    /// Whether a request is running now.
    pub running: bool,
    /// When it is tried again, if it is waiting after a failure.
    pub retry_in: Option<Duration>,
    /// Since the node was declared dead.
    pub pending_for: Duration,
}

/// Every pending fence, by node.
#[derive(Debug, Default)]
pub(super) struct Fences {
    pending: BTreeMap<String, Fence>,
}

impl Fences {
    /// `node` died at `now` holding `held` (`None`: never heard); a fence
    /// is now pending, to be asked for at once ([`Fences::due`]).
    pub(super) fn begin(&mut self, node: &str, held: Option<BTreeSet<String>>, now: Instant) {
        let blocked = held.map_or(Blocked::All, Blocked::Groups);
        self.pending.insert(
            node.to_string(),
            Fence {
                blocked,
                in_flight: None,
                retry_at: Some(now),
                attempts: 0,
                since: now,
            },
        );
    }

    /// `node` was heard: its fence, if pending, is cancelled. Whether one was.
    pub(super) fn cancel(&mut self, node: &str) -> bool {
        self.pending.remove(node).is_some()
    }

    /// The fences to ask for at `now`; `next_id` gives each request its id.
    /// Returns (node, id, attempt).
    pub(super) fn due(
        &mut self,
        now: Instant,
        mut next_id: impl FnMut() -> ActionId,
    ) -> Vec<(String, ActionId, u32)> {
        let mut asked = Vec::new();
        for (node, fence) in &mut self.pending {
            if fence.in_flight.is_none() && fence.retry_at.is_some_and(|at| at <= now) {
                let id = next_id();
                fence.in_flight = Some(id);
                fence.retry_at = None;
                fence.attempts += 1;
                asked.push((node.clone(), id, fence.attempts));
            }
        }
        asked
    }

    /// Takes the result of request `id` at `now`.
    pub(super) fn answer(&mut self, id: ActionId, succeeded: bool, now: Instant) -> Answered {
        let Some((node, fence)) = self
            .pending
            .iter_mut()
            .find(|(_, f)| f.in_flight == Some(id))
        else {
            return Answered::Ignored;
        };
        let node = node.clone();
        let attempts = fence.attempts;
        if succeeded {
            self.pending.remove(&node);
            Answered::Fenced { node, attempts }
        } else {
            fence.in_flight = None;
            fence.retry_at = Some(now + RETRY_INTERVAL);
            Answered::Failed { node, attempts }
        }
    }

    /// Whether a pending fence keeps `group` from being started here.
    pub(super) fn blocks(&self, group: &str) -> bool {
        self.pending.values().any(|f| match &f.blocked {
            Blocked::All => true,
            Blocked::Groups(groups) => groups.contains(group),
        })
    }

    /// When a failed fence is next asked for again.
    pub(super) fn next_retry(&self) -> Option<Instant> {
        self.pending.values().filter_map(|f| f.retry_at).min()
    }

    /// Every pending fence, for status displays.
    pub(super) fn statuses(&self, now: Instant) -> Vec<FenceStatus> {
        self.pending
            .iter()
            .map(|(node, f)| FenceStatus {
                node: node.clone(),
                attempts: f.attempts,
                running: f.in_flight.is_some(),
                retry_in: f.retry_at.map(|at| at.saturating_duration_since(now)),
                pending_for: now.saturating_duration_since(f.since),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_heard_peer_that_held_nothing_needs_no_fence() {
        assert!(!needed(true, &groups(&[])));
        assert!(needed(true, &groups(&["g"])));
        assert!(needed(false, &groups(&[])));
    }

    #[test]
    fn a_failure_is_retried_after_the_interval_and_a_success_ends_it() {
        let t0 = Instant::now();
        let mut fences = Fences::default();
        let mut next = 0;
        let mut id = || {
            next += 1;
            ActionId(next)
        };
        fences.begin("b", Some(groups(&["g"])), t0);
        assert!(fences.blocks("g") && !fences.blocks("h"));
        let asked = fences.due(t0, &mut id);
        assert_eq!(asked, vec![("b".to_string(), ActionId(1), 1)]);
        assert!(fences.due(t0, &mut id).is_empty());
        assert_eq!(
            fences.answer(ActionId(1), false, t0),
            Answered::Failed {
                node: "b".into(),
                attempts: 1
            }
        );
        assert_eq!(fences.next_retry(), Some(t0 + RETRY_INTERVAL));
        assert!(fences.due(t0 + RETRY_INTERVAL / 2, &mut id).is_empty());
        let asked = fences.due(t0 + RETRY_INTERVAL, &mut id);
        assert_eq!(asked, vec![("b".to_string(), ActionId(2), 2)]);
        assert_eq!(fences.answer(ActionId(1), true, t0), Answered::Ignored);
        assert_eq!(
            fences.answer(ActionId(2), true, t0),
            Answered::Fenced {
                node: "b".into(),
                attempts: 2
            }
        );
        assert!(!fences.blocks("g"));
    }

    #[test]
    fn a_peer_never_heard_blocks_everything_until_cancelled() {
        let t0 = Instant::now();
        let mut fences = Fences::default();
        fences.begin("b", None, t0);
        assert!(fences.blocks("anything"));
        assert!(fences.cancel("b"));
        assert!(!fences.blocks("anything"));
        assert!(!fences.cancel("b"));
    }
}

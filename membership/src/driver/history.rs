//! What the node has seen since it started, for `ha-node status`: counts
//! of takeovers, releases and conflicts, heartbeat arrivals per medium and
//! peer, and the last events.
//!
//! Status is otherwise a picture of the present: a double ownership that
//! lasted 4 ms, or a silence that came within a few milliseconds of
//! deadtime, would be invisible to anyone polling it. The driver feeds a
//! [`Tally`] with every message as it arrives (on which medium, at the
//! monotonic time the machine is given) and with what the machine says;
//! the tally measures and counts, it decides nothing.
//!
//! Silences: between two consecutive messages of a peer, on one medium (a
//! link) and on all media at once (what deadtime sees: only a message new
//! to the node ends a silence there, not a copy on a second medium). A gap
//! that spans a restart (the peer is back in a new generation) or follows
//! the peer's goodbye is an absence, not a silence, and is not counted; the
//! silence still going on counts, so a peer that was killed shows a
//! silence longer than deadtime. Inter-arrival percentiles are over the
//! last [`GAP_WINDOW`] gaps of each link; every gap also counts, for good,
//! in a histogram of [`GAP_BUCKETS`] (what `/metrics` shows). Recording an
//! arrival is O(1): a lookup in the short node list, a few comparisons, one
//! slot written, one bucket counted.
//!
//! It also counts what is sent on each medium (and what a medium refused
//! to send) and every datagram or message rejected, by cause.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::machine::{ActionKind, Event, RejectReason, ReleaseReason, StartCause, StateCause};
use crate::message::{Message, NodeState};

/// How many gaps of each link the percentiles are computed over.
pub const GAP_WINDOW: usize = 10_000;

/// How many events are kept.
pub const EVENT_RING: usize = 64;

/// The upper bounds of the inter-arrival histogram's buckets, in
/// milliseconds (a gap over the last counts only in the total).
pub const GAP_BUCKETS: [u64; 14] = [
    5, 10, 25, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10_000, 30_000, 60_000,
];

/// Why a datagram or message from the network was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectCause {
    /// Its authentication was missing, wrong, or by an unknown key.
    Auth,
    /// It was not a well-formed heartbeat message.
    Malformed,
    /// A replay: an older generation or sequence number.
    Replay,
    /// From a node that is not in ha.cf.
    UnknownNode,
    /// A copy already seen (several media carry each message).
    Duplicate,
    /// From a peer after its goodbye.
    AfterShutdown,
}

impl RejectCause {
    /// Every cause, in the order [`History::rejected`] lists them.
    pub const ALL: [RejectCause; 6] = [
        RejectCause::Auth,
        RejectCause::Malformed,
        RejectCause::Replay,
        RejectCause::UnknownNode,
        RejectCause::Duplicate,
        RejectCause::AfterShutdown,
    ];

    /// The cause as a word: `auth`, `malformed`, `replay`,
    /// `unknown-node`, `duplicate` or `after-shutdown`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCause::Auth => "auth",
            RejectCause::Malformed => "malformed",
            RejectCause::Replay => "replay",
            RejectCause::UnknownNode => "unknown-node",
            RejectCause::Duplicate => "duplicate",
            RejectCause::AfterShutdown => "after-shutdown",
        }
    }
}

/// What was sent on one medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediumSends {
    /// The medium, as ha.cf names it.
    pub medium: String,
    /// Messages sent on it.
    pub sent: u64,
    /// Messages it failed to send.
    pub failed: u64,
}

/// What the node has seen since it started (part of a status snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// How long the driver has been running.
    pub uptime: Duration,
    /// The configured deadtime, which the silences are measured against.
    pub deadtime: Duration,
    /// The configured warntime: a gap longer than it is a late heartbeat.
    pub warntime: Duration,
    /// Groups this node was asked to start, by cause (every cause, in
    /// [`StartCause::ALL`] order).
    pub takeovers: Vec<(StartCause, u64)>,
    /// Groups this node was asked to stop, by reason (every reason, in
    /// [`ReleaseReason::ALL`] order).
    pub releases: Vec<(ReleaseReason, u64)>,
    /// Conflicts seen: a group held by two nodes or more at once.
    pub conflicts: u64,
    /// Actions on groups that failed here (start, stop or monitor).
    pub group_failures: u64,
    /// Times this node itself was stalled (its loop ran well after the
    /// instant it asked for; see [`Event::Stalled`]).
    pub stalls: u64,
    /// The longest of those stalls.
    pub longest_stall: Duration,
    /// Every peer, in ha.cf order.
    pub peers: Vec<PeerHistory>,
    /// What was sent on each medium, in the order of the media.
    pub sends: Vec<MediumSends>,
    /// Datagrams and messages rejected, by cause (every cause, in
    /// [`RejectCause::ALL`] order).
    pub rejected: Vec<(RejectCause, u64)>,
    /// Fence attempts by how they ended: `started`, `succeeded`, `failed`,
    /// `cancelled` (in [`FENCE_RESULTS`] order).
    pub fences: Vec<(&'static str, u64)>,
    /// The last [`EVENT_RING`] events, oldest first.
    pub events: Vec<HistoryEvent>,
}

/// What a fence attempt can come to, as [`History::fences`] counts them.
pub const FENCE_RESULTS: [&str; 4] = ["started", "succeeded", "failed", "cancelled"];

/// One peer's heartbeats, as seen by this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerHistory {
    /// The peer.
    pub node: String,
    /// Messages received from it (each counted once, whatever the number
    /// of media that carried it).
    pub received: u64,
    /// Late heartbeats the state machine reported (silent past warntime).
    pub late: u64,
    /// The longest silence on all media at once (what deadtime sees),
    /// including the one going on.
    pub longest_silence: Duration,
    /// The peer on each medium, in the order of the media.
    pub links: Vec<LinkHistory>,
}

/// One peer on one medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHistory {
    /// The medium, as ha.cf names it.
    pub medium: String,
    /// Messages received from the peer on this medium.
    pub received: u64,
    /// Gaps between two of them longer than warntime.
    pub late: u64,
    /// The longest gap between two of them, or the silence going on if longer.
    pub longest_silence: Duration,
    /// The time since the last message on this medium; `None` before the
    /// first, or after the peer's goodbye.
    pub silent_for: Option<Duration>,
    /// Percentiles of the last gaps; `None` before the second message.
    pub gaps: Option<GapPercentiles>,
    /// Every gap since the node started, counted in [`GAP_BUCKETS`].
    pub histogram: GapHistogram,
}

/// Every gap of a link since the node started, in buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GapHistogram {
    /// For each bound of [`GAP_BUCKETS`], the gaps at or below it
    /// (cumulative, as Prometheus counts).
    pub cumulative: Vec<u64>,
    /// How many gaps.
    pub count: u64,
    /// Their sum.
    pub sum: Duration,
}

/// Percentiles of the gaps between consecutive messages (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapPercentiles {
    /// How many gaps they are computed over (at most [`GAP_WINDOW`]).
    pub count: usize,
    /// The median.
    pub p50: Duration,
    /// The 90th percentile.
    pub p90: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The 99.9th percentile.
    pub p999: Duration,
    /// The longest.
    pub max: Duration,
}

/// One event in the ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// When, since the driver started (monotonic).
    pub since_start: Duration,
    /// When, in milliseconds since the Unix epoch (for display only).
    pub unix_ms: u64,
    /// What.
    pub what: HistoryEntry,
}

/// What an event in the ring says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEntry {
    /// A node changed state in this node's view.
    NodeState {
        /// The node.
        node: String,
        /// Its previous state.
        from: NodeState,
        /// Its new state.
        to: NodeState,
        /// Why, when the states alone do not say.
        cause: Option<StateCause>,
    },
    /// This node was asked to start a group.
    Takeover {
        /// The group.
        group: String,
        /// Why.
        cause: StartCause,
    },
    /// This node was asked to stop a group.
    Release {
        /// The group.
        group: String,
        /// Why.
        reason: ReleaseReason,
    },
    /// A group was seen held by two nodes or more.
    Conflict {
        /// The group.
        group: String,
        /// Its holders.
        holders: Vec<String>,
    },
    /// An action on a group failed here.
    GroupFailed {
        /// The group.
        group: String,
        /// What failed.
        action: ActionKind,
        /// Why.
        detail: String,
    },
    /// This node itself was stalled.
    Stalled {
        /// How late its loop ran.
        late_by: Duration,
    },
    /// A fence of a dead peer started, failed, succeeded or was cancelled.
    Fence {
        /// The peer.
        node: String,
        /// What happened, in words.
        what: String,
    },
}

impl HistoryEntry {
    /// A word for the kind of event: `node`, `takeover`, `release`,
    /// `conflict`, `group-failed`, `stalled` or `fence`.
    pub fn kind(&self) -> &'static str {
        match self {
            HistoryEntry::NodeState { .. } => "node",
            HistoryEntry::Takeover { .. } => "takeover",
            HistoryEntry::Release { .. } => "release",
            HistoryEntry::Conflict { .. } => "conflict",
            HistoryEntry::GroupFailed { .. } => "group-failed",
            HistoryEntry::Stalled { .. } => "stalled",
            HistoryEntry::Fence { .. } => "fence",
        }
    }
}

impl fmt::Display for HistoryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryEntry::NodeState {
                node,
                from,
                to,
                cause,
            } => {
                write!(f, "node {node}: {from} -> {to}")?;
                match cause {
                    Some(cause) => write!(f, " ({cause})"),
                    None => Ok(()),
                }
            }
            HistoryEntry::Takeover { group, cause } => {
                write!(f, "takeover of {group} ({})", cause.as_str())
            }
            HistoryEntry::Release { group, reason } => {
                write!(f, "release of {group} ({})", reason.as_str())
            }
            HistoryEntry::Conflict { group, holders } => {
                write!(f, "conflict: {group} held by {}", holders.join(", "))
            }
            HistoryEntry::GroupFailed {
                group,
                action,
                detail,
            } => write!(f, "{group} failed to {}: {detail}", action.as_str()),
            HistoryEntry::Stalled { late_by } => write!(
                f,
                "this node was stalled: its loop ran {} ms late",
                late_by.as_millis()
            ),
            HistoryEntry::Fence { node, what } => write!(f, "fence of {node}: {what}"),
        }
    }
}

/// The silences of one peer on one medium or on all of them.
#[derive(Debug, Default)]
struct Silence {
    /// The last message: when, and its generation.
    last: Option<(Instant, u64)>,
    /// Whether the last message was a goodbye.
    farewell: bool,
    /// The longest gap that has ended.
    longest: Duration,
}

impl Silence {
    /// A message arrives; returns the gap it ends, if that is a silence.
    fn arrive(&mut self, now: Instant, generation: u64, farewell: bool) -> Option<Duration> {
        let gap = match self.last {
            Some((at, last_generation)) if last_generation == generation && !self.farewell => {
                Some(now.saturating_duration_since(at))
            }
            _ => None,
        };
        self.last = Some((now, generation));
        self.farewell = farewell;
        if let Some(gap) = gap {
            self.longest = self.longest.max(gap);
        }
        gap
    }

    /// The silence going on, if a message came and no goodbye.
    fn current(&self, now: Instant) -> Option<Duration> {
        match self.last {
            Some((at, _)) if !self.farewell => Some(now.saturating_duration_since(at)),
            _ => None,
        }
    }

    /// The longest silence, the one going on included.
    fn longest(&self, now: Instant) -> Duration {
        match self.last {
            Some((at, _)) if !self.farewell => self.longest.max(now.saturating_duration_since(at)),
            _ => self.longest,
        }
    }
}

/// The last [`GAP_WINDOW`] gaps of a link, in microseconds.
#[derive(Debug, Default)]
struct GapWindow {
    gaps: Vec<u32>,
    /// Where the next gap goes once the window is full.
    next: usize,
}

impl GapWindow {
    fn push(&mut self, gap: Duration) {
        let micros = u32::try_from(gap.as_micros()).unwrap_or(u32::MAX);
        if self.gaps.len() < GAP_WINDOW {
            self.gaps.push(micros);
        } else if let Some(slot) = self.gaps.get_mut(self.next) {
            *slot = micros;
            self.next = (self.next + 1) % GAP_WINDOW;
        }
    }

    fn percentiles(&self) -> Option<GapPercentiles> {
        let mut sorted = self.gaps.clone();
        sorted.sort_unstable();
        // Nearest rank: the smallest gap with at least q of them at or below it.
        let rank = |per_ten_thousand: usize| {
            let n = sorted.len();
            let rank = (n * per_ten_thousand).div_ceil(10_000).max(1);
            let micros = sorted.get(rank - 1).copied().unwrap_or(0);
            Duration::from_micros(u64::from(micros))
        };
        let max = Duration::from_micros(u64::from(*sorted.last()?));
        Some(GapPercentiles {
            count: sorted.len(),
            p50: rank(5_000),
            p90: rank(9_000),
            p99: rank(9_900),
            p999: rank(9_990),
            max,
        })
    }
}

/// One peer on one medium, being measured.
#[derive(Debug, Default)]
struct Link {
    received: u64,
    late: u64,
    silence: Silence,
    window: GapWindow,
    /// Gaps per bucket of [`GAP_BUCKETS`] (not cumulative here), the last
    /// slot for those above every bound.
    buckets: [u64; GAP_BUCKETS.len() + 1],
    gap_sum: Duration,
}

impl Link {
    fn count_gap(&mut self, gap: Duration) {
        let ms = gap.as_micros().div_ceil(1000);
        let bucket = GAP_BUCKETS.partition_point(|bound| u128::from(*bound) < ms);
        if let Some(slot) = self.buckets.get_mut(bucket) {
            *slot += 1;
        }
        self.gap_sum = self.gap_sum.saturating_add(gap);
    }

    fn histogram(&self) -> GapHistogram {
        let mut running = 0;
        let cumulative = self
            .buckets
            .iter()
            .take(GAP_BUCKETS.len())
            .map(|n| {
                running += n;
                running
            })
            .collect();
        GapHistogram {
            cumulative,
            count: self.buckets.iter().sum(),
            sum: self.gap_sum,
        }
    }
}

/// One peer, being measured.
#[derive(Debug)]
struct Peer {
    name: String,
    received: u64,
    late: u64,
    /// The newest message counted: generation and sequence number.
    newest: Option<(u64, u64)>,
    silence: Silence,
}

/// The driver's record of what it has seen; see the module's doc.
#[derive(Debug)]
pub(super) struct Tally {
    started: Instant,
    deadtime: Duration,
    warntime: Duration,
    media: Vec<String>,
    peers: Vec<Peer>,
    /// `links[peer * media.len() + medium]`.
    links: Vec<Link>,
    takeovers: [u64; StartCause::ALL.len()],
    releases: [u64; ReleaseReason::ALL.len()],
    conflicts: u64,
    group_failures: u64,
    stalls: u64,
    longest_stall: Duration,
    /// Per medium: sent, failed to send.
    sends: Vec<(u64, u64)>,
    rejected: [u64; RejectCause::ALL.len()],
    /// In [`FENCE_RESULTS`] order.
    fences: [u64; FENCE_RESULTS.len()],
    events: VecDeque<HistoryEvent>,
}

impl Tally {
    /// A tally starting `now` for these peers (the local node left out)
    /// on these media.
    pub(super) fn new(
        peers: Vec<String>,
        media: Vec<String>,
        deadtime: Duration,
        warntime: Duration,
        now: Instant,
    ) -> Self {
        let links = std::iter::repeat_with(Link::default)
            .take(peers.len() * media.len())
            .collect();
        let sends = vec![(0, 0); media.len()];
        Tally {
            sends,
            rejected: [0; RejectCause::ALL.len()],
            fences: [0; FENCE_RESULTS.len()],
            started: now,
            deadtime,
            warntime,
            media,
            peers: peers
                .into_iter()
                .map(|name| Peer {
                    name,
                    received: 0,
                    late: 0,
                    newest: None,
                    silence: Silence::default(),
                })
                .collect(),
            links,
            takeovers: [0; StartCause::ALL.len()],
            releases: [0; ReleaseReason::ALL.len()],
            conflicts: 0,
            group_failures: 0,
            stalls: 0,
            longest_stall: Duration::ZERO,
            events: VecDeque::with_capacity(EVENT_RING),
        }
    }

    /// An authentic message arrived on medium `medium` at `now` (before the
    /// machine sees it). Messages from unknown nodes or from this node are
    /// not counted.
    pub(super) fn arrival(&mut self, medium: usize, message: &Message, now: Instant) {
        let header = message.header();
        let Some(index) = self.peers.iter().position(|p| p.name == header.from) else {
            return;
        };
        let farewell = matches!(message, Message::Shutdown(_));
        if medium < self.media.len() {
            if let Some(link) = self.links.get_mut(index * self.media.len() + medium) {
                link.received += 1;
                if let Some(gap) = link.silence.arrive(now, header.generation, farewell) {
                    if gap > self.warntime {
                        link.late += 1;
                    }
                    link.window.push(gap);
                    link.count_gap(gap);
                }
            }
        }
        if let Some(peer) = self.peers.get_mut(index) {
            let id = (header.generation, header.seq);
            if peer.newest.is_none_or(|newest| id > newest) {
                peer.newest = Some(id);
                peer.received += 1;
                peer.silence.arrive(now, header.generation, farewell);
            }
        }
    }

    /// A message was handed to medium `medium`: sent, or refused by it.
    pub(super) fn sent(&mut self, medium: usize, ok: bool) {
        if let Some((sent, failed)) = self.sends.get_mut(medium) {
            if ok {
                *sent += 1;
            } else {
                *failed += 1;
            }
        }
    }

    /// A datagram or message was rejected.
    pub(super) fn rejected(&mut self, cause: RejectCause) {
        if let Some(count) = RejectCause::ALL
            .iter()
            .position(|c| *c == cause)
            .and_then(|i| self.rejected.get_mut(i))
        {
            *count += 1;
        }
    }

    /// The machine asked for an action.
    pub(super) fn action(&mut self, group: &str, kind: ActionKind, now: Instant) {
        let what = match kind {
            ActionKind::Start(cause) => {
                if let Some(count) = StartCause::ALL
                    .iter()
                    .position(|c| *c == cause)
                    .and_then(|i| self.takeovers.get_mut(i))
                {
                    *count += 1;
                }
                HistoryEntry::Takeover {
                    group: group.to_string(),
                    cause,
                }
            }
            ActionKind::Stop(reason) => {
                if let Some(count) = ReleaseReason::ALL
                    .iter()
                    .position(|r| *r == reason)
                    .and_then(|i| self.releases.get_mut(i))
                {
                    *count += 1;
                }
                HistoryEntry::Release {
                    group: group.to_string(),
                    reason,
                }
            }
            ActionKind::Monitor
            | ActionKind::MonitorResource(_)
            | ActionKind::Probe
            | ActionKind::Announce => return,
        };
        self.remember(what, now);
    }

    /// The machine reported an event.
    pub(super) fn event(&mut self, event: &Event, now: Instant) {
        match event {
            Event::FenceStarted { .. } => self.count_fence("started"),
            Event::FenceFailed { .. } => self.count_fence("failed"),
            Event::FenceSucceeded { .. } => self.count_fence("succeeded"),
            Event::FenceCancelled { .. } => self.count_fence("cancelled"),
            _ => {}
        }
        let what = match event {
            Event::NodeState {
                node,
                from,
                to,
                cause,
            } => HistoryEntry::NodeState {
                node: node.clone(),
                from: *from,
                to: *to,
                cause: *cause,
            },
            Event::Rejected { reason, .. } => {
                self.rejected(match reason {
                    RejectReason::Duplicate => RejectCause::Duplicate,
                    RejectReason::AfterShutdown => RejectCause::AfterShutdown,
                    RejectReason::Replay(_) => RejectCause::Replay,
                    RejectReason::UnknownNode => RejectCause::UnknownNode,
                });
                return;
            }
            Event::LateHeartbeat { node, .. } => {
                if let Some(peer) = self.peers.iter_mut().find(|p| p.name == *node) {
                    peer.late += 1;
                }
                return;
            }
            Event::Conflict { group, holders } => {
                self.conflicts += 1;
                HistoryEntry::Conflict {
                    group: group.clone(),
                    holders: holders.clone(),
                }
            }
            Event::GroupFailed {
                group,
                action,
                detail,
            } => {
                self.group_failures += 1;
                HistoryEntry::GroupFailed {
                    group: group.clone(),
                    action: *action,
                    detail: detail.clone(),
                }
            }
            Event::Stalled { late_by, .. } => {
                self.stalls += 1;
                self.longest_stall = self.longest_stall.max(*late_by);
                HistoryEntry::Stalled { late_by: *late_by }
            }
            Event::FenceStarted { node, attempt } => HistoryEntry::Fence {
                node: node.clone(),
                what: format!("attempt {attempt} started"),
            },
            Event::FenceFailed {
                node,
                attempt,
                detail,
                retry_in,
            } => HistoryEntry::Fence {
                node: node.clone(),
                what: format!(
                    "attempt {attempt} failed: {detail}; retrying in {} s",
                    retry_in.as_secs()
                ),
            },
            Event::FenceSucceeded { node, attempts } => HistoryEntry::Fence {
                node: node.clone(),
                what: format!("fenced after {attempts} attempt(s)"),
            },
            Event::FenceCancelled { node } => HistoryEntry::Fence {
                node: node.clone(),
                what: "cancelled: heard again".to_string(),
            },
            _ => return,
        };
        self.remember(what, now);
    }

    fn count_fence(&mut self, result: &str) {
        if let Some(count) = FENCE_RESULTS
            .iter()
            .position(|r| *r == result)
            .and_then(|i| self.fences.get_mut(i))
        {
            *count += 1;
        }
    }

    fn remember(&mut self, what: HistoryEntry, now: Instant) {
        if self.events.len() >= EVENT_RING {
            self.events.pop_front();
        }
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        self.events.push_back(HistoryEvent {
            since_start: now.saturating_duration_since(self.started),
            unix_ms,
            what,
        });
    }

    /// Everything, as of `now`.
    pub(super) fn snapshot(&self, now: Instant) -> History {
        let media = self.media.len();
        let peers = self
            .peers
            .iter()
            .enumerate()
            .map(|(index, peer)| PeerHistory {
                node: peer.name.clone(),
                received: peer.received,
                late: peer.late,
                longest_silence: peer.silence.longest(now),
                links: self
                    .media
                    .iter()
                    .enumerate()
                    .filter_map(|(m, name)| {
                        let link = self.links.get(index * media + m)?;
                        Some(LinkHistory {
                            medium: name.clone(),
                            received: link.received,
                            late: link.late,
                            longest_silence: link.silence.longest(now),
                            silent_for: link.silence.current(now),
                            gaps: link.window.percentiles(),
                            histogram: link.histogram(),
                        })
                    })
                    .collect(),
            })
            .collect();
        History {
            uptime: now.saturating_duration_since(self.started),
            deadtime: self.deadtime,
            warntime: self.warntime,
            takeovers: StartCause::ALL
                .iter()
                .copied()
                .zip(self.takeovers.iter().copied())
                .collect(),
            releases: ReleaseReason::ALL
                .iter()
                .copied()
                .zip(self.releases.iter().copied())
                .collect(),
            conflicts: self.conflicts,
            group_failures: self.group_failures,
            stalls: self.stalls,
            longest_stall: self.longest_stall,
            peers,
            sends: self
                .media
                .iter()
                .zip(&self.sends)
                .map(|(medium, (sent, failed))| MediumSends {
                    medium: medium.clone(),
                    sent: *sent,
                    failed: *failed,
                })
                .collect(),
            rejected: RejectCause::ALL
                .iter()
                .copied()
                .zip(self.rejected.iter().copied())
                .collect(),
            fences: FENCE_RESULTS
                .iter()
                .copied()
                .zip(self.fences.iter().copied())
                .collect(),
            events: self.events.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let mut window = GapWindow::default();
        assert_eq!(window.percentiles(), None);
        for ms in 1..=1000 {
            window.push(ms * MS);
        }
        let p = window.percentiles().expect("gaps");
        assert_eq!(p.count, 1000);
        assert_eq!(p.p50, 500 * MS);
        assert_eq!(p.p90, 900 * MS);
        assert_eq!(p.p99, 990 * MS);
        assert_eq!(p.p999, 999 * MS);
        assert_eq!(p.max, 1000 * MS);
    }

    #[test]
    fn the_window_keeps_the_last_gaps_only() {
        let mut window = GapWindow::default();
        window.push(5000 * MS);
        for _ in 0..GAP_WINDOW {
            window.push(10 * MS);
        }
        assert_eq!(window.gaps.len(), GAP_WINDOW);
        let p = window.percentiles().expect("gaps");
        assert_eq!(p.max, 10 * MS);
    }

    #[test]
    fn every_gap_counts_in_its_bucket_for_good() {
        let mut link = Link::default();
        for gap in [MS, 5 * MS, 6 * MS, 1000 * MS, 1001 * MS, 61_000 * MS] {
            link.count_gap(gap);
        }
        let h = link.histogram();
        assert_eq!(h.count, 6);
        assert_eq!(h.sum, 63_013 * MS);
        // <=5: 2; <=10: 3; ... <=1000: 4; <=2000: 5; <=60000: 5.
        assert_eq!(h.cumulative[0], 2);
        assert_eq!(h.cumulative[1], 3);
        assert_eq!(h.cumulative[7], 4);
        assert_eq!(h.cumulative[8], 5);
        assert_eq!(h.cumulative.last(), Some(&5));
        assert_eq!(h.cumulative.len(), GAP_BUCKETS.len());
    }

    #[test]
    fn sends_and_rejections_are_counted_by_medium_and_cause() {
        let t0 = Instant::now();
        let mut tally = Tally::new(vec!["b".into()], vec!["m0".into(), "m1".into()], MS, MS, t0);
        tally.sent(0, true);
        tally.sent(0, true);
        tally.sent(1, false);
        tally.sent(7, true);
        tally.rejected(RejectCause::Replay);
        tally.rejected(RejectCause::Auth);
        tally.rejected(RejectCause::Auth);
        let history = tally.snapshot(t0);
        assert_eq!(
            history.sends,
            vec![
                MediumSends {
                    medium: "m0".into(),
                    sent: 2,
                    failed: 0
                },
                MediumSends {
                    medium: "m1".into(),
                    sent: 0,
                    failed: 1
                },
            ]
        );
        assert_eq!(history.rejected[0], (RejectCause::Auth, 2));
        assert_eq!(history.rejected[2], (RejectCause::Replay, 1));
        assert_eq!(history.rejected[4], (RejectCause::Duplicate, 0));
    }

    #[test]
    fn the_ring_keeps_the_last_events() {
        let t0 = Instant::now();
        let mut tally = Tally::new(vec!["b".into()], vec!["eth0".into()], MS, MS, t0);
        for i in 0..100u32 {
            let group = format!("g{i}");
            tally.action(
                &group,
                ActionKind::Stop(ReleaseReason::Shutdown),
                t0 + i * MS,
            );
        }
        let history = tally.snapshot(t0 + 100 * MS);
        assert_eq!(history.events.len(), EVENT_RING);
        assert_eq!(history.events[0].since_start, 36 * MS);
        assert_eq!(history.releases[2], (ReleaseReason::Shutdown, 100));
    }

    #[test]
    fn restarts_and_goodbyes_are_absences_not_silences() {
        let t0 = Instant::now();
        let mut s = Silence::default();
        assert_eq!(s.arrive(t0, 1, false), None);
        assert_eq!(s.arrive(t0 + 100 * MS, 1, false), Some(100 * MS));
        // The peer restarts: a new generation 5 s later.
        assert_eq!(s.arrive(t0 + 5100 * MS, 2, false), None);
        // It says goodbye, and comes back in the same generation number
        // (as a replay would): not a silence either.
        assert_eq!(s.arrive(t0 + 5200 * MS, 2, true), Some(100 * MS));
        assert_eq!(s.longest(t0 + 9000 * MS), 100 * MS);
        assert_eq!(s.arrive(t0 + 9000 * MS, 2, false), None);
        // A silence going on counts.
        assert_eq!(s.longest(t0 + 9700 * MS), 700 * MS);
    }
}

//! The state machine's vocabulary: its configuration, what it is told,
//! what it asks for, and the snapshots it gives for status displays.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ownership::ReleaseReason;
use super::ping_nodes::PingState;
use super::sequence::Rejection;
use crate::message::{Message, NodeState};

/// A resource group as the state machine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// The group's name, identical on every node (haresources line).
    pub id: String,
    /// The node that owns it when it can (first word of the haresources line).
    pub preferred: String,
}

/// One resource of a group monitored on its own schedule (the monitoring
/// file's `interval=` for that resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMonitor {
    /// The group's id.
    pub group: String,
    /// The resource's position in the group (start order, from 0).
    pub resource: usize,
    /// How often it is monitored while the group runs here.
    pub interval: Duration,
}

/// Everything the state machine needs to know about the cluster.
#[derive(Debug, Clone)]
pub struct Config {
    /// This node's name.
    pub local: String,
    /// This node's UUID (sent as `srcuuid`).
    pub uuid: [u8; 16],
    /// Every node, this one included, in ha.cf order.
    pub nodes: Vec<String>,
    /// Interval between heartbeats.
    pub keepalive: Duration,
    /// Silence after which a peer's heartbeat is reported late.
    pub warntime: Duration,
    /// Silence after which a peer is declared dead.
    pub deadtime: Duration,
    /// At start-up, how long a peer not yet heard has before it is dead.
    pub initdead: Duration,
    /// Whether a group returns to its preferred node when that node is back.
    pub auto_failback: bool,
    /// How often a group running here is monitored; `None`: never. The
    /// monitor action itself decides which of the group's resources are
    /// due, so this is the tick of the most frequent one.
    pub monitor_interval: Option<Duration>,
    /// Resources monitored one by one, each at its own interval
    /// ([`ActionKind::MonitorResource`]). A group not held here is probed
    /// ([`ActionKind::Probe`]) at the smallest interval among its own
    /// resources (or `monitor_interval`), and once, at least, each time it
    /// stops being held here.
    pub resource_monitors: Vec<ResourceMonitor>,
    /// The resource groups.
    pub groups: Vec<GroupConfig>,
    /// The ping nodes by name (ha.cf `ping`, `ping_group`), whose answers
    /// the driver reports with [`super::Machine::handle_ping_answer`].
    pub ping_nodes: Vec<String>,
    /// Ping node weights other than 1 (ha.cf `ping_weight`, ours): a
    /// node's count is the sum of the weights of its ping nodes up.
    pub ping_weights: BTreeMap<String, u32>,
    /// Silence after which a ping node is declared dead.
    pub deadping: Duration,
    /// Whether ipfail's rule applies: a node that sees fewer ping nodes
    /// than a peer hands its groups over ([`super::ping_nodes`]).
    pub ipfail: bool,
    /// Whether a fencing device is configured: a dead peer that needs it is
    /// fenced before its groups are taken over ([`super::fencing`]).
    pub fencing: bool,
}

/// Where a group stands on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalGroupState {
    /// Not running here.
    Stopped,
    /// Being started.
    Starting,
    /// Running here.
    Running,
    /// Being stopped.
    Stopping(ReleaseReason),
    /// Failed to start here (rolled back), or given up on by its monitor;
    /// not retried on this node until a cleanup or, for a monitor's, the
    /// failure-timeout.
    Failed,
    /// Failed to stop: may still be partly active, so it stays claimed.
    StopFailed,
}

impl LocalGroupState {
    /// Whether peers must consider the group held by this node.
    pub fn is_held(self) -> bool {
        !matches!(self, LocalGroupState::Stopped | LocalGroupState::Failed)
    }

    /// A word for logs and status.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalGroupState::Stopped => "stopped",
            LocalGroupState::Starting => "starting",
            LocalGroupState::Running => "running",
            LocalGroupState::Stopping(_) => "stopping",
            LocalGroupState::Failed => "failed",
            LocalGroupState::StopFailed => "stop-failed",
        }
    }
}

/// Names one action the machine asked for; the driver answers it with
/// exactly one [`super::Machine::handle_action_result`]. Identifiers are
/// never reused within a run, so a late answer cannot be taken for the
/// answer to a newer action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(pub u64);

impl std::fmt::Display for ActionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why this node starts a group: what made it the group's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StartCause {
    /// Nobody held the group since this node settled (after hearing every
    /// peer or initdead): the first acquisition.
    Initial,
    /// Its holder died: declared dead after deadtime, or back in a new
    /// generation without it (it restarted).
    PeerDead,
    /// Its holder shut down and handed it over.
    PeerShutdown,
    /// This node is the preferred node and its holder gave it back
    /// (auto_failback).
    Failback,
    /// Its holder failed to start (or restart) it, passing it on.
    PeerFailed,
    /// It failed its monitor here: restarted in place.
    Restart,
    /// Its holder handed it over on an operator's standby there or
    /// takeover here (heartbeat's hb_standby and hb_takeover).
    Standby,
    /// Its holder saw fewer ping nodes than this node and handed it over
    /// (ipfail).
    PingNodes,
}

impl StartCause {
    /// Every cause, in declaration order.
    pub const ALL: [StartCause; 8] = [
        StartCause::Initial,
        StartCause::PeerDead,
        StartCause::PeerShutdown,
        StartCause::Failback,
        StartCause::PeerFailed,
        StartCause::Restart,
        StartCause::Standby,
        StartCause::PingNodes,
    ];

    /// A word for logs and status.
    pub fn as_str(self) -> &'static str {
        match self {
            StartCause::Initial => "initial",
            StartCause::PeerDead => "peer-dead",
            StartCause::PeerShutdown => "peer-shutdown",
            StartCause::Failback => "failback",
            StartCause::PeerFailed => "peer-failed",
            StartCause::Restart => "restart",
            StartCause::Standby => "standby",
            StartCause::PingNodes => "ping-nodes",
        }
    }
}

/// What to do with a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// Start it (in order, rolling back on failure), for this reason.
    Start(StartCause),
    /// Stop it (in reverse order), for this reason.
    Stop(ReleaseReason),
    /// Check that it still runs here.
    Monitor,
    /// Check that the resource at this position of the group (start order)
    /// still runs here: one resource's own monitor
    /// ([`Config::resource_monitors`]).
    MonitorResource(usize),
    /// Probe a group this node is not to hold (every resource's status)
    /// and stop, in reverse order, what runs of it here. Its outcome
    /// changes nothing the machine decides: a failed probe is reported,
    /// never a reason to start or move anything.
    Probe,
    /// Tell the network again that it is here (gratuitous ARP), after its
    /// ownership was in doubt.
    Announce,
}

impl ActionKind {
    /// A word for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Start(_) => "start",
            ActionKind::Stop(_) => "stop",
            ActionKind::Monitor | ActionKind::MonitorResource(_) => "monitor",
            ActionKind::Probe => "probe",
            ActionKind::Announce => "announce",
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// It did what was asked (for a monitor: the group runs).
    Succeeded,
    /// It failed (a start is rolled back before this is reported).
    Failed {
        /// Why, for the operator.
        detail: String,
    },
    /// A monitor found the group failing more than it may here (its
    /// resources restarted in place up to their migration-threshold, or a
    /// restart failed) and stopped it: the group is to move, and keeps away
    /// from this node for `retry_after` (`None`: until a cleanup,
    /// [`super::Machine::cleanup`]).
    GaveUp {
        /// Why, for the operator.
        detail: String,
        /// How long the group keeps away from this node.
        retry_after: Option<Duration>,
    },
}

impl ActionOutcome {
    /// A failure for this reason.
    pub fn failed(detail: impl Into<String>) -> Self {
        ActionOutcome::Failed {
            detail: detail.into(),
        }
    }
}

/// Something worth telling the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A node changed state in this node's view.
    NodeState {
        /// The node.
        node: String,
        /// Its previous state.
        from: NodeState,
        /// Its new state.
        to: NodeState,
        /// Why, when the change has a cause worth naming beyond the
        /// states themselves (deadtime and messages need none).
        cause: Option<StateCause>,
    },
    /// A datagram sent on a medium to `address` was refused (nothing
    /// listens there), but no live peer is heard from that address, so
    /// refusals there cannot tell that a peer's process is gone: deadtime
    /// applies. Reported once per medium and address.
    RefusalsIgnored {
        /// The medium (index into the driver's media).
        medium: usize,
        /// Where the refused datagram went.
        address: std::net::IpAddr,
        /// The live peers and the addresses they are heard from.
        heard: Vec<(String, std::net::IpAddr)>,
    },
    /// A peer's heartbeat is later than warntime (reported once per silence).
    LateHeartbeat {
        /// The peer.
        node: String,
        /// How long it has been silent.
        silent_for: Duration,
    },
    /// A peer reported late was heard again.
    HeartbeatResumed {
        /// The peer.
        node: String,
        /// How long it had been silent.
        silent_for: Duration,
    },
    /// A peer started a new generation (it restarted).
    PeerRestarted {
        /// The peer.
        node: String,
        /// Its new generation; worth persisting to reject replays later.
        generation: u64,
    },
    /// A message was rejected.
    Rejected {
        /// The sender it claims.
        node: String,
        /// Why.
        reason: RejectReason,
    },
    /// An action on a group failed here. A failed monitor restarts the
    /// group in place (still held, so no peer takes it meanwhile); a failed
    /// start leaves the group failed here, for another node; a failed stop
    /// keeps it claimed.
    GroupFailed {
        /// The group.
        group: String,
        /// What failed.
        action: ActionKind,
        /// Why.
        detail: String,
    },
    /// An action finished well.
    GroupActionDone {
        /// The group.
        group: String,
        /// What was done.
        action: ActionKind,
    },
    /// A peer knew this node by a generation at least its own (this node
    /// restarted without its state directory): it moved past it. Worth
    /// persisting.
    GenerationAdvanced {
        /// The generation it had.
        from: u64,
        /// The one it has now.
        to: u64,
    },
    /// A group is seen held by two nodes or more at once (after a partition
    /// heals, say): reported once, when the second holder is seen, until
    /// one holder is left. The rule in [`super::ownership`] settles it.
    Conflict {
        /// The group.
        group: String,
        /// The nodes holding it, in ha.cf order.
        holders: Vec<String>,
    },
    /// This node was called this much later than it asked to be: it was
    /// stalled itself (host paused, process starved), and heard nothing
    /// meanwhile. No peer is declared dead before `grace` has passed.
    Stalled {
        /// How late the call came.
        late_by: Duration,
        /// How long peers get to be heard before being judged.
        grace: Duration,
    },
    /// This node now stands by for these groups (and releases those it
    /// holds to a peer): the operator's standby here, or a peer's takeover.
    StandingBy {
        /// The set, as this node sees it.
        set: super::handover::ResourceSet,
        /// The groups in it.
        groups: Vec<String>,
        /// The peer whose takeover asked for it; `None`: the operator here.
        asked_by: Option<String>,
    },
    /// A ping node changed state in this node's view.
    PingNode {
        /// The ping node.
        name: String,
        /// Its previous state.
        from: PingState,
        /// Its new state.
        to: PingState,
        /// How many ping nodes this node now sees up (`None`: some not
        /// judged yet).
        count: Option<u32>,
    },
    /// With ipfail, a node saw fewer ping nodes than another for the whole
    /// hold, or stopped doing so: it hands its groups over, or may have
    /// them back.
    PingShortfall {
        /// The node.
        node: String,
        /// Whether it is short now.
        short: bool,
    },
    /// A fence of a dead peer was asked for ([`Output::Fence`]); its
    /// groups are not taken over until one succeeds.
    FenceStarted {
        /// The peer.
        node: String,
        /// Which attempt this is (1 for the first).
        attempt: u32,
    },
    /// A fence failed: the peer's groups stay down; it is tried again in
    /// `retry_in`.
    FenceFailed {
        /// The peer.
        node: String,
        /// Which attempt failed.
        attempt: u32,
        /// Why.
        detail: String,
        /// When it is tried again.
        retry_in: Duration,
    },
    /// The peer is fenced: its groups may be taken over.
    FenceSucceeded {
        /// The peer.
        node: String,
        /// How many attempts it took.
        attempts: u32,
    },
    /// A peer whose fence was pending was heard again: no fence any more.
    FenceCancelled {
        /// The peer.
        node: String,
    },
    /// A dead peer needed fencing and no device is configured: its groups
    /// are taken over unprotected (heartbeat's warning).
    FencingUnavailable {
        /// The peer.
        node: String,
    },
    /// A dead peer held nothing when it died: no fence is needed.
    FenceUnneeded {
        /// The peer.
        node: String,
    },
    /// Shutdown finished: every group is released and peers are told.
    ShutdownComplete,
}

/// Why a node changed state, when the states alone do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateCause {
    /// Its host refused this many heartbeats since it was last heard
    /// (ICMP port unreachable): the host is up, the process is gone
    /// (the `refusal` module).
    PortRefused {
        /// Refusals counted.
        refusals: u32,
    },
}

impl std::fmt::Display for StateCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateCause::PortRefused { refusals } => write!(
                f,
                "its port refused {refusals} heartbeats: process gone, host up"
            ),
        }
    }
}

/// Where an accepted message came from: the medium it arrived on (index
/// into the driver's media) and its source address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via {
    /// The medium.
    pub medium: usize,
    /// The sender's address.
    pub source: std::net::IpAddr,
}

/// Why an authenticated message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// A copy of a message just received from a live peer: normal when
    /// several media carry every message.
    Duplicate,
    /// A message seen before that cannot be a second copy: from an older
    /// generation, too far behind, or repeated while its sender is dead.
    Replay(Rejection),
    /// The sender is not a node of this cluster.
    UnknownNode,
    /// From a generation whose shutdown was already received: sent before
    /// it and delayed past it, or sent after it while the sender exits.
    /// It no longer describes the sender, which is gone until it restarts.
    AfterShutdown,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this message on every medium (a message that matters more than
    /// the others, such as a shutdown, is asked for twice).
    Send(Message),
    /// Run an action on a group in a task of its own; answer with
    /// [`super::Machine::handle_action_result`] and this `id`.
    Action {
        /// Answers carry it.
        id: ActionId,
        /// The group.
        group: String,
        /// What to do.
        kind: ActionKind,
    },
    /// Fence (reset) a dead peer in a task of its own; answer with
    /// [`super::Machine::handle_fence_result`] and this `id`. A timeout is
    /// a failure.
    Fence {
        /// Answers carry it (ids are shared with actions, never reused).
        id: ActionId,
        /// The node to fence.
        node: String,
    },
    /// Tell the operator.
    Event(Event),
}

/// A snapshot of one node's view, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// Node name.
    pub name: String,
    /// Its state.
    pub state: NodeState,
    /// Time since it was last heard (`None`: never, or this node).
    pub silent_for: Option<Duration>,
    /// Its generation as last seen.
    pub generation: u64,
    /// Whether this is the local node.
    pub local: bool,
    /// How many ping nodes it sees up, as it says (this node: as it
    /// counts); `None` when unknown.
    pub ping_nodes: Option<u32>,
}

/// A snapshot of one ping node, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingNodeStatus {
    /// Its name (its address, or its ping_group's name).
    pub name: String,
    /// Its state.
    pub state: PingState,
    /// Time since it last answered (`None`: never).
    pub silent_for: Option<Duration>,
}

/// A snapshot of one group, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatus {
    /// The group.
    pub id: String,
    /// Its preferred node.
    pub preferred: String,
    /// The node holding it, as this node sees it.
    pub owner: Option<String>,
    /// Where it stands on this node.
    pub local_state: LocalGroupState,
}

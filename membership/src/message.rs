//! The typed messages nodes exchange; [`crate::wire`] maps them to and from
//! heartbeat's netstring fields.
//!
//! Every message carries a [`Header`]: who sent it, the sender's generation
//! (bumped and persisted at every start) and a sequence number (starting at 1
//! in each generation). Receivers use the pair to reject duplicates and
//! replays. No message carries a time that a receiver acts on: heartbeat's
//! `ts` field is sent for compatibility and ignored.

use std::fmt;

/// A node's state as announced in its heartbeats (`st=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeState {
    /// Just started: not yet sending regular heartbeats.
    Init,
    /// Alive, but has not yet learned which groups its peers hold.
    Up,
    /// Alive and taking part in resource ownership.
    Active,
    /// Declared dead (deadtime passed, or it said it was shutting down).
    Dead,
}

impl NodeState {
    /// The word used on the wire and in status output.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Init => "init",
            NodeState::Up => "up",
            NodeState::Active => "active",
            NodeState::Dead => "dead",
        }
    }

    /// Parses the wire word.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "init" => Some(NodeState::Init),
            "up" => Some(NodeState::Up),
            "active" => Some(NodeState::Active),
            "dead" => Some(NodeState::Dead),
            _ => None,
        }
    }
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every message says about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The sender's node name (`src=`).
    pub from: String,
    /// The sender's UUID (`srcuuid=`, 16 raw bytes).
    pub uuid: [u8; 16],
    /// The sender's generation (`hg=`, hex): persisted, bumped at every start.
    pub generation: u64,
    /// Sequence number within the generation (`seq=`, hex), from 1.
    pub seq: u64,
}

/// A heartbeat (`t=status`): the sender is alive, and here is what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Sender, generation, sequence.
    pub header: Header,
    /// The sender's own state (`st=`).
    pub state: NodeState,
    /// The sender's deadtime in milliseconds (`dt=`, hex).
    pub deadtime_ms: u64,
    /// Groups the sender holds: starting, running or stopping (`rsc_held=`).
    pub held: Vec<String>,
    /// Groups that failed to start on the sender (`rsc_failed=`).
    pub failed: Vec<String>,
    /// Groups the sender stands by for (`rsc_standby=`): an operator's
    /// standby or a peer's takeover handed them away, and the sender
    /// neither claims nor takes them back while another node can hold them.
    pub standby: Vec<String>,
    /// How many ping nodes the sender sees up (`num_ping=`), once it has
    /// judged every one of them; `None` without ping nodes, before then,
    /// or from a heartbeat 3.0.6 node.
    pub ping_nodes: Option<u32>,
    /// Whether the sender lists what it holds in its statuses
    /// (`rsc_lists=1`): every ha-node does, so `held` empty means it holds
    /// nothing. A heartbeat 3.0.6 node does not: what it holds is known
    /// only from its resource reports ([`Message::Resources`]).
    pub lists_groups: bool,
}

/// A message of the cluster protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A heartbeat.
    Status(Status),
    /// The sender has released everything and is leaving (`t=shutdone`):
    /// receivers declare it dead at once instead of waiting for deadtime.
    Shutdown(Header),
    /// Ours: "I know you as generation `known`" — sent to a node whose
    /// messages are rejected as replays while it counts as dead (`t=
    /// ha_genhint`, addressed with `dest`). A node that restarted without
    /// its state directory, and so with too low a generation, takes the
    /// next one above `known` and is accepted again.
    GenerationHint {
        /// Sender, generation, sequence.
        header: Header,
        /// The node the hint is for.
        to: String,
        /// The generation the sender last accepted from it.
        known: u64,
    },
    /// heartbeat's standby protocol (`t=ask_resources`, sent by its
    /// hb_standby): `rsc_hold` names the resources (`all`, `local`,
    /// `foreign`, as the sender sees them) and `info` the phase: `me` (the
    /// sender goes standby), `other` (a peer agrees), `done` (released, or
    /// acquired).
    AskResources {
        /// Sender, generation, sequence.
        header: Header,
        /// `rsc_hold`: which resources.
        resources: String,
        /// `info`: the phase.
        info: String,
    },
    /// heartbeat's takeover request (`t=hb_takeover`, sent by its
    /// hb_takeover): the sender asks its peers to go standby for the
    /// resources `rsc_hold` names as the sender sees them (`all`, `local`,
    /// `foreign`, `failback`).
    Takeover {
        /// Sender, generation, sequence.
        header: Header,
        /// `rsc_hold`: which resources.
        resources: String,
    },
    /// heartbeat's `t=starting`: the sender's communication just came up
    /// and it asks what its peers hold; it holds nothing yet itself.
    Starting(Header),
    /// heartbeat's resource report (`t=resource`): which resources the
    /// sender holds as it sees them (`rsc_hold`: `none`, `local`,
    /// `foreign`, `all`) and whether it has finished acquiring and
    /// releasing them (`isstable`).
    Resources {
        /// Sender, generation, sequence.
        header: Header,
        /// `rsc_hold`: what the sender holds.
        held: String,
        /// `rtype=full`: the report replaces the last one (otherwise it
        /// adds to it, heartbeat's `HB_UPD_RSC`).
        full: bool,
        /// `isstable`: `None` when absent (heartbeat's takeover scripts
        /// send none).
        stable: Option<bool>,
        /// `info`: why it was sent (`standby`, `shutdown`, …), if said.
        info: Option<String>,
    },
    /// A message type of heartbeat's that this protocol does not act on
    /// (acks, node lists…); kept so receivers can log it.
    Other {
        /// Sender, generation, sequence.
        header: Header,
        /// The `t=` value.
        kind: String,
    },
}

/// heartbeat's prefix for message types that carry no sequence number.
pub const UNSEQUENCED_PREFIX: &str = "NS_";

impl Message {
    /// Whether the message is numbered in its sender's sequence. heartbeat's
    /// `NS_` messages (acks, retransmission requests and their refusals)
    /// are not: they travel with sequence number 0 (heartbeat's
    /// `process_clustermsg` and `should_drop_message` exempt them from
    /// sequence tracking), so duplicates and replays cannot be told apart
    /// from them, and they prove nothing about the sender's liveness
    /// (heartbeat times a node only by its statuses, `HBDoMsg_T_STATUS`).
    pub fn is_sequenced(&self) -> bool {
        !matches!(self, Message::Other { kind, .. } if kind.starts_with(UNSEQUENCED_PREFIX))
    }

    /// The header every message carries.
    pub fn header(&self) -> &Header {
        match self {
            Message::Status(status) => &status.header,
            Message::Shutdown(header) => header,
            Message::GenerationHint { header, .. } => header,
            Message::AskResources { header, .. } => header,
            Message::Takeover { header, .. } => header,
            Message::Starting(header) => header,
            Message::Resources { header, .. } => header,
            Message::Other { header, .. } => header,
        }
    }
}

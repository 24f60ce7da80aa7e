//! The vocabulary of the operator's hand-overs (the [`super::standby`]
//! module): heartbeat's resource words, what a hand-over moves, and why one
//! is refused.

/// The operator's word: which resources (`hb_standby`'s and
/// `hb_takeover`'s argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Every group.
    All,
    /// The groups whose preferred node is another node.
    Foreign,
    /// The groups whose preferred node is this one.
    Local,
    /// `hb_standby`: the foreign groups, back to their preferred nodes;
    /// `hb_takeover`: as heartbeat runs it, every group.
    Failback,
}

impl Which {
    /// Parses `all`, `foreign`, `local` or `failback`.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "all" => Some(Which::All),
            "foreign" => Some(Which::Foreign),
            "local" => Some(Which::Local),
            "failback" => Some(Which::Failback),
            _ => None,
        }
    }

    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            Which::All => "all",
            Which::Foreign => "foreign",
            Which::Local => "local",
            Which::Failback => "failback",
        }
    }

    /// The set a standby gives up (`failback` is `foreign`).
    pub fn for_standby(self) -> ResourceSet {
        match self {
            Which::All => ResourceSet::All,
            Which::Foreign | Which::Failback => ResourceSet::Foreign,
            Which::Local => ResourceSet::Local,
        }
    }

    /// The set a takeover asks for, seen from the node asking
    /// (`failback` is `all`, as heartbeat's rc.d/hb_takeover makes it).
    pub fn for_takeover(self) -> ResourceSet {
        match self {
            Which::All | Which::Failback => ResourceSet::All,
            Which::Foreign => ResourceSet::Foreign,
            Which::Local => ResourceSet::Local,
        }
    }
}

/// heartbeat's resource sets (`rsc_hold`), from one node's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceSet {
    /// Every group.
    All,
    /// Groups preferred by the node.
    Local,
    /// Groups preferred by another node.
    Foreign,
}

impl ResourceSet {
    /// Parses heartbeat's words `all`, `local` and `foreign`.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "all" => Some(ResourceSet::All),
            "local" => Some(ResourceSet::Local),
            "foreign" => Some(ResourceSet::Foreign),
            _ => None,
        }
    }

    /// The word heartbeat sends.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceSet::All => "all",
            ResourceSet::Local => "local",
            ResourceSet::Foreign => "foreign",
        }
    }

    /// The same groups seen from the other node of a pair.
    pub fn mirrored(self) -> Self {
        match self {
            ResourceSet::All => ResourceSet::All,
            ResourceSet::Local => ResourceSet::Foreign,
            ResourceSet::Foreign => ResourceSet::Local,
        }
    }

    /// Whether a group preferred by `preferred` is in this set as `node`
    /// sees it.
    pub fn covers(self, preferred: &str, node: &str) -> bool {
        match self {
            ResourceSet::All => true,
            ResourceSet::Local => preferred == node,
            ResourceSet::Foreign => preferred != node,
        }
    }
}

/// What an accepted standby or takeover moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The set, as the node asked sees it.
    pub set: ResourceSet,
    /// The groups in it that change hands now (held here for a standby,
    /// by a peer for a takeover), in haresources order.
    pub moving: Vec<String>,
    /// The active peers that give or take them.
    pub peers: Vec<String>,
}

/// Why a standby or takeover was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoverRefused {
    /// No peer is active: nobody could take the groups (standby) or
    /// give them (takeover).
    #[error("no peer is active to {verb} ({states}): refused")]
    NoActivePeer {
        /// `take the groups over` or `hand the groups over`.
        verb: &'static str,
        /// Each peer with its state, e.g. `node-b is dead`.
        states: String,
    },
    /// This node has not settled yet.
    #[error("this node is {state}, not active yet: refused")]
    NotActive {
        /// Its state.
        state: crate::message::NodeState,
    },
    /// This node is shutting down.
    #[error("this node is shutting down: refused")]
    ShuttingDown,
}

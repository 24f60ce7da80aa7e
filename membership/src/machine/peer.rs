//! What one node knows about one peer: liveness, state and claims.
//!
//! A peer is `Init` until it is first heard, then takes the state it
//! announces. It is declared `Dead` when nothing has been heard from it for
//! deadtime (or, if it was never heard, for initdead after our own start), or
//! at once when it says it is shutting down. A shutdown ends the sender's
//! generation: whatever else that generation sends changes nothing, whether
//! it was sent before the shutdown and reordered by the network, or after
//! it (heartbeat 3.0.6 goes on sending `st=active` heartbeats for about two
//! seconds after its `shutdone` while its processes exit, see
//! `hb_mcp_final_shutdown` in heartbeat.c); only a new generation (a
//! restart) brings the node back. Further copies of the shutdown are
//! duplicates. A heartbeat later than
//! warntime is reported once per silence.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::sequence::SequenceWindow;
use crate::message::NodeState;

/// The view of one peer.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The peer's node name.
    pub name: String,
    /// The state we believe it is in.
    pub state: NodeState,
    /// When we last accepted a message from it (monotonic).
    pub last_heard: Option<Instant>,
    /// Whether the current silence has already been reported as late.
    pub warned: bool,
    /// Groups it says it holds (empty while dead).
    pub held: BTreeSet<String>,
    /// Groups it says failed to start on it.
    pub failed: BTreeSet<String>,
    /// Groups it stands by for (an operator's standby or takeover).
    pub standby: BTreeSet<String>,
    /// How many ping nodes it says it sees up (`None`: it does not say).
    pub ping_nodes: Option<u32>,
    /// Duplicate and replay rejection for its messages.
    pub window: SequenceWindow,
    /// The generation and sequence number of the shutdown it sent, until it
    /// starts a new generation.
    pub farewell: Option<(u64, u64)>,
    /// When a generation hint was last sent to it.
    pub hinted_at: Option<Instant>,
    /// The generation and sequence number of the newest status taken from
    /// it: an older one arriving later (over a slower medium, or
    /// reordered) proves it alive but says nothing new about its state.
    pub newest_status: Option<(u64, u64)>,
    /// Whether it runs heartbeat 3.0.6 (its statuses do not list what it
    /// holds), known from its first status.
    pub speaks_heartbeat: bool,
    /// heartbeat peers: what its last resource report (or `starting`)
    /// said it holds, in this generation; `None` before the first.
    pub reported: Option<super::holding::Holding>,
    /// heartbeat peers: whether that report said it was stable.
    pub reported_stable: bool,
    /// heartbeat peers: the generation a `starting` was sent for, and when.
    pub asked_generation: Option<(u64, Instant)>,
}

impl Peer {
    /// A peer not heard yet; `generation` is the last one seen in an earlier run.
    pub fn new(name: String, generation: u64) -> Self {
        Peer {
            name,
            state: NodeState::Init,
            last_heard: None,
            warned: false,
            held: BTreeSet::new(),
            failed: BTreeSet::new(),
            standby: BTreeSet::new(),
            ping_nodes: None,
            window: SequenceWindow::with_generation(generation),
            farewell: None,
            hinted_at: None,
            newest_status: None,
            speaks_heartbeat: false,
            reported: None,
            reported_stable: false,
            asked_generation: None,
        }
    }

    /// Whether the peer counts as a live cluster member.
    pub fn is_live(&self) -> bool {
        matches!(self.state, NodeState::Up | NodeState::Active)
    }

    /// When the peer will be declared dead if nothing more is heard, or
    /// `None` if it is already dead.
    pub fn dead_at(
        &self,
        started: Instant,
        deadtime: Duration,
        initdead: Duration,
    ) -> Option<Instant> {
        if self.state == NodeState::Dead {
            return None;
        }
        Some(match self.last_heard {
            Some(heard) => heard + deadtime,
            None => started + initdead,
        })
    }

    /// When a late heartbeat is to be reported, if it has not been already.
    pub fn warn_at(&self, warntime: Duration) -> Option<Instant> {
        if self.warned || !self.is_live() {
            return None;
        }
        self.last_heard.map(|heard| heard + warntime)
    }

    /// Whether the peer has said farewell in this generation: nothing
    /// more it sends in it counts.
    pub fn departed(&self, generation: u64) -> bool {
        self.farewell.is_some_and(|(g, _)| generation == g)
    }

    /// Whether a status of this generation and sequence number is newer
    /// than every status taken from the peer so far (then it is noted as
    /// the newest).
    pub fn take_status(&mut self, generation: u64, seq: u64) -> bool {
        let newer = self
            .newest_status
            .is_none_or(|(g, s)| generation > g || (generation == g && seq > s));
        if newer {
            self.newest_status = Some((generation, seq));
        }
        newer
    }

    /// Whether it runs heartbeat and is active: its communication is up,
    /// so it negotiates resources with this node.
    pub fn negotiates(&self) -> bool {
        self.speaks_heartbeat && self.state == NodeState::Active
    }

    /// Forgets what a peer held, as it is being declared dead.
    pub fn forget_claims(&mut self) {
        self.held.clear();
        self.standby.clear();
        self.warned = false;
        self.ping_nodes = None;
        self.reported = None;
        self.reported_stable = false;
    }
}

//! The sans-IO cluster state machine.
//!
//! [`Machine`] holds one node's view of the cluster and makes every
//! protocol decision; it performs no I/O and reads no clock. See
//! [`Machine`] for the order of calls. Tests drive it with a fake clock,
//! through the crate's simulated cluster (the `harness` module).
//!
//! Liveness follows heartbeat: a heartbeat every keepalive; a peer silent for
//! warntime is reported late (once per silence), for deadtime declared dead;
//! at start-up peers get initdead to be heard. A peer whose host refuses
//! our unicast heartbeats (its process gone, its host up) is declared dead
//! sooner, after a short confirmation ([`refusal`]). Ownership follows
//! [`ownership`]. Groups running here are monitored every
//! [`Config::monitor_interval`], and each resource of
//! [`Config::resource_monitors`] at its own interval (one monitor at a time
//! per group and per resource); a failed
//! monitor restarts the group in place, and a failed restart leaves it to
//! another node. A monitor may also answer that it gave up on the group
//! ([`ActionOutcome::GaveUp`]: its resources were restarted in place up to
//! their migration-threshold, and it stopped the group): the group is
//! failed here, a peer takes it, and it keeps away from this node until
//! the failure-timeout passes or the operator cleans it up
//! ([`Machine::cleanup`]). The operator's standby and takeover hand groups over at
//! once ([`standby`]). Ping nodes and ipfail's rule are in [`ping_nodes`].
//! A dead peer is fenced before its groups are taken over when fencing is
//! configured and needed ([`fencing`]).
//!
//! Probes, as Pacemaker's: once settled, a node probes every group it is
//! not to hold ([`ActionKind::Probe`]: the resource layer asks each
//! resource's status and stops what runs) as soon as the group is not held
//! here (at settling, after a stop, after a failed start), then again at
//! the group's probe interval ([`Config::resource_monitors`]). What a probe
//! answers is reported and changes no ownership. A start probes too, in the
//! resource layer, before it starts anything.

mod cause;
pub mod fencing;
mod handover;
pub mod heartbeat_peer;
mod holding;
pub mod ownership;
pub mod peer;
pub mod ping_nodes;
pub mod refusal;
pub mod sequence;
mod stall;
pub mod standby;
mod types;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use crate::message::{Header, Message, NodeState, Status};
use cause::{LetGo, Vacancies};
pub use fencing::FenceStatus;
use fencing::{Answered, Fences};
pub use handover::{Handover, HandoverRefused, ResourceSet, Which};
pub use ownership::ReleaseReason;
use ownership::{Decision, GroupView};
use peer::Peer;
use ping_nodes::PingNodes;
pub use ping_nodes::PingState;
use refusal::{Refusals, Verdict};
pub use sequence::Rejection;
use stall::Stalls;
use standby::Standby;
pub use types::{
    ActionId, ActionKind, ActionOutcome, Config, Event, GroupConfig, GroupStatus, LocalGroupState,
    NodeStatus, Output, PingNodeStatus, RejectReason, ResourceMonitor, StartCause, StateCause, Via,
};

/// One node's view of the cluster.
///
/// # Order of calls
///
/// 1. [`Machine::new`] at start-up (it queues the first heartbeat).
/// 2. Then, as long as the node runs, in any order, each with the current
///    monotonic time:
///    - [`Machine::handle_message`] for every authenticated message received
///      ([`Machine::handle_message_via`] when the medium and source are
///      known, which refusals need);
///    - [`Machine::handle_refusal`] when a medium reports a datagram refused;
///    - [`Machine::handle_ping_answer`] when a ping node answers an echo;
///    - [`Machine::handle_timeout`] when [`Machine::poll_timeout`]'s instant
///      has come (calling it early is harmless);
///    - [`Machine::handle_action_result`] once for every
///      [`Output::Action`], with its id, when the action has ended;
///    - [`Machine::handle_fence_result`] once for every [`Output::Fence`],
///      with its id, when the fence has ended (or timed out);
///    - [`Machine::shutdown`] when the operator asks the node to stop;
///    - [`Machine::standby`] and [`Machine::takeover`] when the operator
///      asks to hand groups over (each answers at once);
///    - [`Machine::cleanup`] when the operator clears a group's failures.
/// 3. After each of those calls: drain [`Machine::poll_output`] until it
///    returns `None` and carry out what it says, then ask
///    [`Machine::poll_timeout`] when to call [`Machine::handle_timeout`]
///    next. A driver that has several inputs ready should hand the machine
///    every message already received before a timeout that is due.
/// 4. Stop after [`Event::ShutdownComplete`].
#[derive(Debug)]
pub struct Machine {
    config: Config,
    started: Instant,
    generation: u64,
    next_seq: u64,
    state: NodeState,
    shutting_down: bool,
    shutdown_sent: bool,
    next_heartbeat: Instant,
    peers: Vec<Peer>,
    groups: BTreeMap<String, LocalGroupState>,
    /// Actions asked for and not answered yet.
    in_flight: BTreeMap<ActionId, (String, ActionKind)>,
    next_action: u64,
    /// When each group running here is next monitored: as a whole
    /// (`None`) or one resource of it (its position).
    next_monitor: BTreeMap<(String, Option<usize>), Instant>,
    /// Groups not held here: when each is next probed (`None`: probed, and
    /// not again until it has been held here and let go).
    next_probe: BTreeMap<String, Option<Instant>>,
    /// Groups a monitor gave up on here, and when they may run here again
    /// (`None`: after a cleanup only).
    banned: BTreeMap<String, Option<Instant>>,
    /// How the last holder of each unheld group let it go: the cause of a
    /// start here.
    vacancies: Vacancies,
    /// Groups seen held by two nodes or more, until one holder is left.
    conflicts: BTreeSet<String>,
    /// This node's own recent stalls, which defer judging peers dead.
    stalls: Stalls,
    /// Where peers are heard from, and peers whose port refused heartbeats.
    refusals: Refusals,
    /// The groups this node stands by for.
    standby: Standby,
    /// A standby whose releases heartbeat's protocol expects to be
    /// reported (`info=done`) once none of its groups is held here.
    standby_done: Option<ResourceSet>,
    /// The ping nodes, and which nodes are short of them.
    ping: PingNodes,
    /// Dead peers to fence before their groups are taken over.
    fences: Fences,
    /// heartbeat 3.0.6's resource negotiation with a peer that runs it.
    negotiation: heartbeat_peer::Negotiation,
    outputs: VecDeque<Output>,
}

impl Machine {
    /// A node starting now in `generation`, remembering the generations its
    /// peers had in earlier runs (to reject replays of older ones).
    pub fn new(
        config: Config,
        generation: u64,
        known_generations: &BTreeMap<String, u64>,
        now: Instant,
    ) -> Self {
        let peers = config
            .nodes
            .iter()
            .filter(|n| **n != config.local)
            .map(|n| Peer::new(n.clone(), known_generations.get(n).copied().unwrap_or(0)))
            .collect();
        let groups = config
            .groups
            .iter()
            .map(|g| (g.id.clone(), LocalGroupState::Stopped))
            .collect();
        let ping = PingNodes::new(
            &config.ping_nodes,
            &config.ping_weights,
            config.deadping,
            config.keepalive,
            now,
        );
        let mut machine = Machine {
            config,
            started: now,
            generation,
            next_seq: 1,
            state: NodeState::Init,
            shutting_down: false,
            shutdown_sent: false,
            next_heartbeat: now,
            peers,
            groups,
            in_flight: BTreeMap::new(),
            next_action: 1,
            next_monitor: BTreeMap::new(),
            next_probe: BTreeMap::new(),
            banned: BTreeMap::new(),
            vacancies: Vacancies::default(),
            conflicts: BTreeSet::new(),
            stalls: Stalls::default(),
            refusals: Refusals::default(),
            standby: Standby::default(),
            standby_done: None,
            ping,
            fences: Fences::default(),
            negotiation: heartbeat_peer::Negotiation::default(),
            outputs: VecDeque::new(),
        };
        machine.send_status();
        machine.set_local_state(NodeState::Up);
        machine.update(now);
        machine
    }

    /// This node's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This node's state.
    pub fn state(&self) -> NodeState {
        self.state
    }

    /// Takes an authenticated message received at `now`.
    pub fn handle_message(&mut self, now: Instant, message: Message) {
        self.receive(now, message, None);
    }

    /// Takes an authenticated message received at `now` on a known medium
    /// from a known address (where a peer is heard from decides which
    /// refusals count against it).
    pub fn handle_message_via(&mut self, now: Instant, message: Message, via: Via) {
        self.receive(now, message, Some(via));
    }

    /// A datagram sent on `medium` to `to` was refused at `now` (ICMP port
    /// unreachable: its host is up, nothing listens). Counts against the
    /// live peer heard from `to`, which is probed at once and declared dead
    /// once the refusals are confirmed ([`refusal`]); ignored otherwise.
    pub fn handle_refusal(&mut self, now: Instant, medium: usize, to: IpAddr) {
        self.note_call(now);
        let live: BTreeSet<String> = self
            .peers
            .iter()
            .filter(|p| p.is_live())
            .map(|p| p.name.clone())
            .collect();
        match self
            .refusals
            .refused(now, medium, to, |node| live.contains(node))
        {
            Verdict::Counted { .. } => {}
            Verdict::Ignored { report } => {
                if report {
                    let heard = self
                        .refusals
                        .heard_from(|node| live.contains(node))
                        .map(|(node, address)| (node.to_string(), address))
                        .collect();
                    self.event(Event::RefusalsIgnored {
                        medium,
                        address: to,
                        heard,
                    });
                }
                return;
            }
        }
        self.judge_refusals(now);
        self.update(now);
    }

    /// The ping node `name` answered an echo at `now` (names not in
    /// [`Config::ping_nodes`] are ignored).
    pub fn handle_ping_answer(&mut self, now: Instant, name: &str) {
        self.note_call(now);
        let before = self.ping.count();
        if let Some(change) = self.ping.answered(name, now) {
            self.ping_changed(before, vec![change]);
        }
        self.update(now);
    }

    /// Reports ping node changes; a heartbeat goes out at once when this
    /// node's count changed, so peers weigh the new count without waiting.
    fn ping_changed(&mut self, before: Option<u32>, changes: Vec<ping_nodes::Change>) {
        let count = self.ping.count();
        for change in changes {
            self.event(Event::PingNode {
                name: change.name,
                from: change.from,
                to: change.to,
                count,
            });
        }
        if count != before && !self.shutdown_sent {
            self.send_status();
        }
    }

    /// Sends the probes due and declares dead every peer whose refusals
    /// are confirmed at `now`.
    fn judge_refusals(&mut self, now: Instant) {
        let keepalive = self.config.keepalive;
        for index in 0..self.peers.len() {
            let peer = &self.peers[index];
            if !peer.is_live() {
                continue;
            }
            let Some((at, refusals)) =
                self.refusals
                    .confirmed_at(&peer.name, peer.last_heard, keepalive)
            else {
                continue;
            };
            let at = self.stalls.defer(at, keepalive, self.config.deadtime);
            if now >= at {
                self.declare_dead(now, index, Some(StateCause::PortRefused { refusals }));
            }
        }
        if self.refusals.take_probes(now, keepalive) && !self.shutdown_sent {
            self.send_status();
        }
    }

    /// Declares the peer at `index` dead: what it held is free, once it is
    /// fenced if it must be ([`fencing`]).
    fn declare_dead(&mut self, now: Instant, index: usize, cause: Option<StateCause>) {
        let peer = &mut self.peers[index];
        let node = peer.name.clone();
        let heard = peer.last_heard.is_some();
        let held = peer.held.clone();
        for group in &peer.held {
            self.vacancies.let_go(&peer.name, group, LetGo::Died);
        }
        peer.forget_claims();
        self.refusals.forget(&node);
        self.set_peer_state_because(index, NodeState::Dead, cause);
        if !fencing::needed(heard, &held) {
            self.event(Event::FenceUnneeded { node });
        } else if self.config.fencing {
            self.fences.begin(&node, heard.then_some(held), now);
            self.ask_due_fences(now);
        } else {
            self.event(Event::FencingUnavailable { node });
        }
    }

    /// Asks for every fence due at `now` (first attempts and retries).
    fn ask_due_fences(&mut self, now: Instant) {
        let mut next = self.next_action;
        let asked = self.fences.due(now, || {
            let id = ActionId(next);
            next += 1;
            id
        });
        self.next_action = next;
        for (node, id, attempt) in asked {
            self.event(Event::FenceStarted {
                node: node.clone(),
                attempt,
            });
            self.outputs.push_back(Output::Fence { id, node });
        }
    }

    /// Takes the outcome of the fence `id` this machine asked for. An id
    /// not in flight (answered already, cancelled, or unknown) is ignored.
    /// After a success the fenced peer's groups may be taken over; after a
    /// failure the fence is asked for again [`fencing::RETRY_INTERVAL`]
    /// later.
    pub fn handle_fence_result(&mut self, now: Instant, id: ActionId, outcome: ActionOutcome) {
        self.note_call(now);
        let succeeded = outcome == ActionOutcome::Succeeded;
        match self.fences.answer(id, succeeded, now) {
            Answered::Ignored => return,
            Answered::Fenced { node, attempts } => {
                self.event(Event::FenceSucceeded { node, attempts });
            }
            Answered::Failed { node, attempts } => {
                let detail = match outcome {
                    ActionOutcome::Failed { detail } | ActionOutcome::GaveUp { detail, .. } => {
                        detail
                    }
                    ActionOutcome::Succeeded => String::new(),
                };
                self.event(Event::FenceFailed {
                    node,
                    attempt: attempts,
                    detail,
                    retry_in: fencing::RETRY_INTERVAL,
                });
            }
        }
        self.update(now);
    }

    /// Every pending fence, for status displays.
    pub fn fences(&self, now: Instant) -> Vec<FenceStatus> {
        self.fences.statuses(now)
    }

    fn receive(&mut self, now: Instant, message: Message, via: Option<Via>) {
        self.note_call(now);
        let header = message.header().clone();
        if header.from == self.config.local {
            return;
        }
        let Some(index) = self.peers.iter().position(|p| p.name == header.from) else {
            self.event(Event::Rejected {
                node: header.from,
                reason: RejectReason::UnknownNode,
            });
            return;
        };
        if !message.is_sequenced() {
            // heartbeat's acks and retransmission requests: no sequence
            // number to check, and no proof of life (only statuses are).
            return;
        }
        if let Some(via) = via {
            self.refusals.source(&header.from, via.medium, via.source);
        }
        let peer = &mut self.peers[index];
        let new_generation = match peer.window.accept(header.generation, header.seq) {
            Ok(new_generation) => new_generation,
            Err(rejection) => {
                // A shutdown is sent twice: its second copy is no replay.
                let copy_of_farewell = peer.farewell == Some((header.generation, header.seq));
                let reason = match rejection {
                    Rejection::Duplicate if peer.is_live() || copy_of_farewell => {
                        RejectReason::Duplicate
                    }
                    rejection => RejectReason::Replay(rejection),
                };
                let hint = matches!(reason, RejectReason::Replay(_))
                    && !peer.is_live()
                    && peer
                        .hinted_at
                        .is_none_or(|at| now.saturating_duration_since(at) >= HINT_INTERVAL);
                if hint {
                    peer.hinted_at = Some(now);
                    let known = peer.window.generation();
                    self.send_generation_hint(&header.from, known);
                }
                self.event(Event::Rejected {
                    node: header.from,
                    reason,
                });
                return;
            }
        };
        if new_generation {
            peer.farewell = None;
        } else if peer.departed(header.generation) {
            self.event(Event::Rejected {
                node: header.from,
                reason: RejectReason::AfterShutdown,
            });
            return;
        }
        if peer.warned {
            if let Some(heard) = peer.last_heard {
                let silent_for = now.saturating_duration_since(heard);
                peer.warned = false;
                self.outputs
                    .push_back(Output::Event(Event::HeartbeatResumed {
                        node: header.from.clone(),
                        silent_for,
                    }));
            }
        }
        let peer = &mut self.peers[index];
        if new_generation {
            self.outputs.push_back(Output::Event(Event::PeerRestarted {
                node: header.from.clone(),
                generation: header.generation,
            }));
        }
        peer.last_heard = Some(now);
        self.refusals.heard(&header.from);
        if self.fences.cancel(&header.from) {
            self.outputs.push_back(Output::Event(Event::FenceCancelled {
                node: header.from.clone(),
            }));
        }
        let peer = &mut self.peers[index];
        let held_before = peer.held.clone();
        let came_back = peer.state == NodeState::Dead;
        // A status older than one already taken (it came over a slower
        // medium) proves the peer alive and nothing more.
        let stale_status = matches!(message, Message::Status(_))
            && !peer.take_status(header.generation, header.seq);
        let new_state = match &message {
            Message::Status(_) if stale_status => match peer.state {
                NodeState::Dead | NodeState::Init => NodeState::Up,
                state => state,
            },
            Message::Status(status) if !status.lists_groups => {
                // heartbeat: what it holds comes from its reports.
                peer.ping_nodes = status.ping_nodes;
                match status.state {
                    NodeState::Active => NodeState::Active,
                    _ => NodeState::Up,
                }
            }
            Message::Status(status) => {
                peer.speaks_heartbeat = false;
                let held: BTreeSet<String> = status.held.iter().cloned().collect();
                let failed: BTreeSet<String> = status.failed.iter().cloned().collect();
                let standby: BTreeSet<String> = status.standby.iter().cloned().collect();
                peer.ping_nodes = status.ping_nodes;
                let short = self.ping.is_falling_short(&peer.name);
                for group in peer.held.difference(&held) {
                    let how = if new_generation {
                        LetGo::Died
                    } else if failed.contains(group) {
                        LetGo::Failed
                    } else if standby.contains(group) {
                        LetGo::StoodBy
                    } else if short && self.config.ipfail {
                        LetGo::PingNodes
                    } else {
                        LetGo::Released
                    };
                    self.vacancies.let_go(&peer.name, group, how);
                }
                for group in &held {
                    self.vacancies.held(group);
                }
                peer.held = held;
                peer.failed = failed;
                // A peer's new standby overrides this node's own.
                let newly: Vec<String> = standby.difference(&peer.standby).cloned().collect();
                peer.standby = standby;
                self.standby.remove(newly.iter().map(String::as_str));
                match status.state {
                    NodeState::Active => NodeState::Active,
                    _ => NodeState::Up,
                }
            }
            Message::Shutdown(_) => {
                peer.farewell = Some((header.generation, header.seq));
                for group in &peer.held {
                    self.vacancies.let_go(&peer.name, group, LetGo::ShutDown);
                }
                self.vacancies.shut_down(&peer.name);
                peer.forget_claims();
                NodeState::Dead
            }
            // Other messages prove the peer alive but change nothing else
            // here (operator requests are taken below).
            Message::Other { .. }
            | Message::GenerationHint { .. }
            | Message::AskResources { .. }
            | Message::Takeover { .. }
            | Message::Starting(_)
            | Message::Resources { .. }
                if peer.state == NodeState::Dead || peer.state == NodeState::Init =>
            {
                NodeState::Up
            }
            Message::Other { .. }
            | Message::GenerationHint { .. }
            | Message::AskResources { .. }
            | Message::Takeover { .. }
            | Message::Starting(_)
            | Message::Resources { .. } => peer.state,
        };
        if let Message::GenerationHint { to, known, .. } = &message {
            if *to == self.config.local {
                self.take_generation_hint(*known);
            }
        }
        self.set_peer_state(index, new_state);
        match &message {
            Message::Status(status) if !status.lists_groups && !stale_status => {
                self.heartbeat_peer_heard(index, now);
            }
            Message::AskResources {
                resources, info, ..
            } if info == "me" => self.peer_standby(index, resources, info),
            Message::AskResources {
                resources, info, ..
            } => self.heartbeat_peer_handover(index, resources, info),
            Message::Takeover { resources, .. } => self.peer_takeover(index, resources, now),
            Message::Starting(_) => self.heartbeat_peer_starting(index),
            Message::Resources {
                held, full, stable, ..
            } => {
                if let Some(report) = heartbeat_peer::Holding::parse(held) {
                    let before = self.peers[index].reported.unwrap_or_default();
                    let holding = if *full {
                        report
                    } else {
                        before.updated_by(report)
                    };
                    self.heartbeat_peer_report(index, holding, *stable);
                }
            }
            _ => {}
        }
        self.update(now);
        self.announce_after_doubt(index, &held_before, came_back);
    }

    /// Announces again every group this node keeps running whose ownership
    /// was just in doubt: the peer at `index` started or stopped claiming
    /// it (a conflict, or its end), or came back from the dead (it may have
    /// announced our groups during a takeover we never saw). The rightful
    /// owner's announcement is then the last one clients hear.
    fn announce_after_doubt(
        &mut self,
        index: usize,
        held_before: &std::collections::BTreeSet<String>,
        came_back: bool,
    ) {
        let peer = &self.peers[index];
        let came_back = came_back && peer.is_live();
        let doubtful: Vec<String> = self
            .groups
            .iter()
            .filter(|(_, state)| **state == LocalGroupState::Running)
            .map(|(group, _)| group)
            .filter(|group| came_back || held_before.contains(*group) != peer.held.contains(*group))
            .cloned()
            .collect();
        for group in doubtful {
            self.request(&group, ActionKind::Announce);
        }
    }

    /// Lets time pass: call at [`Machine::poll_timeout`] (earlier is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.note_call(now);
        for index in 0..self.peers.len() {
            if let Some(dead_at) = self.peer_dead_at(&self.peers[index]) {
                if now >= dead_at {
                    self.declare_dead(now, index, None);
                    continue;
                }
            }
            let peer = &self.peers[index];
            if let (Some(warn_at), Some(heard)) =
                (peer.warn_at(self.config.warntime), peer.last_heard)
            {
                if now >= warn_at {
                    let node = peer.name.clone();
                    self.peers[index].warned = true;
                    self.event(Event::LateHeartbeat {
                        node,
                        silent_for: now.saturating_duration_since(heard),
                    });
                }
            }
        }
        self.judge_refusals(now);
        let before = self.ping.count();
        let changes = self.ping.judge(now);
        if !changes.is_empty() {
            self.ping_changed(before, changes);
        }
        self.start_due_monitors(now);
        self.lift_bans(now);
        self.ask_due_fences(now);
        self.update(now);
    }

    /// Takes the outcome of the action `id` this machine asked for. An id
    /// not in flight (answered already, or unknown) is ignored.
    pub fn handle_action_result(&mut self, now: Instant, id: ActionId, outcome: ActionOutcome) {
        self.note_call(now);
        let Some((group, kind)) = self.in_flight.remove(&id) else {
            return;
        };
        let Some(state) = self.groups.get(&group).copied() else {
            return;
        };
        if kind == ActionKind::Probe {
            self.probed(now, group, outcome);
            return;
        }
        let monitor = matches!(kind, ActionKind::Monitor | ActionKind::MonitorResource(_));
        if let ActionOutcome::GaveUp {
            detail,
            retry_after,
        } = &outcome
        {
            if state == LocalGroupState::Running && monitor {
                self.banned
                    .insert(group.clone(), retry_after.map(|after| now + after));
                self.groups.insert(group.clone(), LocalGroupState::Failed);
                self.unschedule_monitors(&group);
                self.event(Event::GroupFailed {
                    group,
                    action: kind,
                    detail: detail.clone(),
                });
                self.send_status();
                self.update(now);
            }
            return;
        }
        let succeeded = outcome == ActionOutcome::Succeeded;
        let next = match (state, kind, succeeded) {
            (LocalGroupState::Starting, ActionKind::Start(_), true) => LocalGroupState::Running,
            (LocalGroupState::Starting, ActionKind::Start(_), false) => LocalGroupState::Failed,
            (LocalGroupState::Stopping(_), ActionKind::Stop(_), true) => LocalGroupState::Stopped,
            (LocalGroupState::Stopping(_), ActionKind::Stop(_), false) => {
                LocalGroupState::StopFailed
            }
            (LocalGroupState::Running, _, true) if monitor => {
                let resource = match kind {
                    ActionKind::MonitorResource(index) => Some(index),
                    _ => None,
                };
                self.schedule_monitor(&group, resource, now);
                self.event(Event::GroupActionDone {
                    group,
                    action: kind,
                });
                return;
            }
            (LocalGroupState::Running, _, false) if monitor => {
                self.unschedule_monitors(&group);
                self.request(&group, ActionKind::Start(StartCause::Restart));
                LocalGroupState::Starting
            }
            // An announcement changes nothing but the network's view.
            (_, ActionKind::Announce, _) => {
                self.event(match outcome {
                    ActionOutcome::Succeeded => Event::GroupActionDone {
                        group,
                        action: kind,
                    },
                    ActionOutcome::Failed { detail } | ActionOutcome::GaveUp { detail, .. } => {
                        Event::GroupFailed {
                            group,
                            action: kind,
                            detail,
                        }
                    }
                });
                return;
            }
            // A monitor that finished after the group moved on: its verdict
            // is about a state that is gone.
            _ => return,
        };
        self.groups.insert(group.clone(), next);
        self.unschedule_monitors(&group);
        if next == LocalGroupState::Running {
            self.schedule_monitors(&group, now);
        }
        match outcome {
            ActionOutcome::Succeeded => self.event(Event::GroupActionDone {
                group,
                action: kind,
            }),
            ActionOutcome::Failed { detail } | ActionOutcome::GaveUp { detail, .. } => {
                self.event(Event::GroupFailed {
                    group,
                    action: kind,
                    detail,
                })
            }
        }
        self.send_status();
        self.update(now);
    }

    /// The operator cleared the failures of `group` (`ha-node resource
    /// cleanup`): a group that failed here may run here again, as ownership
    /// decides. Whether the group is known.
    pub fn cleanup(&mut self, now: Instant, group: &str) -> bool {
        self.note_call(now);
        if !self.groups.contains_key(group) {
            return false;
        }
        self.banned.remove(group);
        if self.local_group_state(group) == LocalGroupState::Failed {
            self.groups
                .insert(group.to_string(), LocalGroupState::Stopped);
            self.send_status();
        }
        self.update(now);
        true
    }

    /// Lets the groups whose failure-timeout has passed run here again.
    fn lift_bans(&mut self, now: Instant) {
        let lifted: Vec<String> = self
            .banned
            .iter()
            .filter(|(_, until)| until.is_some_and(|at| at <= now))
            .map(|(group, _)| group.clone())
            .collect();
        for group in lifted {
            self.banned.remove(&group);
            if self.local_group_state(&group) == LocalGroupState::Failed {
                self.groups.insert(group, LocalGroupState::Stopped);
                self.send_status();
            }
        }
    }

    /// Begins a graceful shutdown: release every group, then tell the peers.
    pub fn shutdown(&mut self, now: Instant) {
        self.shutting_down = true;
        self.update(now);
    }

    /// The next thing the driver must do, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When `peer` is to be declared dead if nothing more is heard from it
    /// (`None`: it is dead already); later than its deadtime alone while
    /// this node is recovering from a stall of its own (the `stall` module).
    fn peer_dead_at(&self, peer: &Peer) -> Option<Instant> {
        let config = &self.config;
        peer.dead_at(self.started, config.deadtime, config.initdead)
            .map(|at| self.stalls.defer(at, config.keepalive, config.deadtime))
    }

    /// Notes a call at `now`: one that comes well after the instant this
    /// machine asked for means the node itself was stalled.
    fn note_call(&mut self, now: Instant) {
        let due = self.poll_timeout();
        let config = &self.config;
        if let Some(late_by) = self
            .stalls
            .observe(due, now, config.keepalive, config.deadtime)
        {
            let grace = stall::grace(config.keepalive, config.deadtime);
            self.event(Event::Stalled { late_by, grace });
        }
    }

    /// When [`Machine::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.shutdown_sent {
            return None;
        }
        let config = &self.config;
        let peers = self
            .peers
            .iter()
            .flat_map(|p| [self.peer_dead_at(p), p.warn_at(config.warntime)]);
        let monitors = self
            .next_monitor
            .values()
            .copied()
            .chain(self.next_probe.values().flatten().copied())
            .chain(self.banned.values().flatten().copied())
            .map(Some);
        let refusals = self.peers.iter().filter(|p| p.is_live()).map(|p| {
            self.refusals
                .confirmed_at(&p.name, p.last_heard, config.keepalive)
                .map(|(at, _)| self.stalls.defer(at, config.keepalive, config.deadtime))
        });
        std::iter::once(Some(self.next_heartbeat))
            .chain(std::iter::once(self.refusals.next_probe()))
            .chain(peers)
            .chain(refusals)
            .chain(std::iter::once(self.ping.next_deadline()))
            .chain(std::iter::once(self.fences.next_retry()))
            .chain(monitors)
            .flatten()
            .min()
    }

    /// Every node as this one sees it, this one first.
    pub fn nodes(&self, now: Instant) -> Vec<NodeStatus> {
        let local = NodeStatus {
            name: self.config.local.clone(),
            state: self.state,
            silent_for: None,
            generation: self.generation,
            local: true,
            ping_nodes: self.ping.count(),
        };
        let peers = self.peers.iter().map(|p| NodeStatus {
            name: p.name.clone(),
            state: p.state,
            silent_for: p.last_heard.map(|h| now.saturating_duration_since(h)),
            generation: p.window.generation(),
            local: false,
            ping_nodes: p.ping_nodes.filter(|_| p.is_live()),
        });
        std::iter::once(local).chain(peers).collect()
    }

    /// Every ping node as this node sees it, in ha.cf order.
    pub fn ping_nodes(&self, now: Instant) -> Vec<PingNodeStatus> {
        self.ping
            .statuses(now)
            .into_iter()
            .map(|(name, state, silent_for)| PingNodeStatus {
                name,
                state,
                silent_for,
            })
            .collect()
    }

    /// Every group as this node sees it.
    pub fn groups(&self) -> Vec<GroupStatus> {
        self.config
            .groups
            .iter()
            .map(|g| {
                let local_state = self.local_group_state(&g.id);
                let owner = if local_state.is_held() {
                    Some(self.config.local.clone())
                } else {
                    self.peers
                        .iter()
                        .find(|p| p.is_live() && p.held.contains(&g.id))
                        .map(|p| p.name.clone())
                };
                GroupStatus {
                    id: g.id.clone(),
                    preferred: g.preferred.clone(),
                    owner,
                    local_state,
                }
            })
            .collect()
    }

    /// Where a group stands on this node (`Stopped` for an unknown group).
    pub fn local_group_state(&self, group: &str) -> LocalGroupState {
        self.groups
            .get(group)
            .copied()
            .unwrap_or(LocalGroupState::Stopped)
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Asks the driver to run `kind` on `group`.
    fn request(&mut self, group: &str, kind: ActionKind) {
        let id = ActionId(self.next_action);
        self.next_action += 1;
        self.in_flight.insert(id, (group.to_string(), kind));
        self.outputs.push_back(Output::Action {
            id,
            group: group.to_string(),
            kind,
        });
    }

    /// Schedules the next monitor of `group` as a whole (`resource`
    /// `None`) or of one of its resources, one interval from `now`.
    fn schedule_monitor(&mut self, group: &str, resource: Option<usize>, now: Instant) {
        let interval = match resource {
            None => self.config.monitor_interval,
            Some(index) => self
                .config
                .resource_monitors
                .iter()
                .find(|m| m.group == group && m.resource == index)
                .map(|m| m.interval),
        };
        if let Some(interval) = interval {
            self.next_monitor
                .insert((group.to_string(), resource), now + interval);
        }
    }

    /// Schedules every monitor of a group that now runs here.
    fn schedule_monitors(&mut self, group: &str, now: Instant) {
        self.schedule_monitor(group, None, now);
        let resources: Vec<usize> = self
            .config
            .resource_monitors
            .iter()
            .filter(|m| m.group == group)
            .map(|m| m.resource)
            .collect();
        for index in resources {
            self.schedule_monitor(group, Some(index), now);
        }
    }

    /// No monitor of `group` is due any more.
    fn unschedule_monitors(&mut self, group: &str) {
        self.next_monitor.retain(|(g, _), _| g != group);
    }

    /// Monitors every group and resource running here whose time has come;
    /// the next one is scheduled when this one answers, so monitors of one
    /// group or resource never overlap.
    fn start_due_monitors(&mut self, now: Instant) {
        let due: Vec<(String, Option<usize>)> = self
            .next_monitor
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            self.next_monitor.remove(&key);
            let (group, resource) = key;
            if self.local_group_state(&group) == LocalGroupState::Running {
                let kind = match resource {
                    None => ActionKind::Monitor,
                    Some(index) => ActionKind::MonitorResource(index),
                };
                self.request(&group, kind);
            }
        }
    }

    /// How often a group not held here is probed again: the smallest
    /// monitor interval of its resources, else the whole-group one.
    fn probe_interval(&self, group: &str) -> Option<std::time::Duration> {
        self.config
            .resource_monitors
            .iter()
            .filter(|m| m.group == group)
            .map(|m| m.interval)
            .min()
            .or(self.config.monitor_interval)
    }

    /// Keeps the probe schedule: a group this settled node does not hold,
    /// with no other action in flight, is probed at once the first time
    /// and then at its probe interval; a group held here (or with an
    /// action under way) leaves the schedule, to be probed at once when it
    /// is let go. Probes never overlap: the next is scheduled when one
    /// answers.
    fn schedule_probes(&mut self, now: Instant) {
        let settled = self.state == NodeState::Active && !self.shutting_down;
        for index in 0..self.config.groups.len() {
            let group = self.config.groups[index].id.clone();
            let mut probing = false;
            let mut busy = false;
            for (g, kind) in self.in_flight.values() {
                if *g == group {
                    if *kind == ActionKind::Probe {
                        probing = true;
                    } else {
                        busy = true;
                    }
                }
            }
            if probing {
                continue;
            }
            let state = self.local_group_state(&group);
            let not_held = matches!(state, LocalGroupState::Stopped | LocalGroupState::Failed);
            if !settled || !not_held || busy {
                self.next_probe.remove(&group);
                continue;
            }
            let due = *self.next_probe.entry(group.clone()).or_insert(Some(now));
            if due.is_some_and(|at| at <= now) {
                self.next_probe.insert(group.clone(), None);
                self.request(&group, ActionKind::Probe);
            }
        }
    }

    /// A probe answered: reported, and the next one scheduled; nothing
    /// else changes (a failed probe moves no group).
    fn probed(&mut self, now: Instant, group: String, outcome: ActionOutcome) {
        let next = self.probe_interval(&group).map(|interval| now + interval);
        self.next_probe.insert(group.clone(), next);
        let action = ActionKind::Probe;
        self.event(match outcome {
            ActionOutcome::Succeeded => Event::GroupActionDone { group, action },
            ActionOutcome::Failed { detail } | ActionOutcome::GaveUp { detail, .. } => {
                Event::GroupFailed {
                    group,
                    action,
                    detail,
                }
            }
        });
        self.update(now);
    }

    fn set_peer_state(&mut self, index: usize, to: NodeState) {
        self.set_peer_state_because(index, to, None);
    }

    fn set_peer_state_because(&mut self, index: usize, to: NodeState, cause: Option<StateCause>) {
        let peer = &mut self.peers[index];
        let from = peer.state;
        if from != to {
            peer.state = to;
            let node = peer.name.clone();
            self.event(Event::NodeState {
                node,
                from,
                to,
                cause,
            });
            // A lone node stands by for nothing: it serves everything.
            if !self.peers.iter().any(Peer::is_live) {
                self.standby.clear();
                self.standby_done = None;
            }
        }
    }

    fn set_local_state(&mut self, to: NodeState) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.event(Event::NodeState {
                node: self.config.local.clone(),
                from,
                to,
                cause: None,
            });
        }
    }

    /// Re-evaluates everything after an input: settling, ownership,
    /// shutdown progress and the heartbeat schedule.
    fn update(&mut self, now: Instant) {
        if self.shutdown_sent {
            return;
        }
        self.watch_conflicts();
        // Settled: every peer has been heard or declared dead.
        if self.state == NodeState::Up && self.peers.iter().all(|p| p.state != NodeState::Init) {
            self.set_local_state(NodeState::Active);
            self.send_status();
        }
        if self.config.ipfail {
            self.weigh_ping_counts(now);
        }
        if self.state == NodeState::Active || self.shutting_down {
            self.decide_groups(now);
        }
        self.schedule_probes(now);
        self.report_standby_done();
        self.negotiate(now);
        if self.shutting_down && self.groups.values().all(|s| !s.is_held()) {
            self.send_shutdown();
            return;
        }
        if now >= self.next_heartbeat {
            self.send_status();
            self.next_heartbeat = next_beat(self.next_heartbeat, now, self.config.keepalive);
        }
    }

    /// Reports each group that two nodes or more hold, once per conflict.
    fn watch_conflicts(&mut self) {
        for index in 0..self.config.groups.len() {
            let group = &self.config.groups[index].id;
            let local_holds = self.local_group_state(group).is_held();
            let holders: Vec<String> = self
                .config
                .nodes
                .iter()
                .filter(|node| {
                    if **node == self.config.local {
                        local_holds
                    } else {
                        self.peers
                            .iter()
                            .any(|p| p.name == **node && p.is_live() && p.held.contains(group))
                    }
                })
                .cloned()
                .collect();
            if holders.len() < 2 {
                self.conflicts.remove(group);
            } else if self.conflicts.insert(group.clone()) {
                let group = group.clone();
                self.event(Event::Conflict { group, holders });
            }
        }
    }

    /// ipfail: compares the ping node counts of the live nodes, this one
    /// included, and reports shortfalls that start or end to count.
    fn weigh_ping_counts(&mut self, now: Instant) {
        let local = (!self.shutting_down).then(|| (self.config.local.as_str(), self.ping.count()));
        let counts: Vec<(&str, Option<u32>)> = self
            .peers
            .iter()
            .filter(|p| p.is_live())
            .map(|p| (p.name.as_str(), p.ping_nodes))
            .chain(local)
            .collect();
        for (node, short) in self.ping.observe_counts(now, &counts) {
            self.outputs
                .push_back(Output::Event(Event::PingShortfall { node, short }));
        }
    }

    fn decide_groups(&mut self, now: Instant) {
        let mut live: Vec<(String, bool)> = self
            .peers
            .iter()
            .filter(|p| p.is_live())
            .map(|p| (p.name.clone(), p.state == NodeState::Active))
            .collect();
        if !self.shutting_down {
            live.push((self.config.local.clone(), self.state == NodeState::Active));
        }
        let mut decisions = Vec::new();
        for group in &self.config.groups {
            if self.local_group_state(&group.id) == LocalGroupState::Stopped
                && self.start_waits_for_report(&group.preferred, now)
            {
                continue;
            }
            let state = self.local_group_state(&group.id);
            let mut failed: std::collections::BTreeSet<&str> = self
                .peers
                .iter()
                .filter(|p| p.failed.contains(&group.id))
                .map(|p| p.name.as_str())
                .collect();
            if state == LocalGroupState::Failed {
                failed.insert(self.config.local.as_str());
            }
            let mut standby: BTreeSet<&str> = self
                .peers
                .iter()
                .filter(|p| p.is_live() && p.standby.contains(&group.id))
                .map(|p| p.name.as_str())
                .collect();
            if self.standby.contains(&group.id) {
                standby.insert(self.config.local.as_str());
            }
            let view = GroupView {
                preferred: &group.preferred,
                nodes: &self.config.nodes,
                local: &self.config.local,
                live: &live,
                peer_holders: self
                    .peers
                    .iter()
                    .filter(|p| p.is_live() && p.held.contains(&group.id))
                    .map(|p| p.name.as_str())
                    .collect(),
                failed,
                standby,
                auto_failback: self.config.auto_failback,
                shutting_down: self.shutting_down,
                short: self.ping.short(),
            };
            let decision = match state {
                LocalGroupState::Running => view.decide_running(),
                LocalGroupState::Stopped if self.state == NodeState::Active => view.decide_idle(),
                _ => Decision::Keep,
            };
            decisions.push((group.id.clone(), decision));
        }
        let mut changed = false;
        for (group, decision) in decisions {
            match decision {
                Decision::Keep => {}
                // Its last holder is dead and not fenced yet.
                Decision::Start if self.fences.blocks(&group) => {}
                Decision::Start => {
                    let failback_here = self.config.auto_failback
                        && self
                            .config
                            .groups
                            .iter()
                            .any(|g| g.id == group && g.preferred == self.config.local);
                    let cause = self.vacancies.take(&group, failback_here);
                    self.groups.insert(group.clone(), LocalGroupState::Starting);
                    self.request(&group, ActionKind::Start(cause));
                    changed = true;
                }
                Decision::Release(ReleaseReason::Failback)
                    if self.release_waits(
                        heartbeat_peer::AskFor::Failback,
                        ResourceSet::Foreign,
                        now,
                    ) => {}
                Decision::Release(ReleaseReason::Standby)
                    if self.release_waits(
                        heartbeat_peer::AskFor::Standby,
                        self.standby_done.unwrap_or(ResourceSet::All),
                        now,
                    ) => {}
                Decision::Release(reason) => {
                    self.groups
                        .insert(group.clone(), LocalGroupState::Stopping(reason));
                    self.unschedule_monitors(&group);
                    self.request(&group, ActionKind::Stop(reason));
                    changed = true;
                }
            }
        }
        if changed {
            self.send_status();
        }
    }

    /// Tells `node`, whose messages are rejected as replays while it counts
    /// as dead, the generation it is known by.
    fn send_generation_hint(&mut self, node: &str, known: u64) {
        let header = self.header();
        self.outputs
            .push_back(Output::Send(Message::GenerationHint {
                header,
                to: node.to_string(),
                known,
            }));
    }

    /// A peer knows this node by generation `known`: if that is not below
    /// this node's own (it restarted without its state directory), this
    /// node moves to the next generation above it, so its messages are
    /// accepted again. Generations only ever grow.
    fn take_generation_hint(&mut self, known: u64) {
        if known < self.generation {
            return;
        }
        let from = self.generation;
        self.generation = known.saturating_add(1);
        self.next_seq = 1;
        self.event(Event::GenerationAdvanced {
            from,
            to: self.generation,
        });
        self.send_status();
    }

    fn header(&mut self) -> Header {
        let seq = self.next_seq;
        self.next_seq += 1;
        Header {
            from: self.config.local.clone(),
            uuid: self.config.uuid,
            generation: self.generation,
            seq,
        }
    }

    fn send_status(&mut self) {
        let header = self.header();
        let mut held = Vec::new();
        let mut failed = Vec::new();
        for (id, state) in &self.groups {
            if state.is_held() {
                held.push(id.clone());
            } else if *state == LocalGroupState::Failed {
                failed.push(id.clone());
            }
        }
        let status = Status {
            header,
            state: self.state,
            deadtime_ms: u64::try_from(self.config.deadtime.as_millis()).unwrap_or(u64::MAX),
            held,
            failed,
            standby: self.standby.list(),
            ping_nodes: self.ping.count(),
            lists_groups: true,
        };
        self.outputs
            .push_back(Output::Send(Message::Status(status)));
    }

    /// Tells the peers this node is gone. The message is sent twice: a lost
    /// shutdown would cost the peers a whole deadtime.
    fn send_shutdown(&mut self) {
        let header = self.header();
        for _ in 0..2 {
            self.outputs
                .push_back(Output::Send(Message::Shutdown(header.clone())));
        }
        self.set_local_state(NodeState::Dead);
        self.shutdown_sent = true;
        self.event(Event::ShutdownComplete);
    }
}

/// The least time between two generation hints to the same node.
const HINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The first heartbeat time after `now` on the fixed schedule that `due`
/// belongs to (`due`, `due + keepalive`, ...): a late wake-up neither
/// shifts the schedule nor sends a burst for the beats it missed.
fn next_beat(due: Instant, now: Instant, keepalive: std::time::Duration) -> Instant {
    if keepalive.is_zero() {
        return now;
    }
    let late = now.saturating_duration_since(due);
    let missed = late.as_nanos() / keepalive.as_nanos();
    let steps = u32::try_from(missed + 1).unwrap_or(u32::MAX);
    due + keepalive.saturating_mul(steps)
}

#[cfg(test)]
mod schedule_tests {
    use super::*;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_schedule_keeps_its_phase_and_skips_missed_beats() {
        let t0 = Instant::now();
        assert_eq!(next_beat(t0, t0, 10 * MS), t0 + 10 * MS);
        assert_eq!(next_beat(t0, t0 + 3 * MS, 10 * MS), t0 + 10 * MS);
        assert_eq!(next_beat(t0, t0 + 10 * MS, 10 * MS), t0 + 20 * MS);
        // A 35 ms stall: the beats at 10, 20 and 30 are not sent in a burst.
        assert_eq!(next_beat(t0, t0 + 35 * MS, 10 * MS), t0 + 40 * MS);
    }
}

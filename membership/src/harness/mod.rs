//! A simulated cluster of state machines: support for tests and benchmarks.
//!
//! [`Cluster`] runs one [`Machine`] per node of a [`Setup`] on a fake
//! clock, the way the driver would, and records everything each node does.
//! It is the one N-node harness of this crate: the machine's tests, the
//! property tests and the conformance cases (`tests/conformance/`) drive
//! machines through it, and so should any benchmark of the machine. It is
//! small and pure (no sockets, no threads, no real clock), so it is always
//! built.
//!
//! - Messages go through the real wire codec: every message a machine
//!   sends is mapped to heartbeat's fields, signed with the setup's
//!   authkeys, carried as a datagram by [`SimNetwork`], then verified,
//!   decoded and handed to each receiving machine. Links are perfect by
//!   default (instant delivery); loss, delay and partitions can be set at
//!   any time.
//! - Actions are answered after [`Setup::action_delay`] with a scripted
//!   outcome: success unless [`Cluster::fail_next`] says otherwise;
//!   [`Cluster::hold`] leaves actions of a kind unanswered (a hung agent)
//!   until [`Cluster::answer`].
//! - Ping nodes ([`Setup::ping_node`]) answer every running node every
//!   keepalive, from its start, unless [`Cluster::set_ping_reachable`]
//!   cuts it off from one.
//! - Nodes start, crash, restart and shut down on command. A start bumps
//!   the node's generation and hands the machine the peers' generations the
//!   node has seen (as the driver persists them), like a real restart.
//! - Every output is recorded with its time and node ([`Cluster::record`]);
//!   [`Cluster::transcript`] renders the record as text (the conformance
//!   format, see `tests/conformance/README.md`); checks registered with
//!   [`Cluster::check_each`] run on every output as it happens.
//!
//! # Time
//!
//! [`Cluster::run_until`] repeatedly takes the earliest instant at which
//! something is due (a datagram, an action's answer, a machine's timeout)
//! and, at that instant, first delivers the datagrams due (in the order
//! sent), then for each node in order gives it its due answers and, if its
//! timeout has come, [`Machine::handle_timeout`]; after each input the
//! node's outputs are carried out at once. Inputs given directly
//! ([`Cluster::start`], [`Cluster::shutdown`], [`Cluster::deliver`]…) take
//! effect at once, at the current time; what they cause that is due at once
//! (a datagram on a perfect link, an answer with no delay) happens at the
//! next advance (`advance(Duration::ZERO)` runs it without moving the
//! clock).
//!
//! Script errors (an unknown node, replaying a message never sent…) panic
//! with a message saying what is wrong: this is test support.

// Test support: a broken script panics, like a failed assertion in the test
// that wrote it. Nothing here takes input from a file, a socket or a user.
#![allow(clippy::panic)]

mod setup;
#[cfg(test)]
mod tests;
mod transcript;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use ha_transport::sim::{LinkConfig, NodeId, SimNetwork};

use crate::machine::{
    ActionId, ActionKind, ActionOutcome, Event, Handover, HandoverRefused, LocalGroupState,
    Machine, Output, Which,
};
use crate::message::{Message, NodeState};
use crate::wire;
pub use setup::Setup;

/// The `ts` every simulated message carries (receivers never act on it).
const WALL_CLOCK_SECS: u64 = 1;

/// How many rounds may run at one instant before the harness calls it a
/// livelock.
const MAX_ROUNDS_AT_ONE_INSTANT: u32 = 100_000;

/// The detail of a scripted failure.
pub const SCRIPTED_FAILURE: &str = "scripted failure";

/// An action's kind without a stop's reason: what scripts name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionType {
    /// [`ActionKind::Start`], whatever the cause.
    Start,
    /// [`ActionKind::Stop`], whatever the reason.
    Stop,
    /// [`ActionKind::Monitor`] and [`ActionKind::MonitorResource`].
    Monitor,
    /// [`ActionKind::Probe`].
    Probe,
    /// [`ActionKind::Announce`].
    Announce,
    /// A fence ([`Output::Fence`]).
    Fence,
}

impl ActionType {
    /// The type of an action kind.
    pub fn of(kind: ActionKind) -> Self {
        match kind {
            ActionKind::Start(_) => ActionType::Start,
            ActionKind::Stop(_) => ActionType::Stop,
            ActionKind::Monitor | ActionKind::MonitorResource(_) => ActionType::Monitor,
            ActionKind::Probe => ActionType::Probe,
            ActionKind::Announce => ActionType::Announce,
        }
    }

    /// Parses `start`, `stop`, `monitor`, `probe`, `announce` or `fence`.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "start" => Some(ActionType::Start),
            "stop" => Some(ActionType::Stop),
            "monitor" => Some(ActionType::Monitor),
            "probe" => Some(ActionType::Probe),
            "announce" => Some(ActionType::Announce),
            "fence" => Some(ActionType::Fence),
            _ => None,
        }
    }
}

/// One thing that happened at one node, with its time since the cluster
/// was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When, since [`Cluster::new`].
    pub at: Duration,
    /// Which node (index into [`Setup::nodes`]).
    pub node: usize,
    /// What.
    pub what: What,
}

/// What a recorded [`Entry`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// The node was started, in this generation (an input).
    Started {
        /// Its generation in this run.
        generation: u64,
    },
    /// The node crashed (an input).
    Crashed,
    /// The operator asked the node to shut down (an input).
    ShutdownAsked,
    /// The operator asked the node for a standby or takeover (an input):
    /// `standby WHICH` or `takeover WHICH`.
    HandoverAsked(String),
    /// A message was handed to the node from outside the network: a
    /// replay or a forgery (an input).
    Injected(Message),
    /// The node sent this message.
    Sent(Message),
    /// The node asked for an action.
    Asked {
        /// Its id.
        id: ActionId,
        /// The group.
        group: String,
        /// What to do.
        kind: ActionKind,
    },
    /// The node asked for a fence.
    FenceAsked {
        /// Its id.
        id: ActionId,
        /// The node to fence.
        node: String,
    },
    /// The node reported this.
    Event(Event),
}

/// A check run on every recorded entry, as it happens.
type Check = Box<dyn Fn(&Cluster, &Entry) -> Result<(), String>>;

/// An action asked for and not answered yet.
#[derive(Debug)]
struct Pending {
    /// When it is answered; `None`: held, answered only by [`Cluster::answer`].
    due: Option<Instant>,
    id: ActionId,
    outcome: ActionOutcome,
    /// A fence, answered with [`Machine::handle_fence_result`].
    fence: bool,
}

/// One node: its machine while it runs, and what survives its restarts.
#[derive(Debug)]
struct Node {
    net_id: NodeId,
    machine: Option<Machine>,
    generation: u64,
    /// Peers' generations, as the node persists them.
    known: BTreeMap<String, u64>,
    pending: Vec<Pending>,
    fail_next: Vec<ActionType>,
    held: BTreeSet<ActionType>,
    shutting_down: bool,
    down_since: Option<Duration>,
    held_when_down: Vec<String>,
    /// Frozen until then (see [`Cluster::pause`]), with what arrived meanwhile.
    paused: Option<(Instant, Vec<Message>)>,
    /// When the ping nodes next answer it (every keepalive while it runs).
    next_ping: Option<Instant>,
    /// The ping nodes that do not answer it.
    unreachable: BTreeSet<String>,
}

/// N machines on a fake clock over a simulated network; see the module
/// documentation.
pub struct Cluster {
    setup: Setup,
    epoch: Instant,
    now: Instant,
    net: SimNetwork,
    nodes: Vec<Node>,
    record: Vec<Entry>,
    checks: Vec<Check>,
    violations: Vec<String>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("elapsed", &self.elapsed())
            .field("nodes", &self.setup.nodes)
            .field("record", &self.record.len())
            .field("violations", &self.violations)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A cluster of the setup's nodes, none of them started, at time 0.
    pub fn new(setup: Setup) -> Self {
        let mut net = SimNetwork::new(setup.seed);
        let nodes = setup
            .nodes
            .iter()
            .map(|name| {
                let net_id = net.add_node(name);
                net.detach(net_id);
                Node {
                    net_id,
                    machine: None,
                    generation: 0,
                    known: BTreeMap::new(),
                    pending: Vec::new(),
                    fail_next: Vec::new(),
                    held: BTreeSet::new(),
                    shutting_down: false,
                    down_since: None,
                    held_when_down: Vec::new(),
                    paused: None,
                    next_ping: None,
                    unreachable: BTreeSet::new(),
                }
            })
            .collect();
        let now = Instant::now();
        Cluster {
            setup,
            epoch: now,
            now,
            net,
            nodes,
            record: Vec::new(),
            checks: Vec::new(),
            violations: Vec::new(),
        }
    }

    // ----- nodes -----

    /// Starts node `i` now in its next generation (a node already running
    /// is left alone).
    pub fn start(&mut self, i: usize) {
        let now = self.now;
        let config = self.setup.config(i);
        let node = self.node_mut(i);
        if node.machine.is_some() {
            return;
        }
        node.generation += 1;
        let generation = node.generation;
        let machine = Machine::new(config, generation, &node.known, now);
        node.machine = Some(machine);
        node.shutting_down = false;
        node.down_since = None;
        node.held_when_down.clear();
        node.pending.clear();
        node.paused = None;
        node.next_ping = Some(now);
        let net_id = node.net_id;
        self.net.attach(net_id);
        self.note(i, What::Started { generation });
        self.drain(i);
    }

    /// Starts every node not running, at the same instant: each hears what
    /// the others send from the start.
    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            if self.nodes[i].machine.is_none() {
                self.net.attach(self.nodes[i].net_id);
            }
        }
        for i in 0..self.nodes.len() {
            self.start(i);
        }
    }

    /// Kills node `i` without warning: its machine is gone, its actions in
    /// progress are forgotten, and the datagrams in flight from and to it
    /// are lost.
    pub fn crash(&mut self, i: usize) {
        let elapsed = self.elapsed();
        let node = self.node_mut(i);
        if let Some(machine) = node.machine.take() {
            node.held_when_down = held_groups(&machine);
            node.down_since = Some(elapsed);
            node.pending.clear();
            node.shutting_down = false;
            let net_id = node.net_id;
            self.net.detach(net_id);
            self.note(i, What::Crashed);
        } else {
            let net_id = node.net_id;
            self.net.detach(net_id);
        }
    }

    /// Crashes node `i` (if it runs) and starts it again.
    pub fn restart(&mut self, i: usize) {
        self.crash(i);
        self.start(i);
    }

    /// Asks node `i` to shut down gracefully (nothing if it is not running).
    /// Once its machine reports [`Event::ShutdownComplete`] the node stops;
    /// what it sent last still reaches its peers.
    pub fn shutdown(&mut self, i: usize) {
        let now = self.now;
        let node = self.node_mut(i);
        let Some(machine) = node.machine.as_mut() else {
            return;
        };
        node.shutting_down = true;
        machine.shutdown(now);
        self.note(i, What::ShutdownAsked);
        self.drain(i);
    }

    /// The operator's `hb_standby WHICH` on node `i`; `None` if it does
    /// not run.
    pub fn standby(&mut self, i: usize, which: Which) -> Option<Result<Handover, HandoverRefused>> {
        self.handover(i, "standby", which)
    }

    /// The operator's `hb_takeover WHICH` on node `i`; `None` if it does
    /// not run.
    pub fn takeover(
        &mut self,
        i: usize,
        which: Which,
    ) -> Option<Result<Handover, HandoverRefused>> {
        self.handover(i, "takeover", which)
    }

    /// The operator's `ha-node resource cleanup` of `group` on node `i`;
    /// `None` if it does not run, else whether the group is known.
    pub fn cleanup(&mut self, i: usize, group: &str) -> Option<bool> {
        let now = self.now;
        let machine = self.node_mut(i).machine.as_mut()?;
        let known = machine.cleanup(now, group);
        self.note(i, What::HandoverAsked(format!("cleanup {group}")));
        self.drain(i);
        Some(known)
    }

    fn handover(
        &mut self,
        i: usize,
        command: &str,
        which: Which,
    ) -> Option<Result<Handover, HandoverRefused>> {
        let now = self.now;
        let machine = self.node_mut(i).machine.as_mut()?;
        let answer = if command == "standby" {
            machine.standby(now, which)
        } else {
            machine.takeover(now, which)
        };
        self.note(
            i,
            What::HandoverAsked(format!("{command} {}", which.as_str())),
        );
        self.drain(i);
        Some(answer)
    }

    /// Freezes node `i` for `span`, as a paused host or a stopped process
    /// would be: its machine is not called, and what reaches it meanwhile
    /// waits (as in a socket's buffer) to be handed over, before anything
    /// else, when it resumes.
    pub fn pause(&mut self, i: usize, span: Duration) {
        let until = self.now + span;
        self.node_mut(i).paused = Some((until, Vec::new()));
    }

    // ----- time -----

    /// The fake clock's current time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Time since the cluster was created.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.epoch)
    }

    /// Runs everything due in the next `by`.
    pub fn advance(&mut self, by: Duration) {
        self.run_until(self.now + by);
    }

    /// Runs everything due until `elapsed` after creation (nothing if that
    /// is past).
    pub fn advance_to(&mut self, elapsed: Duration) {
        self.run_until(self.epoch + elapsed);
    }

    /// Runs everything due at or before `until`, then sets the clock to it.
    ///
    /// # Panics
    ///
    /// If the machines keep producing work at one instant (a livelock).
    pub fn run_until(&mut self, until: Instant) {
        let mut rounds = 0u32;
        while let Some(at) = self.next_due().filter(|at| *at <= until) {
            if at <= self.now {
                rounds += 1;
                assert!(
                    rounds < MAX_ROUNDS_AT_ONE_INSTANT,
                    "livelock: the machines keep working at {:?}",
                    self.elapsed()
                );
            } else {
                rounds = 0;
                self.now = at;
            }
            self.round();
        }
        self.now = self.now.max(until);
    }

    /// The earliest instant something is due.
    fn next_due(&self) -> Option<Instant> {
        let nodes = self.nodes.iter().flat_map(|node| {
            if let Some((until, _)) = &node.paused {
                return vec![*until];
            }
            let timeout = node.machine.as_ref().and_then(Machine::poll_timeout);
            let answers = node.pending.iter().filter_map(|p| p.due);
            let ping = node
                .next_ping
                .filter(|_| node.machine.is_some() && !self.setup.ping_nodes.is_empty());
            timeout.into_iter().chain(answers).chain(ping).collect()
        });
        nodes.chain(self.net.next_delivery_time()).min()
    }

    /// Everything due now: datagrams, then per node answers and timeouts.
    fn round(&mut self) {
        let now = self.now;
        for (to, _from, datagram) in self.net.deliver_due(now) {
            let i = to.0;
            if self.nodes[i].machine.is_none() {
                continue;
            }
            let message = self.decode(&datagram);
            let node = &mut self.nodes[i];
            if let Some((_, inbox)) = node.paused.as_mut() {
                inbox.push(message);
                continue;
            }
            if let Some(machine) = node.machine.as_mut() {
                machine.handle_message(now, message);
            }
            self.drain(i);
        }
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            let Some(machine) = node.machine.as_mut() else {
                continue;
            };
            match node.paused.take() {
                Some((until, inbox)) if until > now => {
                    node.paused = Some((until, inbox));
                    continue;
                }
                Some((_, inbox)) => {
                    for message in inbox {
                        machine.handle_message(now, message);
                    }
                }
                None => {}
            }
            let (due, later): (Vec<Pending>, Vec<Pending>) = node
                .pending
                .drain(..)
                .partition(|p| p.due.is_some_and(|at| at <= now));
            node.pending = later;
            for answer in due {
                if answer.fence {
                    machine.handle_fence_result(now, answer.id, answer.outcome);
                } else {
                    machine.handle_action_result(now, answer.id, answer.outcome);
                }
            }
            if node.next_ping.is_some_and(|at| at <= now) && !self.setup.ping_nodes.is_empty() {
                node.next_ping = Some(now + self.setup.keepalive);
                for name in &self.setup.ping_nodes {
                    if !node.unreachable.contains(name) {
                        machine.handle_ping_answer(now, name);
                    }
                }
            }
            if machine.poll_timeout().is_some_and(|at| at <= now) {
                machine.handle_timeout(now);
            }
            self.drain(i);
        }
    }

    // ----- network -----

    /// Lets ping node `name` answer node `i` or not (from its next round of
    /// echoes, every keepalive).
    pub fn set_ping_reachable(&mut self, i: usize, name: &str, reachable: bool) {
        let node = self.node_mut(i);
        if reachable {
            node.unreachable.remove(name);
        } else {
            node.unreachable.insert(name.to_string());
        }
    }

    /// The simulated network, for settings the methods below do not cover.
    pub fn network_mut(&mut self) -> &mut SimNetwork {
        &mut self.net
    }

    /// Sets how every link behaves (perfect by default).
    pub fn set_links(&mut self, link: LinkConfig) {
        self.net.set_default_link(link);
    }

    /// Sets how the link from node `from` to node `to` behaves.
    pub fn set_link(&mut self, from: usize, to: usize, link: LinkConfig) {
        let (from, to) = (self.node(from).net_id, self.node(to).net_id);
        self.net.set_link(from, to, link);
    }

    /// Cuts every link between a node of `a` and a node of `b` until
    /// [`Cluster::heal`]; datagrams in flight across the cut are lost.
    pub fn partition(&mut self, a: &[usize], b: &[usize]) {
        let ids =
            |side: &[usize]| -> Vec<NodeId> { side.iter().map(|&i| self.node(i).net_id).collect() };
        let (a, b) = (ids(a), ids(b));
        self.net.partition(&a, &b);
    }

    /// Cuts node `i` off from every other node.
    pub fn isolate(&mut self, i: usize) {
        let others: Vec<usize> = (0..self.nodes.len()).filter(|&j| j != i).collect();
        self.partition(&[i], &others);
    }

    /// Removes every partition (link settings stay).
    pub fn heal(&mut self) {
        self.net.heal();
    }

    /// Hands node `to` a message as if received now, through the codec
    /// (signed with the setup's keys), bypassing the network: a replay or a
    /// forgery.
    ///
    /// # Panics
    ///
    /// If node `to` is not running.
    pub fn deliver(&mut self, to: usize, message: Message) {
        assert!(
            self.is_running(to),
            "cannot deliver to {}: it is not running",
            self.name(to)
        );
        self.note(to, What::Injected(message.clone()));
        let datagram = self.encode(&message);
        let message = self.decode(&datagram);
        let now = self.now;
        if let Some(machine) = self.nodes[to].machine.as_mut() {
            machine.handle_message(now, message);
        }
        self.drain(to);
    }

    /// Hands node `to` again the message node `from` sent in `generation`
    /// with sequence number `seq`.
    ///
    /// # Panics
    ///
    /// If `from` never sent such a message, or `to` is not running.
    pub fn replay(&mut self, to: usize, from: usize, generation: u64, seq: u64) {
        let message = self
            .record
            .iter()
            .find_map(|entry| match &entry.what {
                What::Sent(m)
                    if entry.node == from
                        && m.header().generation == generation
                        && m.header().seq == seq =>
                {
                    Some(m.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| {
                panic!(
                    "{} never sent a message in generation {generation} with seq {seq}",
                    self.name(from)
                )
            });
        self.deliver(to, message);
    }

    // ----- actions -----

    /// Sets how long actions asked from now on take.
    pub fn set_action_delay(&mut self, delay: Duration) {
        self.setup.action_delay = delay;
    }

    /// Makes the next action of this type that node `i` asks for fail
    /// (calls add up: two calls fail the next two).
    pub fn fail_next(&mut self, i: usize, action: ActionType) {
        self.node_mut(i).fail_next.push(action);
    }

    /// Leaves every action of this type that node `i` asks for from now on
    /// unanswered, until [`Cluster::answer`].
    pub fn hold(&mut self, i: usize, action: ActionType) {
        self.node_mut(i).held.insert(action);
    }

    /// Answers actions of this type asked from now on again (those held so
    /// far stay unanswered).
    pub fn unhold(&mut self, i: usize, action: ActionType) {
        self.node_mut(i).held.remove(&action);
    }

    /// Answers action `id` of node `i` now with `outcome`, whether it is
    /// pending, held, answered already or unknown (the machine decides what
    /// a stale answer means). Nothing if the node is not running.
    pub fn answer(&mut self, i: usize, id: ActionId, outcome: ActionOutcome) {
        let now = self.now;
        let node = self.node_mut(i);
        let fence = node.pending.iter().any(|p| p.id == id && p.fence);
        node.pending.retain(|p| p.id != id);
        let Some(machine) = node.machine.as_mut() else {
            return;
        };
        if fence {
            machine.handle_fence_result(now, id, outcome);
        } else {
            machine.handle_action_result(now, id, outcome);
        }
        self.drain(i);
    }

    // ----- checks -----

    /// Runs `check` on every entry recorded from now on, as it happens
    /// (before the harness carries the output out); its errors are kept in
    /// [`Cluster::violations`].
    pub fn check_each(&mut self, check: impl Fn(&Cluster, &Entry) -> Result<(), String> + 'static) {
        self.checks.push(Box::new(check));
    }

    /// What the checks found, each with its time and node.
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    // ----- queries -----

    /// The setup the cluster was built from (with the current action delay).
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// How many nodes the cluster has.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the cluster has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`'s name.
    ///
    /// # Panics
    ///
    /// If there is no such node.
    pub fn name(&self, i: usize) -> &str {
        self.node(i);
        &self.setup.nodes[i]
    }

    /// The index of the node named `name`.
    ///
    /// # Panics
    ///
    /// If there is no such node.
    pub fn index(&self, name: &str) -> usize {
        self.setup
            .nodes
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no node is named {name:?}"))
    }

    /// Node `i`'s machine, while it runs.
    pub fn machine(&self, i: usize) -> Option<&Machine> {
        self.node(i).machine.as_ref()
    }

    /// Whether node `i` runs.
    pub fn is_running(&self, i: usize) -> bool {
        self.node(i).machine.is_some()
    }

    /// Whether node `i` runs and has been asked to shut down.
    pub fn is_shutting_down(&self, i: usize) -> bool {
        self.is_running(i) && self.node(i).shutting_down
    }

    /// When node `i` last went down (crashed or shut down), if it is down.
    pub fn down_since(&self, i: usize) -> Option<Duration> {
        self.node(i).down_since
    }

    /// The groups node `i` held when it last went down.
    pub fn held_when_down(&self, i: usize) -> &[String] {
        &self.node(i).held_when_down
    }

    /// Node `i`'s generation in its current (or last) run; 0 before its
    /// first start.
    pub fn generation(&self, i: usize) -> u64 {
        self.node(i).generation
    }

    /// The running nodes on which `group` runs.
    pub fn owners(&self, group: &str) -> Vec<usize> {
        self.nodes_where(|m| m.local_group_state(group) == LocalGroupState::Running)
    }

    /// The running nodes that hold `group` (starting, running, stopping or
    /// failing to stop).
    pub fn holders(&self, group: &str) -> Vec<usize> {
        self.nodes_where(|m| m.local_group_state(group).is_held())
    }

    /// The names of the nodes on which `group` runs.
    pub fn owner_names(&self, group: &str) -> Vec<&str> {
        self.owners(group)
            .into_iter()
            .map(|i| self.name(i))
            .collect()
    }

    /// Where `group` stands on node `i` (`None` if the node is not running).
    pub fn group_state(&self, i: usize, group: &str) -> Option<LocalGroupState> {
        self.machine(i).map(|m| m.local_group_state(group))
    }

    /// The owner of `group` as node `viewer` sees it (`None` if it sees
    /// none, or is not running).
    pub fn owner_seen(&self, viewer: usize, group: &str) -> Option<String> {
        self.machine(viewer)?
            .groups()
            .into_iter()
            .find(|g| g.id == group)
            .and_then(|g| g.owner)
    }

    /// The state of node `node` as node `viewer` sees it (`None` if the
    /// viewer is not running).
    pub fn state_seen(&self, viewer: usize, node: usize) -> Option<NodeState> {
        let name = self.name(node);
        self.machine(viewer)?
            .nodes(self.now)
            .into_iter()
            .find(|n| n.name == name)
            .map(|n| n.state)
    }

    /// Everything recorded so far, in order.
    pub fn record(&self) -> &[Entry] {
        &self.record
    }

    /// The actions node `i` asked for: when, id, group and kind.
    pub fn actions(
        &self,
        i: usize,
    ) -> impl Iterator<Item = (Duration, ActionId, &str, ActionKind)> {
        self.entries(i).filter_map(|e| match &e.what {
            What::Asked { id, group, kind } => Some((e.at, *id, group.as_str(), *kind)),
            _ => None,
        })
    }

    /// The events node `i` reported, with their times.
    pub fn events(&self, i: usize) -> impl Iterator<Item = (Duration, &Event)> {
        self.entries(i).filter_map(|e| match &e.what {
            What::Event(event) => Some((e.at, event)),
            _ => None,
        })
    }

    /// The messages node `i` sent, with their times.
    pub fn sent(&self, i: usize) -> impl Iterator<Item = (Duration, &Message)> {
        self.entries(i).filter_map(|e| match &e.what {
            What::Sent(message) => Some((e.at, message)),
            _ => None,
        })
    }

    /// The record as text, one line per entry (heartbeats folded); the
    /// format is the conformance tests' (`tests/conformance/README.md`).
    pub fn transcript(&self) -> String {
        transcript::render(&self.record, &self.setup.nodes)
    }

    // ----- internals -----

    fn node(&self, i: usize) -> &Node {
        self.nodes.get(i).unwrap_or_else(|| {
            panic!(
                "node {i} does not exist: the cluster has {}",
                self.setup.nodes.len()
            )
        })
    }

    fn node_mut(&mut self, i: usize) -> &mut Node {
        let count = self.setup.nodes.len();
        self.nodes
            .get_mut(i)
            .unwrap_or_else(|| panic!("node {i} does not exist: the cluster has {count}"))
    }

    fn entries(&self, i: usize) -> impl Iterator<Item = &Entry> {
        self.record.iter().filter(move |e| e.node == i)
    }

    fn nodes_where(&self, f: impl Fn(&Machine) -> bool) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].machine.as_ref().is_some_and(&f))
            .collect()
    }

    /// Records an entry, after running the checks on it.
    fn note(&mut self, node: usize, what: What) {
        let entry = Entry {
            at: self.elapsed(),
            node,
            what,
        };
        let problems: Vec<String> = self
            .checks
            .iter()
            .filter_map(|check| check(self, &entry).err())
            .collect();
        for problem in problems {
            self.violations
                .push(format!("at {:?}, {}: {problem}", entry.at, self.name(node)));
        }
        self.record.push(entry);
    }

    /// Carries out everything node `i`'s machine asks for.
    fn drain(&mut self, i: usize) {
        let mut finished = false;
        while let Some(output) = self.nodes[i]
            .machine
            .as_mut()
            .and_then(Machine::poll_output)
        {
            match output {
                Output::Send(message) => {
                    self.note(i, What::Sent(message.clone()));
                    let datagram = self.encode(&message);
                    let now = self.now;
                    self.net.send(self.nodes[i].net_id, &datagram, now);
                }
                Output::Action { id, group, kind } => {
                    self.note(i, What::Asked { id, group, kind });
                    self.script_answer(i, id, ActionType::of(kind));
                }
                Output::Fence { id, node } => {
                    self.note(i, What::FenceAsked { id, node });
                    self.script_answer(i, id, ActionType::Fence);
                }
                Output::Event(event) => {
                    match &event {
                        Event::PeerRestarted { node, generation } => {
                            self.nodes[i].known.insert(node.clone(), *generation);
                        }
                        Event::ShutdownComplete => finished = true,
                        _ => {}
                    }
                    self.note(i, What::Event(event));
                }
            }
        }
        if finished {
            let elapsed = self.elapsed();
            let node = &mut self.nodes[i];
            if let Some(machine) = node.machine.take() {
                node.held_when_down = held_groups(&machine);
            }
            node.down_since = Some(elapsed);
            node.pending.clear();
            node.shutting_down = false;
        }
    }

    /// Schedules the scripted answer to request `id` of node `i`.
    fn script_answer(&mut self, i: usize, id: ActionId, action: ActionType) {
        let due = self.now + self.setup.action_delay;
        let node = &mut self.nodes[i];
        let outcome = match node.fail_next.iter().position(|a| *a == action) {
            Some(at) => {
                node.fail_next.remove(at);
                ActionOutcome::Failed {
                    detail: SCRIPTED_FAILURE.to_string(),
                }
            }
            None => ActionOutcome::Succeeded,
        };
        let due = (!node.held.contains(&action)).then_some(due);
        node.pending.push(Pending {
            due,
            id,
            outcome,
            fence: action == ActionType::Fence,
        });
    }

    /// The fences node `i` asked for: when, id and node.
    pub fn fences_asked(&self, i: usize) -> impl Iterator<Item = (Duration, ActionId, &str)> {
        self.entries(i).filter_map(|e| match &e.what {
            What::FenceAsked { id, node } => Some((e.at, *id, node.as_str())),
            _ => None,
        })
    }

    fn encode(&self, message: &Message) -> Vec<u8> {
        let ttl = wire::forwarding_ttl(1, self.nodes.len());
        let fields = message
            .to_wire(WALL_CLOCK_SECS, ttl)
            .unwrap_or_else(|e| panic!("the codec refuses {message:?}: {e}"));
        wire::encode(&fields, &self.setup.keys)
            .unwrap_or_else(|e| panic!("the setup's keys cannot sign: {e}"))
    }

    fn decode(&self, datagram: &[u8]) -> Message {
        wire::decode(datagram, &self.setup.keys)
            .and_then(|fields| Message::from_wire(&fields))
            .unwrap_or_else(|e| panic!("a datagram the harness signed does not decode: {e}"))
    }
}

/// The groups a machine holds.
fn held_groups(machine: &Machine) -> Vec<String> {
    machine
        .groups()
        .into_iter()
        .filter(|g| g.local_state.is_held())
        .map(|g| g.id)
        .collect()
}

//! Runs the state machine on tokio with real media and resources.
//!
//! The driver owns the loop around [`Machine`]: it decodes and authenticates
//! what the media receive (in one task per medium), feeds the machine,
//! encodes and signs what it sends, and runs the group actions the machine
//! asks for through [`GroupControl`] in tasks of their own, so the loop
//! never waits on a resource agent. It decides nothing: when to monitor,
//! what a failure means and what to send are the machine's. It measures:
//! every arrival, on which medium, and what the machine said, go into the
//! node's [`History`] (the `history` module). Ping nodes are pinged in
//! tasks of their own (the `ping` module), which report answers to the
//! loop. Fences of dead peers run through the [`Fencer`] set with
//! [`Driver::fence_with`], each in a task of its own (the fencer bounds its
//! time; a timeout is a failure). Operators reach it through a
//! [`DriverHandle`]. A hook set with
//! [`Driver::on_heartbeat`] runs each time the node has sent its heartbeat
//! (a watchdog's keep-alive).

mod history;
mod inbound;
mod log_limit;
mod ping;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ha_transport::medium::{Medium, MessageFormat, MAX_DATAGRAM_LEN};
use tokio::sync::{mpsc, oneshot};

use crate::auth::AuthKeys;
use crate::machine::{
    ActionId, ActionKind, ActionOutcome, Event, FenceStatus, GroupStatus, Handover,
    HandoverRefused, Machine, NodeStatus, Output, PingNodeStatus, PingState, RejectReason, Via,
    Which,
};
use crate::message::Message;
use crate::wire;
use history::Tally;
pub use history::{
    GapPercentiles, History, HistoryEntry, HistoryEvent, LinkHistory, PeerHistory, EVENT_RING,
    GAP_WINDOW,
};
use inbound::Inbound;
use log_limit::LogLimiter;
pub use ping::PingTarget;

/// Starts and stops resource groups on behalf of the driver.
#[async_trait]
pub trait GroupControl: Send + Sync + 'static {
    /// Starts a group (in order, rolling back on failure).
    async fn start(&self, group: &str) -> Result<(), String>;
    /// Stops a group (in reverse order).
    async fn stop(&self, group: &str) -> Result<(), String>;
    /// Checks that a running group is healthy.
    async fn monitor(&self, group: &str) -> Result<(), String>;
    /// Monitors a running group for the machine: by default
    /// [`GroupControl::monitor`], a failure asking the machine for a
    /// restart; a runner that restarts in place itself answers
    /// [`ActionOutcome::GaveUp`] when the group must move.
    async fn check(&self, group: &str) -> ActionOutcome {
        match self.monitor(group).await {
            Ok(()) => ActionOutcome::Succeeded,
            Err(detail) => ActionOutcome::Failed { detail },
        }
    }
    /// Monitors one resource of a running group (its position in start
    /// order) for the machine, as [`GroupControl::check`] does the group.
    async fn check_resource(&self, group: &str, resource: usize) -> ActionOutcome;
    /// Probes a group this node is not to hold and stops, in reverse
    /// order, what runs of it here; `Err` with why when a probe failed or
    /// timed out, or a stop failed.
    async fn probe(&self, group: &str) -> Result<(), String>;
    /// Announces a running group's resources again (gratuitous ARP).
    async fn announce(&self, group: &str) -> Result<(), String>;
}

/// Fences (resets) dead nodes on behalf of the driver.
#[async_trait]
pub trait Fencer: Send + Sync + 'static {
    /// The device, for the log (`external/ssh`, a command line...).
    fn describe(&self) -> String;
    /// Fences `node`: `Ok` once it is reset; `Err` with why otherwise, a
    /// timeout included (the fencer bounds the time it takes).
    async fn fence(&self, node: &str) -> Result<(), String>;
}

/// Remembers peers' generations across restarts, to reject old replays.
pub trait GenerationStore: Send + Sync + 'static {
    /// Records that `node` is now in `generation`. Called from a blocking task.
    fn save_peer_generation(&self, node: &str, generation: u64) -> std::io::Result<()>;
    /// Records that this node moved to `generation` while running (see
    /// [`Event::GenerationAdvanced`]). Called from a blocking task.
    fn save_own_generation(&self, generation: u64) -> std::io::Result<()>;
}

/// One medium's line in a status snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediumStatus {
    /// The medium, as ha.cf names it.
    pub name: String,
    /// Its link state, e.g. `up` or `down: interface eth0 is down`.
    pub link: String,
}

/// What a node knows, for `ha-node status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// This node's name.
    pub local: String,
    /// Every node, this one first.
    pub nodes: Vec<NodeStatus>,
    /// Every node's name in ha.cf order.
    pub node_order: Vec<String>,
    /// Every group.
    pub groups: Vec<GroupStatus>,
    /// Every medium.
    pub media: Vec<MediumStatus>,
    /// Every ping node, in ha.cf order.
    pub ping_nodes: Vec<PingNodeStatus>,
    /// The fences pending: dead peers whose groups wait for them.
    pub fences: Vec<FenceStatus>,
    /// Counts, silences and the last events since the node started.
    pub history: History,
}

enum Command {
    Status(oneshot::Sender<Snapshot>),
    Shutdown,
    /// An operator's standby or takeover.
    Handover(HandoverCommand, Which, oneshot::Sender<HandoverAnswer>),
    /// An operator's cleanup of a group's failures.
    Cleanup(String, oneshot::Sender<bool>),
}

/// Which hand-over an operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverCommand {
    /// heartbeat's hb_standby: give the groups to a peer.
    Standby,
    /// heartbeat's hb_takeover: take the groups from a peer.
    Takeover,
}

impl HandoverCommand {
    /// The command's word.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverCommand::Standby => "standby",
            HandoverCommand::Takeover => "takeover",
        }
    }
}

/// The machine's answer to a hand-over.
pub type HandoverAnswer = Result<Handover, HandoverRefused>;

/// A way to talk to a running driver.
#[derive(Clone)]
pub struct DriverHandle {
    commands: mpsc::Sender<Command>,
}

impl DriverHandle {
    /// The node's current view; `None` once the driver has stopped.
    pub async fn status(&self) -> Option<Snapshot> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Status(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Asks the node for a standby or takeover; `None` once the driver has
    /// stopped.
    pub async fn handover(&self, command: HandoverCommand, which: Which) -> Option<HandoverAnswer> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Handover(command, which, reply))
            .await
            .ok()?;
        answer.await.ok()
    }

    /// Tells the node the operator cleared the failures of `group`: it may
    /// run here again. Whether the group is known; `None` once the driver
    /// has stopped.
    pub async fn cleanup(&self, group: &str) -> Option<bool> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Cleanup(group.to_string(), reply))
            .await
            .ok()?;
        answer.await.ok()
    }

    /// Asks the node to release its groups, tell its peers and stop.
    pub async fn shutdown(&self) {
        // A driver that has already stopped needs no shutdown.
        let _ = self.commands.send(Command::Shutdown).await;
    }
}

/// Everything the driver runs with.
pub struct Driver {
    machine: Machine,
    media: Vec<Arc<dyn Medium>>,
    keys: Arc<AuthKeys>,
    groups: Arc<dyn GroupControl>,
    generations: Arc<dyn GenerationStore>,
    tally: Tally,
    ping_targets: Vec<PingTarget>,
    on_heartbeat: Option<HeartbeatHook>,
    fencer: Option<Arc<dyn Fencer>>,
    compression: wire::Compression,
}

/// What runs each time the node has sent a heartbeat, on the loop itself:
/// it must not wait.
pub type HeartbeatHook = Box<dyn Fn() + Send + Sync>;

impl Driver {
    /// Assembles a driver; nothing runs until [`Driver::run`].
    pub fn new(
        machine: Machine,
        media: Vec<Arc<dyn Medium>>,
        keys: AuthKeys,
        groups: Arc<dyn GroupControl>,
        generations: Arc<dyn GenerationStore>,
    ) -> (Self, DriverHandle, DriverCommands) {
        let (commands, receiver) = mpsc::channel(16);
        let config = machine.config();
        let tally = Tally::new(
            config
                .nodes
                .iter()
                .filter(|n| **n != config.local)
                .cloned()
                .collect(),
            media.iter().map(|m| m.describe()).collect(),
            config.deadtime,
            config.warntime,
            now(),
        );
        let driver = Driver {
            machine,
            media,
            keys: Arc::new(keys),
            groups,
            generations,
            tally,
            ping_targets: Vec::new(),
            on_heartbeat: None,
            fencer: None,
            compression: wire::Compression::default(),
        };
        (driver, DriverHandle { commands }, DriverCommands(receiver))
    }

    /// Pings these ping nodes while running (each name one of the
    /// machine's [`crate::machine::Config::ping_nodes`]).
    pub fn ping(mut self, targets: Vec<PingTarget>) -> Self {
        self.ping_targets = targets;
        self
    }

    /// Fences dead peers with `fencer` when the machine asks (without one,
    /// a fence fails: no device).
    pub fn fence_with(mut self, fencer: Arc<dyn Fencer>) -> Self {
        self.fencer = Some(fencer);
        self
    }

    /// Compresses outgoing netstring messages as `compression` says
    /// (ha.cf's `compression` directives; heartbeat's defaults without).
    pub fn compress_with(mut self, compression: wire::Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Runs `hook` each time this node has sent its heartbeat (its status,
    /// every keepalive and on a change), on the loop: it must return at
    /// once, e.g. signal a thread.
    pub fn on_heartbeat(&mut self, hook: HeartbeatHook) {
        self.on_heartbeat = Some(hook);
    }

    /// Runs until a shutdown has completed.
    pub async fn run(mut self, DriverCommands(mut commands): DriverCommands) {
        let (inbound_tx, mut inbound_rx) = mpsc::channel(1024);
        let receivers: Vec<_> = self
            .media
            .iter()
            .enumerate()
            .flat_map(|(index, medium)| {
                [
                    tokio::spawn(inbound::receive(
                        index,
                        medium.clone(),
                        self.keys.clone(),
                        inbound_tx.clone(),
                    )),
                    tokio::spawn(inbound::refusals(index, medium.clone(), inbound_tx.clone())),
                ]
            })
            .collect();
        drop(inbound_tx);
        // The sender stays here, so the channel never closes.
        let (ping_tx, mut ping_rx) = mpsc::channel::<String>(256);
        let pingers = ping::spawn(
            &self.ping_targets,
            self.machine.config().keepalive,
            &ping_tx,
        );
        let (results_tx, mut results_rx) = mpsc::channel(64);
        let (fences_tx, mut fences_rx) = mpsc::channel(16);
        let mut auth_log = LogLimiter::new();
        let mut reject_log = LogLimiter::new();
        let mut commands_open = true;
        let mut buf = vec![0u8; MAX_DATAGRAM_LEN];
        loop {
            if self
                .process_outputs(&results_tx, &fences_tx, &mut reject_log)
                .await
            {
                break;
            }
            let deadline = self.machine.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                // Messages first: a heartbeat that has arrived is read
                // before a deadline it would cancel.
                biased;
                Some(inbound) = inbound_rx.recv() => self.take(inbound, &mut auth_log),
                Some(name) = ping_rx.recv() => self.machine.handle_ping_answer(now(), &name),
                Some((id, outcome)) = results_rx.recv() => {
                    self.machine.handle_action_result(now(), id, outcome);
                }
                Some((id, outcome)) = fences_rx.recv() => {
                    self.machine.handle_fence_result(now(), id, outcome);
                }
                command = commands.recv(), if commands_open => match command {
                    Some(Command::Status(reply)) => {
                        let _ = reply.send(self.snapshot());
                    }
                    Some(Command::Shutdown) => {
                        log::info!("shutting down: releasing resource groups");
                        self.machine.shutdown(now());
                    }
                    Some(Command::Handover(command, which, reply)) => {
                        let answer = match command {
                            HandoverCommand::Standby => self.machine.standby(now(), which),
                            HandoverCommand::Takeover => self.machine.takeover(now(), which),
                        };
                        match &answer {
                            Ok(handover) => log::info!(
                                "operator: {} {}: moving [{}]",
                                command.as_str(),
                                which.as_str(),
                                handover.moving.join(", ")
                            ),
                            Err(refused) => log::warn!(
                                "operator: {} {}: {refused}",
                                command.as_str(),
                                which.as_str()
                            ),
                        }
                        let _ = reply.send(answer);
                    }
                    Some(Command::Cleanup(group, reply)) => {
                        let known = self.machine.cleanup(now(), &group);
                        if known {
                            log::info!("operator: cleanup of resource group {group}");
                        }
                        let _ = reply.send(known);
                    }
                    None => commands_open = false,
                },
                () = sleep => {
                    // Whatever is already queued, in the loop's channel or
                    // still in a medium's socket, is read before the
                    // deadline is acted on.
                    while let Ok(inbound) = inbound_rx.try_recv() {
                        self.take(inbound, &mut auth_log);
                    }
                    for inbound in inbound::queued(&self.media, &self.keys, &mut buf) {
                        self.take(inbound, &mut auth_log);
                    }
                    while let Ok(name) = ping_rx.try_recv() {
                        self.machine.handle_ping_answer(now(), &name);
                    }
                    self.machine.handle_timeout(now());
                }
            }
        }
        for task in receivers.into_iter().chain(pingers) {
            task.abort();
        }
        drop(ping_tx);
    }

    /// Hands one received datagram to the machine (or the log).
    fn take(&mut self, inbound: Inbound, auth_log: &mut LogLimiter) {
        match inbound {
            Inbound::Message {
                medium,
                source,
                message,
            } => {
                let now = now();
                self.tally.arrival(medium, &message, now);
                let via = Via {
                    medium,
                    source: source.ip().to_canonical(),
                };
                self.machine.handle_message_via(now, message, via);
            }
            Inbound::Refused { medium, to } => {
                if let Some(m) = self.media.get(medium) {
                    log::debug!("{}: a heartbeat to {to} was refused", m.describe());
                }
                self.machine
                    .handle_refusal(now(), medium, to.ip().to_canonical());
            }
            Inbound::Invalid { source, error } => {
                auth_log.warn(source.ip().to_string(), now(), || {
                    format!("rejected a packet from {source}: {error}")
                });
            }
        }
    }

    /// Carries out the machine's outputs; returns true once shutdown is complete.
    async fn process_outputs(
        &mut self,
        results: &mpsc::Sender<(ActionId, ActionOutcome)>,
        fences: &mpsc::Sender<(ActionId, ActionOutcome)>,
        reject_log: &mut LogLimiter,
    ) -> bool {
        let mut finished = false;
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Send(message) => {
                    self.send(&message).await;
                    if let (Message::Status(_), Some(hook)) = (&message, &self.on_heartbeat) {
                        hook();
                    }
                }
                Output::Action { id, group, kind } => {
                    self.tally.action(&group, kind, now());
                    match kind {
                        ActionKind::Start(cause) => {
                            log::info!("acquiring resource group {group} ({})", cause.as_str())
                        }
                        ActionKind::Stop(reason) => {
                            log::info!("releasing resource group {group} ({})", reason.as_str())
                        }
                        ActionKind::Monitor => log::debug!("monitoring resource group {group}"),
                        ActionKind::MonitorResource(index) => {
                            log::debug!("monitoring resource {index} of group {group}")
                        }
                        ActionKind::Probe => log::debug!("probing resource group {group}"),
                        ActionKind::Announce => {
                            log::info!("announcing resource group {group} again")
                        }
                    }
                    self.spawn_action(id, group, kind, results.clone());
                }
                Output::Fence { id, node } => self.spawn_fence(id, node, fences.clone()),
                Output::Event(Event::ShutdownComplete) => {
                    log::info!("shutdown complete: peers told");
                    finished = true;
                }
                Output::Event(event) => {
                    self.tally.event(&event, now());
                    self.report(event, reject_log);
                }
            }
        }
        finished
    }

    async fn send(&self, message: &Message) {
        let wall_clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let config = self.machine.config();
        let ttl = wire::forwarding_ttl(1, config.nodes.len() + config.ping_nodes.len());
        let fields = match message.to_wire(wall_clock, ttl) {
            Ok(fields) => fields,
            Err(error) => {
                log::error!("cannot encode a message: {error}");
                return;
            }
        };
        // Each form is written once, when a medium first asks for it.
        // A serial line carries the classic text form, which heartbeat
        // never compresses.
        let mut netstring = None;
        let mut text = None;
        let compression = &self.compression;
        for medium in &self.media {
            let (slot, encode): (_, &dyn Fn(&_, &_) -> _) = match medium.message_format() {
                MessageFormat::Netstring => (&mut netstring, &|fields, keys| {
                    wire::encode_compressed(fields, keys, compression)
                }),
                MessageFormat::Classic => (&mut text, &wire::encode_text),
            };
            let datagram = match slot.get_or_insert_with(|| encode(&fields, &self.keys)) {
                Ok(datagram) => datagram,
                Err(error) => {
                    log::error!("cannot encode a message: {error}");
                    return;
                }
            };
            if let Err(error) = medium.send(datagram).await {
                log::debug!("{}: send failed: {error}", medium.describe());
            }
        }
    }

    /// Runs one action in a task of its own and reports its outcome.
    fn spawn_action(
        &self,
        id: ActionId,
        group: String,
        kind: ActionKind,
        results: mpsc::Sender<(ActionId, ActionOutcome)>,
    ) {
        let control = self.groups.clone();
        tokio::spawn(async move {
            let result = match kind {
                ActionKind::Start(_) => control.start(&group).await,
                ActionKind::Stop(_) => control.stop(&group).await,
                ActionKind::Monitor => {
                    let outcome = control.check(&group).await;
                    let _ = results.send((id, outcome)).await;
                    return;
                }
                ActionKind::MonitorResource(index) => {
                    let outcome = control.check_resource(&group, index).await;
                    let _ = results.send((id, outcome)).await;
                    return;
                }
                ActionKind::Probe => control.probe(&group).await,
                ActionKind::Announce => control.announce(&group).await,
            };
            let outcome = match result {
                Ok(()) => ActionOutcome::Succeeded,
                Err(detail) => ActionOutcome::Failed { detail },
            };
            let _ = results.send((id, outcome)).await;
        });
    }

    /// Runs one fence in a task of its own and reports its outcome.
    fn spawn_fence(
        &self,
        id: ActionId,
        node: String,
        results: mpsc::Sender<(ActionId, ActionOutcome)>,
    ) {
        let fencer = self.fencer.clone();
        tokio::spawn(async move {
            let result = match fencer {
                Some(fencer) => fencer.fence(&node).await,
                None => Err("no STONITH device configured".to_string()),
            };
            let outcome = match result {
                Ok(()) => ActionOutcome::Succeeded,
                Err(detail) => ActionOutcome::Failed { detail },
            };
            let _ = results.send((id, outcome)).await;
        });
    }

    /// The fencing device, for the log.
    fn device(&self) -> String {
        self.fencer
            .as_ref()
            .map_or_else(|| "no device".to_string(), |f| f.describe())
    }

    fn report(&self, event: Event, reject_log: &mut LogLimiter) {
        let now = now();
        match event {
            Event::NodeState {
                node,
                from,
                to,
                cause: None,
            } => {
                log::info!("node {node}: {from} -> {to}");
            }
            Event::NodeState {
                node,
                from,
                to,
                cause: Some(cause),
            } => {
                log::warn!("node {node}: {from} -> {to} ({cause})");
            }
            Event::RefusalsIgnored {
                medium,
                address,
                heard,
            } => {
                let medium = self
                    .media
                    .get(medium)
                    .map_or_else(|| format!("medium {medium}"), |m| m.describe());
                let heard: Vec<String> = heard
                    .iter()
                    .map(|(node, from)| format!("{node} from {from}"))
                    .collect();
                let heard = if heard.is_empty() {
                    "no peer is heard yet".to_string()
                } else {
                    format!("peers are heard as {}", heard.join(", "))
                };
                log::warn!(
                    "{medium}: {address} refused a heartbeat (nothing listens there), but no \
                     node is heard from {address} ({heard}): fast detection of a dead peer \
                     process is off there; deadtime applies"
                );
            }
            Event::LateHeartbeat { node, silent_for } => {
                log::warn!(
                    "late heartbeat: node {node} silent for {} ms",
                    silent_for.as_millis()
                );
            }
            Event::Stalled { late_by, grace } => {
                reject_log.warn("stalled".to_string(), now, || {
                    format!(
                        "this node was stalled: its loop ran {} ms late and heard nothing \
                         meanwhile; no peer is declared dead for the next {} ms",
                        late_by.as_millis(),
                        grace.as_millis()
                    )
                });
            }
            Event::HeartbeatResumed { node, silent_for } => {
                log::info!(
                    "node {node} heard again after {} ms of silence",
                    silent_for.as_millis()
                );
            }
            Event::PeerRestarted { node, generation } => {
                log::info!("node {node} is in generation {generation}");
                let store = self.generations.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(error) = store.save_peer_generation(&node, generation) {
                        log::warn!("cannot record the generation of node {node}: {error}");
                    }
                });
            }
            Event::GenerationAdvanced { from, to } => {
                log::warn!(
                    "a peer knew this node by generation {}, not below its own {from} \
                     (was the state directory lost?): now in generation {to}",
                    to.saturating_sub(1)
                );
                let store = self.generations.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(error) = store.save_own_generation(to) {
                        log::warn!("cannot record this node's generation {to}: {error}");
                    }
                });
            }
            Event::Rejected { node, reason } => {
                let (key, text) = match reason {
                    RejectReason::Duplicate | RejectReason::AfterShutdown => {
                        // Several media deliver every message, and a network
                        // may reorder them: not worth a line.
                        return;
                    }
                    RejectReason::Replay(rejection) => (
                        format!("{node} {rejection:?}"),
                        format!(
                            "rejected a replayed message from node {node}: {} ({rejection:?})",
                            rejection.describe()
                        ),
                    ),
                    RejectReason::UnknownNode => (
                        format!("{node} unknown"),
                        format!(
                            "rejected a message from {node}, which is not a node of this cluster"
                        ),
                    ),
                };
                reject_log.warn(key, now, || text);
            }
            Event::GroupFailed {
                group,
                action: ActionKind::Monitor | ActionKind::MonitorResource(_),
                detail,
            } => {
                log::warn!("resource group {group} failed its monitor: {detail}");
            }
            Event::GroupFailed {
                group,
                action: ActionKind::Probe,
                detail,
            } => {
                log::error!("the probe of resource group {group} failed: {detail}");
            }
            Event::GroupFailed {
                group,
                action,
                detail,
            } => {
                log::error!(
                    "resource group {group} failed to {}: {detail}",
                    action.as_str()
                );
            }
            Event::GroupActionDone {
                group,
                action: ActionKind::Start(_),
            } => log::info!("resource group {group} started"),
            Event::GroupActionDone {
                group,
                action: ActionKind::Stop(_),
            } => log::info!("resource group {group} stopped"),
            Event::GroupActionDone { .. } => {}
            Event::Conflict { group, holders } => {
                log::warn!(
                    "resource group {group} is held by {} at once",
                    holders.join(" and ")
                );
            }
            Event::StandingBy {
                set,
                groups,
                asked_by,
            } => {
                let by = asked_by.map_or_else(
                    || "the operator's standby".to_string(),
                    |node| format!("the takeover of node {node}"),
                );
                log::info!(
                    "going standby [{}] for {by}: {}",
                    set.as_str(),
                    groups.join(", ")
                );
            }
            Event::PingNode {
                name,
                from,
                to,
                count,
            } => {
                let count = count.map_or_else(|| "not known yet".to_string(), |c| c.to_string());
                let text = format!("ping node {name}: {from} -> {to} (ping nodes up: {count})");
                if to == PingState::Dead {
                    log::warn!("{text}");
                } else {
                    log::info!("{text}");
                }
            }
            Event::PingShortfall { node, short: true } => {
                log::warn!(
                    "ipfail: node {node} sees fewer ping nodes than a peer: it hands its \
                     resource groups over"
                );
            }
            Event::PingShortfall { node, short: false } => {
                log::info!("ipfail: node {node} no longer sees fewer ping nodes than a peer");
            }
            // heartbeat's own words, from hb_resource.c.
            Event::FenceStarted { node, attempt } => {
                log::info!(
                    "Resetting node {node} with [{}] (attempt {attempt}); its resource groups \
                     wait for it",
                    self.device()
                );
            }
            Event::FenceFailed {
                node,
                attempt,
                detail,
                retry_in,
            } => {
                log::error!("Host {node} not reset!: {detail}");
                log::error!(
                    "STONITH of {node} failed.  Retrying... (attempt {attempt}, next in {} s; \
                     its resource groups stay down)",
                    retry_in.as_secs()
                );
            }
            Event::FenceSucceeded { node, attempts } => {
                log::info!("node {node} now reset. (after {attempts} attempt(s))");
            }
            Event::FenceCancelled { node } => {
                log::warn!("node {node} was heard again: its STONITH is cancelled");
            }
            Event::FencingUnavailable { node } => {
                log::warn!("No STONITH device configured. (node {node} is dead)");
                log::warn!("Shared disks are not protected.");
            }
            Event::FenceUnneeded { node } => {
                log::info!("Dead node {node} gave up resources.");
            }
            Event::ShutdownComplete => {}
        }
    }

    fn snapshot(&self) -> Snapshot {
        let now = now();
        Snapshot {
            local: self.machine.config().local.clone(),
            nodes: self.machine.nodes(now),
            node_order: self.machine.config().nodes.clone(),
            groups: self.machine.groups(),
            media: self
                .media
                .iter()
                .map(|m| MediumStatus {
                    name: m.describe(),
                    link: m.link().to_string(),
                })
                .collect(),
            ping_nodes: self.machine.ping_nodes(now),
            fences: self.machine.fences(now),
            history: self.tally.snapshot(now),
        }
    }
}

/// The current monotonic time, read through tokio's clock so that a test
/// with a paused clock drives the machine with it.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The receiving end of a [`DriverHandle`], passed to [`Driver::run`].
pub struct DriverCommands(mpsc::Receiver<Command>);

/// Generations of peers from an earlier run, for [`Machine::new`].
pub type KnownGenerations = BTreeMap<String, u64>;

#[cfg(test)]
mod tests;

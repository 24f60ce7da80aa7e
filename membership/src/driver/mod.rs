//! Runs the state machine on tokio with real media and resources.
//!
//! The driver owns the loop around [`Machine`]: it decodes and authenticates
//! what the media receive (in one task per medium), feeds the machine,
//! encodes and signs what it sends, and hands group starts and stops to
//! [`GroupControl`] in tasks of their own, so the loop never waits on a
//! resource agent. Operators reach it through a [`DriverHandle`].

mod inbound;
mod log_limit;

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ha_transport::medium::Medium;
use tokio::sync::{mpsc, oneshot};

use crate::auth::AuthKeys;
use crate::machine::{
    Event, GroupResult, GroupStatus, LocalGroupState, Machine, NodeStatus, Output, RejectReason,
};
use crate::message::Message;
use crate::wire;
use inbound::Inbound;
use log_limit::LogLimiter;

/// Starts and stops resource groups on behalf of the driver.
#[async_trait]
pub trait GroupControl: Send + Sync + 'static {
    /// Starts a group (in order, rolling back on failure).
    async fn start(&self, group: &str) -> Result<(), String>;
    /// Stops a group (in reverse order).
    async fn stop(&self, group: &str) -> Result<(), String>;
    /// Checks that a running group is healthy.
    async fn monitor(&self, group: &str) -> Result<(), String>;
}

/// How often running groups are monitored unless told otherwise.
pub const DEFAULT_MONITOR_INTERVAL: Duration = Duration::from_secs(2);

/// Remembers peers' generations across restarts, to reject old replays.
pub trait GenerationStore: Send + Sync + 'static {
    /// Records that `node` is now in `generation`. Called from a blocking task.
    fn save_peer_generation(&self, node: &str, generation: u64) -> std::io::Result<()>;
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
    /// Every group.
    pub groups: Vec<GroupStatus>,
    /// Every medium.
    pub media: Vec<MediumStatus>,
}

enum Command {
    Status(oneshot::Sender<Snapshot>),
    Shutdown,
}

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
    monitor_interval: Duration,
    /// Groups whose monitor is in flight (one at a time per group).
    monitoring: Arc<Mutex<HashSet<String>>>,
}

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
        let driver = Driver {
            machine,
            media,
            keys: Arc::new(keys),
            groups,
            generations,
            monitor_interval: DEFAULT_MONITOR_INTERVAL,
            monitoring: Arc::default(),
        };
        (driver, DriverHandle { commands }, DriverCommands(receiver))
    }

    /// Monitors running groups every `interval` instead of the default.
    pub fn with_monitor_interval(mut self, interval: Duration) -> Self {
        self.monitor_interval = interval;
        self
    }

    /// Runs until a shutdown has completed.
    pub async fn run(mut self, DriverCommands(mut commands): DriverCommands) {
        let (inbound_tx, mut inbound_rx) = mpsc::channel(1024);
        let receivers: Vec<_> = self
            .media
            .iter()
            .map(|medium| {
                tokio::spawn(inbound::receive(
                    medium.clone(),
                    self.keys.clone(),
                    inbound_tx.clone(),
                ))
            })
            .collect();
        drop(inbound_tx);
        let (results_tx, mut results_rx) = mpsc::channel(64);
        let mut auth_log = LogLimiter::new();
        let mut reject_log = LogLimiter::new();
        let mut commands_open = true;
        let mut monitor = tokio::time::interval(self.monitor_interval);
        monitor.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if self.process_outputs(&results_tx, &mut reject_log).await {
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
                Some(inbound) = inbound_rx.recv() => match inbound {
                    Inbound::Message(message) => self.machine.handle_message(Instant::now(), message),
                    Inbound::Invalid { source, error } => {
                        auth_log.warn(source.ip().to_string(), Instant::now(), || {
                            format!("rejected a packet from {source}: {error}")
                        });
                    }
                },
                Some((group, result)) = results_rx.recv() => {
                    let group: String = group;
                    self.machine.handle_group_result(Instant::now(), &group, result);
                }
                command = commands.recv(), if commands_open => match command {
                    Some(Command::Status(reply)) => {
                        let _ = reply.send(self.snapshot());
                    }
                    Some(Command::Shutdown) => {
                        log::info!("shutting down: releasing resource groups");
                        self.machine.shutdown(Instant::now());
                    }
                    None => commands_open = false,
                },
                () = sleep => self.machine.handle_timeout(Instant::now()),
                _ = monitor.tick() => self.spawn_monitors(&results_tx),
            }
        }
        for receiver in receivers {
            receiver.abort();
        }
    }

    /// Carries out the machine's outputs; returns true once shutdown is complete.
    async fn process_outputs(
        &mut self,
        results: &mpsc::Sender<(String, GroupResult)>,
        reject_log: &mut LogLimiter,
    ) -> bool {
        let mut finished = false;
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Send(message) => self.send(&message).await,
                Output::StartGroup(group) => {
                    log::info!("acquiring resource group {group}");
                    self.spawn_group_action(group, true, results.clone());
                }
                Output::StopGroup { group, reason } => {
                    log::info!("releasing resource group {group} ({})", reason.as_str());
                    self.spawn_group_action(group, false, results.clone());
                }
                Output::Event(Event::ShutdownComplete) => {
                    log::info!("shutdown complete: peers told");
                    finished = true;
                }
                Output::Event(event) => self.report(event, reject_log),
            }
        }
        finished
    }

    async fn send(&self, message: &Message) {
        let wall_clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let ttl = wire::forwarding_ttl(1, self.machine.config().nodes.len());
        let datagram = match message
            .to_wire(wall_clock, ttl)
            .and_then(|w| wire::encode(&w, &self.keys))
        {
            Ok(datagram) => datagram,
            Err(error) => {
                log::error!("cannot encode a message: {error}");
                return;
            }
        };
        let copies = if matches!(message, Message::Shutdown(_)) {
            2
        } else {
            1
        };
        for medium in &self.media {
            for _ in 0..copies {
                if let Err(error) = medium.send(&datagram).await {
                    log::debug!("{}: send failed: {error}", medium.describe());
                }
            }
        }
    }

    fn spawn_group_action(
        &self,
        group: String,
        start: bool,
        results: mpsc::Sender<(String, GroupResult)>,
    ) {
        let control = self.groups.clone();
        tokio::spawn(async move {
            let result = if start {
                match control.start(&group).await {
                    Ok(()) => {
                        log::info!("resource group {group} started");
                        GroupResult::Started
                    }
                    Err(error) => {
                        log::error!("resource group {group} failed to start: {error}");
                        GroupResult::StartFailed
                    }
                }
            } else {
                match control.stop(&group).await {
                    Ok(()) => {
                        log::info!("resource group {group} stopped");
                        GroupResult::Stopped
                    }
                    Err(error) => {
                        log::error!("resource group {group} failed to stop: {error}");
                        GroupResult::StopFailed
                    }
                }
            };
            let _ = results.send((group, result)).await;
        });
    }

    /// Starts a monitor for every running group that has none in flight; a
    /// failure is reported as [`GroupResult::MonitorFailed`].
    fn spawn_monitors(&self, results: &mpsc::Sender<(String, GroupResult)>) {
        for status in self.machine.groups() {
            if status.local_state != LocalGroupState::Running {
                continue;
            }
            let group = status.id;
            let newly_added = self
                .monitoring
                .lock()
                .is_ok_and(|mut in_flight| in_flight.insert(group.clone()));
            if !newly_added {
                continue;
            }
            let control = self.groups.clone();
            let in_flight = self.monitoring.clone();
            let results = results.clone();
            tokio::spawn(async move {
                let outcome = control.monitor(&group).await;
                if let Ok(mut set) = in_flight.lock() {
                    set.remove(&group);
                }
                if let Err(problem) = outcome {
                    log::warn!(
                        "resource group {group} failed its monitor: {problem}; restarting it here"
                    );
                    let _ = results.send((group, GroupResult::MonitorFailed)).await;
                }
            });
        }
    }

    fn report(&self, event: Event, reject_log: &mut LogLimiter) {
        let now = Instant::now();
        match event {
            Event::NodeState { node, from, to } => {
                log::info!("node {node}: {from} -> {to}");
            }
            Event::LateHeartbeat { node, silent_for } => {
                log::warn!(
                    "late heartbeat: node {node} silent for {} ms",
                    silent_for.as_millis()
                );
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
            Event::Rejected { node, reason } => {
                let (key, text) = match reason {
                    RejectReason::Duplicate => {
                        // Several media deliver every message: not worth a line.
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
            Event::GroupFailed { group, result } => {
                log::error!("resource group {group}: {result:?}");
            }
            Event::ShutdownComplete => {}
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            local: self.machine.config().local.clone(),
            nodes: self.machine.nodes(Instant::now()),
            groups: self.machine.groups(),
            media: self
                .media
                .iter()
                .map(|m| MediumStatus {
                    name: m.describe(),
                    link: m.link().to_string(),
                })
                .collect(),
        }
    }
}

/// The receiving end of a [`DriverHandle`], passed to [`Driver::run`].
pub struct DriverCommands(mpsc::Receiver<Command>);

/// Generations of peers from an earlier run, for [`Machine::new`].
pub type KnownGenerations = BTreeMap<String, u64>;

//! `ha-node run`: load the configuration, open the media, run the node.
//!
//! With `realtime on` (heartbeat's default) the node's memory is locked and
//! the membership driver runs on a thread of its own at SCHED_FIFO
//! (`rtprio`), on a current-thread runtime of its own: its media are
//! opened there and its media receivers run there too. Resource group
//! actions, the control socket and the signal handling stay on the node's
//! main runtime at normal priority (see [`crate::groups`]): the loop only
//! decodes, decides and sends. The thread resets on fork besides, so
//! nothing it might start inherits its policy. With `realtime
//! off` the driver is a task of the main runtime.
//!
//! A dead peer is fenced with ha.cf's device before its groups are taken
//! over when heartbeat's rule needs it (see [`crate::fencing`]).
//!
//! ha.cf's `respawn` programs (heartbeat's ipfail aside: see
//! [`clients::log_builtin_ipfail`]) are supervised by tasks of the main
//! runtime from the moment the driver runs, and stopped, with their process
//! groups, when the node stops. A `watchdog` device is written by a thread
//! of its own, kicked by the driver each time it sends a heartbeat (see
//! `ha_daemon::watchdog`), and closed with the magic `V` when the node
//! stops.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ha_daemon::realtime::{self, LoopThread};
use ha_daemon::respawn::Supervisor;
use ha_daemon::watchdog::{self, Watchdog};
use ha_membership::config::{AutoFailback, HaConfig};
use ha_membership::driver::{Driver, PingTarget};
use ha_membership::machine::{self, GroupConfig, Machine};
use ha_membership::state_dir::StateDir;
use ha_transport::medium::Medium;
use ha_transport::spec::MediumSpec;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::oneshot;

use crate::clients;
use crate::control;
use crate::failed_stop::FailedStop;
use crate::fencing::FenceCommand;
use crate::groups::Groups;
use crate::logging;
use crate::node_config::{self, NodeConfig};

/// What `ha-node run` was told.
pub struct RunOptions {
    /// Directory of ha.cf, authkeys, haresources.
    pub config_dir: PathBuf,
    /// This node's name.
    pub node: String,
    /// How resources are looked up.
    pub resolver: ha_resources::Resolver,
    /// State directory.
    pub state_dir: PathBuf,
    /// Control socket.
    pub socket: PathBuf,
    /// What to do when a stop fails for good.
    pub failed_stop: FailedStop,
}

/// Runs the node until SIGTERM/SIGINT has released its groups.
pub async fn run(options: RunOptions) -> Result<(), String> {
    let NodeConfig {
        node,
        ha,
        keys,
        resources,
        resolved,
        monitoring,
        warnings,
    } = node_config::load(&options.config_dir, &options.node, &options.resolver)
        .map_err(|e| e.to_string())?;
    logging::configure(
        logging::Sinks::configured(
            &node,
            ha.logfile.as_deref(),
            ha.debugfile.as_deref(),
            ha.logfacility.as_deref(),
        )
        .map_err(|e| e.to_string())?,
    );
    for warning in &warnings {
        log::warn!("{warning}");
    }
    if ha.realtime {
        realtime::lock_memory();
    }
    let state = Arc::new(StateDir::open(&options.state_dir).map_err(|e| e.to_string())?);
    let generation = state.next_generation().map_err(|e| e.to_string())?;
    let uuid = state.uuid().map_err(|e| e.to_string())?;
    let groups = Arc::new(Groups::build(
        &resolved,
        &monitoring,
        tokio::runtime::Handle::current(),
        options.failed_stop.clone(),
    ));
    let mut machine_config = machine_config(&node, uuid, &ha, &resources);
    machine_config.resource_monitors = groups.resource_monitors();
    let machine = Machine::new(
        machine_config,
        generation,
        &state.peer_generations(),
        Instant::now(),
    );
    let listener = control::listen(&options.socket).map_err(|e| e.to_string())?;
    clients::log_builtin_ipfail(&ha);
    let priority = ha.realtime.then_some(ha.rtprio);
    let (watchdog, kick) = match &ha.watchdog {
        Some(device) => {
            let timeout = watchdog::device_timeout(ha.deadtime);
            let (watchdog, kick) = Watchdog::start(device, timeout, priority)
                .map_err(|e| format!("cannot start the watchdog thread: {e}"))?;
            (Some(watchdog), Some(kick))
        }
        None => (None, None),
    };
    let fencer = ha
        .fence_device_for(&node)
        .map(FenceCommand::of)
        .transpose()?;
    let (handle_tx, handle_rx) = oneshot::channel();
    let specs = ha.media.clone();
    let ping_targets: Vec<PingTarget> = ha
        .ping_nodes
        .iter()
        .map(|p| PingTarget {
            name: p.name.clone(),
            addresses: p.addresses.clone(),
        })
        .collect();
    let control_groups = groups.clone();
    let compression = ha.compression;
    let membership = move || async move {
        let media = open_media(&specs).await?;
        let (mut driver, handle, commands) = Driver::new(machine, media, keys, groups, state);
        if let Some(kick) = kick {
            driver.on_heartbeat(Box::new(move || kick.kick()));
        }
        let mut driver = driver.ping(ping_targets).compress_with(compression);
        if let Some(fencer) = fencer {
            driver = driver.fence_with(Arc::new(fencer));
        }
        // The receiver goes only if `run` has already failed.
        let _ = handle_tx.send(handle);
        driver.run(commands).await;
        Ok::<(), String>(())
    };
    let membership = if ha.realtime {
        Membership::Thread(
            realtime::spawn_loop(MEMBERSHIP_THREAD, Some(ha.rtprio), membership)
                .map_err(|e| format!("cannot start the {MEMBERSHIP_THREAD} thread: {e}"))?,
        )
    } else {
        Membership::Task(tokio::spawn(membership()))
    };
    let Ok(handle) = handle_rx.await else {
        // The driver never started: say why.
        let result = membership.join().await;
        if let Some(watchdog) = watchdog {
            watchdog.close().await;
        }
        log::logger().flush();
        return result;
    };
    let supervisor = Supervisor::start(clients::programs(&ha));
    let respawns = supervisor.stop_handle();
    let control_task = tokio::spawn(control::serve(listener, handle.clone(), control_groups));
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let signals = tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => log::info!("SIGTERM received"),
            _ = interrupt.recv() => log::info!("SIGINT received"),
        }
        respawns.stop();
        handle.shutdown().await;
    });
    log::info!(
        "node {node} starting, generation {generation}, {} media, {} resource groups",
        ha.media.len(),
        resources.groups.len()
    );
    let result = membership.join().await;
    signals.abort();
    control_task.abort();
    supervisor.stop().await;
    if let Some(watchdog) = watchdog {
        watchdog.close().await;
    }
    let _ = std::fs::remove_file(&options.socket);
    // The membership thread's last lines may still be queued.
    log::logger().flush();
    result
}

/// The name of the thread the membership loop runs on with `realtime on`
/// (as `/proc/PID/task/TID/comm` shows it).
pub const MEMBERSHIP_THREAD: &str = "membership";

/// Where the membership driver runs.
enum Membership {
    /// `realtime on`: a thread of its own at SCHED_FIFO, on a runtime of
    /// its own, with the media receivers it spawns.
    Thread(LoopThread<Result<(), String>>),
    /// `realtime off`: a task of the node's runtime, as everything else.
    Task(tokio::task::JoinHandle<Result<(), String>>),
}

impl Membership {
    /// Waits until the driver has stopped; why it could not run, if so.
    async fn join(self) -> Result<(), String> {
        match self {
            Membership::Thread(thread) => thread.join().await.map_err(|e| e.to_string())?,
            Membership::Task(task) => task
                .await
                .map_err(|e| format!("the membership driver ended abnormally: {e}"))?,
        }
    }
}

/// Opens every medium, on the runtime the driver will run on.
async fn open_media(specs: &[MediumSpec]) -> Result<Vec<Arc<dyn Medium>>, String> {
    let mut media: Vec<Arc<dyn Medium>> = Vec::new();
    for spec in specs {
        let medium = ha_transport::open(spec).await.map_err(|e| e.to_string())?;
        media.push(Arc::from(medium));
    }
    Ok(media)
}

fn machine_config(
    node: &str,
    uuid: [u8; 16],
    ha: &HaConfig,
    resources: &ha_resources::haresources::Haresources,
) -> machine::Config {
    machine::Config {
        local: node.to_string(),
        uuid,
        nodes: ha.nodes.clone(),
        keepalive: ha.keepalive,
        warntime: ha.warntime,
        deadtime: ha.deadtime,
        initdead: ha.initdead,
        // heartbeat's `legacy` behaves as `on` in a cluster where every
        // node understands auto_failback, which every node of ours does.
        auto_failback: !matches!(ha.auto_failback, AutoFailback::Off),
        // Each resource has its own monitor, from the monitoring file, set
        // once the groups are built.
        monitor_interval: None,
        resource_monitors: Vec::new(),
        groups: resources
            .groups
            .iter()
            .map(|g| GroupConfig {
                id: g.id(),
                preferred: g.preferred_node.clone(),
            })
            .collect(),
        ping_nodes: ha.ping_nodes.iter().map(|p| p.name.clone()).collect(),
        ping_weights: ha
            .ping_nodes
            .iter()
            .filter(|p| p.weight != 1)
            .map(|p| (p.name.clone(), p.weight))
            .collect(),
        deadping: ha.deadping,
        ipfail: ha.ipfail,
        fencing: ha.fence_device_for(node).is_some(),
    }
}

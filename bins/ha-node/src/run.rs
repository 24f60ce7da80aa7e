//! `ha-node run`: load the configuration, open the media, run the node.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ha_membership::config::{AutoFailback, HaConfig};
use ha_membership::driver::Driver;
use ha_membership::machine::{self, GroupConfig, Machine};
use ha_membership::state_dir::StateDir;
use ha_transport::medium::Medium;
use tokio::signal::unix::{signal, SignalKind};

use crate::control;
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
}

/// Runs the node until SIGTERM/SIGINT has released its groups.
pub async fn run(options: RunOptions) -> Result<(), String> {
    let NodeConfig {
        node,
        ha,
        keys,
        resources,
        resolved,
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
    let state = Arc::new(StateDir::open(&options.state_dir).map_err(|e| e.to_string())?);
    let generation = state.next_generation().map_err(|e| e.to_string())?;
    let uuid = state.uuid().map_err(|e| e.to_string())?;
    let groups = Groups::build(&resolved);
    groups.release_leftovers().await?;
    let mut media: Vec<Arc<dyn Medium>> = Vec::new();
    for spec in &ha.media {
        let medium = ha_transport::udp::open(spec)
            .await
            .map_err(|e| e.to_string())?;
        media.push(Arc::from(medium));
    }
    let machine_config = machine_config(&node, uuid, &ha, &resources);
    let machine = Machine::new(
        machine_config,
        generation,
        &state.peer_generations(),
        Instant::now(),
    );
    let (driver, handle, commands) =
        Driver::new(machine, media, keys, Arc::new(groups), state.clone());
    let listener = control::listen(&options.socket).map_err(|e| e.to_string())?;
    let control_task = tokio::spawn(control::serve(listener, handle.clone()));
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let signals = tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => log::info!("SIGTERM received"),
            _ = interrupt.recv() => log::info!("SIGINT received"),
        }
        handle.shutdown().await;
    });
    log::info!(
        "node {node} starting, generation {generation}, {} media, {} resource groups",
        ha.media.len(),
        resources.groups.len()
    );
    driver.run(commands).await;
    signals.abort();
    control_task.abort();
    let _ = std::fs::remove_file(&options.socket);
    Ok(())
}

/// How often a group running here is monitored.
const MONITOR_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

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
        monitor_interval: Some(MONITOR_INTERVAL),
        groups: resources
            .groups
            .iter()
            .map(|g| GroupConfig {
                id: g.id(),
                preferred: g.preferred_node.clone(),
            })
            .collect(),
    }
}

//! One bed, either daemon: a [`TwoNodeCluster`] whose two nodes both run
//! `ha-node`, both run real heartbeat 3.0.6, or one of each (a rolling
//! upgrade's mixed pair), behind one interface, so a bench can run the
//! same scenario on each, side by side, from the same [`ClusterSpec`].
//!
//! Every node reads the same ha.cf: heartbeat's own lines (no logging
//! daemon, no syslog, no CRM; see [`crate::heartbeat`]) are added to the
//! ha-node nodes' ha.cf too. A pair with a heartbeat node is two machines
//! of their own with a private `/run` at least ([`heartbeat::private_dirs`]
//! is added to the spec's private mounts).

use std::fs;
use std::path::PathBuf;

use crate::cluster::{read_lossy, ClusterSpec, Node, TwoNodeCluster};
use crate::heartbeat;
use crate::{LabChild, LabError};

/// The daemon a node of a [`DaemonPair`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// `ha-node run`, the spec's binary.
    HaNode,
    /// Debian's heartbeat 3.0.6 from its real paths.
    Heartbeat,
}

impl Daemon {
    /// Both, ha-node first.
    pub const BOTH: [Daemon; 2] = [Daemon::HaNode, Daemon::Heartbeat];

    /// Its name in reports: `ha-node` or `heartbeat`.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::HaNode => "ha-node",
            Daemon::Heartbeat => "heartbeat",
        }
    }
}

/// The ha.cf lines heartbeat's nodes get besides the spec's (see
/// [`crate::heartbeat`]); ha-node's nodes get them too.
const HEARTBEAT_LINES: [&str; 3] = ["use_logd no", "logfacility none", "crm off"];

/// A two-node cluster running a [`Daemon`] on each node.
pub struct DaemonPair {
    cluster: TwoNodeCluster,
    daemons: [Daemon; 2],
}

impl DaemonPair {
    /// Builds the bed of `spec` for `daemon` on both nodes; starts
    /// nothing. For heartbeat it must be installed
    /// ([`heartbeat::installed`]).
    pub fn new(tag: &str, spec: ClusterSpec, daemon: Daemon) -> Result<DaemonPair, LabError> {
        DaemonPair::mixed(tag, spec, [daemon, daemon])
    }

    /// Builds the bed of `spec` with node-a running `daemons[0]` and
    /// node-b `daemons[1]`; starts nothing.
    pub fn mixed(
        tag: &str,
        spec: ClusterSpec,
        daemons: [Daemon; 2],
    ) -> Result<DaemonPair, LabError> {
        let mut spec = spec;
        if daemons.contains(&Daemon::Heartbeat) {
            if !heartbeat::installed() {
                return Err(LabError::InvalidArgument {
                    what: "a pair with a heartbeat node".to_string(),
                    reason: format!(
                        "{} is not installed (apt-get install heartbeat)",
                        heartbeat::HEARTBEAT
                    ),
                });
            }
            let mounts = spec.private_mounts.get_or_insert_with(Vec::new);
            for dir in heartbeat::private_dirs() {
                if !mounts.contains(&dir) {
                    mounts.push(dir);
                }
            }
        }
        let cluster = TwoNodeCluster::new(tag, spec)?;
        for node in Node::BOTH {
            if daemons[node.index()] != Daemon::HaNode {
                continue;
            }
            let ha_cf = cluster.config_dir(node).join("ha.cf");
            let io = |e| LabError::io(ha_cf.display().to_string(), e);
            let mut text = fs::read_to_string(&ha_cf).map_err(io)?;
            for line in HEARTBEAT_LINES {
                text.push_str(line);
                text.push('\n');
            }
            fs::write(&ha_cf, text).map_err(io)?;
        }
        Ok(DaemonPair { cluster, daemons })
    }

    /// The daemon `node` runs.
    pub fn daemon_of(&self, node: Node) -> Daemon {
        self.daemons[node.index()]
    }

    /// The pair's name in reports: its daemon's (`ha-node`, `heartbeat`),
    /// or node-a's and node-b's (`heartbeat+ha-node`).
    pub fn name(&self) -> String {
        match self.daemons {
            [a, b] if a == b => a.name().to_string(),
            [a, b] => format!("{}+{}", a.name(), b.name()),
        }
    }

    /// The cluster underneath: hosts, client, addresses.
    pub fn cluster(&self) -> &TwoNodeCluster {
        &self.cluster
    }

    /// Starts `node`'s daemon.
    pub fn start(&mut self, node: Node) -> Result<(), LabError> {
        match self.daemon_of(node) {
            Daemon::HaNode => self.cluster.start(node),
            Daemon::Heartbeat => self.cluster.start_heartbeat(node),
        }
    }

    /// `kill -9` of `node`'s daemon (heartbeat's whole process group, its
    /// children being part of it); nothing is released.
    pub fn kill(&mut self, node: Node) -> Result<(), LabError> {
        match self.daemon_of(node) {
            Daemon::HaNode => self.cluster.kill(node),
            Daemon::Heartbeat => self.cluster.kill_heartbeat(node),
        }
    }

    /// SIGTERM to `node`'s daemon: it releases its groups, tells its peer
    /// and exits. The process, for the caller to wait for (then
    /// [`DaemonPair::finish`]).
    pub fn terminate(&mut self, node: Node) -> Result<Option<LabChild>, LabError> {
        self.cluster.terminate(node)
    }

    /// Ends whatever is left of a terminated daemon's process group
    /// (heartbeat's children) and reaps it.
    pub fn finish(&self, child: &LabChild) -> Result<(), LabError> {
        child.signal_group(nix::sys::signal::Signal::SIGKILL)?;
        child.wait().map(|_| ())
    }

    /// Whether `node`'s daemon runs.
    pub fn is_running(&self, node: Node) -> bool {
        self.cluster.is_running(node)
    }

    /// Whether `viewer` sees `node` active: ha-node's status, heartbeat's
    /// `cl_status nodestatus`.
    pub fn sees_active(&self, viewer: Node, node: Node) -> bool {
        match self.daemon_of(viewer) {
            Daemon::HaNode => self.cluster.state_seen(viewer, node).as_deref() == Some("active"),
            Daemon::Heartbeat => self
                .cluster
                .cl_status(viewer, &["nodestatus", node.name()])
                .is_ok_and(|s| s.trim() == "active"),
        }
    }

    /// Whether `viewer` sees ping node `address` up: in ha-node's status
    /// (`ping_nodes`, state `up`), as heartbeat's `cl_status nodestatus`
    /// (`ping`).
    pub fn sees_ping_node_up(&self, viewer: Node, address: &str) -> bool {
        match self.daemon_of(viewer) {
            Daemon::HaNode => {
                let Some(status) = self
                    .cluster
                    .status_json(viewer)
                    .ok()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                else {
                    return false;
                };
                status["ping_nodes"].as_array().is_some_and(|nodes| {
                    nodes
                        .iter()
                        .any(|n| n["name"] == address && n["state"] == "up")
                })
            }
            Daemon::Heartbeat => self
                .cluster
                .cl_status(viewer, &["nodestatus", address])
                .is_ok_and(|s| s.trim() == "ping"),
        }
    }

    /// Whether both nodes see each other active.
    pub fn both_active(&self) -> bool {
        self.sees_active(Node::A, Node::B) && self.sees_active(Node::B, Node::A)
    }

    /// The file `node`'s daemon logs to.
    pub fn log_path(&self, node: Node) -> PathBuf {
        match self.daemon_of(node) {
            Daemon::HaNode => self.cluster.log_path(node),
            Daemon::Heartbeat => self.cluster.heartbeat_log_path(node),
        }
    }

    /// Everything `node`'s daemon has logged so far.
    pub fn log(&self, node: Node) -> String {
        read_lossy(&self.log_path(node))
    }

    /// The last `lines` lines of both nodes' logs and outputs, for a
    /// failure's message.
    pub fn evidence(&self, lines: usize) -> String {
        let tail = |text: String| {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        };
        Node::BOTH
            .iter()
            .map(|&node| {
                format!(
                    "--- {} {} log ---\n{}\n--- {} output ---\n{}\n",
                    self.daemon_of(node).name(),
                    node.name(),
                    tail(self.log(node)),
                    node.name(),
                    tail(self.cluster.output(node)),
                )
            })
            .collect()
    }
}

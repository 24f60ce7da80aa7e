//! One bed, either daemon: a [`TwoNodeCluster`] whose two nodes both run
//! `ha-node` or both run real heartbeat 3.0.6, behind one interface, so a
//! bench can run the same scenario on each, side by side, from the same
//! [`ClusterSpec`].
//!
//! Both read the same ha.cf: heartbeat's own lines (no logging daemon, no
//! syslog, no CRM; see [`crate::heartbeat`]) are added to the ha-node
//! nodes' ha.cf too. A heartbeat pair is two machines of their own with a
//! private `/run` at least ([`heartbeat::private_dirs`] is added to the
//! spec's private mounts).

use std::path::PathBuf;

use crate::cluster::{read_lossy, ClusterSpec, Node, TwoNodeCluster};
use crate::heartbeat;
use crate::LabError;

/// The daemon both nodes of a [`DaemonPair`] run.
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

/// A two-node cluster running one [`Daemon`] on both nodes.
pub struct DaemonPair {
    cluster: TwoNodeCluster,
    daemon: Daemon,
}

impl DaemonPair {
    /// Builds the bed of `spec` for `daemon`; starts nothing. For heartbeat
    /// it must be installed ([`heartbeat::installed`]).
    pub fn new(tag: &str, spec: ClusterSpec, daemon: Daemon) -> Result<DaemonPair, LabError> {
        let mut spec = spec;
        match daemon {
            Daemon::HaNode => spec
                .extra_ha_cf
                .extend(HEARTBEAT_LINES.iter().map(|l| l.to_string())),
            Daemon::Heartbeat => {
                if !heartbeat::installed() {
                    return Err(LabError::InvalidArgument {
                        what: "a heartbeat pair".to_string(),
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
        }
        let cluster = TwoNodeCluster::new(tag, spec)?;
        Ok(DaemonPair { cluster, daemon })
    }

    /// The daemon its nodes run.
    pub fn daemon(&self) -> Daemon {
        self.daemon
    }

    /// The cluster underneath: hosts, client, addresses.
    pub fn cluster(&self) -> &TwoNodeCluster {
        &self.cluster
    }

    /// Starts `node`'s daemon.
    pub fn start(&mut self, node: Node) -> Result<(), LabError> {
        match self.daemon {
            Daemon::HaNode => self.cluster.start(node),
            Daemon::Heartbeat => self.cluster.start_heartbeat(node),
        }
    }

    /// `kill -9` of `node`'s daemon (heartbeat's whole process group, its
    /// children being part of it); nothing is released.
    pub fn kill(&mut self, node: Node) -> Result<(), LabError> {
        match self.daemon {
            Daemon::HaNode => self.cluster.kill(node),
            Daemon::Heartbeat => self.cluster.kill_heartbeat(node),
        }
    }

    /// Whether `node`'s daemon runs.
    pub fn is_running(&self, node: Node) -> bool {
        self.cluster.is_running(node)
    }

    /// Whether `viewer` sees `node` active: ha-node's status, heartbeat's
    /// `cl_status nodestatus`.
    pub fn sees_active(&self, viewer: Node, node: Node) -> bool {
        match self.daemon {
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
        match self.daemon {
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
        match self.daemon {
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
                    self.daemon.name(),
                    node.name(),
                    tail(self.log(node)),
                    node.name(),
                    tail(self.cluster.output(node)),
                )
            })
            .collect()
    }
}

//! The control socket: `ha-node status` asks a running node what it sees.
//!
//! A client connects to the node's Unix socket, writes one request line
//! (`status`) and reads one JSON document back. The JSON shape is
//! [`StatusReport`], documented in the README. The socket itself is
//! ha-daemon's.

use std::path::Path;

use ha_daemon::control::{self, error_reply, unknown_request, ControlError, Naming, Report};
use ha_membership::driver::{DriverHandle, Snapshot};
use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;

/// How the node is spoken of in the socket's messages.
const NAMING: Naming = Naming {
    running: "another node is running on this socket",
    unreachable: "cannot reach a running node at",
};

/// `ha-node status --json`: the node's view of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The node answering.
    pub node: String,
    /// Every node, the answering one first.
    pub nodes: Vec<NodeReport>,
    /// The media.
    pub media: Vec<MediumReport>,
    /// The resource groups.
    pub groups: Vec<GroupReport>,
}

/// One node in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReport {
    /// Node name.
    pub name: String,
    /// `init`, `up`, `active` or `dead`.
    pub state: String,
    /// Whether this is the answering node.
    pub local: bool,
    /// Milliseconds since it was last heard; null for the answering node or
    /// a node never heard.
    pub last_heard_ms_ago: Option<u64>,
    /// Its generation (bumped at each start).
    pub generation: u64,
}

/// One medium in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediumReport {
    /// As ha.cf names it, e.g. `bcast eth0:694`.
    pub name: String,
    /// `up`, or `down: REASON`.
    pub link: String,
}

/// One resource group in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group (its haresources resources).
    pub id: String,
    /// Its preferred node.
    pub preferred: String,
    /// The node holding it, as the answering node sees it; null if none.
    pub owner: Option<String>,
    /// On the answering node: `stopped`, `starting`, `running`, `stopping`,
    /// `failed` or `stop-failed`.
    pub local_state: String,
}

impl From<Snapshot> for StatusReport {
    fn from(snapshot: Snapshot) -> Self {
        StatusReport {
            node: snapshot.local,
            nodes: snapshot
                .nodes
                .into_iter()
                .map(|n| NodeReport {
                    name: n.name,
                    state: n.state.to_string(),
                    local: n.local,
                    last_heard_ms_ago: n
                        .silent_for
                        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    generation: n.generation,
                })
                .collect(),
            media: snapshot
                .media
                .into_iter()
                .map(|m| MediumReport {
                    name: m.name,
                    link: m.link,
                })
                .collect(),
            groups: snapshot
                .groups
                .into_iter()
                .map(|g| GroupReport {
                    id: g.id,
                    preferred: g.preferred,
                    owner: g.owner,
                    local_state: g.local_state.as_str().to_string(),
                })
                .collect(),
        }
    }
}

impl Report for StatusReport {
    /// The human-readable form of `ha-node status`.
    fn to_text(&self) -> String {
        let mut text = format!("node {}\n\nnodes:\n", self.node);
        for n in &self.nodes {
            let heard = match (n.local, n.last_heard_ms_ago) {
                (true, _) => "this node".to_string(),
                (false, Some(ms)) => format!("last heard {ms} ms ago"),
                (false, None) => "never heard".to_string(),
            };
            text += &format!("  {:<16} {:<7} {heard}\n", n.name, n.state);
        }
        text += "\nmedia:\n";
        for m in &self.media {
            text += &format!("  {:<32} {}\n", m.name, m.link);
        }
        text += "\nresource groups:\n";
        for g in &self.groups {
            let owner = g.owner.as_deref().unwrap_or("(none)");
            text += &format!(
                "  {}\n    owner {owner}, preferred {}, here {}\n",
                g.id, g.preferred, g.local_state
            );
        }
        text
    }
}

/// Binds the control socket (replacing a stale one) with mode 0600.
pub fn listen(path: &Path) -> Result<UnixListener, ControlError> {
    control::listen(path, &NAMING)
}

/// Answers requests until the driver stops.
pub async fn serve(listener: UnixListener, driver: DriverHandle) {
    control::serve(listener, move |request| answer(request, driver.clone())).await;
}

async fn answer(request: String, driver: DriverHandle) -> String {
    match request.as_str() {
        "status" => match driver.status().await {
            Some(snapshot) => serde_json::to_string(&StatusReport::from(snapshot))
                .unwrap_or_else(|e| error_reply(&e.to_string())),
            None => error_reply("the node is stopping"),
        },
        other => unknown_request(other),
    }
}

/// Asks the node at `path` for its status.
pub async fn request_status(path: &Path) -> Result<StatusReport, ControlError> {
    let reply = control::request(path, "status", &NAMING).await?;
    control::parse_reply(path, &reply)
}

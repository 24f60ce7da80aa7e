//! The control socket: `ha-node status` asks a running node what it sees.
//!
//! A client connects to the node's Unix socket, writes one request line
//! (`status`) and reads one JSON document back. The JSON shape is
//! [`StatusReport`], documented in the README.

use std::path::{Path, PathBuf};

use ha_membership::driver::{DriverHandle, Snapshot};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

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

impl StatusReport {
    /// The human-readable form of `ha-node status`.
    pub fn to_text(&self) -> String {
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

/// Errors of the control socket.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The socket could not be created.
    #[error("cannot listen on {path}: {source}")]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No node answers on the socket.
    #[error("cannot reach a running node at {path}: {source}")]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The node answered something unexpected.
    #[error("unexpected answer from {path}: {message}")]
    Protocol {
        /// The socket path.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

/// Binds the control socket (replacing a stale one) with mode 0600.
pub fn listen(path: &Path) -> Result<UnixListener, ControlError> {
    let error = |source| ControlError::Listen {
        path: path.to_path_buf(),
        source,
    };
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(error(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "another node is running on this socket",
        )));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(error(e)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    let listener = UnixListener::bind(path).map_err(error)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(error)?;
    Ok(listener)
}

/// Answers requests until the driver stops.
pub async fn serve(listener: UnixListener, driver: DriverHandle) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let driver = driver.clone();
        tokio::spawn(async move {
            if let Err(error) = answer(stream, driver).await {
                log::debug!("control socket: {error}");
            }
        });
    }
}

async fn answer(stream: UnixStream, driver: DriverHandle) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut request = String::new();
    BufReader::new(reader.take(256))
        .read_line(&mut request)
        .await?;
    let reply = match request.trim() {
        "status" => match driver.status().await {
            Some(snapshot) => serde_json::to_string(&StatusReport::from(snapshot))
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
            None => "{\"error\":\"the node is stopping\"}".to_string(),
        },
        other => serde_json::json!({ "error": format!("unknown request '{other}'") }).to_string(),
    };
    writer.write_all(reply.as_bytes()).await?;
    writer.write_all(b"\n").await?;
    writer.shutdown().await
}

/// Asks the node at `path` for its status.
pub async fn request_status(path: &Path) -> Result<StatusReport, ControlError> {
    let mut stream = UnixStream::connect(path)
        .await
        .map_err(|source| ControlError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
    let protocol = |message: String| ControlError::Protocol {
        path: path.to_path_buf(),
        message,
    };
    stream
        .write_all(b"status\n")
        .await
        .map_err(|e| protocol(e.to_string()))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .await
        .map_err(|e| protocol(e.to_string()))?;
    serde_json::from_str(&reply).map_err(|e| protocol(format!("{e}: {}", reply.trim())))
}

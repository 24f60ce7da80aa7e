//! The control socket: `lvs-director status` and `lvs-director reload` ask
//! a running director. A client connects to its Unix socket, writes one
//! request line (`status` or `reload`) and reads one JSON document back:
//! [`StatusReport`] (documented in the README) or [`ReloadReport`].
//!
//! (ha-node's control socket has the same shape; `listen` is the same
//! code and could move to a shared crate.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

/// `lvs-director status --json`: every virtual service and real server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The configuration file in force.
    pub config: String,
    /// The director's process id.
    pub pid: u32,
    /// Whether the file is reloaded when it changes.
    pub autoreload: bool,
    /// Why the kernel's table could not be read, if it could not.
    pub kernel_error: Option<String>,
    /// The virtual services, in file order.
    pub virtual_services: Vec<VirtualReport>,
}

/// One virtual service in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualReport {
    /// `TCP 192.0.2.10:80`, `UDP [2001:db8::1]:53`, `FWM 5`.
    pub service: String,
    /// Its scheduler.
    pub scheduler: String,
    /// Its check type, as ldirectord.cf writes it.
    pub checktype: String,
    /// Whether the kernel holds it.
    pub in_kernel: bool,
    /// Real servers counted as up.
    pub reals_up: usize,
    /// Whether no real server is up (the fallback server, if any, serves).
    pub fallback_active: bool,
    /// The fallback server, if one is configured.
    pub fallback: Option<FallbackReport>,
    /// The real servers, in file order.
    pub reals: Vec<RealReport>,
}

/// The fallback server of a [`VirtualReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackReport {
    /// `127.0.0.1:80`.
    pub server: String,
    /// Its weight in the kernel's table; null when not in it.
    pub kernel_weight: Option<u32>,
}

/// One real server in a [`VirtualReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealReport {
    /// Address and port as IPVS holds it: `10.0.0.1:80`.
    pub server: String,
    /// `gate`, `masq` or `ipip`.
    pub forwarding: String,
    /// Its configured weight.
    pub weight: u32,
    /// `up`, `down`, or `unknown` (not checked yet).
    pub health: String,
    /// Its weight in the kernel's table; null when not in it.
    pub kernel_weight: Option<u32>,
    /// `up` or `down`: the latest check's verdict; null before the first.
    pub last_result: Option<String>,
    /// What the latest check saw or why it failed.
    pub last_detail: Option<String>,
    /// How long the latest check took, in milliseconds.
    pub last_latency_ms: Option<f64>,
    /// How long ago the latest check finished, in milliseconds.
    pub last_check_ms_ago: Option<u64>,
    /// Consecutive failed checks.
    pub failures: u32,
    /// Checks run since the director started.
    pub checks: u64,
}

/// `lvs-director reload --json`: what a reload through the socket did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadReport {
    /// Whether the new configuration is in force.
    pub reloaded: bool,
    /// Its problems, each `FILE:LINE: message`, when it is not.
    pub errors: Vec<String>,
}

fn optional(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

impl StatusReport {
    /// The human-readable form of `lvs-director status`.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "lvs-director (pid {}) running {}{}\n",
            self.pid,
            self.config,
            if self.autoreload { " (autoreload)" } else { "" }
        );
        if let Some(error) = &self.kernel_error {
            text += &format!("kernel table unreadable: {error}\n");
        }
        for v in &self.virtual_services {
            text += &format!(
                "\n{} {} checktype={} {}{} of {} real servers up{}\n",
                v.service,
                v.scheduler,
                v.checktype,
                if v.in_kernel { "" } else { "(not in kernel) " },
                v.reals_up,
                v.reals.len(),
                if v.fallback_active { ", fallback" } else { "" }
            );
            for r in &v.reals {
                let kernel = r
                    .kernel_weight
                    .map_or_else(|| "absent".to_string(), |w| w.to_string());
                let latency = r.last_latency_ms.map(|ms| format!("{ms:.1} ms"));
                let ago = r.last_check_ms_ago.map(|ms| format!("{ms} ms ago"));
                text += &format!(
                    "  -> {:<24} {:<5} weight {:<5} kernel {:<6} {:<7} last {} {} {} failures {} checks {}\n",
                    r.server,
                    r.forwarding,
                    r.weight,
                    kernel,
                    r.health,
                    optional(r.last_result.clone()),
                    optional(latency),
                    optional(ago),
                    r.failures,
                    r.checks
                );
                if let Some(detail) = &r.last_detail {
                    text += &format!("     {detail}\n");
                }
            }
            if let Some(f) = &v.fallback {
                let kernel = f
                    .kernel_weight
                    .map_or_else(|| "absent".to_string(), |w| w.to_string());
                text += &format!("  fallback {} kernel {kernel}\n", f.server);
            }
        }
        text
    }
}

/// A request from a client, for the director's loop to answer with one
/// JSON document.
#[derive(Debug)]
pub enum ControlRequest {
    /// `status`.
    Status(oneshot::Sender<String>),
    /// `reload`.
    Reload(oneshot::Sender<String>),
}

/// Errors of the control socket.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The socket could not be created.
    #[error("cannot listen on {}: {source}", path.display())]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No director answers on the socket.
    #[error("no director answers on {}: {source}", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The director answered something unexpected.
    #[error("unexpected answer from {}: {message}", path.display())]
    Protocol {
        /// The socket path.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

impl ControlError {
    /// Whether no director runs there (no socket, or nobody listening).
    pub fn not_running(&self) -> bool {
        matches!(self, ControlError::Connect { source, .. }
            if matches!(source.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused))
    }
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
            "another director is running on this socket",
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

/// Answers clients until the loop behind `requests` is gone.
pub async fn serve(listener: UnixListener, requests: mpsc::Sender<ControlRequest>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let requests = requests.clone();
        tokio::spawn(async move {
            if let Err(error) = answer(stream, requests).await {
                log::debug!("control socket: {error}");
            }
        });
    }
}

async fn answer(stream: UnixStream, requests: mpsc::Sender<ControlRequest>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut request = String::new();
    BufReader::new(reader.take(256))
        .read_line(&mut request)
        .await?;
    let (reply, answer) = oneshot::channel();
    let known = match request.trim() {
        "status" => Some(ControlRequest::Status(reply)),
        "reload" => Some(ControlRequest::Reload(reply)),
        _ => None,
    };
    let stopping = || r#"{"error":"the director is stopping"}"#.to_string();
    let text = match known {
        Some(known) => match requests.send(known).await {
            Ok(()) => answer.await.unwrap_or_else(|_| stopping()),
            Err(_) => stopping(),
        },
        None => serde_json::json!({ "error": format!("unknown request '{}'", request.trim()) })
            .to_string(),
    };
    writer.write_all(text.as_bytes()).await?;
    writer.write_all(b"\n").await?;
    writer.shutdown().await
}

/// Sends `request` to the director at `path` and returns its JSON answer.
pub async fn request(path: &Path, request: &str) -> Result<serde_json::Value, ControlError> {
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
        .write_all(format!("{request}\n").as_bytes())
        .await
        .map_err(|e| protocol(e.to_string()))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .await
        .map_err(|e| protocol(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&reply).map_err(|e| protocol(format!("{e}: {}", reply.trim())))?;
    if let Some(error) = value.get("error").and_then(|e| e.as_str()) {
        return Err(protocol(error.to_string()));
    }
    Ok(value)
}

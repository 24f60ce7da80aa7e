//! The control socket: `lvs-director status` and `lvs-director reload` ask
//! a running director. A client connects to its Unix socket, writes one
//! request line (`status` or `reload`) and reads one JSON document back:
//! [`StatusReport`] (documented in the README) or [`ReloadReport`]. The
//! socket itself is ha-daemon's; the verbs and the reports are here.

use std::path::Path;

use ha_daemon::control::{self, error_reply, unknown_request, ControlError, Naming, Report};
use ha_daemon::runtime;
use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

/// How the director is spoken of in the socket's messages.
const NAMING: Naming = Naming {
    running: "another director is running on this socket",
    unreachable: "no director answers on",
};

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
    /// Checks that failed since the director started.
    #[serde(default)]
    pub failed_checks: u64,
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

impl Report for StatusReport {
    /// The human-readable form of `lvs-director status`.
    fn to_text(&self) -> String {
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
    /// A scrape of `/metrics` (from the metrics listener, not a socket
    /// verb): answered with the metrics text.
    Metrics(oneshot::Sender<String>),
}

/// Binds the control socket (replacing a stale one) with mode 0600.
pub fn listen(path: &Path) -> Result<UnixListener, ControlError> {
    control::listen(path, &NAMING)
}

/// Answers clients until the loop behind `requests` is gone.
pub async fn serve(listener: UnixListener, requests: mpsc::Sender<ControlRequest>) {
    control::serve(listener, move |request| answer(request, requests.clone())).await;
}

/// Hands a known request to the director's loop and returns its answer.
async fn answer(request: String, requests: mpsc::Sender<ControlRequest>) -> String {
    let (reply, answer) = oneshot::channel();
    let known = match request.as_str() {
        "status" => ControlRequest::Status(reply),
        "reload" => ControlRequest::Reload(reply),
        other => return unknown_request(other),
    };
    let stopping = || error_reply("the director is stopping");
    match requests.send(known).await {
        Ok(()) => answer.await.unwrap_or_else(|_| stopping()),
        Err(_) => stopping(),
    }
}

/// Sends `request` to the director at `socket` and returns its JSON
/// answer; an `error` answer is a [`ControlError::Protocol`].
pub fn ask(socket: &Path, request: &str) -> Result<serde_json::Value, ControlError> {
    let runtime = runtime::current_thread().map_err(|e| ControlError::Connect {
        path: socket.to_path_buf(),
        unreachable: NAMING.unreachable,
        source: e.0,
    })?;
    let reply = runtime.block_on(control::request(socket, request, &NAMING))?;
    let value: serde_json::Value = control::parse_reply(socket, &reply)?;
    if let Some(error) = value.get("error").and_then(|e| e.as_str()) {
        return Err(ControlError::Protocol {
            path: socket.to_path_buf(),
            message: error.to_string(),
        });
    }
    Ok(value)
}

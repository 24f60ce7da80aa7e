//! `ha-node vrrp run | check-config | status`: keepalived's VRRP from
//! keepalived.conf unchanged, on ha-vrrp's driver.
//!
//! - `check-config [-f FILE]`: every error as `FILE:LINE: message` on
//!   stderr and exit 1 (interfaces checked against this host's); what the
//!   driver does not carry out yet is refused by name; else `FILE:
//!   configuration OK, N instances` and 0.
//! - `run [-f FILE] [--pid-file FILE] [--socket PATH]`: the instances,
//!   until SIGTERM or SIGINT (then each master sends priority 0 and
//!   releases its addresses). SIGHUP is logged and ignored: reloading is
//!   not implemented.
//! - `status [--json] [--socket PATH]`: each instance's state, priority
//!   (effective and configured), master, advert and drop counters.
//!
//! The control socket and the runtime are ha-daemon's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use ha_conf::Source;
use ha_daemon::control::{self, error_reply, print_report, unknown_request, Naming, Report};
use ha_daemon::runtime;
use ha_vrrp::config::{check_keepalived_conf, FileIncludes, KeepalivedConf};
use ha_vrrp::driver::host::SystemHost;
use ha_vrrp::driver::status::Status;
use ha_vrrp::driver::{plan, sockets, Driver, Options};
use tokio::signal::unix::{signal, SignalKind};

/// keepalived's default configuration file.
pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
/// The control socket `ha-node vrrp status` asks by default.
pub const DEFAULT_SOCKET: &str = "/run/ha-node-vrrp.sock";

/// How the VRRP daemon is spoken of on its socket.
const NAMING: Naming = Naming {
    running: "another VRRP daemon is running on this socket",
    unreachable: "cannot reach a running VRRP daemon at",
};

/// `ha-node vrrp run` settings.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// keepalived.conf.
    pub config: PathBuf,
    /// Where our pid is written (removed at exit).
    pub pid_files: Vec<PathBuf>,
    /// The control socket.
    pub socket: PathBuf,
}

/// Status as the client prints it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct StatusReport(Status);

impl Report for StatusReport {
    fn to_text(&self) -> String {
        self.0.to_text()
    }
}

/// Reads and checks `path` as `check-config` and `run` do: parse errors
/// at FILE:LINE, unknown interfaces, and what the driver does not do.
fn load(path: &Path) -> Result<KeepalivedConf, Vec<String>> {
    let source = Source::read(path).map_err(|e| vec![e.to_string()])?;
    let exists = |name: &str| Path::new("/sys/class/net").join(name).exists();
    let conf = check_keepalived_conf(&source, &mut FileIncludes, &exists).map_err(|errors| {
        errors
            .errors()
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    })?;
    let refused = plan::refuse_unsupported(&source, &mut FileIncludes);
    if refused.is_empty() {
        Ok(conf)
    } else {
        Err(refused.iter().map(|e| e.to_string()).collect())
    }
}

/// `ha-node vrrp check-config`; `failure` is the exit code of a bad file.
pub fn check_config(path: &Path, failure: u8) -> ExitCode {
    match load(path) {
        Ok(conf) => {
            println!(
                "{}: configuration OK, {} VRRP instance{}",
                path.display(),
                conf.instances.len(),
                if conf.instances.len() == 1 { "" } else { "s" }
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            ExitCode::from(failure)
        }
    }
}

/// `ha-node vrrp run`.
pub fn run(options: RunOptions) -> ExitCode {
    match runtime::run_daemon(serve(options)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => runtime::fail("ha-node", error),
        Err(error) => runtime::fail("ha-node", error),
    }
}

async fn serve(options: RunOptions) -> Result<(), String> {
    let conf = load(&options.config).map_err(|e| e.join("\n"))?;
    let host = SystemHost::new()?;
    let mut interfaces = BTreeMap::new();
    for i in &conf.instances {
        if !interfaces.contains_key(&i.interface) {
            interfaces.insert(i.interface.clone(), host.interface(&i.interface).await?);
        }
    }
    let plan = plan::plan(&conf, &|name| interfaces.get(name).cloned().flatten())
        .map_err(|e| e.join("\n"))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (sinks, readers) =
        sockets::open(&plan.sockets, plan.v3_checksum_as_v2, tx).map_err(|e| e.to_string())?;
    let listener = control::listen(&options.socket, &NAMING).map_err(|e| e.to_string())?;
    for path in &options.pid_files {
        std::fs::write(path, format!("{}\n", std::process::id()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let count = plan.routers.len();
    let driver = Driver::new(plan, sinks, rx, Arc::new(host), Options::default());
    let status = driver.status_handle();
    let control_task = tokio::spawn(control::serve(listener, move |request| {
        let status = status.clone();
        async move { answer(&status, &request) }
    }));
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    log::info!(
        "VRRP: {} starting {count} instance{}",
        options.config.display(),
        if count == 1 { "" } else { "s" }
    );
    let shutdown = async move {
        loop {
            tokio::select! {
                _ = terminate.recv() => { log::info!("SIGTERM received"); return; }
                _ = interrupt.recv() => { log::info!("SIGINT received"); return; }
                _ = hangup.recv() => log::warn!(
                    "SIGHUP: reloading keepalived.conf is not implemented; the running configuration stays"
                ),
            }
        }
    };
    let last = driver.run(shutdown).await;
    control_task.abort();
    let _ = tokio::task::spawn_blocking(move || drop(readers)).await;
    for i in &last.instances {
        log::info!(
            "({}) stopped: adverts sent {} received {}, {} refused",
            i.name,
            i.adverts_sent,
            i.adverts_received,
            i.drops.total()
        );
    }
    let _ = std::fs::remove_file(&options.socket);
    for path in &options.pid_files {
        let _ = std::fs::remove_file(path);
    }
    log::logger().flush();
    Ok(())
}

fn answer(status: &Mutex<Status>, request: &str) -> String {
    match request {
        "status" => match status.lock() {
            Ok(s) => serde_json::to_string(&*s).unwrap_or_else(|e| error_reply(&e.to_string())),
            Err(_) => error_reply("status unavailable"),
        },
        other => unknown_request(other),
    }
}

/// `ha-node vrrp status`.
pub fn status(json: bool, socket: &Path) -> ExitCode {
    let asked = runtime::block_on(async {
        let reply = control::request(socket, "status", &NAMING).await?;
        control::parse_reply::<StatusReport>(socket, &reply)
    });
    match asked {
        Ok(Ok(report)) => {
            print_report(&report, json);
            ExitCode::SUCCESS
        }
        Ok(Err(error)) => runtime::fail("ha-node", error),
        Err(error) => runtime::fail("ha-node", error),
    }
}

//! ha.cf's `respawn`, `apiauth` and `watchdog` on this host: checked
//! against its user database and files, described for `check-config`, and
//! turned into the programs the node supervises.
//!
//! - A `respawn` program must be executable and its user must exist, as
//!   heartbeat requires (both are errors at the line). heartbeat's ipfail
//!   is the exception: it is not run, whatever the host has, because the
//!   node's built-in ipfail does its work ([`log_builtin_ipfail`]).
//! - `apiauth`: heartbeat's client API is not served, only ipfail is (built
//!   in). `apiauth ipfail ...` is accepted silently; any other client is a
//!   warning naming it, and so is a user or group in its lists that the
//!   host does not know.
//! - `watchdog`: a device missing on this host is a warning (heartbeat
//!   logs an error and runs without it, and so does the node).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use ha_conf::{ConfigError, ConfigWarning, Location};
use ha_daemon::respawn::{Program, MAX_SHORT_RUNS, NO_RESPAWN_CODE, SHORT_RUN};
use ha_daemon::watchdog::device_timeout;
use ha_membership::config::hacf::{ApiAuth, Respawn};
use ha_membership::config::HaConfig;
use ha_process::{Command, User};

/// The grace a respawned program has between SIGTERM and SIGKILL when the
/// node stops.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The errors and warnings about this host's side of the clients.
pub fn check(ha: &HaConfig, ha_cf: &Path) -> (Vec<ConfigError>, Vec<ConfigWarning>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for respawn in ha.respawns.iter().filter(|r| !r.is_ipfail()) {
        if let Err(message) = user_ids(&respawn.user) {
            errors.push(error_at(respawn, message));
        }
        if let Err(message) = executable(&respawn.program) {
            errors.push(error_at(respawn, message));
        }
    }
    for auth in ha.apiauth.iter().filter(|a| !a.is_ipfail()) {
        warnings.push(warning_at(
            auth,
            format!(
                "apiauth {client}: heartbeat's client API is not served, so the client \
                 '{client}' cannot connect (only ipfail is served, built in)",
                client = auth.client
            ),
        ));
        for message in unknown_ids(auth) {
            warnings.push(warning_at(auth, message));
        }
    }
    if let Some(device) = &ha.watchdog {
        if !device.exists() {
            warnings.push(ConfigWarning {
                location: Location {
                    path: Arc::from(ha_cf),
                    line: 0,
                },
                message: format!(
                    "watchdog: {} does not exist on this host; the node will run without a \
                     watchdog",
                    device.display()
                ),
            });
        }
    }
    (errors, warnings)
}

/// One line per respawn program and the watchdog, saying how it will run,
/// for `check-config`.
pub fn describe(ha: &HaConfig, ha_cf: &Path) -> Vec<String> {
    let mut lines: Vec<String> = ha
        .respawns
        .iter()
        .map(|respawn| {
            let how = if respawn.is_ipfail() {
                "not run: ha-node's built-in ipfail does its work".to_string()
            } else {
                let ids = user_ids(&respawn.user)
                    .map(|(uid, gid)| format!(" (uid {uid}, gid {gid})"))
                    .unwrap_or_default();
                format!(
                    "runs `{}` as {}{ids} with the node, in its own process group, its \
                     output logged as '{}'; restarted when it exits, except with code \
                     {NO_RESPAWN_CODE}, 1 s after a run shorter than {} s and not after {} \
                     such runs in a row; stopped with the node (SIGTERM, SIGKILL after {} s)",
                    respawn.command_line(),
                    respawn.user,
                    respawn.name(),
                    SHORT_RUN.as_secs(),
                    MAX_SHORT_RUNS + 1,
                    STOP_GRACE.as_secs()
                )
            };
            format!("{}: respawn {}: {how}", respawn.location, respawn.name())
        })
        .collect();
    if let Some(device) = &ha.watchdog {
        lines.push(format!(
            "{}: watchdog {}: written every keepalive ({} ms) by the membership loop, \
             timeout {} s, closed with 'V' when the node stops",
            ha_cf.display(),
            device.display(),
            ha.keepalive.as_millis(),
            device_timeout(ha.deadtime)
        ));
    }
    lines
}

/// The programs the node supervises: every respawn but heartbeat's ipfail.
pub fn programs(ha: &HaConfig) -> Vec<Program> {
    ha.respawns
        .iter()
        .filter(|r| !r.is_ipfail())
        .map(|respawn| {
            let name = respawn.name();
            let mut command = Command::new(&respawn.program);
            command
                .args(&respawn.args)
                .user(User::Name(respawn.user.clone()))
                .grace(STOP_GRACE)
                .tag(name.clone())
                .keep_lines(0);
            Program { name, command }
        })
        .collect()
}

/// Says in the log that heartbeat's ipfail, respawned in ha.cf, is not run:
/// the same line sets ha.cf's ipfail flag ([`HaConfig::ipfail`]), which
/// turns the node's built-in ipfail on instead.
pub fn log_builtin_ipfail(ha: &HaConfig) {
    if let Some(respawn) = ha.respawns.iter().find(|r| r.is_ipfail()) {
        log::info!(
            "{}: respawn {}: not run; ha-node's built-in ipfail handles it",
            respawn.location,
            respawn.program.display()
        );
    }
}

/// A user's uid and primary gid, or why not.
fn user_ids(user: &str) -> Result<(u32, u32), String> {
    match nix::unistd::User::from_name(user) {
        Ok(Some(found)) => Ok((found.uid.as_raw(), found.gid.as_raw())),
        Ok(None) => Err(format!(
            "respawn: user '{user}' does not exist on this host"
        )),
        Err(e) => Err(format!("respawn: cannot look user '{user}' up: {e}")),
    }
}

/// Whether `program` is a file someone may execute.
fn executable(program: &Path) -> Result<(), String> {
    match std::fs::metadata(program) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => Ok(()),
        Ok(_) => Err(format!(
            "respawn: {} is not an executable file",
            program.display()
        )),
        Err(e) => Err(format!("respawn: {}: {e}", program.display())),
    }
}

/// The users and groups of an apiauth line this host does not know.
fn unknown_ids(auth: &ApiAuth) -> Vec<String> {
    let numeric = |name: &str| name.bytes().all(|b| b.is_ascii_digit());
    let users = auth
        .uids
        .iter()
        .filter(|name| !numeric(name))
        .filter(|name| !matches!(nix::unistd::User::from_name(name), Ok(Some(_))))
        .map(|name| format!("apiauth {}: user '{name}' does not exist", auth.client));
    let groups = auth
        .gids
        .iter()
        .filter(|name| !numeric(name))
        .filter(|name| !matches!(nix::unistd::Group::from_name(name), Ok(Some(_))))
        .map(|name| format!("apiauth {}: group '{name}' does not exist", auth.client));
    users.chain(groups).collect()
}

fn error_at(respawn: &Respawn, message: String) -> ConfigError {
    ConfigError {
        location: respawn.location.clone(),
        message,
    }
}

fn warning_at(auth: &ApiAuth, message: String) -> ConfigWarning {
    ConfigWarning {
        location: auth.location.clone(),
        message,
    }
}

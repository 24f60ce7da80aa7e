//! heartbeat's `LVSSyncDaemonSwap::master|backup`, served by the system's
//! `ipvsadm` when no `LVSSyncDaemonSwap` script is installed.
//!
//! heartbeat 1 and 2 shipped `resource.d/LVSSyncDaemonSwap` for a pair of
//! LVS directors: the node holding the group runs the IPVS connection
//! synchronisation daemon in the named state, the other node the opposite
//! one, so the standby director keeps receiving the active one's
//! connection table. heartbeat 3.0.6 as Debian packages it no longer
//! installs the script, and resource-agents has no OCF agent for it, so a
//! haresources line such as `lb1 ldirectord LVSSyncDaemonSwap::master
//! IPaddr2::…` would otherwise stop working. The actions, for `STATE` and
//! its opposite `OTHER`:
//!
//! - start: `ipvsadm --stop-daemon OTHER` if it runs, then
//!   `ipvsadm --start-daemon STATE` unless it already runs;
//! - stop: `ipvsadm --stop-daemon STATE` if it runs, then
//!   `ipvsadm --start-daemon OTHER` unless it already runs;
//! - monitor: running when `ipvsadm -L --daemon` lists the `STATE` sync
//!   daemon, stopped otherwise.
//!
//! The daemons start with ipvsadm's defaults (multicast on `eth0`, sync
//! id 0), as the script started them. Whether each daemon runs is read
//! from `ipvsadm -L --daemon` before every change, so each action is
//! idempotent: a start on a node already master changes nothing.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use ha_process::{Command, Exit, Output};

use super::script::check_executable;
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};
use crate::group::ActionTimeouts;

/// Where Debian's ipvsadm package installs the program.
pub const DEFAULT_IPVSADM: &str = "/usr/sbin/ipvsadm";

/// The state of an IPVS sync daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Sends this node's connections.
    Master,
    /// Receives the other director's connections.
    Backup,
}

impl SyncState {
    /// `master` or `backup`, as ipvsadm and haresources write it.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Master => "master",
            SyncState::Backup => "backup",
        }
    }

    /// The state `word` names.
    pub fn parse(word: &str) -> Option<SyncState> {
        match word {
            "master" => Some(SyncState::Master),
            "backup" => Some(SyncState::Backup),
            _ => None,
        }
    }

    /// The other state.
    pub fn other(self) -> SyncState {
        match self {
            SyncState::Master => SyncState::Backup,
            SyncState::Backup => SyncState::Master,
        }
    }
}

/// `LVSSyncDaemonSwap::STATE` served by `ipvsadm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsSyncSpec {
    /// The ipvsadm program.
    pub ipvsadm: PathBuf,
    /// The state the daemon is in while the resource is started.
    pub state: SyncState,
}

impl IpvsSyncSpec {
    /// One line on how it runs.
    pub fn describe(&self) -> String {
        let (state, other) = (self.state.as_str(), self.state.other().as_str());
        format!(
            "IPVS sync daemon swap served by {}: start runs the {state} sync daemon \
             (stopping the {other} one), stop runs the {other} one",
            self.ipvsadm.display()
        )
    }
}

/// Which sync daemons run, as `ipvsadm -L --daemon` lists them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Daemons {
    /// A master sync daemon runs.
    pub master: bool,
    /// A backup sync daemon runs.
    pub backup: bool,
}

impl Daemons {
    /// Reads ipvsadm's listing: a line `master sync daemon (mcast=…)` or
    /// `backup sync daemon (…)` for each daemon that runs.
    pub fn parse(listing: &str) -> Daemons {
        let runs = |state: &str| {
            listing
                .lines()
                .any(|line| line.starts_with(&format!("{state} sync daemon")))
        };
        Daemons {
            master: runs("master"),
            backup: runs("backup"),
        }
    }

    /// Whether the daemon in `state` runs.
    pub fn runs(self, state: SyncState) -> bool {
        match state {
            SyncState::Master => self.master,
            SyncState::Backup => self.backup,
        }
    }
}

/// The agent of one `LVSSyncDaemonSwap` resource.
pub struct IpvsSyncAgent {
    resource: String,
    spec: IpvsSyncSpec,
    timeouts: ActionTimeouts,
}

impl IpvsSyncAgent {
    /// The agent of `spec` for the resource written `resource`, each
    /// action limited by `timeouts`.
    pub fn new(resource: &str, spec: &IpvsSyncSpec, timeouts: ActionTimeouts) -> Self {
        IpvsSyncAgent {
            resource: resource.to_string(),
            spec: spec.clone(),
            timeouts,
        }
    }

    fn failed(&self, message: String) -> AgentError {
        AgentError::new(self.resource.clone(), AgentErrorKind::Failed(message))
    }

    /// Runs `ipvsadm ARGS` to its end within `limit`: its stdout, or why
    /// it failed (with its last line of output).
    async fn ipvsadm(&self, args: &[&str], limit: Duration) -> Result<String, AgentError> {
        let line = format!("{} {}", self.spec.ipvsadm.display(), args.join(" "));
        let outcome = Command::new(&self.spec.ipvsadm)
            .args(args)
            .timeout(limit)
            .tag(format!("{} ipvsadm {}", self.resource, args.join(" ")))
            .stdout(Output::Capture)
            .run()
            .await
            .map_err(|e| self.failed(format!("{line}: {e}")))?;
        if outcome.timed_out {
            return Err(self.failed(format!("{line} timed out after {limit:?}")));
        }
        match outcome.exit {
            Exit::Code(0) => Ok(String::from_utf8_lossy(&outcome.stdout).into_owned()),
            exit => {
                let said = outcome
                    .tail
                    .last()
                    .map(|l| format!(": {}", l.text))
                    .unwrap_or_default();
                Err(self.failed(format!("{line} failed ({exit}){said}")))
            }
        }
    }

    async fn daemons(&self, limit: Duration) -> Result<Daemons, AgentError> {
        let listing = self.ipvsadm(&["-L", "--daemon"], limit).await?;
        Ok(Daemons::parse(&listing))
    }

    /// Stops the `off` daemon if it runs, then starts the `on` one unless
    /// it runs.
    async fn swap(&self, on: SyncState, off: SyncState, limit: Duration) -> Result<(), AgentError> {
        let running = self.daemons(limit).await?;
        if running.runs(off) {
            self.ipvsadm(&["--stop-daemon", off.as_str()], limit)
                .await?;
        }
        if !running.runs(on) {
            self.ipvsadm(&["--start-daemon", on.as_str()], limit)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Agent for IpvsSyncAgent {
    fn describe(&self) -> String {
        self.resource.clone()
    }

    async fn start(&self) -> Result<(), AgentError> {
        let state = self.spec.state;
        self.swap(state, state.other(), self.timeouts.start).await
    }

    async fn stop(&self) -> Result<(), AgentError> {
        let state = self.spec.state;
        self.swap(state.other(), state, self.timeouts.stop).await
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        let running = self.daemons(self.timeouts.monitor).await?;
        Ok(if running.runs(self.spec.state) {
            Health::Running
        } else {
            Health::Stopped
        })
    }

    async fn validate(&self) -> Result<(), AgentError> {
        check_executable(&self.spec.ipvsadm).map_err(|message| {
            AgentError::new(self.resource.clone(), AgentErrorKind::NotAvailable(message))
        })
    }

    fn meta_data(&self) -> String {
        super::script::plain_meta_data(&self.resource, "IPVS sync daemon swap", &self.spec.ipvsadm)
    }
}

#[cfg(test)]
mod tests;

//! The [`Agent`] trait every resource class implements, and its errors.
//!
//! The actions follow OCF: `start` and `stop` are idempotent (starting a
//! running resource or stopping a stopped one succeeds), `monitor` says
//! whether the resource runs here, `validate` checks the arguments without
//! touching the system, and `meta_data` describes the agent.
//!
//! Actions are futures the group runner may abandon on a timeout by dropping
//! them, so nothing an action starts may outlive it: an agent runs programs
//! through [`ha_process`] and nothing else. The future of
//! [`ha_process::Command::run`] and the [`ha_process::Process`] handle are
//! the guard: dropped before the program ended, they end its whole process
//! group (SIGTERM, the grace, SIGKILL).

use std::fmt;

use async_trait::async_trait;

/// What `monitor` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The resource runs here.
    Running,
    /// The resource does not run here (cleanly stopped).
    Stopped,
    /// The resource is in a state that is neither (e.g. on the wrong interface).
    Failed(String),
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Running => f.write_str("running"),
            Health::Stopped => f.write_str("stopped"),
            Health::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

/// One action of an agent, for messages and per-action timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `start`
    Start,
    /// `stop`
    Stop,
    /// `monitor`
    Monitor,
    /// A probe: `monitor` (OCF interval 0, LSB `status`) asked before the
    /// node acquires or refuses a group, to find what already runs.
    Probe,
    /// `validate-all`
    Validate,
    /// Announcing the resource again (gratuitous ARP).
    Announce,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::Probe => "probe",
            Action::Validate => "validate",
            Action::Announce => "announce",
        })
    }
}

/// A resource agent: one resource of a group, able to start, stop and check it.
#[async_trait]
pub trait Agent: Send + Sync {
    /// The resource as the operator wrote it, e.g. `IPaddr::10.0.0.5/24/eth0`.
    fn describe(&self) -> String;
    /// Brings the resource up; succeeds if it already runs.
    async fn start(&self) -> Result<(), AgentError>;
    /// Takes the resource down; succeeds if it is already stopped.
    async fn stop(&self) -> Result<(), AgentError>;
    /// Reports whether the resource runs here.
    async fn monitor(&self) -> Result<Health, AgentError>;
    /// Checks the arguments (and what can be checked without changing anything).
    async fn validate(&self) -> Result<(), AgentError>;
    /// Tells the network again that the resource is here (gratuitous ARP
    /// for an address), after a doubt about who holds it; nothing for a
    /// resource the network does not locate.
    async fn announce(&self) -> Result<(), AgentError> {
        Ok(())
    }
    /// The agent's OCF-style meta-data XML.
    fn meta_data(&self) -> String;
    /// The last output lines of its last program run, oldest first (none
    /// for an agent that runs no program).
    fn last_output(&self) -> Vec<String> {
        Vec::new()
    }
}

/// An action of an agent failed.
#[derive(Debug, thiserror::Error)]
#[error("{resource}: {kind}")]
pub struct AgentError {
    /// The resource, as [`Agent::describe`] names it.
    pub resource: String,
    /// What went wrong.
    pub kind: AgentErrorKind,
}

impl AgentError {
    /// An error of `resource`.
    pub fn new(resource: impl Into<String>, kind: AgentErrorKind) -> Self {
        AgentError {
            resource: resource.into(),
            kind,
        }
    }
}

/// Why an agent action failed, in OCF's broad classes.
#[derive(Debug, thiserror::Error)]
pub enum AgentErrorKind {
    /// The arguments are wrong; no node can run the resource as configured.
    #[error("invalid configuration: {0}")]
    Configuration(String),
    /// This node lacks something the resource needs (e.g. the interface).
    #[error("not available on this node: {0}")]
    NotAvailable(String),
    /// A netlink request failed.
    #[error("netlink {operation} failed: {message}")]
    Netlink {
        /// What was asked, e.g. `add 10.0.0.5/24 to eth0`.
        operation: String,
        /// The kernel's or the library's answer.
        message: String,
    },
    /// A system call failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Any other failure.
    #[error("{0}")]
    Failed(String),
}

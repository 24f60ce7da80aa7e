//! The OCF class: an agent `OCF_ROOT/resource.d/PROVIDER/TYPE` (e.g. one of
//! resource-agents', run unchanged), written in haresources as
//! `ocf:PROVIDER:TYPE::name=value::name=value`.
//!
//! Every action runs `AGENT ACTION` with the OCF environment: `OCF_ROOT`,
//! `OCF_RA_VERSION_MAJOR`/`MINOR`, `OCF_RESOURCE_INSTANCE` (the resource's
//! text with every character outside `[A-Za-z0-9_.-]` made `_`, so agents
//! can name files after it), `OCF_RESOURCE_TYPE`, `OCF_RESOURCE_PROVIDER`,
//! `OCF_RESKEY_<name>=<value>` for each parameter, and
//! `OCF_RESKEY_CRM_meta_timeout` (the action's limit in milliseconds).
//!
//! Exit codes are the OCF spec's ([`OcfExit`]): start, stop and
//! validate-all succeed on 0 (a stop also on 7, not running); monitor says
//! running on 0, stopped on 7, and a failed resource on the others the
//! spec defines, named by their meaning; a code outside the spec fails the
//! action.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use ha_process::Output;

use super::script::Script;
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};
use crate::group::ActionTimeouts;

/// A resolved OCF agent and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcfResource {
    /// `OCF_ROOT`.
    pub ocf_root: PathBuf,
    /// The provider, e.g. `heartbeat`.
    pub provider: String,
    /// The agent type, e.g. `Dummy`.
    pub agent_type: String,
    /// The parameters, in the order written.
    pub params: Vec<(String, String)>,
}

impl OcfResource {
    /// `OCF_ROOT/resource.d/PROVIDER/TYPE`.
    pub fn path(&self) -> PathBuf {
        self.ocf_root
            .join("resource.d")
            .join(&self.provider)
            .join(&self.agent_type)
    }

    /// One line on how it runs, e.g.
    /// `OCF agent /usr/lib/ocf/resource.d/heartbeat/Dummy (state=/tmp/d)`.
    pub fn describe(&self) -> String {
        let mut text = format!("OCF agent {}", self.path().display());
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            text.push_str(&format!(" ({})", params.join(", ")));
        }
        text
    }
}

/// The instance name of the resource written `text`: its characters
/// outside `[A-Za-z0-9_.-]` made `_`.
pub fn instance_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An OCF exit code, as the spec names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcfExit {
    /// 0 `OCF_SUCCESS`.
    Success,
    /// 1 `OCF_ERR_GENERIC`.
    GenericError,
    /// 2 `OCF_ERR_ARGS`.
    InvalidArguments,
    /// 3 `OCF_ERR_UNIMPLEMENTED`.
    Unimplemented,
    /// 4 `OCF_ERR_PERM`.
    InsufficientPermission,
    /// 5 `OCF_ERR_INSTALLED`.
    NotInstalled,
    /// 6 `OCF_ERR_CONFIGURED`.
    NotConfigured,
    /// 7 `OCF_NOT_RUNNING`.
    NotRunning,
    /// 8 `OCF_RUNNING_MASTER`.
    RunningMaster,
    /// Any other code: outside the spec.
    Undefined(i32),
}

impl OcfExit {
    /// The meaning of an exit code.
    pub fn from_code(code: i32) -> OcfExit {
        match code {
            0 => OcfExit::Success,
            1 => OcfExit::GenericError,
            2 => OcfExit::InvalidArguments,
            3 => OcfExit::Unimplemented,
            4 => OcfExit::InsufficientPermission,
            5 => OcfExit::NotInstalled,
            6 => OcfExit::NotConfigured,
            7 => OcfExit::NotRunning,
            8 => OcfExit::RunningMaster,
            other => OcfExit::Undefined(other),
        }
    }

    /// What the spec says it means.
    pub fn meaning(self) -> String {
        match self {
            OcfExit::Success => "success".into(),
            OcfExit::GenericError => "generic error".into(),
            OcfExit::InvalidArguments => "invalid arguments".into(),
            OcfExit::Unimplemented => "unimplemented action".into(),
            OcfExit::InsufficientPermission => "insufficient permission".into(),
            OcfExit::NotInstalled => "not installed".into(),
            OcfExit::NotConfigured => "not configured".into(),
            OcfExit::NotRunning => "not running".into(),
            OcfExit::RunningMaster => "running as master".into(),
            OcfExit::Undefined(code) => format!("exit code {code} is not an OCF exit code"),
        }
    }

    /// The agent error kind for a failure with this code.
    fn error_kind(self, message: String) -> AgentErrorKind {
        match self {
            OcfExit::InvalidArguments | OcfExit::NotConfigured => {
                AgentErrorKind::Configuration(message)
            }
            OcfExit::NotInstalled | OcfExit::InsufficientPermission => {
                AgentErrorKind::NotAvailable(message)
            }
            _ => AgentErrorKind::Failed(message),
        }
    }
}

/// How long meta-data may take.
const META_DATA_TIMEOUT: Duration = Duration::from_secs(5);

/// The agent of one OCF resource.
pub struct OcfAgent {
    script: Script,
    timeouts: ActionTimeouts,
}

impl OcfAgent {
    /// The agent of `resource_spec` for the resource written `resource`,
    /// each action limited by `timeouts`.
    pub fn new(resource: &str, resource_spec: &OcfResource, timeouts: ActionTimeouts) -> Self {
        let mut env = vec![
            (
                "OCF_ROOT".to_string(),
                resource_spec.ocf_root.display().to_string(),
            ),
            ("OCF_RA_VERSION_MAJOR".to_string(), "1".to_string()),
            ("OCF_RA_VERSION_MINOR".to_string(), "0".to_string()),
            ("OCF_RESOURCE_INSTANCE".to_string(), instance_name(resource)),
            (
                "OCF_RESOURCE_TYPE".to_string(),
                resource_spec.agent_type.clone(),
            ),
            (
                "OCF_RESOURCE_PROVIDER".to_string(),
                resource_spec.provider.clone(),
            ),
        ];
        env.extend(
            resource_spec
                .params
                .iter()
                .map(|(name, value)| (format!("OCF_RESKEY_{name}"), value.clone())),
        );
        OcfAgent {
            script: Script {
                resource: resource.to_string(),
                program: resource_spec.path(),
                args: Vec::new(),
                env,
                tail: std::sync::Arc::default(),
            },
            timeouts,
        }
    }

    /// The command of `action` with the resource's OCF environment, limited
    /// to `limit` (for check-config, which runs actions outside a group).
    pub(crate) fn command(&self, action: &str, limit: Duration) -> ha_process::Command {
        self.script.command(action, limit, &[])
    }

    /// Runs `action` and reads its exit code.
    async fn run(&self, action: &str, limit: Duration) -> Result<(OcfExit, String), AgentError> {
        let timeout = [(
            "OCF_RESKEY_CRM_meta_timeout".to_string(),
            limit.as_millis().to_string(),
        )];
        let finished = self.script.run(action, limit, &timeout).await?;
        Ok((OcfExit::from_code(finished.code), finished.last_output()))
    }

    /// Runs an action that succeeds on 0 (and on any code in `also`).
    async fn expect_success(
        &self,
        action: &str,
        limit: Duration,
        also: &[OcfExit],
    ) -> Result<(), AgentError> {
        let (exit, last_output) = self.run(action, limit).await?;
        if exit == OcfExit::Success || also.contains(&exit) {
            return Ok(());
        }
        let message = format!("{action} failed: {}{last_output}", exit.meaning());
        Err(self.script.error(exit.error_kind(message)))
    }
}

#[async_trait]
impl Agent for OcfAgent {
    fn describe(&self) -> String {
        self.script.resource.clone()
    }

    async fn start(&self) -> Result<(), AgentError> {
        self.expect_success("start", self.timeouts.start, &[]).await
    }

    async fn stop(&self) -> Result<(), AgentError> {
        self.expect_success("stop", self.timeouts.stop, &[OcfExit::NotRunning])
            .await
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        let (exit, last_output) = self.run("monitor", self.timeouts.monitor).await?;
        match exit {
            OcfExit::Success => Ok(Health::Running),
            OcfExit::NotRunning => Ok(Health::Stopped),
            OcfExit::Undefined(_) => Err(self
                .script
                .failed(format!("monitor failed: {}{last_output}", exit.meaning()))),
            _ => Ok(Health::Failed(format!("{}{last_output}", exit.meaning()))),
        }
    }

    async fn validate(&self) -> Result<(), AgentError> {
        self.expect_success("validate-all", self.timeouts.validate, &[])
            .await
    }

    fn last_output(&self) -> Vec<String> {
        self.script.last_lines()
    }

    fn meta_data(&self) -> String {
        let mut command = self.script.command("meta-data", META_DATA_TIMEOUT, &[]);
        command.stdout(Output::Capture).log_level(log::Level::Debug);
        match command.run_blocking() {
            Ok(outcome) if outcome.success() => {
                String::from_utf8_lossy(&outcome.stdout).into_owned()
            }
            Ok(outcome) => {
                log::warn!("{}: meta-data: {outcome}", self.script.resource);
                String::new()
            }
            Err(error) => {
                log::warn!("{}: meta-data: {error}", self.script.resource);
                String::new()
            }
        }
    }
}

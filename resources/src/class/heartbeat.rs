//! heartbeat's resource.d class: a script in `CONFIG_DIR/resource.d`
//! called `SCRIPT ARGS... start|stop|status`, as ResourceManager does.
//!
//! - start, stop: exit 0 is success, anything else a failure.
//! - a stop that fails while status says the resource is not running
//!   succeeds, with a warning: ResourceManager's own allowance for scripts
//!   that are not LSB-compliant ("it MUST succeed on a stop when already
//!   stopped").
//! - status: the output decides, the exit code does not — heartbeat's
//!   `we_own_resource` rule: "not … running" is stopped, "running" or "OK"
//!   is running, anything else is stopped.
//! - validate: the script is still there and executable.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use super::script::{check_executable, plain_meta_data, status_text, Script, StatusText};
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};
use crate::group::ActionTimeouts;

/// A resolved heartbeat resource script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatScript {
    /// `CONFIG_DIR/resource.d/NAME`.
    pub path: PathBuf,
    /// The `::` arguments, passed before the action.
    pub args: Vec<String>,
}

impl HeartbeatScript {
    /// One line on how it runs.
    pub fn describe(&self) -> String {
        let mut text = format!("heartbeat resource script {}", self.path.display());
        if !self.args.is_empty() {
            text.push_str(" with arguments ");
            text.push_str(&self.args.join(" "));
        }
        text
    }
}

/// The agent of one heartbeat resource script.
pub struct HeartbeatAgent {
    script: Script,
    timeouts: ActionTimeouts,
}

impl HeartbeatAgent {
    /// The agent of `script` for the resource written `resource`, each
    /// action limited by `timeouts`.
    pub fn new(resource: &str, script: &HeartbeatScript, timeouts: ActionTimeouts) -> Self {
        HeartbeatAgent {
            script: Script {
                resource: resource.to_string(),
                program: script.path.clone(),
                args: script.args.clone(),
                env: Vec::new(),
            },
            timeouts,
        }
    }

    async fn status(&self) -> Result<Health, AgentError> {
        let finished = self
            .script
            .run("status", self.timeouts.monitor, &[])
            .await?;
        Ok(match status_text(&finished.stdout) {
            StatusText::Running => Health::Running,
            StatusText::NotRunning | StatusText::Other => Health::Stopped,
        })
    }

    async fn start_or_stop(&self, action: &str, limit: Duration) -> Result<(), AgentError> {
        let finished = self.script.run(action, limit, &[]).await?;
        if finished.code == 0 {
            Ok(())
        } else {
            Err(self.script.failed(format!(
                "{action} failed: exit code {}{}",
                finished.code,
                finished.last_output()
            )))
        }
    }
}

#[async_trait]
impl Agent for HeartbeatAgent {
    fn describe(&self) -> String {
        self.script.resource.clone()
    }

    async fn start(&self) -> Result<(), AgentError> {
        self.start_or_stop("start", self.timeouts.start).await
    }

    async fn stop(&self) -> Result<(), AgentError> {
        match self.start_or_stop("stop", self.timeouts.stop).await {
            Ok(()) => Ok(()),
            Err(error) => match self.status().await {
                Ok(Health::Stopped) => {
                    log::warn!(
                        "{error}, but its status says it is not running; taken as stopped \
                         (the script should succeed on a stop when already stopped)"
                    );
                    Ok(())
                }
                _ => Err(error),
            },
        }
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        self.status().await
    }

    async fn validate(&self) -> Result<(), AgentError> {
        check_executable(&self.script.program)
            .map_err(|message| self.script.error(AgentErrorKind::NotAvailable(message)))
    }

    fn meta_data(&self) -> String {
        plain_meta_data(
            &self.script.resource,
            "heartbeat resource script",
            &self.script.program,
        )
    }
}

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

use std::time::Duration;

use async_trait::async_trait;

use super::script::{
    check_executable, plain_meta_data, status_text, stop_unless_stopped, Script, ScriptSpec,
    StatusText,
};
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};
use crate::group::ActionTimeouts;

/// A resolved heartbeat resource script (`CONFIG_DIR/resource.d/NAME`).
pub type HeartbeatScript = ScriptSpec;

/// How check-config names the class.
pub const CLASS: &str = "heartbeat resource script";

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
            script: Script::of(resource, script),
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
        let stopped = self.start_or_stop("stop", self.timeouts.stop).await;
        stop_unless_stopped(
            stopped,
            self.status(),
            "the script should succeed on a stop when already stopped",
        )
        .await
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        self.status().await
    }

    async fn validate(&self) -> Result<(), AgentError> {
        check_executable(&self.script.program)
            .map_err(|message| self.script.error(AgentErrorKind::NotAvailable(message)))
    }

    fn last_output(&self) -> Vec<String> {
        self.script.last_lines()
    }

    fn meta_data(&self) -> String {
        plain_meta_data(
            &self.script.resource,
            "heartbeat resource script",
            &self.script.program,
        )
    }
}

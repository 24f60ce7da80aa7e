//! The LSB class: an init script in `INIT_DIR`, called
//! `SCRIPT ARGS... start|stop|status` (heartbeat passes a resource's `::`
//! arguments before the action, to init scripts too).
//!
//! - start, stop: exit 0 is success — LSB asks a start of a running service
//!   and a stop of a stopped one to exit 0 as well — and any other code a
//!   failure named by its LSB meaning. A stop that fails while status says
//!   stopped succeeds with a warning, as heartbeat allows.
//! - status, by LSB's codes: 0 running, 3 stopped, 1 dead with a pid file
//!   left, 2 dead with a lock file left, 4 unknown (those three are a
//!   failed resource); any other code fails the action. Scripts whose
//!   status exits 0 whatever the state are read as heartbeat reads them:
//!   exit 0 with output saying "not … running" or "stopped" is stopped.
//! - validate: the script is still there and executable.

use std::time::Duration;

use async_trait::async_trait;

use super::script::{
    check_executable, plain_meta_data, status_text, stop_unless_stopped, Script, ScriptSpec,
    StatusText,
};
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};
use crate::group::ActionTimeouts;

/// A resolved LSB init script (`INIT_DIR/NAME`).
pub type InitScript = ScriptSpec;

/// How check-config names the class.
pub const CLASS: &str = "LSB init script";

/// What an LSB `status` exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LsbStatus {
    /// 0: running (or, with output saying so, stopped: see the module doc).
    Running,
    /// 1: dead, and its pid file still exists.
    DeadPidFile,
    /// 2: dead, and its lock file still exists.
    DeadLockFile,
    /// 3: not running.
    Stopped,
    /// 4: the status is unknown.
    Unknown,
    /// Any other code: not one LSB defines for status.
    Undefined(i32),
}

impl LsbStatus {
    /// The meaning of a status exit code.
    pub fn from_code(code: i32) -> LsbStatus {
        match code {
            0 => LsbStatus::Running,
            1 => LsbStatus::DeadPidFile,
            2 => LsbStatus::DeadLockFile,
            3 => LsbStatus::Stopped,
            4 => LsbStatus::Unknown,
            other => LsbStatus::Undefined(other),
        }
    }
}

/// What LSB says an exit code of an action other than status means.
pub fn action_exit_meaning(code: i32) -> &'static str {
    match code {
        0 => "success",
        1 => "generic or unspecified error",
        2 => "invalid or excess arguments",
        3 => "unimplemented feature",
        4 => "user had insufficient privilege",
        5 => "program is not installed",
        6 => "program is not configured",
        7 => "program is not running",
        8..=99 => "reserved for future LSB use",
        100..=149 => "reserved for distribution use",
        150..=199 => "reserved for application use",
        _ => "not an LSB exit code",
    }
}

/// The agent of one LSB init script.
pub struct LsbAgent {
    script: Script,
    timeouts: ActionTimeouts,
}

impl LsbAgent {
    /// The agent of `script` for the resource written `resource`, each
    /// action limited by `timeouts`.
    pub fn new(resource: &str, script: &InitScript, timeouts: ActionTimeouts) -> Self {
        LsbAgent {
            script: Script::of(resource, script),
            timeouts,
        }
    }

    async fn start_or_stop(&self, action: &str, limit: Duration) -> Result<(), AgentError> {
        let finished = self.script.run(action, limit, &[]).await?;
        if finished.code == 0 {
            return Ok(());
        }
        let kind_message = format!(
            "{action} failed: exit code {} ({}){}",
            finished.code,
            action_exit_meaning(finished.code),
            finished.last_output()
        );
        Err(self.script.error(match finished.code {
            2 | 6 => AgentErrorKind::Configuration(kind_message),
            5 => AgentErrorKind::NotAvailable(kind_message),
            _ => AgentErrorKind::Failed(kind_message),
        }))
    }
}

#[async_trait]
impl Agent for LsbAgent {
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
            self.monitor(),
            "LSB asks a stop of a stopped service to exit 0",
        )
        .await
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        let finished = self
            .script
            .run("status", self.timeouts.monitor, &[])
            .await?;
        let dead = |what: &str| {
            Ok(Health::Failed(format!(
                "status exit code {}: {what}{}",
                finished.code,
                finished.last_output()
            )))
        };
        match LsbStatus::from_code(finished.code) {
            LsbStatus::Running => {
                let says_stopped = status_text(&finished.stdout) == StatusText::NotRunning
                    || finished.stdout.to_ascii_lowercase().contains("stopped");
                Ok(if says_stopped {
                    Health::Stopped
                } else {
                    Health::Running
                })
            }
            LsbStatus::Stopped => Ok(Health::Stopped),
            LsbStatus::DeadPidFile => dead("dead, but its pid file exists"),
            LsbStatus::DeadLockFile => dead("dead, but its lock file exists"),
            LsbStatus::Unknown => dead("status unknown"),
            LsbStatus::Undefined(code) => Err(self.script.failed(format!(
                "status exited with {code}, which is not an LSB status code \
                 (0 running, 1-2 dead, 3 stopped, 4 unknown){}",
                finished.last_output()
            ))),
        }
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
            "LSB init script",
            &self.script.program,
        )
    }
}

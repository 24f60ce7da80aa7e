//! The group runner: a resource group starts in order, stops in reverse,
//! and a failed start is rolled back.
//!
//! As heartbeat's ResourceManager does, a failed start stops the group
//! again — the failed resource itself first (it may be half up, e.g. after
//! a timeout), then the started ones in reverse — and a stop goes on past
//! failures so that as much as possible is released. A failed stop is
//! tried again, as heartbeat's `HA_STOPRETRYMAX` has it: up to 10 more
//! times, 1 s apart ([`StopRetries`]); what still fails is reported, and
//! [`GroupError::left_running`] says when that leaves a resource up (what
//! heartbeat answers with a reboot). Every action has its
//! own time limit ([`ActionTimeouts`]); on expiry the action's future is
//! dropped, which abandons it (see [`crate::agent`] for what agents that
//! run processes must do on drop), and the timeout is reported.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{Action, Agent, AgentError, Health};

/// Time limits per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionTimeouts {
    /// Limit for `start`.
    pub start: Duration,
    /// Limit for `stop`.
    pub stop: Duration,
    /// Limit for `monitor`.
    pub monitor: Duration,
    /// Limit for `validate`.
    pub validate: Duration,
}

impl Default for ActionTimeouts {
    /// 20 s each, the timeouts IPaddr's meta-data advertises.
    fn default() -> Self {
        let limit = Duration::from_secs(20);
        ActionTimeouts {
            start: limit,
            stop: limit,
            monitor: limit,
            validate: limit,
        }
    }
}

impl ActionTimeouts {
    /// The limit for `action`.
    pub fn for_action(&self, action: Action) -> Duration {
        match action {
            Action::Start => self.start,
            Action::Stop => self.stop,
            Action::Monitor | Action::Announce => self.monitor,
            Action::Validate => self.validate,
        }
    }
}

/// How a failed stop is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRetries {
    /// Further attempts after the first.
    pub retries: u32,
    /// The pause before each of them.
    pub interval: Duration,
}

impl Default for StopRetries {
    /// heartbeat's `HA_STOPRETRYMAX` 10, with its `sleep 1`.
    fn default() -> Self {
        StopRetries {
            retries: 10,
            interval: Duration::from_secs(1),
        }
    }
}

/// Why one action of one resource failed.
#[derive(Debug, thiserror::Error)]
pub enum FailureCause {
    /// The agent reported an error.
    #[error("{0}")]
    Agent(#[source] AgentError),
    /// The action did not finish in time and was abandoned.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

/// One failed action of one resource.
#[derive(Debug, thiserror::Error)]
pub struct ActionFailure {
    /// The resource, as its agent describes it.
    pub resource: String,
    /// The action.
    pub action: Action,
    /// What went wrong.
    #[source]
    pub cause: FailureCause,
}

impl fmt::Display for ActionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            FailureCause::Agent(error) => write!(f, "{} failed: {error}", self.action),
            FailureCause::TimedOut(limit) => {
                write!(
                    f,
                    "{} of {} timed out after {limit:?}",
                    self.action, self.resource
                )
            }
        }
    }
}

/// Runs one agent action under a time limit; on expiry the future is dropped.
pub async fn run_with_timeout<T>(
    resource: &str,
    action: Action,
    limit: Duration,
    future: impl Future<Output = Result<T, AgentError>>,
) -> Result<T, ActionFailure> {
    let failure = |cause| ActionFailure {
        resource: resource.to_string(),
        action,
        cause,
    };
    match tokio::time::timeout(limit, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(failure(FailureCause::Agent(error))),
        Err(_elapsed) => Err(failure(FailureCause::TimedOut(limit))),
    }
}

/// How the rollback of a failed start went.
#[derive(Debug)]
pub enum Rollback {
    /// Every resource that had been tried was stopped again.
    Clean {
        /// How many resources were stopped (the failed one included).
        stopped: usize,
    },
    /// Some stops failed; those resources may still be up.
    Failed(Vec<ActionFailure>),
}

impl fmt::Display for Rollback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rollback::Clean { stopped } => write!(f, "rolled back ({stopped} resource(s) stopped)"),
            Rollback::Failed(failures) => {
                write!(f, "ROLLBACK FAILED: {}", join(failures))
            }
        }
    }
}

/// A resource that is not running as it should.
#[derive(Debug)]
pub enum MonitorProblem {
    /// Monitor answered, and the answer is not `Running`.
    NotRunning {
        /// The resource.
        resource: String,
        /// What monitor said.
        health: Health,
    },
    /// Monitor itself failed or timed out.
    Failed(ActionFailure),
}

impl fmt::Display for MonitorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorProblem::NotRunning { resource, health } => write!(f, "{resource} is {health}"),
            MonitorProblem::Failed(failure) => write!(f, "{failure}"),
        }
    }
}

/// A group action that did not fully succeed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// A resource did not start; the group was stopped again.
    #[error("group '{group}' did not start: {failure}; {rollback}")]
    StartFailed {
        /// The group id.
        group: String,
        /// The start that failed.
        failure: ActionFailure,
        /// How stopping the group again went.
        rollback: Rollback,
    },
    /// Some resources did not stop.
    #[error("group '{group}' did not stop cleanly: {}", join(.failures))]
    StopFailed {
        /// The group id.
        group: String,
        /// Every stop that failed, in stop order.
        failures: Vec<ActionFailure>,
    },
    /// Some resources could not be announced again.
    #[error("group '{group}' was not announced again: {}", join(.failures))]
    AnnounceFailed {
        /// The group id.
        group: String,
        /// Every announcement that failed, in start order.
        failures: Vec<ActionFailure>,
    },
    /// Some resources are not running.
    #[error("group '{group}' is not healthy: {}", join(.problems))]
    Unhealthy {
        /// The group id.
        group: String,
        /// Every resource that is not running, in start order.
        problems: Vec<MonitorProblem>,
    },
}

impl GroupError {
    /// Whether a stop failed for good, leaving a resource up that this
    /// node was letting go (a stop, or the rollback of a failed start):
    /// heartbeat's "Resource STOP failure. Reboot required!".
    pub fn left_running(&self) -> bool {
        matches!(
            self,
            GroupError::StopFailed { .. }
                | GroupError::StartFailed {
                    rollback: Rollback::Failed(_),
                    ..
                }
        )
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A resource group: agents started in order and stopped in reverse.
pub struct Group {
    id: String,
    resources: Vec<Arc<dyn Agent>>,
    timeouts: ActionTimeouts,
    stop_retries: StopRetries,
}

impl Group {
    /// A group named `id` (a haresources group's id: its resources' words)
    /// with the default timeouts.
    pub fn new(id: impl Into<String>, resources: Vec<Arc<dyn Agent>>) -> Self {
        Group {
            id: id.into(),
            resources,
            timeouts: ActionTimeouts::default(),
            stop_retries: StopRetries::default(),
        }
    }

    /// Tries failed stops again as `retries` says.
    pub fn with_stop_retries(mut self, retries: StopRetries) -> Self {
        self.stop_retries = retries;
        self
    }

    /// Uses other time limits.
    pub fn with_timeouts(mut self, timeouts: ActionTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The group id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agents, in start order.
    pub fn resources(&self) -> &[Arc<dyn Agent>] {
        &self.resources
    }

    /// The time limits in use.
    pub fn timeouts(&self) -> ActionTimeouts {
        self.timeouts
    }

    /// Stops one resource, trying again after a failure as
    /// [`StopRetries`] says; the last failure if none succeeded.
    async fn run_stop(&self, agent: &dyn Agent) -> Result<(), ActionFailure> {
        let resource = agent.describe();
        let mut attempt = 0;
        loop {
            let stopped =
                run_with_timeout(&resource, Action::Stop, self.timeouts.stop, agent.stop()).await;
            match stopped {
                Ok(()) => return Ok(()),
                Err(failure) if attempt < self.stop_retries.retries => {
                    attempt += 1;
                    log::warn!(
                        "{failure}; trying the stop of {resource} again in {:?} \
                         ({attempt} of {})",
                        self.stop_retries.interval,
                        self.stop_retries.retries
                    );
                    tokio::time::sleep(self.stop_retries.interval).await;
                }
                Err(failure) => return Err(failure),
            }
        }
    }

    /// Starts every resource in order; on a failure, stops the group again.
    pub async fn start(&self) -> Result<(), GroupError> {
        for (position, agent) in self.resources.iter().enumerate() {
            let started = run_with_timeout(
                &agent.describe(),
                Action::Start,
                self.timeouts.start,
                agent.start(),
            )
            .await;
            if let Err(failure) = started {
                log::error!("{failure}; stopping group '{}' again", self.id);
                let mut failures = Vec::new();
                for tried in self.resources[..=position].iter().rev() {
                    if let Err(stop_failure) = self.run_stop(tried.as_ref()).await {
                        failures.push(stop_failure);
                    }
                }
                let rollback = if failures.is_empty() {
                    Rollback::Clean {
                        stopped: position + 1,
                    }
                } else {
                    Rollback::Failed(failures)
                };
                return Err(GroupError::StartFailed {
                    group: self.id.clone(),
                    failure,
                    rollback,
                });
            }
        }
        Ok(())
    }

    /// Stops every resource in reverse order, going on past failures.
    pub async fn stop(&self) -> Result<(), GroupError> {
        let mut failures = Vec::new();
        for agent in self.resources.iter().rev() {
            if let Err(failure) = self.run_stop(agent.as_ref()).await {
                log::error!("{failure}");
                failures.push(failure);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(GroupError::StopFailed {
                group: self.id.clone(),
                failures,
            })
        }
    }

    /// Announces every resource again (each under the monitor's limit),
    /// going on past failures.
    pub async fn announce(&self) -> Result<(), GroupError> {
        let mut failures = Vec::new();
        for agent in &self.resources {
            let resource = agent.describe();
            if let Err(failure) = run_with_timeout(
                &resource,
                Action::Announce,
                self.timeouts.monitor,
                agent.announce(),
            )
            .await
            {
                failures.push(failure);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(GroupError::AnnounceFailed {
                group: self.id.clone(),
                failures,
            })
        }
    }

    /// Checks every resource; healthy when all run.
    pub async fn monitor(&self) -> Result<(), GroupError> {
        let mut problems = Vec::new();
        for agent in &self.resources {
            let resource = agent.describe();
            match run_with_timeout(
                &resource,
                Action::Monitor,
                self.timeouts.monitor,
                agent.monitor(),
            )
            .await
            {
                Ok(Health::Running) => {}
                Ok(health) => problems.push(MonitorProblem::NotRunning { resource, health }),
                Err(failure) => problems.push(MonitorProblem::Failed(failure)),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(GroupError::Unhealthy {
                group: self.id.clone(),
                problems,
            })
        }
    }
}

#[cfg(test)]
mod tests;

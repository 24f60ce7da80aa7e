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
//!
//! Probes, as Pacemaker's: before a start, every resource's `monitor` is
//! asked (OCF's monitor at interval 0, LSB's `status`, a resource.d
//! script's `status`, a native check); a resource found running is not
//! started again, only announced, and status shows what the probe found.
//! A group this node is not to hold is cleared with [`Group::clear`]: a
//! probe of each resource, and a stop, in reverse order and with a warning
//! naming it, of each one found running. A probe that fails or times out is
//! an error in status and in the answer, never a reason to start anything.
//!
//! Each monitored resource is monitored on its own ([`Group::check_resource`]),
//! when the caller's schedule says so; a failure restarts the group in
//! place from that resource.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::agent::{Action, Agent, AgentError, Health};

mod fail_count;
mod status;
pub use fail_count::FailCount;
pub use status::{GroupRecords, LastAction, ResourceState, ResourceStatus};

/// How one resource is monitored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorPlan {
    /// How often.
    pub interval: Duration,
    /// The limit on one monitor.
    pub timeout: Duration,
    /// Failures (within `failure_timeout`) at which the group gives up on
    /// this node; 0: never, the resource is only restarted.
    pub migration_threshold: u32,
    /// How long a failure counts; `None`: until a cleanup.
    pub failure_timeout: Option<Duration>,
}

/// A monitored resource's plan and failures.
#[derive(Debug, Clone)]
struct Monitored {
    plan: MonitorPlan,
    fails: FailCount,
}

/// What a [`Group::clear`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleared {
    /// The group is held by this runner (started and not stopped since):
    /// nothing was probed (a clear overtaken by a start).
    pub held_here: bool,
    /// The resources found running (or partly up) and stopped, in stop
    /// order.
    pub stopped: Vec<String>,
}

/// What a [`Group::check_resource`] did, when the group stays here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// How many resources were monitored.
    pub monitored: usize,
    /// The resources that failed and were restarted in place.
    pub restarted: Vec<String>,
}

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
            Action::Monitor | Action::Probe | Action::Announce => self.monitor,
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
    /// A monitored resource failed too often, or its restart in place
    /// failed: the group was stopped here and is to move.
    #[error("group '{group}' gave up here: {reason}{}", stopped(.stop_failures))]
    GaveUp {
        /// The group id.
        group: String,
        /// Why.
        reason: String,
        /// How long the group keeps away (the failure-timeout); `None`:
        /// until a cleanup.
        retry_after: Option<Duration>,
        /// Stops that failed while the group was stopped.
        stop_failures: Vec<ActionFailure>,
    },
    /// Some probes failed or timed out (what the others found running was
    /// dealt with all the same).
    #[error("group '{group}': probe failed: {}", join(.failures))]
    ProbeFailed {
        /// The group id.
        group: String,
        /// Every probe that failed, in start order.
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
        ) || matches!(self, GroupError::GaveUp { stop_failures, .. } if !stop_failures.is_empty())
    }
}

fn stopped(failures: &[ActionFailure]) -> String {
    if failures.is_empty() {
        "; stopped".to_string()
    } else {
        format!("; STOP FAILED: {}", join(failures))
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
    resource_timeouts: Vec<Option<ActionTimeouts>>,
    stop_retries: StopRetries,
    monitors: Vec<Option<Monitored>>,
    records: GroupRecords,
    /// Started (or being started) by this runner and not stopped since.
    active: bool,
}

impl Group {
    /// A group named `id` (a haresources group's id: its resources' words)
    /// with the default timeouts.
    pub fn new(id: impl Into<String>, resources: Vec<Arc<dyn Agent>>) -> Self {
        let records = GroupRecords::new(
            resources
                .iter()
                .map(|agent| ResourceStatus {
                    resource: agent.describe(),
                    how: String::new(),
                    state: ResourceState::Stopped,
                    last: None,
                    fail_count: 0,
                    monitor_interval: None,
                    probed: None,
                    output: Vec::new(),
                })
                .collect(),
        );
        Group {
            id: id.into(),
            monitors: vec![None; resources.len()],
            resources,
            timeouts: ActionTimeouts::default(),
            resource_timeouts: Vec::new(),
            stop_retries: StopRetries::default(),
            records,
            active: false,
        }
    }

    /// Monitors the resources as `plans` says (one entry per resource, in
    /// start order; `None`: not monitored).
    pub fn with_monitoring(mut self, plans: Vec<Option<MonitorPlan>>) -> Self {
        for (index, plan) in plans.into_iter().enumerate().take(self.resources.len()) {
            self.records.update(index, |line| {
                line.monitor_interval = plan.map(|p| p.interval)
            });
            self.monitors[index] = plan.map(|plan| Monitored {
                plan,
                fails: FailCount::default(),
            });
        }
        self
    }

    /// Says in status how each resource runs (one line per resource).
    pub fn with_descriptions(self, how: Vec<String>) -> Self {
        for (index, how) in how.into_iter().enumerate() {
            self.records.update(index, |line| line.how = how);
        }
        self
    }

    /// The status lines of the resources, shared with the runner.
    pub fn records(&self) -> GroupRecords {
        self.records.clone()
    }

    /// Each monitored resource's position in the group and interval, in
    /// start order: when each needs a [`Group::check_resource`].
    pub fn monitor_intervals(&self) -> Vec<(usize, Duration)> {
        self.monitors
            .iter()
            .enumerate()
            .filter_map(|(index, m)| m.as_ref().map(|m| (index, m.plan.interval)))
            .collect()
    }

    /// Forgets the monitor failures of `resource` (a haresources word), or
    /// of every resource; whether the group has such a resource.
    pub fn cleanup(&mut self, resource: Option<&str>) -> bool {
        let mut found = false;
        for (index, agent) in self.resources.iter().enumerate() {
            if resource.is_some_and(|r| r != agent.describe()) {
                continue;
            }
            found = true;
            if let Some(monitored) = self.monitors[index].as_mut() {
                monitored.fails.clear();
            }
            self.records.update(index, |line| line.fail_count = 0);
        }
        found
    }

    /// Runs `action` on the resource at `index` under `limit`, recording
    /// its state, result, duration and output.
    async fn act<T>(
        &self,
        index: usize,
        action: Action,
        limit: Duration,
        future: impl Future<Output = Result<T, AgentError>>,
    ) -> Result<T, ActionFailure> {
        let Some(agent) = self.resources.get(index) else {
            return Err(ActionFailure {
                resource: format!("resource #{index}"),
                action,
                cause: FailureCause::Agent(AgentError::new(
                    format!("resource #{index}"),
                    crate::agent::AgentErrorKind::Failed("no such resource".into()),
                )),
            });
        };
        let during = match action {
            Action::Start => Some(ResourceState::Starting),
            Action::Stop => Some(ResourceState::Stopping),
            _ => None,
        };
        if let Some(state) = during {
            self.records.update(index, |line| line.state = state);
        }
        let started = Instant::now();
        let result = run_with_timeout(&agent.describe(), action, limit, future).await;
        let duration = started.elapsed();
        let output = agent.last_output();
        let state = match (action, &result) {
            (Action::Start, Ok(_)) => Some(ResourceState::Running),
            (Action::Stop, Ok(_)) => Some(ResourceState::Stopped),
            (Action::Start | Action::Stop | Action::Monitor | Action::Probe, Err(_)) => {
                Some(ResourceState::Failed)
            }
            _ => None,
        };
        let outcome = result.as_ref().map(|_| ()).map_err(ToString::to_string);
        self.records.update(index, |line| {
            if let Some(state) = state {
                line.state = state;
            }
            line.last = Some(LastAction {
                action,
                result: outcome,
                duration,
            });
            if !output.is_empty() {
                line.output = output;
            }
        });
        result
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

    /// Gives resources limits of their own (one entry per resource, in
    /// start order; `None`: the group's), e.g. from their agents' meta-data.
    pub fn with_resource_timeouts(mut self, timeouts: Vec<Option<ActionTimeouts>>) -> Self {
        self.resource_timeouts = timeouts;
        self
    }

    /// The limit of `action` on the resource at `index`.
    fn limit(&self, index: usize, action: Action) -> Duration {
        self.resource_timeouts
            .get(index)
            .copied()
            .flatten()
            .unwrap_or(self.timeouts)
            .for_action(action)
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

    /// Stops the resource at `index`, trying again after a failure as
    /// [`StopRetries`] says; the last failure if none succeeded.
    async fn run_stop(&self, index: usize) -> Result<(), ActionFailure> {
        let Some(agent) = self.resources.get(index) else {
            return Ok(());
        };
        let resource = agent.describe();
        let mut attempt = 0;
        loop {
            let stopped = self
                .act(
                    index,
                    Action::Stop,
                    self.limit(index, Action::Stop),
                    agent.stop(),
                )
                .await;
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

    /// Starts the resources from `from` on, in order, but for those
    /// `running` marks (found running by a probe: announced instead); on a
    /// failure, stops the group again.
    async fn start_from(&mut self, from: usize, running: &[bool]) -> Result<(), GroupError> {
        for position in from..self.resources.len() {
            let agent = self.resources[position].clone();
            if running.get(position).copied().unwrap_or(false) {
                let resource = agent.describe();
                log::info!(
                    "group '{}': {resource} was found running: not started again",
                    self.id
                );
                if let Err(failure) = run_with_timeout(
                    &resource,
                    Action::Announce,
                    self.limit(position, Action::Announce),
                    agent.announce(),
                )
                .await
                {
                    log::warn!("group '{}': {failure}", self.id);
                }
                continue;
            }
            let started = self
                .act(
                    position,
                    Action::Start,
                    self.limit(position, Action::Start),
                    agent.start(),
                )
                .await;
            if let Err(failure) = started {
                log::error!("{failure}; stopping group '{}' again", self.id);
                let mut failures = Vec::new();
                for tried in (0..=position).rev() {
                    if let Err(stop_failure) = self.run_stop(tried).await {
                        failures.push(stop_failure);
                    }
                }
                self.active = false;
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

    /// Probes every resource in order, each under its monitor's limit,
    /// recording in status what each probe found; the findings.
    async fn probe_all(&self) -> Vec<Result<Health, ActionFailure>> {
        let mut found = Vec::with_capacity(self.resources.len());
        for (index, agent) in self.resources.iter().enumerate() {
            let result = self
                .act(
                    index,
                    Action::Probe,
                    self.limit(index, Action::Probe),
                    agent.monitor(),
                )
                .await;
            let probed = result
                .as_ref()
                .map(Clone::clone)
                .map_err(ToString::to_string);
            let state = match &result {
                Ok(Health::Running) => ResourceState::Running,
                Ok(Health::Stopped) => ResourceState::Stopped,
                Ok(Health::Failed(_)) | Err(_) => ResourceState::Failed,
            };
            self.records.update(index, |line| {
                line.state = state;
                line.probed = Some(probed);
            });
            found.push(result);
        }
        found
    }

    /// Probes every resource, then starts in order each one not found
    /// running (one found running is announced instead); on a failure,
    /// stops the group again. A probe that fails does not stop the start:
    /// the start decides.
    pub async fn start(&mut self) -> Result<(), GroupError> {
        self.active = true;
        let found = self.probe_all().await;
        let mut running = Vec::with_capacity(found.len());
        for result in &found {
            match result {
                Ok(health) => running.push(*health == Health::Running),
                Err(failure) => {
                    log::warn!("group '{}': {failure}; starting it all the same", self.id);
                    running.push(false);
                }
            }
        }
        self.start_from(0, &running).await
    }

    /// Clears a group this node is not to hold: probes every resource and
    /// stops, in reverse order, each one found running or partly up,
    /// logging a warning that names it. Nothing is probed while this
    /// runner holds the group (a clear asked before a start that ran
    /// first). A failed stop is [`GroupError::StopFailed`]; failed probes
    /// are [`GroupError::ProbeFailed`], once the others' findings are
    /// dealt with.
    pub async fn clear(&mut self) -> Result<Cleared, GroupError> {
        let mut cleared = Cleared::default();
        if self.active {
            cleared.held_here = true;
            return Ok(cleared);
        }
        let found = self.probe_all().await;
        let mut probe_failures = Vec::new();
        let mut up = Vec::new();
        for (index, result) in found.into_iter().enumerate() {
            match result {
                Ok(Health::Stopped) => {}
                Ok(health) => up.push((index, health)),
                Err(failure) => probe_failures.push(failure),
            }
        }
        let mut stop_failures = Vec::new();
        for (index, health) in up.into_iter().rev() {
            let resource = self.resources[index].describe();
            log::warn!(
                "group '{}': {resource} was found {health} here, where the group is \
                 not to run: stopping it",
                self.id
            );
            match self.run_stop(index).await {
                Ok(()) => cleared.stopped.push(resource),
                Err(failure) => {
                    log::error!("{failure}");
                    stop_failures.push(failure);
                }
            }
        }
        if !stop_failures.is_empty() {
            return Err(GroupError::StopFailed {
                group: self.id.clone(),
                failures: stop_failures,
            });
        }
        if !probe_failures.is_empty() {
            return Err(GroupError::ProbeFailed {
                group: self.id.clone(),
                failures: probe_failures,
            });
        }
        Ok(cleared)
    }

    /// Stops every resource in reverse order, going on past failures.
    pub async fn stop(&mut self) -> Result<(), GroupError> {
        self.active = false;
        let failures = self.stop_down_to(0).await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(GroupError::StopFailed {
                group: self.id.clone(),
                failures,
            })
        }
    }

    /// Stops the resources from the last down to `to`, going on past
    /// failures; the failures.
    async fn stop_down_to(&self, to: usize) -> Vec<ActionFailure> {
        let mut failures = Vec::new();
        for index in (to..self.resources.len()).rev() {
            if let Err(failure) = self.run_stop(index).await {
                log::error!("{failure}");
                failures.push(failure);
            }
        }
        failures
    }

    /// Monitors the resource at `index` now, under its monitoring plan's
    /// limit; a failure restarts the group in place from it, and the group
    /// gives up here ([`GroupError::GaveUp`], the group stopped) when the
    /// fail count reaches its migration-threshold or the restart fails.
    /// Nothing is monitored for a resource without a plan, or while the
    /// group is not started here (a monitor asked before a stop that ran
    /// first).
    pub async fn check_resource(&mut self, index: usize) -> Result<Checked, GroupError> {
        let mut checked = Checked::default();
        let now = Instant::now();
        let Some(monitored) = self.monitors.get_mut(index).and_then(Option::as_mut) else {
            return Ok(checked);
        };
        let plan = monitored.plan;
        let count = monitored.fails.count(now, plan.failure_timeout);
        self.records.update(index, |line| line.fail_count = count);
        if !self.active {
            return Ok(checked);
        }
        let agent = self.resources[index].clone();
        let resource = agent.describe();
        let problem = match self
            .act(index, Action::Monitor, plan.timeout, agent.monitor())
            .await
        {
            Ok(Health::Running) => None,
            Ok(health) => {
                let failed = health.to_string();
                self.records.update(index, |line| {
                    line.state = ResourceState::Failed;
                    if let Some(last) = line.last.as_mut() {
                        last.result = Err(failed);
                    }
                });
                Some(MonitorProblem::NotRunning {
                    resource: resource.clone(),
                    health,
                })
            }
            Err(failure) => Some(MonitorProblem::Failed(failure)),
        };
        checked.monitored += 1;
        let Some(problem) = problem else {
            return Ok(checked);
        };
        let now = Instant::now();
        let Some(monitored) = self.monitors[index].as_mut() else {
            return Ok(checked);
        };
        let count = monitored.fails.record(now, plan.failure_timeout);
        self.records.update(index, |line| line.fail_count = count);
        let threshold = plan.migration_threshold;
        if threshold != 0 && count >= threshold {
            let reason = format!(
                "{problem}; {count} failure(s) of {resource} reach its \
                 migration-threshold {threshold}"
            );
            return Err(self.give_up(reason, plan.failure_timeout).await);
        }
        log::warn!(
            "group '{}': {problem}: restarting it in place from {resource} \
             (failure {count}{})",
            self.id,
            if threshold == 0 {
                String::new()
            } else {
                format!(" of {threshold}")
            }
        );
        if let Err(error) = self.restart_from(index).await {
            let reason = format!("{problem}; the restart in place failed: {error}");
            return Err(self.give_up(reason, plan.failure_timeout).await);
        }
        checked.restarted.push(resource);
        Ok(checked)
    }

    /// Restarts in place from the resource at `index`: the ones after it
    /// stopped in reverse, it stopped, then it and the ones after it
    /// started in order.
    async fn restart_from(&mut self, index: usize) -> Result<(), GroupError> {
        let failures = self.stop_down_to(index).await;
        if !failures.is_empty() {
            return Err(GroupError::StopFailed {
                group: self.id.clone(),
                failures,
            });
        }
        self.start_from(index, &[]).await
    }

    /// Stops the whole group after a failure it will not recover from here.
    async fn give_up(&mut self, reason: String, retry_after: Option<Duration>) -> GroupError {
        log::error!("group '{}': {reason}: stopping it here", self.id);
        self.active = false;
        let stop_failures = self.stop_down_to(0).await;
        GroupError::GaveUp {
            group: self.id.clone(),
            reason,
            retry_after,
            stop_failures,
        }
    }

    /// Announces every resource again (each under the monitor's limit),
    /// going on past failures.
    pub async fn announce(&self) -> Result<(), GroupError> {
        let mut failures = Vec::new();
        for (index, agent) in self.resources.iter().enumerate() {
            let resource = agent.describe();
            if let Err(failure) = run_with_timeout(
                &resource,
                Action::Announce,
                self.limit(index, Action::Announce),
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
        for (index, agent) in self.resources.iter().enumerate() {
            let resource = agent.describe();
            match run_with_timeout(
                &resource,
                Action::Monitor,
                self.limit(index, Action::Monitor),
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
mod check_tests;
#[cfg(test)]
mod tests;

//! The node's resource groups, started, stopped and monitored for the
//! membership driver. Actions on one group never overlap: each group has a
//! lock its actions take in turn.
//!
//! Every action runs on the node's main runtime, whichever runtime asks
//! for it: with `realtime on` the driver's own thread is SCHED_FIFO, and
//! must not be held up by what an action may wait for at normal priority
//! (a program it starts, the kernel's RTNL lock, a log file).
//!
//! Monitoring follows the monitoring file: each monitored resource has its
//! own interval in the machine's schedule ([`Groups::resource_monitors`]),
//! and the machine's monitor of one resource is [`Group::check_resource`]
//! (a failure restarted in place), answered as [`ActionOutcome::GaveUp`]
//! when the group must move. The machine's probe of a group this node is
//! not to hold is [`Group::clear`]: every resource's status asked, what
//! runs stopped in reverse order, with a warning naming it. A start probes
//! first ([`Group::start`]). Each
//! group's per-resource status is readable at any time ([`Groups::status`]),
//! and `ha-node resource cleanup` clears fail counts ([`Groups::cleanup`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ha_membership::driver::GroupControl;
use ha_membership::machine::{ActionOutcome, ResourceMonitor};
use ha_resources::group::{ActionTimeouts, Group, GroupError, GroupRecords, ResourceStatus};
use ha_resources::monitoring::Monitoring;
use ha_resources::{monitored_group_of, ResolvedGroup};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::failed_stop::FailedStop;

/// Every group of haresources, by id, ready to start.
pub struct Groups {
    groups: HashMap<String, Arc<tokio::sync::Mutex<Group>>>,
    /// Each group's resources, for status, in haresources order.
    records: Vec<(String, GroupRecords)>,
    /// Every monitored resource, with its group and interval.
    resource_monitors: Vec<ResourceMonitor>,
    /// The runtime the actions run on.
    runtime: Handle,
    /// What to do when a stop fails for good.
    failed_stop: Arc<FailedStop>,
}

/// One of the actions the driver asks for.
#[derive(Debug, Clone, Copy)]
enum Action {
    Start,
    Stop,
    Monitor,
    CheckResource(usize),
    Probe,
    Announce,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor | Action::CheckResource(_) => "monitor",
            Action::Probe => "probe",
            Action::Announce => "announce",
        }
    }
}

/// A task of another runtime, aborted if its result is no longer awaited
/// (as the action would have been dropped had it run in place).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Groups {
    /// Builds the agents of every resolved group, each action limited by
    /// the default timeouts (a monitor by its own) and run on `runtime`,
    /// monitored as `monitoring` says; a stop that fails for good (its
    /// retries spent, the resource still up) ends the node through
    /// `failed_stop`.
    pub fn build(
        resolved: &[ResolvedGroup],
        monitoring: &Monitoring,
        runtime: Handle,
        failed_stop: FailedStop,
    ) -> Self {
        let mut groups = HashMap::new();
        let mut records = Vec::new();
        let mut resource_monitors = Vec::new();
        for group in resolved {
            let built = monitored_group_of(group, ActionTimeouts::default(), monitoring);
            for (resource, interval) in built.monitor_intervals() {
                resource_monitors.push(ResourceMonitor {
                    group: group.spec.id(),
                    resource,
                    interval,
                });
            }
            records.push((group.spec.id(), built.records()));
            groups.insert(group.spec.id(), Arc::new(tokio::sync::Mutex::new(built)));
        }
        Groups {
            groups,
            records,
            resource_monitors,
            runtime,
            failed_stop: Arc::new(failed_stop),
        }
    }

    /// Every monitored resource, by group and position, with its own
    /// interval: the machine's monitor schedule.
    pub fn resource_monitors(&self) -> Vec<ResourceMonitor> {
        self.resource_monitors.clone()
    }

    /// Every group's resources as they stand, in haresources order.
    pub fn status(&self) -> Vec<(String, Vec<ResourceStatus>)> {
        self.records
            .iter()
            .map(|(id, records)| (id.clone(), records.snapshot()))
            .collect()
    }

    /// Clears the fail count of `resource` (a haresources word); the id of
    /// its group, or why not.
    pub async fn cleanup(&self, resource: &str) -> Result<String, String> {
        for (id, group) in &self.groups {
            if group.lock().await.cleanup(Some(resource)) {
                return Ok(id.clone());
            }
        }
        Err(format!("no resource '{resource}' in haresources"))
    }

    fn get(&self, id: &str) -> Result<Arc<tokio::sync::Mutex<Group>>, String> {
        self.groups
            .get(id)
            .cloned()
            .ok_or_else(|| format!("no resource group '{id}' in haresources"))
    }

    /// Runs `action` on group `id`, on the groups' runtime; a failure as
    /// the machine is to take it.
    async fn act(&self, id: &str, action: Action) -> Result<(), ActionOutcome> {
        let group = self.get(id).map_err(ActionOutcome::failed)?;
        let failed_stop = self.failed_stop.clone();
        let id_owned = id.to_string();
        let mut task = AbortOnDrop(self.runtime.spawn(async move {
            let mut group = group.lock().await;
            let done = match action {
                Action::Start => group.start().await,
                Action::Stop => group.stop().await,
                Action::Monitor => group.monitor().await,
                Action::CheckResource(index) => match group.check_resource(index).await {
                    Ok(checked) => {
                        for resource in &checked.restarted {
                            log::warn!(
                                "resource {resource} of group {id_owned} failed its monitor \
                                 and was restarted in place"
                            );
                        }
                        Ok(())
                    }
                    Err(error) => Err(error),
                },
                Action::Probe => group.clear().await.map(|cleared| {
                    if !cleared.stopped.is_empty() {
                        log::warn!(
                            "group {id_owned}: the probe stopped {} found running here",
                            cleared.stopped.join(", ")
                        );
                    }
                }),
                Action::Announce => group.announce().await,
            };
            match done {
                Err(error) if GroupError::left_running(&error) => {
                    failed_stop.recover(&id_owned, &error.to_string()).await
                }
                Err(GroupError::GaveUp {
                    group,
                    reason,
                    retry_after,
                    ..
                }) => Err(ActionOutcome::GaveUp {
                    detail: format!("group '{group}' gave up here: {reason}"),
                    retry_after,
                }),
                done => done.map_err(|e| ActionOutcome::failed(e.to_string())),
            }
        }));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(error) => Err(ActionOutcome::failed(format!(
                "the {} of resource group {id} ended abnormally: {error}",
                action.name()
            ))),
        }
    }

    /// Runs `action` as [`Groups::act`] does, a failure in words.
    async fn run(&self, id: &str, action: Action) -> Result<(), String> {
        self.act(id, action).await.map_err(|outcome| match outcome {
            ActionOutcome::Failed { detail } | ActionOutcome::GaveUp { detail, .. } => detail,
            ActionOutcome::Succeeded => String::new(),
        })
    }
}

#[async_trait]
impl GroupControl for Groups {
    async fn start(&self, group: &str) -> Result<(), String> {
        self.run(group, Action::Start).await
    }

    async fn stop(&self, group: &str) -> Result<(), String> {
        self.run(group, Action::Stop).await
    }

    async fn monitor(&self, group: &str) -> Result<(), String> {
        self.run(group, Action::Monitor).await
    }

    async fn announce(&self, group: &str) -> Result<(), String> {
        self.run(group, Action::Announce).await
    }

    async fn check_resource(&self, group: &str, resource: usize) -> ActionOutcome {
        match self.act(group, Action::CheckResource(resource)).await {
            Ok(()) => ActionOutcome::Succeeded,
            Err(outcome) => outcome,
        }
    }

    async fn probe(&self, group: &str) -> Result<(), String> {
        self.run(group, Action::Probe).await
    }
}

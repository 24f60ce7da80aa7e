//! The node's resource groups, started, stopped and monitored for the
//! membership driver. Actions on one group never overlap: each group has a
//! lock its actions take in turn.
//!
//! Every action runs on the node's main runtime, whichever runtime asks
//! for it: with `realtime on` the driver's own thread is SCHED_FIFO, and
//! must not be held up by what an action may wait for at normal priority
//! (a program it starts, the kernel's RTNL lock, a log file).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ha_membership::driver::GroupControl;
use ha_resources::group::{ActionTimeouts, Group, GroupError};
use ha_resources::{group_of, ResolvedGroup};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::failed_stop::FailedStop;

/// Every group of haresources, by id, ready to start.
pub struct Groups {
    groups: HashMap<String, Arc<tokio::sync::Mutex<Group>>>,
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
    Announce,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
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
    /// the default timeouts and run on `runtime`; a stop that fails for
    /// good (its retries spent, the resource still up) ends the node
    /// through `failed_stop`.
    pub fn build(resolved: &[ResolvedGroup], runtime: Handle, failed_stop: FailedStop) -> Self {
        let groups = resolved
            .iter()
            .map(|group| {
                let built = group_of(group, ActionTimeouts::default());
                (group.spec.id(), Arc::new(tokio::sync::Mutex::new(built)))
            })
            .collect();
        Groups {
            groups,
            runtime,
            failed_stop: Arc::new(failed_stop),
        }
    }

    /// Stops every group (stopping is idempotent): a node that crashed may
    /// have left resources behind, such as a virtual IP still configured,
    /// and must not answer for a group it does not own once it is back.
    pub async fn release_leftovers(&self) -> Result<(), String> {
        for (id, group) in &self.groups {
            let group = group.lock().await;
            if group.monitor().await.is_ok() {
                log::info!("resource group {id} was left running by an earlier run");
            }
            group
                .stop()
                .await
                .map_err(|e| format!("cannot clear what an earlier run left of {id}: {e}"))?;
        }
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Arc<tokio::sync::Mutex<Group>>, String> {
        self.groups
            .get(id)
            .cloned()
            .ok_or_else(|| format!("no resource group '{id}' in haresources"))
    }

    /// Runs `action` on group `id`, on the groups' runtime.
    async fn run(&self, id: &str, action: Action) -> Result<(), String> {
        let group = self.get(id)?;
        let failed_stop = self.failed_stop.clone();
        let id_owned = id.to_string();
        let mut task = AbortOnDrop(self.runtime.spawn(async move {
            let group = group.lock().await;
            let done = match action {
                Action::Start => group.start().await,
                Action::Stop => group.stop().await,
                Action::Monitor => group.monitor().await,
                Action::Announce => group.announce().await,
            };
            match done {
                Err(error) if GroupError::left_running(&error) => {
                    failed_stop.recover(&id_owned, &error.to_string()).await
                }
                done => done.map_err(|e| e.to_string()),
            }
        }));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(error) => Err(format!(
                "the {} of resource group {id} ended abnormally: {error}",
                action.name()
            )),
        }
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
}

//! What a group's resources are doing, for `ha-node status`: each
//! resource's state, last action with its result and duration, fail count
//! and last output lines. The group runner writes it as it goes; readers
//! take a copy without waiting for the action under way.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::agent::{Action, Health};

/// Where a resource stands on this node, as far as the runner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceState {
    /// Not started here (or stopped).
    Stopped,
    /// Being started.
    Starting,
    /// Started, and healthy at its last monitor.
    Running,
    /// Being stopped.
    Stopping,
    /// Its last start, stop or monitor failed.
    Failed,
}

impl ResourceState {
    /// A word for status.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceState::Stopped => "stopped",
            ResourceState::Starting => "starting",
            ResourceState::Running => "running",
            ResourceState::Stopping => "stopping",
            ResourceState::Failed => "failed",
        }
    }
}

/// The last action run on a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAction {
    /// Which action.
    pub action: Action,
    /// `ok`, or why it failed.
    pub result: Result<(), String>,
    /// How long it took.
    pub duration: Duration,
}

/// One resource's line in status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceStatus {
    /// The resource, as haresources writes it.
    pub resource: String,
    /// How it runs (the resolver's description), if known.
    pub how: String,
    /// Its state.
    pub state: ResourceState,
    /// Its last action.
    pub last: Option<LastAction>,
    /// Its monitor failures that still count.
    pub fail_count: u32,
    /// The monitor interval, if it is monitored.
    pub monitor_interval: Option<Duration>,
    /// What the last probe found (`None`: never probed): the resource's
    /// health, or why the probe failed or timed out.
    pub probed: Option<Result<Health, String>>,
    /// Its agent's last output lines, oldest first.
    pub output: Vec<String>,
}

/// The status lines of a group's resources, shared between its runner and
/// the readers.
#[derive(Debug, Clone, Default)]
pub struct GroupRecords(Arc<Mutex<Vec<ResourceStatus>>>);

impl GroupRecords {
    /// Records for these lines.
    pub(crate) fn new(lines: Vec<ResourceStatus>) -> Self {
        GroupRecords(Arc::new(Mutex::new(lines)))
    }

    /// A copy of every line, in start order.
    pub fn snapshot(&self) -> Vec<ResourceStatus> {
        match self.0.lock() {
            Ok(lines) => lines.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes the line at `index`.
    pub(crate) fn update(&self, index: usize, change: impl FnOnce(&mut ResourceStatus)) {
        let mut lines = match self.0.lock() {
            Ok(lines) => lines,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(line) = lines.get_mut(index) {
            change(line);
        }
    }
}

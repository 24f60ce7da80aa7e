//! The background task of a native agent that keeps announcing an address
//! (the rounds of gratuitous ARP or neighbour advertisements after the
//! first): at most one at a time, replaced by a new start, ended by stop
//! and when the agent is dropped.

use std::sync::Mutex;

use tokio::task::JoinHandle;

/// The slot of one agent's announcing task.
#[derive(Default)]
pub(crate) struct Announcer {
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Announcer {
    /// Ends the running task, if any, and runs `task` instead.
    pub fn replace(&self, task: JoinHandle<()>) {
        if let Some(previous) = self.slot().replace(task) {
            previous.abort();
        }
    }

    /// Ends the running task, if any.
    pub fn stop(&self) {
        if let Some(previous) = self.slot().take() {
            previous.abort();
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        match self.task.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.stop();
    }
}

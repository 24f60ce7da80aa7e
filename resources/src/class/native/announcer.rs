//! The background task of a native agent that keeps announcing an address
//! (the rounds of gratuitous ARP or neighbour advertisements after the
//! first): at most one at a time, replaced by a new start, ended by stop
//! and when the agent is dropped.

use std::io;
use std::sync::Mutex;

use ha_net::arp::{announce_rest, Announce, ArpSchedule};
use tokio::task::JoinHandle;

/// The slot of one agent's announcing task.
#[derive(Default)]
pub(crate) struct Announcer {
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Announcer {
    /// Sends the first round of `sender` on `interface` now and leaves the
    /// rest of `schedule` to the task, in place of any running one. A
    /// socket that did not open or a round that failed is logged, under
    /// `resource`: the address is usable all the same.
    pub fn announce<A: Announce>(
        &self,
        resource: &str,
        interface: &str,
        sender: io::Result<A>,
        schedule: ArpSchedule,
    ) {
        let sender = match sender {
            Ok(sender) => sender,
            Err(error) => {
                log::warn!("{resource}: cannot open a packet socket on {interface}: {error}");
                return;
            }
        };
        if let Err(error) = sender.announce() {
            log::warn!(
                "{resource}: {} on {interface} failed: {error}",
                sender.what()
            );
        }
        self.replace(tokio::spawn(announce_rest(
            sender,
            schedule,
            interface.to_string(),
        )));
    }

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

//! What a lab shares with its hosts and LANs: the registry of namespaces,
//! processes and background threads to remove, stop and kill with it (the
//! processes of its machines' mount namespaces too), and
//! the lock helper every part of the lab uses.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use ha_process::Process;

use crate::netns;
use crate::process::kill_and_reap;
use crate::LabError;

/// Something running on a background thread of this process (a responder,
/// a watcher) that the lab stops when it is dropped.
pub(crate) trait Stoppable: Send + Sync {
    /// Asks the thread to end soon; does not wait for it.
    fn stop(&self);
}

/// Locks `mutex`, ignoring poisoning (a panicking test must still clean up).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// State shared by the lab and its hosts and LANs.
#[derive(Default)]
pub(crate) struct Shared {
    /// Namespaces created, in creation order.
    pub(crate) namespaces: Mutex<Vec<String>>,
    children: Mutex<Vec<Arc<Process>>>,
    background: Mutex<Vec<Weak<dyn Stoppable>>>,
    /// Mount namespaces of the lab's machines (see `machine`): whatever
    /// lives in them is killed with the lab, even a daemon that left the
    /// host's network namespace.
    mount_namespaces: Mutex<Vec<netns::NamespaceId>>,
}

impl Shared {
    /// Registers a spawned process to be killed with the lab.
    pub(crate) fn adopt_child(&self, process: Arc<Process>) {
        let mut children = lock(&self.children);
        children.retain(|c| Arc::strong_count(c) > 1);
        children.push(process);
    }

    /// Registers a background thread to be stopped with the lab.
    pub(crate) fn adopt_background(&self, task: Weak<dyn Stoppable>) {
        let mut background = lock(&self.background);
        background.retain(|t| t.strong_count() > 0);
        background.push(task);
    }

    /// Registers a mount namespace whose processes die with the lab.
    pub(crate) fn adopt_mount_namespace(&self, id: netns::NamespaceId) {
        lock(&self.mount_namespaces).push(id);
    }

    /// Creates a namespace and records it for removal.
    pub(crate) fn create_netns(&self, name: &str) -> Result<(), LabError> {
        // Record first: a half-created namespace must be removed too.
        lock(&self.namespaces).push(name.to_string());
        netns::create(name)
    }

    /// Stops threads, kills processes and deletes namespaces; returns the
    /// first error but carries on past it.
    pub(crate) fn tear_down(&self) -> Result<(), LabError> {
        for task in lock(&self.background).drain(..) {
            if let Some(task) = task.upgrade() {
                task.stop();
            }
        }
        let mount_namespaces: Vec<netns::NamespaceId> =
            lock(&self.mount_namespaces).drain(..).collect();
        for id in &mount_namespaces {
            netns::kill_processes_in("mnt", *id);
        }
        for child in lock(&self.children).drain(..) {
            kill_and_reap(&child);
        }
        // A process forked meanwhile by one that was being killed.
        for id in &mount_namespaces {
            netns::kill_processes_in("mnt", *id);
        }
        let mut first_error = None;
        let namespaces: Vec<String> = lock(&self.namespaces).drain(..).collect();
        for name in namespaces.iter().rev() {
            if let Err(e) = netns::destroy(name) {
                log::warn!("cannot remove lab namespace {name}: {e}");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

//! heartbeat's `realtime`: the node's memory locked, and the loop that must
//! keep time on a thread of its own at a realtime priority.
//!
//! [`lock_memory`] is `mlockall(MCL_CURRENT | MCL_FUTURE)`, so that no page
//! of the daemon waits on the disk. [`spawn_loop`] starts a thread that
//! switches itself to SCHED_FIFO (with SCHED_RESET_ON_FORK: whatever it
//! forks or spawns, threads included, runs at the normal policy — see
//! `ha_process::sched`) and runs a future on a current-thread tokio runtime
//! of its own; its log lines are written by another thread. When the
//! kernel refuses either (no CAP_IPC_LOCK and memory
//! beyond RLIMIT_MEMLOCK; no CAP_SYS_NICE and RLIMIT_RTPRIO below the
//! priority), one warning line says what was refused and why, and the
//! daemon runs on without it, as heartbeat does.

use std::future::Future;
use std::io;

use ha_process::sched;
use nix::errno::Errno;
use nix::sys::mman::{mlockall, MlockAllFlags};
use nix::sys::resource::{getrlimit, Resource, RLIM_INFINITY};
use tokio::sync::oneshot;

use crate::runtime::{self, RuntimeError};

/// Locks the process's memory, present and future; true if done. A
/// refusal is logged as one warning.
pub fn lock_memory() -> bool {
    match mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE) {
        Ok(()) => {
            log::info!("realtime: memory locked (mlockall)");
            true
        }
        Err(errno) => {
            log::warn!("{}", memory_refusal(errno, limit(Resource::RLIMIT_MEMLOCK)));
            false
        }
    }
}

/// The warning for a refused `mlockall`.
fn memory_refusal(errno: Errno, memlock: Option<u64>) -> String {
    let why = match errno {
        Errno::ENOMEM | Errno::EPERM => format!(
            "{errno}: the node's memory is more than RLIMIT_MEMLOCK ({}) allows without \
             CAP_IPC_LOCK",
            describe_limit(memlock, |bytes| format!("{} kB", bytes / 1024))
        ),
        other => other.to_string(),
    };
    format!("realtime: the kernel refused to lock the node's memory (mlockall): {why}; running unlocked")
}

/// The warning for a refused SCHED_FIFO.
fn priority_refusal(name: &str, priority: u8, error: &io::Error, rtprio: Option<u64>) -> String {
    let why = match error.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EPERM) => format!(
            "{}: it needs CAP_SYS_NICE or RLIMIT_RTPRIO of at least {priority} (it is {}), \
             and a cgroup with realtime budget",
            Errno::EPERM,
            describe_limit(rtprio, |n| n.to_string())
        ),
        Some(errno) => errno.to_string(),
        None => error.to_string(),
    };
    format!(
        "realtime: the kernel refused SCHED_FIFO priority {priority} for the {name} thread: \
         {why}; it runs at normal priority"
    )
}

/// A resource limit's soft value (`None` if unlimited or unknown).
fn limit(resource: Resource) -> Option<u64> {
    getrlimit(resource)
        .ok()
        .and_then(|(soft, _)| (soft != RLIM_INFINITY).then_some(soft))
}

fn describe_limit(limit: Option<u64>, show: impl Fn(u64) -> String) -> String {
    limit.map_or_else(|| "unlimited".to_string(), show)
}

/// A future's result from the thread [`spawn_loop`] started.
#[derive(Debug)]
pub struct LoopThread<T> {
    name: String,
    result: oneshot::Receiver<Result<T, RuntimeError>>,
}

/// The loop thread ended without a result.
#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    /// Its runtime could not be built.
    #[error("the {name} thread: {source}")]
    Runtime {
        /// The thread's name.
        name: String,
        /// Why.
        source: RuntimeError,
    },
    /// It panicked.
    #[error("the {name} thread ended abnormally")]
    Ended {
        /// The thread's name.
        name: String,
    },
}

impl<T> LoopThread<T> {
    /// Waits (without blocking the caller's runtime) until the future has
    /// completed and its runtime has been dropped; its output.
    pub async fn join(self) -> Result<T, LoopError> {
        match self.result.await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(source)) => Err(LoopError::Runtime {
                name: self.name,
                source,
            }),
            Err(_) => Err(LoopError::Ended { name: self.name }),
        }
    }
}

/// Starts a thread named `name` that runs `make()`'s future to completion
/// on a current-thread runtime of its own (every driver enabled), after
/// switching itself to SCHED_FIFO at `priority` if given (its log lines
/// then go through the logger's writer thread, see
/// [`defer_this_thread`](crate::logging::defer_this_thread)).
///
/// Tasks the future spawns run on that thread; blocking tasks on threads of
/// the runtime's pool, which start at the normal policy. A refused priority
/// is logged as one warning (otherwise one info line), and the thread runs
/// on at the normal policy.
pub fn spawn_loop<F, Fut>(
    name: &str,
    priority: Option<u8>,
    make: F,
) -> io::Result<LoopThread<Fut::Output>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    let (done, result) = oneshot::channel();
    let thread_name = name.to_string();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            if let Some(priority) = priority {
                crate::logging::defer_this_thread();
                enter_fifo(&thread_name, priority);
            }
            let output = runtime::current_thread().map(|runtime| {
                let output = runtime.block_on(make());
                drop(runtime);
                output
            });
            let _ = done.send(output);
        })?;
    Ok(LoopThread {
        name: name.to_string(),
        result,
    })
}

/// Switches the calling thread to SCHED_FIFO at `priority`, reset on fork;
/// true if done. Logs the outcome.
fn enter_fifo(name: &str, priority: u8) -> bool {
    match sched::set_fifo(i32::from(priority)) {
        Ok(()) => {
            log::info!(
                "realtime: the {name} thread runs at SCHED_FIFO priority {priority} \
                 (reset on fork)"
            );
            true
        }
        Err(error) => {
            let rtprio = limit(Resource::RLIMIT_RTPRIO);
            log::warn!("{}", priority_refusal(name, priority, &error, rtprio));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_process::sched::Policy;

    #[test]
    fn refusals_say_what_and_why() {
        assert_eq!(
            memory_refusal(Errno::ENOMEM, Some(8 * 1024 * 1024)),
            "realtime: the kernel refused to lock the node's memory (mlockall): ENOMEM: Out of memory: \
             the node's memory is more than RLIMIT_MEMLOCK (8192 kB) allows without \
             CAP_IPC_LOCK; running unlocked"
        );
        assert_eq!(
            priority_refusal(
                "membership",
                50,
                &io::Error::from_raw_os_error(Errno::EPERM as i32),
                Some(0)
            ),
            "realtime: the kernel refused SCHED_FIFO priority 50 for the membership thread: \
             EPERM: Operation not permitted: it needs CAP_SYS_NICE or RLIMIT_RTPRIO of at least 50 \
             (it is 0), and a cgroup with realtime budget; it runs at normal priority"
        );
        assert!(priority_refusal(
            "membership",
            50,
            &io::Error::from_raw_os_error(Errno::EINVAL as i32),
            None
        )
        .contains("EINVAL: Invalid argument"));
    }

    #[test]
    fn the_loop_runs_on_its_own_thread_at_fifo() {
        let caller = std::thread::current().id();
        let thread = spawn_loop("rt-test", Some(10), move || async move {
            tokio::task::yield_now().await;
            let spawned = tokio::spawn(async { std::thread::current().id() })
                .await
                .unwrap();
            let blocking = tokio::task::spawn_blocking(|| sched::current().unwrap())
                .await
                .unwrap();
            (
                std::thread::current().id(),
                std::thread::current().name().map(str::to_string),
                spawned,
                sched::current().unwrap(),
                blocking,
            )
        })
        .unwrap();
        let (id, name, spawned, here, blocking) = runtime::current_thread()
            .unwrap()
            .block_on(thread.join())
            .unwrap();
        assert_ne!(id, caller);
        assert_eq!(spawned, id, "tasks run on the loop's thread");
        assert_eq!(name.as_deref(), Some("rt-test"));
        assert_eq!((here.policy, here.priority), (Policy::Fifo, 10));
        assert!(here.reset_on_fork);
        assert_eq!(
            blocking.policy,
            Policy::Other,
            "blocking pool: {blocking:?}"
        );
    }

    #[test]
    fn without_a_priority_the_loop_thread_is_normal() {
        let thread = spawn_loop("plain", None, || async { sched::current().unwrap() }).unwrap();
        let seen = runtime::current_thread()
            .unwrap()
            .block_on(thread.join())
            .unwrap();
        assert_eq!(seen.policy, Policy::Other);
    }

    #[test]
    fn a_panicking_loop_is_an_error() {
        let thread = spawn_loop("doomed", None, || async {
            if true {
                panic!("on purpose");
            }
        })
        .unwrap();
        let error = runtime::current_thread()
            .unwrap()
            .block_on(thread.join())
            .unwrap_err();
        assert_eq!(error.to_string(), "the doomed thread ended abnormally");
    }
}

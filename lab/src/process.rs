//! Processes started in a lab host: a handle to signal, kill and wait for
//! them, and the guarantee that none outlives its lab (SIGKILL on drop).

use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use crate::LabError;

/// How often waiting with a timeout looks at the child.
const WAIT_POLL: Duration = Duration::from_millis(5);

/// A spawned process shared between its [`LabChild`] and the lab's registry.
/// The child is reaped only under the lock, so a PID is never signalled
/// after it could have been reused.
#[derive(Debug)]
pub(crate) struct ChildSlot {
    child: Mutex<Child>,
    pid: u32,
    program: String,
}

impl ChildSlot {
    pub(crate) fn new(child: Child, program: String) -> Self {
        let pid = child.id();
        ChildSlot {
            child: Mutex::new(child),
            pid,
            program,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Child> {
        self.child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.pid as i32)
    }

    /// Sends `signal` to the process (or its whole group) unless it is reaped.
    fn signal(&self, signal: Signal, group: bool) -> Result<(), LabError> {
        let mut child = self.lock();
        if child
            .try_wait()
            .map_err(|e| LabError::io(format!("polling {}", self.describe()), e))?
            .is_some()
        {
            return Ok(());
        }
        let sent = if group {
            killpg(self.pid(), signal)
        } else {
            kill(self.pid(), signal)
        };
        sent.map_err(|errno| {
            LabError::io(
                format!("sending {signal} to {}", self.describe()),
                errno.into(),
            )
        })
    }

    /// SIGKILLs the whole process group and reaps the leader.
    pub(crate) fn kill_and_reap(&self) {
        let mut child = self.lock();
        if let Ok(None) = child.try_wait() {
            // The group may already be gone while the leader is a zombie.
            let _ = killpg(self.pid(), Signal::SIGKILL);
            let _ = kill(self.pid(), Signal::SIGKILL);
            if let Err(e) = child.wait() {
                log::warn!("cannot reap {}: {e}", self.describe());
            }
        }
    }

    fn try_wait(&self) -> Result<Option<ExitStatus>, LabError> {
        self.lock()
            .try_wait()
            .map_err(|e| LabError::io(format!("polling {}", self.describe()), e))
    }

    fn describe(&self) -> String {
        format!("process {} (`{}`)", self.pid, self.program)
    }
}

/// A process running inside a lab host, started by
/// [`Host::spawn`](crate::Host::spawn).
///
/// It leads its own process group. Dropping the handle SIGKILLs the group
/// (unless [`detach`](LabChild::detach)ed); dropping the [`Lab`](crate::Lab)
/// SIGKILLs every process it started either way.
#[derive(Debug)]
#[must_use = "dropping a LabChild kills the process"]
pub struct LabChild {
    slot: Arc<ChildSlot>,
    detached: bool,
}

impl LabChild {
    pub(crate) fn new(slot: Arc<ChildSlot>) -> Self {
        LabChild {
            slot,
            detached: false,
        }
    }

    /// The process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.slot.pid
    }

    /// Sends `signal` to the process; a process that already exited is not an error.
    pub fn signal(&self, signal: Signal) -> Result<(), LabError> {
        self.slot.signal(signal, false)
    }

    /// Sends `signal` to the process and everything in its process group.
    pub fn signal_group(&self, signal: Signal) -> Result<(), LabError> {
        self.slot.signal(signal, true)
    }

    /// `kill -9` of the process alone (its children, if any, live on, as
    /// they would after a real crash). Does not wait.
    pub fn kill(&self) -> Result<(), LabError> {
        self.signal(Signal::SIGKILL)
    }

    /// SIGTERM to the process (an orderly shutdown request). Does not wait.
    pub fn terminate(&self) -> Result<(), LabError> {
        self.signal(Signal::SIGTERM)
    }

    /// The exit status if the process has ended, without blocking.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, LabError> {
        self.slot.try_wait()
    }

    /// Waits up to `timeout` for the process to end; `None` if it is still running.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<ExitStatus>, LabError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(WAIT_POLL.min(deadline - now));
        }
    }

    /// Waits for the process to end.
    pub fn wait(&self) -> Result<ExitStatus, LabError> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Takes the child's stdin pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.slot.lock().stdin.take()
    }

    /// Takes the child's stdout pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.slot.lock().stdout.take()
    }

    /// Takes the child's stderr pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.slot.lock().stderr.take()
    }

    /// Lets the process run until the lab is dropped instead of until this
    /// handle is dropped.
    pub fn detach(mut self) {
        self.detached = true;
    }
}

impl Drop for LabChild {
    fn drop(&mut self) {
        if !self.detached {
            self.slot.kill_and_reap();
        }
    }
}

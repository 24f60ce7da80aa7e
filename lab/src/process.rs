//! Processes started in a lab host: a handle to signal, kill and wait for
//! them, and the guarantee that none outlives its lab (SIGKILL on drop).
//! The process itself (its group, waits, reaping, typed exit) is an
//! [`ha_process::Process`]; the lab adds the registry that ends it with
//! the lab and the choice of SIGKILL without grace.

use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::sync::Arc;
use std::time::Duration;

use ha_process::{Exit, Process};
use nix::sys::signal::Signal;

use crate::LabError;

/// A process running inside a lab host, started by
/// [`Host::spawn`](crate::Host::spawn).
///
/// It leads its own process group. Dropping the handle SIGKILLs the group
/// (unless [`detach`](LabChild::detach)ed); dropping the [`Lab`](crate::Lab)
/// SIGKILLs every process it started either way.
#[derive(Debug)]
#[must_use = "dropping a LabChild kills the process"]
pub struct LabChild {
    process: Arc<Process>,
    detached: bool,
}

impl LabChild {
    pub(crate) fn new(process: Arc<Process>) -> Self {
        LabChild {
            process,
            detached: false,
        }
    }

    /// The process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Sends `signal` to the process; a process that already exited is not an error.
    pub fn signal(&self, signal: Signal) -> Result<(), LabError> {
        Ok(self.process.signal(signal)?)
    }

    /// Sends `signal` to the process and everything in its process group.
    pub fn signal_group(&self, signal: Signal) -> Result<(), LabError> {
        Ok(self.process.signal_group(signal)?)
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

    /// How the process ended if it has, without blocking.
    pub fn try_wait(&self) -> Result<Option<Exit>, LabError> {
        Ok(self.process.try_wait()?)
    }

    /// Waits up to `timeout` for the process to end; `None` if it is still running.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<Exit>, LabError> {
        Ok(self.process.wait_timeout(timeout)?)
    }

    /// Waits for the process to end.
    pub fn wait(&self) -> Result<Exit, LabError> {
        Ok(self.process.wait_blocking()?)
    }

    /// Takes the child's stdin pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.process.take_stdin()
    }

    /// Takes the child's stdout pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.process.take_stdout()
    }

    /// Takes the child's stderr pipe (if it was configured with `Stdio::piped()`).
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.process.take_stderr()
    }

    /// Lets the process run until the lab is dropped instead of until this
    /// handle is dropped.
    pub fn detach(mut self) {
        self.detached = true;
    }
}

/// SIGKILLs the process's group and reaps it (the process was started
/// with no grace), logging what goes wrong.
pub(crate) fn kill_and_reap(process: &Process) {
    if let Err(e) = process.terminate_blocking() {
        log::warn!("{e}");
    }
}

impl Drop for LabChild {
    fn drop(&mut self) {
        if !self.detached {
            kill_and_reap(&self.process);
        }
    }
}

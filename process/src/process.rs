//! [`Process`]: a started program leading its own process group, the
//! handle to signal and wait for it, and the guard that ends the group when
//! the program is abandoned before it ended.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use crate::error::Error;
use crate::exit::Exit;
use crate::pidfd::PidFd;

/// The time between SIGTERM and SIGKILL when a group is ended, unless set.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How long a group is given to go after SIGKILL before the program is
/// reported [`Error::Unkillable`] and left to a reaper thread.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// A started program, leader of a process group of its own (its pid is the
/// group id), and the guard over that group.
///
/// Dropping a `Process` whose program has not been reaped ends the whole
/// group: SIGTERM, up to the [grace period](Process::grace), then SIGKILL.
/// Inside a tokio runtime the SIGTERM is sent at once and the rest happens
/// in a task of the runtime, so dropping never blocks it; without a runtime
/// (or with a zero grace) the drop does it all in place, blocking for up to
/// the grace period and the moment SIGKILL takes. A program that ended on
/// its own and was reaped through this handle leaves the rest of its group
/// alone.
///
/// The program is reaped only under the handle's lock, and only after its
/// group's last signal, so a signal never reaches a process that merely
/// inherited its pid. All methods take `&self`; the handle can be shared
/// between threads.
#[derive(Debug)]
pub struct Process {
    leader: Pid,
    pid: u32,
    command: String,
    grace: Duration,
    pidfd: Arc<PidFd>,
    state: Mutex<State>,
    /// Took over from a dropped handle: its own drop kills at once.
    heir: bool,
}

#[derive(Debug)]
struct State {
    /// The child and its pipes not yet taken; `None` once handed over to an
    /// heir or a reaper thread.
    child: Option<Child>,
    /// How the program ended, once reaped.
    exit: Option<Exit>,
}

impl Process {
    /// Starts `cmd` (built with std's API: arguments, environment, stdio,
    /// user...) as the leader of a new process group, with the
    /// [`DEFAULT_GRACE`]. [`Command`](crate::Command) starts its programs
    /// through here too.
    ///
    /// A program started from a realtime thread runs at the normal policy
    /// (see [`sched`](crate::sched)).
    pub fn spawn(cmd: &mut std::process::Command) -> Result<Process, Error> {
        cmd.process_group(0);
        crate::sched::keep_child_normal(cmd);
        let command = describe(cmd);
        let mut child = cmd.spawn().map_err(|source| Error::Spawn {
            command: command.clone(),
            source,
        })?;
        let pid = child.id();
        let watched = i32::try_from(pid)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "pid out of range"))
            .and_then(|raw| Ok((Pid::from_raw(raw), PidFd::open(pid)?)));
        let (leader, pidfd) = match watched {
            Ok(watched) => watched,
            Err(source) => {
                // A program we cannot watch is a program we cannot bound.
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Process {
                    action: "watching".to_string(),
                    command,
                    pid,
                    source,
                });
            }
        };
        Ok(Process {
            leader,
            pid,
            command,
            grace: DEFAULT_GRACE,
            pidfd: Arc::new(pidfd),
            state: Mutex::new(State {
                child: Some(child),
                exit: None,
            }),
            heir: false,
        })
    }

    /// Sets the time between SIGTERM and SIGKILL when the group is ended;
    /// zero sends SIGKILL at once.
    pub fn with_grace(mut self, grace: Duration) -> Process {
        self.grace = grace;
        self
    }

    /// The time between SIGTERM and SIGKILL when the group is ended.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// The process id of the program, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, action: impl Into<String>, source: io::Error) -> Error {
        Error::Process {
            action: action.into(),
            command: self.command.clone(),
            pid: self.pid,
            source,
        }
    }

    /// Sends `signal` to the program alone; a program already reaped is
    /// not an error.
    pub fn signal(&self, signal: Signal) -> Result<(), Error> {
        let state = self.lock();
        if state.exit.is_some() || state.child.is_none() {
            return Ok(());
        }
        kill(self.leader, signal)
            .map_err(|errno| self.error(format!("sending {signal} to"), errno.into()))
    }

    /// Sends `signal` to the program's whole process group; a program
    /// already reaped is not an error (its group is left alone).
    pub fn signal_group(&self, signal: Signal) -> Result<(), Error> {
        let state = self.lock();
        if state.exit.is_some() || state.child.is_none() {
            return Ok(());
        }
        match killpg(self.leader, signal) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
            Err(errno) => {
                Err(self.error(format!("sending {signal} to the group of"), errno.into()))
            }
        }
    }

    /// Best effort: SIGTERM to the group, or SIGKILL to the group and the
    /// leader (in case it left the group).
    fn send_quietly(&self, signal: Signal) {
        let state = self.lock();
        if state.exit.is_some() || state.child.is_none() {
            return;
        }
        let _ = killpg(self.leader, signal);
        if signal == Signal::SIGKILL {
            let _ = kill(self.leader, signal);
        }
    }

    /// How the program ended if it has (reaping it), without blocking.
    pub fn try_wait(&self) -> Result<Option<Exit>, Error> {
        let mut state = self.lock();
        if let Some(exit) = state.exit {
            return Ok(Some(exit));
        }
        let Some(child) = state.child.as_mut() else {
            return Ok(None);
        };
        match child.try_wait() {
            Ok(Some(status)) => {
                let exit = Exit::from(status);
                state.exit = Some(exit);
                Ok(Some(exit))
            }
            Ok(None) => Ok(None),
            Err(source) => Err(self.error("waiting for", source)),
        }
    }

    /// Reaps a program its pidfd says has ended.
    fn reap(&self) -> Result<Exit, Error> {
        self.try_wait()?
            .ok_or_else(|| self.error("reaping", io::Error::other("ended but not reapable")))
    }

    /// Waits for the program to end (async; no timeout: see
    /// [`Command::timeout`](crate::Command::timeout) or wrap it in
    /// `tokio::time::timeout`, which drops and so ends it).
    pub async fn wait(&self) -> Result<Exit, Error> {
        if let Some(exit) = self.try_wait()? {
            return Ok(exit);
        }
        self.pidfd
            .ended()
            .await
            .map_err(|source| self.error("waiting for", source))?;
        self.reap()
    }

    /// Blocks up to `timeout` for the program to end; `None` if it still runs.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<Exit>, Error> {
        if let Some(exit) = self.try_wait()? {
            return Ok(Some(exit));
        }
        let ended = self
            .pidfd
            .ended_within(Some(timeout))
            .map_err(|source| self.error("waiting for", source))?;
        if ended {
            self.reap().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Blocks until the program ends.
    pub fn wait_blocking(&self) -> Result<Exit, Error> {
        if let Some(exit) = self.try_wait()? {
            return Ok(exit);
        }
        self.pidfd
            .ended_within(None)
            .map_err(|source| self.error("waiting for", source))?;
        self.reap()
    }

    /// Ends the program's group: SIGTERM to the group, up to the grace
    /// period for the program to go, SIGKILL to the group; then reaps the
    /// program. A program already reaped is left as it is.
    pub async fn terminate(&self) -> Result<Exit, Error> {
        self.end(self.grace, false).await
    }

    /// [`Process::terminate`] for blocking code.
    pub fn terminate_blocking(&self) -> Result<Exit, Error> {
        if let Some(exit) = self.try_wait_reaped() {
            return Ok(exit);
        }
        if !self.grace.is_zero() {
            self.send_quietly(Signal::SIGTERM);
            let _ = self.pidfd.ended_within(Some(self.grace));
        }
        self.send_quietly(Signal::SIGKILL);
        match self.pidfd.ended_within(Some(KILL_WAIT)) {
            Ok(true) => self.reap(),
            Ok(false) => Err(self.unkillable()),
            Err(source) => Err(self.error("waiting for", source)),
        }
    }

    async fn end(&self, grace: Duration, term_sent: bool) -> Result<Exit, Error> {
        if let Some(exit) = self.try_wait_reaped() {
            return Ok(exit);
        }
        if !grace.is_zero() {
            if !term_sent {
                self.send_quietly(Signal::SIGTERM);
            }
            let _ = tokio::time::timeout(grace, self.pidfd.ended()).await;
        }
        self.send_quietly(Signal::SIGKILL);
        match tokio::time::timeout(KILL_WAIT, self.pidfd.ended()).await {
            Ok(Ok(())) => self.reap(),
            Ok(Err(source)) => Err(self.error("waiting for", source)),
            Err(_) => Err(self.unkillable()),
        }
    }

    /// How the program ended if it was reaped already (reaps nothing).
    fn try_wait_reaped(&self) -> Option<Exit> {
        self.lock().exit
    }

    fn unkillable(&self) -> Error {
        Error::Unkillable {
            command: self.command.clone(),
            pid: self.pid,
            waited: KILL_WAIT,
        }
    }

    /// Takes the program's stdin pipe (if it was piped and not taken yet).
    pub fn take_stdin(&self) -> Option<ChildStdin> {
        self.lock().child.as_mut()?.stdin.take()
    }

    /// Takes the program's stdout pipe (if it was piped and not taken yet).
    pub fn take_stdout(&self) -> Option<ChildStdout> {
        self.lock().child.as_mut()?.stdout.take()
    }

    /// Takes the program's stderr pipe (if it was piped and not taken yet).
    pub fn take_stderr(&self) -> Option<ChildStderr> {
        self.lock().child.as_mut()?.stderr.take()
    }

    /// Whether the program still needs ending: not reaped, not handed over.
    fn unfinished(&mut self) -> bool {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.exit.is_none() && state.child.is_some()
    }

    /// A handle that takes over the child from this one.
    fn heir(&mut self) -> Process {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        Process {
            leader: self.leader,
            pid: self.pid,
            command: std::mem::take(&mut self.command),
            grace: self.grace,
            pidfd: Arc::clone(&self.pidfd),
            state: Mutex::new(State {
                child: state.child.take(),
                exit: None,
            }),
            heir: true,
        }
    }

    /// Hands an unkillable child to a thread that reaps it when it goes.
    fn leave_to_reaper(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if state.exit.is_some() {
            return;
        }
        let Some(mut child) = state.child.take() else {
            return;
        };
        let reaper = std::thread::Builder::new()
            .name("ha-process-reaper".to_string())
            .spawn(move || {
                let _ = child.wait();
            });
        if let Err(e) = reaper {
            log::warn!("cannot reap {} (pid {}): {e}", self.command, self.pid);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.unfinished() {
            return;
        }
        if !self.heir && !self.grace.is_zero() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let mut heir = self.heir();
                heir.send_quietly(Signal::SIGTERM);
                runtime.spawn(async move {
                    if let Err(e) = heir.end(heir.grace, true).await {
                        log::warn!("{e}");
                        heir.leave_to_reaper();
                    }
                });
                return;
            }
        }
        if self.heir {
            // A runtime shutting down dropped the task ending it.
            self.grace = Duration::ZERO;
        }
        if let Err(e) = self.terminate_blocking() {
            log::warn!("{e}");
            self.leave_to_reaper();
        }
    }
}

/// A command line for messages: the program and its arguments joined by
/// spaces (not quoted), as [`Command`]'s `Display` writes it.
pub fn describe(cmd: &std::process::Command) -> String {
    join(cmd.get_program(), cmd.get_args())
}

pub(crate) fn join<'a>(program: &OsStr, args: impl Iterator<Item = &'a OsStr>) -> String {
    let mut line = program.to_string_lossy().into_owned();
    for arg in args {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

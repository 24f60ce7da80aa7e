//! [`Running`]: a [`Command`]'s program with its output readers and its
//! timeout, until it ends; [`Outcome`]: how the run went.

use std::fmt;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::unix::pipe;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::command::{Command, Output};
use crate::error::Error;
use crate::exit::Exit;
use crate::output::{feed, lock, Line, Reader, Sink, Stream};
use crate::process::Process;

/// How long the output is still read after the program ended, for the
/// pipes to close (they stay open while a process it left holds them).
const LINGER: Duration = Duration::from_millis(100);

/// How a run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// How the program ended.
    pub exit: Exit,
    /// Whether the timeout passed and its group was ended.
    pub timed_out: bool,
    /// From the start to the program's end (after the grace and SIGKILL
    /// when it timed out).
    pub duration: Duration,
    /// The last output lines of both streams, oldest first.
    pub tail: Vec<Line>,
    /// The whole stdout, when it was [captured](Output::Capture).
    pub stdout: Vec<u8>,
    /// The whole stderr, when it was [captured](Output::Capture).
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// Whether the program exited with code 0 before the timeout.
    pub fn success(&self) -> bool {
        !self.timed_out && self.exit.success()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timed_out {
            f.write_str("timed out, ")?;
        }
        write!(f, "{} after {:.1?}", self.exit, self.duration)
    }
}

/// A [`Command`]'s program while it runs: the [`Process`] (whose drop ends
/// the group), the tasks reading its output and its deadline.
#[derive(Debug)]
#[must_use = "dropping a Running ends the program's process group"]
pub struct Running {
    process: Process,
    started: Instant,
    timeout: Option<Duration>,
    sink: Arc<Mutex<Sink>>,
    readers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
}

impl Running {
    pub(crate) fn start(command: &Command) -> Result<Running, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime {
            command: command.to_string(),
        })?;
        let mut std_command = command.to_std()?;
        let started = Instant::now();
        let process = Process::spawn(&mut std_command)?.with_grace(command.grace);
        let mut running = Running {
            process,
            started,
            timeout: command.timeout,
            sink: Sink::new(command.keep_lines),
            readers: Vec::new(),
            writer: None,
        };
        let tag: Arc<str> = Arc::from(command.get_tag());
        let pipe_error = |process: &Process, source| Error::Process {
            action: "reading the output of".to_string(),
            command: process.command().to_string(),
            pid: process.pid(),
            source,
        };
        let streams = [
            (
                Stream::Stdout,
                command.stdout,
                running.process.take_stdout().map(OwnedFd::from),
            ),
            (
                Stream::Stderr,
                command.stderr,
                running.process.take_stderr().map(OwnedFd::from),
            ),
        ];
        for (stream, output, fd) in streams {
            let Some(fd) = fd else { continue };
            let pipe = pipe::Receiver::from_owned_fd(fd)
                .map_err(|source| pipe_error(&running.process, source))?;
            let reader = Reader {
                stream,
                tag: Arc::clone(&tag),
                level: command.level,
                capture: output == Output::Capture,
                sink: Arc::clone(&running.sink),
            };
            running.readers.push(runtime.spawn(reader.read(pipe)));
        }
        if let (Some(input), Some(fd)) = (
            &command.input,
            running.process.take_stdin().map(OwnedFd::from),
        ) {
            let pipe = pipe::Sender::from_owned_fd(fd)
                .map_err(|source| pipe_error(&running.process, source))?;
            running.writer = Some(runtime.spawn(feed(pipe, Arc::clone(input), tag)));
        }
        Ok(running)
    }

    /// The program's handle, to signal it while it runs.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// The program's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Waits for the program to end, or for the timeout to pass and its
    /// group to be ended, and reports how it went.
    pub async fn wait(mut self) -> Result<Outcome, Error> {
        let deadline = self
            .timeout
            .and_then(|timeout| self.started.checked_add(timeout));
        let (exit, timed_out) = match deadline {
            None => (self.process.wait().await?, false),
            Some(deadline) => match tokio::time::timeout_at(deadline, self.process.wait()).await {
                Ok(exit) => (exit?, false),
                Err(_) => (self.process.terminate().await?, true),
            },
        };
        let duration = self.started.elapsed();
        let until = Instant::now() + LINGER;
        for reader in &mut self.readers {
            // A reader still going is left to log what comes.
            let _ = tokio::time::timeout_at(until, reader).await;
        }
        let mut sink = lock(&self.sink);
        sink.closed = true;
        Ok(Outcome {
            exit,
            timed_out,
            duration,
            tail: sink.tail.drain(..).collect(),
            stdout: std::mem::take(&mut sink.stdout),
            stderr: std::mem::take(&mut sink.stderr),
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(writer) = &self.writer {
            writer.abort();
        }
    }
}

impl Command {
    /// Starts the program (inside a tokio runtime) and hands back the
    /// handle; its output is read by tasks of the runtime from now on.
    pub fn spawn(&self) -> Result<Running, Error> {
        Running::start(self)
    }

    /// Runs the program to completion (inside a tokio runtime). Dropping
    /// the future before it is done ends the program's group like a
    /// timeout, in the background.
    pub async fn run(&self) -> Result<Outcome, Error> {
        self.spawn()?.wait().await
    }

    /// [`Command::run`] for blocking code: the same run on a private
    /// current-thread runtime (on a thread of its own when called inside
    /// another runtime).
    pub fn run_blocking(&self) -> Result<Outcome, Error> {
        let run = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| Error::Runtime {
                    command: self.to_string(),
                    source,
                })?
                .block_on(self.run())
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return run();
        }
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .name("ha-process-run".to_string())
                .spawn_scoped(scope, run)
                .map_err(|source| Error::Runtime {
                    command: self.to_string(),
                    source,
                })?;
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

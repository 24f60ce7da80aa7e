//! [`Command`]: what to run and how. It starts with [`Command::spawn`],
//! runs to completion with [`Command::run`], or with
//! [`Command::run_blocking`] in code without a tokio runtime.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::process::{join, DEFAULT_GRACE};

/// How many of the last output lines an [`Outcome`](crate::Outcome) keeps, unless set.
pub const DEFAULT_KEEP_LINES: usize = 20;

/// Whom a program runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum User {
    /// A user of the system's user database: its uid and primary gid.
    Name(String),
    /// These ids.
    Id {
        /// The user id.
        uid: u32,
        /// The group id.
        gid: u32,
    },
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            User::Name(name) => f.write_str(name),
            User::Id { uid, gid } => write!(f, "{uid}:{gid}"),
        }
    }
}

/// What becomes of a program's stdout or stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    /// `/dev/null`.
    Discard,
    /// A pipe read line by line: each line logged with the tag, the last
    /// ones kept in the [`Outcome`].
    #[default]
    Log,
    /// As [`Output::Log`], and the whole stream kept in the [`Outcome`].
    Capture,
}

/// A program to run and how: built like `std::process::Command`, run by
/// [`Command::run`] (async), [`Command::run_blocking`] or
/// [`Command::spawn`].
///
/// Unless set: the caller's environment and working directory, the
/// caller's user, no timeout, a grace of [`DEFAULT_GRACE`], stdin from
/// `/dev/null`, stdout and stderr [logged](Output::Log) at `info` with the
/// command line as the tag, the last [`DEFAULT_KEEP_LINES`] lines kept.
///
/// Once the program has ended, its output is read for a moment longer
/// (until the pipes close, up to a tenth of a second); a process it left
/// running that still writes to them is logged but not kept.
#[derive(Debug, Clone)]
pub struct Command {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    /// Variables set (`Some`) or removed (`None`), in order.
    env: Vec<(OsString, Option<OsString>)>,
    env_clear: bool,
    dir: Option<PathBuf>,
    user: Option<User>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) grace: Duration,
    tag: Option<String>,
    pub(crate) keep_lines: usize,
    pub(crate) level: log::Level,
    pub(crate) input: Option<Arc<[u8]>>,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
}

impl Command {
    /// A command running `program` (looked up in `PATH` unless it holds a `/`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            program: program.as_ref().to_os_string(),
            args: Vec::new(),
            env: Vec::new(),
            env_clear: false,
            dir: None,
            user: None,
            timeout: None,
            grace: DEFAULT_GRACE,
            tag: None,
            keep_lines: DEFAULT_KEEP_LINES,
            level: log::Level::Info,
            input: None,
            stdout: Output::Log,
            stderr: Output::Log,
        }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// Starts from an empty environment (variables set before are dropped).
    pub fn env_clear(&mut self) -> &mut Command {
        self.env.clear();
        self.env_clear = true;
        self
    }

    /// Runs the program in `dir`.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Runs the program as `user` (which needs root). Supplementary groups
    /// are cleared, as keepalived's `script_user` does; `HOME` and the like
    /// are left to [`Command::env`].
    pub fn user(&mut self, user: User) -> &mut Command {
        self.user = Some(user);
        self
    }

    /// Ends the program's group if it runs longer than `timeout` (SIGTERM,
    /// the grace, SIGKILL); the [`Outcome`] then says `timed_out`.
    pub fn timeout(&mut self, timeout: Duration) -> &mut Command {
        self.timeout = Some(timeout);
        self
    }

    /// The time between SIGTERM and SIGKILL when the group is ended, on a
    /// timeout or a drop; zero sends SIGKILL at once.
    pub fn grace(&mut self, grace: Duration) -> &mut Command {
        self.grace = grace;
        self
    }

    /// The tag output lines are logged with, e.g. `IPaddr::10.0.0.5 start`
    /// (default: the command line).
    pub fn tag(&mut self, tag: impl Into<String>) -> &mut Command {
        self.tag = Some(tag.into());
        self
    }

    /// How many of the last output lines the [`Outcome`] keeps.
    pub fn keep_lines(&mut self, lines: usize) -> &mut Command {
        self.keep_lines = lines;
        self
    }

    /// The level output lines are logged at (default `info`).
    pub fn log_level(&mut self, level: log::Level) -> &mut Command {
        self.level = level;
        self
    }

    /// Feeds `input` to the program's stdin, then closes it (default:
    /// stdin is `/dev/null`).
    pub fn input(&mut self, input: impl AsRef<[u8]>) -> &mut Command {
        self.input = Some(Arc::from(input.as_ref()));
        self
    }

    /// What becomes of stdout.
    pub fn stdout(&mut self, output: Output) -> &mut Command {
        self.stdout = output;
        self
    }

    /// What becomes of stderr.
    pub fn stderr(&mut self, output: Output) -> &mut Command {
        self.stderr = output;
        self
    }

    /// The program, as given.
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// The tag output lines are logged with.
    pub fn get_tag(&self) -> String {
        self.tag.clone().unwrap_or_else(|| self.to_string())
    }

    /// The `std::process::Command` this describes (the process group is
    /// set by [`Process::spawn`](crate::Process::spawn)).
    pub(crate) fn to_std(&self) -> Result<std::process::Command, Error> {
        let mut cmd = std::process::Command::new(&self.program);
        cmd.args(&self.args);
        if self.env_clear {
            cmd.env_clear();
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        if let Some(user) = &self.user {
            let (uid, gid) = self.resolve(user)?;
            cmd.uid(uid).gid(gid);
        }
        let piped = |output: Output| match output {
            Output::Discard => Stdio::null(),
            Output::Log | Output::Capture => Stdio::piped(),
        };
        cmd.stdin(if self.input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(piped(self.stdout))
        .stderr(piped(self.stderr));
        Ok(cmd)
    }

    fn resolve(&self, user: &User) -> Result<(u32, u32), Error> {
        match user {
            User::Id { uid, gid } => Ok((*uid, *gid)),
            User::Name(name) => match nix::unistd::User::from_name(name) {
                Ok(Some(found)) => Ok((found.uid.as_raw(), found.gid.as_raw())),
                Ok(None) => Err(Error::UnknownUser {
                    command: self.to_string(),
                    user: name.clone(),
                }),
                Err(errno) => Err(Error::UserLookup {
                    command: self.to_string(),
                    user: name.clone(),
                    source: errno.into(),
                }),
            },
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join(
            &self.program,
            self.args.iter().map(OsString::as_os_str),
        ))
    }
}

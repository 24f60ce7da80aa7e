//! What can go wrong starting, watching or ending a program.

use std::io;
use std::time::Duration;

/// A failure of this crate; every variant names the command line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program could not be started (not found, not executable, a
    /// working directory that does not exist, ...).
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The error from fork or exec.
        source: io::Error,
    },
    /// The user to run the program as does not exist.
    #[error("cannot run `{command}`: no user named {user}")]
    UnknownUser {
        /// The command line.
        command: String,
        /// The user name.
        user: String,
    },
    /// Looking the user up failed.
    #[error("cannot run `{command}`: looking up user {user}: {source}")]
    UserLookup {
        /// The command line.
        command: String,
        /// The user name.
        user: String,
        /// The error from the user database.
        source: io::Error,
    },
    /// An async entry point was called outside a tokio runtime.
    #[error("cannot run `{command}`: not inside a tokio runtime")]
    NoRuntime {
        /// The command line.
        command: String,
    },
    /// The private runtime of a blocking run could not be built.
    #[error("cannot run `{command}`: starting a runtime: {source}")]
    Runtime {
        /// The command line.
        command: String,
        /// The error from the runtime builder.
        source: io::Error,
    },
    /// Watching, signalling, waiting for or reaping a started program failed.
    #[error("{action} `{command}` (pid {pid}): {source}")]
    Process {
        /// What was being done ("waiting for", "sending SIGTERM to", ...).
        action: String,
        /// The command line.
        command: String,
        /// Its process id.
        pid: u32,
        /// The underlying error.
        source: io::Error,
    },
    /// The program was still there a while after SIGKILL (stuck in the
    /// kernel); it is reaped in the background when it goes.
    #[error("`{command}` (pid {pid}) still there {waited:?} after SIGKILL")]
    Unkillable {
        /// The command line.
        command: String,
        /// Its process id.
        pid: u32,
        /// How long it was given after SIGKILL.
        waited: Duration,
    },
}

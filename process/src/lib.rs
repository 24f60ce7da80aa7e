//! The one process runner of the suite: every program a daemon or the lab
//! starts — health-check commands, fallback commands and callbacks, resource
//! agents, the lab's tools — runs through this crate.
//!
//! - [`Command`] says what to run and how: program, arguments, environment,
//!   user, working directory, a timeout and the grace period between SIGTERM
//!   and SIGKILL, what the program reads on stdin and what becomes of its
//!   stdout and stderr (discarded, logged line by line with a tag, or also
//!   captured whole).
//! - [`Command::run`] runs it to completion on tokio and returns an
//!   [`Outcome`]: the typed [`Exit`], whether the timeout ended it, how long
//!   it took, its last lines and any captured output.
//!   [`Command::run_blocking`] is the same run for code without a runtime.
//! - [`Process`] is the handle on a started program and the guard that
//!   makes sure it does not outlive its owner; [`Running`] adds the output
//!   readers and the timeout of a [`Command`].
//!
//! The rules, in the order they apply:
//!
//! 1. Every program leads a process group of its own (its pid is the group
//!    id), so that it and whatever it forks can be signalled at once.
//! 2. When the timeout passes, or when the handle (or the future of
//!    [`Command::run`], e.g. in a task that is cancelled) is dropped before
//!    the program ended, the group is ended: SIGTERM to the group, up to the
//!    grace period for the program to go, then SIGKILL to the group. With a
//!    zero grace, SIGKILL at once.
//! 3. The program is reaped only after the last signal to its group, so the
//!    group id cannot be given to another process group meanwhile.
//! 4. A program that ends on its own leaves the rest of its group alone:
//!    daemons it started keep running, as they would under a shell.
//! 5. No program keeps a realtime policy: a realtime thread made so by
//!    [`sched::set_fifo`] resets on fork, and [`Process::spawn`] resets the
//!    child of any other realtime thread before exec.
//! 6. Nothing polls in a loop: the kernel's pidfd of the program says when it
//!    ended, watched by tokio's reactor or, in blocking code, by `poll(2)`.
//!
//! The async entry points need a tokio runtime with I/O and timers enabled
//! (as `tokio::process` does).
//!
//! ```no_run
//! use std::time::Duration;
//! use ha_process::{Command, Output};
//! # async fn example() -> Result<(), ha_process::Error> {
//! let outcome = Command::new("/etc/ha.d/resource.d/IPaddr")
//!     .args(["10.0.0.5", "start"])
//!     .timeout(Duration::from_secs(20))
//!     .tag("IPaddr::10.0.0.5 start")
//!     .stderr(Output::Capture)
//!     .run()
//!     .await?;
//! if !outcome.success() {
//!     log::warn!("IPaddr start failed: {outcome}");
//! }
//! # Ok(()) }
//! ```

// The calls std and nix lack are in two modules, the only ones allowed
// unsafe code: `pidfd` (pidfd_open, and tokio's registration of its
// descriptor) and `sched` (sched_setscheduler and its kin, and the hook that
// resets a child's policy).
#![deny(unsafe_code)]

mod command;
mod error;
mod exit;
mod output;
mod pidfd;
mod process;
mod run;
pub mod sched;

pub use command::{Command, Output, User, DEFAULT_KEEP_LINES};
pub use error::Error;
pub use exit::Exit;
pub use nix::sys::signal::Signal;
pub use output::{Line, Stream};
pub use process::Process;
pub use process::{describe, DEFAULT_GRACE};
pub use run::{Outcome, Running};

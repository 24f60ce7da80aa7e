//! Becoming a daemon as ldirectord does (fork, setsid, fork again, `/` as
//! working directory, standard streams on /dev/null), with one addition:
//! the first process waits until the daemon says it is up — or why it
//! could not start — over a pipe, so `ldirectord start` exits 0 only for a
//! director that runs, and 1 with the reason otherwise.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use nix::sys::wait::waitpid;
use nix::unistd::{fork, setsid, ForkResult};

/// What the daemon reports through the pipe.
pub struct Notifier {
    pipe: Option<File>,
}

impl Notifier {
    /// Tells the waiting process the outcome (once).
    pub fn notify(&mut self, outcome: Result<(), String>) {
        if let Some(mut pipe) = self.pipe.take() {
            let text = match outcome {
                Ok(()) => "ok\n".to_string(),
                Err(message) => format!("error {message}\n"),
            };
            let _ = pipe.write_all(text.as_bytes());
        }
    }
}

/// Which process this is after [`daemonize`].
pub enum Role {
    /// The caller, after the daemon said it is up (`Ok`) or why not (`Err`).
    Parent(Result<(), String>),
    /// The daemon, to notify when up.
    Daemon(Notifier),
}

fn to_dev_null() -> std::io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    Ok(())
}

/// Forks into a daemon. Must be called while the process has one thread
/// (before any runtime starts).
pub fn daemonize() -> Result<Role, String> {
    let (read_end, write_end): (OwnedFd, OwnedFd) =
        // Close-on-exec: commands the daemon runs must not hold it open.
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| format!("cannot create a pipe: {e}"))?;
    // SAFETY: the process is single-threaded here (no runtime, no worker
    // thread yet), so the child may run ordinary code after fork.
    match unsafe { fork() }.map_err(|e| format!("cannot fork: {e}"))? {
        ForkResult::Parent { child } => {
            drop(write_end);
            let _ = waitpid(child, None);
            let mut text = String::new();
            let _ = File::from(read_end).read_to_string(&mut text);
            let outcome = match text.lines().next() {
                Some("ok") => Ok(()),
                Some(line) => Err(line.strip_prefix("error ").unwrap_or(line).to_string()),
                None => Err("the daemon ended before it was up".to_string()),
            };
            Ok(Role::Parent(outcome))
        }
        ForkResult::Child => {
            drop(read_end);
            let _ = setsid();
            // SAFETY: still single-threaded, as above.
            match unsafe { fork() } {
                Ok(ForkResult::Parent { .. }) => std::process::exit(0),
                Ok(ForkResult::Child) => {}
                Err(e) => {
                    let mut notifier = Notifier {
                        pipe: Some(File::from(write_end)),
                    };
                    notifier.notify(Err(format!("cannot fork: {e}")));
                    std::process::exit(1);
                }
            }
            let _ = std::env::set_current_dir("/");
            let mut notifier = Notifier {
                pipe: Some(File::from(write_end)),
            };
            if let Err(e) = to_dev_null() {
                notifier.notify(Err(format!("cannot open /dev/null: {e}")));
                std::process::exit(1);
            }
            Ok(Role::Daemon(notifier))
        }
    }
}

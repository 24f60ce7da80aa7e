//! Programs that run for as long as the daemon does: started with it,
//! restarted when they exit, stopped with it — heartbeat's `respawn`
//! clients.
//!
//! Each program is supervised by a tokio task of its own, so nothing
//! waits on it. The rules are heartbeat 3.0.6's (`ManagedChildDied` and
//! `start_a_child_client` in heartbeat.c), written once in
//! [`RespawnPolicy`]:
//!
//! 1. A program that exits with code 100 is not restarted.
//! 2. Any other end (another code, a signal) restarts it. A run shorter
//!    than [`SHORT_RUN`] (30 s) is short; the restart after a short run
//!    waits [`SHORT_RUN_DELAY`] (1 s), after a longer one it is immediate.
//! 3. The [`MAX_SHORT_RUNS`] + 1-th short run in a row (the 11th) means the
//!    program is respawning too fast: it is given up, with an error line,
//!    and not started again while the daemon runs. A run of 30 s or more
//!    starts the count again.
//! 4. A program that cannot be started (not executable, unknown user) is
//!    given up at once, as heartbeat gives up a client it cannot exec.
//! 5. On [`Supervisor::stop`] every program's process group gets SIGTERM,
//!    then SIGKILL after the program's grace
//!    ([`Command::grace`](ha_process::Command::grace)); nothing is
//!    restarted from then on. heartbeat signals its clients one at a time,
//!    last first, and waits for each; here they are signalled at once, so
//!    one slow to go does not hold the others up.
//!
//! The programs run through ha-process: each leads a process group of its
//! own, its output is logged line by line with the program's tag.

use std::sync::Arc;
use std::time::Duration;

use ha_process::{Command, Exit};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A run shorter than this is short (heartbeat: 30 s).
pub const SHORT_RUN: Duration = Duration::from_secs(30);

/// How long a restart after a short run waits (heartbeat: `sleep(1)`).
pub const SHORT_RUN_DELAY: Duration = Duration::from_secs(1);

/// Short runs in a row that are still restarted; one more gives the
/// program up (heartbeat: `shortrcount > 10`).
pub const MAX_SHORT_RUNS: u32 = 10;

/// The exit code that asks not to be restarted.
pub const NO_RESPAWN_CODE: i32 = 100;

/// What to do after a program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Start it again after this delay.
    Restart {
        /// Zero after a long run, [`SHORT_RUN_DELAY`] after a short one.
        after: Duration,
    },
    /// It exited with [`NO_RESPAWN_CODE`]: leave it.
    Exited100,
    /// Too many short runs in a row: give it up.
    TooFast,
}

/// heartbeat's restart rule for one program (see the module's doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RespawnPolicy {
    /// Short runs in a row so far.
    short_runs: u32,
}

impl RespawnPolicy {
    /// The decision after a run that lasted `ran` and ended with `exit`.
    pub fn after_exit(&mut self, exit: Exit, ran: Duration) -> Next {
        if exit == Exit::Code(NO_RESPAWN_CODE) {
            return Next::Exited100;
        }
        if ran < SHORT_RUN {
            self.short_runs += 1;
        } else {
            self.short_runs = 0;
        }
        if self.short_runs > MAX_SHORT_RUNS {
            return Next::TooFast;
        }
        let after = if self.short_runs > 0 {
            SHORT_RUN_DELAY
        } else {
            Duration::ZERO
        };
        Next::Restart { after }
    }
}

/// One program to keep running.
#[derive(Debug, Clone)]
pub struct Program {
    /// Its name in log lines (the program's file name).
    pub name: String,
    /// How to run it: program, arguments, user, grace, output tag.
    pub command: Command,
}

/// The supervised programs; [`Supervisor::stop`] ends them.
#[derive(Debug)]
pub struct Supervisor {
    stop: StopHandle,
    tasks: Vec<JoinHandle<()>>,
}

/// Tells every program of a [`Supervisor`] to stop, from anywhere.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<watch::Sender<bool>>);

impl StopHandle {
    /// Stops restarting and ends every program's group (TERM, grace,
    /// KILL). Returns at once; [`Supervisor::stop`] waits.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Supervisor {
    /// Starts every program, each supervised by a task of the current
    /// tokio runtime.
    pub fn start(programs: Vec<Program>) -> Supervisor {
        let (stop, stopped) = watch::channel(false);
        let tasks = programs
            .into_iter()
            .map(|program| tokio::spawn(supervise(program, stopped.clone())))
            .collect();
        Supervisor {
            stop: StopHandle(Arc::new(stop)),
            tasks,
        }
    }

    /// A handle that stops the programs without waiting.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops every program and waits until each is gone.
    pub async fn stop(self) {
        self.stop.stop();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Resolves once a stop is asked for (or nobody can ask any more).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// How one run ended.
enum RunEnd {
    /// On its own.
    Exited(Result<Exit, ha_process::Error>),
    /// A stop was asked for.
    Stop,
}

/// Keeps one program running until a stop, an exit 100 or too many
/// short runs.
async fn supervise(program: Program, mut stop: watch::Receiver<bool>) {
    let name = &program.name;
    let mut policy = RespawnPolicy::default();
    let mut delay = Duration::ZERO;
    loop {
        if !delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stopped(&mut stop) => return,
            }
        }
        if *stop.borrow() {
            return;
        }
        let running = match program.command.spawn() {
            Ok(running) => running,
            Err(error) => {
                log::error!("respawn {name}: cannot start: {error}; not respawned");
                return;
            }
        };
        let pid = running.pid();
        log::info!("respawn {name}: started ({}), pid {pid}", program.command);
        let started = Instant::now();
        let end = tokio::select! {
            exit = running.process().wait() => RunEnd::Exited(exit),
            () = stopped(&mut stop) => RunEnd::Stop,
        };
        let exit = match end {
            RunEnd::Stop => {
                match running.process().terminate().await {
                    Ok(exit) => log::info!("respawn {name}: stopped (pid {pid}, {exit})"),
                    Err(error) => log::warn!("respawn {name}: stopping: {error}"),
                }
                let _ = running.wait().await;
                return;
            }
            RunEnd::Exited(exit) => exit,
        };
        let ran = started.elapsed();
        // The rest of its output, read for a moment more.
        let _ = running.wait().await;
        let exit = match exit {
            Ok(exit) => exit,
            Err(error) => {
                log::error!("respawn {name}: {error}; not respawned");
                return;
            }
        };
        let ran_for = format!("{exit} after {:.1} s", ran.as_secs_f64());
        delay = match policy.after_exit(exit, ran) {
            Next::Restart { after } => {
                if after.is_zero() {
                    log::warn!("respawn {name}: {ran_for}; restarting it");
                } else {
                    log::warn!(
                        "respawn {name}: {ran_for}; restarting it in {} s",
                        after.as_secs()
                    );
                }
                after
            }
            Next::Exited100 => {
                log::info!("respawn {name}: {ran_for}, which asks not to be restarted");
                return;
            }
            Next::TooFast => {
                log::error!(
                    "respawn {name}: {ran_for}: respawning too fast ({} runs in a row \
                     shorter than {} s); not restarted again",
                    MAX_SHORT_RUNS + 1,
                    SHORT_RUN.as_secs()
                );
                return;
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_secs(1);
    const LONG: Duration = Duration::from_secs(30);

    #[test]
    fn exit_100_is_never_restarted() {
        let mut policy = RespawnPolicy::default();
        assert_eq!(policy.after_exit(Exit::Code(100), LONG), Next::Exited100);
        assert_eq!(policy.after_exit(Exit::Code(100), SHORT), Next::Exited100);
    }

    #[test]
    fn a_long_run_restarts_at_once_a_short_one_after_a_second() {
        let mut policy = RespawnPolicy::default();
        let now = Next::Restart {
            after: Duration::ZERO,
        };
        let later = Next::Restart {
            after: SHORT_RUN_DELAY,
        };
        assert_eq!(policy.after_exit(Exit::Code(1), LONG), now);
        assert_eq!(policy.after_exit(Exit::Signal(9), SHORT), later);
        assert_eq!(policy.after_exit(Exit::Code(0), SHORT), later);
        assert_eq!(policy.after_exit(Exit::Code(0), LONG), now);
    }

    #[test]
    fn the_eleventh_short_run_in_a_row_gives_up() {
        let mut policy = RespawnPolicy::default();
        for _ in 0..MAX_SHORT_RUNS {
            assert!(matches!(
                policy.after_exit(Exit::Signal(15), SHORT),
                Next::Restart { .. }
            ));
        }
        assert_eq!(policy.after_exit(Exit::Signal(15), SHORT), Next::TooFast);
    }

    #[test]
    fn a_long_run_starts_the_count_again() {
        let mut policy = RespawnPolicy::default();
        for _ in 0..MAX_SHORT_RUNS {
            policy.after_exit(Exit::Code(1), SHORT);
        }
        policy.after_exit(Exit::Code(1), LONG);
        for _ in 0..MAX_SHORT_RUNS {
            assert!(matches!(
                policy.after_exit(Exit::Code(1), SHORT),
                Next::Restart { .. }
            ));
        }
    }

    fn pid_in(path: &std::path::Path) -> Option<i32> {
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    }

    async fn wait_for(what: impl Fn() -> bool) -> bool {
        for _ in 0..500 {
            if what() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    fn alive(pid: i32) -> bool {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
    }

    fn program(name: &str, script: &str) -> Program {
        let mut command = Command::new("/bin/sh");
        command
            .args(["-c", script])
            .tag(name)
            .grace(Duration::from_millis(200));
        Program {
            name: name.to_string(),
            command,
        }
    }

    #[tokio::test]
    async fn a_killed_program_is_restarted_one_exiting_100_is_not_and_stop_ends_them() {
        let dir = std::env::temp_dir().join(format!("ha-respawn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("pid");
        let runs = dir.join("runs");
        let supervisor = Supervisor::start(vec![
            program(
                "sleeper",
                &format!("echo $$ > {}; exec sleep 1000", pid_file.display()),
            ),
            program(
                "quitter",
                &format!("echo run >> {}; exit 100", runs.display()),
            ),
        ]);
        assert!(wait_for(|| pid_in(&pid_file).is_some()).await);
        let first = pid_in(&pid_file).unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(first),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        assert!(
            wait_for(|| pid_in(&pid_file).is_some_and(|pid| pid != first)).await,
            "restarted"
        );
        let second = pid_in(&pid_file).unwrap();
        assert!(alive(second));
        supervisor.stop().await;
        assert!(!alive(second), "stopped with the supervisor");
        assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Starting the director: in the foreground (`lvs-director run`,
//! `ldirectord -d start`) or as a daemon (`ldirectord start`), with its pid
//! file written once it runs and removed when it ends.

use std::path::PathBuf;
use std::process::ExitCode;

use ha_daemon::runtime;

use crate::director::{self, loaded::Loaded, Ready, RunOptions};
use crate::ldirectord::daemon::{daemonize, Role};
use crate::ldirectord::pidfile;

fn run(options: RunOptions, loaded: Loaded, pid_file: Option<PathBuf>, ready: Ready) -> ExitCode {
    let result = runtime::run_daemon(director::run(options, loaded, ready))
        .map_err(|e| e.to_string())
        .and_then(|outcome| outcome);
    if let Some(path) = &pid_file {
        pidfile::remove_own(path);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error}");
            ExitCode::from(1)
        }
    }
}

/// Runs the director in this process until it is told to stop.
pub fn foreground(options: RunOptions, loaded: Loaded, pid_file: Option<PathBuf>) -> ExitCode {
    if let Some(path) = &pid_file {
        if let Err(e) = pidfile::write(path) {
            return runtime::fail(
                "lvs-director",
                format!("cannot write {}: {e}", path.display()),
            );
        }
    }
    run(options, loaded, pid_file, Box::new(|_| {}))
}

/// Starts the director as a daemon; returns 0 once it is up, 1 with the
/// reason if it could not start.
pub fn daemon(options: RunOptions, loaded: Loaded, pid_file: PathBuf) -> ExitCode {
    match daemonize() {
        Err(error) => runtime::fail("ldirectord", error),
        Ok(Role::Parent(Ok(()))) => ExitCode::SUCCESS,
        Ok(Role::Parent(Err(error))) => runtime::fail("ldirectord", error),
        Ok(Role::Daemon(mut notifier)) => {
            if let Err(e) = pidfile::write(&pid_file) {
                notifier.notify(Err(format!("cannot write {}: {e}", pid_file.display())));
                return ExitCode::from(1);
            }
            let written = pid_file.clone();
            let ready: Ready = Box::new(move |outcome| {
                // No pid file may outlive a start that failed.
                if outcome.is_err() {
                    pidfile::remove_own(&written);
                }
                notifier.notify(outcome);
            });
            run(options, loaded, Some(pid_file), ready)
        }
    }
}

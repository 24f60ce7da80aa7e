//! ldirectord's own invocation, so that heartbeat's haresources line
//! (`... ldirectord` or `ldirectord::ldirectord.cf`) works through a
//! symlink named `ldirectord`: `ldirectord [-d] [-h] [-v] [configfile]
//! start|stop|restart|try-restart|reload|force-reload|status`.
//!
//! As ldirectord: a configuration name is looked for in /etc/ha.d, then
//! /etc/ha.d/conf, then as given (default `ldirectord.cf`); the pid file is
//! /var/run/ldirectord.NAME.pid, NAME being the configuration's file name
//! (`ldirectord` when none was given); `start` daemonizes unless `-d`.
//! Exit statuses are LSB's: `status` 0 running, 1 dead with a pid file,
//! 3 stopped; `reload` of a stopped director 7; `start` of a running one 0;
//! `stop` of a stopped one 0; a bad command line 2; a configuration that
//! cannot be found or loaded 1 (with every error as FILE:LINE).
//!
//! - [`args`]: the command line.
//! - [`pidfile`]: the pid file.
//! - [`daemon`]: becoming a daemon.

pub mod args;
pub mod daemon;
pub mod pidfile;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cli::{DEFAULT_SOCKET, DEFAULT_STATE_DIR};
use crate::director::{loaded, RunOptions};
use crate::launch;
use args::{ActionArgs, Invocation, Verb, USAGE};
use pidfile::PidState;

/// The configuration ldirectord reads when none is named.
const DEFAULT_CONFIG_NAME: &str = "ldirectord.cf";

/// How long `stop` waits for the director to end.
const STOP_WAIT: Duration = Duration::from_secs(60);

/// Where ldirectord finds a configuration named `name`.
fn locate(name: &str) -> Option<PathBuf> {
    [
        Path::new("/etc/ha.d").join(name),
        Path::new("/etc/ha.d/conf").join(name),
        PathBuf::from(name),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The control socket of a configuration named `name`.
fn default_socket(name: &str) -> PathBuf {
    if name == "ldirectord" || name == DEFAULT_CONFIG_NAME {
        PathBuf::from(DEFAULT_SOCKET)
    } else {
        PathBuf::from(format!("/run/lvs-director.{name}.sock"))
    }
}

/// Runs ldirectord's command line `args` (without the program name).
pub fn main(args: &[String]) -> ExitCode {
    match args::parse(args) {
        Ok(Invocation::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Invocation::Version) => {
            println!(
                "lvs-director {} (ldirectord 4.12 compatible)",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        Ok(Invocation::Action(action)) => act(action),
        Err(error) => {
            eprintln!("ldirectord: {error}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Sends SIGTERM to `pid` and waits until it is gone.
fn terminate(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), Signal::SIGTERM).is_err() {
        return !pidfile::alive(pid);
    }
    let deadline = Instant::now() + STOP_WAIT;
    while Instant::now() < deadline {
        if !pidfile::alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn act(action: ActionArgs) -> ExitCode {
    let Some(verb) = action.verb else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let given = action.config.clone();
    let config_arg = given
        .clone()
        .unwrap_or_else(|| DEFAULT_CONFIG_NAME.to_string());
    let name = match &given {
        Some(c) => loaded::config_name(Path::new(c)),
        None => "ldirectord".to_string(),
    };
    let config = locate(&config_arg);
    let shown = config
        .as_ref()
        .map_or_else(|| config_arg.clone(), |p| p.display().to_string());
    let pid_file = action
        .pid_file
        .clone()
        .unwrap_or_else(|| pidfile::default_path(&name));
    let state = pidfile::state(&pid_file);
    match verb {
        Verb::Status => match state {
            PidState::Running(pid) => {
                eprintln!("ldirectord for {shown} is running with pid: {pid}");
                ExitCode::SUCCESS
            }
            PidState::Stale(_) => {
                eprintln!(
                    "ldirectord stale pid file {} for {shown}",
                    pid_file.display()
                );
                println!("ldirectord is stopped for {shown}");
                ExitCode::from(1)
            }
            PidState::Absent => {
                println!("ldirectord is stopped for {shown}");
                ExitCode::from(3)
            }
        },
        Verb::Stop => match state {
            PidState::Running(pid) if !terminate(pid) => {
                eprintln!("ldirectord for {shown} (pid {pid}) did not stop");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        },
        Verb::Reload | Verb::ForceReload => match state {
            PidState::Running(pid) => match kill(Pid::from_raw(pid), Signal::SIGHUP) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ldirectord: cannot signal pid {pid}: {e}");
                    ExitCode::from(1)
                }
            },
            _ => {
                println!("ldirectord is stopped for {shown}");
                ExitCode::from(7)
            }
        },
        Verb::TryRestart if !matches!(state, PidState::Running(_)) => ExitCode::SUCCESS,
        Verb::Start if matches!(state, PidState::Running(_)) => ExitCode::SUCCESS,
        Verb::Start | Verb::Restart | Verb::TryRestart => {
            if let PidState::Running(pid) = state {
                if !terminate(pid) {
                    eprintln!("ldirectord for {shown} (pid {pid}) did not stop");
                    return ExitCode::from(1);
                }
            }
            start(&action, config, &config_arg, &name, pid_file)
        }
    }
}

fn start(
    action: &ActionArgs,
    config: Option<PathBuf>,
    config_arg: &str,
    name: &str,
    pid_file: PathBuf,
) -> ExitCode {
    let Some(config) = config else {
        eprintln!("Config file {config_arg} not found");
        return ExitCode::from(1);
    };
    let loaded = match loaded::load(&config) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for error in errors.errors() {
                eprintln!("{error}");
            }
            return ExitCode::from(1);
        }
    };
    let options = RunOptions {
        config,
        state_dir: action
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR)),
        socket: action
            .socket
            .clone()
            .unwrap_or_else(|| default_socket(name)),
        stderr_log: action.debug,
        debug: action.debug,
        notifier: ha_daemon::notify::Notifier::from_env(),
        // ldirectord's command line has no such option.
        metrics_listen: None,
    };
    if action.debug {
        launch::foreground(options, loaded, None)
    } else {
        launch::daemon(options, loaded, pid_file)
    }
}

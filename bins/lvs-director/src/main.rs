//! `lvs-director`: the LVS director, ldirectord's successor.
//!
//! - [`cli`]: the subcommands — `run`, `check-config`, `status`, `reload`,
//!   `realserver`.
//! - [`director`]: the director itself: checks, reconciliation, reloads.
//! - [`launch`]: running it in the foreground or as a daemon.
//! - [`ldirectord`]: ldirectord's own command line (`[CONFIG]
//!   start|stop|restart|reload|status`), also when installed or linked
//!   under the name `ldirectord`.
//! - [`control`]: the control socket behind `status` and `reload`.
//! - [`logging`]: logfile, syslog, stderr.
//! - [`realserver`]: an LVS-DR real server's own setup.
//! - [`ipvs_command`]: `lvs-director ipvs ARGS…`, ipvsadm 1.31's command
//!   line over the project's IPVS binding (the binary behaves as ipvsadm,
//!   ipvsadm-save and ipvsadm-restore when installed or linked under
//!   those names).
//!
//! The daemon plumbing under these (logger, control socket, runtime) is
//! ha-daemon's.

mod cli;
mod control;
mod director;
mod ipvs_command;
mod launch;
mod ldirectord;
mod logging;
mod realserver;

use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, RealServerAction};
use director::{loaded, RunOptions};
use ha_daemon::control::print_report;
use ha_daemon::runtime;

/// The subcommands' names, which ldirectord's invocation never starts with.
const SUBCOMMANDS: &[&str] = &[
    "run",
    "check-config",
    "status",
    "reload",
    "realserver",
    "ipvs",
    "help",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = args
        .first()
        .cloned()
        .unwrap_or_else(|| "lvs-director".into());
    let invoked_as = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest = args.get(1..).unwrap_or_default();
    if let Some(ipvs_program) = ipvs_command::Program::named(&invoked_as) {
        return ipvs_command::run(ipvs_program, args);
    }
    if rest.first().map(String::as_str) == Some("ipvs") {
        let ipvs_args: Vec<String> = std::iter::once(format!("{program} ipvs"))
            .chain(rest.iter().skip(1).cloned())
            .collect();
        return ipvs_command::run(ipvs_command::Program::Ipvsadm, ipvs_args);
    }
    logging::init();
    if invoked_as == "ldirectord" || ldirectord::args::is_ldirectord_invocation(rest, SUBCOMMANDS) {
        return ldirectord::main(rest);
    }
    match Cli::parse_from(&args).command {
        Command::Run {
            config,
            state_dir,
            socket,
            pid_file,
            debug,
        } => match loaded::load(&config) {
            Ok(loaded) => {
                let options = RunOptions {
                    config,
                    state_dir,
                    socket,
                    stderr_log: true,
                    debug,
                };
                launch::foreground(options, loaded, pid_file)
            }
            Err(errors) => config_errors(&errors),
        },
        Command::CheckConfig { config } => match loaded::load(&config) {
            Ok(loaded) => {
                println!(
                    "{}: configuration OK ({} virtual services, {} real servers)",
                    config.display(),
                    loaded.spec.virtuals().len(),
                    loaded.jobs.len()
                );
                ExitCode::SUCCESS
            }
            Err(errors) => config_errors(&errors),
        },
        Command::Status { json, socket } => status(json, &socket),
        Command::Reload { socket } => reload(&socket),
        Command::Realserver {
            action,
            vips,
            state_dir,
        } => realserver_command(action, &vips, &state_dir),
    }
}

/// Prints every error as FILE:LINE: message; exit status 1.
fn config_errors(errors: &ha_conf::ConfigErrors) -> ExitCode {
    for error in errors.errors() {
        eprintln!("{error}");
    }
    ExitCode::from(1)
}

/// `lvs-director status`: 0 with the report, 3 when no director runs,
/// 4 (LSB's "unknown") when the answer makes no sense.
fn status(json: bool, socket: &Path) -> ExitCode {
    match control::ask(socket, "status") {
        Ok(value) => match serde_json::from_value::<control::StatusReport>(value) {
            Ok(report) => {
                print_report(&report, json);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "lvs-director: unexpected status from {}: {e}",
                    socket.display()
                );
                ExitCode::from(4)
            }
        },
        Err(e) if e.not_running() => {
            println!("lvs-director is not running ({e})");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("lvs-director: {e}");
            ExitCode::from(4)
        }
    }
}

/// `lvs-director reload`: 0 reloaded, 1 the file has errors (printed), 7
/// no director runs.
fn reload(socket: &Path) -> ExitCode {
    match control::ask(socket, "reload").map(serde_json::from_value::<control::ReloadReport>) {
        Ok(Ok(report)) if report.reloaded => {
            println!("configuration reloaded");
            ExitCode::SUCCESS
        }
        Ok(Ok(report)) => {
            for error in &report.errors {
                eprintln!("{error}");
            }
            fail("not reloaded: the running configuration stays in force")
        }
        Ok(Err(e)) => fail(format!("unexpected answer from {}: {e}", socket.display())),
        Err(e) if e.not_running() => {
            println!("lvs-director is not running ({e})");
            ExitCode::from(7)
        }
        Err(e) => fail(e),
    }
}

/// `lvs-director realserver ...`.
fn realserver_command(action: RealServerAction, vips: &[IpAddr], state_dir: &Path) -> ExitCode {
    let action = match action {
        RealServerAction::Start => realserver::Action::Start,
        RealServerAction::Stop => realserver::Action::Stop,
        RealServerAction::Status => realserver::Action::Status,
    };
    match realserver::run(action, vips, state_dir) {
        Ok(status) => match action {
            realserver::Action::Start => {
                println!("LVS-DR real server started");
                ExitCode::SUCCESS
            }
            realserver::Action::Stop => {
                println!("LVS-DR real server stopped");
                ExitCode::SUCCESS
            }
            realserver::Action::Status if status.running() => {
                println!("LVS-DR real server is running");
                ExitCode::SUCCESS
            }
            realserver::Action::Status => {
                let missing: Vec<String> = status.missing.iter().map(|a| a.to_string()).collect();
                let mut why = Vec::new();
                if !missing.is_empty() {
                    why.push(format!("not on lo: {}", missing.join(" ")));
                }
                if !status.arp_set {
                    why.push("ARP settings not in place".to_string());
                }
                println!("LVS-DR real server is stopped ({})", why.join("; "));
                ExitCode::from(3)
            }
        },
        Err(error) => fail(format!("realserver: {error}")),
    }
}

/// `lvs-director: ERROR` on stderr; exit status 1.
fn fail(error: impl std::fmt::Display) -> ExitCode {
    runtime::fail("lvs-director", error)
}

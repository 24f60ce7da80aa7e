//! `ha-node`: a heartbeat cluster node.
//!
//! - [`cli`]: the command line.
//! - [`node_config`]: ha.cf + authkeys + haresources, loaded and checked together.
//! - [`run`]: the node itself: media, resource groups, the membership driver,
//!   the respawned programs and the watchdog.
//! - [`clients`]: ha.cf's respawn, apiauth and watchdog on this host.
//! - [`fencing`]: ha.cf's STONITH device, checked and run before a takeover.
//! - [`groups`]: resource groups as the driver starts and stops them.
//! - [`control`]: the control socket and `ha-node status`, which opens
//!   with a crm_mon-like [`summary`].
//! - [`metrics`]: `/metrics` with `--metrics-listen`.
//! - [`operator`]: `standby`, `takeover` and `cl_status`, heartbeat's
//!   operator commands, also run through links named `hb_standby`,
//!   `hb_takeover` and `cl_status`; [`cl_status`] answers as heartbeat's
//!   cl_status.
//! - [`service`]: readiness, status and the watchdog for a service
//!   manager (systemd's sd_notify).
//! - [`vrrp`]: `ha-node vrrp run | check-config | status`, keepalived's
//!   VRRP from keepalived.conf; [`keepalived`]: keepalived's command
//!   line, when run through a link named `keepalived`.
//! - [`logging`]: logfile, debugfile, logfacility.
//! - [`export`]: `ha-node export pacemaker`, the configuration carried
//!   over to Pacemaker.
//! - `demo` (with the `demo` feature only): a two-node failover
//!   demonstration in network namespaces, on the test bed.
//!
//! The daemon plumbing under these (logger, control socket, runtime) is
//! ha-daemon's.

#![forbid(unsafe_code)]

mod agent_check;
mod cl_status;
mod cli;
mod clients;
mod control;
#[cfg(feature = "demo")]
mod demo;
mod export;
mod failed_stop;
mod fencing;
mod groups;
mod keepalived;
mod logging;
mod metrics;
mod node_config;
mod operator;
mod run;
mod service;
mod summary;
mod vrrp;

use std::path::Path;

use ha_membership::driver::HandoverCommand;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};
use ha_daemon::control::print_report;
use ha_daemon::runtime;
use ha_resources::Resolver;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = args.first().cloned().unwrap_or_default();
    let invoked_as = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest = args.get(1..).unwrap_or_default();
    match invoked_as.as_str() {
        "cl_status" => return operator::cl_status(rest, &operator::socket_from_env()),
        "hb_standby" => return operator::script(&program, HandoverCommand::Standby, rest),
        "hb_takeover" => return operator::script(&program, HandoverCommand::Takeover, rest),
        "keepalived" => {
            logging::init();
            return keepalived::main(rest);
        }
        _ => {}
    }
    logging::init();
    match Cli::parse_from(&args).command {
        Command::CheckConfig {
            config_dir,
            node,
            dirs,
        } => check_config(&config_dir, node, &dirs.resolver(&config_dir)),
        Command::Run {
            config_dir,
            node,
            dirs,
            state_dir,
            socket,
            failed_stop_command,
            metrics_listen,
        } => {
            // Read (and removed from the environment) before any thread runs.
            let notifier = ha_daemon::notify::Notifier::from_env();
            let resolver = dirs.resolver(&config_dir);
            let failed_stop = match failed_stop::FailedStop::new(&failed_stop_command) {
                Ok(failed_stop) => failed_stop,
                Err(error) => return fail(error),
            };
            let options = run::RunOptions {
                config_dir,
                node: String::new(),
                resolver,
                state_dir,
                socket,
                failed_stop,
                notifier,
                metrics_listen,
            };
            run_node(node, options)
        }
        Command::Status { json, socket } => status(json, &socket),
        Command::Standby { which, socket } => {
            operator::handover(HandoverCommand::Standby, which, &socket)
        }
        Command::Takeover { which, socket } => {
            operator::handover(HandoverCommand::Takeover, which, &socket)
        }
        Command::Resource {
            action: cli::ResourceCommand::Cleanup { name, socket },
        } => operator::cleanup(&name, &socket),
        Command::ClStatus { socket, args } => operator::cl_status(&args, &socket),
        Command::Vrrp { action } => match action {
            cli::VrrpCommand::Run {
                config,
                pid_file,
                socket,
            } => vrrp::run(vrrp::RunOptions {
                config,
                pid_files: pid_file.into_iter().collect(),
                socket,
            }),
            cli::VrrpCommand::CheckConfig { config } => vrrp::check_config(&config, 1),
            cli::VrrpCommand::Status { json, socket } => vrrp::status(json, &socket),
        },
        Command::Demo => demo(),
        Command::GenerateDocs { out } => generate_docs(&out),
        Command::Export { format } => export::run(format),
    }
}

/// `ha-node generate-docs --out DIR`: the manual pages and completions.
fn generate_docs(out: &Path) -> ExitCode {
    use clap::CommandFactory;
    match ha_daemon::docs::write(Cli::command(), out) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => fail(format!("cannot write into {}: {error}", out.display())),
    }
}

/// `ha-node demo`, in a build with the test bed.
#[cfg(feature = "demo")]
fn demo() -> ExitCode {
    match demo::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

/// `ha-node demo` in a production build: says how to get it.
#[cfg(not(feature = "demo"))]
fn demo() -> ExitCode {
    fail(
        "this ha-node is built without the demo (it needs the test bed); run \
         `cargo run --release -p ha-node --features demo -- demo`"
            .to_string(),
    )
}

/// `ha-node check-config`: how each resource will run (`FILE:LINE: WORD:
/// how`; each OCF agent asked for its meta-data and to validate-all), each respawn program and the watchdog (`FILE:LINE: respawn NAME:
/// how`) and OK on stdout, each warning as FILE:LINE: warning: on stderr,
/// and 0; or each error as FILE:LINE on stderr and 1.
fn check_config(dir: &Path, node: Option<String>, resolver: &Resolver) -> ExitCode {
    let node = match node.map_or_else(node_config::local_node_name, Ok) {
        Ok(node) => node,
        Err(error) => return fail(error),
    };
    match node_config::load(dir, &node, resolver) {
        Ok(config) => {
            let (errors, agent_warnings) = agent_check::check(&config.resolved);
            for warning in config.warnings.iter().chain(&agent_warnings) {
                eprintln!("{warning}");
            }
            if !errors.is_empty() {
                for error in &errors {
                    eprintln!("{error}");
                }
                return ExitCode::from(1);
            }
            for group in &config.resolved {
                for (resource, how) in group.resources() {
                    println!(
                        "{}: {}: {}",
                        resource.location,
                        resource.text,
                        how.describe()
                    );
                }
            }
            for line in clients::describe(&config.ha, &dir.join("ha.cf")) {
                println!("{line}");
            }
            if let Some(line) = fencing::describe(&config.ha, &config.node) {
                println!("{line}");
            }
            println!("{}: configuration OK for node {node}", dir.display());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in errors.errors() {
                eprintln!("{error}");
            }
            ExitCode::from(1)
        }
    }
}

/// `ha-node run`: the node, until SIGTERM or SIGINT.
/// `ha-node run` with `options`, its node named `node` or `uname -n`.
fn run_node(node: Option<String>, mut options: run::RunOptions) -> ExitCode {
    options.node = match node.map_or_else(node_config::local_node_name, Ok) {
        Ok(node) => node,
        Err(error) => return fail(error),
    };
    match runtime::run_daemon(run::run(options)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => fail(error),
        Err(error) => fail(error),
    }
}

/// `ha-node status`: what the running node sees, as JSON, or as text:
/// the crm_mon-like summary, then the detail.
fn status(json: bool, socket: &Path) -> ExitCode {
    match runtime::block_on(control::request_status(socket)) {
        Ok(Ok(report)) if json => {
            print_report(&report, true);
            ExitCode::SUCCESS
        }
        Ok(Ok(report)) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            println!("{}", summary::summary(&report, now));
            print_report(&report, false);
            ExitCode::SUCCESS
        }
        Ok(Err(error)) => fail(error),
        Err(error) => fail(error),
    }
}

/// `ha-node: ERROR` on stderr; exit status 1.
fn fail(error: impl std::fmt::Display) -> ExitCode {
    runtime::fail("ha-node", error)
}

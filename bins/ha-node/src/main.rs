//! `ha-node`: a heartbeat cluster node.
//!
//! - [`cli`]: the command line.
//! - [`node_config`]: ha.cf + authkeys + haresources, loaded and checked together.
//! - [`run`]: the node itself: media, resource groups, the membership driver,
//!   the respawned programs and the watchdog.
//! - [`clients`]: ha.cf's respawn, apiauth and watchdog on this host.
//! - [`groups`]: resource groups as the driver starts and stops them.
//! - [`control`]: the control socket and `ha-node status`.
//! - [`logging`]: logfile, debugfile, logfacility.
//! - `demo` (with the `demo` feature only): a two-node failover
//!   demonstration in network namespaces, on the test bed.
//!
//! The daemon plumbing under these (logger, control socket, runtime) is
//! ha-daemon's.

#![forbid(unsafe_code)]

mod cli;
mod clients;
mod control;
#[cfg(feature = "demo")]
mod demo;
mod groups;
mod logging;
mod node_config;
mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};
use ha_daemon::control::print_report;
use ha_daemon::runtime;
use ha_resources::Resolver;

fn main() -> ExitCode {
    logging::init();
    match Cli::parse().command {
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
        } => {
            let resolver = dirs.resolver(&config_dir);
            run_node(config_dir, node, resolver, state_dir, socket)
        }
        Command::Status { json, socket } => status(json, &socket),
        Command::Demo => demo(),
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
/// how`), each respawn program and the watchdog (`FILE:LINE: respawn NAME:
/// how`) and OK on stdout, each warning as FILE:LINE: warning: on stderr,
/// and 0; or each error as FILE:LINE on stderr and 1.
fn check_config(dir: &Path, node: Option<String>, resolver: &Resolver) -> ExitCode {
    let node = match node.map_or_else(node_config::local_node_name, Ok) {
        Ok(node) => node,
        Err(error) => return fail(error),
    };
    match node_config::load(dir, &node, resolver) {
        Ok(config) => {
            for warning in &config.warnings {
                eprintln!("{warning}");
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
fn run_node(
    config_dir: PathBuf,
    node: Option<String>,
    resolver: Resolver,
    state_dir: PathBuf,
    socket: PathBuf,
) -> ExitCode {
    let node = match node.map_or_else(node_config::local_node_name, Ok) {
        Ok(node) => node,
        Err(error) => return fail(error),
    };
    let options = run::RunOptions {
        config_dir,
        node,
        resolver,
        state_dir,
        socket,
    };
    match runtime::run_daemon(run::run(options)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => fail(error),
        Err(error) => fail(error),
    }
}

/// `ha-node status`: what the running node sees, as text or JSON.
fn status(json: bool, socket: &Path) -> ExitCode {
    match runtime::block_on(control::request_status(socket)) {
        Ok(Ok(report)) => {
            print_report(&report, json);
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

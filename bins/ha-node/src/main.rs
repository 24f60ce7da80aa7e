//! `ha-node`: a heartbeat cluster node.
//!
//! - [`cli`]: the command line.
//! - [`node_config`]: ha.cf + authkeys + haresources, loaded and checked together.
//! - [`run`]: the node itself: media, resource groups, the membership driver.
//! - [`groups`]: resource groups as the driver starts and stops them.
//! - [`control`]: the control socket and `ha-node status`.
//! - [`logging`]: logfile, debugfile, logfacility.
//! - [`demo`]: a two-node failover demonstration in network namespaces.

mod cli;
mod control;
mod demo;
mod groups;
mod logging;
mod node_config;
mod run;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> ExitCode {
    logging::init();
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { config_dir, node } => check_config(&config_dir, node),
        Command::Run {
            config_dir,
            node,
            state_dir,
            socket,
        } => {
            let node = match node.map_or_else(node_config::local_node_name, Ok) {
                Ok(node) => node,
                Err(error) => return fail(&error),
            };
            // A parent may have blocked signals; SIGTERM must reach the node.
            let _ = nix::sys::signal::sigprocmask(
                nix::sys::signal::SigmaskHow::SIG_SETMASK,
                Some(&nix::sys::signal::SigSet::empty()),
                None,
            );
            let options = run::RunOptions {
                config_dir,
                node,
                state_dir,
                socket,
            };
            match runtime().and_then(|rt| rt.block_on(run::run(options))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&error),
            }
        }
        Command::Status { json, socket } => {
            let report = runtime().and_then(|rt| {
                rt.block_on(control::request_status(&socket))
                    .map_err(|e| e.to_string())
            });
            match report {
                Ok(report) if json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                    ExitCode::SUCCESS
                }
                Ok(report) => {
                    print!("{}", report.to_text());
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            }
        }
        Command::Demo => match demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error),
        },
    }
}

fn check_config(dir: &std::path::Path, node: Option<String>) -> ExitCode {
    let node = match node.map_or_else(node_config::local_node_name, Ok) {
        Ok(node) => node,
        Err(error) => return fail(&error),
    };
    match node_config::load(dir, &node) {
        Ok(_) => {
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

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn fail(error: &str) -> ExitCode {
    eprintln!("ha-node: {error}");
    ExitCode::from(1)
}

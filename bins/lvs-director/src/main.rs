//! `lvs-director`: the LVS director, ldirectord's successor.
//!
//! - `lvs-director ipvs ARGS…` ([`ipvs_command`]): ipvsadm 1.31's command
//!   line over the project's IPVS binding; installed or linked under the
//!   name `ipvsadm`, the binary behaves as ipvsadm itself.
//! - `lvs-director realserver start|stop|status --vip ADDR…`
//!   ([`realserver`]): an LVS-DR real server's own setup.
//! - [`cli`]: the command line of the subcommands.

mod cli;
mod ipvs_command;
mod realserver;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, RealServerAction};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = args
        .first()
        .cloned()
        .unwrap_or_else(|| "lvs-director".into());
    let invoked_as = std::path::Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if invoked_as == "ipvsadm" {
        return ipvs_command::run(args);
    }
    if args.get(1).map(String::as_str) == Some("ipvs") {
        let ipvs_args: Vec<String> = std::iter::once(format!("{program} ipvs"))
            .chain(args.iter().skip(2).cloned())
            .collect();
        return ipvs_command::run(ipvs_args);
    }
    match Cli::parse_from(&args).command {
        Command::Realserver {
            action,
            vips,
            state_dir,
        } => realserver_command(action, &vips, &state_dir),
    }
}

/// `lvs-director realserver ...`.
fn realserver_command(
    action: RealServerAction,
    vips: &[std::net::IpAddr],
    state_dir: &std::path::Path,
) -> ExitCode {
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
        Err(error) => {
            eprintln!("lvs-director: realserver: {error}");
            ExitCode::from(1)
        }
    }
}

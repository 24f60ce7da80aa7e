//! The operator's commands under heartbeat's names: `ha-node standby` and
//! `takeover` (hb_standby, hb_takeover) and `ha-node cl_status`, also run
//! through links named `hb_standby`, `hb_takeover` and `cl_status`.
//!
//! Each asks the running node over its control socket: `--socket`, or
//! under heartbeat's names the `HA_NODE_SOCKET` environment variable, else
//! the default `/run/ha-node.sock`. A standby or takeover is answered once
//! the node has decided (its releases run on, the peer takes over as soon
//! as they are done); a refusal is one line on stderr and exit status 1.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ha_daemon::runtime;
use ha_membership::driver::HandoverCommand;
use ha_membership::machine::Which;

use crate::cl_status;
use crate::control::{self, HandoverReport};

/// The control socket's default path.
pub const DEFAULT_SOCKET: &str = "/run/ha-node.sock";

/// The environment variable naming the socket for the heartbeat names.
pub const SOCKET_ENV: &str = "HA_NODE_SOCKET";

/// The socket the heartbeat names talk to.
pub fn socket_from_env() -> PathBuf {
    std::env::var_os(SOCKET_ENV).map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from)
}

/// `hb_standby [WHICH]` / `hb_takeover [WHICH]` as heartbeat 3.0.6's
/// scripts answer: at most one argument, `all` by default; a wrong one is
/// a line on stdout, `usage:` on stdout, the usage line on stderr and exit
/// status 1. A standby that is done logs `Going standby [SET].` on stderr
/// (`failback` is `foreign`), with the time first unless stdin is a
/// terminal, as the script's `ha_log` does; a takeover prints nothing.
/// Unlike the scripts, which only drop a message in heartbeat's FIFO and
/// exit 0, a refused hand-over or a node that cannot be reached is a line
/// on stderr and exit status 1.
pub fn script(program: &str, command: HandoverCommand, args: &[String]) -> ExitCode {
    let usage = || {
        println!("usage:");
        eprintln!("{program} [all|foreign|local|failback]");
        ExitCode::from(1)
    };
    if args.len() >= 2 {
        println!("{program}: too many arguments");
        return usage();
    }
    let word = args.first().map_or("all", String::as_str);
    if word == "--help" {
        return usage();
    }
    let Some(which) = Which::parse(word) else {
        println!("{program}: wrong resources({word}).");
        return usage();
    };
    match ask(command, which, &socket_from_env()) {
        Ok(report) => {
            if command == HandoverCommand::Standby {
                let stamp = if std::io::stdin().is_terminal() {
                    String::new()
                } else {
                    format!("{} ", timestamp())
                };
                eprintln!("{stamp}Going standby [{}].", report.set);
            }
            ExitCode::SUCCESS
        }
        Err(error) => fail(error),
    }
}

/// Asks the node at `socket` for the hand-over: what it decided, or why
/// it refused or could not be asked.
fn ask(command: HandoverCommand, which: Which, socket: &Path) -> Result<HandoverReport, String> {
    match runtime::block_on(control::request_handover(socket, command, which)) {
        Ok(Ok(Ok(report))) => Ok(report),
        Ok(Ok(Err(refused))) => Err(format!(
            "{} {}: {refused}",
            command.as_str(),
            which.as_str()
        )),
        Ok(Err(error)) => Err(error.to_string()),
        Err(error) => Err(error.to_string()),
    }
}

/// Asks the node at `socket` for the hand-over and prints what moves.
pub fn handover(command: HandoverCommand, which: Which, socket: &Path) -> ExitCode {
    let report = match ask(command, which, socket) {
        Ok(report) => report,
        Err(error) => return fail(error),
    };
    let peers = report.peers.join(", ");
    let moving = if report.moving.is_empty() {
        "nothing to move".to_string()
    } else {
        report.moving.join(", ")
    };
    match command {
        HandoverCommand::Standby => {
            println!("Going standby [{}]: to {peers}: {moving}", report.set)
        }
        HandoverCommand::Takeover => {
            println!("Taking over [{}]: from {peers}: {moving}", report.set)
        }
    }
    ExitCode::SUCCESS
}

/// `ha-node resource cleanup NAME`: clears the resource's fail count on
/// the node at `socket` and says which group may run there again.
pub fn cleanup(resource: &str, socket: &Path) -> ExitCode {
    match runtime::block_on(control::request_cleanup(socket, resource)) {
        Ok(Ok(Ok(report))) => {
            println!(
                "Cleaned up {}: resource group {} may run here again",
                report.resource, report.group
            );
            ExitCode::SUCCESS
        }
        Ok(Ok(Err(refused))) => fail(format!("cleanup {resource}: {refused}")),
        Ok(Err(error)) => fail(error),
        Err(error) => fail(error),
    }
}

/// `cl_status ARGS`: asks the node's status only for a known subcommand.
pub fn cl_status(args: &[String], socket: &Path) -> ExitCode {
    let asks = args.first().is_some_and(|c| cl_status::is_command(c));
    let report = if asks {
        match runtime::block_on(control::request_status(socket)) {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(error)) => Err(error.to_string()),
            Err(error) => Err(error.to_string()),
        }
    } else {
        Err(String::new())
    };
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(
        "{} {host} cl_status: [{}]: ",
        timestamp(),
        std::process::id()
    );
    let answer = cl_status::run(args, report.as_ref().map_err(Clone::clone), &prefix);
    print!("{}", answer.stdout);
    eprint!("{}", answer.stderr);
    ExitCode::from(answer.code)
}

/// heartbeat's log time stamp with no logging daemon, `Dec 07 21:21:15`
/// (UTC here).
fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (_, month, day) = ha_daemon::logging::civil_from_days(days);
    let month = usize::try_from(month)
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
        .unwrap_or(&"Jan");
    format!(
        "{month} {day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    runtime::fail("ha-node", error)
}

//! The command line: `ha-node run | check-config | status | demo`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A heartbeat cluster node: keeps resource groups (virtual IPs) running on
/// exactly one live node, reading heartbeat's ha.cf, authkeys and haresources.
#[derive(Debug, Parser)]
#[command(name = "ha-node", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node in the foreground until SIGTERM or SIGINT.
    Run {
        /// Directory holding ha.cf, authkeys and haresources.
        #[arg(long, default_value = "/etc/ha.d")]
        config_dir: PathBuf,
        /// This node's name (default: `uname -n`).
        #[arg(long)]
        node: Option<String>,
        /// Where the node keeps its generation and UUID.
        #[arg(long, default_value = "/var/lib/ha-node")]
        state_dir: PathBuf,
        /// The control socket `ha-node status` talks to.
        #[arg(long, default_value = "/run/ha-node.sock")]
        socket: PathBuf,
    },
    /// Check the configuration: exit 0, or print each error with FILE:LINE and exit 1.
    CheckConfig {
        /// Directory holding ha.cf, authkeys and haresources.
        #[arg(long, default_value = "/etc/ha.d")]
        config_dir: PathBuf,
        /// This node's name (default: `uname -n`).
        #[arg(long)]
        node: Option<String>,
    },
    /// Show the nodes, media and resource groups as a running node sees them.
    Status {
        /// Print JSON (documented in the README) instead of text.
        #[arg(long)]
        json: bool,
        /// The running node's control socket.
        #[arg(long, default_value = "/run/ha-node.sock")]
        socket: PathBuf,
    },
    /// Build a two-node lab in network namespaces, fail the owner over and
    /// back, and print the timeline (needs root).
    Demo,
}

//! The command line of `lvs-director`'s own subcommands (`ipvs` and
//! ldirectord's invocation are recognised before these are parsed).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Where the realserver command keeps the ARP settings it found.
pub const DEFAULT_REALSERVER_STATE_DIR: &str = "/var/lib/lvs-director";

/// The LVS director: checks the real servers of ldirectord.cf and keeps the
/// kernel's IPVS table in step. Also: `lvs-director ipvs ARGS…` (ipvsadm's
/// command line) and ldirectord's own `[CONFIG] start|stop|restart|reload|status`.
#[derive(Debug, Parser)]
#[command(name = "lvs-director", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up (or undo) this machine as an LVS-DR real server: each VIP on
    /// lo as a host address, arp_ignore 1 and arp_announce 2 on lo and all.
    Realserver {
        /// start, stop, or status (exit 0 when set up, 3 when not).
        action: RealServerAction,
        /// The virtual IPs (IPv4 or IPv6).
        #[arg(long = "vip", num_args = 1.., required = true)]
        vips: Vec<IpAddr>,
        /// Where the ARP settings found before `start` are kept for `stop`.
        #[arg(long, default_value = DEFAULT_REALSERVER_STATE_DIR)]
        state_dir: PathBuf,
    },
}

/// `realserver` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RealServerAction {
    /// Add the VIPs to lo and set the ARP settings.
    Start,
    /// Remove the VIPs from lo; restore ARP once no VIP is left.
    Stop,
    /// Exit 0 if every VIP is on lo and ARP is set, 3 otherwise.
    Status,
}

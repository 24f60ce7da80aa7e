//! The command line of `lvs-director`'s own subcommands (`ipvs` and
//! ldirectord's invocation are recognised before these are parsed).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Where the director and the realserver command keep their state.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/lvs-director";

/// ldirectord's configuration file.
pub const DEFAULT_CONFIG: &str = "/etc/ha.d/ldirectord.cf";

/// The control socket of the director using the default configuration.
pub const DEFAULT_SOCKET: &str = "/run/lvs-director.sock";

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
    /// Run the director in the foreground until SIGTERM or SIGINT: check the
    /// real servers and keep the IPVS table in step (SIGHUP reloads).
    #[command(
        after_long_help = "Under a service manager (NOTIFY_SOCKET set, as systemd sets it \
        for a Type=notify unit): READY=1 once the first IPVS table is in the kernel, RELOADING=1 \
        and READY=1 around each reload, a STATUS= line whenever the count of real servers up \
        changes, WATCHDOG=1 from the event loop every half of WatchdogSec, STOPPING=1 on SIGTERM."
    )]
    Run {
        /// The ldirectord.cf file.
        #[arg(short = 'f', long = "config", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Where the director records the services it owns.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
        /// The control socket `status` and `reload` talk to.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
        /// Write the process id here while running.
        #[arg(long)]
        pid_file: Option<PathBuf>,
        /// Log debug lines too.
        #[arg(short = 'd', long)]
        debug: bool,
        /// Serve Prometheus metrics at http://ADDR:PORT/metrics (off
        /// unless given; e.g. 127.0.0.1:9695).
        #[arg(long, value_name = "ADDR:PORT")]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Check ldirectord.cf: exit 0, or print each error as FILE:LINE and exit 1.
    CheckConfig {
        /// The ldirectord.cf file.
        #[arg(short = 'f', long = "config", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Show each virtual service and real server of a running director
    /// (exit 0; 3 when none runs, as LSB's status).
    Status {
        /// Print JSON (documented in the README) instead of text.
        #[arg(long)]
        json: bool,
        /// The running director's control socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Make a running director read its file again (exit 0; 1 when the file
    /// has errors, which are printed and leave the running configuration in
    /// force; 7 when none runs).
    Reload {
        /// The running director's control socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Set up (or undo) this machine as an LVS-DR real server: each VIP on
    /// lo as a host address, arp_ignore 1 and arp_announce 2 on lo and all.
    Realserver {
        /// start, stop, or status (exit 0 when set up, 3 when not).
        action: RealServerAction,
        /// The virtual IPs (IPv4 or IPv6).
        #[arg(long = "vip", num_args = 1.., required = true)]
        vips: Vec<IpAddr>,
        /// Where the ARP settings found before `start` are kept for `stop`.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
    /// ipvsadm 1.31's command line over the kernel's IPVS, without
    /// ipvsadm (`lvs-director ipvs -Ln`, `-A -t VIP:80 -s wlc`, `-R`…; the
    /// binary behaves as ipvsadm when named `ipvsadm`). See ipvsadm(8).
    Ipvs {
        /// ipvsadm's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write the manual pages (OUT/man) and bash and zsh completions
    /// (OUT/completions) made from this command line, for packaging.
    #[command(hide = true)]
    GenerateDocs {
        /// The directory to write into (the project keeps them in `dist`).
        #[arg(long)]
        out: PathBuf,
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

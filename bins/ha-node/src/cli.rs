//! The command line: `ha-node run | check-config | status | standby |
//! takeover | resource cleanup | cl_status | vrrp | demo`.

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
    /// Carry the configuration over to another cluster manager.
    Export {
        /// What to write.
        #[command(subcommand)]
        format: crate::export::ExportCommand,
    },
    /// Run the node in the foreground until SIGTERM or SIGINT.
    #[command(
        after_long_help = "Under a service manager (NOTIFY_SOCKET set, as systemd sets it \
        for a Type=notify unit): READY=1 once the node has joined (every peer heard, or initdead \
        passed), a STATUS= line whenever what it holds changes, WATCHDOG=1 from the membership \
        loop itself every half of WatchdogSec, STOPPING=1 on SIGTERM. SIGHUP is logged and \
        ignored: the node has no reload; restart it to read a changed configuration."
    )]
    Run {
        /// Directory holding ha.cf, authkeys and haresources.
        #[arg(long, default_value = "/etc/ha.d")]
        config_dir: PathBuf,
        /// This node's name (default: `uname -n`).
        #[arg(long)]
        node: Option<String>,
        /// Where resources are looked for besides CONFIG_DIR/resource.d.
        #[command(flatten)]
        dirs: ResourceDirs,
        /// Where the node keeps its generation and UUID.
        #[arg(long, default_value = "/var/lib/ha-node")]
        state_dir: PathBuf,
        /// The control socket `ha-node status` talks to.
        #[arg(long, default_value = "/run/ha-node.sock")]
        socket: PathBuf,
        /// Run when a resource this node lets go cannot be stopped, before
        /// the node exits without releasing anything (heartbeat reboots).
        #[arg(long, default_value = crate::failed_stop::DEFAULT_COMMAND)]
        failed_stop_command: String,
        /// Serve Prometheus metrics at http://ADDR:PORT/metrics (off
        /// unless given here or by ha.cf's `metrics_listen`; e.g.
        /// 127.0.0.1:9694).
        #[arg(long, value_name = "ADDR:PORT")]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Check the configuration: exit 0, or print each error with FILE:LINE and exit 1.
    CheckConfig {
        /// Directory holding ha.cf, authkeys and haresources.
        #[arg(long, default_value = "/etc/ha.d")]
        config_dir: PathBuf,
        /// This node's name (default: `uname -n`).
        #[arg(long)]
        node: Option<String>,
        /// Where resources are looked for besides CONFIG_DIR/resource.d.
        #[command(flatten)]
        dirs: ResourceDirs,
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
    /// Give this node's groups to the peer at once (heartbeat's
    /// hb_standby): `all` (default), `foreign`, `local` or `failback`
    /// (the foreign groups).
    Standby {
        /// Which groups.
        #[arg(default_value = "all", value_parser = parse_which)]
        which: ha_membership::machine::Which,
        /// The running node's control socket.
        #[arg(long, default_value = crate::operator::DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Take the groups from the peer at once (heartbeat's hb_takeover):
    /// `all` (default), `foreign`, `local` or `failback` (all, as
    /// heartbeat does).
    Takeover {
        /// Which groups.
        #[arg(default_value = "all", value_parser = parse_which)]
        which: ha_membership::machine::Which,
        /// The running node's control socket.
        #[arg(long, default_value = crate::operator::DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Act on one resource of haresources on the running node.
    Resource {
        /// What to do.
        #[command(subcommand)]
        action: ResourceCommand,
    },
    /// heartbeat's cl_status: hbstatus, listnodes, nodestatus, nodetype,
    /// listhblinks, hblinkstatus, clientstatus, rscstatus.
    #[command(name = "cl_status")]
    ClStatus {
        /// The running node's control socket.
        #[arg(long, default_value = crate::operator::DEFAULT_SOCKET)]
        socket: PathBuf,
        /// The subcommand and its arguments, as cl_status takes them.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// keepalived's VRRP: run, check or ask about the instances of a
    /// keepalived.conf.
    Vrrp {
        /// What to do.
        #[command(subcommand)]
        action: VrrpCommand,
    },
    /// Build a two-node lab in network namespaces, fail the owner over and
    /// back, and print the timeline (needs root).
    Demo,
    /// Write the manual pages (OUT/man) and bash and zsh completions
    /// (OUT/completions) made from this command line, for packaging.
    #[command(hide = true)]
    GenerateDocs {
        /// The directory to write into (the project keeps them in `dist`).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `ha-node resource` subcommands.
#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Clear the resource's fail count: its group may run on this node
    /// again (Pacemaker's `crm_resource --cleanup`).
    Cleanup {
        /// The resource, exactly as haresources writes it.
        name: String,
        /// The running node's control socket.
        #[arg(long, default_value = crate::operator::DEFAULT_SOCKET)]
        socket: PathBuf,
    },
}

/// `ha-node vrrp` subcommands.
#[derive(Debug, Subcommand)]
pub enum VrrpCommand {
    /// Run every vrrp_instance in the foreground until SIGTERM or SIGINT.
    Run {
        /// keepalived.conf.
        #[arg(short = 'f', long = "config", default_value = crate::vrrp::DEFAULT_CONFIG)]
        config: PathBuf,
        /// Where the daemon writes its pid (removed at exit).
        #[arg(long)]
        pid_file: Option<PathBuf>,
        /// The control socket `ha-node vrrp status` talks to.
        #[arg(long, default_value = crate::vrrp::DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Check keepalived.conf: exit 0, or print each error with FILE:LINE and exit 1.
    CheckConfig {
        /// keepalived.conf.
        #[arg(short = 'f', long = "config", default_value = crate::vrrp::DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Show each instance's state, priorities, master and counters.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The running daemon's control socket.
        #[arg(long, default_value = crate::vrrp::DEFAULT_SOCKET)]
        socket: PathBuf,
    },
}

/// `all`, `foreign`, `local` or `failback`.
fn parse_which(word: &str) -> Result<ha_membership::machine::Which, String> {
    ha_membership::machine::Which::parse(word)
        .ok_or_else(|| format!("wrong resources({word}): all, foreign, local or failback"))
}

/// The directories resources are looked up in besides the configuration
/// directory's `resource.d`.
#[derive(Debug, Clone, clap::Args)]
pub struct ResourceDirs {
    /// Init scripts (the LSB class), tried after CONFIG_DIR/resource.d.
    #[arg(long, default_value = "/etc/init.d")]
    pub init_dir: PathBuf,
    /// OCF_ROOT: `ocf:PROVIDER:TYPE` resources run OCF_ROOT/resource.d/PROVIDER/TYPE.
    #[arg(long, default_value = "/usr/lib/ocf")]
    pub ocf_root: PathBuf,
    /// lvs-director, which serves the `ldirectord` resource when no script
    /// does [default: lvs-director beside this program, else
    /// /usr/sbin/lvs-director].
    #[arg(long)]
    pub director: Option<PathBuf>,
    /// ipvsadm, which serves the `LVSSyncDaemonSwap` resource when no
    /// script does [default: /usr/sbin/ipvsadm, else /sbin/ipvsadm].
    #[arg(long)]
    pub ipvsadm: Option<PathBuf>,
}

/// lvs-director installed beside this program, else where the package puts it.
fn default_director() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("lvs-director")))
        .filter(|beside| beside.is_file())
        .unwrap_or_else(|| ha_resources::resolve::DEFAULT_DIRECTOR.into())
}

/// ipvsadm where Debian puts it, else in `/sbin` (a system without
/// merged `/usr`).
fn default_ipvsadm() -> PathBuf {
    [ha_resources::resolve::DEFAULT_IPVSADM, "/sbin/ipvsadm"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .unwrap_or_else(|| ha_resources::resolve::DEFAULT_IPVSADM.into())
}

impl ResourceDirs {
    /// The resolver over `config_dir` and these directories.
    pub fn resolver(&self, config_dir: &std::path::Path) -> ha_resources::Resolver {
        ha_resources::Resolver {
            config_dir: config_dir.to_path_buf(),
            init_dir: self.init_dir.clone(),
            ocf_root: self.ocf_root.clone(),
            director: self.director.clone().unwrap_or_else(default_director),
            ipvsadm: self.ipvsadm.clone().unwrap_or_else(default_ipvsadm),
        }
    }
}

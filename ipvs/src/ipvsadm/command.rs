//! The commands an ipvsadm command line asks for, as typed values.
//!
//! [`super::parse::parse_command`] produces a [`Command`]; the executor runs
//! it. Everything ipvsadm fills in by default (scheduler `wlc`, weight 1,
//! direct routing, persistence 360 s, the multicast interface `eth0`) is
//! already filled in here, so a command says exactly what reaches the kernel.

use crate::model::{
    DaemonConfig, DaemonState, Destination, DestinationKey, Service, ServiceKey, Timeouts,
};

/// How a listing is printed (ipvsadm's `FMT_*` flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    /// `-n`: addresses and ports as numbers.
    pub numeric: bool,
    /// `-S`: the rules format.
    pub rule: bool,
    /// `--stats`.
    pub stats: bool,
    /// `--rate`.
    pub rate: bool,
    /// `--thresholds`.
    pub thresholds: bool,
    /// `--persistent-conn`.
    pub persistent_conn: bool,
    /// `--nosort`: kernel order.
    pub nosort: bool,
    /// `--exact`: numbers in full.
    pub exact: bool,
    /// `--tun-info`.
    pub tun_info: bool,
}

/// What `-L` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListWhat {
    /// Every service with its real servers.
    All,
    /// One service (`-L -t …`).
    Service(ServiceKey),
    /// The connection table (`-L -c`, from `/proc/net/ip_vs_conn`).
    Connections,
    /// The timeouts (`-L --timeout`).
    Timeouts,
    /// The sync daemons (`-L --daemon`).
    Daemons,
}

/// One ipvsadm command, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-A`: add a virtual service.
    AddService(Service),
    /// `-E`: replace a virtual service's settings.
    EditService(Service),
    /// `-D`: delete a virtual service.
    DeleteService(ServiceKey),
    /// `-C`: delete every service.
    Flush,
    /// `-L`/`-l`: list.
    List(ListWhat, Format),
    /// `-a`: add a real server to a service.
    AddServer(ServiceKey, Destination),
    /// `-e`: replace a real server's settings.
    EditServer(ServiceKey, Destination),
    /// `-d`: remove a real server.
    DeleteServer(ServiceKey, DestinationKey),
    /// `--set tcp tcpfin udp`.
    SetTimeouts(Timeouts),
    /// `--start-daemon`.
    StartDaemon(DaemonConfig),
    /// `--stop-daemon`.
    StopDaemon(DaemonState),
    /// `-R`: read commands from standard input.
    Restore,
    /// `-S`: print the table as commands.
    Save(Format),
    /// `-Z`: zero the counters of one service, or of all.
    Zero(Option<ServiceKey>),
    /// `-h`: print the usage.
    Help,
    /// `-v`: print the version.
    Version,
}

/// How ipvsadm stops when a command line is wrong (or asks for help).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Text for standard output (the usage or version).
    pub stdout: String,
    /// Text for standard error, newline included.
    pub stderr: String,
    /// Exit status (ipvsadm's `exit(-1)` is 255).
    pub code: u8,
    /// Whether ipvsadm exits at once (`fail`, `tryhelp_exit`, `-h`), even
    /// in the middle of `-R`; otherwise the line only fails (popt errors)
    /// and a restore goes on with the next line.
    pub exits: bool,
}

impl Stop {
    /// ipvsadm's `fail(2, …)`: the message and exit status 2.
    pub fn fail(message: impl Into<String>) -> Self {
        let mut stderr = message.into();
        stderr.push('\n');
        Stop {
            stdout: String::new(),
            stderr,
            code: 2,
            exits: true,
        }
    }

    /// ipvsadm's `tryhelp_exit(program, -1)`.
    pub fn try_help(program: &str) -> Self {
        Stop {
            stdout: String::new(),
            stderr: format!("Try `{program} -h' or '{program} --help' for more information.\n"),
            code: 255,
            exits: true,
        }
    }
}

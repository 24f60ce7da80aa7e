//! ha.cf: the cluster's timers, media and nodes.
//!
//! [`parse_ha_cf`] reads the text as heartbeat 3.0.6 does (see
//! [`crate::config`] for the line syntax) and returns an [`HaConfig`], or
//! every complaint about the file at once, each with its file and line;
//! [`load_ha_cf`] reads the file first. [`check_ha_cf`] also warns, at its
//! line, about each medium on an interface this host lacks (a node may be
//! configured before its links exist); the caller says which interfaces
//! exist, so that parsing stays free of I/O.
//!
//! Implemented: `keepalive`, `warntime`, `deadtime`, `initdead`, `udpport`,
//! `bcast` (and its old name `udp`), `ucast`, `mcast`, `serial`, `baud`, `node`,
//! `auto_failback`, `logfile`, `debugfile`, `logfacility`, `realtime`,
//! `rtprio`, `ping`, `ping_group`, `deadping`, `watchdog`, `respawn`,
//! `apiauth` (see [`clients`]; a respawn of heartbeat's ipfail turns on the
//! built-in ipfail instead of running it), `stonith`, `stonith_host` and our
//! `stonith_command` (see [`fencing`]), `compression`,
//! `compression_threshold` and `traditional_compression` (see
//! [`crate::wire::Compression`]), and `crm` / `pacemaker` set to off.
//! Every other directive heartbeat accepts is refused as `directive 'X' is
//! not supported yet`; any other word as `unknown directive 'X'`.
//!
//! Beyond what heartbeat checks, a directive written twice is refused (it
//! keeps the last silently), `udpport` must precede the `bcast`/`ucast` lines
//! (it silently ignores a later one), and a `warntime` outside
//! keepalive..deadtime is refused (it only warns). Likewise `baud` must
//! precede the `serial` lines (heartbeat leaves them at 19200 and only
//! complains when a `ucast` or `mcast` line came first).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ha_conf::{ConfigError, ConfigErrors, ConfigWarning, Source};
use ha_transport::spec::MediumSpec;

use crate::wire::Compression;

pub mod clients;
mod compression;
mod directives;
pub mod fencing;
mod media;
mod notes;
mod parser;
mod ping;
mod render;
mod setting;
mod table;
mod timers;
mod values;

#[cfg(test)]
mod tests;

pub use clients::{is_ipfail, ApiAuth, Respawn, IPFAIL_CLIENT};
pub use fencing::{FenceDevice, FenceMethod};
pub use ping::PingNode;
pub use table::markdown as directive_table;
pub use timers::{DEFAULT_DEADTIME, DEFAULT_KEEPALIVE};

/// heartbeat's UDP port (IANA's ha-cluster) when `udpport` is not given.
pub const DEFAULT_UDPPORT: u16 = 694;

/// The lowest SCHED_FIFO priority (`sched_get_priority_min(SCHED_FIFO)` on
/// Linux), the lowest `rtprio` accepted.
pub const MIN_RTPRIO: u8 = 1;

/// The highest SCHED_FIFO priority (`sched_get_priority_max(SCHED_FIFO)` on
/// Linux), the highest `rtprio` accepted.
pub const MAX_RTPRIO: u8 = 99;

/// heartbeat's `rtprio` when not given: halfway between the SCHED_FIFO
/// bounds, `(1 + 99) / 2`.
pub const DEFAULT_RTPRIO: u8 = (MIN_RTPRIO + MAX_RTPRIO) / 2;

/// What happens when a group's preferred node comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoFailback {
    /// The group moves back to its preferred node.
    On,
    /// The group stays where it is.
    Off,
    /// heartbeat's pre-auto_failback behaviour (its default when unset).
    Legacy,
}

impl AutoFailback {
    /// The word ha.cf uses for it.
    pub fn name(self) -> &'static str {
        match self {
            AutoFailback::On => "on",
            AutoFailback::Off => "off",
            AutoFailback::Legacy => "legacy",
        }
    }
}

/// A parsed ha.cf, heartbeat's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaConfig {
    /// Time between our heartbeats (`keepalive`, default 1 s).
    pub keepalive: Duration,
    /// Silence after which a "late heartbeat" warning is logged (`warntime`,
    /// default half the deadtime).
    pub warntime: Duration,
    /// Silence after which a node is declared dead (`deadtime`, default 30 s).
    pub deadtime: Duration,
    /// The deadtime used just after start-up (`initdead`; by default the
    /// deadtime if over 10 s, 12 s if under 6 s, else twice the deadtime).
    pub initdead: Duration,
    /// The port of the bcast and ucast media (`udpport`, default 694).
    pub udpport: u16,
    /// The rate of the serial lines (`baud`, default 19200).
    pub baud: u32,
    /// The media, in file order (never empty).
    pub media: Vec<MediumSpec>,
    /// The cluster's nodes in file order, lower-cased as heartbeat keeps them
    /// (never empty).
    pub nodes: Vec<String>,
    /// `auto_failback` (default legacy, as in heartbeat).
    pub auto_failback: AutoFailback,
    /// `logfile`, if given.
    pub logfile: Option<PathBuf>,
    /// `debugfile`, if given.
    pub debugfile: Option<PathBuf>,
    /// `logfacility` (a syslog facility name, or `none`), if given.
    pub logfacility: Option<String>,
    /// `realtime` (default on, as in heartbeat): the membership loop runs
    /// at SCHED_FIFO priority [`HaConfig::rtprio`] and the node's memory is
    /// locked; the programs it runs never inherit the priority.
    pub realtime: bool,
    /// `rtprio`: the SCHED_FIFO priority of the membership loop when
    /// `realtime` is on, [`MIN_RTPRIO`] to [`MAX_RTPRIO`] (default
    /// [`DEFAULT_RTPRIO`]).
    pub rtprio: u8,
    /// The ping nodes (`ping`, `ping_group`), in file order.
    pub ping_nodes: Vec<PingNode>,
    /// Silence after which a ping node is declared dead (`deadping`,
    /// default the deadtime, as in heartbeat).
    pub deadping: Duration,
    /// Whether heartbeat's ipfail is respawned (`respawn USER .../ipfail`):
    /// the node then hands its groups to a peer that sees more ping nodes.
    pub ipfail: bool,
    /// `watchdog`: the watchdog device written to every keepalive (and
    /// closed with heartbeat's magic `V` on a clean stop), if given.
    pub watchdog: Option<PathBuf>,
    /// The `respawn` lines in file order: programs run with the node and
    /// restarted when they exit (heartbeat's ipfail among them is not run:
    /// see [`Respawn::is_ipfail`]).
    pub respawns: Vec<Respawn>,
    /// The `apiauth` lines in file order, one per client.
    pub apiauth: Vec<ApiAuth>,
    /// The fencing lines (`stonith`, `stonith_host`, `stonith_command`) in
    /// file order; see [`HaConfig::fence_device_for`].
    pub fencing: Vec<FenceDevice>,
    /// How messages are compressed (`compression`, `compression_threshold`,
    /// `traditional_compression`; heartbeat's defaults: zlib, 2 KiB, off).
    /// Compressed messages are read whatever this says.
    pub compression: Compression,
}

/// Reads ha.cf; on failure, every complaint about the file in line order.
pub fn parse_ha_cf(source: &Source) -> Result<HaConfig, ConfigErrors> {
    check_ha_cf(source, &|_| true).map(|(config, _)| config)
}

/// Reads ha.cf as [`parse_ha_cf`] does, and warns about each `bcast`,
/// `ucast` or `mcast` interface for which `interface_exists` is false
/// (`FILE:LINE: warning: bcast: interface 'eth9' does not exist on this
/// host`), in file order.
pub fn check_ha_cf(
    source: &Source,
    interface_exists: &dyn Fn(&str) -> bool,
) -> Result<(HaConfig, Vec<ConfigWarning>), ConfigErrors> {
    let mut parser = parser::Parser::new(source);
    for line in source.lines() {
        parser.line(line);
    }
    parser.finish(interface_exists)
}

/// Reads and parses an ha.cf file.
pub fn load_ha_cf(path: &Path) -> Result<HaConfig, ConfigErrors> {
    parse_ha_cf(&Source::read(path)?)
}

impl HaConfig {
    /// Whether a node is listed (node names compare without ASCII case, as
    /// heartbeat lowers them).
    pub fn has_node(&self, name: &str) -> bool {
        self.nodes
            .iter()
            .any(|node| node.eq_ignore_ascii_case(name))
    }

    /// The fencing device node `node` uses: the last fencing line that
    /// applies to it, as heartbeat keeps (`None`: no fencing).
    pub fn fence_device_for(&self, node: &str) -> Option<&FenceDevice> {
        self.fencing.iter().rev().find(|d| d.applies_to(node))
    }

    /// Checks that this node (`uname -n`) is listed in a `node` line, as
    /// heartbeat requires; `path` is the ha.cf the config came from.
    pub fn check_local_node(&self, name: &str, path: &Path) -> Result<(), ConfigError> {
        if self.has_node(name) {
            return Ok(());
        }
        Err(ConfigError::file(
            path,
            format!(
                "this node '{name}' is not listed in a node line (listed: {}); \
                 nodes are named as `uname -n` prints them",
                self.nodes.join(", ")
            ),
        ))
    }
}

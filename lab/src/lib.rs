//! Throw-away test beds: hosts as network namespaces joined by bridges.
//!
//! A [`Lab`] creates hosts (network namespaces) and LANs (a bridge in a
//! namespace of its own) joined by veth pairs; nothing touches the root
//! namespace, every name is unique per lab, and dropping the lab removes it
//! all and kills what it started, even while a test panics. On the hosts:
//! commands and closures run inside the namespace, a TCP "who am I"
//! responder and client probes measure failovers, and faults are real
//! (links down, nftables packet loss and blocked ports). A host can also
//! be made a machine of its own, with private mounts and hostname
//! ([`Host::make_machine`]), for programs that keep files at fixed paths.
//!
//! Needs root and the Debian packages `iproute2` and `nftables` (the
//! latter only for the loss and blocking faults).
//!
//! Beds built on it: [`cluster::TwoNodeCluster`] (two `ha-node`s and a
//! client), with [`heartbeat`] real heartbeat 3.0.6 as one of its two nodes,
//! [`keepalived::KeepalivedPair`] (the same bed running keepalived,
//! the reference peer, for side-by-side benches), [`daemon_pair`] (the
//! same bed with heartbeat on both nodes, or ha-node, from one spec) with
//! [`versus_heartbeat`]'s resource-group and ipfail beds, and [`cpu`] (busy loops
//! for CPU starvation, a process group's CPU time). A daemon's service
//! manager is played by [`service_manager::NotifySocket`]; [`dist`]
//! checks what the project ships for a binary (pages, completions, units).
//!
//! A test process killed outright (SIGKILL, Ctrl-C) cannot run its drops;
//! its namespaces, and anything still running in them, are removed by the
//! next lab created on the machine, which recognises them by the dead PID
//! in their names.
//!
//! ```no_run
//! use std::time::Duration;
//! # fn main() -> Result<(), ha_lab::LabError> {
//! let lab = ha_lab::Lab::new("example")?;
//! let (a, client) = (lab.host("a")?, lab.host("client")?);
//! lab.connect(&a, "eth0", "10.77.0.1/24")?;
//! lab.connect(&client, "eth0", "10.77.0.10/24")?;
//! let _server = a.serve_whoami(([0, 0, 0, 0], 8080), "A")?;
//! let reply = client.probe_tcp(([10, 77, 0, 1], 8080), Duration::from_secs(1))?;
//! assert_eq!(reply.as_deref(), Some("A"));
//! # Ok(()) }
//! ```

mod addr;
pub mod cluster;
mod command;
pub mod cpu;
pub mod daemon_pair;
mod debian;
pub mod dist;
mod error;
mod fault;
mod fault_state;
pub mod first_seen;
pub mod heartbeat;
mod host;
mod icmp;
mod ip_json;
pub mod keepalived;
mod lab;
mod lan;
mod link;
mod machine;
mod names;
mod netns;
mod poll;
mod probe;
mod process;
pub mod serial_line;
pub mod service_manager;
mod shared;
pub mod versus_heartbeat;
pub mod vm;

pub use addr::IfAddr;
pub use cpu::BusyLoops;
pub use error::LabError;
pub use first_seen::FirstSeen;
pub use ha_process::Exit;
pub use host::Host;
pub use lab::Lab;
pub use lan::Lan;
pub use nix::sys::signal::Signal;
pub use probe::{Responder, Sample, Watcher};
pub use process::LabChild;

//! Daemon plumbing shared by the project's binaries, `ha-node` and
//! `lvs-director`: what every long-running process of ours needs and none
//! of them decides differently.
//!
//! - [`logging`]: the process's logger; log files, syslog datagrams and
//!   UTC timestamps to build each binary's sinks from.
//! - [`control`]: the Unix control socket: one request line in, one JSON
//!   document out; the client side too.
//! - [`runtime`]: the tokio runtime, the signal mask a daemon must not
//!   inherit, and the one-line exit on failure.
//! - [`realtime`]: memory locked, and a loop on a thread of its own at a
//!   realtime priority that nothing it starts inherits.
//! - [`respawn`]: programs started with the daemon, restarted when they
//!   exit (heartbeat's rules), stopped with it.
//! - [`metrics`] and [`http`]: the opt-in HTTP listener serving
//!   `/metrics` in Prometheus' text format, built from a snapshot at
//!   each scrape.
//! - [`watchdog`]: a kernel watchdog device kept alive by the loop that
//!   must stay alive, written by a thread of its own.
//! - [`notify`]: systemd's sd_notify: ready, reloading, status, and the
//!   service watchdog fed by the loop that must stay alive.
//! - [`docs`]: manual pages and shell completions from a binary's
//!   command-line definition.
//!
//! What differs between the binaries stays in them: their log line
//! formats and destinations, their request verbs and JSON types.

// One call std and nix offer no safe form of, the watchdog's
// WDIOC_SETTIMEOUT ioctl, is the only unsafe code allowed (in `watchdog`).
#![deny(unsafe_code)]

pub mod control;
pub mod docs;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod realtime;
pub mod respawn;
pub mod runtime;
pub mod watchdog;

//! The heartbeat core.
//!
//! - [`config`] reads ha.cf and authkeys exactly as heartbeat 3.0.6 writes them,
//!   refusing what is not supported with the file and line.
//! - [`auth`] signs and verifies messages with the authkeys methods (crc, md5,
//!   sha1 as heartbeat does, and our hmac-sha256).
//! - [`wire`] is heartbeat 3.x's netstring message format.
//! - [`message`] is the typed form of the messages the cluster exchanges.
//! - [`machine`] is the sans-IO cluster state machine: node liveness
//!   (keepalive, warntime, deadtime, initdead) and resource-group ownership.
//! - [`driver`] wires the state machine to tokio, the media and the resources.
//! - [`state_dir`] keeps a node's generation and UUID across restarts.
//! - [`harness`] runs N machines on a fake clock over a simulated network:
//!   test and benchmark support, shared by the unit, property and
//!   conformance tests.

#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod driver;
pub mod harness;
pub mod machine;
pub mod message;
pub mod state_dir;
pub mod wire;

//! Media: anything that carries datagrams between cluster nodes.
//!
//! - [`spec`] names a medium as ha.cf does (`bcast`, `ucast`, `mcast`).
//! - [`medium`] is the async [`medium::Medium`] trait every medium implements.
//! - [`udp`] opens UDP unicast, broadcast and multicast media.
//! - [`sim`] is a deterministic in-memory network with loss, delay and
//!   partitions, driven by an explicit clock, for tests of the state machine.

pub mod medium;
pub mod sim;
pub mod spec;
pub mod udp;

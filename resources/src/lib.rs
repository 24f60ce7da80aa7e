//! Resources a cluster node starts and stops.
//!
//! - [`haresources`] parses heartbeat's haresources file.
//! - [`agent`] is the [`agent::Agent`] trait every resource class implements.
//! - [`ipaddr`] is the native IPaddr/IPaddr2 agent (rtnetlink + gratuitous ARP).
//! - [`group`] starts a group in order, stops it in reverse, and rolls back a
//!   failed start, with a time limit on every action.
//! - [`factory`] builds agents and groups from haresources, refusing the
//!   resource types that have no agent yet.

pub mod agent;
pub mod factory;
pub mod group;
pub mod haresources;
pub mod ipaddr;

pub use agent::{Action, Agent, AgentError, AgentErrorKind, Health};
pub use factory::{build_agent, build_group};
pub use group::{ActionTimeouts, Group, GroupError};
pub use haresources::{
    parse_haresources, GroupSpec, Haresources, IpAddrSpec, IpAddrStyle, ResourceKind, ResourceSpec,
};
pub use ipaddr::{ArpSchedule, IpAddrAgent};

//! Resources a cluster node starts and stops.
//!
//! - [`haresources`] parses heartbeat's haresources file: its syntax only.
//! - [`resolve`] says how each resource will run, following heartbeat's
//!   ResourceManager lookup (native, OCF, `resource.d`, init scripts).
//! - [`class`] holds the resource classes side by side — [`class::native`]
//!   (IPaddr/IPaddr2 over rtnetlink and gratuitous ARP), [`class::heartbeat`],
//!   [`class::lsb`], [`class::ocf`] — and the table from a resolved resource
//!   to its agent.
//! - [`agent`] is the [`agent::Agent`] trait every class implements.
//! - [`group`] starts a group in order, stops it in reverse, rolls back a
//!   failed start, and probes what already runs (before a start, and to
//!   clear a group the node is not to hold), with a time limit on every
//!   action; it knows agents only.
//! - [`monitoring`] parses our monitoring file, haresources' extension.
//! - [`build`] puts them together: haresources → resolved → agents → groups.

#![forbid(unsafe_code)]

pub mod agent;
pub mod build;
pub mod class;
pub mod group;
pub mod haresources;
pub mod monitoring;
pub mod resolve;
#[cfg(test)]
mod testing;

pub use agent::{Action, Agent, AgentError, AgentErrorKind, Health};
pub use build::{build_agent, build_group, group_of, monitored_group_of};
pub use class::native::{
    ArpSchedule, DelayAgent, DelaySpec, IpAddrAgent, IpAddrSpec, IpAddrStyle, IpSrcAddrAgent,
    IpSrcAddrSpec, Ipv6AddrAgent, Ipv6AddrSpec, NativeSpec, SendArpAgent, SendArpSpec,
};
pub use class::Resolved;
pub use group::{ActionTimeouts, Group, GroupError};
pub use haresources::{parse_haresources, GroupSpec, Haresources, ResourceSpec};
pub use resolve::{ResolvedGroup, Resolver};

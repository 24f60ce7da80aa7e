//! The kernel's IPVS (the LVS data plane) over generic netlink.
//!
//! [`model`] holds the plain data types of everything ipvsadm 1.31 can ask
//! of the kernel: virtual services, real servers, counters, timeouts, the
//! connection-sync daemon. [`ipvsadm`] speaks ipvsadm's command line and
//! text formats in terms of that model.

pub mod ipvsadm;
pub mod model;

pub use model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey,
    Forwarding, Info, Netmask, Persistence, Protocol, SchedulerFlags, Service, ServiceEntry,
    ServiceKey, Stats, Timeouts, Tunnel, TunnelChecksum, TunnelKind, Version,
};

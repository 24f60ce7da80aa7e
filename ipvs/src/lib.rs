//! The kernel's IPVS (the LVS data plane) over generic netlink.
//!
//! [`model`] holds the plain data types of everything ipvsadm 1.31 can ask
//! of the kernel: virtual services, real servers, counters, timeouts, the
//! connection-sync daemon. [`Ipvs`] is a synchronous handle that does it
//! (add, edit, delete, list, zero, flush, timeouts, daemons), and
//! [`Ipvs::apply`] pipelines many [`Change`]s at once. Kernel refusals are
//! [`IpvsError::Kernel`] values carrying the errno and ipvsadm's sentence;
//! [`IpvsError::daemon_refusal`] says what a refused sync daemon start or
//! stop means ([`daemon_error`]).
//! [`netlink`] holds the wire format, whose reply decoder is fuzzed.
//! [`ipvsadm`] speaks ipvsadm's command line and text formats in terms of
//! the model.
//!
//! ```no_run
//! use ha_ipvs::{Destination, Ipvs, Protocol, Service, ServiceKey};
//!
//! let mut ipvs = Ipvs::connect()?;
//! let key = ServiceKey::Address {
//!     protocol: Protocol::Tcp,
//!     addr: "192.0.2.10".parse().unwrap(),
//!     port: 80,
//! };
//! ipvs.add_service(&Service::new(key, "wlc"))?;
//! ipvs.add_destination(&key, &Destination::new("10.0.0.1".parse().unwrap(), 80))?;
//! for entry in ipvs.destinations(&key)? {
//!     println!("{} active", entry.active_conns);
//! }
//! # Ok::<(), ha_ipvs::IpvsError>(())
//! ```

pub mod batch;
pub mod client;
mod connection;
pub mod daemon_error;
pub mod error;
pub mod ipvsadm;
pub mod model;
pub mod netlink;

pub use batch::Change;
pub use client::Ipvs;
pub use daemon_error::DaemonRefusal;
pub use error::{DecodeError, IpvsError, KernelError, Operation};
pub use model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey,
    Forwarding, Info, Netmask, Persistence, Protocol, SchedulerFlags, Service, ServiceEntry,
    ServiceKey, Stats, Timeouts, Tunnel, TunnelChecksum, TunnelKind, Version,
};

//! The kernel's IPVS (the LVS data plane) over generic netlink.
//!
//! Nothing is implemented here yet: the binding arrives with its own work
//! item, and until then no other crate uses this one.

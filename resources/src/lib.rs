//! Resources a cluster node starts and stops.
//!
//! - [`haresources`] parses heartbeat's haresources file.
//! - [`agent`] is the [`agent::Agent`] trait every resource class implements.
//! - [`ipaddr`] is the native IPaddr/IPaddr2 agent (rtnetlink + gratuitous ARP).
//! - [`group`] starts a group in order, stops it in reverse, and rolls back a
//!   failed start.

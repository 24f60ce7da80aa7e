//! VRRP for heartbeat-rs: keepalived's virtual routers, read from
//! keepalived.conf unchanged and spoken on the wire as keepalived 2.2.7
//! speaks them.
//!
//! - [`packet`]: the advertisement codec, VRRPv2 (RFC 3768, with
//!   keepalived's simple password) and VRRPv3 (RFC 5798), IPv4 and IPv6;
//!   decoding is total and its failures are typed.
//! - [`config`]: keepalived.conf (global_defs, vrrp_script,
//!   vrrp_sync_group, vrrp_instance), every complaint at FILE:LINE.
//! - [`instance`]: one virtual router's sans-IO state machine
//!   (Initialize, Backup, Master) under an explicit clock.
//! - [`network`]: the raw IPv4 and IPv6 sockets adverts travel on.

#![forbid(unsafe_code)]

pub mod config;
pub mod instance;
pub mod network;
pub mod packet;

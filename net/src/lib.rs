//! Host networking primitives, at the bottom of the workspace: no other
//! crate of ours below it.
//!
//! - [`address`]: links and addresses over rtnetlink, with labels.
//! - [`arp`]: gratuitous ARP over AF_PACKET.
//! - [`ndp`]: unsolicited neighbour advertisements (IPv6) over AF_PACKET.
//! - [`route`]: IPv4 routes of the main table and their preferred source.
//! - [`icmp`]: ICMP and ICMPv6 echo to one target.
//! - [`checksum`]: the internet checksum (RFC 1071).
//! - [`rng`]: a seeded pseudo-random generator (SplitMix64) for jitter,
//!   identifiers and simulations.
//!
//! Every socket belongs to the network namespace of the thread that opens
//! it, so a test bed of namespaces drives these from threads inside them.

pub mod address;
pub mod arp;
pub mod checksum;
pub mod icmp;
pub mod ndp;
pub mod rng;
pub mod route;

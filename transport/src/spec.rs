//! How ha.cf names a medium.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// One medium as configured in ha.cf.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediumSpec {
    /// `bcast IFACE`: UDP broadcast on the interface's broadcast address.
    Broadcast {
        /// The interface to broadcast on.
        interface: String,
        /// The UDP port (`udpport`, default 694).
        port: u16,
    },
    /// `ucast IFACE PEER`: UDP unicast to one peer, out of one interface.
    Unicast {
        /// The interface to send from and receive on.
        interface: String,
        /// The peer's address.
        peer: IpAddr,
        /// The UDP port (`udpport`, default 694).
        port: u16,
    },
    /// `mcast IFACE GROUP PORT TTL LOOP`: UDP multicast (IPv4).
    Multicast {
        /// The interface to join the group on.
        interface: String,
        /// The multicast group.
        group: Ipv4Addr,
        /// The UDP port.
        port: u16,
        /// The multicast TTL (1..=255).
        ttl: u8,
        /// Whether our own datagrams loop back to us.
        loopback: bool,
    },
}

impl fmt::Display for MediumSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediumSpec::Broadcast { interface, port } => write!(f, "bcast {interface}:{port}"),
            MediumSpec::Unicast {
                interface,
                peer,
                port,
            } => write!(f, "ucast {interface} {peer}:{port}"),
            MediumSpec::Multicast {
                interface,
                group,
                port,
                ttl,
                loopback,
            } => write!(
                f,
                "mcast {interface} {group}:{port} ttl {ttl} loop {}",
                u8::from(*loopback)
            ),
        }
    }
}

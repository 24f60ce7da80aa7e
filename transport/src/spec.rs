//! How ha.cf names a medium: `bcast`, `ucast`, `mcast`, `ucast6`, `mcast6`
//! and `serial` lines.
//!
//! A unicast medium to an IPv6 peer is heartbeat's `ucast6` (its `ucast` is
//! IPv4 only), so it is named and displayed as `ucast6`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    /// `ucast IFACE PEER` (IPv4) or `ucast6 IFACE PEER` (IPv6): UDP unicast
    /// to one peer, out of one interface. A link-local IPv6 peer is reached
    /// with the interface as its scope.
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
    /// `mcast6 IFACE GROUP PORT HOPS LOOP`: UDP multicast (IPv6), joined on
    /// the interface, which is also the scope of a link-local group.
    Multicast6 {
        /// The interface to join the group on.
        interface: String,
        /// The multicast group (`ff12::1:2:3:4`).
        group: Ipv6Addr,
        /// The UDP port.
        port: u16,
        /// The multicast hop limit.
        hops: u8,
        /// Whether our own datagrams loop back to us.
        loopback: bool,
    },
    /// `serial DEVICE`: a serial line, at the `baud` of ha.cf.
    Serial {
        /// The device's full path, e.g. `/dev/ttyS0`.
        device: String,
        /// The line speed in bits per second (`baud`, default 19200).
        baud: u32,
    },
}

/// The medium as an ha.cf line declares it (`bcast eth0`, `ucast eth0
/// 10.0.0.2`, `mcast eth0 225.0.0.1 694 1 0`); bcast and ucast take their
/// port from `udpport`, which is not part of the line.
impl fmt::Display for MediumSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediumSpec::Broadcast { interface, .. } => write!(f, "bcast {interface}"),
            MediumSpec::Unicast {
                interface, peer, ..
            } => write!(f, "{} {interface} {peer}", self.directive()),
            MediumSpec::Multicast6 {
                interface,
                group,
                port,
                hops,
                loopback,
            } => write!(
                f,
                "mcast6 {interface} {group} {port} {hops} {}",
                u8::from(*loopback)
            ),
            MediumSpec::Multicast {
                interface,
                group,
                port,
                ttl,
                loopback,
            } => write!(
                f,
                "mcast {interface} {group} {port} {ttl} {}",
                u8::from(*loopback)
            ),
            MediumSpec::Serial { device, .. } => write!(f, "serial {device}"),
        }
    }
}

impl MediumSpec {
    /// The ha.cf directive that configures this kind of medium.
    pub fn directive(&self) -> &'static str {
        match self {
            MediumSpec::Broadcast { .. } => "bcast",
            MediumSpec::Unicast {
                peer: IpAddr::V4(_),
                ..
            } => "ucast",
            MediumSpec::Unicast {
                peer: IpAddr::V6(_),
                ..
            } => "ucast6",
            MediumSpec::Multicast { .. } => "mcast",
            MediumSpec::Multicast6 { .. } => "mcast6",
            MediumSpec::Serial { .. } => "serial",
        }
    }

    /// The network interface the medium is bound to; none for a serial line.
    pub fn interface(&self) -> Option<&str> {
        match self {
            MediumSpec::Broadcast { interface, .. }
            | MediumSpec::Unicast { interface, .. }
            | MediumSpec::Multicast { interface, .. }
            | MediumSpec::Multicast6 { interface, .. } => Some(interface),
            MediumSpec::Serial { .. } => None,
        }
    }

    /// The UDP port the medium sends to and listens on; none for a serial
    /// line.
    pub fn port(&self) -> Option<u16> {
        match self {
            MediumSpec::Broadcast { port, .. }
            | MediumSpec::Unicast { port, .. }
            | MediumSpec::Multicast { port, .. }
            | MediumSpec::Multicast6 { port, .. } => Some(*port),
            MediumSpec::Serial { .. } => None,
        }
    }

    /// A short name for logs, errors and status displays, as ha.cf names the
    /// medium: `bcast eth0`, `ucast eth0 10.0.0.2`, `mcast eth0 239.0.0.1`,
    /// `ucast6 eth0 fd00::2`, `mcast6 eth0 ff12::1:2:3:4`.
    pub fn short_name(&self) -> String {
        match self {
            MediumSpec::Broadcast { interface, .. } => format!("bcast {interface}"),
            MediumSpec::Unicast {
                interface, peer, ..
            } => format!("{} {interface} {peer}", self.directive()),
            MediumSpec::Multicast {
                interface, group, ..
            } => format!("mcast {interface} {group}"),
            MediumSpec::Multicast6 {
                interface, group, ..
            } => format!("mcast6 {interface} {group}"),
            MediumSpec::Serial { device, .. } => format!("serial {device}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_directive() {
        let specs = [
            MediumSpec::Broadcast {
                interface: "eth0".into(),
                port: 694,
            },
            MediumSpec::Unicast {
                interface: "eth1".into(),
                peer: "10.0.0.2".parse().unwrap(),
                port: 695,
            },
            MediumSpec::Multicast {
                interface: "eth2".into(),
                group: Ipv4Addr::new(239, 0, 0, 1),
                port: 696,
                ttl: 1,
                loopback: false,
            },
        ];
        let names: Vec<_> = specs.iter().map(MediumSpec::short_name).collect();
        assert_eq!(
            names,
            ["bcast eth0", "ucast eth1 10.0.0.2", "mcast eth2 239.0.0.1"]
        );
        let interfaces: Vec<_> = specs.iter().filter_map(MediumSpec::interface).collect();
        assert_eq!(interfaces, ["eth0", "eth1", "eth2"]);
        let ports: Vec<_> = specs.iter().filter_map(MediumSpec::port).collect();
        assert_eq!(ports, [694, 695, 696]);
        let ucast6 = MediumSpec::Unicast {
            interface: "eth0".into(),
            peer: "fe80::2".parse().unwrap(),
            port: 694,
        };
        assert_eq!(ucast6.to_string(), "ucast6 eth0 fe80::2");
        let mcast6 = MediumSpec::Multicast6 {
            interface: "eth0".into(),
            group: "ff12::1:2:3:4".parse().unwrap(),
            port: 694,
            hops: 1,
            loopback: false,
        };
        assert_eq!(mcast6.to_string(), "mcast6 eth0 ff12::1:2:3:4 694 1 0");
        assert_eq!(mcast6.short_name(), "mcast6 eth0 ff12::1:2:3:4");
        assert_eq!(
            (mcast6.interface(), mcast6.port()),
            (Some("eth0"), Some(694))
        );
        let serial = MediumSpec::Serial {
            device: "/dev/ttyS0".into(),
            baud: 19200,
        };
        assert_eq!(serial.to_string(), "serial /dev/ttyS0");
        assert_eq!(serial.short_name(), "serial /dev/ttyS0");
        assert_eq!((serial.interface(), serial.port()), (None, None));
        for spec in &specs {
            assert!(spec.to_string().starts_with(spec.directive()));
        }
    }
}

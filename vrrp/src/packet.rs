//! The VRRP advertisement on the wire: VRRPv2 (RFC 3768) and VRRPv3
//! (RFC 5798), over IPv4 and IPv6, as keepalived 2.2.7 sends them.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2: |  Auth Type  |  Adver Int (s)|          Checksum           |
//! v3: |(rsvd)|  Max Adver Int (cs)  |          Checksum           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            IPvX addresses, Count of them (4 or 16 bytes each) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2 only: 8 bytes of authentication data (keepalived's PASS: the
//! password, zero-padded; otherwise zeros)
//! ```
//!
//! The checksum is the internet checksum ([`ha_net::checksum`]). VRRPv2
//! sums the VRRP message including the authentication data. VRRPv3 sums
//! an IPv4 or IPv6 pseudo-header and then the message
//! ([`Checksum::PseudoHeader`]); keepalived's `v3_checksum_as_v2` mode
//! sums the VRRPv3 message alone ([`Checksum::MessageOnly`]), as keepalived
//! before 1.2.something did for unicast.
//!
//! [`decode`] accepts any bytes and returns an [`Advert`] or a typed
//! [`DecodeError`]; it never panics. What depends on the virtual router's
//! configuration (its VRID, password, address list, interval) is checked
//! by [`crate::instance`], not here. [`decode_ipv4`] also reads the IPv4
//! header a raw IPv4 socket delivers, for the TTL and addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ha_net::checksum::checksum;

/// VRRP's IP protocol number.
pub const IPPROTO_VRRP: u8 = 112;

/// The TTL (IPv4) or hop limit (IPv6) adverts are sent with and, when
/// multicast, must arrive with (RFC 5798 §5.1.1.3).
pub const VRRP_TTL: u8 = 255;

/// The IPv4 multicast group adverts are sent to.
pub const MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// The IPv6 multicast group adverts are sent to.
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// The fixed part of every advert, in bytes.
pub const HEADER_LEN: usize = 8;

/// The authentication data that ends a VRRPv2 advert, in bytes.
pub const AUTH_DATA_LEN: usize = 8;

/// The only VRRP packet type: an advertisement.
pub const TYPE_ADVERTISEMENT: u8 = 1;

/// The largest VRRPv3 Max Adver Int (12 bits of centiseconds: 40.95 s).
pub const MAX_V3_INTERVAL: u16 = 0x0fff;

/// The priority of the address owner.
pub const PRIORITY_OWNER: u8 = 255;

/// The priority a master sends when it stops, so that a backup takes
/// over after its skew time instead of the master-down interval.
pub const PRIORITY_STOP: u8 = 0;

/// A VRRP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// RFC 3768: IPv4 only, intervals in whole seconds, 8 bytes of
    /// authentication data.
    V2,
    /// RFC 5798: IPv4 and IPv6, intervals in centiseconds.
    V3,
}

impl Version {
    /// The version number on the wire.
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }

    /// The length of one interval unit on the wire: a second for v2, a
    /// centisecond for v3.
    pub fn interval_unit(self) -> Duration {
        match self {
            Version::V2 => Duration::from_secs(1),
            Version::V3 => Duration::from_millis(10),
        }
    }

    /// The largest interval the field holds, in wire units.
    pub fn max_interval(self) -> u16 {
        match self {
            Version::V2 => u16::from(u8::MAX),
            Version::V3 => MAX_V3_INTERVAL,
        }
    }
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: 4-byte addresses.
    Ipv4,
    /// IPv6: 16-byte addresses.
    Ipv6,
}

impl Family {
    /// The length of one address, in bytes.
    pub fn address_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// The family of an address.
    pub fn of(address: &IpAddr) -> Family {
        match address {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }
}

/// The addresses an advert carries, all of one family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addresses {
    /// IPv4 virtual addresses.
    V4(Vec<Ipv4Addr>),
    /// IPv6 virtual addresses.
    V6(Vec<Ipv6Addr>),
}

impl Addresses {
    /// The family of the list.
    pub fn family(&self) -> Family {
        match self {
            Addresses::V4(_) => Family::Ipv4,
            Addresses::V6(_) => Family::Ipv6,
        }
    }

    /// How many addresses there are.
    pub fn len(&self) -> usize {
        match self {
            Addresses::V4(list) => list.len(),
            Addresses::V6(list) => list.len(),
        }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The addresses as [`IpAddr`]s, in wire order.
    pub fn to_ip_addrs(&self) -> Vec<IpAddr> {
        match self {
            Addresses::V4(list) => list.iter().map(|a| IpAddr::V4(*a)).collect(),
            Addresses::V6(list) => list.iter().map(|a| IpAddr::V6(*a)).collect(),
        }
    }
}

/// The VRRPv2 authentication an advert carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Type 0: none (the data bytes are ignored on receipt, zeros sent).
    /// VRRPv3 adverts always carry this.
    None,
    /// Type 1, keepalived's `auth_type PASS`: the password, zero-padded
    /// to 8 bytes.
    Pass([u8; AUTH_DATA_LEN]),
    /// Any other type (2 is keepalived's IPsec AH), with its data.
    Other {
        /// The Auth Type byte.
        kind: u8,
        /// The authentication data.
        data: [u8; AUTH_DATA_LEN],
    },
}

impl Auth {
    /// keepalived's PASS authentication for `password`: its first 8
    /// bytes, zero-padded (keepalived truncates a longer one).
    pub fn pass(password: &[u8]) -> Auth {
        let mut data = [0; AUTH_DATA_LEN];
        let len = password.len().min(AUTH_DATA_LEN);
        data[..len].copy_from_slice(&password[..len]);
        Auth::Pass(data)
    }

    /// The Auth Type byte.
    pub fn kind(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Other { kind, .. } => *kind,
        }
    }

    fn data(&self) -> [u8; AUTH_DATA_LEN] {
        match self {
            Auth::None => [0; AUTH_DATA_LEN],
            Auth::Pass(data) | Auth::Other { data, .. } => *data,
        }
    }
}

/// How a checksum is summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// RFC 5798 §5.2.8: VRRPv3 sums a pseudo-header of the IP packet's
    /// source and destination first. (VRRPv2 never does; this choice
    /// changes nothing for it.)
    PseudoHeader {
        /// The IP source address.
        source: IpAddr,
        /// The IP destination address (the multicast group, or the
        /// unicast peer).
        destination: IpAddr,
    },
    /// The VRRP message alone: always for VRRPv2, and for VRRPv3 over
    /// IPv4 in keepalived's `v3_checksum_as_v2` mode.
    MessageOnly,
}

/// One VRRP advertisement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Advert {
    /// VRRPv2 or VRRPv3.
    pub version: Version,
    /// The virtual router's id (1 to 255 on a valid router; 0 decodes).
    pub vrid: u8,
    /// The sender's priority: [`PRIORITY_STOP`] when its master stops,
    /// [`PRIORITY_OWNER`] for the address owner.
    pub priority: u8,
    /// The advertisement interval in wire units: whole seconds for v2
    /// (up to 255), centiseconds for v3 (up to [`MAX_V3_INTERVAL`]). See
    /// [`Advert::interval`].
    pub interval: u16,
    /// v2's authentication; always [`Auth::None`] for v3.
    pub auth: Auth,
    /// The virtual addresses.
    pub addresses: Addresses,
}

/// Why bytes are not a VRRP advert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the fixed header.
    #[error("{len} bytes is shorter than the 8-byte VRRP header")]
    TooShort {
        /// The bytes received.
        len: usize,
    },
    /// A version other than 2 or 3.
    #[error("VRRP version {0} (2 and 3 are spoken)")]
    Version(u8),
    /// A type other than advertisement.
    #[error("VRRP packet type {0} (only 1, advertisement, exists)")]
    Type(u8),
    /// VRRPv2 does not exist over IPv6.
    #[error("a VRRPv2 advert over IPv6")]
    V2OverIpv6,
    /// The length does not match the address count.
    #[error("{actual} bytes where the address count makes {expected}")]
    Length {
        /// The length the header implies.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The checksum does not sum to zero.
    #[error("bad checksum 0x{found:04x} (0x{expected:04x} expected)")]
    Checksum {
        /// The checksum field received.
        found: u16,
        /// What the field should hold.
        expected: u16,
    },
    /// The IPv4 header around the advert is malformed.
    #[error("IPv4 header: {0}")]
    Ipv4(&'static str),
    /// The IPv4 packet is not VRRP.
    #[error("IP protocol {0}, not VRRP (112)")]
    Protocol(u8),
}

/// Why an advert cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More addresses than the 8-bit count holds.
    #[error("{0} addresses; an advert carries at most 255")]
    TooManyAddresses(usize),
    /// An interval the version's field cannot hold.
    #[error("interval {interval} does not fit VRRPv{} (1 to {max})", version.number())]
    Interval {
        /// The version.
        version: Version,
        /// The interval, in wire units.
        interval: u16,
        /// The largest the field holds.
        max: u16,
    },
    /// VRRPv2 does not exist over IPv6.
    #[error("VRRPv2 cannot carry IPv6 addresses")]
    V2OverIpv6,
    /// VRRPv3 has no authentication.
    #[error("VRRPv3 has no authentication")]
    AuthOnV3,
    /// A pseudo-header whose addresses are not of the advert's family.
    #[error("pseudo-header addresses of another family than the advert's")]
    PseudoHeaderFamily,
}

impl Advert {
    /// The advertisement interval as a duration.
    pub fn interval(&self) -> Duration {
        self.version.interval_unit() * u32::from(self.interval)
    }

    /// The length of the encoded advert.
    pub fn encoded_len(&self) -> usize {
        message_len(self.version, self.addresses.family(), self.addresses.len())
    }

    /// The advert's bytes, its checksum summed as `checksum` says.
    pub fn encode(&self, checksum: &Checksum) -> Result<Vec<u8>, EncodeError> {
        let count = self.addresses.len();
        let count = u8::try_from(count).map_err(|_| EncodeError::TooManyAddresses(count))?;
        let max = self.version.max_interval();
        if self.interval > max {
            return Err(EncodeError::Interval {
                version: self.version,
                interval: self.interval,
                max,
            });
        }
        if self.version == Version::V2 && self.addresses.family() == Family::Ipv6 {
            return Err(EncodeError::V2OverIpv6);
        }
        if self.version == Version::V3 && self.auth != Auth::None {
            return Err(EncodeError::AuthOnV3);
        }
        let mut bytes = Vec::with_capacity(self.encoded_len());
        bytes.push(self.version.number() << 4 | TYPE_ADVERTISEMENT);
        bytes.extend([self.vrid, self.priority, count]);
        match self.version {
            Version::V2 => bytes.extend([self.auth.kind(), self.interval.to_be_bytes()[1]]),
            Version::V3 => bytes.extend(self.interval.to_be_bytes()),
        }
        bytes.extend([0, 0]);
        match &self.addresses {
            Addresses::V4(list) => list.iter().for_each(|a| bytes.extend(a.octets())),
            Addresses::V6(list) => list.iter().for_each(|a| bytes.extend(a.octets())),
        }
        if self.version == Version::V2 {
            bytes.extend(self.auth.data());
        }
        let sum = message_checksum(self.version, self.addresses.family(), checksum, &bytes)
            .ok_or(EncodeError::PseudoHeaderFamily)?;
        bytes[6..8].copy_from_slice(&sum.to_be_bytes());
        Ok(bytes)
    }
}

/// The length of a message of `count` addresses.
fn message_len(version: Version, family: Family, count: usize) -> usize {
    let auth = match version {
        Version::V2 => AUTH_DATA_LEN,
        Version::V3 => 0,
    };
    HEADER_LEN + count * family.address_len() + auth
}

/// The checksum of `message` (whose checksum field is zero, or holds the
/// sum being verified: then the result is 0 when it is right); `None`
/// when the pseudo-header's addresses are not of `family`.
fn message_checksum(
    version: Version,
    family: Family,
    mode: &Checksum,
    message: &[u8],
) -> Option<u16> {
    let mut summed = Vec::with_capacity(40 + message.len());
    if let (
        Version::V3,
        Checksum::PseudoHeader {
            source,
            destination,
        },
    ) = (version, mode)
    {
        let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
        match (family, source, destination) {
            (Family::Ipv4, IpAddr::V4(s), IpAddr::V4(d)) => {
                summed.extend(s.octets());
                summed.extend(d.octets());
                summed.extend([0, IPPROTO_VRRP]);
                summed.extend(len.to_be_bytes()[2..].iter());
            }
            (Family::Ipv6, IpAddr::V6(s), IpAddr::V6(d)) => {
                summed.extend(s.octets());
                summed.extend(d.octets());
                summed.extend(len.to_be_bytes());
                summed.extend([0, 0, 0, IPPROTO_VRRP]);
            }
            _ => return None,
        }
    }
    summed.extend(message);
    Some(checksum(&summed))
}

/// Decodes one VRRP message (what follows the IP header) carried over
/// `family`, verifying its checksum as `checksum` says (v2: always over
/// the message alone).
pub fn decode(bytes: &[u8], family: Family, checksum: &Checksum) -> Result<Advert, DecodeError> {
    let [first, vrid, priority, count, b4, b5, c0, c1, ..] = *bytes else {
        return Err(DecodeError::TooShort { len: bytes.len() });
    };
    let version = match first >> 4 {
        2 => Version::V2,
        3 => Version::V3,
        other => return Err(DecodeError::Version(other)),
    };
    if first & 0x0f != TYPE_ADVERTISEMENT {
        return Err(DecodeError::Type(first & 0x0f));
    }
    if version == Version::V2 && family == Family::Ipv6 {
        return Err(DecodeError::V2OverIpv6);
    }
    let expected = message_len(version, family, usize::from(count));
    if bytes.len() != expected {
        return Err(DecodeError::Length {
            expected,
            actual: bytes.len(),
        });
    }
    let found = u16::from_be_bytes([c0, c1]);
    let mut zeroed = bytes.to_vec();
    zeroed[6] = 0;
    zeroed[7] = 0;
    let expected_sum = message_checksum(version, family, checksum, &zeroed)
        .ok_or(DecodeError::Checksum { found, expected: 0 })?;
    if expected_sum != found {
        return Err(DecodeError::Checksum {
            found,
            expected: expected_sum,
        });
    }
    let list = &bytes[HEADER_LEN..HEADER_LEN + usize::from(count) * family.address_len()];
    let addresses = match family {
        Family::Ipv4 => Addresses::V4(
            list.chunks_exact(4)
                .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                .collect(),
        ),
        Family::Ipv6 => Addresses::V6(
            list.chunks_exact(16)
                .map(|c| {
                    let mut octets = [0; 16];
                    octets.copy_from_slice(c);
                    Ipv6Addr::from(octets)
                })
                .collect(),
        ),
    };
    let (interval, auth) = match version {
        Version::V2 => {
            let mut data = [0; AUTH_DATA_LEN];
            data.copy_from_slice(&bytes[bytes.len() - AUTH_DATA_LEN..]);
            let auth = match b4 {
                0 => Auth::None,
                1 => Auth::Pass(data),
                kind => Auth::Other { kind, data },
            };
            (u16::from(b5), auth)
        }
        Version::V3 => (u16::from_be_bytes([b4, b5]) & MAX_V3_INTERVAL, Auth::None),
    };
    Ok(Advert {
        version,
        vrid,
        priority,
        interval,
        auth,
        addresses,
    })
}

/// The IPv4 header fields the protocol checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Header {
    /// The sender.
    pub source: Ipv4Addr,
    /// The multicast group or unicast peer.
    pub destination: Ipv4Addr,
    /// The time to live (255 when sent by a VRRP router on the link).
    pub ttl: u8,
}

/// Decodes an IPv4 packet carrying VRRP, as a raw IPv4 socket delivers
/// it: the header (checked for its length and protocol) and the advert,
/// whose v3 checksum is verified with the packet's pseudo-header, or
/// over the message alone when `v3_checksum_as_v2`.
pub fn decode_ipv4(
    packet: &[u8],
    v3_checksum_as_v2: bool,
) -> Result<(Ipv4Header, Advert), DecodeError> {
    let [version_ihl, _, len0, len1, ..] = *packet else {
        return Err(DecodeError::Ipv4("shorter than 4 bytes"));
    };
    if version_ihl >> 4 != 4 {
        return Err(DecodeError::Ipv4("version is not 4"));
    }
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if header_len < 20 || packet.len() < header_len {
        return Err(DecodeError::Ipv4("header length out of range"));
    }
    if usize::from(u16::from_be_bytes([len0, len1])) != packet.len() {
        return Err(DecodeError::Ipv4(
            "total length differs from the bytes received",
        ));
    }
    if packet[9] != IPPROTO_VRRP {
        return Err(DecodeError::Protocol(packet[9]));
    }
    let source = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let destination = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    let mode = if v3_checksum_as_v2 {
        Checksum::MessageOnly
    } else {
        Checksum::PseudoHeader {
            source: IpAddr::V4(source),
            destination: IpAddr::V4(destination),
        }
    };
    let advert = decode(&packet[header_len..], Family::Ipv4, &mode)?;
    let header = Ipv4Header {
        source,
        destination,
        ttl: packet[8],
    };
    Ok((header, advert))
}

#[cfg(test)]
mod tests;

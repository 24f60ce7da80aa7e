//! Unsolicited neighbour advertisements (RFC 4861 §7.2.6): telling the
//! LAN that an IPv6 address moved to us, as gratuitous ARP does for IPv4.
//!
//! Each round is one Neighbor Advertisement with the Override flag and a
//! Target Link-Layer Address option carrying our MAC, from the address
//! itself to all-nodes (ff02::1) with hop limit 255 — what resource-agents'
//! IPv6addr sends. It goes out of an AF_PACKET datagram socket with its
//! IPv6 header built here, so it leaves even while the kernel still holds
//! the address tentative. Rounds follow an [`ArpSchedule`], the first at
//! once ([`NaSender::announce`]), the others from [`announce_rest`].

use std::io;
use std::net::Ipv6Addr;

use socket2::{SockAddr, Socket};

use crate::arp::{announce_rest, link_socket, Announce, ArpSchedule};
use crate::checksum::checksum;

const ETH_P_IPV6: u16 = 0x86dd;
/// The Ethernet address of ff02::1.
const ALL_NODES_MAC: [u8; 6] = [0x33, 0x33, 0, 0, 0, 1];
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const ICMPV6: u8 = 58;
const NEIGHBOR_ADVERTISEMENT: u8 = 136;
const OVERRIDE_FLAG: u8 = 0x20;
const TARGET_LINK_LAYER_ADDRESS: u8 = 2;
/// The ICMPv6 message: header, flags, target, one 8-byte option.
const ICMP_LENGTH: usize = 4 + 4 + 16 + 8;
/// The whole packet: the 40-byte IPv6 header and the message.
pub const PACKET_LENGTH: usize = 40 + ICMP_LENGTH;

/// How resource-agents' IPv6addr sends its advertisements: five, one
/// second apart.
pub const IPV6ADDR_SCHEDULE: ArpSchedule = ArpSchedule {
    count: 5,
    interval: std::time::Duration::from_secs(1),
};

/// The IPv6 packet advertising `address` at `mac` to all nodes.
pub fn advertisement(mac: [u8; 6], address: Ipv6Addr) -> [u8; PACKET_LENGTH] {
    let mut packet = [0u8; PACKET_LENGTH];
    packet[0] = 0x60; // version 6, traffic class and flow label 0
    packet[4..6].copy_from_slice(&(ICMP_LENGTH as u16).to_be_bytes());
    packet[6] = ICMPV6;
    packet[7] = 255; // hop limit: receivers drop anything else
    packet[8..24].copy_from_slice(&address.octets());
    packet[24..40].copy_from_slice(&ALL_NODES.octets());
    let icmp = &mut packet[40..];
    icmp[0] = NEIGHBOR_ADVERTISEMENT;
    icmp[4] = OVERRIDE_FLAG;
    icmp[8..24].copy_from_slice(&address.octets());
    icmp[24] = TARGET_LINK_LAYER_ADDRESS;
    icmp[25] = 1; // in units of 8 bytes
    icmp[26..32].copy_from_slice(&mac);
    let sum = icmpv6_checksum(address, ALL_NODES, &packet[40..]);
    packet[42..44].copy_from_slice(&sum.to_be_bytes());
    packet
}

/// The ICMPv6 checksum: over the pseudo-header (source, destination,
/// length, next header) and the message with its checksum field zero.
fn icmpv6_checksum(source: Ipv6Addr, destination: Ipv6Addr, message: &[u8]) -> u16 {
    let mut data = Vec::with_capacity(40 + message.len());
    data.extend_from_slice(&source.octets());
    data.extend_from_slice(&destination.octets());
    data.extend_from_slice(&(message.len() as u32).to_be_bytes());
    data.extend_from_slice(&[0, 0, 0, ICMPV6]);
    data.extend_from_slice(message);
    checksum(&data)
}

/// An AF_PACKET socket that sends unsolicited neighbour advertisements
/// for one address on one interface.
pub struct NaSender {
    socket: Socket,
    destination: SockAddr,
    packet: [u8; PACKET_LENGTH],
    address: Ipv6Addr,
}

impl NaSender {
    /// Opens the socket in the calling thread's network namespace, to
    /// advertise `address` at `mac` on interface `ifindex`.
    pub fn open(ifindex: u32, mac: [u8; 6], address: Ipv6Addr) -> io::Result<Self> {
        let (socket, destination) = link_socket(ETH_P_IPV6, ifindex, ALL_NODES_MAC)?;
        Ok(NaSender {
            socket,
            destination,
            packet: advertisement(mac, address),
            address,
        })
    }

    /// Sends one advertisement.
    pub fn announce(&self) -> io::Result<()> {
        self.socket.send_to(&self.packet, &self.destination)?;
        Ok(())
    }

    /// Sends the advertisements of `schedule` after the first,
    /// `schedule.interval` apart, logging a failed one with `interface`'s name.
    pub async fn announce_rest(self, schedule: ArpSchedule, interface: String) {
        announce_rest(self, schedule, interface).await;
    }
}

impl Announce for NaSender {
    fn announce(&self) -> io::Result<()> {
        NaSender::announce(self)
    }

    fn what(&self) -> String {
        format!("unsolicited neighbour advertisement for {}", self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertisement_layout_and_checksum() {
        let mac = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        let address: Ipv6Addr = "2001:db8:5::10".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let packet = advertisement(mac, address);
        assert_eq!(&packet[0..8], &[0x60, 0, 0, 0, 0, 32, 58, 255]);
        assert_eq!(&packet[8..24], &address.octets());
        assert_eq!(&packet[24..40], &ALL_NODES.octets());
        assert_eq!(&packet[40..42], &[136, 0]);
        assert_eq!(&packet[44..48], &[0x20, 0, 0, 0]);
        assert_eq!(&packet[48..64], &address.octets());
        assert_eq!(&packet[64..72], &[2, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        // A message that holds its checksum sums to zero with its pseudo-header.
        assert_eq!(icmpv6_checksum(address, ALL_NODES, &packet[40..]), 0);
    }
}

//! Gratuitous ARP: telling the LAN that an address moved to us.
//!
//! Like heartbeat's send_arp, each round sends an ARP request and an ARP
//! reply, both with sender IP = target IP = the announced address and our
//! MAC as sender, broadcast to ff:ff:ff:ff:ff:ff from an AF_PACKET datagram
//! socket (the kernel adds the Ethernet header). Neighbours that already
//! cache the address update it; with `arp_accept` they also learn it.
//! The first round goes at once ([`ArpSender::announce`]), the others on
//! an [`ArpSchedule`] ([`ArpSender::announce_rest`]); that schedule and
//! its loop ([`announce_rest`]) serve IPv6's neighbour advertisements too.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, SockAddrStorage, Socket, Type};

/// How many announcement rounds to send and how far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpSchedule {
    /// Rounds in total, the first at once (each round is a request and a reply).
    pub count: u32,
    /// Pause between rounds.
    pub interval: Duration,
}

impl Default for ArpSchedule {
    /// `send_arp -i 200 -r 5`, as IPaddr and IPaddr2 ran it with heartbeat 3.0.x.
    fn default() -> Self {
        ArpSchedule {
            count: 5,
            interval: Duration::from_millis(200),
        }
    }
}

const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IP: u16 = 0x0800;
const ARPHRD_ETHER: u16 = 1;
const BROADCAST_MAC: [u8; 6] = [0xff; 6];

/// ARP operation codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArpOp {
    /// `who-has` (1).
    Request = 1,
    /// `is-at` (2).
    Reply = 2,
}

/// A 28-byte Ethernet/IPv4 ARP packet announcing `address` at `mac`.
///
/// The request asks for the broadcast MAC as target (as arping -U does); the
/// reply names our own MAC as target (as arping -A does).
fn arp_packet(op: ArpOp, mac: [u8; 6], address: Ipv4Addr) -> [u8; 28] {
    let target_mac = match op {
        ArpOp::Request => BROADCAST_MAC,
        ArpOp::Reply => mac,
    };
    let mut packet = [0u8; 28];
    packet[0..2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
    packet[2..4].copy_from_slice(&ETH_P_IP.to_be_bytes());
    packet[4] = 6;
    packet[5] = 4;
    packet[6..8].copy_from_slice(&(op as u16).to_be_bytes());
    packet[8..14].copy_from_slice(&mac);
    packet[14..18].copy_from_slice(&address.octets());
    packet[18..24].copy_from_slice(&target_mac);
    packet[24..28].copy_from_slice(&address.octets());
    packet
}

/// An AF_PACKET datagram socket of the calling thread's network namespace
/// for `ethertype` frames, and the address that sends them out of
/// interface `ifindex` to `destination_mac` (the kernel adds the Ethernet
/// header).
pub(crate) fn link_socket(
    ethertype: u16,
    ifindex: u32,
    destination_mac: [u8; 6],
) -> io::Result<(Socket, SockAddr)> {
    let protocol = Protocol::from(i32::from(ethertype.to_be()));
    let socket = Socket::new(Domain::PACKET, Type::DGRAM, Some(protocol))?;
    let ifindex = i32::try_from(ifindex)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index out of range"))?;
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: sockaddr_ll is one of this platform's sockaddr types and
    // fits in sockaddr_storage; every field is written below.
    let link = unsafe { storage.view_as::<libc::sockaddr_ll>() };
    link.sll_family = libc::AF_PACKET as libc::sa_family_t;
    link.sll_protocol = ethertype.to_be();
    link.sll_ifindex = ifindex;
    link.sll_hatype = ARPHRD_ETHER;
    link.sll_pkttype = 0;
    link.sll_halen = 6;
    link.sll_addr = [0; 8];
    link.sll_addr[..6].copy_from_slice(&destination_mac);
    let length = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: the storage holds an initialised sockaddr_ll of `length` bytes
    // and its family says AF_PACKET.
    let destination = unsafe { SockAddr::new(storage, length) };
    Ok((socket, destination))
}

/// An AF_PACKET socket that broadcasts gratuitous ARP for one address on
/// one interface.
pub struct ArpSender {
    socket: Socket,
    destination: SockAddr,
    mac: [u8; 6],
    address: Ipv4Addr,
}

impl ArpSender {
    /// Opens the socket in the calling thread's network namespace, to
    /// announce `address` at `mac` on interface `ifindex`.
    pub fn open(ifindex: u32, mac: [u8; 6], address: Ipv4Addr) -> io::Result<Self> {
        let (socket, destination) = link_socket(ETH_P_ARP, ifindex, BROADCAST_MAC)?;
        Ok(ArpSender {
            socket,
            destination,
            mac,
            address,
        })
    }

    /// Sends one round: a request and a reply.
    pub fn announce(&self) -> io::Result<()> {
        for op in [ArpOp::Request, ArpOp::Reply] {
            let packet = arp_packet(op, self.mac, self.address);
            self.socket.send_to(&packet, &self.destination)?;
        }
        Ok(())
    }

    /// Sends the rounds of `schedule` after the first, `schedule.interval`
    /// apart, logging a failed one with `interface`'s name.
    pub async fn announce_rest(self, schedule: ArpSchedule, interface: String) {
        announce_rest(self, schedule, interface).await;
    }
}

impl Announce for ArpSender {
    fn announce(&self) -> io::Result<()> {
        ArpSender::announce(self)
    }

    fn what(&self) -> String {
        format!("gratuitous ARP for {}", self.address)
    }
}

/// One round of telling the LAN where an address is: gratuitous ARP here,
/// an unsolicited neighbour advertisement in [`crate::ndp`].
pub trait Announce: Send + 'static {
    /// Sends one round.
    fn announce(&self) -> io::Result<()>;
    /// What it announces, for log lines (`gratuitous ARP for 10.0.0.5`).
    fn what(&self) -> String;
}

/// Sends the rounds of `schedule` after the first, `schedule.interval`
/// apart, logging a failed one with `interface`'s name.
pub async fn announce_rest<A: Announce>(sender: A, schedule: ArpSchedule, interface: String) {
    for _ in 1..schedule.count {
        tokio::time::sleep(schedule.interval).await;
        if let Err(error) = sender.announce() {
            log::warn!("{} on {interface} failed: {error}", sender.what());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_reply_layout() {
        let mac = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        let vip = Ipv4Addr::new(172, 16, 60, 111);
        let request = arp_packet(ArpOp::Request, mac, vip);
        assert_eq!(
            request,
            [
                0, 1, 8, 0, 6, 4, 0, 1, // Ethernet, IPv4, lengths, request
                2, 0x11, 0x22, 0x33, 0x44, 0x55, 172, 16, 60, 111, // sender
                255, 255, 255, 255, 255, 255, 172, 16, 60, 111, // target
            ]
        );
        let reply = arp_packet(ArpOp::Reply, mac, vip);
        assert_eq!(&reply[6..8], &[0, 2]);
        assert_eq!(&reply[18..24], &mac);
        assert_eq!(&reply[24..28], &vip.octets());
    }
}

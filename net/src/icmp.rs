//! ICMP and ICMPv6 echo ("ping") to one target: a [`Pinger`] sends an echo
//! request and waits, up to a timeout, for its reply.
//!
//! An unprivileged ICMP datagram socket is used where the kernel allows it
//! (`net.ipv4.ping_group_range`), else a raw socket (root). Either way the
//! socket is connected to the target, so the kernel only hands it that
//! target's packets, and replies are matched by sequence number (and
//! identifier, on raw sockets: on datagram sockets the kernel owns the
//! identifier). Sequence numbers come from one counter for the process.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::net::UdpSocket;

use crate::checksum::checksum;

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// Payload bytes after the 8-byte ICMP header (ping's default).
const PAYLOAD: usize = 56;

static SEQUENCE: AtomicU16 = AtomicU16::new(1);

/// An echo request (the ICMPv6 checksum is the kernel's job).
fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let kind = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    let mut packet = vec![kind, 0, 0, 0];
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend((0..PAYLOAD).map(|i| i as u8));
    if !v6 {
        let [hi, lo] = checksum(&packet).to_be_bytes();
        packet[2] = hi;
        packet[3] = lo;
    }
    packet
}

/// Whether `packet` is the reply to request `seq` (and `id`, when given).
/// Raw IPv4 sockets deliver the IP header first; strip it with `ip_header`.
fn is_reply(v6: bool, ip_header: bool, packet: &[u8], id: Option<u16>, seq: u16) -> bool {
    let icmp = if ip_header {
        let len = packet.first().map_or(0, |b| usize::from(b & 0x0f) * 4);
        packet.get(len..).unwrap_or_default()
    } else {
        packet
    };
    let want = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    match icmp.get(..8) {
        Some([kind, 0, _, _, i0, i1, s0, s1]) => {
            *kind == want
                && id.is_none_or(|id| u16::from_be_bytes([*i0, *i1]) == id)
                && u16::from_be_bytes([*s0, *s1]) == seq
        }
        _ => false,
    }
}

/// Which kind of ICMP socket a [`Pinger`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// An unprivileged ICMP datagram socket (`ping_group_range` allows it).
    Datagram,
    /// A raw socket (needs `CAP_NET_RAW`).
    Raw,
}

impl fmt::Display for SocketKind {
    /// `datagram` or `raw`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SocketKind::Datagram => "datagram",
            SocketKind::Raw => "raw",
        })
    }
}

/// Why [`Pinger::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Neither a datagram nor a raw ICMP socket could be had.
    #[error("cannot open an ICMP socket: {0}")]
    Socket(#[source] io::Error),
    /// The socket could not be connected to the target (typically: no
    /// route to it).
    #[error("cannot connect an ICMP socket to {target}: {source}")]
    Connect {
        /// The target.
        target: IpAddr,
        /// The kernel's answer.
        source: io::Error,
    },
}

impl OpenError {
    /// The operating system's error, whichever step failed.
    pub fn into_io(self) -> io::Error {
        match self {
            OpenError::Socket(source) | OpenError::Connect { source, .. } => source,
        }
    }
}

/// An ICMP or ICMPv6 socket connected to one target. (Tokio's UDP socket
/// type only calls send(2) and recv(2), which is all a datagram or raw
/// ICMP socket needs, so it carries the descriptor.)
pub struct Pinger {
    socket: UdpSocket,
    target: IpAddr,
    kind: SocketKind,
    id: u16,
}

impl Pinger {
    /// Opens a socket of the calling thread's network namespace for
    /// `target`'s family and connects it to `target`. Call it within a
    /// tokio runtime with IO enabled.
    pub fn open(target: IpAddr) -> Result<Pinger, OpenError> {
        let (domain, protocol) = if target.is_ipv6() {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let (socket, kind) = match Socket::new(domain, Type::DGRAM, Some(protocol)) {
            Ok(socket) => (socket, SocketKind::Datagram),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EACCES | libc::EPERM | libc::EPROTONOSUPPORT)
                ) =>
            {
                let socket =
                    Socket::new(domain, Type::RAW, Some(protocol)).map_err(OpenError::Socket)?;
                (socket, SocketKind::Raw)
            }
            Err(e) => return Err(OpenError::Socket(e)),
        };
        socket.set_nonblocking(true).map_err(OpenError::Socket)?;
        socket
            .connect(&SockAddr::from(SocketAddr::new(target, 0)))
            .map_err(|source| OpenError::Connect { target, source })?;
        let socket =
            UdpSocket::from_std(std::net::UdpSocket::from(socket)).map_err(OpenError::Socket)?;
        Ok(Pinger {
            socket,
            target,
            kind,
            id: (std::process::id() as u16) ^ 0x6c64,
        })
    }

    /// The address pinged.
    pub fn target(&self) -> IpAddr {
        self.target
    }

    /// The kind of socket in use.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// Sends one echo request and waits up to `timeout` for its reply:
    /// whether it came. An ICMP error (unreachable), a refused send and
    /// silence all count as no reply.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        matches!(
            tokio::time::timeout(timeout, self.echo(seq)).await,
            Ok(Ok(()))
        )
    }

    /// Sends request `seq` and waits (unbounded: the caller times out) for its reply.
    async fn echo(&self, seq: u16) -> io::Result<()> {
        let v6 = self.target.is_ipv6();
        let raw = self.kind == SocketKind::Raw;
        self.socket.send(&echo_request(v6, self.id, seq)).await?;
        let mut buffer = [0u8; 1500];
        loop {
            let n = self.socket.recv(&mut buffer).await?;
            let packet = buffer.get(..n).unwrap_or_default();
            if is_reply(v6, raw && !v6, packet, raw.then_some(self.id), seq) {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_checksum_and_replies_match() {
        let request = echo_request(false, 0x1234, 9);
        assert_eq!(checksum(&request), 0);
        assert_ne!(request[2..4], [0, 0]);
        assert_eq!(request.len(), 8 + PAYLOAD);
        let mut reply = request.clone();
        reply[0] = ECHO_REPLY_V4;
        assert!(is_reply(false, false, &reply, Some(0x1234), 9));
        assert!(is_reply(false, false, &reply, None, 9));
        assert!(!is_reply(false, false, &reply, Some(1), 9));
        assert!(!is_reply(false, false, &reply, None, 10));
        let mut with_ip = vec![0x45; 1];
        with_ip.resize(20, 0);
        with_ip.extend_from_slice(&reply);
        assert!(is_reply(false, true, &with_ip, Some(0x1234), 9));
        assert!(!is_reply(false, true, &with_ip[..25], Some(0x1234), 9));
        assert!(!is_reply(false, true, &with_ip[..22], Some(0x1234), 9));
    }

    #[test]
    fn icmpv6_replies_are_matched_by_kind_id_and_sequence() {
        let mut reply = echo_request(true, 9, 3);
        assert_eq!(reply[2..4], [0, 0], "the kernel fills in the checksum");
        assert!(!is_reply(true, false, &reply, Some(9), 3));
        reply[0] = ECHO_REPLY_V6;
        assert!(is_reply(true, false, &reply, Some(9), 3));
        assert!(is_reply(true, false, &reply, None, 3));
        assert!(!is_reply(true, false, &reply, Some(9), 4));
        assert!(!is_reply(true, false, &reply[..5], Some(9), 3));
    }
}

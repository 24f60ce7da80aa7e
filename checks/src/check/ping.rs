//! The ping check (ldirectord's `check_ping`, also its connect check of UDP
//! services): up to `checkcount` ICMP or ICMPv6 echo requests, each given
//! `checktimeout` to be answered; up at the first reply.
//!
//! An unprivileged ICMP datagram socket is used where the kernel allows it
//! (`net.ipv4.ping_group_range`), else a raw socket (root). Either way the
//! socket is connected to the real server, so the kernel only hands it
//! that server's packets, and replies are matched by sequence number (and
//! identifier, on raw sockets).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};

use socket2::{Domain, Protocol as SockProtocol, SockAddr, Socket, Type};
use tokio::net::UdpSocket;

use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// Payload bytes after the 8-byte ICMP header.
const PAYLOAD: usize = 56;

static SEQUENCE: AtomicU16 = AtomicU16::new(1);

/// The Internet checksum (RFC 1071).
pub(crate) fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => u32::from(u16::from_be_bytes([*hi, *lo])),
            [hi] => u32::from(u16::from_be_bytes([*hi, 0])),
            _ => 0,
        })
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request (the ICMPv6 checksum is the kernel's job).
pub(crate) fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
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
pub(crate) fn is_reply(
    v6: bool,
    ip_header: bool,
    packet: &[u8],
    id: Option<u16>,
    seq: u16,
) -> bool {
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

/// An ICMP socket connected to the target. (Tokio's UDP socket type only
/// calls send(2) and recv(2), which is all a datagram or raw ICMP socket
/// needs, so it carries the descriptor.)
struct Pinger {
    socket: UdpSocket,
    v6: bool,
    raw: bool,
}

impl Pinger {
    fn open(target: IpAddr) -> io::Result<Pinger> {
        let v6 = target.is_ipv6();
        let (domain, protocol) = if v6 {
            (Domain::IPV6, SockProtocol::ICMPV6)
        } else {
            (Domain::IPV4, SockProtocol::ICMPV4)
        };
        let (socket, raw) = match Socket::new(domain, Type::DGRAM, Some(protocol)) {
            Ok(socket) => (socket, false),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EACCES | libc::EPERM | libc::EPROTONOSUPPORT)
                ) =>
            {
                (Socket::new(domain, Type::RAW, Some(protocol))?, true)
            }
            Err(e) => return Err(e),
        };
        socket.set_nonblocking(true)?;
        socket.connect(&SockAddr::from(SocketAddr::new(target, 0)))?;
        Ok(Pinger {
            socket: UdpSocket::from_std(std::net::UdpSocket::from(socket))?,
            v6,
            raw,
        })
    }

    /// Sends one request and waits (unbounded: the caller times out) for its reply.
    async fn echo(&self, id: u16, seq: u16) -> io::Result<()> {
        let request = echo_request(self.v6, id, seq);
        self.socket.send(&request).await?;
        let mut buffer = [0u8; 1500];
        loop {
            let n = self.socket.recv(&mut buffer).await?;
            let packet = buffer.get(..n).unwrap_or_default();
            let want_id = self.raw.then_some(id);
            if is_reply(self.v6, self.raw && !self.v6, packet, want_id, seq) {
                return Ok(());
            }
        }
    }
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let target = spec.target.ip();
    let pinger = Pinger::open(target).map_err(CheckError::io("opening an ICMP socket"))?;
    let id = (std::process::id() as u16) ^ 0x6c64;
    let attempts = spec.check_count.max(1);
    for attempt in 1..=attempts {
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        // An ICMP error (unreachable), a refused send or silence: no answer this time.
        if let Ok(Ok(())) = tokio::time::timeout(spec.check_timeout, pinger.echo(id, seq)).await {
            let kind = if pinger.raw { "raw" } else { "datagram" };
            return Ok(format!(
                "echo reply from {target} (attempt {attempt}/{attempts}, {kind} socket)"
            ));
        }
    }
    Err(CheckError::Answer(format!(
        "no echo reply from {target} in {attempts} attempt(s) of {:?}",
        spec.check_timeout
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_checksum_and_replies_match() {
        let request = echo_request(false, 0x1234, 9);
        assert_eq!(checksum(&request), 0);
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
        let mut v6 = echo_request(true, 1, 2);
        v6[0] = ECHO_REPLY_V6;
        assert!(is_reply(true, false, &v6, None, 2));
    }
}

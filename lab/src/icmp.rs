//! A minimal ping (one ICMP or ICMPv6 echo over a raw socket) run inside a
//! lab host, so reachability checks need no ping binary of either flavour.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::host::Host;
use crate::LabError;

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;

static NEXT_SEQUENCE: AtomicU16 = AtomicU16::new(1);

/// The Internet checksum (RFC 1071) of `data`.
fn checksum(data: &[u8]) -> u16 {
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

/// An echo request; the kernel fills in the ICMPv6 checksum itself.
fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let kind = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    let mut packet = vec![kind, 0, 0, 0];
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(b"ha-lab ping");
    if !v6 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// Whether `packet` (an IPv4 datagram, or a bare ICMPv6 message) is the
/// echo reply with `id` and `seq`.
fn is_reply(v6: bool, packet: &[u8], id: u16, seq: u16) -> bool {
    let icmp = if v6 {
        packet
    } else {
        let header_len = packet.first().map_or(0, |b| usize::from(b & 0x0f) * 4);
        packet.get(header_len..).unwrap_or_default()
    };
    let want = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    match icmp.get(..8) {
        Some([kind, 0, _, _, i0, i1, s0, s1]) => {
            *kind == want
                && u16::from_be_bytes([*i0, *i1]) == id
                && u16::from_be_bytes([*s0, *s1]) == seq
        }
        _ => false,
    }
}

/// Sends one echo request to `target` from the calling thread's namespace
/// and waits up to `timeout` for its reply.
fn ping_once(target: IpAddr, timeout: Duration) -> std::io::Result<bool> {
    let v6 = target.is_ipv6();
    let (domain, protocol) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let socket = Socket::new(domain, Type::RAW, Some(protocol))?;
    let id = (std::process::id() as u16) ^ 0x4c41;
    let seq = NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    // Connected, the raw socket only receives from the target. Failing to
    // connect or send (no route, dropped by a firewall: EPERM) means no answer.
    let sent = socket
        .connect(&SockAddr::from(SocketAddr::new(target, 0)))
        .and_then(|()| socket.send(&echo_request(v6, id, seq)));
    if sent.is_err() {
        return Ok(false);
    }
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 1500];
    loop {
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Ok(false);
        };
        socket.set_read_timeout(Some(left))?;
        match (&socket).read(&mut buffer) {
            Ok(n) => {
                if is_reply(v6, buffer.get(..n).unwrap_or_default(), id, seq) {
                    return Ok(true);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(false)
            }
            // ICMP errors (unreachable) arrive as socket errors: no answer.
            Err(e) if e.raw_os_error().is_some_and(|code| code != libc::EINTR) => return Ok(false),
            Err(_) => {}
        }
    }
}

impl Host {
    /// Pings `target` once from this host; `Ok(true)` if the echo reply came
    /// within `timeout`.
    pub fn ping(&self, target: IpAddr, timeout: Duration) -> Result<bool, LabError> {
        self.run_in(|| ping_once(target, timeout))?
            .map_err(|e| LabError::io(format!("pinging {target} from {}", self.netns()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_request_verifies() {
        let packet = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&packet), 0);
        assert_ne!(packet[2..4], [0, 0]);
    }

    #[test]
    fn replies_are_matched_by_kind_id_and_sequence() {
        let mut reply = echo_request(true, 9, 3);
        assert!(!is_reply(true, &reply, 9, 3));
        reply[0] = ECHO_REPLY_V6;
        assert!(is_reply(true, &reply, 9, 3));
        assert!(!is_reply(true, &reply, 9, 4));
        assert!(!is_reply(true, &reply[..5], 9, 3));
        let mut v4 = vec![0x45; 1];
        v4.resize(20, 0);
        let mut icmp = echo_request(false, 9, 3);
        icmp[0] = ECHO_REPLY_V4;
        v4.extend_from_slice(&icmp);
        assert!(is_reply(false, &v4, 9, 3));
        assert!(!is_reply(false, &v4[..22], 9, 3));
    }
}

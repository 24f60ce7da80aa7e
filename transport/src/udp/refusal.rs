//! Refusals: the peer's host saying that nothing listens on the port a
//! unicast datagram went to (ICMP or ICMPv6 port unreachable).
//!
//! A `ucast` medium sends from a socket of its own, with `IP_RECVERR`
//! (`IPV6_RECVERR`) on, so the kernel queues every ICMP error about the
//! datagrams it sent on that socket's error queue, with the destination
//! they went to. [`read_one`] takes one entry off that queue and keeps only
//! port-unreachable reports: an unreachable host or network, a datagram
//! too big, and the like say nothing about the peer's process.
//!
//! While an error is pending, the kernel also fails the socket's next send
//! with `ECONNREFUSED` (without sending): the medium sends again then
//! ([`is_pending_error`]); the entry stays on the queue for [`read_one`].

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage,
};

/// ICMP "destination unreachable", and its "port unreachable" code.
const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_PORT_UNREACH: u8 = 3;
/// ICMPv6 "destination unreachable", and its "port unreachable" code.
const ICMP6_DST_UNREACH: u8 = 1;
const ICMP6_DST_UNREACH_NOPORT: u8 = 4;

/// Asks the kernel to queue ICMP errors about what `socket` sends.
pub(crate) fn enable(socket: &impl AsFd, ipv6: bool) -> io::Result<()> {
    let result = if ipv6 {
        setsockopt(socket, sockopt::Ipv6RecvErr, &true)
    } else {
        setsockopt(socket, sockopt::Ipv4RecvErr, &true)
    };
    result.map_err(io::Error::from)
}

/// Whether a send failed only because an ICMP error was pending on the
/// socket (the datagram was not sent; sending again is right).
pub(crate) fn is_pending_error(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::ECONNREFUSED)
}

/// Takes one entry off `socket`'s error queue: `Some(destination)` for a
/// port unreachable about a datagram sent to `destination`, `None` for any
/// other error; fails with [`io::ErrorKind::WouldBlock`] when the queue is
/// empty.
pub(crate) fn read_one(socket: BorrowedFd<'_>) -> io::Result<Option<SocketAddr>> {
    // The datagram that drew the error comes back too; none of it is needed.
    let mut payload = [0u8; 0];
    let mut iov = [IoSliceMut::new(&mut payload)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let message = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let destination = message.address.and_then(|address| {
        if let Some(v4) = address.as_sockaddr_in() {
            Some(SocketAddr::from((IpAddr::from(v4.ip()), v4.port())))
        } else {
            address
                .as_sockaddr_in6()
                .map(|v6| SocketAddr::from((IpAddr::from(v6.ip()), v6.port())))
        }
    });
    let Ok(cmsgs) = message.cmsgs() else {
        return Ok(None);
    };
    for cmsg in cmsgs {
        let refused = match cmsg {
            ControlMessageOwned::Ipv4RecvErr(error, _) => is_port_unreachable(&error, false),
            ControlMessageOwned::Ipv6RecvErr(error, _) => is_port_unreachable(&error, true),
            _ => false,
        };
        if refused {
            return Ok(destination);
        }
    }
    Ok(None)
}

/// Whether an extended error is an ICMP (`ipv6`: ICMPv6) port unreachable.
fn is_port_unreachable(error: &libc::sock_extended_err, ipv6: bool) -> bool {
    if ipv6 {
        error.ee_origin == libc::SO_EE_ORIGIN_ICMP6
            && error.ee_type == ICMP6_DST_UNREACH
            && error.ee_code == ICMP6_DST_UNREACH_NOPORT
    } else {
        error.ee_origin == libc::SO_EE_ORIGIN_ICMP
            && error.ee_type == ICMP_DEST_UNREACH
            && error.ee_code == ICMP_PORT_UNREACH
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, UdpSocket};
    use std::time::{Duration, Instant};

    /// A datagram to a closed port on loopback is refused, and the refusal
    /// names where the datagram went.
    #[test]
    fn a_closed_port_on_loopback_is_reported_with_its_address() {
        let closed = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let target = closed.local_addr().unwrap();
        drop(closed);
        let sender = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        enable(&sender, false).unwrap();
        sender.send_to(b"anyone?", target).unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match read_one(sender.as_fd()) {
                Ok(Some(to)) => {
                    assert_eq!(to, target);
                    break;
                }
                Ok(None) => panic!("another error than port unreachable"),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no refusal reported");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("reading the error queue: {e}"),
            }
        }
        // The pending error failed nothing we did not retry; the queue is
        // now empty.
        let empty = read_one(sender.as_fd()).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
    }
}

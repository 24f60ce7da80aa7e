//! Adverts over IPv6: a raw IPv6 socket of protocol 112, bound to the
//! interface, member of ff02::12 there, hop limit 255, loopback of our
//! own multicast off. VRRPv3 over IPv6 always sums the pseudo-header, so
//! each send names its source address (IPV6_PKTINFO) and each receive
//! reads the destination and hop limit from the packet's control data
//! (IPV6_PKTINFO, IPV6_HOPLIMIT).

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn6,
};
use socket2::{Domain, Protocol, Socket, Type};

use super::NetworkError;
use crate::instance::Received;
use crate::packet::{
    decode, Advert, Checksum, DecodeError, Family, IPPROTO_VRRP, MULTICAST_V6, VRRP_TTL,
};

/// One instance's IPv6 VRRP socket.
#[derive(Debug)]
pub struct Ipv6Socket {
    socket: Socket,
    source: Ipv6Addr,
    ifindex: u32,
}

impl Ipv6Socket {
    /// Opens the socket on `interface`, sending from `source` (the
    /// interface's link-local address, or `unicast_src_ip`).
    pub fn open(interface: &str, source: Ipv6Addr) -> Result<Ipv6Socket, NetworkError> {
        let open = |source: std::io::Error| NetworkError::Open {
            interface: interface.to_string(),
            source,
        };
        let ifindex = nix::net::if_::if_nametoindex(interface)
            .map_err(|errno| open(std::io::Error::from(errno)))?;
        let socket = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )
        .map_err(open)?;
        socket
            .bind_device(Some(interface.as_bytes()))
            .map_err(open)?;
        socket.set_multicast_if_v6(ifindex).map_err(open)?;
        socket
            .set_multicast_hops_v6(u32::from(VRRP_TTL))
            .map_err(open)?;
        socket
            .set_unicast_hops_v6(u32::from(VRRP_TTL))
            .map_err(open)?;
        socket.set_multicast_loop_v6(false).map_err(open)?;
        socket
            .join_multicast_v6(&MULTICAST_V6, ifindex)
            .map_err(open)?;
        setsockopt(&socket, sockopt::Ipv6RecvPacketInfo, &true)
            .map_err(|errno| open(std::io::Error::from(errno)))?;
        setsockopt(&socket, sockopt::Ipv6RecvHopLimit, &true)
            .map_err(|errno| open(std::io::Error::from(errno)))?;
        Ok(Ipv6Socket {
            socket,
            source,
            ifindex,
        })
    }

    /// Sends `advert` to `to` (ff02::12, or a unicast peer).
    pub fn send(&self, advert: &Advert, to: Ipv6Addr) -> Result<(), NetworkError> {
        let mode = Checksum::PseudoHeader {
            source: IpAddr::V6(self.source),
            destination: IpAddr::V6(to),
        };
        let bytes = advert.encode(&mode)?;
        let info = nix::libc::in6_pktinfo {
            ipi6_addr: nix::libc::in6_addr {
                s6_addr: self.source.octets(),
            },
            ipi6_ifindex: self.ifindex,
        };
        let scope = if to.is_unicast_link_local() || to.is_multicast() {
            self.ifindex
        } else {
            0
        };
        let address = SockaddrIn6::from(SocketAddrV6::new(to, 0, 0, scope));
        sendmsg(
            self.socket.as_raw_fd(),
            &[IoSlice::new(&bytes)],
            &[ControlMessage::Ipv6PacketInfo(&info)],
            MsgFlags::empty(),
            Some(&address),
        )
        .map_err(|errno| NetworkError::Send {
            to: IpAddr::V6(to),
            source: std::io::Error::from(errno),
        })?;
        Ok(())
    }

    /// Waits up to `timeout` for one packet: `Ok(None)` when none came,
    /// `Ok(Some(Err(_)))` for a packet that is not a valid advert.
    pub fn recv(
        &self,
        timeout: Duration,
    ) -> Result<Option<Result<Received, DecodeError>>, NetworkError> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(NetworkError::Recv)?;
        let mut buffer = [0u8; 2048];
        let mut control = nix::cmsg_space!(nix::libc::in6_pktinfo, nix::libc::c_int);
        let mut iov = [IoSliceMut::new(&mut buffer)];
        let (len, source, destination, hops) = match recvmsg::<SockaddrIn6>(
            self.socket.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::empty(),
        ) {
            Ok(message) => {
                let mut destination = None;
                let mut hops = None;
                if let Ok(cmsgs) = message.cmsgs() {
                    for cmsg in cmsgs {
                        match cmsg {
                            ControlMessageOwned::Ipv6PacketInfo(info) => {
                                destination = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr))
                            }
                            ControlMessageOwned::Ipv6HopLimit(limit) => hops = Some(limit),
                            _ => {}
                        }
                    }
                }
                (
                    message.bytes,
                    message.address.map(|a| a.ip()),
                    destination,
                    hops,
                )
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => return Ok(None),
            Err(errno) => return Err(NetworkError::Recv(std::io::Error::from(errno))),
        };
        let (Some(source), Some(destination)) = (source, destination) else {
            return Ok(None);
        };
        let mode = Checksum::PseudoHeader {
            source: IpAddr::V6(source),
            destination: IpAddr::V6(destination),
        };
        let ttl = hops.and_then(|h| u8::try_from(h).ok()).unwrap_or(0);
        Ok(Some(decode(&buffer[..len], Family::Ipv6, &mode).map(
            |advert| Received {
                source: IpAddr::V6(source),
                ttl,
                advert,
            },
        )))
    }
}

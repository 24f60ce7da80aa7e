//! Adverts over IPv4: a raw IPv4 socket of protocol 112, bound to the interface, member of
//! 224.0.0.18 there, sending with TTL 255 (multicast and unicast) from
//! the instance's primary address; loopback of our own multicast is off.
//! Received packets come with their IPv4 header, so [`Ipv4Socket::recv`]
//! returns the source and TTL the state machine checks beside the
//! decoded advert; a packet that does not decode is returned as its
//! [`DecodeError`], never a panic.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::NetworkError;
use crate::instance::Received;
use crate::packet::{
    decode_ipv4, Advert, Checksum, DecodeError, IPPROTO_VRRP, MULTICAST_V4, VRRP_TTL,
};

/// One instance's IPv4 VRRP socket.
#[derive(Debug)]
pub struct Ipv4Socket {
    socket: Socket,
    source: Ipv4Addr,
    v3_checksum_as_v2: bool,
}

impl Ipv4Socket {
    /// Opens the socket on `interface`, sending from `source` (the
    /// interface's primary address or `unicast_src_ip`).
    pub fn open(
        interface: &str,
        source: Ipv4Addr,
        v3_checksum_as_v2: bool,
    ) -> Result<Ipv4Socket, NetworkError> {
        let open = |source: io::Error| NetworkError::Open {
            interface: interface.to_string(),
            source,
        };
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )
        .map_err(open)?;
        socket
            .bind_device(Some(interface.as_bytes()))
            .map_err(open)?;
        socket.set_multicast_if_v4(&source).map_err(open)?;
        socket
            .set_multicast_ttl_v4(u32::from(VRRP_TTL))
            .map_err(open)?;
        socket.set_ttl_v4(u32::from(VRRP_TTL)).map_err(open)?;
        socket.set_multicast_loop_v4(false).map_err(open)?;
        socket
            .join_multicast_v4(&MULTICAST_V4, &source)
            .map_err(open)?;
        // TOS 0xc0 (network control), as keepalived sends.
        socket.set_tos_v4(0xc0).map_err(open)?;
        Ok(Ipv4Socket {
            socket,
            source,
            v3_checksum_as_v2,
        })
    }

    /// Sends `advert` to `to` (the multicast group, or a unicast peer).
    pub fn send(&self, advert: &Advert, to: Ipv4Addr) -> Result<(), NetworkError> {
        let mode = if self.v3_checksum_as_v2 {
            Checksum::MessageOnly
        } else {
            Checksum::PseudoHeader {
                source: IpAddr::V4(self.source),
                destination: IpAddr::V4(to),
            }
        };
        let bytes = advert.encode(&mode)?;
        let address = SockAddr::from(SocketAddr::V4(SocketAddrV4::new(to, 0)));
        self.socket
            .send_to(&bytes, &address)
            .map_err(|source| NetworkError::Send {
                to: IpAddr::V4(to),
                source,
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
        let len = match (&self.socket).read(&mut buffer) {
            Ok(len) => len,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(None),
            Err(e) => return Err(NetworkError::Recv(e)),
        };
        let bytes = &buffer[..len];
        Ok(Some(decode_ipv4(bytes, self.v3_checksum_as_v2).map(
            |(header, advert)| Received {
                source: IpAddr::V4(header.source),
                ttl: header.ttl,
                advert,
            },
        )))
    }
}

//! Building the one socket behind each UDP medium.
//!
//! Every medium's socket is bound to its interface (`SO_BINDTODEVICE`), so it
//! sends out of that interface only and hears only what arrived on it, and
//! carries `SO_REUSEADDR`, so several media (one per ucast peer, or the same
//! port on several interfaces) and several instances can share a port.
//! Sockets also turn `IP_MULTICAST_ALL` (`IPV6_MULTICAST_ALL`) off, so a
//! socket hears only the groups it joined itself.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::num::NonZeroU32;
use std::os::fd::AsRawFd;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};

use crate::error::TransportError;

/// `IPTOS_LOWDELAY`: heartbeat asks for it on its unicast sockets.
const TOS_LOW_DELAY: u32 = 0x10;

/// Builds sockets for one medium, turning each failure into a
/// [`TransportError`] that names the medium and the step that failed.
pub(crate) struct SocketBuilder<'a> {
    /// The medium, e.g. `bcast eth0`.
    pub medium: &'a str,
    /// The interface to bind to.
    pub interface: &'a str,
}

impl SocketBuilder<'_> {
    /// An IPv4 socket bound to `interface` and to `address`.
    pub fn ipv4(&self, address: SocketAddrV4) -> Result<Socket, TransportError> {
        let socket = self.step("create an IPv4 UDP socket", || {
            Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        })?;
        self.step("set SO_REUSEADDR", || socket.set_reuse_address(true))?;
        self.step("turn IP_MULTICAST_ALL off", || {
            socket.set_multicast_all_v4(false)
        })?;
        self.step("set IP_TOS", || socket.set_tos_v4(TOS_LOW_DELAY))?;
        self.bind(&socket, SocketAddr::V4(address))?;
        Ok(socket)
    }

    /// An IPv6-only socket bound to `interface` and to `[::]:port`.
    pub fn ipv6(&self, port: u16) -> Result<Socket, TransportError> {
        let socket = self.step("create an IPv6 UDP socket", || {
            Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
        })?;
        self.step("set IPV6_V6ONLY", || socket.set_only_v6(true))?;
        self.step("set SO_REUSEADDR", || socket.set_reuse_address(true))?;
        self.step("turn IPV6_MULTICAST_ALL off", || {
            socket.set_multicast_all_v6(false)
        })?;
        let any = SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0);
        self.bind(&socket, SocketAddr::V6(any))?;
        Ok(socket)
    }

    /// Lets `socket` send to broadcast addresses.
    pub fn allow_broadcast(&self, socket: &Socket) -> Result<(), TransportError> {
        self.step("set SO_BROADCAST", || socket.set_broadcast(true))
    }

    /// Joins `group` on the interface with index `index` and makes it the
    /// socket's multicast interface, with the given TTL and loopback.
    pub fn join_multicast(
        &self,
        socket: &Socket,
        group: Ipv4Addr,
        index: NonZeroU32,
        ttl: u8,
        loopback: bool,
    ) -> Result<(), TransportError> {
        let interface = InterfaceIndexOrAddress::Index(index.get());
        self.step(&format!("join multicast group {group}"), || {
            socket.join_multicast_v4_n(&group, &interface)
        })?;
        self.step("set IP_MULTICAST_IF", || {
            set_multicast_interface(socket, index)
        })?;
        self.step("set IP_MULTICAST_TTL", || {
            socket.set_multicast_ttl_v4(u32::from(ttl))
        })?;
        self.step("set IP_MULTICAST_LOOP", || {
            socket.set_multicast_loop_v4(loopback)
        })
    }

    /// Joins the IPv6 `group` on the interface with index `index` and makes
    /// it the socket's multicast interface, with the given hop limit and
    /// loopback, as heartbeat's mcast6 does.
    pub fn join_multicast_v6(
        &self,
        socket: &Socket,
        group: Ipv6Addr,
        index: NonZeroU32,
        hops: u8,
        loopback: bool,
    ) -> Result<(), TransportError> {
        self.step(&format!("join multicast group {group}"), || {
            socket.join_multicast_v6(&group, index.get())
        })?;
        self.step("set IPV6_MULTICAST_IF", || {
            socket.set_multicast_if_v6(index.get())
        })?;
        self.step("set IPV6_MULTICAST_HOPS", || {
            socket.set_multicast_hops_v6(u32::from(hops))
        })?;
        self.step("set IPV6_MULTICAST_LOOP", || {
            socket.set_multicast_loop_v6(loopback)
        })
    }

    /// Makes a finished socket usable by tokio.
    pub fn register(&self, socket: Socket) -> Result<tokio::net::UdpSocket, TransportError> {
        self.step("make the socket non-blocking", || {
            socket.set_nonblocking(true)
        })?;
        self.step("register the socket with the runtime", || {
            tokio::net::UdpSocket::from_std(socket.into())
        })
    }

    fn bind(&self, socket: &Socket, address: SocketAddr) -> Result<(), TransportError> {
        self.step(&format!("bind to device {}", self.interface), || {
            socket.bind_device(Some(self.interface.as_bytes()))
        })?;
        self.step(&format!("bind to {address}"), || {
            socket.bind(&address.into())
        })
    }

    /// Runs one setup step; "no such device" becomes
    /// [`TransportError::NoSuchInterface`] (the interface may vanish while we
    /// set up), anything else a [`TransportError::Socket`] naming the step.
    fn step<T>(
        &self,
        action: &str,
        operation: impl FnOnce() -> io::Result<T>,
    ) -> Result<T, TransportError> {
        operation().map_err(|source| match source.raw_os_error() {
            Some(libc::ENODEV) => TransportError::NoSuchInterface {
                medium: self.medium.to_owned(),
            },
            _ => TransportError::Socket {
                medium: self.medium.to_owned(),
                action: action.to_owned(),
                source,
            },
        })
    }
}

/// `IP_MULTICAST_IF` by interface index (`ip_mreqn`), so the choice survives
/// the interface's address changing.
fn set_multicast_interface(socket: &Socket, index: NonZeroU32) -> io::Result<()> {
    let index = libc::c_int::try_from(index.get())
        .map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?;
    let request = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: index,
    };
    let length = libc::socklen_t::try_from(std::mem::size_of::<libc::ip_mreqn>())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `request` is a valid `ip_mreqn` that outlives the call and
    // `length` is its exact size; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            std::ptr::from_ref(&request).cast(),
            length,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

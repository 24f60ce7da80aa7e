//! UDP media: broadcast over IPv4, unicast and multicast over IPv4 or IPv6.
//!
//! Each medium is one socket, bound to its interface, that both sends and
//! receives (the private `socket` module lists its options), except
//! `ucast`, which sends from a socket of its own:
//!
//! - `bcast IFACE` binds `0.0.0.0:port` and sends to the interface's IPv4
//!   broadcast address, looked up when opened and again at most every
//!   [`BROADCAST_RECHECK`] (and right after a failed send), so an address
//!   change is followed without a system call per datagram.
//! - `ucast IFACE PEER` binds `0.0.0.0:port` (`[::]:port` for an IPv6 peer)
//!   to receive, and sends to `PEER:port` from a second socket on an
//!   ephemeral port, as heartbeat's ucast does. That socket hears the
//!   peer's host refuse a datagram (ICMP port unreachable: nothing listens
//!   on the port) and [`Medium::refused`] reports it (the `refusal`
//!   module). Several ucast lines, one per peer, may share an
//!   interface and port; each datagram that arrives is handed to one of them.
//!   A line naming one of this host's own addresses (one ha.cf shared by all
//!   nodes; checked when the medium is opened) sends nothing but still
//!   receives, which is what heartbeat's "effectively ignored" amounts to.
//! - `mcast IFACE GROUP PORT TTL LOOP` binds `GROUP:port`, joins the group on
//!   the interface and sends to `GROUP:port` with the TTL and loopback given.
//! - `ucast6 IFACE PEER` is `ucast` to an IPv6 peer; a link-local peer
//!   (`fe80::/10`) is reached with the interface as its scope.
//! - `mcast6 IFACE GROUP PORT HOPS LOOP` binds `[::]:port` (as heartbeat's
//!   mcast6 does; `IPV6_MULTICAST_ALL` off keeps other groups out), joins the
//!   group on the interface's index and sends to `[GROUP]:port` out of that
//!   interface with the hop limit and loopback given; a link-local group
//!   (`ff02::/16`, `ff12::/16`) carries the interface as its scope.
//!
//! Media do not filter what they receive: our own broadcasts, and our own
//! multicasts when loopback is on, come back with our address as source. The
//! caller drops them, by the sender named in the message or by comparing the
//! source with [`local_addresses`]. A datagram may also arrive on two media
//! when their sockets overlap (say `bcast eth0` and `ucast eth0 PEER`, both on
//! port 694); the caller deduplicates, as heartbeat does by sequence number.

mod iface;
mod refusal;
mod socket;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsFd;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::error::TransportError;
use crate::medium::{DownReason, LinkState, Medium, MAX_DATAGRAM_LEN};
use crate::spec::MediumSpec;
pub use iface::local_addresses;
use iface::InterfaceStatus;
use socket::SocketBuilder;

/// How many times a send is tried again when it failed only because an
/// earlier datagram's ICMP error was pending on the socket.
const PENDING_ERROR_RETRIES: usize = 4;

/// How long a broadcast medium trusts the broadcast address it looked up.
pub const BROADCAST_RECHECK: Duration = Duration::from_secs(5);

/// Opens the medium `spec` describes, boxed for a list of mixed media.
///
/// Must be called from within a tokio runtime.
pub async fn open(spec: &MediumSpec) -> Result<Box<dyn Medium>, TransportError> {
    Ok(Box::new(UdpMedium::open(spec).await?))
}

/// A UDP broadcast, unicast or multicast medium.
#[derive(Debug)]
pub struct UdpMedium {
    name: String,
    interface: String,
    socket: UdpSocket,
    /// The socket a ucast medium sends from (ephemeral port, ICMP errors
    /// queued); `None`: sends go out of `socket`.
    sender: Option<UdpSocket>,
    destination: Destination,
    last_send_failure: Mutex<Option<DownReason>>,
}

/// Where a medium's datagrams go.
#[derive(Debug)]
enum Destination {
    /// Always the same address: the unicast peer or the multicast group.
    Fixed(SocketAddr),
    /// The interface's broadcast address, re-read now and then.
    Broadcast {
        port: u16,
        cached: Mutex<CachedBroadcast>,
    },
    /// Nowhere: a unicast line naming this host's own address.
    Ourselves,
}

/// A broadcast address and when it was read; `checked_at: None` forces a
/// re-read before the next send.
#[derive(Debug, Clone, Copy)]
struct CachedBroadcast {
    address: Option<Ipv4Addr>,
    checked_at: Option<Instant>,
}

impl UdpMedium {
    /// Opens the medium `spec` describes: checks the interface exists, builds
    /// and binds the socket, joins the multicast group.
    ///
    /// Must be called from within a tokio runtime.
    pub async fn open(spec: &MediumSpec) -> Result<UdpMedium, TransportError> {
        let name = spec.short_name();
        let Some(interface) = spec.interface() else {
            return Err(TransportError::WrongKind {
                medium: name,
                wanted: "UDP",
            });
        };
        let builder = SocketBuilder {
            medium: &name,
            interface,
        };
        let missing = || TransportError::NoSuchInterface {
            medium: name.clone(),
        };
        let index = iface::index(interface)
            .map_err(|source| TransportError::Socket {
                medium: name.clone(),
                action: format!("look up interface {interface}"),
                source,
            })?
            .ok_or_else(missing)?;

        let (socket, destination, sender) = match spec {
            MediumSpec::Broadcast { port, .. } => {
                let socket = builder.ipv4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, *port))?;
                builder.allow_broadcast(&socket)?;
                let address = iface::broadcast_v4(socket.as_fd(), interface)
                    .map_err(|source| match source.raw_os_error() {
                        Some(libc::ENODEV) => missing(),
                        _ => TransportError::Socket {
                            medium: name.clone(),
                            action: format!("read the broadcast address of {interface}"),
                            source,
                        },
                    })?
                    .ok_or_else(|| TransportError::NoBroadcastAddress {
                        medium: name.clone(),
                        interface: interface.to_owned(),
                    })?;
                let cached = CachedBroadcast {
                    address: Some(address),
                    checked_at: Some(Instant::now()),
                };
                let destination = Destination::Broadcast {
                    port: *port,
                    cached: Mutex::new(cached),
                };
                (socket, destination, None)
            }
            MediumSpec::Unicast { peer, port, .. } => {
                let socket = match peer {
                    IpAddr::V4(_) => {
                        builder.ipv4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, *port))?
                    }
                    IpAddr::V6(_) => builder.ipv6(*port)?,
                };
                let own = local_addresses().map_err(|source| TransportError::Socket {
                    medium: name.clone(),
                    action: "list this host's addresses".into(),
                    source,
                })?;
                let (destination, sender) = if own.contains(peer) {
                    (Destination::Ourselves, None)
                } else {
                    let destination = unicast_destination(*peer, *port, index.get());
                    let sender = match peer {
                        IpAddr::V4(_) => {
                            builder.ipv4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?
                        }
                        IpAddr::V6(_) => builder.ipv6(0)?,
                    };
                    refusal::enable(&sender, peer.is_ipv6()).map_err(|source| {
                        TransportError::Socket {
                            medium: name.clone(),
                            action: "turn IP_RECVERR on".into(),
                            source,
                        }
                    })?;
                    (Destination::Fixed(destination), Some(sender))
                };
                (socket, destination, sender)
            }
            MediumSpec::Multicast {
                group,
                port,
                ttl,
                loopback,
                ..
            } => {
                if !group.is_multicast() {
                    return Err(TransportError::NotMulticast {
                        medium: name,
                        group: IpAddr::V4(*group),
                    });
                }
                let socket = builder.ipv4(SocketAddrV4::new(*group, *port))?;
                builder.join_multicast(&socket, *group, index, *ttl, *loopback)?;
                let destination =
                    Destination::Fixed(SocketAddr::V4(SocketAddrV4::new(*group, *port)));
                (socket, destination, None)
            }
            MediumSpec::Multicast6 {
                group,
                port,
                hops,
                loopback,
                ..
            } => {
                if !group.is_multicast() {
                    return Err(TransportError::NotMulticast {
                        medium: name,
                        group: IpAddr::V6(*group),
                    });
                }
                let socket = builder.ipv6(*port)?;
                builder.join_multicast_v6(&socket, *group, index, *hops, *loopback)?;
                let destination =
                    Destination::Fixed(multicast6_destination(*group, *port, index.get()));
                (socket, destination, None)
            }
            MediumSpec::Serial { .. } => {
                return Err(TransportError::WrongKind {
                    medium: name,
                    wanted: "UDP",
                })
            }
        };
        let socket = builder.register(socket)?;
        let sender = sender.map(|s| builder.register(s)).transpose()?;
        Ok(UdpMedium {
            interface: interface.to_owned(),
            name,
            socket,
            sender,
            destination,
            last_send_failure: Mutex::new(None),
        })
    }

    /// The address the medium's socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Whether the medium only receives: a unicast line naming one of this
    /// host's own addresses.
    pub fn is_receive_only(&self) -> bool {
        matches!(self.destination, Destination::Ourselves)
    }

    /// Where the next datagram goes, re-reading the broadcast address when
    /// the cached one is stale. `None` for a receive-only medium.
    fn destination(&self) -> io::Result<Option<SocketAddr>> {
        match &self.destination {
            Destination::Fixed(address) => Ok(Some(*address)),
            Destination::Ourselves => Ok(None),
            Destination::Broadcast { port, cached } => {
                let mut cached = lock(cached);
                let now = Instant::now();
                let fresh = cached
                    .checked_at
                    .is_some_and(|at| now.duration_since(at) < BROADCAST_RECHECK);
                if !fresh {
                    // Keep the old address if the interface cannot be asked
                    // right now; the send will tell whether it still works.
                    if let Ok(address) = iface::broadcast_v4(self.socket.as_fd(), &self.interface) {
                        cached.address = address;
                    }
                    cached.checked_at = Some(now);
                }
                match cached.address {
                    Some(address) => Ok(Some(SocketAddr::V4(SocketAddrV4::new(address, *port)))),
                    None => Err(io::Error::new(
                        io::ErrorKind::AddrNotAvailable,
                        format!("interface {} has no IPv4 broadcast address", self.interface),
                    )),
                }
            }
        }
    }

    fn record_send(&self, result: &io::Result<usize>) {
        let mut failure = lock(&self.last_send_failure);
        match result {
            Ok(_) => *failure = None,
            Err(error) => {
                *failure = Some(DownReason::send_failed(error));
                if let Destination::Broadcast { cached, .. } = &self.destination {
                    lock(cached).checked_at = None;
                }
            }
        }
    }
}

#[async_trait]
impl Medium for UdpMedium {
    fn describe(&self) -> String {
        if self.is_receive_only() {
            format!("{} (own address: receive only)", self.name)
        } else {
            self.name.clone()
        }
    }

    async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        if datagram.len() > MAX_DATAGRAM_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "datagram of {} bytes is longer than {MAX_DATAGRAM_LEN}",
                    datagram.len()
                ),
            ));
        }
        let destination = match self.destination() {
            Ok(Some(destination)) => destination,
            Ok(None) => return Ok(()),
            Err(error) => {
                let result = Err(error);
                self.record_send(&result);
                return result.map(drop);
            }
        };
        let socket = self.sender.as_ref().unwrap_or(&self.socket);
        let mut result = socket.send_to(datagram, destination).await;
        // An ICMP error still pending on the socket fails one send (which
        // sent nothing) and is then cleared; a few in a row at most.
        for _ in 0..PENDING_ERROR_RETRIES {
            match &result {
                Err(error) if refusal::is_pending_error(error) => {
                    result = socket.send_to(datagram, destination).await;
                }
                _ => break,
            }
        }
        self.record_send(&result);
        match result {
            Ok(sent) if sent == datagram.len() => Ok(()),
            Ok(sent) => Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("sent {sent} of {} bytes", datagram.len()),
            )),
            Err(error) => Err(error),
        }
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf).await
    }

    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        match self.socket.try_recv_from(buf) {
            Ok(received) => Ok(Some(received)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A ucast medium reads its sending socket's error queue; the others
    /// wait forever.
    async fn refused(&self) -> io::Result<SocketAddr> {
        let Some(sender) = &self.sender else {
            return std::future::pending().await;
        };
        loop {
            sender.ready(Interest::ERROR).await?;
            match sender.try_io(Interest::ERROR, || refusal::read_one(sender.as_fd())) {
                Ok(Some(destination)) => return Ok(destination),
                // Another kind of ICMP error: nothing to say about the peer.
                Ok(None) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
    }

    fn link(&self) -> LinkState {
        let interface = self.interface.clone();
        match iface::status(self.socket.as_fd(), &self.interface) {
            Ok(InterfaceStatus::Missing) => {
                return LinkState::Down(DownReason::InterfaceMissing { interface })
            }
            Ok(InterfaceStatus::Down) => {
                return LinkState::Down(DownReason::InterfaceDown { interface })
            }
            Ok(InterfaceStatus::NoCarrier) => {
                return LinkState::Down(DownReason::NoCarrier { interface })
            }
            // If the kernel cannot say, the last send is all we know.
            Ok(InterfaceStatus::Running) | Err(_) => {}
        }
        match &*lock(&self.last_send_failure) {
            Some(reason) => LinkState::Down(reason.clone()),
            None => LinkState::Up,
        }
    }
}

/// `PEER:port`; a link-local IPv6 peer is reached through the interface with
/// index `interface_index`.
fn unicast_destination(peer: IpAddr, port: u16, interface_index: u32) -> SocketAddr {
    match peer {
        IpAddr::V4(peer) => SocketAddr::V4(SocketAddrV4::new(peer, port)),
        IpAddr::V6(peer) => {
            let scope = if peer.is_unicast_link_local() {
                interface_index
            } else {
                0
            };
            SocketAddr::V6(SocketAddrV6::new(peer, port, 0, scope))
        }
    }
}

/// `[GROUP]:port`; a link-local group (scope 2, `ffx2::`) is reached
/// through the interface with index `interface_index`.
fn multicast6_destination(group: Ipv6Addr, port: u16, interface_index: u32) -> SocketAddr {
    let link_local = group.octets()[1] & 0x0f == 0x02;
    let scope = if link_local { interface_index } else { 0 };
    SocketAddr::V6(SocketAddrV6::new(group, port, 0, scope))
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn only_link_local_ipv6_peers_get_a_scope() {
        let link_local: Ipv6Addr = "fe80::1".parse().unwrap();
        let global: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let SocketAddr::V6(scoped) = unicast_destination(IpAddr::V6(link_local), 694, 7) else {
            panic!("IPv6 peer gave an IPv4 destination");
        };
        assert_eq!(scoped.scope_id(), 7);
        let SocketAddr::V6(unscoped) = unicast_destination(IpAddr::V6(global), 694, 7) else {
            panic!("IPv6 peer gave an IPv4 destination");
        };
        assert_eq!(unscoped.scope_id(), 0);
        assert_eq!(
            unicast_destination(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 695, 7),
            "10.0.0.2:695".parse::<SocketAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn a_missing_interface_is_named_in_the_error() {
        let specs = [
            MediumSpec::Broadcast {
                interface: "nonexistent9".into(),
                port: 694,
            },
            MediumSpec::Unicast {
                interface: "nonexistent9".into(),
                peer: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                port: 694,
            },
            MediumSpec::Multicast {
                interface: "nonexistent9".into(),
                group: Ipv4Addr::new(239, 0, 0, 1),
                port: 694,
                ttl: 1,
                loopback: false,
            },
            MediumSpec::Multicast6 {
                interface: "nonexistent9".into(),
                group: "ff12::1:2:3:4".parse().unwrap(),
                port: 694,
                hops: 1,
                loopback: false,
            },
        ];
        for spec in &specs {
            let error = UdpMedium::open(spec).await.unwrap_err();
            assert!(
                matches!(error, TransportError::NoSuchInterface { .. }),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!("{}: no such interface", spec.short_name())
            );
        }
    }

    #[test]
    fn only_link_local_ipv6_groups_get_a_scope() {
        let scoped = multicast6_destination("ff12::1:2:3:4".parse().unwrap(), 694, 7);
        assert_eq!(scoped.to_string(), "[ff12::1:2:3:4%7]:694");
        let site = multicast6_destination("ff15::1:2".parse().unwrap(), 694, 7);
        assert_eq!(site.to_string(), "[ff15::1:2]:694");
    }

    #[tokio::test]
    async fn a_unicast_group_is_refused_for_multicast() {
        let spec = MediumSpec::Multicast {
            interface: "lo".into(),
            group: Ipv4Addr::new(10, 0, 0, 1),
            port: 694,
            ttl: 1,
            loopback: false,
        };
        let error = UdpMedium::open(&spec).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "mcast lo 10.0.0.1: 10.0.0.1 is not an IPv4 multicast group (224.0.0.0/4)"
        );
    }

    #[tokio::test]
    async fn loopback_has_no_broadcast_address() {
        let spec = MediumSpec::Broadcast {
            interface: "lo".into(),
            port: 0,
        };
        let error = UdpMedium::open(&spec).await.unwrap_err();
        assert!(
            matches!(error, TransportError::NoBroadcastAddress { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "bcast lo: interface lo has no IPv4 broadcast address"
        );
    }

    #[tokio::test]
    async fn oversized_datagrams_are_refused_without_marking_the_link_down() {
        let spec = MediumSpec::Unicast {
            interface: "lo".into(),
            peer: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            port: 0,
        };
        let medium = UdpMedium::open(&spec).await.unwrap();
        let huge = vec![0u8; MAX_DATAGRAM_LEN + 1];
        let error = medium.send(&huge).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(lock(&medium.last_send_failure).is_none());
    }
}

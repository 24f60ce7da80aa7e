//! Facts about network interfaces, asked of the kernel by interface name:
//! whether one exists and is up, its index, its IPv4 broadcast address, and
//! the addresses this host owns.
//!
//! The per-interface questions are `ioctl`s on a socket the caller already
//! has, so they are answered in that socket's network namespace and cost one
//! system call each.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::os::fd::{AsRawFd, BorrowedFd};

/// What the kernel says about an interface's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InterfaceStatus {
    /// No interface has that name.
    Missing,
    /// The interface is administratively down.
    Down,
    /// The interface is up but its lower layer is not (no carrier).
    NoCarrier,
    /// The interface is up and running.
    Running,
}

/// Whether `name` could be an interface name at all: 1 to 15 bytes, no NUL,
/// no `/`, no whitespace (the kernel refuses to create any other).
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < libc::IFNAMSIZ
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == 0 || b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// The index of the interface called `name`, or `None` if there is none.
pub(crate) fn index(name: &str) -> io::Result<Option<NonZeroU32>> {
    if !is_valid_name(name) {
        return Ok(None);
    }
    match nix::net::if_::if_nametoindex(name) {
        Ok(index) => Ok(NonZeroU32::new(index)),
        Err(nix::errno::Errno::ENODEV) => Ok(None),
        Err(errno) => Err(io::Error::from(errno)),
    }
}

/// The state of the interface called `name`, asked through `socket`.
pub(crate) fn status(socket: BorrowedFd<'_>, name: &str) -> io::Result<InterfaceStatus> {
    let Some(mut request) = request_for(name) else {
        return Ok(InterfaceStatus::Missing);
    };
    // SAFETY: `request` is a fully initialised `ifreq` naming the interface
    // with a NUL-terminated name; SIOCGIFFLAGS only writes `ifru_flags` in it.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) };
    if rc < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ENODEV) | Some(libc::ENXIO) => Ok(InterfaceStatus::Missing),
            _ => Err(error),
        };
    }
    // SAFETY: a successful SIOCGIFFLAGS stored the flags in `ifru_flags`.
    let flags = i32::from(unsafe { request.ifr_ifru.ifru_flags });
    Ok(if flags & libc::IFF_UP == 0 {
        InterfaceStatus::Down
    } else if flags & libc::IFF_RUNNING == 0 {
        InterfaceStatus::NoCarrier
    } else {
        InterfaceStatus::Running
    })
}

/// The IPv4 broadcast address of the interface called `name`, asked through
/// `socket` (an IPv4 socket); `None` if the interface has no IPv4 address or
/// its address has no broadcast address (a /32 or point-to-point address).
pub(crate) fn broadcast_v4(socket: BorrowedFd<'_>, name: &str) -> io::Result<Option<Ipv4Addr>> {
    let Some(mut request) = request_for(name) else {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    };
    // SAFETY: as in `status`; SIOCGIFBRDADDR only writes `ifru_broadaddr`.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFBRDADDR, &mut request) };
    if rc < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::EADDRNOTAVAIL) => Ok(None),
            _ => Err(error),
        };
    }
    // SAFETY: a successful SIOCGIFBRDADDR stored a socket address in
    // `ifru_broadaddr`; we read its family first and reinterpret it as a
    // `sockaddr_in` (same size prefix, alignment-free copy) only for AF_INET.
    let address = unsafe { request.ifr_ifru.ifru_broadaddr };
    if i32::from(address.sa_family) != libc::AF_INET {
        return Ok(None);
    }
    // SAFETY: `sockaddr` and `sockaddr_in` are both 16 bytes; the family
    // says the bytes are a `sockaddr_in`.
    let address: libc::sockaddr_in = unsafe { std::mem::transmute(address) };
    let broadcast = Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr));
    Ok((!broadcast.is_unspecified()).then_some(broadcast))
}

/// Every address configured on this host's interfaces (in the calling
/// thread's network namespace), IPv4 and IPv6.
pub fn local_addresses() -> io::Result<Vec<IpAddr>> {
    let addresses = nix::ifaddrs::getifaddrs().map_err(io::Error::from)?;
    Ok(addresses
        .filter_map(|entry| entry.address)
        .filter_map(|address| {
            if let Some(v4) = address.as_sockaddr_in() {
                Some(IpAddr::V4(v4.ip()))
            } else {
                address.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
            }
        })
        .collect())
}

/// An `ifreq` naming `name`, or `None` if `name` cannot be an interface name.
fn request_for(name: &str) -> Option<libc::ifreq> {
    if !is_valid_name(name) {
        return None;
    }
    // SAFETY: `ifreq` is plain old data (a byte array and a union of plain
    // data); all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    Some(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;

    #[test]
    fn names_the_kernel_would_refuse_are_not_interfaces() {
        for name in ["", "a/b", "eth 0", "0123456789abcdef", "eth0:1", ".", ".."] {
            assert!(!is_valid_name(name), "{name:?}");
        }
        for name in ["eth0", "lo", "0123456789abcde", "br-lan.10"] {
            assert!(is_valid_name(name), "{name:?}");
        }
    }

    #[test]
    fn loopback_exists_and_a_made_up_interface_does_not() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(index("lo").unwrap().is_some());
        assert_eq!(index("nonexistent9").unwrap(), None);
        assert_eq!(
            status(socket.as_fd(), "nonexistent9").unwrap(),
            InterfaceStatus::Missing
        );
        assert_eq!(
            status(socket.as_fd(), "a/b").unwrap(),
            InterfaceStatus::Missing
        );
        // Loopback has 127.0.0.1/8 but no broadcast address.
        assert_eq!(broadcast_v4(socket.as_fd(), "lo").unwrap(), None);
        assert!(local_addresses()
            .unwrap()
            .contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
}

//! Host and service names, as ipvsadm looks them up.
//!
//! ipvsadm accepts host names and service names (`www:http`) on its command
//! line and, without `-n`, prints names instead of numbers. Both go through
//! the C library (the hosts and services databases of nsswitch). The
//! [`Resolver`] trait lets the parser and the printers stay pure: tests use
//! [`NumericResolver`] or their own table, the command line uses
//! [`SystemResolver`].

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use crate::model::Protocol;

/// Name lookups ipvsadm makes.
pub trait Resolver {
    /// The first IPv4 address of a host name (`gethostbyname`).
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr>;
    /// The port of a service name for a protocol (`getservbyname`).
    fn service_port(&self, name: &str, protocol: Protocol) -> Option<u16>;
    /// The name of an address (`gethostbyaddr`).
    fn host_name(&self, addr: IpAddr) -> Option<String>;
    /// The name of a port for a protocol (`getservbyport`).
    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String>;
}

/// Knows no names: every lookup fails, so only numbers are accepted and
/// printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NumericResolver;

impl Resolver for NumericResolver {
    fn host_v4(&self, _name: &str) -> Option<Ipv4Addr> {
        None
    }
    fn service_port(&self, _name: &str, _protocol: Protocol) -> Option<u16> {
        None
    }
    fn host_name(&self, _addr: IpAddr) -> Option<String> {
        None
    }
    fn service_name(&self, _port: u16, _protocol: Protocol) -> Option<String> {
        None
    }
}

/// Looks names up through the C library, as ipvsadm does.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

/// `getservbyname`/`getservbyport` return a pointer into static storage:
/// one lookup at a time.
static SERVICES_LOCK: Mutex<()> = Mutex::new(());

fn protocol_cstr(protocol: Protocol) -> &'static CStr {
    match protocol {
        Protocol::Tcp => c"tcp",
        Protocol::Udp => c"udp",
        Protocol::Sctp => c"sctp",
    }
}

impl Resolver for SystemResolver {
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        let c_name = CString::new(name).ok()?;
        // SAFETY: an all-zero addrinfo is a valid "no hints" value.
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_INET;
        hints.ai_socktype = libc::SOCK_STREAM;
        let mut list: *mut libc::addrinfo = std::ptr::null_mut();
        // SAFETY: valid C strings and hints; `list` receives a list we free.
        let rc = unsafe { libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut list) };
        if rc != 0 || list.is_null() {
            return None;
        }
        let mut found = None;
        let mut cursor = list;
        while !cursor.is_null() {
            // SAFETY: `cursor` walks the list getaddrinfo returned.
            let entry = unsafe { &*cursor };
            if entry.ai_family == libc::AF_INET && !entry.ai_addr.is_null() {
                // SAFETY: an AF_INET entry holds a sockaddr_in.
                let sin = unsafe { &*(entry.ai_addr as *const libc::sockaddr_in) };
                found = Some(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
                break;
            }
            cursor = entry.ai_next;
        }
        // SAFETY: `list` came from getaddrinfo and is freed once.
        unsafe { libc::freeaddrinfo(list) };
        found
    }

    fn service_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        let c_name = CString::new(name).ok()?;
        let _guard = SERVICES_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: valid C strings; the result is read before the lock drops.
        let entry =
            unsafe { libc::getservbyname(c_name.as_ptr(), protocol_cstr(protocol).as_ptr()) };
        if entry.is_null() {
            return None;
        }
        // SAFETY: non-null servent from the C library.
        let port = unsafe { (*entry).s_port };
        Some(u16::from_be(port as u16))
    }

    fn host_name(&self, addr: IpAddr) -> Option<String> {
        let socket = SocketAddr::new(addr, 0);
        let mut host = [0 as libc::c_char; 1025];
        let (storage, len) = sockaddr_of(&socket);
        // SAFETY: `storage` holds a sockaddr of `len` bytes; `host` is a
        // writable buffer of the given size.
        let rc = unsafe {
            libc::getnameinfo(
                &storage as *const libc::sockaddr_storage as *const libc::sockaddr,
                len,
                host.as_mut_ptr(),
                host.len() as libc::socklen_t,
                std::ptr::null_mut(),
                0,
                libc::NI_NAMEREQD,
            )
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: getnameinfo wrote a NUL-terminated string into `host`.
        let name = unsafe { CStr::from_ptr(host.as_ptr()) };
        Some(name.to_string_lossy().into_owned())
    }

    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
        let _guard = SERVICES_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let net_port = libc::c_int::from(port.to_be());
        // SAFETY: valid C string; the result is copied before the lock drops.
        let entry = unsafe { libc::getservbyport(net_port, protocol_cstr(protocol).as_ptr()) };
        if entry.is_null() {
            return None;
        }
        // SAFETY: non-null servent with a NUL-terminated name.
        let name = unsafe { CStr::from_ptr((*entry).s_name) };
        Some(name.to_string_lossy().into_owned())
    }
}

/// A `sockaddr_storage` holding `addr`, and its length.
fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*v4.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in.
            unsafe {
                std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin);
            }
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in6.
            unsafe {
                std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6);
            }
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_resolver_knows_nothing() {
        let r = NumericResolver;
        assert_eq!(r.host_v4("localhost"), None);
        assert_eq!(r.service_name(80, Protocol::Tcp), None);
    }

    #[test]
    fn system_resolver_reads_the_services_database() {
        // /etc/services is part of every Debian system (netbase).
        if !std::path::Path::new("/etc/services").exists() {
            return;
        }
        let r = SystemResolver;
        assert_eq!(r.service_name(80, Protocol::Tcp).as_deref(), Some("http"));
        assert_eq!(r.service_port("http", Protocol::Tcp), Some(80));
        assert_eq!(r.service_port("no-such-service-name", Protocol::Tcp), None);
    }
}

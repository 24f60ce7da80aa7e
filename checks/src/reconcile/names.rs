//! How services and real servers are named in logs, errors and status:
//! `TCP 192.0.2.10:80`, `UDP [2001:db8::1]:53`, `FWM 7`, `FWM6 7`, and a
//! real server as `10.0.0.1:80`.

use std::fmt;
use std::net::IpAddr;

use ha_ipvs::{AddressFamily, DestinationKey, ServiceKey};

/// Displays a service key: protocol and address, or the firewall mark.
#[derive(Debug, Clone, Copy)]
pub struct ServiceName<'a>(pub &'a ServiceKey);

/// Displays a real server's address and port.
#[derive(Debug, Clone, Copy)]
pub struct RealName<'a>(pub &'a DestinationKey);

/// `addr:port`, with brackets around an IPv6 address.
pub(crate) fn addr_port(f: &mut fmt::Formatter<'_>, addr: &IpAddr, port: u16) -> fmt::Result {
    match addr {
        IpAddr::V4(v4) => write!(f, "{v4}:{port}"),
        IpAddr::V6(v6) => write!(f, "[{v6}]:{port}"),
    }
}

impl fmt::Display for ServiceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ServiceKey::Address {
                protocol,
                addr,
                port,
            } => {
                write!(f, "{protocol} ")?;
                addr_port(f, addr, *port)
            }
            ServiceKey::FirewallMark { af, mark } => match af {
                AddressFamily::Inet => write!(f, "FWM {mark}"),
                AddressFamily::Inet6 => write!(f, "FWM6 {mark}"),
            },
        }
    }
}

impl fmt::Display for RealName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        addr_port(f, &self.0.addr, self.0.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_ipvs::Protocol;

    #[test]
    fn services_and_reals_are_named_like_ipvsadm_lists_them() {
        let tcp = ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: "192.0.2.10".parse().unwrap(),
            port: 80,
        };
        let udp6 = ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53,
        };
        let fwm6 = ServiceKey::FirewallMark {
            af: AddressFamily::Inet6,
            mark: 7,
        };
        assert_eq!(ServiceName(&tcp).to_string(), "TCP 192.0.2.10:80");
        assert_eq!(ServiceName(&udp6).to_string(), "UDP [2001:db8::1]:53");
        assert_eq!(ServiceName(&fwm6).to_string(), "FWM6 7");
        let real = DestinationKey {
            addr: "10.0.0.1".parse().unwrap(),
            port: 8080,
        };
        assert_eq!(RealName(&real).to_string(), "10.0.0.1:8080");
    }
}

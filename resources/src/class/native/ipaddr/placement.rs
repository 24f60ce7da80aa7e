//! Where an address goes: interface, prefix, broadcast and label.
//!
//! This is findif's job in IPaddr/IPaddr2, done on a snapshot of the links
//! and IPv4 addresses: without an interface, take the one whose IPv4 subnet
//! holds the address (the longest prefix wins); without a prefix, take that
//! subnet's. The broadcast defaults to the subnet's highest address. IPaddr
//! labels the address `IFACE:N` with the first free N; IPaddr2 labels it only
//! when a label was given.

use std::net::{IpAddr, Ipv4Addr};

use ha_net::address::{AddrInfo, LinkInfo, NewAddress};

use super::arg::{IpAddrSpec, IpAddrStyle, MAX_INTERFACE_NAME};
use crate::agent::AgentErrorKind;

/// The decided placement of a service address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub interface: String,
    /// Prefix length.
    pub prefix: u8,
    /// Broadcast address, if the prefix leaves room for one.
    pub broadcast: Option<Ipv4Addr>,
    /// Address label, if any.
    pub label: Option<String>,
}

impl Placement {
    /// The request that adds `address` as placed.
    pub fn new_address(&self, address: Ipv4Addr) -> NewAddress<'_> {
        NewAddress {
            index: self.index,
            interface: &self.interface,
            address: IpAddr::V4(address),
            prefix: self.prefix,
            broadcast: self.broadcast,
            label: self.label.as_deref(),
        }
    }
}

/// Whether `address` lies in `network/prefix`.
pub(crate) fn subnet_contains(network: Ipv4Addr, prefix: u8, address: Ipv4Addr) -> bool {
    let mask = netmask(prefix);
    u32::from(network) & mask == u32::from(address) & mask
}

fn netmask(prefix: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0)
}

/// The subnet's highest address; none for /31 and /32, which have no broadcast.
pub(crate) fn default_broadcast(address: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    (prefix <= 30).then(|| Ipv4Addr::from(u32::from(address) | !netmask(prefix)))
}

/// The longest-prefix subnet holding `address` among `addrs` (itself excluded).
fn best_subnet<'a>(
    address: Ipv4Addr,
    addrs: impl Iterator<Item = &'a AddrInfo>,
) -> Option<&'a AddrInfo> {
    addrs
        .filter(|a| a.address != address && a.prefix < 32)
        .filter(|a| subnet_contains(a.address, a.prefix, address))
        .fold(None, |best: Option<&AddrInfo>, a| match best {
            Some(b) if b.prefix >= a.prefix => Some(b),
            _ => Some(a),
        })
}

/// Decides interface, prefix, broadcast and label for `spec`.
pub(crate) fn place(
    spec: &IpAddrSpec,
    links: &[LinkInfo],
    addrs: &[AddrInfo],
) -> Result<Placement, AgentErrorKind> {
    let address = spec.address;
    let (link, subnet) = match &spec.interface {
        Some(name) => {
            let link = links.iter().find(|l| &l.name == name).ok_or_else(|| {
                AgentErrorKind::NotAvailable(format!("interface {name} does not exist"))
            })?;
            (
                link,
                best_subnet(address, addrs.iter().filter(|a| a.index == link.index)),
            )
        }
        None => {
            let subnet = best_subnet(address, addrs.iter()).ok_or_else(|| {
                AgentErrorKind::NotAvailable(format!(
                    "no interface has an IPv4 subnet containing {address}; name the \
                     interface and prefix, e.g. {}::{address}/24/eth0",
                    spec.style
                ))
            })?;
            let link = links
                .iter()
                .find(|l| l.index == subnet.index)
                .ok_or_else(|| {
                    AgentErrorKind::NotAvailable(format!(
                        "the interface (index {}) holding the subnet of {address} vanished",
                        subnet.index
                    ))
                })?;
            (link, Some(subnet))
        }
    };
    let prefix = match (spec.prefix, subnet) {
        (Some(prefix), _) => prefix,
        (None, Some(subnet)) => subnet.prefix,
        (None, None) => {
            return Err(AgentErrorKind::NotAvailable(format!(
            "no IPv4 subnet on {} contains {address}; give the prefix, e.g. {}::{address}/24/{}",
            link.name, spec.style, link.name
        )))
        }
    };
    let label = match (&spec.label, spec.style) {
        (Some(label), _) => Some(format!("{}:{label}", link.name)),
        (None, IpAddrStyle::IPaddr2) => None,
        (None, IpAddrStyle::IPaddr) => Some(first_free_alias(link, addrs)),
    };
    if let Some(label) = &label {
        if label.len() > MAX_INTERFACE_NAME {
            return Err(AgentErrorKind::Configuration(format!(
                "address label {label} is longer than {MAX_INTERFACE_NAME} characters"
            )));
        }
    }
    Ok(Placement {
        index: link.index,
        interface: link.name.clone(),
        prefix,
        broadcast: spec
            .broadcast
            .or_else(|| default_broadcast(address, prefix)),
        label,
    })
}

/// `IFACE:N` with the smallest N no address on the interface uses.
fn first_free_alias(link: &LinkInfo, addrs: &[AddrInfo]) -> String {
    let used: Vec<&str> = addrs
        .iter()
        .filter(|a| a.index == link.index)
        .filter_map(|a| a.label.as_deref())
        .collect();
    (0u32..)
        .map(|n| format!("{}:{n}", link.name))
        .find(|candidate| !used.contains(&candidate.as_str()))
        .unwrap_or_else(|| link.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(index: u32, name: &str) -> LinkInfo {
        LinkInfo {
            index,
            name: name.into(),
            mac: Some([2, 0, 0, 0, 0, index as u8]),
            arp_capable: true,
        }
    }

    fn addr(index: u32, address: [u8; 4], prefix: u8, label: Option<&str>) -> AddrInfo {
        AddrInfo {
            index,
            address: Ipv4Addr::from(address),
            prefix,
            label: label.map(str::to_string),
        }
    }

    fn spec(style: IpAddrStyle, address: [u8; 4]) -> IpAddrSpec {
        IpAddrSpec {
            style,
            address: Ipv4Addr::from(address),
            prefix: None,
            interface: None,
            label: None,
            broadcast: None,
            arp: ha_net::arp::ArpSchedule::default(),
        }
    }

    fn world() -> (Vec<LinkInfo>, Vec<AddrInfo>) {
        let links = vec![link(1, "lo"), link(2, "eth0"), link(3, "eth1")];
        let addrs = vec![
            addr(1, [127, 0, 0, 1], 8, Some("lo")),
            addr(2, [10, 0, 0, 1], 16, Some("eth0")),
            addr(3, [10, 0, 5, 1], 24, Some("eth1")),
            addr(3, [10, 0, 5, 9], 24, Some("eth1:0")),
        ];
        (links, addrs)
    }

    #[test]
    fn longest_subnet_wins_and_gives_prefix_broadcast_and_alias() {
        let (links, addrs) = world();
        let placed =
            place(&spec(IpAddrStyle::IPaddr, [10, 0, 5, 77]), &links, &addrs).expect("placed");
        assert_eq!(
            placed,
            Placement {
                index: 3,
                interface: "eth1".into(),
                prefix: 24,
                broadcast: Some(Ipv4Addr::new(10, 0, 5, 255)),
                label: Some("eth1:1".into()),
            }
        );
        let wide =
            place(&spec(IpAddrStyle::IPaddr2, [10, 0, 9, 9]), &links, &addrs).expect("placed");
        assert_eq!(
            (wide.interface.as_str(), wide.prefix, wide.label),
            ("eth0", 16, None)
        );
        assert_eq!(wide.broadcast, Some(Ipv4Addr::new(10, 0, 255, 255)));
    }

    #[test]
    fn given_fields_win() {
        let (links, addrs) = world();
        let given = IpAddrSpec {
            prefix: Some(28),
            interface: Some("eth0".into()),
            label: Some("web".into()),
            broadcast: Some(Ipv4Addr::new(10, 0, 5, 1)),
            arp: ha_net::arp::ArpSchedule::default(),
            ..spec(IpAddrStyle::IPaddr2, [10, 0, 5, 70])
        };
        let placed = place(&given, &links, &addrs).expect("placed");
        assert_eq!(
            placed,
            Placement {
                index: 2,
                interface: "eth0".into(),
                prefix: 28,
                broadcast: Some(Ipv4Addr::new(10, 0, 5, 1)),
                label: Some("eth0:web".into()),
            }
        );
    }

    #[test]
    fn missing_interface_or_subnet_is_a_clear_error() {
        let (links, addrs) = world();
        let absent = IpAddrSpec {
            interface: Some("eth9".into()),
            ..spec(IpAddrStyle::IPaddr, [10, 0, 5, 70])
        };
        assert_eq!(
            place(&absent, &links, &addrs)
                .expect_err("no eth9")
                .to_string(),
            "not available on this node: interface eth9 does not exist"
        );
        let foreign = spec(IpAddrStyle::IPaddr, [192, 168, 1, 1]);
        assert!(place(&foreign, &links, &addrs)
            .expect_err("no subnet")
            .to_string()
            .contains("no interface has an IPv4 subnet containing 192.168.1.1"));
        let no_prefix = IpAddrSpec {
            interface: Some("eth1".into()),
            ..spec(IpAddrStyle::IPaddr, [192, 168, 1, 1])
        };
        assert!(place(&no_prefix, &links, &addrs)
            .expect_err("no prefix")
            .to_string()
            .contains("no IPv4 subnet on eth1 contains 192.168.1.1; give the prefix"));
    }

    #[test]
    fn broadcast_and_subnet_arithmetic() {
        let a = Ipv4Addr::new(192, 168, 3, 233);
        assert_eq!(
            default_broadcast(a, 24),
            Some(Ipv4Addr::new(192, 168, 3, 255))
        );
        assert_eq!(
            default_broadcast(a, 30),
            Some(Ipv4Addr::new(192, 168, 3, 235))
        );
        assert_eq!(default_broadcast(a, 31), None);
        assert_eq!(default_broadcast(a, 32), None);
        assert!(subnet_contains(Ipv4Addr::new(192, 168, 0, 0), 16, a));
        assert!(!subnet_contains(Ipv4Addr::new(192, 168, 2, 0), 24, a));
        assert!(subnet_contains(Ipv4Addr::new(1, 2, 3, 4), 0, a));
    }

    #[test]
    fn alias_label_too_long_is_refused() {
        let links = vec![link(5, "averylongname01")];
        let addrs = vec![addr(5, [10, 1, 0, 1], 24, None)];
        let err =
            place(&spec(IpAddrStyle::IPaddr, [10, 1, 0, 2]), &links, &addrs).expect_err("too long");
        assert_eq!(
            err.to_string(),
            "invalid configuration: address label averylongname01:0 is longer than 15 characters"
        );
    }
}

//! IPv4 routes of the main table over rtnetlink: listed with what a
//! preferred-source agent needs (destination, gateway, interface, preferred
//! source, protocol, scope, metric), and one route rewritten with another
//! preferred source, everything else kept (`ip route replace … src X`).
//!
//! The connection is [`crate::address::Netlink`]'s: one socket of the
//! namespace of the thread that opened it.

use std::net::Ipv4Addr;

use futures::TryStreamExt;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteScope, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::RouteMessageBuilder;

use crate::address::{AddressError, Netlink};

/// The main routing table's id.
const MAIN_TABLE: u32 = RouteHeader::RT_TABLE_MAIN as u32;

/// One unicast IPv4 route of the main table, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// Destination network (`0.0.0.0` for the default route).
    pub destination: Ipv4Addr,
    /// Its prefix length (0 for the default route).
    pub prefix: u8,
    /// The next hop, if the route has one.
    pub gateway: Option<Ipv4Addr>,
    /// The outgoing interface's index, if one.
    pub interface: Option<u32>,
    /// The preferred source address (`src`), if set.
    pub preferred_source: Option<Ipv4Addr>,
    /// Who installed it, as its number (2: the kernel, 3: boot, 4: static…).
    pub protocol: u8,
    /// Whether its scope is `link` (a directly connected network).
    pub link_scope: bool,
    /// Its metric (`priority`), if set.
    pub metric: Option<u32>,
}

impl RouteInfo {
    /// Whether `address` lies in this route's destination network.
    pub fn contains(&self, address: Ipv4Addr) -> bool {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix.min(32)))
            .unwrap_or(0);
        u32::from(self.destination) & mask == u32::from(address) & mask
    }

    /// Whether it is a default route (`0.0.0.0/0`).
    pub fn is_default(&self) -> bool {
        self.prefix == 0
    }
}

/// A route as listed, with the kernel's message that describes it.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// The decoded route.
    pub info: RouteInfo,
    message: RouteMessage,
}

impl Netlink {
    /// Every unicast IPv4 route of the main table.
    pub async fn ipv4_routes(&self) -> Result<Vec<RouteEntry>, AddressError> {
        let request = self
            .handle()
            .route()
            .get(RouteMessageBuilder::<Ipv4Addr>::new().build());
        let messages: Vec<RouteMessage> = request
            .execute()
            .try_collect()
            .await
            .map_err(|e| AddressError::netlink("list routes", e))?;
        Ok(messages
            .into_iter()
            .filter(|m| m.header.address_family == AddressFamily::Inet)
            .filter(|m| m.header.kind == RouteType::Unicast)
            .filter(|m| table_of(m) == MAIN_TABLE)
            .filter_map(|message| route_info(&message).map(|info| RouteEntry { info, message }))
            .collect())
    }

    /// Rewrites the route `entry` with `source` as its preferred source
    /// (`ip route replace`): destination, gateway, interface, protocol,
    /// scope and metric stay as listed.
    pub async fn set_preferred_source(
        &self,
        entry: &RouteEntry,
        source: Ipv4Addr,
    ) -> Result<(), AddressError> {
        let mut message = entry.message.clone();
        message.header.flags &= RouteFlags::Onlink;
        message.attributes.retain(|a| {
            matches!(
                a,
                RouteAttribute::Destination(_)
                    | RouteAttribute::Gateway(_)
                    | RouteAttribute::Oif(_)
                    | RouteAttribute::Priority(_)
                    | RouteAttribute::Table(_)
                    | RouteAttribute::Metrics(_)
            )
        });
        message
            .attributes
            .push(RouteAttribute::PrefSource(RouteAddress::Inet(source)));
        let operation = format!(
            "set the preferred source of the route to {}/{} to {source}",
            entry.info.destination, entry.info.prefix
        );
        self.handle()
            .route()
            .add(message)
            .replace()
            .execute()
            .await
            .map_err(|e| AddressError::netlink(operation, e))
    }
}

fn table_of(message: &RouteMessage) -> u32 {
    message
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(table) => Some(*table),
            _ => None,
        })
        .unwrap_or(u32::from(message.header.table))
}

fn ipv4(address: &RouteAddress) -> Option<Ipv4Addr> {
    match address {
        RouteAddress::Inet(ip) => Some(*ip),
        _ => None,
    }
}

fn route_info(message: &RouteMessage) -> Option<RouteInfo> {
    let mut info = RouteInfo {
        destination: Ipv4Addr::UNSPECIFIED,
        prefix: message.header.destination_prefix_length,
        gateway: None,
        interface: None,
        preferred_source: None,
        protocol: u8::from(message.header.protocol),
        link_scope: message.header.scope == RouteScope::Link,
        metric: None,
    };
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Destination(a) => info.destination = ipv4(a)?,
            RouteAttribute::Gateway(a) => info.gateway = ipv4(a),
            RouteAttribute::Oif(index) => info.interface = Some(*index),
            RouteAttribute::PrefSource(a) => info.preferred_source = ipv4(a),
            RouteAttribute::Priority(metric) => info.metric = Some(*metric),
            _ => {}
        }
    }
    Some(info)
}

/// The protocol number of routes the kernel adds for a configured address.
pub const PROTOCOL_KERNEL: u8 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    fn route(destination: [u8; 4], prefix: u8) -> RouteInfo {
        RouteInfo {
            destination: Ipv4Addr::from(destination),
            prefix,
            gateway: None,
            interface: Some(2),
            preferred_source: None,
            protocol: PROTOCOL_KERNEL,
            link_scope: true,
            metric: None,
        }
    }

    #[test]
    fn containment_follows_the_prefix() {
        let subnet = route([10, 0, 5, 0], 24);
        assert!(subnet.contains(Ipv4Addr::new(10, 0, 5, 77)));
        assert!(!subnet.contains(Ipv4Addr::new(10, 0, 6, 1)));
        let default = route([0, 0, 0, 0], 0);
        assert!(default.is_default() && default.contains(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(route([10, 0, 5, 9], 32).contains(Ipv4Addr::new(10, 0, 5, 9)));
    }
}

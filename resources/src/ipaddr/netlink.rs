//! The rtnetlink requests of the IPaddr agent: list links and IPv4
//! addresses, add an address, delete one.
//!
//! Each action opens its own connection (a socket and a small task on the
//! current tokio runtime, ended when the handle is dropped). That is cheap,
//! and it binds the socket to the network namespace of the thread running
//! the action, which is what a test bed of namespaces needs.

use std::net::{IpAddr, Ipv4Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::Handle;

use super::placement::{AddrInfo, LinkInfo, Placement};
use crate::agent::AgentErrorKind;

/// A route-netlink connection for one action.
pub(crate) struct Netlink {
    handle: Handle,
}

/// An IPv4 address with the message that deletes it.
pub(crate) struct AddressEntry {
    /// The decoded address.
    pub info: AddrInfo,
    /// The kernel's message, as needed for deletion.
    pub message: AddressMessage,
}

fn netlink_error(operation: impl Into<String>, error: rtnetlink::Error) -> AgentErrorKind {
    AgentErrorKind::Netlink {
        operation: operation.into(),
        message: match &error {
            rtnetlink::Error::NetlinkError(message) => message.to_io().to_string(),
            other => other.to_string(),
        },
    }
}

/// The errno of a netlink error reply, if it is one.
fn errno(error: &rtnetlink::Error) -> Option<i32> {
    match error {
        rtnetlink::Error::NetlinkError(message) => Some(message.raw_code().abs()),
        _ => None,
    }
}

impl Netlink {
    /// Opens a connection; its task runs on the current tokio runtime.
    pub fn connect() -> Result<Self, AgentErrorKind> {
        let (connection, handle, _) =
            rtnetlink::new_connection().map_err(|source| AgentErrorKind::Io {
                context: "opening a route netlink socket".into(),
                source,
            })?;
        tokio::spawn(connection);
        Ok(Netlink { handle })
    }

    /// Every link of this namespace.
    pub async fn links(&self) -> Result<Vec<LinkInfo>, AgentErrorKind> {
        let messages: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| netlink_error("list links", e))?;
        Ok(messages.iter().filter_map(link_info).collect())
    }

    /// Every IPv4 address of this namespace.
    pub async fn addresses(&self) -> Result<Vec<AddressEntry>, AgentErrorKind> {
        let mut request = self.handle.address().get();
        request.message_mut().header.family = AddressFamily::Inet;
        let messages: Vec<AddressMessage> = request
            .execute()
            .try_collect()
            .await
            .map_err(|e| netlink_error("list addresses", e))?;
        Ok(messages
            .into_iter()
            .filter(|m| m.header.family == AddressFamily::Inet)
            .filter_map(|message| address_info(&message).map(|info| AddressEntry { info, message }))
            .collect())
    }

    /// Adds `address` as placed; an address already there is success.
    pub async fn add(
        &self,
        address: Ipv4Addr,
        placement: &Placement,
    ) -> Result<(), AgentErrorKind> {
        let mut request =
            self.handle
                .address()
                .add(placement.index, IpAddr::V4(address), placement.prefix);
        let attributes = &mut request.message_mut().attributes;
        attributes.retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
        if let Some(broadcast) = placement.broadcast {
            attributes.push(AddressAttribute::Broadcast(broadcast));
        }
        if let Some(label) = &placement.label {
            attributes.push(AddressAttribute::Label(label.clone()));
        }
        match request.execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(()),
            Err(e) => Err(netlink_error(
                format!(
                    "add {address}/{} to {}",
                    placement.prefix, placement.interface
                ),
                e,
            )),
        }
    }

    /// Deletes an address; one already gone is success.
    pub async fn delete(&self, entry: AddressEntry) -> Result<(), AgentErrorKind> {
        let operation = format!("delete {}/{}", entry.info.address, entry.info.prefix);
        match self.handle.address().del(entry.message).execute().await {
            Ok(()) => Ok(()),
            Err(e) if matches!(errno(&e), Some(libc::EADDRNOTAVAIL | libc::ENODEV)) => Ok(()),
            Err(e) => Err(netlink_error(operation, e)),
        }
    }
}

fn link_info(message: &LinkMessage) -> Option<LinkInfo> {
    let name = message.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(name) => Some(name.clone()),
        _ => None,
    })?;
    let mac = message.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).ok(),
        _ => None,
    });
    let flags = message.header.flags;
    Some(LinkInfo {
        index: message.header.index,
        name,
        mac,
        arp_capable: !flags.intersects(LinkFlags::Loopback | LinkFlags::Noarp),
    })
}

fn address_info(message: &AddressMessage) -> Option<AddrInfo> {
    let v4 = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    };
    let local = message.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => v4(ip),
        _ => None,
    });
    let address = local.or_else(|| {
        message.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => v4(ip),
            _ => None,
        })
    })?;
    let label = message.attributes.iter().find_map(|a| match a {
        AddressAttribute::Label(label) => Some(label.clone()),
        _ => None,
    });
    Some(AddrInfo {
        index: message.header.index,
        address,
        prefix: message.header.prefix_len,
        label,
    })
}

//! Links and addresses over rtnetlink, in two shapes:
//!
//! - [`Netlink`]: the whole namespace — every link, every IPv4 address with
//!   its label, every IPv6 address with its DAD state, an address added
//!   with a prefix, an optional broadcast and a label, one deleted. What a
//!   service-address agent decides with.
//! - [`InterfaceAddresses`]: the addresses of one named interface, both
//!   families, listed, added as host addresses (/32, /128) and removed, as
//!   an LVS-DR real server keeps its virtual IPs on `lo`.
//!
//! Adding an address that is there, or removing one that is not, succeeds.
//! Each user opens its own connection (a socket and a small task on the
//! current tokio runtime, ended when the handle is dropped). That is cheap,
//! and it binds the socket to the network namespace of the thread opening
//! it, which is what a test bed of namespaces needs.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::Handle;

/// What can go wrong with a route-netlink request.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// The route-netlink socket could not be opened.
    #[error("cannot open a route netlink socket: {0}")]
    Open(#[source] io::Error),
    /// A route-netlink request failed.
    #[error("cannot {operation}: {message}")]
    Netlink {
        /// What was asked, e.g. `add 192.0.2.10/32 to lo`.
        operation: String,
        /// The kernel's or the library's answer.
        message: String,
    },
    /// This network namespace has no interface of that name.
    #[error("no interface named {0}")]
    NoInterface(String),
}

impl AddressError {
    pub(crate) fn netlink(operation: impl Into<String>, error: rtnetlink::Error) -> Self {
        AddressError::Netlink {
            operation: operation.into(),
            message: error_text(&error),
        }
    }
}

/// A network interface, as far as placing an address needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Link-layer address, when it is a 6-byte Ethernet one.
    pub mac: Option<[u8; 6]>,
    /// Whether ARP makes sense on it (not loopback, not NOARP).
    pub arp_capable: bool,
}

/// One IPv4 address configured on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    /// Interface index.
    pub index: u32,
    /// The (local) address.
    pub address: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
    /// Its label, if the kernel reported one.
    pub label: Option<String>,
}

/// An IPv4 address as listed, with the kernel's message that deletes it.
pub struct AddressEntry {
    /// The decoded address.
    pub info: AddrInfo,
    message: AddressMessage,
}

impl AddressEntry {
    /// Whether the kernel marks it secondary (another address of the same
    /// subnet on the interface came first and is its primary).
    pub fn is_secondary(&self) -> bool {
        self.message
            .header
            .flags
            .contains(AddressHeaderFlags::Secondary)
    }
}

/// One IPv6 address configured on an interface, with its DAD state.
pub struct Ipv6Entry {
    /// Interface index.
    pub index: u32,
    /// The address.
    pub address: Ipv6Addr,
    /// Its prefix length.
    pub prefix: u8,
    /// Duplicate address detection has not finished yet.
    pub tentative: bool,
    /// Duplicate address detection found the address in use elsewhere.
    pub dad_failed: bool,
    message: AddressMessage,
}

/// An address to add, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress<'a> {
    /// Interface index.
    pub index: u32,
    /// Interface name, for messages.
    pub interface: &'a str,
    /// The address.
    pub address: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// Its broadcast address, if one is to be set.
    pub broadcast: Option<Ipv4Addr>,
    /// Its label (`IFACE:NAME`), if not the kernel's default.
    pub label: Option<&'a str>,
}

/// A new connection whose task runs on the current tokio runtime.
fn connect() -> Result<Handle, AddressError> {
    let (connection, handle, _) = rtnetlink::new_connection().map_err(AddressError::Open)?;
    tokio::spawn(connection);
    Ok(handle)
}

/// The kernel's answer (as an OS error) or the library's, in words.
fn error_text(error: &rtnetlink::Error) -> String {
    match error {
        rtnetlink::Error::NetlinkError(message) => message.to_io().to_string(),
        other => other.to_string(),
    }
}

/// The errno of a netlink error reply, if it is one.
fn errno(error: &rtnetlink::Error) -> Option<i32> {
    match error {
        rtnetlink::Error::NetlinkError(message) => Some(message.raw_code().abs()),
        _ => None,
    }
}

/// Adds `new`; one already there is success.
async fn add_address(handle: &Handle, new: &NewAddress<'_>) -> Result<(), AddressError> {
    let mut request = handle.address().add(new.index, new.address, new.prefix);
    let attributes = &mut request.message_mut().attributes;
    attributes.retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
    if let Some(broadcast) = new.broadcast {
        attributes.push(AddressAttribute::Broadcast(broadcast));
    }
    if let Some(label) = new.label {
        attributes.push(AddressAttribute::Label(label.to_string()));
    }
    match request.execute().await {
        Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(()),
        other => other.map_err(|e| {
            let operation = format!("add {}/{} to {}", new.address, new.prefix, new.interface);
            AddressError::netlink(operation, e)
        }),
    }
}

/// Deletes the address `message` describes; one already gone is success.
async fn delete_address(handle: &Handle, message: AddressMessage) -> Result<(), rtnetlink::Error> {
    match handle.address().del(message).execute().await {
        Err(e) if matches!(errno(&e), Some(libc::EADDRNOTAVAIL | libc::ENODEV)) => Ok(()),
        other => other,
    }
}

/// The address a message carries: its local address, else its address.
fn address_of(message: &AddressMessage) -> Option<IpAddr> {
    let local = message.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    local.or_else(|| {
        message.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        })
    })
}

/// A route-netlink connection of the namespace of the thread that opened it.
pub struct Netlink {
    handle: Handle,
}

impl Netlink {
    /// Opens a connection; its task runs on the current tokio runtime.
    pub fn connect() -> Result<Self, AddressError> {
        Ok(Netlink { handle: connect()? })
    }

    /// The library's handle, for the other modules' requests.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Every link of this namespace.
    pub async fn links(&self) -> Result<Vec<LinkInfo>, AddressError> {
        let messages: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| AddressError::netlink("list links", e))?;
        Ok(messages.iter().filter_map(link_info).collect())
    }

    /// Every IPv4 address of this namespace.
    pub async fn ipv4_addresses(&self) -> Result<Vec<AddressEntry>, AddressError> {
        let mut request = self.handle.address().get();
        request.message_mut().header.family = AddressFamily::Inet;
        let messages: Vec<AddressMessage> = request
            .execute()
            .try_collect()
            .await
            .map_err(|e| AddressError::netlink("list addresses", e))?;
        Ok(messages
            .into_iter()
            .filter(|m| m.header.family == AddressFamily::Inet)
            .filter_map(|message| address_info(&message).map(|info| AddressEntry { info, message }))
            .collect())
    }

    /// Every IPv6 address of this namespace.
    pub async fn ipv6_addresses(&self) -> Result<Vec<Ipv6Entry>, AddressError> {
        let mut request = self.handle.address().get();
        request.message_mut().header.family = AddressFamily::Inet6;
        let messages: Vec<AddressMessage> = request
            .execute()
            .try_collect()
            .await
            .map_err(|e| AddressError::netlink("list addresses", e))?;
        Ok(messages
            .into_iter()
            .filter(|m| m.header.family == AddressFamily::Inet6)
            .filter_map(|message| {
                let IpAddr::V6(address) = address_of(&message)? else {
                    return None;
                };
                let flags = message
                    .attributes
                    .iter()
                    .find_map(|a| match a {
                        AddressAttribute::Flags(flags) => Some(*flags),
                        _ => None,
                    })
                    .unwrap_or_else(|| {
                        AddressFlags::from_bits_retain(u32::from(message.header.flags.bits()))
                    });
                Some(Ipv6Entry {
                    index: message.header.index,
                    address,
                    prefix: message.header.prefix_len,
                    tentative: flags.contains(AddressFlags::Tentative),
                    dad_failed: flags.contains(AddressFlags::Dadfailed),
                    message,
                })
            })
            .collect())
    }

    /// Deletes a listed IPv6 address; one already gone is success.
    pub async fn delete_ipv6(&self, entry: Ipv6Entry) -> Result<(), AddressError> {
        let operation = format!("delete {}/{}", entry.address, entry.prefix);
        delete_address(&self.handle, entry.message)
            .await
            .map_err(|e| AddressError::netlink(operation, e))
    }

    /// Adds an address; one already there is success.
    pub async fn add(&self, new: &NewAddress<'_>) -> Result<(), AddressError> {
        add_address(&self.handle, new).await
    }

    /// Deletes a listed address; one already gone is success.
    pub async fn delete(&self, entry: AddressEntry) -> Result<(), AddressError> {
        let operation = format!("delete {}/{}", entry.info.address, entry.info.prefix);
        delete_address(&self.handle, entry.message)
            .await
            .map_err(|e| AddressError::netlink(operation, e))
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
    let IpAddr::V4(address) = address_of(message)? else {
        return None;
    };
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

/// The prefix length of a host address of `address`'s family: 32 or 128.
pub fn host_prefix(address: &IpAddr) -> u8 {
    match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// The addresses of one interface, IPv4 and IPv6, over a route-netlink
/// connection of the network namespace of the thread that opened it.
pub struct InterfaceAddresses {
    handle: Handle,
    name: String,
    index: u32,
}

/// One address of an interface.
pub struct InterfaceAddress {
    /// The address.
    pub address: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    message: AddressMessage,
}

impl InterfaceAddresses {
    /// Opens a connection (its task runs on the current tokio runtime) and
    /// finds the interface `name`.
    pub async fn open(name: &str) -> Result<Self, AddressError> {
        let handle = connect()?;
        let links: Vec<LinkMessage> = handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute()
            .try_collect()
            .await
            .map_err(|e| AddressError::netlink(format!("find interface {name}"), e))?;
        let index = links
            .iter()
            .find(|link| {
                link.attributes
                    .iter()
                    .any(|a| matches!(a, LinkAttribute::IfName(n) if n == name))
            })
            .map(|link| link.header.index)
            .ok_or_else(|| AddressError::NoInterface(name.to_string()))?;
        Ok(InterfaceAddresses {
            handle,
            name: name.to_string(),
            index,
        })
    }

    /// Every address of the interface, both families.
    pub async fn list(&self) -> Result<Vec<InterfaceAddress>, AddressError> {
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .set_link_index_filter(self.index)
            .execute()
            .try_collect()
            .await
            .map_err(|e| {
                AddressError::netlink(format!("list the addresses of {}", self.name), e)
            })?;
        Ok(messages
            .into_iter()
            .filter_map(|message| {
                Some(InterfaceAddress {
                    address: address_of(&message)?,
                    prefix: message.header.prefix_len,
                    message,
                })
            })
            .collect())
    }

    /// Adds `address` as a host address (/32 or /128); one already there
    /// is success.
    pub async fn add_host(&self, address: IpAddr) -> Result<(), AddressError> {
        let new = NewAddress {
            index: self.index,
            interface: &self.name,
            address,
            prefix: host_prefix(&address),
            broadcast: None,
            label: None,
        };
        add_address(&self.handle, &new).await
    }

    /// Removes every entry of `address` from the interface, whatever its
    /// prefix; none there is success.
    pub async fn remove(&self, address: IpAddr) -> Result<(), AddressError> {
        for entry in self.list().await? {
            if entry.address != address {
                continue;
            }
            let operation = format!("remove {address}/{} from {}", entry.prefix, self.name);
            delete_address(&self.handle, entry.message)
                .await
                .map_err(|e| AddressError::netlink(operation, e))?;
        }
        Ok(())
    }
}

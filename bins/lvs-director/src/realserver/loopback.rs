//! The virtual IPs on the loopback interface, over rtnetlink: list them,
//! add one as a host address (/32 or /128), remove one. Adding an address
//! that is there, or removing one that is not, succeeds.
//!
//! The socket belongs to the network namespace of the thread that opens
//! it, so a real server inside a namespace is set up from inside it.

use std::net::IpAddr;

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::LinkAttribute;
use rtnetlink::Handle;

use super::RealServerError;

/// The loopback interface's name.
pub const LOOPBACK: &str = "lo";

/// The prefix length of a host address of `addr`'s family.
pub fn host_prefix(addr: &IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Whether `addr` is one the loopback interface always carries
/// (127.0.0.0/8 or ::1), which is never a virtual IP.
pub fn is_loopback_own(addr: &IpAddr) -> bool {
    addr.is_loopback()
}

/// A route-netlink connection to the loopback interface.
pub struct Loopback {
    handle: Handle,
    index: u32,
}

/// One address of the loopback interface.
pub struct LoopbackAddress {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    message: AddressMessage,
}

fn netlink_error(operation: String, error: rtnetlink::Error) -> RealServerError {
    let message = match &error {
        rtnetlink::Error::NetlinkError(message) => message.to_io().to_string(),
        other => other.to_string(),
    };
    RealServerError::Netlink { operation, message }
}

fn errno(error: &rtnetlink::Error) -> Option<i32> {
    match error {
        rtnetlink::Error::NetlinkError(message) => Some(message.raw_code().abs()),
        _ => None,
    }
}

impl Loopback {
    /// Opens a connection (its task runs on the current tokio runtime) and
    /// finds the loopback interface.
    pub async fn open() -> Result<Self, RealServerError> {
        let (connection, handle, _) =
            rtnetlink::new_connection().map_err(|source| RealServerError::Netlink {
                operation: "open a route netlink socket".into(),
                message: source.to_string(),
            })?;
        tokio::spawn(connection);
        let links: Vec<_> = handle
            .link()
            .get()
            .match_name(LOOPBACK.to_string())
            .execute()
            .try_collect()
            .await
            .map_err(|e| netlink_error(format!("find interface {LOOPBACK}"), e))?;
        let index = links
            .iter()
            .find(|link| {
                link.attributes
                    .iter()
                    .any(|a| matches!(a, LinkAttribute::IfName(name) if name == LOOPBACK))
            })
            .map(|link| link.header.index)
            .ok_or(RealServerError::NoLoopback)?;
        Ok(Loopback { handle, index })
    }

    /// Every address of the loopback interface, both families.
    pub async fn addresses(&self) -> Result<Vec<LoopbackAddress>, RealServerError> {
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .set_link_index_filter(self.index)
            .execute()
            .try_collect()
            .await
            .map_err(|e| netlink_error(format!("list the addresses of {LOOPBACK}"), e))?;
        Ok(messages
            .into_iter()
            .filter_map(|message| {
                let addr = message.attributes.iter().find_map(|a| match a {
                    AddressAttribute::Local(ip) | AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                })?;
                Some(LoopbackAddress {
                    addr,
                    prefix: message.header.prefix_len,
                    message,
                })
            })
            .collect())
    }

    /// Adds `addr` as a host address; one already there is success.
    pub async fn add(&self, addr: IpAddr) -> Result<(), RealServerError> {
        let prefix = host_prefix(&addr);
        let mut request = self.handle.address().add(self.index, addr, prefix);
        request
            .message_mut()
            .attributes
            .retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
        match request.execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(()),
            Err(e) => Err(netlink_error(
                format!("add {addr}/{prefix} to {LOOPBACK}"),
                e,
            )),
        }
    }

    /// Removes every address `addr` of the loopback interface; none there is success.
    pub async fn remove(&self, addr: IpAddr) -> Result<(), RealServerError> {
        for entry in self.addresses().await? {
            if entry.addr != addr {
                continue;
            }
            let operation = format!("remove {addr}/{} from {LOOPBACK}", entry.prefix);
            match self.handle.address().del(entry.message).execute().await {
                Ok(()) => {}
                Err(e) if matches!(errno(&e), Some(libc::EADDRNOTAVAIL | libc::ENODEV)) => {}
                Err(e) => return Err(netlink_error(operation, e)),
            }
        }
        Ok(())
    }
}

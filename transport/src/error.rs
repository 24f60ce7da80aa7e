//! Why a medium could not be opened.

use std::io;
use std::net::IpAddr;

use thiserror::Error;

/// A medium could not be opened. Every variant names the medium as ha.cf
/// does (e.g. `bcast eth9`) so the operator knows which line to look at.
#[derive(Debug, Error)]
pub enum TransportError {
    /// The medium's interface does not exist.
    #[error("{medium}: no such interface")]
    NoSuchInterface {
        /// The medium, e.g. `bcast eth9`.
        medium: String,
    },
    /// A broadcast medium's interface has no IPv4 address with a broadcast
    /// address to send to.
    #[error("{medium}: interface {interface} has no IPv4 broadcast address")]
    NoBroadcastAddress {
        /// The medium, e.g. `bcast eth0`.
        medium: String,
        /// The interface.
        interface: String,
    },
    /// A multicast medium names an address that is not a multicast group.
    #[error("{medium}: {group} is not {}", multicast_range(group))]
    NotMulticast {
        /// The medium, e.g. `mcast eth0 10.0.0.1`.
        medium: String,
        /// The address given as the group.
        group: IpAddr,
    },
    /// A medium was handed to the opener of another kind of medium.
    #[error("{medium}: not a {wanted} medium")]
    WrongKind {
        /// The medium, e.g. `bcast eth0`.
        medium: String,
        /// The kind the opener opens, e.g. `serial`.
        wanted: &'static str,
    },
    /// A socket operation failed while setting the medium up.
    #[error("{medium}: cannot {action}: {source}")]
    Socket {
        /// The medium, e.g. `ucast eth1 10.0.0.2`.
        medium: String,
        /// What was being done, e.g. `bind to 0.0.0.0:694`.
        action: String,
        /// The operating system's error.
        source: io::Error,
    },
}

/// The multicast groups of `group`'s family, for [`TransportError::NotMulticast`].
fn multicast_range(group: &IpAddr) -> &'static str {
    match group {
        IpAddr::V4(_) => "an IPv4 multicast group (224.0.0.0/4)",
        IpAddr::V6(_) => "an IPv6 multicast group (ff00::/8)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_medium_first() {
        let missing = TransportError::NoSuchInterface {
            medium: "bcast eth9".into(),
        };
        assert_eq!(missing.to_string(), "bcast eth9: no such interface");
        let socket = TransportError::Socket {
            medium: "ucast eth1 10.0.0.2".into(),
            action: "bind to 0.0.0.0:694".into(),
            source: io::Error::from_raw_os_error(libc::EADDRINUSE),
        };
        let text = socket.to_string();
        assert!(
            text.starts_with("ucast eth1 10.0.0.2: cannot bind to 0.0.0.0:694: "),
            "{text}"
        );
        assert!(std::error::Error::source(&socket).is_some());
    }
}

//! The VRRP sockets: adverts on one interface, as keepalived sends and
//! receives them, over IPv4 ([`Ipv4Socket`]) and IPv6 ([`Ipv6Socket`]).
//! Each hands back what the state machine needs of a received packet
//! (source, TTL or hop limit, the decoded advert) as an
//! [`instance::Received`](crate::instance::Received), and a packet that
//! does not decode as its typed error.

use std::io;
use std::net::IpAddr;

use crate::packet::EncodeError;

mod ipv4;
mod ipv6;

pub use ipv4::Ipv4Socket;
pub use ipv6::Ipv6Socket;

/// What can go wrong on the socket.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The socket could not be opened or set up.
    #[error("VRRP socket on {interface}: {source}")]
    Open {
        /// The interface.
        interface: String,
        /// The system's error.
        source: io::Error,
    },
    /// Sending failed.
    #[error("sending an advert to {to}: {source}")]
    Send {
        /// The destination.
        to: IpAddr,
        /// The system's error.
        source: io::Error,
    },
    /// Receiving failed.
    #[error("receiving adverts: {0}")]
    Recv(io::Error),
    /// The advert cannot be encoded.
    #[error("encoding an advert: {0}")]
    Encode(#[from] EncodeError),
}

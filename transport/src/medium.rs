//! The async interface every medium implements, and the link state a medium
//! reports about itself.
//!
//! A medium carries whole datagrams (at most [`MAX_DATAGRAM_LEN`] bytes;
//! heartbeat's are a few hundred). It does not interpret them, does not
//! deduplicate them and does not drop the ones this node sent itself: a
//! broadcast or looped-back multicast datagram comes back to its sender like
//! any other, with the sender's address, and the caller recognises its own
//! messages (heartbeat does so by the sender's node name in the message).

use std::fmt;
use std::io;
use std::net::SocketAddr;

use async_trait::async_trait;

/// The largest datagram a medium carries: the largest UDP payload over IPv4.
///
/// A receive buffer of this size never truncates a datagram.
pub const MAX_DATAGRAM_LEN: usize = 65_507;

/// Anything that carries datagrams between cluster nodes.
#[async_trait]
pub trait Medium: Send + Sync {
    /// A short name for logs and status displays, as ha.cf would name the
    /// medium, e.g. `bcast eth0` or `ucast eth1 10.0.0.2`.
    fn describe(&self) -> String;

    /// Sends one datagram to the medium's destination (the peer, the
    /// interface's broadcast address, the multicast group).
    ///
    /// A datagram longer than [`MAX_DATAGRAM_LEN`] is refused with
    /// [`io::ErrorKind::InvalidInput`] and does not change the link state; any
    /// other failure is remembered and reported by [`Medium::link`] until a
    /// later send succeeds.
    async fn send(&self, datagram: &[u8]) -> io::Result<()>;

    /// Waits for the next datagram, copies it into `buf` and returns its
    /// length and the address it came from. A datagram longer than `buf` is
    /// truncated, so pass a buffer of [`MAX_DATAGRAM_LEN`] bytes.
    async fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;

    /// Takes a datagram already waiting, without waiting for one: `None`
    /// when none is queued. A node calls it before acting on a deadline, so
    /// that a heartbeat which has arrived is read first.
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>>;

    /// Waits until the medium hears that a datagram it sent was refused:
    /// the destination's host answered that nothing listens on the port
    /// (ICMP port unreachable), so the host is up but the peer's process is
    /// not. Returns the address the refused datagram went to.
    ///
    /// One refusal proves little (a process restarting, a stray datagram):
    /// what it means is for the membership layer to judge. Only a medium
    /// that sends to one peer can tell (`ucast`); a medium that cannot
    /// waits forever, which is the default. Cancel-safe: a refusal is
    /// never lost by dropping the future.
    async fn refused(&self) -> io::Result<SocketAddr> {
        std::future::pending().await
    }

    /// The layout of the messages this medium carries: heartbeat's
    /// netstring form (every network medium, the default), or its classic
    /// text form, the only one its serial plugin writes.
    fn message_format(&self) -> MessageFormat {
        MessageFormat::Netstring
    }

    /// The medium's own view of its link: whether its interface exists and is
    /// up, and whether the last send succeeded. Cheap enough for a status
    /// display, but not meant to be called for every datagram.
    fn link(&self) -> LinkState;
}

/// How a medium wants heartbeat's messages laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageFormat {
    /// `###\n`, one netstring per field, `%%%\n`, the trailer token.
    Netstring,
    /// `>>>\n`, one `name=value` line per field (the `auth` token last),
    /// `<<<\n`.
    Classic,
}

/// Whether a medium can carry datagrams, as far as this node can tell.
///
/// `Up` means nothing local is known to be wrong; whether peers hear us is
/// for the membership layer to judge from what it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// The interface is up and the last send (if any) succeeded.
    Up,
    /// The medium cannot carry datagrams, for the given reason.
    Down(DownReason),
}

impl LinkState {
    /// Whether the link is up.
    pub fn is_up(&self) -> bool {
        matches!(self, LinkState::Up)
    }
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkState::Up => f.write_str("up"),
            LinkState::Down(reason) => write!(f, "down: {reason}"),
        }
    }
}

/// Why a medium's link is down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// The interface does not exist (any more).
    InterfaceMissing {
        /// The interface's name.
        interface: String,
    },
    /// The interface exists but is administratively down.
    InterfaceDown {
        /// The interface's name.
        interface: String,
    },
    /// The interface is up but has no carrier (cable out, peer end down).
    NoCarrier {
        /// The interface's name.
        interface: String,
    },
    /// The interface looks fine but the last send failed.
    SendFailed {
        /// The kind of the error, for programs.
        kind: io::ErrorKind,
        /// The error as the operating system put it, for people.
        message: String,
    },
}

impl DownReason {
    /// The reason for a failed send.
    pub fn send_failed(error: &io::Error) -> Self {
        DownReason::SendFailed {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::InterfaceMissing { interface } => {
                write!(f, "no such interface {interface}")
            }
            DownReason::InterfaceDown { interface } => {
                write!(f, "interface {interface} is down")
            }
            DownReason::NoCarrier { interface } => {
                write!(f, "interface {interface} has no carrier")
            }
            DownReason::SendFailed { message, .. } => write!(f, "last send failed: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_reads_like_a_sentence() {
        let down = LinkState::Down(DownReason::InterfaceDown {
            interface: "eth0".into(),
        });
        assert_eq!(
            format!("bcast eth0: {down}"),
            "bcast eth0: down: interface eth0 is down"
        );
        assert_eq!(format!("bcast eth0: {}", LinkState::Up), "bcast eth0: up");
        assert!(!down.is_up());
        assert!(LinkState::Up.is_up());
    }

    #[test]
    fn send_failure_keeps_the_kind_and_the_message() {
        let error = io::Error::from_raw_os_error(libc::ENETUNREACH);
        let reason = DownReason::send_failed(&error);
        let DownReason::SendFailed { kind, message } = &reason else {
            panic!("expected a send failure, got {reason:?}");
        };
        assert_eq!(*kind, io::ErrorKind::NetworkUnreachable);
        assert_eq!(*message, error.to_string());
        assert!(reason.to_string().starts_with("last send failed: "));
    }
}

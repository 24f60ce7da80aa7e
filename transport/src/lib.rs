//! Media: anything that carries datagrams between cluster nodes.
//!
//! - [`spec`] names a medium as ha.cf does (`bcast`, `ucast`, `mcast`,
//!   `serial`).
//! - [`medium`] is the async [`medium::Medium`] trait every medium implements,
//!   with the [`medium::LinkState`] each reports about itself.
//! - [`udp`] opens UDP unicast, broadcast and multicast media.
//! - [`serial`] opens a serial line, framed as heartbeat frames it.
//! - [`sim`] is a deterministic in-memory network with loss, delay and
//!   partitions, driven by an explicit clock, for tests of the state machine.
//! - [`error`] says why a medium could not be opened.

pub mod error;
pub mod medium;
pub mod serial;
pub mod sim;
pub mod spec;
pub mod udp;

pub use error::TransportError;
pub use medium::{DownReason, LinkState, Medium, MessageFormat, MAX_DATAGRAM_LEN};
pub use spec::MediumSpec;

/// Opens the medium `spec` describes, whatever its kind. Must be called from
/// within a tokio runtime.
pub async fn open(spec: &MediumSpec) -> Result<Box<dyn Medium>, TransportError> {
    match spec {
        MediumSpec::Serial { .. } => Ok(Box::new(serial::SerialMedium::open(spec).await?)),
        _ => udp::open(spec).await,
    }
}

//! A deterministic in-memory network for tests of the state machine.
//!
//! [`SimNetwork`] has no sockets, no threads and no clock of its own: the
//! test passes the time to every call, so a property test can run thousands
//! of schedules with a fake clock, and a seed fixes every random choice
//! (which datagrams are lost, how long each takes). Nodes can be partitioned
//! from each other, crashed and restarted.
//!
//! [`ChannelNetwork`] is the async counterpart for tests of the tokio driver:
//! endpoints implementing [`crate::medium::Medium`] over in-process channels.

mod channel;
mod link;
mod network;

pub use channel::{ChannelEndpoint, ChannelNetwork};
pub use link::LinkConfig;
pub use network::{Delivery, NodeId, SimNetwork};

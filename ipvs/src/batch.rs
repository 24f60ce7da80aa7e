//! Many changes at once: requests are written back to back into one
//! datagram per window, each asking for an acknowledgement, and the
//! acknowledgements are collected afterwards. The kernel handles the
//! requests of a datagram in order and answers each, so a refusal affects
//! only its own change, and a service added early in a batch can receive
//! real servers later in the same batch.

use crate::connection::{Answer, Connection};
use crate::error::{DecodeError, IpvsError, KernelError};
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationKey, Service, ServiceKey,
    Timeouts,
};
use crate::netlink::encode::Request;

/// Requests sent before their acknowledgements are read. Each
/// acknowledgement occupies about a kilobyte of the socket's receive buffer
/// (kernel accounting), which holds at least 200 KiB by default.
const WINDOW: usize = 64;

/// One change to the kernel's IPVS table, as [`Ipvs::apply`] takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Add a virtual service.
    AddService(Service),
    /// Edit a virtual service.
    EditService(Service),
    /// Delete a virtual service.
    DeleteService(ServiceKey),
    /// Add a real server to a service.
    AddDestination(ServiceKey, Destination),
    /// Edit a real server of a service.
    EditDestination(ServiceKey, Destination),
    /// Remove a real server from a service.
    DeleteDestination(ServiceKey, DestinationKey),
    /// Set the connection timeouts (0 leaves one unchanged).
    SetTimeouts(Timeouts),
    /// Zero the counters of one service, or all.
    Zero(Option<ServiceKey>),
    /// Delete every virtual service.
    Flush,
    /// Start a sync daemon.
    StartDaemon(DaemonConfig),
    /// Stop a sync daemon.
    StopDaemon(DaemonState),
}

impl Change {
    fn request(&self) -> Request<'_> {
        match self {
            Change::AddService(service) => Request::AddService(service),
            Change::EditService(service) => Request::EditService(service),
            Change::DeleteService(key) => Request::DeleteService(key),
            Change::AddDestination(key, dest) => Request::AddDestination(key, dest),
            Change::EditDestination(key, dest) => Request::EditDestination(key, dest),
            Change::DeleteDestination(key, dest) => Request::DeleteDestination(key, dest),
            Change::SetTimeouts(timeouts) => Request::SetTimeouts(timeouts),
            Change::Zero(key) => Request::Zero(key.as_ref()),
            Change::Flush => Request::Flush,
            Change::StartDaemon(daemon) => Request::StartDaemon(daemon),
            Change::StopDaemon(state) => Request::StopDaemon(*state),
        }
    }
}

/// Applies changes in order, pipelined in windows of [`WINDOW`], one
/// result per change (see [`crate::Ipvs::apply`]).
pub(crate) fn apply(
    connection: &mut Connection,
    changes: &[Change],
) -> Result<Vec<Result<(), IpvsError>>, IpvsError> {
    let mut results = Vec::with_capacity(changes.len());
    for window in changes.chunks(WINDOW) {
        let requests: Vec<Request<'_>> = window.iter().map(Change::request).collect();
        let answers = connection.exchange(&requests, AddressFamily::Inet, true)?;
        for (change, answer) in window.iter().zip(answers) {
            results.push(settle(change, answer));
        }
    }
    Ok(results)
}

/// What an answer means for a change. Netlink sends no acknowledgement
/// when a handler returns `-EINTR`, and stopping a sync daemon whose thread
/// has not run yet does exactly that (`kthread_stop` of an unstarted
/// thread) although the daemon is then stopped: such a stop succeeded. Any
/// other silence is reported.
fn settle(change: &Change, answer: Result<Answer, IpvsError>) -> Result<(), IpvsError> {
    match answer? {
        // No data is expected in answer to a change: any is ignored.
        Answer::Done(_) => Ok(()),
        Answer::Refused(errno) => Err(KernelError {
            operation: change.request().operation(),
            errno,
        }
        .into()),
        Answer::Unanswered => match change {
            Change::StopDaemon(_) => Ok(()),
            _ => Err(DecodeError::Unexpected(
                "the kernel handled the change without answering".to_string(),
            )
            .into()),
        },
    }
}

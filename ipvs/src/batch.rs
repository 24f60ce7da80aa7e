//! Many changes at once: requests are written back to back into one
//! datagram per window, each asking for an acknowledgement, and the
//! acknowledgements are collected afterwards. The kernel handles the
//! requests of a datagram in order and answers each, so a refusal affects
//! only its own change, and a service added early in a batch can receive
//! real servers later in the same batch.

use crate::client::Ipvs;
use crate::error::{DecodeError, IpvsError, KernelError};
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationKey, Service, ServiceKey,
    Timeouts,
};
use crate::netlink::decode::{Replies, Reply};
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

impl Ipvs {
    /// Applies changes in order, pipelined, and returns one result per
    /// change, in the same order: `Ok(())`, the kernel's refusal, or
    /// [`IpvsError::InvalidRequest`] for a change that could not be sent.
    /// A refused change does not stop the others. The outer error reports a
    /// socket failure or an unreadable reply, after which the table's state
    /// is unknown.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<(), IpvsError>>, IpvsError> {
        let mut results: Vec<Option<Result<(), IpvsError>>> = Vec::with_capacity(changes.len());
        results.resize_with(changes.len(), || None);
        for (window_index, window) in changes.chunks(WINDOW).enumerate() {
            let first = window_index * WINDOW;
            self.apply_window(window, &mut results[first..first + window.len()])?;
        }
        Ok(results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(DecodeError::Unexpected("no answer to a change".to_string()).into())
                })
            })
            .collect())
    }

    fn apply_window(
        &mut self,
        window: &[Change],
        results: &mut [Option<Result<(), IpvsError>>],
    ) -> Result<(), IpvsError> {
        self.send_buf.clear();
        // (sequence number, index in the window) of every change sent.
        let mut pending: Vec<(u32, usize)> = Vec::with_capacity(window.len());
        for (index, change) in window.iter().enumerate() {
            let seq = self.next_seq();
            match change
                .request()
                .encode(self.family, seq, &mut self.send_buf)
            {
                Ok(()) => pending.push((seq, index)),
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        // A harmless request last: the kernel answers requests in order, so
        // once this one is answered every change before it has been handled,
        // even one the kernel handled without answering (see below).
        let barrier = self.next_seq();
        Request::GetInfo.encode(self.family, barrier, &mut self.send_buf)?;
        self.send_buffer()?;
        loop {
            let len = self.receive()?;
            for message in Replies::new(&self.recv_buf[..len], AddressFamily::Inet) {
                let message = message?;
                if message.seq == barrier {
                    match message.reply? {
                        Reply::Ack | Reply::Done | Reply::Failed(_) => {
                            settle_unanswered(window, &pending, results);
                            return Ok(());
                        }
                        _ => continue,
                    }
                }
                let Some(&(_, index)) = pending.iter().find(|(seq, _)| *seq == message.seq) else {
                    continue;
                };
                let outcome = match message.reply {
                    Ok(Reply::Ack) => Ok(()),
                    Ok(Reply::Failed(errno)) => Err(KernelError {
                        operation: window[index].request().operation(),
                        errno,
                    }
                    .into()),
                    // No data is expected in answer to a change: skip it.
                    Ok(_) => continue,
                    Err(error) => Err(error.into()),
                };
                results[index] = Some(outcome);
            }
        }
    }
}

/// Gives a result to the changes the kernel handled without answering.
/// Netlink sends no acknowledgement when a handler returns `-EINTR`, and
/// stopping a sync daemon whose thread has not run yet does exactly that
/// (`kthread_stop` of an unstarted thread) although the daemon is then
/// stopped: such a stop succeeded. Any other silence is reported.
fn settle_unanswered(
    window: &[Change],
    pending: &[(u32, usize)],
    results: &mut [Option<Result<(), IpvsError>>],
) {
    for &(_, index) in pending {
        if results[index].is_none() {
            results[index] = Some(match window[index] {
                Change::StopDaemon(_) => Ok(()),
                _ => Err(DecodeError::Unexpected(
                    "the kernel handled the change without answering".to_string(),
                )
                .into()),
            });
        }
    }
}

//! The synchronous handle on the kernel's IPVS: one generic-netlink socket,
//! one request at a time, each answered before the call returns.
//!
//! Every method maps to one ipvsadm action; a kernel refusal comes back as
//! [`IpvsError::Kernel`] carrying the errno and ipvsadm's sentence for it.
//! For many changes at once, [`Ipvs::apply`] pipelines them.

use crate::batch::{self, Change};
use crate::connection::{Answer, Connection};
use crate::error::{DecodeError, IpvsError, KernelError};
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey, Info,
    Service, ServiceEntry, ServiceKey, Timeouts,
};
use crate::netlink::decode::Reply;
use crate::netlink::encode::Request;

/// A connection to the kernel's IPVS.
#[derive(Debug)]
pub struct Ipvs {
    connection: Connection,
}

impl Ipvs {
    /// Opens a generic-netlink socket and resolves the IPVS family.
    /// [`IpvsError::NotAvailable`] if the kernel has no IPVS.
    pub fn connect() -> Result<Ipvs, IpvsError> {
        Ok(Ipvs {
            connection: Connection::connect()?,
        })
    }

    /// The generic-netlink family number the kernel gave IPVS.
    pub fn family_id(&self) -> u16 {
        self.connection.family()
    }

    /// Applies changes in order, pipelined, and returns one result per
    /// change, in the same order: `Ok(())`, the kernel's refusal, or
    /// [`IpvsError::InvalidRequest`] for a change that could not be sent.
    /// A refused change does not stop the others. The outer error reports a
    /// socket failure or an unreadable reply, after which the table's state
    /// is unknown.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<(), IpvsError>>, IpvsError> {
        batch::apply(&mut self.connection, changes)
    }

    /// IPVS version and connection-table size.
    pub fn info(&mut self) -> Result<Info, IpvsError> {
        match self.single(Request::GetInfo, AddressFamily::Inet)? {
            Reply::Info(info) => Ok(info),
            other => Err(unexpected("version information", &other)),
        }
    }

    /// Every virtual service, in the kernel's order (the hash-table order
    /// ipvsadm sorts before printing).
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError> {
        self.request(Request::ListServices, AddressFamily::Inet)?
            .into_iter()
            .map(|reply| match reply {
                Reply::Service(entry) => Ok(entry),
                other => Err(unexpected("a service", &other)),
            })
            .collect()
    }

    /// One virtual service; "No such service" (ESRCH) if absent.
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, IpvsError> {
        match self.single(Request::GetService(key), key.af())? {
            Reply::Service(entry) => Ok(entry),
            other => Err(unexpected("a service", &other)),
        }
    }

    /// Adds a virtual service (`ipvsadm -A`).
    pub fn add_service(&mut self, service: &Service) -> Result<(), IpvsError> {
        self.command(Request::AddService(service))
    }

    /// Changes a virtual service's scheduler, flags and persistence
    /// (`ipvsadm -E`).
    pub fn edit_service(&mut self, service: &Service) -> Result<(), IpvsError> {
        self.command(Request::EditService(service))
    }

    /// Deletes a virtual service and its real servers (`ipvsadm -D`).
    pub fn delete_service(&mut self, key: &ServiceKey) -> Result<(), IpvsError> {
        self.command(Request::DeleteService(key))
    }

    /// The real servers of a service, in the kernel's order; "No such
    /// service" (ESRCH) if the service does not exist.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, IpvsError> {
        let replies = self.request(Request::ListDestinations(key), key.af())?;
        if replies.is_empty() {
            // The kernel dumps nothing, without an error, for a missing
            // service; ask for the service itself to tell the two apart.
            if let Err(IpvsError::Kernel(refusal)) = self.service(key) {
                return Err(KernelError {
                    operation: crate::error::Operation::ListDestinations,
                    errno: refusal.errno,
                }
                .into());
            }
        }
        replies
            .into_iter()
            .map(|reply| match reply {
                Reply::Destination(entry) => Ok(entry),
                other => Err(unexpected("a real server", &other)),
            })
            .collect()
    }

    /// Adds a real server to a service (`ipvsadm -a`).
    pub fn add_destination(
        &mut self,
        service: &ServiceKey,
        destination: &Destination,
    ) -> Result<(), IpvsError> {
        self.command(Request::AddDestination(service, destination))
    }

    /// Changes a real server's forwarding, weight and thresholds
    /// (`ipvsadm -e`).
    pub fn edit_destination(
        &mut self,
        service: &ServiceKey,
        destination: &Destination,
    ) -> Result<(), IpvsError> {
        self.command(Request::EditDestination(service, destination))
    }

    /// Removes a real server from a service (`ipvsadm -d`).
    pub fn delete_destination(
        &mut self,
        service: &ServiceKey,
        destination: &DestinationKey,
    ) -> Result<(), IpvsError> {
        self.command(Request::DeleteDestination(service, destination))
    }

    /// The connection timeouts (`ipvsadm -L --timeout`).
    pub fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        match self.single(Request::GetTimeouts, AddressFamily::Inet)? {
            Reply::Timeouts(timeouts) => Ok(timeouts),
            other => Err(unexpected("timeouts", &other)),
        }
    }

    /// Sets the connection timeouts; a 0 leaves that one unchanged
    /// (`ipvsadm --set`).
    pub fn set_timeouts(&mut self, timeouts: &Timeouts) -> Result<(), IpvsError> {
        self.command(Request::SetTimeouts(timeouts))
    }

    /// Deletes every virtual service (`ipvsadm -C`).
    pub fn flush(&mut self) -> Result<(), IpvsError> {
        self.command(Request::Flush)
    }

    /// Zeroes the counters of one service, or of all (`ipvsadm -Z`).
    pub fn zero(&mut self, service: Option<&ServiceKey>) -> Result<(), IpvsError> {
        self.command(Request::Zero(service))
    }

    /// Starts a connection-sync daemon (`ipvsadm --start-daemon`).
    pub fn start_daemon(&mut self, daemon: &DaemonConfig) -> Result<(), IpvsError> {
        self.command(Request::StartDaemon(daemon))
    }

    /// Stops the master or backup sync daemon (`ipvsadm --stop-daemon`).
    pub fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError> {
        // Through a batch: the kernel may stop a daemon without answering
        // (see `batch`), which only a following request can reveal.
        let mut results = self.apply(&[Change::StopDaemon(state)])?;
        results.pop().unwrap_or(Ok(()))
    }

    /// The running sync daemons, master first (`ipvsadm -L --daemon`).
    pub fn daemons(&mut self) -> Result<Vec<DaemonConfig>, IpvsError> {
        self.request(Request::ListDaemons, AddressFamily::Inet)?
            .into_iter()
            .map(|reply| match reply {
                Reply::Daemon(daemon) => Ok(daemon),
                other => Err(unexpected("a sync daemon", &other)),
            })
            .collect()
    }

    /// Sends a request and collects its data messages until its
    /// acknowledgement or end of dump.
    fn request(
        &mut self,
        request: Request<'_>,
        service_af: AddressFamily,
    ) -> Result<Vec<Reply>, IpvsError> {
        let answer = self
            .connection
            .exchange(&[request], service_af, false)?
            .pop()
            .unwrap_or(Ok(Answer::Unanswered))?;
        match answer {
            Answer::Done(data) => Ok(data),
            Answer::Refused(errno) => Err(KernelError {
                operation: request.operation(),
                errno,
            }
            .into()),
            Answer::Unanswered => {
                Err(DecodeError::Unexpected("no answer to a request".to_string()).into())
            }
        }
    }

    /// A request answered by exactly one data message.
    fn single(
        &mut self,
        request: Request<'_>,
        service_af: AddressFamily,
    ) -> Result<Reply, IpvsError> {
        let mut replies = self.request(request, service_af)?;
        match replies.len() {
            1 => Ok(replies.remove(0)),
            n => Err(DecodeError::Unexpected(format!("{n} replies where one was expected")).into()),
        }
    }

    /// A request answered by an acknowledgement alone.
    fn command(&mut self, request: Request<'_>) -> Result<(), IpvsError> {
        let replies = self.request(request, AddressFamily::Inet)?;
        match replies.first() {
            None => Ok(()),
            Some(other) => Err(unexpected("an acknowledgement", other)),
        }
    }
}

fn unexpected(wanted: &str, got: &Reply) -> IpvsError {
    let kind = match got {
        Reply::Ack => "an acknowledgement",
        Reply::Failed(_) => "an error",
        Reply::Done => "the end of a dump",
        Reply::Service(_) => "a service",
        Reply::Destination(_) => "a real server",
        Reply::Daemon(_) => "a sync daemon",
        Reply::Timeouts(_) => "timeouts",
        Reply::Info(_) => "version information",
        Reply::Ignored => "an unknown message",
    };
    DecodeError::Unexpected(format!("{kind} where {wanted} was expected")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handle_and_errors_cross_threads() {
        // The director drives the handle from a blocking task.
        assert_send::<Ipvs>();
        assert_send_sync::<IpvsError>();
    }
}

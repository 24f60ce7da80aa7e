//! The synchronous handle on the kernel's IPVS: one generic-netlink socket,
//! one request at a time, each answered before the call returns.
//!
//! Every method maps to one ipvsadm action; a kernel refusal comes back as
//! [`IpvsError::Kernel`] carrying the errno and ipvsadm's sentence for it.
//! For many changes at once, [`Ipvs::apply`] pipelines them.

use std::io;
use std::os::fd::AsRawFd;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use crate::error::{DecodeError, IpvsError, KernelError};
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey, Info,
    Service, ServiceEntry, ServiceKey, Timeouts,
};
use crate::netlink::decode::{Replies, Reply};
use crate::netlink::encode::Request;
use crate::netlink::family::resolve_ipvs_family;

/// Receive buffer size: larger than the 32 KiB the kernel caps a dump
/// message batch at, so no reply is ever truncated.
const RECV_BUFFER: usize = 64 * 1024;

/// Socket receive buffer asked of the kernel, so that a window of pipelined
/// acknowledgements always fits.
const SOCKET_RCVBUF: usize = 1024 * 1024;

/// How long a reply may keep us waiting. The kernel answers each request
/// while handling it, so a longer wait means a reply was lost: better an
/// error than a hang.
const REPLY_TIMEOUT_SECS: libc::time_t = 30;

/// A connection to the kernel's IPVS.
pub struct Ipvs {
    pub(crate) socket: NlSocket,
    pub(crate) family: u16,
    seq: u32,
    pub(crate) recv_buf: Vec<u8>,
    pub(crate) send_buf: Vec<u8>,
}

impl std::fmt::Debug for Ipvs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ipvs")
            .field("family", &self.family)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Ipvs {
    /// Opens a generic-netlink socket and resolves the IPVS family.
    /// [`IpvsError::NotAvailable`] if the kernel has no IPVS.
    pub fn connect() -> Result<Ipvs, IpvsError> {
        let family = resolve_ipvs_family()?;
        let socket = NlSocket::connect(NlFamily::Generic, None, Groups::empty())?;
        // Best effort: the kernel caps it at net.core.rmem_max.
        let _ = socket.set_recv_buffer_size(SOCKET_RCVBUF);
        set_reply_timeout(&socket)?;
        Ok(Ipvs {
            socket,
            family,
            seq: 0,
            recv_buf: vec![0; RECV_BUFFER],
            send_buf: Vec::new(),
        })
    }

    /// The generic-netlink family number the kernel gave IPVS.
    pub fn family_id(&self) -> u16 {
        self.family
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
        let mut results = self.apply(&[crate::batch::Change::StopDaemon(state)])?;
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

    /// The next sequence number (never 0, which the kernel's own messages
    /// use).
    pub(crate) fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends the whole send buffer in one datagram.
    pub(crate) fn send_buffer(&mut self) -> Result<(), IpvsError> {
        loop {
            match self.socket.send(&self.send_buf, Msg::empty()) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(IpvsError::Socket(e)),
            }
        }
    }

    /// Receives one datagram into the receive buffer; its length.
    pub(crate) fn receive(&mut self) -> Result<usize, IpvsError> {
        loop {
            match self.socket.recv(&mut self.recv_buf[..], Msg::empty()) {
                Ok((0, _)) => {
                    return Err(IpvsError::Socket(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the netlink socket returned no data",
                    )))
                }
                Ok((len, _)) => return Ok(len),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(IpvsError::Socket(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no reply from the kernel within {REPLY_TIMEOUT_SECS} s"),
                    )))
                }
                Err(e) => return Err(IpvsError::Socket(e)),
            }
        }
    }

    /// Sends a request and collects its data messages until its
    /// acknowledgement or end of dump.
    fn request(
        &mut self,
        request: Request<'_>,
        service_af: AddressFamily,
    ) -> Result<Vec<Reply>, IpvsError> {
        let seq = self.next_seq();
        self.send_buf.clear();
        request.encode(self.family, seq, &mut self.send_buf)?;
        self.send_buffer()?;
        let mut data = Vec::new();
        loop {
            let len = self.receive()?;
            for message in Replies::new(&self.recv_buf[..len], service_af) {
                let message = message?;
                if message.seq != seq {
                    // An answer to an earlier request abandoned on error.
                    continue;
                }
                match message.reply? {
                    Reply::Ack | Reply::Done => return Ok(data),
                    Reply::Failed(errno) => {
                        return Err(KernelError {
                            operation: request.operation(),
                            errno,
                        }
                        .into())
                    }
                    Reply::Ignored => {}
                    reply => data.push(reply),
                }
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

/// Makes a receive give up after [`REPLY_TIMEOUT_SECS`] (`SO_RCVTIMEO`).
fn set_reply_timeout(socket: &NlSocket) -> Result<(), IpvsError> {
    let timeout = libc::timeval {
        tv_sec: REPLY_TIMEOUT_SECS,
        tv_usec: 0,
    };
    // SAFETY: the descriptor is the socket's own, open for as long as the
    // borrow; the option value is a live timeval of the size passed.
    let status = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(IpvsError::Socket(io::Error::last_os_error()))
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

    #[test]
    fn a_lost_reply_cannot_block_forever() {
        let socket = NlSocket::new(NlFamily::Generic).expect("a netlink socket");
        set_reply_timeout(&socket).expect("set the timeout");
        let mut read = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
        // SAFETY: a live timeval and its size, on the socket's own descriptor.
        let status = unsafe {
            libc::getsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&mut read as *mut libc::timeval).cast(),
                &mut len,
            )
        };
        assert_eq!(status, 0);
        assert_eq!((read.tv_sec, read.tv_usec), (REPLY_TIMEOUT_SECS, 0));
    }

    #[test]
    fn sequence_numbers_skip_zero_when_they_wrap() {
        let mut ipvs = Ipvs {
            socket: NlSocket::new(NlFamily::Generic).expect("a netlink socket"),
            family: 0,
            seq: u32::MAX - 1,
            recv_buf: Vec::new(),
            send_buf: Vec::new(),
        };
        assert_eq!(ipvs.next_seq(), u32::MAX);
        assert_eq!(ipvs.next_seq(), 1);
    }
}

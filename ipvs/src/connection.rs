//! The one generic-netlink connection to the kernel's IPVS: it owns the
//! socket, numbers the requests, and holds the single routine that sends
//! requests and collects their answers ([`Connection::exchange`]), used for
//! one request at a time by [`crate::client`] and pipelined by
//! [`crate::batch`].

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use nix::sys::socket::{setsockopt, sockopt::ReceiveTimeout};
use nix::sys::time::TimeVal;

use crate::error::IpvsError;
use crate::model::AddressFamily;
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
pub(crate) const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// How one request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Acknowledged (or the end of its dump), with the data that came first.
    Done(Vec<Reply>),
    /// Refused by the kernel with this errno.
    Refused(i32),
    /// Not answered before a later request was (see [`Connection::exchange`]).
    Unanswered,
}

/// A connection to the kernel's IPVS family.
pub(crate) struct Connection {
    socket: NlSocket,
    family: u16,
    seq: u32,
    recv_buf: Vec<u8>,
    send_buf: Vec<u8>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("family", &self.family)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens a generic-netlink socket and resolves the IPVS family.
    pub(crate) fn connect() -> Result<Connection, IpvsError> {
        let family = resolve_ipvs_family()?;
        let socket = NlSocket::connect(NlFamily::Generic, None, Groups::empty())?;
        // Best effort: the kernel caps it at net.core.rmem_max.
        let _ = socket.set_recv_buffer_size(SOCKET_RCVBUF);
        set_reply_timeout(&socket)?;
        Ok(Connection::with_socket(socket, family))
    }

    fn with_socket(socket: NlSocket, family: u16) -> Connection {
        Connection {
            socket,
            family,
            seq: 0,
            recv_buf: vec![0; RECV_BUFFER],
            send_buf: Vec::new(),
        }
    }

    /// The generic-netlink family number the kernel gave IPVS.
    pub(crate) fn family(&self) -> u16 {
        self.family
    }

    /// Sends `requests` back to back in one datagram and collects their
    /// answers, one per request, in order. A request that cannot be encoded
    /// gets its error and is not sent. With `fence`, a harmless request
    /// follows them: the kernel answers requests in order, so once the fence
    /// is answered every request before it has been handled, and one still
    /// without an answer (the kernel sometimes handles a request without
    /// answering) is [`Answer::Unanswered`] rather than waited for.
    pub(crate) fn exchange(
        &mut self,
        requests: &[Request<'_>],
        service_af: AddressFamily,
        fence: bool,
    ) -> Result<Vec<Result<Answer, IpvsError>>, IpvsError> {
        let mut answers: Vec<Option<Result<Answer, IpvsError>>> = Vec::new();
        answers.resize_with(requests.len(), || None);
        // (sequence number, index, data so far) of every request sent.
        let mut pending: Vec<(u32, usize, Vec<Reply>)> = Vec::with_capacity(requests.len());
        self.send_buf.clear();
        for (index, request) in requests.iter().enumerate() {
            let seq = self.next_seq();
            match request.encode(self.family, seq, &mut self.send_buf) {
                Ok(()) => pending.push((seq, index, Vec::new())),
                Err(error) => answers[index] = Some(Err(error)),
            }
        }
        let fence_seq = match (pending.is_empty(), fence) {
            (true, _) => None,
            (false, true) => {
                let seq = self.next_seq();
                Request::GetInfo.encode(self.family, seq, &mut self.send_buf)?;
                Some(seq)
            }
            (false, false) => None,
        };
        if !pending.is_empty() {
            self.send_buffer()?;
        }
        let mut fence_open = fence_seq.is_some();
        while !pending.is_empty() || fence_open {
            let len = self.receive()?;
            for message in Replies::new(&self.recv_buf[..len], service_af) {
                let message = message?;
                if Some(message.seq) == fence_seq {
                    if matches!(message.reply?, Reply::Ack | Reply::Done | Reply::Failed(_)) {
                        for (_, index, _) in pending.drain(..) {
                            answers[index] = Some(Ok(Answer::Unanswered));
                        }
                        fence_open = false;
                    }
                    continue;
                }
                // Anything else is an answer to an earlier request abandoned
                // on error: skip it.
                let Some(at) = pending.iter().position(|(seq, ..)| *seq == message.seq) else {
                    continue;
                };
                let answer = match message.reply {
                    Ok(Reply::Ack | Reply::Done) => {
                        Ok(Answer::Done(std::mem::take(&mut pending[at].2)))
                    }
                    Ok(Reply::Failed(errno)) => Ok(Answer::Refused(errno)),
                    Ok(Reply::Ignored) => continue,
                    Ok(data) => {
                        pending[at].2.push(data);
                        continue;
                    }
                    Err(error) => Err(error.into()),
                };
                let (_, index, _) = pending.remove(at);
                answers[index] = Some(answer);
            }
        }
        Ok(answers
            .into_iter()
            .map(|answer| answer.unwrap_or(Ok(Answer::Unanswered)))
            .collect())
    }

    /// The next sequence number (never 0, which the kernel's own messages
    /// use).
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends the whole send buffer in one datagram.
    fn send_buffer(&mut self) -> Result<(), IpvsError> {
        loop {
            match self.socket.send(&self.send_buf, Msg::empty()) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(IpvsError::Socket(e)),
            }
        }
    }

    /// Receives one datagram into the receive buffer; its length.
    fn receive(&mut self) -> Result<usize, IpvsError> {
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
                        format!(
                            "no reply from the kernel within {} s",
                            REPLY_TIMEOUT.as_secs()
                        ),
                    )))
                }
                Err(e) => return Err(IpvsError::Socket(e)),
            }
        }
    }
}

/// Makes a receive give up after [`REPLY_TIMEOUT`] (`SO_RCVTIMEO`).
fn set_reply_timeout(socket: &NlSocket) -> Result<(), IpvsError> {
    let timeout = TimeVal::new(
        i64::try_from(REPLY_TIMEOUT.as_secs()).unwrap_or(i64::MAX),
        0,
    );
    setsockopt(&socket_fd(socket), ReceiveTimeout, &timeout)
        .map_err(|errno| IpvsError::Socket(errno.into()))
}

/// The socket's descriptor, borrowed for as long as the socket is (neli's
/// socket offers only the raw descriptor).
fn socket_fd(socket: &NlSocket) -> BorrowedFd<'_> {
    // SAFETY: the descriptor belongs to `socket`, which stays open for the
    // whole borrow.
    unsafe { BorrowedFd::borrow_raw(socket.as_raw_fd()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::getsockopt;

    #[test]
    fn a_lost_reply_cannot_block_forever() {
        let socket = NlSocket::new(NlFamily::Generic).expect("a netlink socket");
        set_reply_timeout(&socket).expect("set the timeout");
        let read = getsockopt(&socket_fd(&socket), ReceiveTimeout).expect("read the timeout");
        assert_eq!(
            (read.tv_sec(), read.tv_usec()),
            (REPLY_TIMEOUT.as_secs() as i64, 0)
        );
    }

    #[test]
    fn sequence_numbers_skip_zero_when_they_wrap() {
        let socket = NlSocket::new(NlFamily::Generic).expect("a netlink socket");
        let mut connection = Connection::with_socket(socket, 0);
        connection.seq = u32::MAX - 1;
        assert_eq!(connection.next_seq(), u32::MAX);
        assert_eq!(connection.next_seq(), 1);
    }
}

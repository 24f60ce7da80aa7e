//! A UDP exchange with a real server, shared by the checks that speak UDP
//! (dns, simpletcp, sip): a socket of the server's family connected to it,
//! requests sent as single datagrams, answers received one datagram at a
//! time. The caller's timeout bounds the exchange; an ICMP refusal shows
//! up as a receive error.

use std::net::SocketAddr;

use tokio::net::UdpSocket;

use super::outcome::{CheckError, CheckResult};

/// The largest datagram an answer may be.
const MAX_DATAGRAM: usize = 65536;

/// A UDP socket connected to one real server, with a buffer for answers.
pub(crate) struct Exchange {
    socket: UdpSocket,
    buffer: Vec<u8>,
}

impl Exchange {
    /// Opens a socket of `target`'s family and connects it to `target`.
    pub(crate) async fn connect(target: SocketAddr) -> CheckResult<Exchange> {
        let local = if target.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local)
            .await
            .map_err(CheckError::io("opening a UDP socket"))?;
        socket
            .connect(target)
            .await
            .map_err(|source| CheckError::Connect {
                addr: target,
                source,
            })?;
        Ok(Exchange {
            socket,
            buffer: vec![0u8; MAX_DATAGRAM],
        })
    }

    /// The socket's own address (what a SIP request names as its sender).
    pub(crate) fn local_addr(&self) -> CheckResult<SocketAddr> {
        self.socket
            .local_addr()
            .map_err(CheckError::io("reading the local address"))
    }

    /// Sends `datagram`; `what` names it in an error ("sending the query").
    pub(crate) async fn send(&self, datagram: &[u8], what: &'static str) -> CheckResult<()> {
        self.socket
            .send(datagram)
            .await
            .map(|_| ())
            .map_err(CheckError::io(what))
    }

    /// Waits for the next datagram from the server.
    pub(crate) async fn receive(&mut self) -> CheckResult<&[u8]> {
        let n = self
            .socket
            .recv(&mut self.buffer)
            .await
            .map_err(CheckError::io("receiving the answer"))?;
        Ok(self.buffer.get(..n).unwrap_or_default())
    }
}

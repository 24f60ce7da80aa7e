//! Socket helpers shared by the negotiate checks: TCP connections, an
//! optional TLS layer, and bounded line reading (a server cannot make a
//! check buffer without limit).

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;

use super::outcome::{CheckError, CheckResult};
use super::tls;

/// The longest protocol line a check accepts.
pub(crate) const MAX_LINE: usize = 8192;

/// A connection to a real server, plain or TLS.
pub(crate) enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// Connects to `addr`, over TLS when `tls` (sending `server_name` as
    /// SNI when it is a host name).
    pub(crate) async fn connect(
        addr: SocketAddr,
        tls: bool,
        server_name: Option<&str>,
        connect_limit: Option<Duration>,
    ) -> CheckResult<Stream> {
        let tcp = connect_tcp(addr, connect_limit).await?;
        if tls {
            Ok(Stream::Tls(Box::new(
                tls::handshake(tcp, addr, server_name).await?,
            )))
        } else {
            Ok(Stream::Plain(tcp))
        }
    }
}

/// Opens a TCP connection to `addr`, giving up after `limit` when one is
/// set (`connecttimeout`; the check's own timeout bounds it anyway). Nagle
/// is off: checks send small requests and wait for the answer.
pub(crate) async fn connect_tcp(
    addr: SocketAddr,
    limit: Option<Duration>,
) -> CheckResult<TcpStream> {
    let connecting = TcpStream::connect(addr);
    let connected = match limit {
        Some(limit) => {
            tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_| CheckError::Connect {
                    addr,
                    source: std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no connection within {limit:?}"),
                    ),
                })?
        }
        None => connecting.await,
    };
    let stream = connected.map_err(|source| CheckError::Connect { addr, source })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A line-oriented conversation over a [`Stream`].
pub(crate) struct Lines {
    inner: BufReader<Stream>,
}

impl Lines {
    /// Wraps `stream`.
    pub(crate) fn new(stream: Stream) -> Lines {
        Lines {
            inner: BufReader::new(stream),
        }
    }

    /// Reads one line (without its CR LF); `None` at end of stream. A line
    /// longer than [`MAX_LINE`] is an error.
    pub(crate) async fn read_line(&mut self) -> CheckResult<Option<String>> {
        let mut line = Vec::new();
        loop {
            let available = self
                .inner
                .fill_buf()
                .await
                .map_err(CheckError::io("reading"))?;
            if available.is_empty() {
                if line.is_empty() {
                    return Ok(None);
                }
                break;
            }
            let (taken, done) = match available.iter().position(|&b| b == b'\n') {
                Some(end) => (end + 1, true),
                None => (available.len(), false),
            };
            line.extend_from_slice(available.get(..taken).unwrap_or_default());
            self.inner.consume(taken);
            if line.len() > MAX_LINE {
                return Err(CheckError::Malformed(format!(
                    "a line longer than {MAX_LINE} bytes"
                )));
            }
            if done {
                break;
            }
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        Ok(Some(String::from_utf8_lossy(&line).into_owned()))
    }

    /// Reads one line; the end of the stream is an error.
    pub(crate) async fn expect_line(&mut self, waiting_for: &'static str) -> CheckResult<String> {
        self.read_line()
            .await?
            .ok_or(CheckError::Closed(waiting_for))
    }

    /// Sends `text` as is.
    pub(crate) async fn send(&mut self, text: &str) -> CheckResult<()> {
        let stream = self.inner.get_mut();
        stream
            .write_all(text.as_bytes())
            .await
            .map_err(CheckError::io("sending"))?;
        stream.flush().await.map_err(CheckError::io("sending"))
    }

    /// The underlying stream (for reading raw data after the lines).
    pub(crate) fn reader(&mut self) -> &mut BufReader<Stream> {
        &mut self.inner
    }
}

/// Shortens `text` for a detail line.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 120;
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

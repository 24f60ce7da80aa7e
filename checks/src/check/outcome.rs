//! The result of one check, and the error type the checks use inside
//! before it is turned into an outcome's detail line.

use std::time::Duration;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Whether the real server passed.
    pub healthy: bool,
    /// From the start of the check to its verdict (monotonic clock).
    pub latency: Duration,
    /// One line for logs and status displays: what was seen, or what failed.
    pub detail: String,
}

impl CheckOutcome {
    /// A pass after `latency`.
    pub fn up(latency: Duration, detail: impl Into<String>) -> CheckOutcome {
        CheckOutcome {
            healthy: true,
            latency,
            detail: detail.into(),
        }
    }

    /// A failure after `latency`.
    pub fn down(latency: Duration, detail: impl Into<String>) -> CheckOutcome {
        CheckOutcome {
            healthy: false,
            latency,
            detail: detail.into(),
        }
    }
}

/// Why a check failed. Every variant is an ordinary "real server down"
/// verdict; none is a bug of the director.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The TCP connection could not be made.
    #[error("connect to {addr} failed: {source}")]
    Connect {
        /// Where to.
        addr: std::net::SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// Reading or writing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The socket error.
        source: std::io::Error,
    },
    /// The deadline passed.
    #[error("no verdict within {0:?}")]
    Timeout(Duration),
    /// The server closed the connection early.
    #[error("connection closed by the server {0}")]
    Closed(&'static str),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
    /// The server answered, but not as a healthy one does.
    #[error("{0}")]
    Answer(String),
    /// The server's bytes do not follow the protocol.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl CheckError {
    /// An I/O error while `what`.
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> CheckError {
        move |source| CheckError::Io { what, source }
    }
}

/// The result type of the checks' internals.
pub(crate) type CheckResult<T = String> = Result<T, CheckError>;

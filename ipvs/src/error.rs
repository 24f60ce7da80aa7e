//! Errors of the IPVS binding: the kernel's refusals (errno plus the sentence
//! ipvsadm prints for it), an absent IPVS, socket failures and malformed
//! replies.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// What the binding was asked to do when the kernel refused; the same errno
/// reads differently for different operations (ESRCH is "No such service"
/// when editing a service but "Service not defined" when adding a real
/// server to it), exactly as in ipvsadm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Add a virtual service (`-A`).
    AddService,
    /// Edit a virtual service (`-E`).
    EditService,
    /// Delete a virtual service (`-D`).
    DeleteService,
    /// Read one virtual service.
    GetService,
    /// List all virtual services.
    ListServices,
    /// Add a real server (`-a`).
    AddDestination,
    /// Edit a real server (`-e`).
    EditDestination,
    /// Delete a real server (`-d`).
    DeleteDestination,
    /// List a service's real servers.
    ListDestinations,
    /// Zero counters, of one service or all (`-Z`).
    Zero,
    /// Delete every service (`-C`).
    Flush,
    /// Read the connection timeouts.
    GetTimeouts,
    /// Set the connection timeouts (`--set`).
    SetTimeouts,
    /// Read the version and connection-table size.
    GetInfo,
    /// Start a sync daemon (`--start-daemon`).
    StartDaemon,
    /// Stop a sync daemon (`--stop-daemon`).
    StopDaemon,
    /// List the sync daemons (`-L --daemon`).
    ListDaemons,
}

/// The kernel refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelError {
    /// What was asked.
    pub operation: Operation,
    /// The positive errno the kernel answered (e.g. 17 for EEXIST).
    pub errno: i32,
}

impl KernelError {
    /// The sentence ipvsadm 1.31 prints for this errno after this operation:
    /// its own wording where it has one ("Service already exists",
    /// "No such destination"…), else the C library's text for the errno.
    pub fn message(&self) -> Cow<'static, str> {
        match operation_message(self.operation, self.errno).or_else(|| common_message(self.errno)) {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(strerror(self.errno)),
        }
    }

    /// The C library's text for the errno itself ("No such file or
    /// directory" for ENOENT), whatever ipvsadm's sentence for it is.
    pub fn errno_text(&self) -> String {
        strerror(self.errno)
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for KernelError {}

const EPERM: i32 = 1;
const ENOENT: i32 = 2;
const ESRCH: i32 = 3;
const ENOMEM: i32 = 12;
const EEXIST: i32 = 17;
const EINVAL: i32 = 22;
const ENOPROTOOPT: i32 = 92;
const EOPNOTSUPP: i32 = 95;
const EAFNOSUPPORT: i32 = 97;
const EMSGSIZE: i32 = 90;

/// ipvsadm's per-operation sentences (libipvs `ipvs_strerror`).
fn operation_message(operation: Operation, errno: i32) -> Option<&'static str> {
    use Operation::*;
    Some(match (operation, errno) {
        (AddService, EEXIST) => "Service already exists",
        (AddService | EditService, ENOENT) => "Scheduler or persistence engine not found",
        (EditService | DeleteService | Zero, ESRCH) => "No such service",
        (AddDestination | EditDestination | DeleteDestination, ESRCH) => "Service not defined",
        (AddDestination, EEXIST) => "Destination already exists",
        (EditDestination | DeleteDestination, ENOENT) => "No such destination",
        (StartDaemon, EEXIST) => "Daemon has already run",
        (StopDaemon, ESRCH) => "No daemon is running",
        (ListServices | ListDestinations | GetService, ESRCH) => "No such service",
        _ => return None,
    })
}

/// ipvsadm's sentences for any operation.
fn common_message(errno: i32) -> Option<&'static str> {
    Some(match errno {
        EPERM => "Permission denied (you must be root)",
        EINVAL => "Invalid operation.  Possibly wrong module version, address not unicast, ...",
        ENOPROTOOPT => "Protocol not available",
        ENOMEM => "Memory allocation problem",
        EOPNOTSUPP => "Operation not supported with IPv6",
        EAFNOSUPPORT => "Operation not supported with specified address family",
        EMSGSIZE => "Module is wrong version",
        _ => return None,
    })
}

/// The C library's text for an errno ("No such file or directory"), as
/// `strerror` gives it.
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// A reply from the kernel that does not have the shape ip_vs.h promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than a header or field needs.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A length field that does not fit the bytes around it.
    #[error("bad length {len} of {what}")]
    BadLength {
        /// What the length belongs to.
        what: &'static str,
        /// The length found.
        len: usize,
    },
    /// A mandatory attribute is absent.
    #[error("missing {0} attribute")]
    Missing(&'static str),
    /// A value outside what the field can hold.
    #[error("invalid {what}: {value}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// A name that is not UTF-8.
    #[error("{0} is not UTF-8")]
    NotUtf8(&'static str),
    /// A message of another kind than the request calls for.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}

/// Everything that can go wrong talking to the kernel's IPVS.
#[derive(Debug, thiserror::Error)]
pub enum IpvsError {
    /// The kernel has no IPVS (the generic-netlink family "IPVS" is not
    /// registered).
    #[error("IPVS is not available: load the ip_vs module")]
    NotAvailable,
    /// The kernel refused a request; displays as ipvsadm's sentence.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// Resolving the generic-netlink family failed for another reason.
    #[error("cannot resolve the IPVS generic-netlink family: {0}")]
    Resolve(String),
    /// The netlink socket failed.
    #[error("netlink socket: {0}")]
    Socket(#[from] io::Error),
    /// The kernel's reply could not be read.
    #[error("bad reply from the kernel: {0}")]
    Decode(#[from] DecodeError),
    /// The request cannot be expressed to the kernel (a name too long, an
    /// interface name with a NUL…); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A sync daemon's ID above 255, which a sync message cannot carry
    /// (see [`crate::daemon_error`]); nothing was sent.
    #[error("sync ID {0} is out of range: a sync message carries 0 to 255")]
    SyncIdOutOfRange(u32),
}

impl IpvsError {
    /// The errno the kernel answered, if this is a kernel refusal.
    pub fn errno(&self) -> Option<i32> {
        match self {
            IpvsError::Kernel(e) => Some(e.errno),
            IpvsError::Socket(e) => e.raw_os_error(),
            _ => None,
        }
    }

    /// The kernel refusal, if this is one.
    pub fn kernel(&self) -> Option<&KernelError> {
        match self {
            IpvsError::Kernel(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(operation: Operation, errno: i32) -> String {
        KernelError { operation, errno }.to_string()
    }

    #[test]
    fn per_operation_sentences_follow_ipvsadm() {
        assert_eq!(message(Operation::AddService, 17), "Service already exists");
        assert_eq!(
            message(Operation::AddService, 2),
            "Scheduler or persistence engine not found"
        );
        assert_eq!(message(Operation::EditService, 3), "No such service");
        assert_eq!(message(Operation::AddDestination, 3), "Service not defined");
        assert_eq!(
            message(Operation::AddDestination, 17),
            "Destination already exists"
        );
        assert_eq!(
            message(Operation::DeleteDestination, 2),
            "No such destination"
        );
        assert_eq!(
            message(Operation::StartDaemon, 17),
            "Daemon has already run"
        );
        assert_eq!(message(Operation::StopDaemon, 3), "No daemon is running");
    }

    #[test]
    fn the_same_errno_reads_differently_per_operation() {
        assert_ne!(
            message(Operation::EditService, 3),
            message(Operation::EditDestination, 3)
        );
        // EEXIST has no ipvsadm sentence for a delete: the C library's text.
        assert_eq!(message(Operation::DeleteService, 17), "File exists");
    }

    #[test]
    fn common_sentences_and_strerror_fallback() {
        assert_eq!(
            message(Operation::Flush, 1),
            "Permission denied (you must be root)"
        );
        assert_eq!(
            message(Operation::AddService, 22),
            "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        );
        assert_eq!(message(Operation::GetInfo, 2), "No such file or directory");
        assert_eq!(
            message(Operation::ListDaemons, 16),
            "Device or resource busy"
        );
    }

    #[test]
    fn the_errno_text_is_the_c_librarys() {
        let refusal = KernelError {
            operation: Operation::AddService,
            errno: 2,
        };
        assert_eq!(refusal.errno_text(), "No such file or directory");
        assert_eq!(
            refusal.message(),
            "Scheduler or persistence engine not found"
        );
    }

    #[test]
    fn not_available_says_what_to_do() {
        assert_eq!(
            IpvsError::NotAvailable.to_string(),
            "IPVS is not available: load the ip_vs module"
        );
        let kernel = IpvsError::from(KernelError {
            operation: Operation::AddService,
            errno: 17,
        });
        assert_eq!(kernel.errno(), Some(17));
        assert_eq!(kernel.to_string(), "Service already exists");
    }
}

//! Why a connection-sync daemon would not start or stop, in the daemon's
//! own terms.
//!
//! The kernel answers `IPVS_CMD_NEW_DAEMON` and `IPVS_CMD_DEL_DAEMON` with
//! a bare errno; [`IpvsError::daemon_refusal`] names what it means for a
//! daemon (measured on Debian's kernel, see `tests/kernel.rs`):
//!
//! | errno          | on             | meaning                                        |
//! |----------------|----------------|------------------------------------------------|
//! | `EEXIST`       | start          | a daemon in that state already runs            |
//! | `ESRCH`        | stop           | no daemon in that state runs                   |
//! | `ENODEV`       | start          | no interface of that name                      |
//! | `EINVAL`       | start          | a group that is not multicast, or real servers of mixed families in the table |
//! | `EADDRNOTAVAIL`| start (master) | no address to send from: an IPv6 group through an interface without IPv6 address |
//! | `ENETUNREACH`  | start (master) | no route to the group through the interface (an IPv6 group on `lo`) |
//! | `EAFNOSUPPORT` | start          | an IPv6 group, kernel built without IPv6 IPVS  |
//!
//! The sync ID is checked before anything is sent: the kernel keeps it as
//! an `int` and would accept 256, but a sync message carries it in one
//! byte, so such a master sends ID 0 and such a backup drops every
//! message. ipvsadm refuses it too ("illegal syncid specified").

use crate::error::{IpvsError, KernelError, Operation};

/// The largest sync ID a sync message can carry.
pub const MAX_SYNC_ID: u32 = 255;

/// What a refused daemon request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DaemonRefusal {
    /// The sync ID does not fit a sync message's byte; nothing was sent.
    SyncIdOutOfRange(u32),
    /// A daemon in that state already runs (`EEXIST` on a start).
    AlreadyRunning,
    /// No daemon in that state runs (`ESRCH` on a stop).
    NotRunning,
    /// The multicast interface does not exist (`ENODEV`).
    NoSuchInterface,
    /// The kernel found the request invalid (`EINVAL`): a group that is
    /// not multicast, or real servers of mixed families in the table.
    Invalid,
    /// The interface has no address the master can send from
    /// (`EADDRNOTAVAIL`), as an IPv6 group through an interface without
    /// an IPv6 address.
    NoInterfaceAddress,
    /// The master cannot reach the multicast group through the interface
    /// (`ENETUNREACH`), as an IPv6 group through `lo`.
    GroupUnreachable,
    /// The kernel's IPVS has no IPv6 (`EAFNOSUPPORT`).
    NoIpv6,
    /// Another errno, whose C library text [`KernelError::errno_text`] gives.
    Other(i32),
}

const ESRCH: i32 = 3;
const ENODEV: i32 = 19;
const EEXIST: i32 = 17;
const EINVAL: i32 = 22;
const EAFNOSUPPORT: i32 = 97;
const ENETUNREACH: i32 = 101;
const EADDRNOTAVAIL: i32 = 99;

impl DaemonRefusal {
    /// What a kernel refusal of a daemon request means; `None` for a
    /// refusal of anything else.
    pub fn of_kernel(refusal: &KernelError) -> Option<DaemonRefusal> {
        let start = match refusal.operation {
            Operation::StartDaemon => true,
            Operation::StopDaemon => false,
            _ => return None,
        };
        Some(match (start, refusal.errno) {
            (true, EEXIST) => DaemonRefusal::AlreadyRunning,
            (false, ESRCH) => DaemonRefusal::NotRunning,
            (true, ENODEV) => DaemonRefusal::NoSuchInterface,
            (_, EINVAL) => DaemonRefusal::Invalid,
            (true, EAFNOSUPPORT) => DaemonRefusal::NoIpv6,
            (true, ENETUNREACH) => DaemonRefusal::GroupUnreachable,
            (true, EADDRNOTAVAIL) => DaemonRefusal::NoInterfaceAddress,
            (_, errno) => DaemonRefusal::Other(errno),
        })
    }
}

impl IpvsError {
    /// What this error means for a sync daemon, if it is the refusal of a
    /// daemon start or stop (by the kernel, or before sending for an
    /// out-of-range sync ID).
    pub fn daemon_refusal(&self) -> Option<DaemonRefusal> {
        match self {
            IpvsError::Kernel(refusal) => DaemonRefusal::of_kernel(refusal),
            IpvsError::SyncIdOutOfRange(syncid) => Some(DaemonRefusal::SyncIdOutOfRange(*syncid)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(operation: Operation, errno: i32) -> Option<DaemonRefusal> {
        IpvsError::Kernel(KernelError { operation, errno }).daemon_refusal()
    }

    #[test]
    fn errnos_read_as_daemon_refusals() {
        use DaemonRefusal::*;
        assert_eq!(refusal(Operation::StartDaemon, 17), Some(AlreadyRunning));
        assert_eq!(refusal(Operation::StopDaemon, 3), Some(NotRunning));
        assert_eq!(refusal(Operation::StartDaemon, 19), Some(NoSuchInterface));
        assert_eq!(
            refusal(Operation::StartDaemon, 99),
            Some(NoInterfaceAddress)
        );
        assert_eq!(refusal(Operation::StartDaemon, 113), Some(Other(113)));
        assert_eq!(refusal(Operation::StartDaemon, 22), Some(Invalid));
        assert_eq!(refusal(Operation::StopDaemon, 22), Some(Invalid));
        assert_eq!(refusal(Operation::StartDaemon, 97), Some(NoIpv6));
        assert_eq!(refusal(Operation::StartDaemon, 101), Some(GroupUnreachable));
        // The same errno on the other request is not what it means there.
        assert_eq!(refusal(Operation::StopDaemon, 17), Some(Other(17)));
        assert_eq!(refusal(Operation::StartDaemon, 3), Some(Other(3)));
        assert_eq!(refusal(Operation::AddService, 17), None);
    }

    #[test]
    fn refusals_keep_the_kernels_errno_text() {
        let error = IpvsError::Kernel(KernelError {
            operation: Operation::StartDaemon,
            errno: 19,
        });
        assert_eq!(error.errno(), Some(19));
        assert_eq!(
            error.kernel().map(KernelError::errno_text).as_deref(),
            Some("No such device")
        );
        // ipvsadm has no sentence of its own for ENODEV: the C library's.
        assert_eq!(error.to_string(), "No such device");
    }

    #[test]
    fn an_out_of_range_sync_id_is_refused_before_sending() {
        let error = IpvsError::SyncIdOutOfRange(256);
        assert_eq!(
            error.daemon_refusal(),
            Some(DaemonRefusal::SyncIdOutOfRange(256))
        );
        assert_eq!(error.errno(), None);
        assert_eq!(
            error.to_string(),
            "sync ID 256 is out of range: a sync message carries 0 to 255"
        );
    }
}

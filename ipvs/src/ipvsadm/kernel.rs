//! What the ipvsadm command line needs from the kernel, as a trait, and
//! ipvsadm's sentences for the kernel's refusals.
//!
//! The netlink binding implements [`Kernel`]; tests implement it with a
//! table in memory. Errors carry only the errno: ipvsadm words a refusal by
//! the operation that failed and the errno (`EEXIST` on an add is "Service
//! already exists", on a daemon start "Daemon has already run"), which
//! [`KernelError::message`] reproduces.

use crate::model::{
    DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey, Info, Service,
    ServiceEntry, ServiceKey, Timeouts,
};

/// A kernel refusal: the errno it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelError {
    /// The positive errno (`libc::EEXIST`…).
    pub errno: i32,
}

/// The operations ipvsadm names its refusals by (libipvs's functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Reading the version and table size at start-up.
    Init,
    /// Adding a service.
    AddService,
    /// Editing a service.
    EditService,
    /// Deleting a service.
    DeleteService,
    /// Zeroing counters.
    Zero,
    /// Adding a real server.
    AddDest,
    /// Editing a real server.
    EditDest,
    /// Deleting a real server.
    DeleteDest,
    /// Setting timeouts.
    SetTimeout,
    /// Starting a sync daemon.
    StartDaemon,
    /// Stopping a sync daemon.
    StopDaemon,
    /// Listing services.
    GetServices,
    /// Listing one service's real servers.
    GetDests,
    /// Reading one service.
    GetService,
    /// Reading timeouts.
    GetTimeout,
    /// Reading sync daemons.
    GetDaemon,
    /// Flushing the table (libipvs names no operation for it).
    Flush,
}

impl KernelError {
    /// ipvsadm's sentence for this errno after `op` (libipvs's
    /// `ipvs_strerror`), or the C library's text for other errnos.
    pub fn message(&self, op: Operation) -> String {
        use Operation as O;
        let specific = match (op, self.errno) {
            (O::AddService, libc::EEXIST) => Some("Service already exists"),
            (O::AddService | O::EditService, libc::ENOENT) => {
                Some("Scheduler or persistence engine not found")
            }
            (
                O::EditService
                | O::DeleteService
                | O::Zero
                | O::GetServices
                | O::GetDests
                | O::GetService,
                libc::ESRCH,
            ) => Some("No such service"),
            (O::AddDest | O::EditDest | O::DeleteDest, libc::ESRCH) => Some("Service not defined"),
            (O::AddDest, libc::EEXIST) => Some("Destination already exists"),
            (O::EditDest | O::DeleteDest, libc::ENOENT) => Some("No such destination"),
            (O::StartDaemon, libc::EEXIST) => Some("Daemon has already run"),
            (O::StopDaemon, libc::ESRCH) => Some("No daemon is running"),
            _ => None,
        };
        let generic = match self.errno {
            libc::EPERM => Some("Permission denied (you must be root)"),
            libc::EINVAL => {
                Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
            }
            libc::ENOPROTOOPT => Some("Protocol not available"),
            libc::ENOMEM => Some("Memory allocation problem"),
            libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
            libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
            libc::EMSGSIZE => Some("Module is wrong version"),
            _ => None,
        };
        match specific.or(generic) {
            Some(text) => text.to_string(),
            None => strerror(self.errno),
        }
    }
}

/// The C library's text for an errno (as `strerror` words it).
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    // std appends " (os error N)"; strerror does not.
    match text.rfind(" (os error ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// The kernel operations the ipvsadm command line uses.
pub trait Kernel {
    /// IPVS version and connection table size.
    fn info(&mut self) -> Result<Info, KernelError>;
    /// Every service, in the kernel's order.
    fn services(&mut self) -> Result<Vec<ServiceEntry>, KernelError>;
    /// One service.
    fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, KernelError>;
    /// A service's real servers, in the kernel's order.
    fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, KernelError>;
    /// Adds a service.
    fn add_service(&mut self, service: &Service) -> Result<(), KernelError>;
    /// Replaces a service's settings.
    fn edit_service(&mut self, service: &Service) -> Result<(), KernelError>;
    /// Deletes a service.
    fn delete_service(&mut self, key: &ServiceKey) -> Result<(), KernelError>;
    /// Deletes every service.
    fn flush(&mut self) -> Result<(), KernelError>;
    /// Zeroes the counters of one service, or of all.
    fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), KernelError>;
    /// Adds a real server.
    fn add_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<(), KernelError>;
    /// Replaces a real server's settings.
    fn edit_destination(&mut self, key: &ServiceKey, dest: &Destination)
        -> Result<(), KernelError>;
    /// Removes a real server.
    fn delete_destination(
        &mut self,
        key: &ServiceKey,
        dest: &DestinationKey,
    ) -> Result<(), KernelError>;
    /// The connection timeouts.
    fn timeouts(&mut self) -> Result<Timeouts, KernelError>;
    /// Sets the connection timeouts (0 keeps a value).
    fn set_timeouts(&mut self, timeouts: &Timeouts) -> Result<(), KernelError>;
    /// The running sync daemons, in the kernel's order.
    fn daemons(&mut self) -> Result<Vec<DaemonConfig>, KernelError>;
    /// Starts a sync daemon.
    fn start_daemon(&mut self, daemon: &DaemonConfig) -> Result<(), KernelError>;
    /// Stops a sync daemon.
    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), KernelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_depend_on_the_operation() {
        let exists = KernelError {
            errno: libc::EEXIST,
        };
        assert_eq!(
            exists.message(Operation::AddService),
            "Service already exists"
        );
        assert_eq!(
            exists.message(Operation::AddDest),
            "Destination already exists"
        );
        assert_eq!(
            exists.message(Operation::StartDaemon),
            "Daemon has already run"
        );
        assert_eq!(exists.message(Operation::Flush), "File exists");
        let srch = KernelError { errno: libc::ESRCH };
        assert_eq!(srch.message(Operation::DeleteService), "No such service");
        assert_eq!(srch.message(Operation::DeleteDest), "Service not defined");
        let nomem = KernelError {
            errno: libc::ENOMEM,
        };
        assert_eq!(
            nomem.message(Operation::AddDest),
            "Memory allocation problem"
        );
    }
}

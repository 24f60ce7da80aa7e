//! What the ipvsadm command line needs from the kernel, as a trait, and
//! the text ipvsadm prints for a failure.
//!
//! [`crate::Ipvs`] implements [`Kernel`]; tests implement it with a table in
//! memory. Kernel refusals are [`IpvsError::Kernel`] values, whose sentence
//! already depends on the operation as in ipvsadm ("Service already exists"
//! for `EEXIST` on an add, "Daemon has already run" on a daemon start).

use crate::error::IpvsError;
use crate::model::{
    DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey, Info, Service,
    ServiceEntry, ServiceKey, Timeouts,
};
use crate::Ipvs;

/// What ipvsadm prints for a failed request: its sentence for a kernel
/// refusal, the C library's text for a socket error, "Protocol not
/// available" when there is no IPVS (the errno ipvsadm ends up with).
pub fn message(error: &IpvsError) -> String {
    match error {
        IpvsError::Kernel(e) => e.message().into_owned(),
        IpvsError::NotAvailable => "Protocol not available".to_string(),
        IpvsError::Socket(e) => match e.raw_os_error() {
            Some(errno) => strerror(errno),
            None => e.to_string(),
        },
        other => other.to_string(),
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
    fn info(&mut self) -> Result<Info, IpvsError>;
    /// Every service, in the kernel's order.
    fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError>;
    /// One service.
    fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, IpvsError>;
    /// A service's real servers, in the kernel's order.
    fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, IpvsError>;
    /// Adds a service.
    fn add_service(&mut self, service: &Service) -> Result<(), IpvsError>;
    /// Replaces a service's settings.
    fn edit_service(&mut self, service: &Service) -> Result<(), IpvsError>;
    /// Deletes a service.
    fn delete_service(&mut self, key: &ServiceKey) -> Result<(), IpvsError>;
    /// Deletes every service.
    fn flush(&mut self) -> Result<(), IpvsError>;
    /// Zeroes the counters of one service, or of all.
    fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), IpvsError>;
    /// Adds a real server.
    fn add_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<(), IpvsError>;
    /// Replaces a real server's settings.
    fn edit_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<(), IpvsError>;
    /// Removes a real server.
    fn delete_destination(
        &mut self,
        key: &ServiceKey,
        dest: &DestinationKey,
    ) -> Result<(), IpvsError>;
    /// The connection timeouts.
    fn timeouts(&mut self) -> Result<Timeouts, IpvsError>;
    /// Sets the connection timeouts (0 keeps a value).
    fn set_timeouts(&mut self, timeouts: &Timeouts) -> Result<(), IpvsError>;
    /// The running sync daemons, in the kernel's order.
    fn daemons(&mut self) -> Result<Vec<DaemonConfig>, IpvsError>;
    /// Starts a sync daemon.
    fn start_daemon(&mut self, daemon: &DaemonConfig) -> Result<(), IpvsError>;
    /// Stops a sync daemon.
    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError>;
}

impl Kernel for Ipvs {
    fn info(&mut self) -> Result<Info, IpvsError> {
        Ipvs::info(self)
    }
    fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError> {
        Ipvs::services(self)
    }
    fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, IpvsError> {
        Ipvs::service(self, key)
    }
    fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, IpvsError> {
        Ipvs::destinations(self, key)
    }
    fn add_service(&mut self, service: &Service) -> Result<(), IpvsError> {
        Ipvs::add_service(self, service)
    }
    fn edit_service(&mut self, service: &Service) -> Result<(), IpvsError> {
        Ipvs::edit_service(self, service)
    }
    fn delete_service(&mut self, key: &ServiceKey) -> Result<(), IpvsError> {
        Ipvs::delete_service(self, key)
    }
    fn flush(&mut self) -> Result<(), IpvsError> {
        Ipvs::flush(self)
    }
    fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), IpvsError> {
        Ipvs::zero(self, key)
    }
    fn add_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<(), IpvsError> {
        Ipvs::add_destination(self, key, dest)
    }
    fn edit_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<(), IpvsError> {
        Ipvs::edit_destination(self, key, dest)
    }
    fn delete_destination(
        &mut self,
        key: &ServiceKey,
        dest: &DestinationKey,
    ) -> Result<(), IpvsError> {
        Ipvs::delete_destination(self, key, dest)
    }
    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        Ipvs::timeouts(self)
    }
    fn set_timeouts(&mut self, timeouts: &Timeouts) -> Result<(), IpvsError> {
        Ipvs::set_timeouts(self, timeouts)
    }
    fn daemons(&mut self) -> Result<Vec<DaemonConfig>, IpvsError> {
        Ipvs::daemons(self)
    }
    fn start_daemon(&mut self, daemon: &DaemonConfig) -> Result<(), IpvsError> {
        Ipvs::start_daemon(self, daemon)
    }
    fn stop_daemon(&mut self, state: DaemonState) -> Result<(), IpvsError> {
        Ipvs::stop_daemon(self, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{KernelError, Operation};

    #[test]
    fn messages_of_failures() {
        let refusal = IpvsError::Kernel(KernelError {
            operation: Operation::AddService,
            errno: libc::EEXIST,
        });
        assert_eq!(message(&refusal), "Service already exists");
        assert_eq!(message(&IpvsError::NotAvailable), "Protocol not available");
        let socket = IpvsError::Socket(std::io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(message(&socket), "Permission denied");
    }
}

//! A model of the kernel's IPVS table: virtual services and their real
//! servers as plain data, built from what the kernel lists, and changed by
//! [`Change`]s the way the kernel changes it (refusing what the kernel
//! refuses). The reconciler compares tables; tests apply plans to them.

use std::collections::BTreeMap;

use ha_ipvs::{
    Change, Destination, DestinationEntry, DestinationKey, Forwarding, Ipvs, IpvsError, Service,
    ServiceEntry, ServiceKey,
};

use super::names::{RealName, ServiceName};

/// A change the kernel would refuse, as the model refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// Adding a service that exists (the kernel's EEXIST).
    #[error("virtual service {} already exists", ServiceName(.0))]
    ServiceExists(ServiceKey),
    /// Editing, deleting or adding to a missing service (ESRCH).
    #[error("no such virtual service {}", ServiceName(.0))]
    NoSuchService(ServiceKey),
    /// Adding a real server that exists (EEXIST).
    #[error("real server {} already exists in {}", RealName(.real), ServiceName(.service))]
    DestinationExists {
        /// The virtual service.
        service: ServiceKey,
        /// The real server.
        real: DestinationKey,
    },
    /// Editing or deleting a missing real server (ENOENT).
    #[error("no real server {} in {}", RealName(.real), ServiceName(.service))]
    NoSuchDestination {
        /// The virtual service.
        service: ServiceKey,
        /// The real server.
        real: DestinationKey,
    },
}

/// One virtual service of a [`Table`] with its real servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableService {
    /// The service's configuration.
    pub service: Service,
    /// Its real servers by address and port.
    pub destinations: BTreeMap<DestinationKey, Destination>,
}

impl TableService {
    /// A service without real servers.
    pub fn new(service: Service) -> Self {
        TableService {
            service,
            destinations: BTreeMap::new(),
        }
    }
}

/// Virtual services by key, each with its real servers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    services: BTreeMap<ServiceKey, TableService>,
}

/// Whether the kernel's `actual` entry is what `wanted` asks for. The
/// kernel may report "Local" forwarding for a real server whose address is
/// its own, whatever was asked (no ipvsadm option asks for it), so Local
/// satisfies any forwarding.
pub fn destination_satisfies(actual: &Destination, wanted: &Destination) -> bool {
    actual.key() == wanted.key()
        && actual.weight == wanted.weight
        && actual.upper_threshold == wanted.upper_threshold
        && actual.lower_threshold == wanted.lower_threshold
        && (actual.forwarding == wanted.forwarding || actual.forwarding == Forwarding::Local)
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// The table of what the kernel listed: each service with its real servers.
    pub fn from_kernel(
        entries: impl IntoIterator<Item = (ServiceEntry, Vec<DestinationEntry>)>,
    ) -> Self {
        let mut table = Table::new();
        for (entry, destinations) in entries {
            let mut service = TableService::new(entry.service);
            for d in destinations {
                service
                    .destinations
                    .insert(d.destination.key(), d.destination);
            }
            table.services.insert(service.service.key, service);
        }
        table
    }

    /// Reads the kernel's table: every service `wanted` accepts, with its
    /// real servers (services it refuses are left out, unread).
    pub fn read(ipvs: &mut Ipvs, wanted: impl Fn(&ServiceKey) -> bool) -> Result<Self, IpvsError> {
        let mut entries = Vec::new();
        for entry in ipvs.services()? {
            if !wanted(&entry.service.key) {
                continue;
            }
            let destinations = match ipvs.destinations(&entry.service.key) {
                Ok(d) => d,
                // Deleted by someone else since the listing: not there.
                Err(e) if e.errno() == Some(libc::ESRCH) => continue,
                Err(e) => return Err(e),
            };
            entries.push((entry, destinations));
        }
        Ok(Table::from_kernel(entries))
    }

    /// The service with this key.
    pub fn get(&self, key: &ServiceKey) -> Option<&TableService> {
        self.services.get(key)
    }

    /// Every service, by key.
    pub fn services(&self) -> impl Iterator<Item = &TableService> {
        self.services.values()
    }

    /// Puts a service in (replacing one with the same key).
    pub fn insert(&mut self, service: TableService) {
        self.services.insert(service.service.key, service);
    }

    /// Takes a service out.
    pub fn remove(&mut self, key: &ServiceKey) -> Option<TableService> {
        self.services.remove(key)
    }

    /// Whether the table holds no service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Applies one change as the kernel would. Changes that do not touch
    /// services (timeouts, counters, daemons) leave the table as it is.
    pub fn apply(&mut self, change: &Change) -> Result<(), TableError> {
        match change {
            Change::AddService(service) => {
                if self.services.contains_key(&service.key) {
                    return Err(TableError::ServiceExists(service.key));
                }
                self.insert(TableService::new(service.clone()));
            }
            Change::EditService(service) => {
                self.service_mut(&service.key)?.service = service.clone();
            }
            Change::DeleteService(key) => {
                self.services
                    .remove(key)
                    .ok_or(TableError::NoSuchService(*key))?;
            }
            Change::AddDestination(key, dest) => {
                let service = self.service_mut(key)?;
                if service.destinations.contains_key(&dest.key()) {
                    return Err(TableError::DestinationExists {
                        service: *key,
                        real: dest.key(),
                    });
                }
                service.destinations.insert(dest.key(), dest.clone());
            }
            Change::EditDestination(key, dest) => {
                let slot = self
                    .service_mut(key)?
                    .destinations
                    .get_mut(&dest.key())
                    .ok_or(TableError::NoSuchDestination {
                        service: *key,
                        real: dest.key(),
                    })?;
                *slot = dest.clone();
            }
            Change::DeleteDestination(key, real) => {
                self.service_mut(key)?.destinations.remove(real).ok_or(
                    TableError::NoSuchDestination {
                        service: *key,
                        real: *real,
                    },
                )?;
            }
            Change::Flush => self.services.clear(),
            Change::SetTimeouts(_)
            | Change::Zero(_)
            | Change::StartDaemon(_)
            | Change::StopDaemon(_) => {}
        }
        Ok(())
    }

    fn service_mut(&mut self, key: &ServiceKey) -> Result<&mut TableService, TableError> {
        self.services
            .get_mut(key)
            .ok_or(TableError::NoSuchService(*key))
    }
}

//! The health of each real server as the reconciler sees it: up, down, or
//! not known yet (no check has decided since the director started or since
//! the real server entered the configuration).
//!
//! A real server not known yet is judged by the kernel's table, as
//! ldirectord does when it starts or reloads: one the kernel holds with a
//! weight is taken as up, any other as down (see [`super::desired`]).
//!
//! [`Health`] is the scheduler's own type, re-exported: what the checks
//! report is what the reconciler reads.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use ha_ipvs::{DestinationKey, ServiceKey};

pub use crate::scheduler::Health;

/// One real server of one virtual service, as the kernel holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RealKey {
    /// The virtual service.
    pub service: ServiceKey,
    /// The real server (address, and port as the kernel holds it).
    pub real: DestinationKey,
}

/// Where the reconciler reads the health of real servers from; a real
/// server it does not know is [`Health::Unknown`].
pub trait HealthView {
    /// The health of one real server.
    fn health(&self, key: &RealKey) -> Health;
}

impl<S: BuildHasher> HealthView for HashMap<RealKey, Health, S> {
    fn health(&self, key: &RealKey) -> Health {
        self.get(key).copied().unwrap_or_default()
    }
}

impl HealthView for BTreeMap<RealKey, Health> {
    fn health(&self, key: &RealKey) -> Health {
        self.get(key).copied().unwrap_or_default()
    }
}

/// Every real server unknown, as at start-up before any check.
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingKnown;

impl HealthView for NothingKnown {
    fn health(&self, _key: &RealKey) -> Health {
        Health::Unknown
    }
}

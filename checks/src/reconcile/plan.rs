//! The reconciler proper: from the configuration, the health of every real
//! server and the kernel's current table, the list of [`Change`]s that
//! makes the kernel hold what the director wants — and nothing else.
//!
//! Only services the director owns are touched: those of the configuration
//! in force, and the `retired` ones (in the previous configuration but not
//! this one, which are deleted). Any other service in the kernel is left as
//! it is. Within an owned service, what already matches is not written, so
//! adopting an existing table at start-up and applying a reload write only
//! the differences, and a second pass over the result changes nothing.

use std::collections::BTreeSet;

use ha_ipvs::{Change, ServiceKey};

use super::desired::desired_virtual;
use super::health::HealthView;
use super::spec::DirectorSpec;
use super::table::{destination_satisfies, Table, TableService};

/// The state of one virtual service after a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualOutcome {
    /// The service.
    pub key: ServiceKey,
    /// How many of its real servers count as up.
    pub reals_up: usize,
    /// Whether none is up (the fallback server, if any, is in).
    pub fallback_active: bool,
}

/// What one pass decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes to apply, in order.
    pub changes: Vec<Change>,
    /// Every configured virtual service, in configuration order.
    pub virtuals: Vec<VirtualOutcome>,
}

/// The table the kernel should hold: `current`, with every configured
/// service replaced by what it should be and every retired one removed.
pub fn desired_table(
    spec: &DirectorSpec,
    health: &impl HealthView,
    current: &Table,
    retired: &[ServiceKey],
) -> Table {
    let mut table = current.clone();
    for key in retired {
        if !spec.contains(key) {
            table.remove(key);
        }
    }
    for v in spec.virtuals() {
        let desired = desired_virtual(v, spec.readd_quiescent, health, current.get(&v.key()));
        table.insert(desired.table);
    }
    table
}

/// One reconciliation pass: the changes that turn `current` into the
/// desired table (see [`desired_table`]), with each virtual's outcome.
///
/// Order: retired services are deleted first; then each configured service
/// in configuration order is added or edited, its changed real servers
/// edited and missing ones added, and only then its stray ones deleted (a
/// real server coming back is in before the fallback server leaves).
pub fn reconcile(
    spec: &DirectorSpec,
    health: &impl HealthView,
    current: &Table,
    retired: &[ServiceKey],
) -> Plan {
    let mut plan = Plan::default();
    let mut deleted = BTreeSet::new();
    for key in retired {
        if !spec.contains(key) && current.get(key).is_some() && deleted.insert(*key) {
            plan.changes.push(Change::DeleteService(*key));
        }
    }
    for v in spec.virtuals() {
        let now = current.get(&v.key());
        let desired = desired_virtual(v, spec.readd_quiescent, health, now);
        diff_service(now, &desired.table, &mut plan.changes);
        plan.virtuals.push(VirtualOutcome {
            key: v.key(),
            reals_up: desired.reals_up,
            fallback_active: desired.fallback_active,
        });
    }
    plan
}

/// The changes that turn `now` (absent: not in the kernel) into `wanted`.
fn diff_service(now: Option<&TableService>, wanted: &TableService, changes: &mut Vec<Change>) {
    let key = wanted.service.key;
    let Some(now) = now else {
        changes.push(Change::AddService(wanted.service.clone()));
        for dest in wanted.destinations.values() {
            changes.push(Change::AddDestination(key, dest.clone()));
        }
        return;
    };
    if now.service != wanted.service {
        changes.push(Change::EditService(wanted.service.clone()));
    }
    for (real, dest) in &wanted.destinations {
        match now.destinations.get(real) {
            Some(held) if destination_satisfies(held, dest) => {}
            Some(_) => changes.push(Change::EditDestination(key, dest.clone())),
            None => changes.push(Change::AddDestination(key, dest.clone())),
        }
    }
    // Removals last, so that a service never passes through having no
    // real server between a fallback leaving and a real server coming.
    for real in now.destinations.keys() {
        if !wanted.destinations.contains_key(real) {
            changes.push(Change::DeleteDestination(key, *real));
        }
    }
}

/// What stopping the director does: every configured service with
/// `cleanstop` that the kernel holds is deleted (with its real servers);
/// the others are left as they are.
pub fn stop_changes(spec: &DirectorSpec, current: &Table) -> Vec<Change> {
    spec.virtuals()
        .iter()
        .filter(|v| v.cleanstop && current.get(&v.key()).is_some())
        .map(|v| Change::DeleteService(v.key()))
        .collect()
}

//! What changed between two configurations, for a reload that touches only
//! the differences.
//!
//! Virtual services are matched by their [`ServiceKey`], real servers by
//! their IPVS [`DestinationKey`] (the port IPVS uses, see
//! [`VirtualService::destination_key`]). Where things were written in the
//! file does not count.

use super::model::{DirectorConfig, RealServer, ServiceKey, VirtualService};
use ha_ipvs::DestinationKey;
use std::collections::HashMap;

/// The differences between an old and a new configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigDiff {
    /// Settings that only exist globally changed (autoreload, callback,
    /// logfile, maintenancedir, readdquiescent). Inherited settings that
    /// changed show in the virtual services they affect instead.
    pub globals_changed: bool,
    /// Virtual services only in the new configuration, in its order.
    pub added: Vec<ServiceKey>,
    /// Virtual services only in the old configuration, in its order.
    pub removed: Vec<ServiceKey>,
    /// Virtual services in both that differ, in the new order.
    pub changed: Vec<VirtualServiceChange>,
}

impl ConfigDiff {
    /// Whether the configurations are the same.
    pub fn is_empty(&self) -> bool {
        !self.globals_changed
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

/// How one virtual service present in both configurations changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServiceChange {
    /// The service.
    pub key: ServiceKey,
    /// The IPVS service differs (scheduler, flags, persistence, one-packet).
    pub service: bool,
    /// How its real servers are checked differs (the check itself, or its
    /// timeouts, interval and counts after inheritance).
    pub check: bool,
    /// Its other effective settings differ (quiescent, cleanstop, fallback
    /// server or command), or its name or comment.
    pub settings: bool,
    /// Real servers only in the new configuration, in its order.
    pub reals_added: Vec<DestinationKey>,
    /// Real servers only in the old configuration, in its order.
    pub reals_removed: Vec<DestinationKey>,
    /// Real servers in both whose forwarding, weight, own request and
    /// receive, or thresholds differ.
    pub reals_changed: Vec<DestinationKey>,
}

/// The real servers of a service by IPVS key, in order.
fn reals(service: &VirtualService) -> Vec<(DestinationKey, &RealServer)> {
    service
        .reals
        .iter()
        .map(|real| (service.destination_key(real), real))
        .collect()
}

fn index<'a>(list: &[(DestinationKey, &'a RealServer)]) -> HashMap<DestinationKey, &'a RealServer> {
    list.iter().copied().collect()
}

/// The differences between `old` and `new`.
pub fn diff(old: &DirectorConfig, new: &DirectorConfig) -> ConfigDiff {
    let (og, ng) = (&old.global, &new.global);
    let mut result = ConfigDiff {
        globals_changed: og.autoreload != ng.autoreload
            || og.callback != ng.callback
            || og.logfile != ng.logfile
            || og.maintenance_dir != ng.maintenance_dir
            || og.readd_quiescent != ng.readd_quiescent,
        ..ConfigDiff::default()
    };
    result.removed = old
        .virtual_services
        .iter()
        .filter(|v| new.virtual_service(&v.key).is_none())
        .map(|v| v.key)
        .collect();
    for after in &new.virtual_services {
        let Some(before) = old.virtual_service(&after.key) else {
            result.added.push(after.key);
            continue;
        };
        let (old_settings, new_settings) = (old.settings(before), new.settings(after));
        let check = before.check != after.check
            || old_settings.check_timeout != new_settings.check_timeout
            || old_settings.negotiate_timeout != new_settings.negotiate_timeout
            || old_settings.connect_timeout != new_settings.connect_timeout
            || old_settings.check_interval != new_settings.check_interval
            || old_settings.check_count != new_settings.check_count
            || old_settings.failure_count != new_settings.failure_count;
        let settings = old_settings.quiescent != new_settings.quiescent
            || old_settings.cleanstop != new_settings.cleanstop
            || old_settings.fallback != new_settings.fallback
            || old_settings.fallback_command != new_settings.fallback_command
            || before.service_name != after.service_name
            || before.comment != after.comment;
        let (old_reals, new_reals) = (reals(before), reals(after));
        let (old_index, new_index) = (index(&old_reals), index(&new_reals));
        let change = VirtualServiceChange {
            key: after.key,
            service: before.ipvs_service() != after.ipvs_service(),
            check,
            settings,
            reals_added: new_reals
                .iter()
                .filter(|(k, _)| !old_index.contains_key(k))
                .map(|(k, _)| *k)
                .collect(),
            reals_removed: old_reals
                .iter()
                .filter(|(k, _)| !new_index.contains_key(k))
                .map(|(k, _)| *k)
                .collect(),
            reals_changed: new_reals
                .iter()
                .filter(|(k, real)| old_index.get(k).is_some_and(|old| old != real))
                .map(|(k, _)| *k)
                .collect(),
        };
        let changed = change.service
            || change.check
            || change.settings
            || !change.reals_added.is_empty()
            || !change.reals_removed.is_empty()
            || !change.reals_changed.is_empty();
        if changed {
            result.changed.push(change);
        }
    }
    result
}

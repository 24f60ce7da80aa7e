//! The table the director wants for one virtual service, from its
//! configuration, the health of its real servers and what the kernel holds
//! now. These are ldirectord's rules:
//!
//! - a real server that is up gets its configured weight, forwarding and
//!   thresholds;
//! - one that is down is removed, or with `quiescent` kept with weight 0;
//!   a quiescent one missing from the kernel is added back with weight 0
//!   only with `readdquiescent` (so an operator can remove it by hand) —
//!   except while its health is unknown, when it is added with weight 0
//!   whatever `readdquiescent` says, as ldirectord does at start-up;
//! - one whose health is unknown counts as up if the kernel holds it with a
//!   weight, else as down (as ldirectord judges them at start-up); one
//!   configured with weight 0, or at the fallback's address (the entry
//!   there may be the fallback's own), counts as down until a check says
//!   otherwise, so that a pass never undoes the previous one;
//! - when no real server is up the fallback server is added (weight 1),
//!   and it is removed as soon as one is up; quiescence never applies to it;
//! - real servers the kernel holds that are in neither the configuration
//!   nor the fallback are removed.

use std::collections::BTreeMap;

use ha_ipvs::{Destination, DestinationKey};

use super::health::{Health, HealthView, RealKey};
use super::spec::VirtualSpec;
use super::table::TableService;

/// What one real server comes to once its health is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Counts as up.
    Up,
    /// Counts as down; `initial` when only because it is not known yet.
    Down {
        /// Added back with weight 0 when quiescent, whatever readdquiescent says.
        initial: bool,
    },
}

/// The outcome for one virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredVirtual {
    /// The service with the real servers it should have.
    pub table: TableService,
    /// How many real servers count as up.
    pub reals_up: usize,
    /// Whether the fallback situation holds: no real server is up (whether
    /// or not a fallback server is configured; `fallbackcommand` runs on it).
    pub fallback_active: bool,
}

fn verdict(
    spec: &VirtualSpec,
    real: &Destination,
    health: Health,
    current: Option<&TableService>,
) -> Verdict {
    match health {
        Health::Up => Verdict::Up,
        Health::Down => Verdict::Down { initial: false },
        Health::Unknown => {
            let at_fallback = spec.fallback().is_some_and(|f| f.key() == real.key());
            let held = current.and_then(|c| c.destinations.get(&real.key()));
            match held {
                Some(held) if !at_fallback && held.weight > 0 && real.weight > 0 => Verdict::Up,
                _ => Verdict::Down { initial: true },
            }
        }
    }
}

/// The service `spec` should be in the kernel, given the health of its
/// real servers, `readd_quiescent`, and `current` (what the kernel holds
/// for it now, if anything).
pub fn desired_virtual(
    spec: &VirtualSpec,
    readd_quiescent: bool,
    health: &impl HealthView,
    current: Option<&TableService>,
) -> DesiredVirtual {
    let mut destinations: BTreeMap<DestinationKey, Destination> = BTreeMap::new();
    let mut reals_up = 0;
    for real in spec.reals() {
        let key = RealKey {
            service: spec.key(),
            real: real.key(),
        };
        let wanted = match verdict(spec, real, health.health(&key), current) {
            Verdict::Up => {
                reals_up += 1;
                Some(real.clone())
            }
            Verdict::Down { initial } if spec.quiescent => {
                let held = current.is_some_and(|c| c.destinations.contains_key(&real.key()));
                (held || readd_quiescent || initial).then(|| Destination {
                    weight: 0,
                    ..real.clone()
                })
            }
            Verdict::Down { .. } => None,
        };
        if let Some(dest) = wanted {
            destinations.insert(dest.key(), dest);
        }
    }
    let fallback_active = reals_up == 0;
    if fallback_active {
        if let Some(fallback) = spec.fallback() {
            destinations.insert(fallback.key(), fallback.clone());
        }
    }
    DesiredVirtual {
        table: TableService {
            service: spec.service.clone(),
            destinations,
        },
        reals_up,
        fallback_active,
    }
}

//! From the ldirectord.cf model to the reconciler's [`DirectorSpec`]: each
//! virtual service's IPVS service, its real servers at their configured
//! weights (ports as IPVS holds them), its fallback server (its own, else
//! the global one of its family), and the `quiescent`, `cleanstop` and
//! `readdquiescent` settings it runs with.
//!
//! A virtual service with `checktype = off` gets no fallback server: off
//! means that no real or fallback server is ever activated.

use ha_conf::{ConfigError, ConfigErrors};

use crate::config::{CheckType, DirectorConfig, Origin};

use super::spec::{DirectorSpec, VirtualSpec};

/// A complaint about what `origin` names (the whole configuration when it
/// was not read from a file).
fn located(origin: &Origin, message: String) -> ConfigError {
    match origin.location() {
        Some(location) => ConfigError {
            location: location.clone(),
            message,
        },
        None => ConfigError::file("ldirectord.cf", message),
    }
}

/// The reconciler's view of `config`; refuses real servers that IPVS
/// would hold as one (for example two direct-routed servers on one address
/// with different ports), each with its `FILE:LINE`.
pub fn director_spec(config: &DirectorConfig) -> Result<DirectorSpec, ConfigErrors> {
    let mut spec = DirectorSpec::new(config.global.readd_quiescent);
    let mut errors = Vec::new();
    for virtual_service in &config.virtual_services {
        let settings = config.settings(virtual_service);
        let mut v = VirtualSpec::new(virtual_service.ipvs_service());
        v.quiescent = settings.quiescent;
        v.cleanstop = settings.cleanstop;
        for real in &virtual_service.reals {
            let destination = virtual_service.destination(real, real.weight);
            if let Err(e) = v.add_real(destination) {
                errors.push(located(&real.origin, e.to_string()));
            }
        }
        if virtual_service.check.check_type != CheckType::Off {
            if let Some(fallback) = &settings.fallback {
                v.set_fallback(virtual_service.fallback_destination(fallback));
            }
        }
        if let Err(e) = spec.push(v) {
            errors.push(located(&virtual_service.origin, e.to_string()));
        }
    }
    match ConfigErrors::from_vec(errors) {
        Some(errors) => Err(errors),
        None => Ok(spec),
    }
}

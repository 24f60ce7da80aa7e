//! check-config's word from the agents themselves: each OCF resource's
//! agent is asked for its meta-data and to validate the resource's
//! parameters ([`ha_resources::class::ocf_check`]); what it says is an
//! error or a warning at the resource's FILE:LINE.

use ha_conf::{ConfigError, ConfigWarning};
use ha_resources::class::ocf_check::{self, Finding};
use ha_resources::{Resolved, ResolvedGroup};

/// The errors and warnings of every OCF resource of `groups`, in file order.
pub fn check(groups: &[ResolvedGroup]) -> (Vec<ConfigError>, Vec<ConfigWarning>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for group in groups {
        for (resource, how) in group.resources() {
            let Resolved::Ocf(spec) = how else {
                continue;
            };
            let (findings, _) = ocf_check::check(&resource.text, spec);
            for finding in findings {
                let location = resource.location.clone();
                match finding {
                    Finding::Error(message) => errors.push(ConfigError { location, message }),
                    Finding::Warning(message) => warnings.push(ConfigWarning { location, message }),
                }
            }
        }
    }
    (errors, warnings)
}

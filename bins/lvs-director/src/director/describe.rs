//! Log sentences for what the director does to the kernel, in ldirectord's
//! words: "Added real server", "Quiescent real server … (Weight set to 0)",
//! "Deleted fallback server", "Purged real server"…

use ha_checks::reconcile::{DirectorSpec, RealName, ServiceName};
use ha_ipvs::{Change, DestinationKey, ServiceKey};

fn is_real(spec: &DirectorSpec, key: &ServiceKey, real: DestinationKey) -> bool {
    spec.get(key)
        .is_some_and(|v| v.reals().iter().any(|r| r.key() == real))
}

/// "fallback" for the fallback server's entry (unless a real server has
/// the same address and port), else "real".
fn kind(spec: &DirectorSpec, key: &ServiceKey, real: DestinationKey) -> &'static str {
    let fallback = spec
        .get(key)
        .and_then(|v| v.fallback())
        .is_some_and(|f| f.key() == real);
    if fallback && !is_real(spec, key, real) {
        "fallback"
    } else {
        "real"
    }
}

/// The sentence for `change`, knowing the configuration in force.
pub fn describe(change: &Change, spec: &DirectorSpec) -> String {
    match change {
        Change::AddService(s) => format!(
            "Added virtual server: {} (scheduler {})",
            ServiceName(&s.key),
            s.scheduler
        ),
        Change::EditService(s) => format!(
            "Changed virtual server: {} (scheduler {})",
            ServiceName(&s.key),
            s.scheduler
        ),
        Change::DeleteService(key) => format!("Removed virtual server: {}", ServiceName(key)),
        Change::AddDestination(key, d) => {
            let verb = if d.weight == 0 {
                "Readd quiescent"
            } else {
                "Added"
            };
            format!(
                "{verb} {} server: {} ({}) (Weight set to {})",
                kind(spec, key, d.key()),
                RealName(&d.key()),
                ServiceName(key),
                d.weight
            )
        }
        Change::EditDestination(key, d) => {
            let verb = if d.weight == 0 {
                "Quiescent"
            } else {
                "Restored"
            };
            format!(
                "{verb} {} server: {} ({}) (Weight set to {})",
                kind(spec, key, d.key()),
                RealName(&d.key()),
                ServiceName(key),
                d.weight
            )
        }
        Change::DeleteDestination(key, real) => {
            let verb = match kind(spec, key, *real) {
                "fallback" => "Deleted fallback",
                _ if is_real(spec, key, *real) => "Deleted real",
                _ => "Purged real",
            };
            format!("{verb} server: {} ({})", RealName(real), ServiceName(key))
        }
        other => format!("{other:?}"),
    }
}

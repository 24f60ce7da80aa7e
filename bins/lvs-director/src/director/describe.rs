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
        Change::AddService(s) | Change::EditService(s) => {
            let verb = match change {
                Change::AddService(_) => "Added",
                _ => "Changed",
            };
            format!(
                "{verb} virtual server: {} (scheduler {})",
                ServiceName(&s.key),
                s.scheduler
            )
        }
        Change::DeleteService(key) => format!("Removed virtual server: {}", ServiceName(key)),
        Change::AddDestination(key, d) | Change::EditDestination(key, d) => {
            let verb = match (change, d.weight) {
                (Change::AddDestination(..), 0) => "Readd quiescent",
                (Change::AddDestination(..), _) => "Added",
                (_, 0) => "Quiescent",
                _ => "Restored",
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

#[cfg(test)]
mod tests {
    use super::*;
    use ha_checks::reconcile::VirtualSpec;
    use ha_ipvs::{Destination, Protocol, Service};

    fn key() -> ServiceKey {
        ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: [192, 0, 2, 10].into(),
            port: 80,
        }
    }

    fn dest(last: u8, weight: u32) -> Destination {
        Destination {
            weight,
            ..Destination::new([10, 0, 0, last].into(), 80)
        }
    }

    /// A service with real server 10.0.0.1 and fallback 10.0.0.9.
    fn spec() -> DirectorSpec {
        let mut virtual_spec = VirtualSpec::new(Service::new(key(), "wlc"));
        virtual_spec.add_real(dest(1, 2)).unwrap();
        virtual_spec.set_fallback(dest(9, 1));
        let mut spec = DirectorSpec::new(false);
        spec.push(virtual_spec).unwrap();
        spec
    }

    #[test]
    fn sentences_in_ldirectords_words() {
        let spec = spec();
        let service = Service::new(key(), "wlc");
        let vs = "TCP 192.0.2.10:80";
        let cases = [
            (
                Change::AddService(service.clone()),
                format!("Added virtual server: {vs} (scheduler wlc)"),
            ),
            (
                Change::EditService(service),
                format!("Changed virtual server: {vs} (scheduler wlc)"),
            ),
            (
                Change::DeleteService(key()),
                format!("Removed virtual server: {vs}"),
            ),
            (
                Change::AddDestination(key(), dest(1, 2)),
                format!("Added real server: 10.0.0.1:80 ({vs}) (Weight set to 2)"),
            ),
            (
                Change::AddDestination(key(), dest(1, 0)),
                format!("Readd quiescent real server: 10.0.0.1:80 ({vs}) (Weight set to 0)"),
            ),
            (
                Change::AddDestination(key(), dest(9, 1)),
                format!("Added fallback server: 10.0.0.9:80 ({vs}) (Weight set to 1)"),
            ),
            (
                Change::EditDestination(key(), dest(1, 0)),
                format!("Quiescent real server: 10.0.0.1:80 ({vs}) (Weight set to 0)"),
            ),
            (
                Change::EditDestination(key(), dest(1, 2)),
                format!("Restored real server: 10.0.0.1:80 ({vs}) (Weight set to 2)"),
            ),
            (
                Change::DeleteDestination(key(), dest(1, 2).key()),
                format!("Deleted real server: 10.0.0.1:80 ({vs})"),
            ),
            (
                Change::DeleteDestination(key(), dest(9, 1).key()),
                format!("Deleted fallback server: 10.0.0.9:80 ({vs})"),
            ),
            (
                Change::DeleteDestination(key(), dest(5, 1).key()),
                format!("Purged real server: 10.0.0.5:80 ({vs})"),
            ),
        ];
        for (change, sentence) in cases {
            assert_eq!(describe(&change, &spec), sentence, "{change:?}");
        }
    }
}

//! Log sentences for what the director does to the kernel, in ldirectord's
//! words: "Added real server", "Quiescent real server … (Weight set to 0)",
//! "Deleted fallback server", "Purged real server"… A change the kernel
//! refuses is logged with the ldirectord.cf line it came from and the
//! kernel's errno ([`failure`]):
//!
//! ```text
//! /etc/ha.d/ldirectord.cf:4: Added virtual server: TCP 192.0.2.10:80 (scheduler twos):
//! failed: Scheduler or persistence engine not found (errno 2: No such file or directory)
//! ```

use ha_checks::config::DirectorConfig;
use ha_checks::reconcile::{DirectorSpec, RealName, ServiceName};
use ha_conf::Location;
use ha_ipvs::{Change, DestinationKey, IpvsError, ServiceKey};

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

/// The ldirectord.cf line a change comes from: the `real=` line of a real
/// server, the `fallback=` line of a fallback server, else the `virtual=`
/// line of its service; `None` for a service the file no longer holds.
pub fn origin(change: &Change, config: &DirectorConfig) -> Option<Location> {
    let (key, destination) = match change {
        Change::AddService(s) | Change::EditService(s) => (s.key, None),
        Change::DeleteService(key) => (*key, None),
        Change::AddDestination(key, d) | Change::EditDestination(key, d) => (*key, Some(d.key())),
        Change::DeleteDestination(key, real) => (*key, Some(*real)),
        _ => return None,
    };
    let service = config.virtual_services.iter().find(|v| v.key == key)?;
    let line = destination.and_then(|destination| {
        let real = service
            .reals
            .iter()
            .find(|r| service.destination_key(r) == destination)
            .map(|r| r.origin.clone());
        real.or_else(|| {
            config
                .settings(service)
                .fallback
                .filter(|f| service.fallback_destination(f).key() == destination)
                .map(|f| f.origin)
        })
    });
    line.unwrap_or_else(|| service.origin.clone()).0
}

/// What the kernel answered: ipvsadm's sentence for it, then the errno and
/// the C library's text for it (`Scheduler or persistence engine not found
/// (errno 2: No such file or directory)`); other errors as they display.
pub fn refusal(error: &IpvsError) -> String {
    match error.kernel() {
        Some(kernel) => format!(
            "{} (errno {}: {})",
            kernel.message(),
            kernel.errno,
            kernel.errno_text()
        ),
        None => error.to_string(),
    }
}

/// The log line of a change that failed: `FILE:LINE: ` of the line it
/// came from (when the file still holds it), the sentence, and `error`
/// (see [`refusal`]).
pub fn failure(
    change: &Change,
    spec: &DirectorSpec,
    config: &DirectorConfig,
    error: &str,
) -> String {
    let sentence = describe(change, spec);
    match origin(change, config) {
        Some(at) => format!("{at}: {sentence}: failed: {error}"),
        None => format!("{sentence}: failed: {error}"),
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

    /// A file with a service on `twos`, a real server, a fallback, and a
    /// firewall-mark service.
    const FILE: &str = "virtual=192.0.2.10:80\n\
                        \treal=10.0.0.1:80 gate 2\n\
                        \tfallback=10.0.0.9:80 gate\n\
                        \tscheduler=twos\n\
                        \tchecktype=connect\n";

    fn loaded() -> (DirectorConfig, DirectorSpec) {
        let source = ha_conf::Source::new("/etc/ha.d/ldirectord.cf", FILE);
        let config = ha_checks::config::parse(&source).expect("a valid file");
        let spec = ha_checks::reconcile::director_spec(&config).expect("a spec");
        (config, spec)
    }

    fn refused(operation: ha_ipvs::Operation, errno: i32) -> String {
        refusal(&IpvsError::from(ha_ipvs::KernelError { operation, errno }))
    }

    #[test]
    fn a_refused_change_names_its_line_and_the_kernels_errno() {
        let (config, spec) = loaded();
        let service = spec.virtuals()[0].service.clone();
        let error = refused(ha_ipvs::Operation::AddService, 2);
        assert_eq!(
            error,
            "Scheduler or persistence engine not found (errno 2: No such file or directory)"
        );
        assert_eq!(
            failure(&Change::AddService(service), &spec, &config, &error),
            "/etc/ha.d/ldirectord.cf:1: Added virtual server: TCP 192.0.2.10:80 \
             (scheduler twos): failed: Scheduler or persistence engine not found \
             (errno 2: No such file or directory)"
        );
        let error = refused(ha_ipvs::Operation::AddDestination, 22);
        assert_eq!(
            failure(
                &Change::AddDestination(key(), dest(1, 2)),
                &spec,
                &config,
                &error
            ),
            "/etc/ha.d/ldirectord.cf:2: Added real server: 10.0.0.1:80 (TCP 192.0.2.10:80) \
             (Weight set to 2): failed: Invalid operation.  Possibly wrong module version, \
             address not unicast, ... (errno 22: Invalid argument)"
        );
        let error = refused(ha_ipvs::Operation::DeleteDestination, 2);
        assert_eq!(
            failure(
                &Change::DeleteDestination(key(), dest(9, 1).key()),
                &spec,
                &config,
                &error
            ),
            "/etc/ha.d/ldirectord.cf:3: Deleted fallback server: 10.0.0.9:80 \
             (TCP 192.0.2.10:80): failed: No such destination \
             (errno 2: No such file or directory)"
        );
    }

    #[test]
    fn changes_the_file_does_not_hold_have_no_line() {
        let (config, spec) = loaded();
        // A real server the file does not list: the service's line.
        assert_eq!(
            origin(&Change::DeleteDestination(key(), dest(5, 1).key()), &config)
                .map(|at| at.to_string()),
            Some("/etc/ha.d/ldirectord.cf:1".to_string())
        );
        // A service no longer in the file: no line at all.
        let retired = ServiceKey::FirewallMark {
            af: ha_ipvs::AddressFamily::Inet,
            mark: 7,
        };
        assert_eq!(
            failure(
                &Change::DeleteService(retired),
                &spec,
                &config,
                "No such service"
            ),
            "Removed virtual server: FWM 7: failed: No such service"
        );
        assert_eq!(origin(&Change::Flush, &config), None);
        assert_eq!(
            refusal(&IpvsError::NotAvailable),
            "IPVS is not available: load the ip_vs module"
        );
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

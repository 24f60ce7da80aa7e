//! Health checks of real servers, one module per check family, and the
//! dispatcher that runs a [`CheckSpec`] and times it.
//!
//! Every check is bounded: negotiate checks by `negotiatetimeout` (ldap by
//! `checktimeout`, as ldirectord), connect and external checks by
//! `checktimeout`, ping by `checkcount` × `checktimeout`. A check that does
//! not finish in time is a failure, never a hang; nothing a server sends
//! can make a check panic.
//!
//! [`kind`] holds the check types, services and HTTP methods, which the
//! ldirectord.cf model uses as they are.
//!
//! [`is_supported`] is the one place that says which check types and
//! services are implemented; configuration loading calls it and refuses
//! the rest by name.

mod connect;
mod datagram;
mod dns;
mod external;
pub mod from_config;
mod ftp;
mod http;
mod imap;
mod io;
pub mod kind;
mod ldap;
mod nntp;
mod outcome;
mod ping;
mod pop;
mod receive;
mod simpletcp;
mod sip;
mod smtp;
pub mod spec;
mod tls;
mod url;

use std::future::Future;
use std::time::{Duration, Instant};

pub use kind::{CheckType, HttpMethod, Service};
pub use outcome::{CheckError, CheckOutcome};
pub use receive::{Receive, ReceiveError};
pub use spec::{check_port, resolve_timeouts, CheckSpec, ExternalArgs, Protocol};

use outcome::CheckResult;

/// Whether `check_type` with `service` is implemented; the error names what
/// is not, for the configuration loader to report with FILE:LINE.
pub fn is_supported(check_type: CheckType, service: Service) -> Result<(), String> {
    match check_type {
        CheckType::Negotiate | CheckType::Combined(_) => match service {
            Service::Mysql | Service::Pgsql | Service::Oracle => Err(format!(
                "service={} is not supported for checktype={}: ldirectord runs an SQL \
                 query through a database client library, which this director does not \
                 carry; use checktype=connect or an external check",
                service.name(),
                check_type.name()
            )),
            Service::Radius => Err(format!(
                "service=radius is not supported for checktype={}: use checktype=connect \
                 (a ping, for UDP) or an external check",
                check_type.name()
            )),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Runs `spec` as its own check type says.
pub async fn run(spec: &CheckSpec) -> CheckOutcome {
    run_as(spec, spec.check_type).await
}

/// Runs `spec` as a check of type `check_type` (the scheduler's combined
/// checks alternate connect and negotiate this way).
pub async fn run_as(spec: &CheckSpec, check_type: CheckType) -> CheckOutcome {
    let start = Instant::now();
    let result = match check_type {
        CheckType::On => Ok("checktype on".to_string()),
        CheckType::Off => Err(CheckError::Answer("checktype off".to_string())),
        CheckType::Connect => match spec.protocol {
            Protocol::Tcp => bounded(spec.check_timeout, connect::check(spec)).await,
            Protocol::Udp => bounded(ping_budget(spec), ping::check(spec)).await,
        },
        CheckType::Ping => bounded(ping_budget(spec), ping::check(spec)).await,
        // The command's own timeout kills its process group; the margin
        // only guards against a wait that never ends.
        CheckType::External | CheckType::ExternalPerl => {
            let perl = check_type == CheckType::ExternalPerl;
            bounded(
                spec.check_timeout + Duration::from_secs(1),
                external::check(spec, perl),
            )
            .await
        }
        CheckType::Negotiate | CheckType::Combined(_) => negotiate(spec).await,
    };
    match result {
        Ok(detail) => CheckOutcome::up(start.elapsed(), detail),
        Err(e) => CheckOutcome::down(start.elapsed(), e.to_string()),
    }
}

/// A guard on a ping check, whose attempts are bounded one by one:
/// `checkcount` × `checktimeout`, and a second for the sockets.
fn ping_budget(spec: &CheckSpec) -> Duration {
    spec.check_timeout.saturating_mul(spec.check_count.max(1)) + Duration::from_secs(1)
}

async fn negotiate(spec: &CheckSpec) -> CheckResult {
    is_supported(CheckType::Negotiate, spec.service).map_err(CheckError::Answer)?;
    let limit = spec.negotiate_timeout;
    match spec.service {
        Service::Http | Service::Https | Service::HttpProxy => {
            bounded(limit, http::check(spec)).await
        }
        Service::SimpleTcp => bounded(limit, simpletcp::check(spec)).await,
        Service::Dns => bounded(limit, dns::check(spec)).await,
        Service::Smtp | Service::Submission => bounded(limit, smtp::check(spec)).await,
        Service::Pop => bounded(limit, pop::check(spec, false)).await,
        Service::Pops => bounded(limit, pop::check(spec, true)).await,
        Service::Imap => bounded(limit, imap::check(spec, false)).await,
        Service::Imaps => bounded(limit, imap::check(spec, true)).await,
        Service::Ftp => bounded(limit, ftp::check(spec)).await,
        Service::Nntp => bounded(limit, nntp::check(spec)).await,
        Service::Sip => bounded(limit, sip::check(spec)).await,
        Service::Ldap | Service::Ldaps => {
            let tls = spec.service == Service::Ldaps;
            bounded(spec.check_timeout, ldap::check(spec, tls)).await
        }
        Service::None => Ok("service none".to_string()),
        Service::Mysql | Service::Pgsql | Service::Oracle | Service::Radius => Err(
            CheckError::Answer(format!("service {} is not supported", spec.service.name())),
        ),
    }
}

/// Runs `check` for at most `limit`.
async fn bounded(limit: Duration, check: impl Future<Output = CheckResult>) -> CheckResult {
    tokio::time::timeout(limit, check)
        .await
        .unwrap_or(Err(CheckError::Timeout(limit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_services_are_named_and_others_pass() {
        let err = is_supported(CheckType::Negotiate, Service::Mysql).unwrap_err();
        assert!(err.contains("service=mysql"), "{err}");
        assert!(is_supported(CheckType::Combined(3), Service::Radius).is_err());
        assert!(is_supported(CheckType::Connect, Service::Mysql).is_ok());
        for service in [
            Service::Http,
            Service::Https,
            Service::Dns,
            Service::Ldap,
            Service::None,
        ] {
            assert!(is_supported(CheckType::Negotiate, service).is_ok());
        }
    }
}

//! What one health check of one real server is: the check type, the
//! service spoken when negotiating, where to connect, what to send and
//! expect, and the timeouts — everything ldirectord resolves per real
//! server before it checks, already resolved.
//!
//! A [`CheckSpec`] stands on its own: the ldirectord.cf model builds one per
//! real server, and tests build them directly.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::kind::{CheckType, HttpMethod, Service};
use super::receive::Receive;

/// The transport a check uses: the virtual service's `protocol` (a
/// firewall-mark service is checked over TCP, as ldirectord's sockets are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// The four arguments ldirectord passes to an external check command, as
/// strings exactly as they are to appear on its command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExternalArgs {
    /// The virtual server's address, or its firewall mark.
    pub virtual_server: String,
    /// The virtual server's port (`0` for a firewall mark).
    pub virtual_port: String,
    /// The real server's address.
    pub real_server: String,
    /// The real server's port.
    pub real_port: String,
}

/// One fully resolved check of one real server.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    /// What kind of check runs.
    pub check_type: CheckType,
    /// The protocol a negotiate check speaks.
    pub service: Service,
    /// TCP or UDP (connect checks of UDP services ping; dns and sip honour it).
    pub protocol: Protocol,
    /// Where the check connects: the real server's address and the check
    /// port (see [`check_port`]).
    pub target: SocketAddr,
    /// `request`, with the leading `/` ldirectord always gives it.
    pub request: String,
    /// `receive`, compiled.
    pub receive: Receive,
    /// `virtualhost`: the Host header of HTTP checks (and their TLS server name).
    pub virtual_host: Option<String>,
    /// `httpmethod`.
    pub http_method: HttpMethod,
    /// `login` (empty: no authentication, except ftp's anonymous default
    /// which the configuration fills in).
    pub login: String,
    /// `passwd`.
    pub passwd: String,
    /// `checktimeout`: bounds connect, ping, external and ldap checks.
    pub check_timeout: Duration,
    /// `negotiatetimeout`: bounds negotiate checks.
    pub negotiate_timeout: Duration,
    /// `connecttimeout` (refused by ldirectord 4.12, accepted by older
    /// versions): bounds establishing TCP connections; `None` leaves it to
    /// the check's own timeout.
    pub connect_timeout: Option<Duration>,
    /// `checkcount`: attempts of a ping check.
    pub check_count: u32,
    /// `checkcommand` of external checks.
    pub check_command: String,
    /// The arguments of the external check command.
    pub external_args: ExternalArgs,
}

impl CheckSpec {
    /// A spec with ldirectord's defaults (negotiate; request `/`; no
    /// receive; GET; checktimeout 5 s, negotiatetimeout 30 s; checkcount 1;
    /// checkcommand `/bin/true`) for `service` on `target` over TCP.
    pub fn new(service: Service, target: SocketAddr) -> CheckSpec {
        CheckSpec {
            check_type: CheckType::Negotiate,
            service,
            protocol: Protocol::Tcp,
            target,
            request: "/".to_string(),
            receive: Receive::default(),
            virtual_host: None,
            http_method: HttpMethod::Get,
            login: String::new(),
            passwd: String::new(),
            check_timeout: Duration::from_secs(5),
            negotiate_timeout: Duration::from_secs(30),
            connect_timeout: None,
            check_count: 1,
            check_command: "/bin/true".to_string(),
            external_args: ExternalArgs {
                virtual_server: String::new(),
                virtual_port: String::new(),
                real_server: target.ip().to_string(),
                real_port: target.port().to_string(),
            },
        }
    }

    /// The real server's address.
    pub fn address(&self) -> IpAddr {
        self.target.ip()
    }

    /// `request` without its leading `/` (what dns, simpletcp, ldap and the
    /// SQL checks use).
    pub fn request_body(&self) -> &str {
        self.request.strip_prefix('/').unwrap_or(&self.request)
    }
}

/// The port ldirectord checks: `checkport` if set, else the real server's
/// port if not 0, else the service's well-known port.
pub fn check_port(checkport: Option<u16>, real_port: u16, service: Service) -> Option<u16> {
    checkport
        .or((real_port > 0).then_some(real_port))
        .or_else(|| service.default_port())
}

/// Resolves `checktimeout` and `negotiatetimeout` as ldirectord does: each
/// is the virtual's own value, else the other's virtual value, else the
/// global value, else the other's global value, else 5 s / 30 s.
/// Arguments are `(virtual checktimeout, virtual negotiatetimeout, global
/// checktimeout, global negotiatetimeout)`; returns `(check, negotiate)`.
pub fn resolve_timeouts(
    virtual_check: Option<Duration>,
    virtual_negotiate: Option<Duration>,
    global_check: Option<Duration>,
    global_negotiate: Option<Duration>,
) -> (Duration, Duration) {
    let check = virtual_check
        .or(virtual_negotiate)
        .or(global_check)
        .or(global_negotiate)
        .unwrap_or(Duration::from_secs(5));
    let negotiate = virtual_negotiate
        .or(virtual_check)
        .or(global_negotiate)
        .or(global_check)
        .unwrap_or(Duration::from_secs(30));
    (check, negotiate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_port_prefers_checkport_then_real_port_then_service() {
        assert_eq!(check_port(Some(81), 80, Service::Http), Some(81));
        assert_eq!(check_port(None, 8080, Service::Http), Some(8080));
        assert_eq!(check_port(None, 0, Service::Https), Some(443));
        assert_eq!(check_port(None, 0, Service::None), None);
    }

    #[test]
    fn timeouts_default_to_each_other_as_ldirectord() {
        let s = Duration::from_secs;
        assert_eq!(resolve_timeouts(None, None, None, None), (s(5), s(30)));
        assert_eq!(resolve_timeouts(Some(s(3)), None, None, None), (s(3), s(3)));
        assert_eq!(resolve_timeouts(None, None, None, Some(s(7))), (s(7), s(7)));
        assert_eq!(
            resolve_timeouts(None, Some(s(9)), Some(s(2)), None),
            (s(9), s(9))
        );
        assert_eq!(
            resolve_timeouts(None, None, Some(s(2)), Some(s(8))),
            (s(2), s(8))
        );
    }
}

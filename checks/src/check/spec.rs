//! What one health check of one real server is: the check type, the
//! service spoken when negotiating, where to connect, what to send and
//! expect, and the timeouts — everything ldirectord resolves per real
//! server before it checks, already resolved.
//!
//! A [`CheckSpec`] stands on its own: the ldirectord.cf model builds one per
//! real server, and tests build them directly.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::receive::Receive;

/// The check types of ldirectord's `checktype` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckType {
    /// A TCP connection is opened and closed (UDP services are pinged
    /// instead, as ldirectord does).
    Connect,
    /// The service's protocol is spoken and its answer judged.
    Negotiate,
    /// `checktype = N`: after every `N` successful connect checks one
    /// negotiate check; a failed connect check makes the next one a
    /// negotiate check. The scheduler keeps the count.
    Combined(u32),
    /// ICMP echo, `checkcount` attempts of `checktimeout` each.
    Ping,
    /// `checkcommand` is run with the virtual and real addresses; exit 0 is up.
    External,
    /// `checkcommand` is a Perl script, run here by `perl` with the
    /// arguments and exit convention of `External`.
    ExternalPerl,
    /// No check: the real server is always up.
    On,
    /// No check: the real server is never activated.
    Off,
}

impl CheckType {
    /// The keyword as ldirectord.cf spells it (`checktype = N` for combined).
    pub fn name(self) -> String {
        match self {
            CheckType::Connect => "connect".into(),
            CheckType::Negotiate => "negotiate".into(),
            CheckType::Combined(n) => n.to_string(),
            CheckType::Ping => "ping".into(),
            CheckType::External => "external".into(),
            CheckType::ExternalPerl => "external-perl".into(),
            CheckType::On => "on".into(),
            CheckType::Off => "off".into(),
        }
    }

    /// Parses a `checktype` value as ldirectord 4.12 does: one of the names,
    /// or a number for the combined connect/negotiate check.
    pub fn from_name(value: &str) -> Option<CheckType> {
        Some(match value {
            "connect" => CheckType::Connect,
            "negotiate" => CheckType::Negotiate,
            "ping" => CheckType::Ping,
            "external" => CheckType::External,
            "external-perl" => CheckType::ExternalPerl,
            "on" => CheckType::On,
            "off" => CheckType::Off,
            number => CheckType::Combined(number.parse().ok()?),
        })
    }
}

/// The services of ldirectord's `service` directive: the protocol a
/// negotiate check speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// A DNS query for `request`; an A or PTR answer must match `receive`.
    Dns,
    /// Login, then `RETR request` in passive mode; the file must match `receive`.
    Ftp,
    /// `httpmethod request`; a 2xx answer whose body matches `receive`.
    Http,
    /// As `Http`, over TLS (certificates not verified, as ldirectord).
    Https,
    /// The real server is an HTTP proxy asked for the absolute URL `request`.
    HttpProxy,
    /// The IMAP greeting, and LOGIN when `login` is set.
    Imap,
    /// As `Imap`, over TLS.
    Imaps,
    /// An LDAP bind and a base search of `request`.
    Ldap,
    /// As `Ldap`, over TLS.
    Ldaps,
    /// MySQL (ldirectord runs an SQL query through DBI).
    Mysql,
    /// The NNTP greeting must start with `2`.
    Nntp,
    /// No protocol: the negotiate check always succeeds.
    None,
    /// Oracle (ldirectord runs an SQL query through DBI).
    Oracle,
    /// PostgreSQL (ldirectord runs an SQL query through DBI).
    Pgsql,
    /// The POP3 greeting, and USER/PASS (or APOP) when `login` is set.
    Pop,
    /// As `Pop`, over TLS.
    Pops,
    /// A RADIUS Access-Request.
    Radius,
    /// `request` is sent, the answer's lines must match `receive`.
    SimpleTcp,
    /// A SIP OPTIONS request must be answered `SIP/2.0 200 OK`.
    Sip,
    /// The SMTP greeting and EHLO (or HELO) must be accepted.
    Smtp,
    /// As `Smtp`, on the submission port.
    Submission,
}

impl Service {
    /// Every service, in ldirectord's documentation order.
    pub const ALL: [Service; 21] = [
        Service::Dns,
        Service::Ftp,
        Service::Http,
        Service::Https,
        Service::HttpProxy,
        Service::Imap,
        Service::Imaps,
        Service::Ldap,
        Service::Ldaps,
        Service::Mysql,
        Service::Nntp,
        Service::None,
        Service::Oracle,
        Service::Pgsql,
        Service::Pop,
        Service::Pops,
        Service::Radius,
        Service::SimpleTcp,
        Service::Sip,
        Service::Smtp,
        Service::Submission,
    ];

    /// The name as ldirectord.cf spells it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Dns => "dns",
            Service::Ftp => "ftp",
            Service::Http => "http",
            Service::Https => "https",
            Service::HttpProxy => "http_proxy",
            Service::Imap => "imap",
            Service::Imaps => "imaps",
            Service::Ldap => "ldap",
            Service::Ldaps => "ldaps",
            Service::Mysql => "mysql",
            Service::Nntp => "nntp",
            Service::None => "none",
            Service::Oracle => "oracle",
            Service::Pgsql => "pgsql",
            Service::Pop => "pop",
            Service::Pops => "pops",
            Service::Radius => "radius",
            Service::SimpleTcp => "simpletcp",
            Service::Sip => "sip",
            Service::Smtp => "smtp",
            Service::Submission => "submission",
        }
    }

    /// The service named `name` in ldirectord.cf, if there is one.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The well-known port ldirectord checks when neither `checkport` nor
    /// the real server gives one.
    pub fn default_port(self) -> Option<u16> {
        Some(match self {
            Service::Ftp => 21,
            Service::Smtp => 25,
            Service::Dns => 53,
            Service::Http => 80,
            Service::Pop => 110,
            Service::Nntp => 119,
            Service::Imap => 143,
            Service::Ldap => 389,
            Service::Https => 443,
            Service::Submission => 587,
            Service::Ldaps => 636,
            Service::Imaps => 993,
            Service::Pops => 995,
            Service::Oracle => 1521,
            Service::Radius => 1812,
            Service::HttpProxy => 3128,
            Service::Mysql => 3306,
            Service::Sip => 5060,
            Service::Pgsql => 5432,
            Service::SimpleTcp | Service::None => return None,
        })
    }

    /// The service ldirectord assumes for a virtual service on `port` when
    /// the file names none (`none` for other ports).
    pub fn for_port(port: u16) -> Service {
        Service::ALL
            .into_iter()
            .find(|s| s.default_port() == Some(port))
            .unwrap_or(Service::None)
    }

    /// Whether the service is spoken over TLS from the first byte.
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Service::Https | Service::Imaps | Service::Ldaps | Service::Pops
        )
    }
}

/// The transport a check uses: the virtual service's `protocol` (a
/// firewall-mark service is checked over TCP, as ldirectord's sockets are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// The `httpmethod` of HTTP checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HttpMethod {
    /// `GET` (the default).
    #[default]
    Get,
    /// `HEAD`.
    Head,
}

impl HttpMethod {
    /// The method as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
        }
    }
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
    fn service_names_round_trip_and_ports_match_ldirectord() {
        for service in Service::ALL {
            assert_eq!(Service::from_name(service.name()), Some(service));
            if let Some(port) = service.default_port() {
                assert_eq!(Service::for_port(port), service);
            }
        }
        assert_eq!(Service::for_port(8080), Service::None);
        assert_eq!(Service::from_name("gopher"), None);
    }

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

    #[test]
    fn checktype_names_parse() {
        assert_eq!(CheckType::from_name("connect"), Some(CheckType::Connect));
        assert_eq!(CheckType::from_name("5"), Some(CheckType::Combined(5)));
        assert_eq!(CheckType::from_name("sometimes"), None);
        assert_eq!(CheckType::Combined(3).name(), "3");
    }
}

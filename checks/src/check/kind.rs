//! The words of a check that ldirectord.cf writes and the checks act on:
//! the check type (`checktype=`), the service a negotiate check speaks
//! (`service=`) with its well-known port, and the HTTP method
//! (`httpmethod=`). The configuration model and [`super::CheckSpec`] share
//! these types, so a file's words reach the checks without translation.

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
    /// No check: no real or fallback server is ever added.
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
    /// or a positive number for the combined connect/negotiate check
    /// (ldirectord refuses 0).
    pub fn from_name(value: &str) -> Option<CheckType> {
        Some(match value {
            "connect" => CheckType::Connect,
            "negotiate" => CheckType::Negotiate,
            "ping" => CheckType::Ping,
            "external" => CheckType::External,
            "external-perl" => CheckType::ExternalPerl,
            "on" => CheckType::On,
            "off" => CheckType::Off,
            _ if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                CheckType::Combined(value.parse().ok().filter(|n| *n > 0)?)
            }
            _ => return None,
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
    /// the real server gives one (its `ld_service_to_port`); `None` for
    /// none and simpletcp.
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
    /// the file names none (its `ld_port_to_service`; `none` for other ports).
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
    /// The method as sent on the wire and written in ldirectord.cf (`GET`, `HEAD`).
    pub fn name(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
        }
    }

    /// The method of a word, in any case (as ldirectord, which upper-cases it).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Some(HttpMethod::Get),
            "HEAD" => Some(HttpMethod::Head),
            _ => None,
        }
    }
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
        assert_eq!(Service::for_port(80), Service::Http);
        assert_eq!(Service::for_port(53), Service::Dns);
        assert_eq!(Service::for_port(3128), Service::HttpProxy);
        assert_eq!(Service::for_port(8080), Service::None);
        assert_eq!(Service::SimpleTcp.default_port(), None);
        assert_eq!(Service::from_name("gopher"), None);
    }

    #[test]
    fn checktype_names_and_numbers_parse() {
        assert_eq!(CheckType::from_name("connect"), Some(CheckType::Connect));
        assert_eq!(
            CheckType::from_name("external-perl"),
            Some(CheckType::ExternalPerl)
        );
        assert_eq!(CheckType::from_name("5"), Some(CheckType::Combined(5)));
        assert_eq!(CheckType::from_name("sometimes"), None);
        assert_eq!(CheckType::from_name("0"), None);
        assert_eq!(CheckType::from_name("99999999999"), None);
        assert_eq!(CheckType::from_name("-1"), None);
        assert_eq!(CheckType::from_name("+1"), None);
        assert_eq!(CheckType::from_name(""), None);
        assert_eq!(CheckType::Combined(3).name(), "3");
    }

    #[test]
    fn http_methods_in_any_case() {
        assert_eq!(HttpMethod::from_name("head"), Some(HttpMethod::Head));
        assert_eq!(HttpMethod::from_name("GET"), Some(HttpMethod::Get));
        assert_eq!(HttpMethod::from_name("POST"), None);
        assert_eq!(HttpMethod::Head.name(), "HEAD");
    }
}

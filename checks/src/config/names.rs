//! The words of ldirectord.cf: check types, services, forwarding methods,
//! port names and syslog facilities, both ways.

use super::model::{CheckService, CheckType, Forwarding, HttpMethod};
use ha_ipvs::Tunnel;

impl CheckService {
    /// Every service, in ldirectord's manual order.
    pub const ALL: [CheckService; 21] = [
        CheckService::Dns,
        CheckService::Ftp,
        CheckService::Http,
        CheckService::Https,
        CheckService::HttpProxy,
        CheckService::Imap,
        CheckService::Imaps,
        CheckService::Ldap,
        CheckService::Ldaps,
        CheckService::Mysql,
        CheckService::Nntp,
        CheckService::None,
        CheckService::Oracle,
        CheckService::Pgsql,
        CheckService::Pop,
        CheckService::Pops,
        CheckService::Radius,
        CheckService::Simpletcp,
        CheckService::Sip,
        CheckService::Smtp,
        CheckService::Submission,
    ];

    /// The word written in ldirectord.cf.
    pub fn name(self) -> &'static str {
        match self {
            CheckService::Dns => "dns",
            CheckService::Ftp => "ftp",
            CheckService::Http => "http",
            CheckService::Https => "https",
            CheckService::HttpProxy => "http_proxy",
            CheckService::Imap => "imap",
            CheckService::Imaps => "imaps",
            CheckService::Ldap => "ldap",
            CheckService::Ldaps => "ldaps",
            CheckService::Mysql => "mysql",
            CheckService::Nntp => "nntp",
            CheckService::None => "none",
            CheckService::Oracle => "oracle",
            CheckService::Pgsql => "pgsql",
            CheckService::Pop => "pop",
            CheckService::Pops => "pops",
            CheckService::Radius => "radius",
            CheckService::Simpletcp => "simpletcp",
            CheckService::Sip => "sip",
            CheckService::Smtp => "smtp",
            CheckService::Submission => "submission",
        }
    }

    /// The service of a word, if ldirectord knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The well-known port of the service (ldirectord's
    /// `ld_service_to_port`); `None` for none and simpletcp.
    pub fn default_port(self) -> Option<u16> {
        Some(match self {
            CheckService::Ftp => 21,
            CheckService::Smtp => 25,
            CheckService::Dns => 53,
            CheckService::Http => 80,
            CheckService::Pop => 110,
            CheckService::Nntp => 119,
            CheckService::Imap => 143,
            CheckService::Ldap => 389,
            CheckService::Https => 443,
            CheckService::Submission => 587,
            CheckService::Ldaps => 636,
            CheckService::Imaps => 993,
            CheckService::Pops => 995,
            CheckService::Oracle => 1521,
            CheckService::Radius => 1812,
            CheckService::HttpProxy => 3128,
            CheckService::Mysql => 3306,
            CheckService::Sip => 5060,
            CheckService::Pgsql => 5432,
            CheckService::None | CheckService::Simpletcp => return None,
        })
    }

    /// The service ldirectord assumes for a virtual port when `service=`
    /// is not given (`ld_port_to_service`): `none` for unknown ports.
    pub fn for_port(port: u16) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.default_port() == Some(port))
            .unwrap_or(CheckService::None)
    }
}

impl CheckType {
    /// The check type of a word: a name, or a number of connect checks
    /// between negotiate checks.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "connect" => CheckType::Connect,
            "negotiate" => CheckType::Negotiate,
            "ping" => CheckType::Ping,
            "external" => CheckType::External,
            "external-perl" => CheckType::ExternalPerl,
            "on" => CheckType::On,
            "off" => CheckType::Off,
            _ if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) => {
                CheckType::Combined(name.parse().ok()?)
            }
            _ => return None,
        })
    }
}

impl HttpMethod {
    /// The method's name (`GET`, `HEAD`).
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

/// The forwarding method of ldirectord's word (`gate`, `masq`, `ipip`).
pub fn forwarding_from_name(name: &str) -> Option<Forwarding> {
    match name {
        "gate" => Some(Forwarding::DirectRoute),
        "masq" => Some(Forwarding::Masquerade),
        "ipip" => Some(Forwarding::Tunnel(Tunnel::IPIP)),
        _ => None,
    }
}

/// ldirectord's word for a forwarding method; `None` for methods it cannot
/// ask for (local, bypass).
pub fn forwarding_name(forwarding: Forwarding) -> Option<&'static str> {
    match forwarding {
        Forwarding::DirectRoute => Some("gate"),
        Forwarding::Masquerade => Some("masq"),
        Forwarding::Tunnel(_) => Some("ipip"),
        Forwarding::Local | Forwarding::Bypass => None,
    }
}

/// Port names of /etc/services that ldirectord users write instead of
/// numbers (the same for tcp, udp and sctp).
const PORT_NAMES: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("http", 80),
    ("www", 80),
    ("pop3", 110),
    ("nntp", 119),
    ("ntp", 123),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("ms-sql-s", 1433),
    ("radius", 1812),
    ("mysql", 3306),
    ("sip", 5060),
    ("postgresql", 5432),
    ("http-alt", 8080),
];

/// The port of a number (0 to 65535) or of a service name in /etc/services.
pub fn port_from_name(text: &str) -> Option<u16> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    PORT_NAMES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, port)| *port)
}

/// Syslog facilities a `logfile=` value may name.
pub const SYSLOG_FACILITIES: &[&str] = &[
    "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user",
    "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_name_reads_back() {
        for service in CheckService::ALL {
            assert_eq!(CheckService::from_name(service.name()), Some(service));
        }
        assert_eq!(CheckService::from_name("gopher"), None);
    }

    #[test]
    fn services_follow_ldirectord_port_table() {
        assert_eq!(CheckService::for_port(80), CheckService::Http);
        assert_eq!(CheckService::for_port(53), CheckService::Dns);
        assert_eq!(CheckService::for_port(3128), CheckService::HttpProxy);
        assert_eq!(CheckService::for_port(8080), CheckService::None);
        assert_eq!(CheckService::Simpletcp.default_port(), None);
    }

    #[test]
    fn check_types_and_numbers() {
        assert_eq!(
            CheckType::from_name("external-perl"),
            Some(CheckType::ExternalPerl)
        );
        assert_eq!(CheckType::from_name("5"), Some(CheckType::Combined(5)));
        assert_eq!(CheckType::from_name("99999999999"), None);
        assert_eq!(CheckType::from_name("-1"), None);
        assert_eq!(CheckType::Combined(7).name(), "7");
    }

    #[test]
    fn ports_by_number_or_name() {
        assert_eq!(port_from_name("8080"), Some(8080));
        assert_eq!(port_from_name("http"), Some(80));
        assert_eq!(port_from_name("65536"), None);
        assert_eq!(port_from_name("nosuch"), None);
        assert_eq!(HttpMethod::from_name("head"), Some(HttpMethod::Head));
    }
}

//! The words of ldirectord.cf: forwarding methods, port names and syslog
//! facilities, both ways. (Check types, services and HTTP methods are the
//! check engine's: [`crate::check::kind`].)

use super::model::Forwarding;
use ha_ipvs::Tunnel;

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
    fn ports_by_number_or_name() {
        assert_eq!(port_from_name("8080"), Some(8080));
        assert_eq!(port_from_name("http"), Some(80));
        assert_eq!(port_from_name("65536"), None);
        assert_eq!(port_from_name("nosuch"), None);
    }
}

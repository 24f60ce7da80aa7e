//! ipvsadm's readers of option values: numbers, timeouts, firewall marks,
//! IPv4 netmasks and `host[:port]` service addresses.
//!
//! They follow the C library functions ipvsadm 1.31 relies on (`strtol`,
//! `inet_aton`, `inet_pton`), quirks included: `inet_aton` takes `10.1` for
//! 10.0.0.1 and octal or hex parts, a bracketed IPv4 address `[1.2.3.4]:80`
//! loses its port, and a service address made only of digits is refused.
//! Host and service names go through a [`Resolver`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::Protocol;

use super::resolve::Resolver;

/// `strtol(s, &end, 10)`: leading white space, an optional sign, decimal
/// digits. Returns the value (saturated as `strtol` does on overflow),
/// whether it overflowed, and the number of bytes used (0 if no digits).
fn strtol10(s: &str) -> (i64, bool, usize) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() && is_c_space(bytes[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        negative = bytes[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut value: i64 = 0;
    let mut overflow = false;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        let digit = i64::from(bytes[i] - b'0');
        let next = value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        });
        match next {
            Some(v) => value = v,
            None => {
                overflow = true;
                value = if negative { i64::MIN } else { i64::MAX };
            }
        }
        i += 1;
    }
    if i == digits_start {
        return (0, false, 0);
    }
    (value, overflow, i)
}

/// White space as C's `isspace` sees it in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// ipvsadm's `string_to_number`: the whole string must be a decimal number
/// within `min..=max`.
pub fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    let (value, overflow, used) = strtol10(s);
    if used == 0 || used != s.len() || overflow || value < min || value > max {
        return None;
    }
    Some(value)
}

/// ipvsadm's `parse_fwmark`: a decimal number from 1 to 2³²−1.
pub fn parse_fwmark(s: &str) -> Option<u32> {
    let (value, overflow, used) = strtol10(s);
    if used == 0 || used != s.len() || overflow {
        return None;
    }
    // strtol's result lands in an unsigned long: negatives become huge.
    if value <= 0 {
        return None;
    }
    u32::try_from(value).ok()
}

/// ipvsadm's `str_is_digit`: true when every byte is a digit (and for the
/// empty string).
pub fn is_all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `strtoul(s, &end, 0)` on a string that starts with a digit: returns the
/// value (None on overflow of 64 bits) and the bytes used.
fn strtoul_auto(s: &[u8]) -> (Option<u64>, usize) {
    let (radix, start) = if s.len() >= 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        if s.get(2).is_some_and(|b| b.is_ascii_hexdigit()) {
            (16, 2)
        } else {
            // "0x" without hex digits: strtoul reads the "0" alone.
            return (Some(0), 1);
        }
    } else if s.first() == Some(&b'0') {
        (8, 1)
    } else {
        (10, 0)
    };
    let mut value: Option<u64> = Some(0);
    let mut i = start;
    while let Some(&b) = s.get(i) {
        let Some(digit) = (b as char).to_digit(radix) else {
            break;
        };
        value = value
            .and_then(|v| v.checked_mul(u64::from(radix)))
            .and_then(|v| v.checked_add(u64::from(digit)));
        i += 1;
    }
    (value, i)
}

/// glibc's `inet_aton`: one to four parts (`a`, `a.b`, `a.b.c`, `a.b.c.d`),
/// each decimal, octal (`0…`) or hex (`0x…`); the last part fills the
/// remaining bytes. Anything after white space is ignored.
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let bytes = s.as_bytes();
    let mut parts: Vec<u32> = Vec::with_capacity(4);
    let mut i = 0;
    let last: u64;
    loop {
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (value, used) = strtoul_auto(bytes.get(i..).unwrap_or_default());
        let value = value.filter(|v| *v <= 0xffff_ffff)?;
        i += used;
        if bytes.get(i) == Some(&b'.') {
            if parts.len() > 2 || value > 0xff {
                return None;
            }
            parts.push(value as u32);
            i += 1;
        } else {
            last = value;
            break;
        }
    }
    if let Some(&b) = bytes.get(i) {
        if !(b.is_ascii() && is_c_space(b)) {
            return None;
        }
    }
    let max: u64 = match parts.len() {
        0 => 0xffff_ffff,
        1 => 0x00ff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    if last > max {
        return None;
    }
    let mut word: u32 = 0;
    for (n, part) in parts.iter().enumerate() {
        word |= part << (24 - 8 * n);
    }
    word |= last as u32;
    Some(Ipv4Addr::from(word))
}

/// What a service or real-server address option gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort {
    /// The address.
    pub addr: IpAddr,
    /// The port, if one was given.
    pub port: Option<u16>,
}

/// ipvsadm's `parse_service`: `host`, `host:port`, an IPv6 address, or
/// `[ipv6]:port`; ports may be service names of `protocol`. `None` where
/// ipvsadm answers `SERVICE_NONE`.
pub fn parse_service(
    text: &str,
    protocol: Option<Protocol>,
    resolver: &dyn Resolver,
) -> Option<HostPort> {
    if is_all_digits(text) {
        return None;
    }
    let mut host = text;
    // Where the port text starts, if a ':' separates one.
    let mut port_text: Option<&str> = None;
    if let Some(inner) = text.strip_prefix('[') {
        let close = inner.find(']')?;
        host = inner.get(..close)?;
        let after = inner.get(close + 1..)?;
        port_text = Some(after.strip_prefix(':')?);
    }
    let addr = if let Ok(v6) = host.parse::<Ipv6Addr>() {
        IpAddr::V6(v6)
    } else {
        // Not IPv6: the port follows the last ':' of what is left (for a
        // bracketed host, the bracket's own ':' is already cut away).
        port_text = None;
        if let Some(colon) = host.rfind(':') {
            port_text = host.get(colon + 1..);
            host = host.get(..colon)?;
        }
        IpAddr::V4(inet_aton(host).or_else(|| resolver.host_v4(host))?)
    };
    let port = match port_text {
        None => None,
        Some(p) => Some(match string_to_number(p, 0, 65535) {
            Some(n) => n as u16,
            None => {
                let protocol = protocol?;
                resolver.service_port(p, protocol)?
            }
        }),
    };
    Some(HostPort { addr, port })
}

/// ipvsadm's `parse_netmask` for IPv4 services: a dotted netmask (as
/// `inet_aton` reads it) or a host name.
pub fn parse_netmask(text: &str, resolver: &dyn Resolver) -> Option<Ipv4Addr> {
    inet_aton(text).or_else(|| resolver.host_v4(text))
}

/// C's `atoi`: leading white space, sign, digits, anything after ignored;
/// 0 when there is no number. Used for IPv6 persistence prefixes.
pub fn atoi(text: &str) -> i64 {
    let (value, _, used) = strtol10(text);
    if used == 0 {
        0
    } else {
        value.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvsadm::resolve::NumericResolver;

    #[test]
    fn numbers_as_strtol_reads_them() {
        assert_eq!(string_to_number("42", 0, 100), Some(42));
        assert_eq!(string_to_number(" +7", 0, 100), Some(7));
        assert_eq!(string_to_number("", 0, 100), None);
        assert_eq!(string_to_number("1x", 0, 100), None);
        assert_eq!(string_to_number("101", 0, 100), None);
        assert_eq!(string_to_number("-1", 0, 100), None);
        assert_eq!(string_to_number("99999999999999999999", 0, i64::MAX), None);
    }

    #[test]
    fn fwmarks() {
        assert_eq!(parse_fwmark("1"), Some(1));
        assert_eq!(parse_fwmark("4294967295"), Some(u32::MAX));
        assert_eq!(parse_fwmark("4294967296"), None);
        assert_eq!(parse_fwmark("0"), None);
        assert_eq!(parse_fwmark("-1"), None);
        assert_eq!(parse_fwmark("1a"), None);
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(inet_aton("10.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("10.1.2"), Some(Ipv4Addr::new(10, 1, 0, 2)));
        assert_eq!(inet_aton("0x0a.010.0.1"), Some(Ipv4Addr::new(10, 8, 0, 1)));
        assert_eq!(inet_aton("167772161"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("1.2.3.4 junk"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("08.1.1.1"), None);
        assert_eq!(inet_aton("1..2"), None);
        assert_eq!(inet_aton(""), None);
        assert_eq!(inet_aton("1.2.3.4x"), None);
    }

    #[test]
    fn service_addresses() {
        let r = NumericResolver;
        let v4 = |s| parse_service(s, Some(Protocol::Tcp), &r);
        assert_eq!(
            v4("10.0.0.1:80"),
            Some(HostPort {
                addr: "10.0.0.1"
                    .parse()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                port: Some(80)
            })
        );
        assert_eq!(v4("10.0.0.1").map(|h| h.port), Some(None));
        assert_eq!(v4("80"), None);
        assert_eq!(v4(""), None);
        assert_eq!(v4("10.0.0.1:65536"), None);
        assert_eq!(v4("[::1]:8080").map(|h| h.port), Some(Some(8080)));
        assert_eq!(v4("::1").map(|h| h.port), Some(None));
        assert_eq!(v4("::1:80").map(|h| h.port), Some(None));
        assert_eq!(v4("[::1]"), None);
        assert_eq!(v4("[1.2.3.4]:80").map(|h| h.port), Some(None));
        assert_eq!(v4("nosuchhost.invalid:80"), None);
    }
}

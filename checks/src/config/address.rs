//! Addresses in ldirectord.cf: virtual services, real server lines (with
//! ranges, weights, request/receive pairs and thresholds) and fallbacks.
//!
//! Addresses are numeric: IPv4 dotted quads, IPv6 in brackets
//! (`[2001:db8::1]:80`). Ports are numbers or /etc/services names. Host
//! names, which ldirectord resolves through DNS, are refused by name.

use super::model::{Forwarding, Origin, RealServer};
use super::names::{forwarding_from_name, port_from_name};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most addresses one `real=A->B` range may expand to.
pub(super) const MAX_RANGE: u32 = 65536;

/// Highest connection threshold ipvsadm accepts (`INT_MAX`).
const MAX_THRESHOLD: u32 = i32::MAX as u32;

/// What a `virtual=` line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// An address and a port.
    Address(IpAddr, u16),
    /// A firewall mark.
    Mark(u32),
}

/// One `real=` line: the addresses of its range, and what every real
/// server of the line shares (its `addr` is the range's first address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RealLine {
    pub addrs: Vec<IpAddr>,
    pub server: RealServer,
}

impl RealLine {
    /// The real servers of the line, one per address, read at `origin`.
    pub(super) fn servers(self, origin: &Origin) -> impl Iterator<Item = RealServer> + '_ {
        let server = self.server;
        self.addrs.into_iter().map(move |addr| RealServer {
            origin: origin.clone(),
            addr,
            ..server.clone()
        })
    }
}

/// A numeric address of the family of the block.
pub(super) fn host(text: &str, ipv6: bool) -> Result<IpAddr, String> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return match inner.parse::<Ipv6Addr>() {
            Ok(addr) if ipv6 => Ok(IpAddr::V6(addr)),
            Ok(_) => Err(format!(
                "expected an IPv4 address, found '{text}' (IPv6 goes in virtual6, real6 and fallback6)"
            )),
            Err(_) => Err(format!("expected an IPv6 address in brackets, found '{text}'")),
        };
    }
    if let Ok(addr) = text.parse::<Ipv4Addr>() {
        return if ipv6 {
            Err(format!(
                "expected an IPv6 address in brackets such as [2001:db8::1], found '{text}'"
            ))
        } else {
            Ok(IpAddr::V4(addr))
        };
    }
    if text.parse::<Ipv6Addr>().is_ok() {
        return Err(format!(
            "write the IPv6 address '{text}' in brackets: [{text}]"
        ));
    }
    let hostname = !text.is_empty()
        && text.chars().any(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if hostname {
        Err(format!(
            "host names are not supported yet: write the IP address of '{text}'"
        ))
    } else if ipv6 {
        Err(format!(
            "expected an IPv6 address in brackets, found '{text}'"
        ))
    } else {
        Err(format!("expected an IPv4 address, found '{text}'"))
    }
}

/// Splits `HOST[:PORT]` (`[V6][:PORT]` for IPv6).
fn split_host_port(text: &str) -> (&str, Option<&str>) {
    if text.starts_with('[') {
        if let Some(close) = text.find(']') {
            let (host, rest) = text.split_at(close + 1);
            return match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if rest.is_empty() => (host, None),
                None => (text, None),
            };
        }
        return (text, None);
    }
    match text.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host, Some(port)),
        _ => (text, None),
    }
}

/// A port number (0 to 65535) or service name.
fn port(text: &str) -> Result<u16, String> {
    port_from_name(text).ok_or_else(|| {
        format!("expected a port number (0 to 65535) or service name, found '{text}'")
    })
}

/// `HOST[:PORT]` with its port, if given.
pub(super) fn host_port(text: &str, ipv6: bool) -> Result<(IpAddr, Option<u16>), String> {
    let (host_text, port_text) = split_host_port(text);
    Ok((host(host_text, ipv6)?, port_text.map(port).transpose()?))
}

/// The value of `virtual=` / `virtual6=`: `ADDRESS:PORT` or a mark.
pub(super) fn virtual_target(value: &str, ipv6: bool) -> Result<Target, String> {
    if let Some((_, rest)) = value.split_once(char::is_whitespace) {
        return Err(format!(
            "unexpected '{}' after the virtual service",
            rest.trim()
        ));
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<u32>() {
            Ok(mark) if mark > 0 => Ok(Target::Mark(mark)),
            _ => Err(format!(
                "expected a firewall mark from 1 to 4294967295, found '{value}'"
            )),
        };
    }
    match host_port(value, ipv6)? {
        (addr, Some(port)) => Ok(Target::Address(addr, port)),
        (_, None) => Err(format!(
            "expected ADDRESS:PORT or a firewall mark, found '{value}'"
        )),
    }
}

/// The value of `fallback=`: `HOST[:PORT] [gate|masq|ipip]`.
pub(super) fn fallback(
    value: &str,
    ipv6: bool,
) -> Result<(IpAddr, Option<u16>, Forwarding), String> {
    let mut words = value.split_whitespace();
    let (addr, port) = host_port(words.next().unwrap_or_default(), ipv6)?;
    let forwarding = match words.next() {
        None => Forwarding::DirectRoute,
        Some(word) => forwarding(word)?,
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected '{extra}' after the fallback server"));
    }
    Ok((addr, port, forwarding))
}

fn forwarding(word: &str) -> Result<Forwarding, String> {
    forwarding_from_name(word)
        .ok_or_else(|| format!("expected forwarding method gate, masq or ipip, found '{word}'"))
}

/// Every address of `FIRST->LAST` (IPv4 only).
fn range(first: IpAddr, last: IpAddr) -> Result<Vec<IpAddr>, String> {
    let (IpAddr::V4(first), IpAddr::V4(last)) = (first, last) else {
        return Err("address ranges are only supported for IPv4".into());
    };
    let (from, to) = (u32::from(first), u32::from(last));
    if from > to {
        return Err(format!("the range {first}->{last} ends before it starts"));
    }
    if to - from >= MAX_RANGE {
        return Err(format!(
            "the range {first}->{last} holds more than {MAX_RANGE} addresses"
        ));
    }
    Ok((from..=to).map(|n| IpAddr::V4(Ipv4Addr::from(n))).collect())
}

/// A quoted string at the start of `text`, and what follows it.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('"')?;
    let end = inner.find('"')?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// The value of `real=`: `ADDR[->ADDR][:PORT] gate|masq|ipip [WEIGHT]
/// ["REQUEST", "RECEIVE"] [l:LOW] [u:HIGH]`.
pub(super) fn real_line(value: &str, ipv6: bool) -> Result<RealLine, String> {
    let (spec, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    let (addrs, port) = match spec.split_once("->") {
        Some((first, last)) => {
            let first = host(first, ipv6)?;
            let (last, port) = host_port(last, ipv6)?;
            (range(first, last)?, port)
        }
        None => {
            let (addr, port) = host_port(spec, ipv6)?;
            (vec![addr], port)
        }
    };
    let mut rest = rest.trim_start();
    let method = rest.split_whitespace().next().ok_or_else(|| {
        "expected a forwarding method (gate, masq or ipip) after the address".to_string()
    })?;
    let forwarding = forwarding(method)?;
    rest = rest[method.len()..].trim_start();
    let first = addrs
        .first()
        .copied()
        .ok_or("no address on the real server line")?;
    let mut server = RealServer {
        forwarding,
        ..RealServer::new(first, port.unwrap_or(0))
    };
    if let Some(word) = rest.split_whitespace().next() {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            server.weight = word
                .parse::<u32>()
                .ok()
                .filter(|w| *w <= 65535)
                .ok_or_else(|| format!("expected a weight from 0 to 65535, found '{word}'"))?;
            rest = rest[word.len()..].trim_start();
        }
    }
    if rest.starts_with('"') {
        let pair = quoted(rest).and_then(|(request, after)| {
            let after = after.trim_start();
            let after = after.strip_prefix(',').unwrap_or(after).trim_start();
            let (receive, after) = quoted(after)?;
            Some(((request.to_string(), receive.to_string()), after))
        });
        let Some((pair, after)) = pair else {
            return Err(
                "expected \"REQUEST\", \"RECEIVE\" after the forwarding method and weight".into(),
            );
        };
        server.request_receive = Some(pair);
        rest = after.trim_start();
    }
    for word in rest.split_whitespace() {
        let (slot, number) = match word.split_once(':') {
            Some(("l", n)) => (&mut server.lower_threshold, n),
            Some(("u", n)) => (&mut server.upper_threshold, n),
            _ => {
                return Err(format!(
                    "unexpected '{word}' on the real server line: expected \
                     [WEIGHT] [\"REQUEST\", \"RECEIVE\"] [l:LOW] [u:HIGH] after the method"
                ))
            }
        };
        *slot = number
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_THRESHOLD && number.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                format!("expected a connection threshold from 0 to {MAX_THRESHOLD}, found '{word}'")
            })?;
    }
    Ok(RealLine { addrs, server })
}

//! `ipvsadm -L -c`: the connection table, read from
//! `/proc/net/ip_vs_conn` as ipvsadm reads it (there is no netlink command
//! for it) and printed in ipvsadm's columns.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::Protocol;

use super::command::Format;
use super::format::addr_port;
use super::resolve::Resolver;

/// Where the kernel shows its connection table.
pub const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

/// An address field of the proc file: IPv6 text, IPv4 text, or (as the
/// kernel writes IPv4) eight hex digits.
fn proc_addr(text: &str) -> IpAddr {
    if let Ok(v6) = text.parse::<Ipv6Addr>() {
        return IpAddr::V6(v6);
    }
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return IpAddr::V4(v4);
    }
    IpAddr::V4(Ipv4Addr::from(hex_u32(text)))
}

/// `strtoul(text, NULL, 16)`, truncated to 32 bits as ipvsadm stores it.
fn hex_u32(text: &str) -> u32 {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut value: u64 = 0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(16) else { break };
        value = value.saturating_mul(16).saturating_add(u64::from(d));
    }
    value as u32
}

/// A `%hX` field.
fn hex_u16(text: &str) -> u16 {
    hex_u32(text) as u16
}

/// The listing of a connection table file's text; lines that do not have
/// the nine fields of a connection are skipped.
pub fn list_connections(proc_text: &str, format: &Format, resolver: &dyn Resolver) -> String {
    let mut out = String::from("IPVS connection entries\n");
    if format.persistent_conn {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} pe_data",
            "state", "source", "virtual", "destination", "pe name"
        );
    } else {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} destination",
            "state", "source", "virtual"
        );
    }
    for line in proc_text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 9 {
            continue;
        }
        let protocol = match f[0] {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        };
        let caddr = proc_addr(f[1]);
        let vaddr = proc_addr(f[3]);
        let daddr = proc_addr(f[5]);
        let numeric = format.numeric;
        let cname = addr_port(&caddr, hex_u16(f[2]), protocol, numeric, resolver);
        let vname = addr_port(&vaddr, hex_u16(f[4]), protocol, numeric, resolver);
        let dname = addr_port(&daddr, hex_u16(f[6]), protocol, numeric, resolver);
        let expires = f[8].parse::<i64>().unwrap_or(0) as u32;
        let expire = format!("{:02}:{:02}", expires / 60, expires % 60);
        if format.persistent_conn && f.len() >= 11 {
            let _ = writeln!(
                out,
                "{:<3} {:<6} {:<11} {:<18} {:<18} {:<16} {:<18} {}",
                f[0], expire, f[7], cname, vname, dname, f[9], f[10]
            );
        } else {
            let _ = writeln!(
                out,
                "{:<3} {:<6} {:<11} {:<18} {:<18} {}",
                f[0], expire, f[7], cname, vname, dname
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvsadm::resolve::NumericResolver;

    #[test]
    fn lists_kernel_lines() {
        let text =
            "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n\
                    TCP 0A000002 D431 0A000001 0050 0A000003 0050 ESTABLISHED    899\n";
        let format = Format {
            numeric: true,
            ..Format::default()
        };
        let out = list_connections(text, &format, &NumericResolver);
        assert_eq!(
            out,
            "IPVS connection entries\n\
             pro expire state       source             virtual            destination\n\
             TCP 14:59  ESTABLISHED 10.0.0.2:54321     10.0.0.1:80        10.0.0.3:80\n"
        );
    }
}

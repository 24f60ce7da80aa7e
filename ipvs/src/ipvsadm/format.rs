//! ipvsadm's text output, byte for byte: the `-L` listings (plain,
//! `--stats`, `--rate`, `--thresholds`, `--persistent-conn`, `--tun-info`,
//! `--exact`), the `-S` rules, `-L --timeout` and `-L --daemon`.
//!
//! The widths, truncations (an IPv4 service name is cut at 33 characters, a
//! real server at 28) and number abbreviations (`K`, `M`, `G`, `T`) are
//! ipvsadm 1.31's. Names instead of numbers come from a [`Resolver`].

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{
    AddressFamily, DaemonConfig, DestinationEntry, Forwarding, Info, Netmask, Protocol,
    ServiceEntry, ServiceKey, Stats, Timeouts, TunnelChecksum, TunnelKind,
};

use super::command::Format;
use super::resolve::Resolver;
use super::sort::sort_destinations;

/// `IP Virtual Server version 1.2.1 (size=4096)`, the first line of a
/// full listing.
pub fn header(info: &Info) -> String {
    format!(
        "IP Virtual Server version {} (size={})\n",
        info.version, info.conn_tab_size
    )
}

/// The column titles of a listing (nothing for the rules format).
pub fn title(format: &Format) -> String {
    let remote = "  -> RemoteAddress:Port\n";
    if format.stats {
        format!(
            "{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{remote}",
            "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        )
    } else if format.rate {
        format!(
            "{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{remote}",
            "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        )
    } else if format.thresholds {
        format!(
            "{:<33} {:<10} {:<10} {:<10} {:<10}\n{remote}",
            "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        )
    } else if format.persistent_conn {
        format!(
            "{:<33} {:<9} {:<11} {:<10} {:<10}\n{remote}",
            "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn"
        )
    } else if format.tun_info {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n".to_string()
    } else if !format.rule {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n".to_string()
    } else {
        String::new()
    }
}

/// glibc's `inet_ntop` for IPv6: the longest run of two or more zero
/// groups becomes `::`, and addresses of the form `::a.b.c.d` and
/// `::ffff:a.b.c.d` end in dotted IPv4.
pub fn inet_ntop6(addr: &Ipv6Addr) -> String {
    let w = addr.segments();
    // The longest run of zero words (first one on ties), at least 2 long.
    let (mut best_base, mut best_len) = (None::<usize>, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            let len = i - start;
            if len > best_len {
                best_base = Some(start);
                best_len = len;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = None;
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some(base) = best_base {
            if i >= base && i < base + best_len {
                if i == base {
                    out.push(':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        let embedded =
            i == 6 && best_base == Some(0) && (best_len == 6 || (best_len == 5 && w[5] == 0xffff));
        if embedded {
            let o = addr.octets();
            let _ = write!(out, "{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            break;
        }
        let _ = write!(out, "{:x}", w[i]);
        i += 1;
    }
    if best_base.is_some_and(|b| b + best_len == 8) {
        out.push(':');
    }
    out
}

/// An address as `inet_ntop` prints it.
pub fn ntop(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => inet_ntop6(v6),
    }
}

/// ipvsadm's `addrport_to_anyname`: `addr:port`, `[v6]:port`, with names
/// unless numeric, at most 59 characters.
pub fn addr_port(
    addr: &IpAddr,
    port: u16,
    protocol: Option<Protocol>,
    numeric: bool,
    resolver: &dyn Resolver,
) -> String {
    let (open, close) = if addr.is_ipv4() { ("", "") } else { ("[", "]") };
    let text = if numeric {
        format!("{open}{}{close}:{port}", ntop(addr))
    } else {
        let host = resolver.host_name(*addr).unwrap_or_else(|| ntop(addr));
        let service = protocol
            .and_then(|p| resolver.service_name(port, p))
            .unwrap_or_else(|| port.to_string());
        format!("{open}{host}{close}:{service}")
    };
    cut(text, 59)
}

/// The first `max` bytes of `text` (C's `buf[max] = '\0'`).
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// ipvsadm's `print_largenum`: nine columns, abbreviated unless exact.
pub fn largenum(value: u64, exact: bool) -> String {
    if exact {
        let digits = value.to_string();
        let width = if digits.len() <= 8 {
            9
        } else {
            digits.len() + 1
        };
        return format!("{value:>width$}");
    }
    if value < 100_000_000 {
        format!("{value:>9}")
    } else if value < 1_000_000_000 {
        format!("{:>8}K", value / 1000)
    } else if value < 100_000_000_000 {
        format!("{:>8}M", value / 1_000_000)
    } else if value < 100_000_000_000_000 {
        format!("{:>8}G", value / 1_000_000_000)
    } else {
        format!("{:>8}T", value / 1_000_000_000_000)
    }
}

/// The scheduler flags as ipvsadm names them for this scheduler, comma
/// separated (empty when none of the nameable flags is set).
fn sched_flags(entry: &ServiceEntry) -> String {
    let flags = &entry.service.scheduler_flags;
    let names: Vec<&str> = match entry.service.scheduler.as_str() {
        "sh" => [(flags.flag1, "sh-fallback"), (flags.flag2, "sh-port")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect(),
        "mh" => [(flags.flag1, "mh-fallback"), (flags.flag2, "mh-port")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect(),
        _ => [
            (flags.flag1, "flag-1"),
            (flags.flag2, "flag-2"),
            (flags.flag3, "flag-3"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect(),
    };
    names.join(",")
}

fn protocol_of(key: &ServiceKey) -> Option<Protocol> {
    match key {
        ServiceKey::Address { protocol, .. } => Some(*protocol),
        // ipvsadm makes firewall-mark services TCP.
        ServiceKey::FirewallMark { .. } => Some(Protocol::Tcp),
    }
}

/// The service's name column: `TCP  10.0.0.1:80`, `FWM  7`, or for rules
/// `-t 10.0.0.1:80`, `-f 7 -6`.
fn service_name(key: &ServiceKey, format: &Format, resolver: &dyn Resolver) -> String {
    match key {
        ServiceKey::FirewallMark { af, mark } => {
            // ipvsadm prints the mark with %d.
            let mark = *mark as i32;
            let v6 = *af == AddressFamily::Inet6;
            match (format.rule, v6) {
                (true, true) => format!("-f {mark} -6"),
                (true, false) => format!("-f {mark}"),
                (false, true) => format!("FWM  {mark} IPv6"),
                (false, false) => format!("FWM  {mark}"),
            }
        }
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => {
            let vname = addr_port(addr, *port, Some(*protocol), format.numeric, resolver);
            if format.rule {
                let switch = match protocol {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                };
                format!("{switch} {vname}")
            } else {
                let name = format!("{:<4} {vname}", protocol.name());
                if addr.is_ipv4() {
                    cut(name, 33)
                } else {
                    name
                }
            }
        }
    }
}

/// The persistence netmask as ipvsadm shows it, if it is not the default.
fn shown_netmask(af: AddressFamily, netmask: &Netmask) -> Option<String> {
    match (af, netmask) {
        (AddressFamily::Inet, Netmask::V4(mask)) if *mask != Ipv4Addr::BROADCAST => {
            Some(mask.to_string())
        }
        (AddressFamily::Inet6, Netmask::V6Prefix(prefix)) if *prefix != 128 => {
            Some(prefix.to_string())
        }
        _ => None,
    }
}

fn stats_columns(out: &mut String, stats: &Stats, rate: bool, exact: bool) {
    let values = if rate {
        [
            stats.cps,
            stats.inpps,
            stats.outpps,
            stats.inbps,
            stats.outbps,
        ]
    } else {
        [
            stats.conns,
            stats.inpkts,
            stats.outpkts,
            stats.inbytes,
            stats.outbytes,
        ]
    };
    for v in values {
        out.push_str(&largenum(v, exact));
    }
}

/// The service line (without its real servers).
pub fn service_line(entry: &ServiceEntry, format: &Format, resolver: &dyn Resolver) -> String {
    let svc = &entry.service;
    let af = svc.key.af();
    let name = service_name(&svc.key, format, resolver);
    let any_flag = !svc.scheduler_flags.is_empty();
    let mut out = String::new();
    if format.rule {
        let _ = write!(out, "-A {name} -s {}", svc.scheduler);
        if let Some(p) = &svc.persistence {
            let _ = write!(out, " -p {}", p.timeout);
            if let Some(mask) = shown_netmask(af, &p.netmask) {
                let _ = write!(out, " -M {mask}");
            }
        }
        if let Some(engine) = svc.persistence.as_ref().and_then(|p| p.engine.as_ref()) {
            let _ = write!(out, " --pe {engine}");
        }
        if svc.one_packet {
            out.push_str(" -o");
        }
        if any_flag {
            let _ = write!(out, " -b {}", sched_flags(entry));
        }
    } else if format.stats || format.rate {
        let _ = write!(out, "{name:<33}");
        stats_columns(&mut out, &entry.stats, !format.stats, format.exact);
    } else {
        let _ = write!(out, "{name} {}", svc.scheduler);
        if any_flag {
            let _ = write!(out, " ({})", sched_flags(entry));
        }
        if let Some(p) = &svc.persistence {
            let _ = write!(out, " persistent {}", p.timeout);
            if let Some(mask) = shown_netmask(af, &p.netmask) {
                let _ = write!(out, " mask {mask}");
            }
            if let Some(engine) = &p.engine {
                let _ = write!(out, " pe {engine}");
            }
        }
        if svc.one_packet {
            out.push_str(" ops");
        }
    }
    out.push('\n');
    out
}

/// ipvsadm's `fwd_name`; glibc prints a missing name as `(null)`.
fn forwarding_name(f: &Forwarding) -> &'static str {
    match f {
        Forwarding::Masquerade => "Masq",
        Forwarding::Local => "Local",
        Forwarding::Tunnel(_) => "Tunnel",
        Forwarding::DirectRoute => "Route",
        Forwarding::Bypass => "(null)",
    }
}

/// ipvsadm's `fwd_switch`.
fn forwarding_switch(f: &Forwarding) -> &'static str {
    match f {
        Forwarding::Masquerade => "-m",
        Forwarding::Tunnel(_) => "-i",
        Forwarding::Local | Forwarding::DirectRoute => "-g",
        Forwarding::Bypass => "(null)",
    }
}

fn checksum_short(c: TunnelChecksum) -> &'static str {
    match c {
        TunnelChecksum::None => "-c",
        TunnelChecksum::Checksum => "+c",
        TunnelChecksum::RemoteChecksum => "r+c",
    }
}

fn checksum_option(c: TunnelChecksum) -> &'static str {
    match c {
        TunnelChecksum::None => "--tun-nocsum",
        TunnelChecksum::Checksum => "--tun-csum",
        TunnelChecksum::RemoteChecksum => "--tun-remcsum",
    }
}

/// ipvsadm's `fwd_tun_info`: `ipip`, `gue:PORT:FLAGS`, `gre:FLAGS` or `n/a`.
fn tunnel_info(f: &Forwarding) -> String {
    match f {
        Forwarding::Tunnel(t) => cut(
            match t.kind {
                TunnelKind::Ipip => "ipip".to_string(),
                TunnelKind::Gue => format!("gue:{}:{}", t.port, checksum_short(t.checksum)),
                TunnelKind::Gre => format!("gre:{}", checksum_short(t.checksum)),
            },
            15,
        ),
        _ => "n/a".to_string(),
    }
}

/// One real server's line under its service.
pub fn destination_line(
    service_key: &ServiceKey,
    rule_service_name: &str,
    entry: &DestinationEntry,
    format: &Format,
    resolver: &dyn Resolver,
) -> String {
    let d = &entry.destination;
    let mut dname = addr_port(
        &d.addr,
        d.port,
        protocol_of(service_key),
        format.numeric,
        resolver,
    );
    if !format.rule && d.addr.is_ipv4() {
        dname = cut(dname, 28);
    }
    // The kernel's weight is an int.
    let weight = d.weight as i32;
    let s = &entry.stats;
    let mut out = String::new();
    if format.rule {
        let base = format!(
            "-a {rule_service_name} -r {dname} {} -w {weight}",
            forwarding_switch(&d.forwarding)
        );
        match d.forwarding {
            Forwarding::Tunnel(t) => match t.kind {
                TunnelKind::Gre => {
                    let _ = writeln!(out, "{base} --tun-type gre {}", checksum_option(t.checksum));
                }
                TunnelKind::Gue => {
                    let _ = writeln!(
                        out,
                        "{base} --tun-type gue --tun-port {} {}",
                        t.port,
                        checksum_option(t.checksum)
                    );
                }
                TunnelKind::Ipip => {
                    let _ = writeln!(out, "{base} --tun-type ipip");
                }
            },
            _ => {
                let _ = writeln!(out, "{base}");
            }
        }
    } else if format.stats {
        let _ = write!(out, "  -> {dname:<28}");
        stats_columns(&mut out, s, false, format.exact);
        out.push('\n');
    } else if format.rate {
        let _ = write!(
            out,
            "  -> {dname:<28} {:>8} {:>8} {:>8}",
            s.cps, s.inpps, s.outpps
        );
        out.push_str(&largenum(s.inbps, format.exact));
        out.push_str(&largenum(s.outbps, format.exact));
        out.push('\n');
    } else if format.thresholds {
        let _ = writeln!(
            out,
            "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
            d.upper_threshold, d.lower_threshold, entry.active_conns, entry.inactive_conns
        );
    } else if format.persistent_conn {
        let _ = writeln!(
            out,
            "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
            d.weight, entry.persistent_conns, entry.active_conns, entry.inactive_conns
        );
    } else if format.tun_info {
        let _ = writeln!(
            out,
            "  -> {dname:<28} {:<7} {:<13} {weight:<6} {:<10} {:<10}",
            forwarding_name(&d.forwarding),
            tunnel_info(&d.forwarding),
            entry.active_conns,
            entry.inactive_conns
        );
    } else {
        let _ = writeln!(
            out,
            "  -> {dname:<28} {:<7} {weight:<6} {:<10} {:<10}",
            forwarding_name(&d.forwarding),
            entry.active_conns,
            entry.inactive_conns
        );
    }
    out
}

/// A service and its real servers (sorted as ipvsadm sorts them unless
/// `--nosort`), as `-L` or `-S` prints them.
pub fn service_block(
    entry: &ServiceEntry,
    dests: &[DestinationEntry],
    format: &Format,
    resolver: &dyn Resolver,
) -> String {
    let mut out = service_line(entry, format, resolver);
    let rule_name = service_name(&entry.service.key, format, resolver);
    let mut dests = dests.to_vec();
    if !format.nosort {
        sort_destinations(&mut dests);
    }
    for d in &dests {
        out.push_str(&destination_line(
            &entry.service.key,
            &rule_name,
            d,
            format,
            resolver,
        ));
    }
    out
}

/// `Timeout (tcp tcpfin udp): 900 120 300`.
pub fn timeouts_line(t: &Timeouts) -> String {
    // ipvsadm prints the kernel's ints with %d.
    format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp as i32, t.tcp_fin as i32, t.udp as i32
    )
}

/// One line per running sync daemon:
/// `master sync daemon (mcast=eth0, syncid=1, maxlen=1472, …)`.
pub fn daemon_lines(daemons: &[DaemonConfig]) -> String {
    let mut out = String::new();
    for d in daemons {
        let _ = write!(
            out,
            "{} sync daemon (mcast={}, syncid={}",
            d.state.name(),
            d.mcast_ifname,
            d.syncid as i32
        );
        if let Some(maxlen) = d.sync_maxlen.filter(|v| *v != 0) {
            let _ = write!(out, ", maxlen={maxlen}");
        }
        if let Some(group) = d.mcast_group {
            let _ = write!(out, ", group={}", ntop(&group));
        }
        if let Some(port) = d.mcast_port.filter(|v| *v != 0) {
            let _ = write!(out, ", port={port}");
        }
        if let Some(ttl) = d.mcast_ttl.filter(|v| *v != 0) {
            let _ = write!(out, ", ttl={ttl}");
        }
        out.push_str(")\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvsadm::resolve::NumericResolver;
    use crate::model::{
        Destination, Persistence, SchedulerFlags, Service, Tunnel, TunnelChecksum, Version,
    };

    fn numeric() -> Format {
        Format {
            numeric: true,
            ..Format::default()
        }
    }

    fn entry(service: Service) -> ServiceEntry {
        ServiceEntry {
            service,
            hashed: true,
            stats: Stats::default(),
        }
    }

    fn dest(destination: Destination) -> DestinationEntry {
        DestinationEntry {
            destination,
            active_conns: 0,
            inactive_conns: 0,
            persistent_conns: 0,
            stats: Stats::default(),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn ipv6_text_as_glibc_writes_it() {
        let cases = [
            ("2001:db8::1", "2001:db8::1"),
            ("::1", "::1"),
            ("::", "::"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            ("fe80::", "fe80::"),
        ];
        for (input, expected) in cases {
            let addr: Ipv6Addr = input.parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
            assert_eq!(inet_ntop6(&addr), expected, "{input}");
        }
    }

    #[test]
    fn largenum_columns() {
        assert_eq!(largenum(0, false), "        0");
        assert_eq!(largenum(99_999_999, false), " 99999999");
        assert_eq!(largenum(100_000_000, false), "  100000K");
        assert_eq!(largenum(1_000_000_000, false), "    1000M");
        assert_eq!(largenum(100_000_000_000, false), "     100G");
        assert_eq!(largenum(100_000_000_000_000, false), "     100T");
        assert_eq!(largenum(12, true), "       12");
        assert_eq!(largenum(1_234_567_890, true), " 1234567890");
    }

    #[test]
    fn ipv6_and_fwmark_services() {
        let key = ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: ip("2001:db8::1"),
            port: 80,
        };
        let mut svc = Service::new(key, "rr");
        svc.persistence = Some(Persistence {
            timeout: 60,
            netmask: Netmask::V6Prefix(48),
            engine: None,
        });
        assert_eq!(
            service_line(&entry(svc.clone()), &numeric(), &NumericResolver),
            "TCP  [2001:db8::1]:80 rr persistent 60 mask 48\n"
        );
        let rule = Format {
            rule: true,
            ..numeric()
        };
        assert_eq!(
            service_line(&entry(svc), &rule, &NumericResolver),
            "-A -t [2001:db8::1]:80 -s rr -p 60 -M 48\n"
        );
        let mark = ServiceKey::FirewallMark {
            af: AddressFamily::Inet6,
            mark: 2,
        };
        let mut svc = Service::new(mark, "sh");
        svc.scheduler_flags = SchedulerFlags {
            flag1: false,
            flag2: false,
            flag3: true,
        };
        // ipvsadm names no sh flag 3 but still writes the brackets.
        assert_eq!(
            service_line(&entry(svc.clone()), &numeric(), &NumericResolver),
            "FWM  2 IPv6 sh ()\n"
        );
        assert_eq!(
            service_line(&entry(svc), &rule, &NumericResolver),
            "-A -f 2 -6 -s sh -b \n"
        );
    }

    #[test]
    fn tunnel_rules_and_info() {
        let key = ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: ip("10.0.0.1"),
            port: 80,
        };
        let mut d = Destination::new(ip("10.0.0.2"), 80);
        d.forwarding = Forwarding::Tunnel(Tunnel {
            kind: TunnelKind::Gue,
            port: 6080,
            checksum: TunnelChecksum::RemoteChecksum,
        });
        let rule = Format {
            rule: true,
            ..numeric()
        };
        assert_eq!(
            destination_line(&key, "-t 10.0.0.1:80", &dest(d.clone()), &rule, &NumericResolver),
            "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum\n"
        );
        let info = Format {
            tun_info: true,
            ..numeric()
        };
        assert_eq!(
            destination_line(&key, "", &dest(d.clone()), &info, &NumericResolver),
            "  -> 10.0.0.2:80                  Tunnel  gue:6080:r+c  1      0          0         \n"
        );
        d.forwarding = Forwarding::Tunnel(Tunnel {
            kind: TunnelKind::Gre,
            port: 0,
            checksum: TunnelChecksum::Checksum,
        });
        assert_eq!(
            destination_line(&key, "-t 10.0.0.1:80", &dest(d), &rule, &NumericResolver),
            "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type gre --tun-csum\n"
        );
    }

    #[test]
    fn long_ipv4_names_are_cut_and_ipv6_ones_are_not() {
        let key = ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: ip("2001:db8:1234:5678:9abc:def0:1234:5678"),
            port: 65535,
        };
        let d = Destination::new(ip("2001:db8:1234:5678:9abc:def0:1234:5679"), 65535);
        let block = service_block(
            &entry(Service::new(key, "wlc")),
            &[dest(d)],
            &numeric(),
            &NumericResolver,
        );
        assert_eq!(
            block,
            "UDP  [2001:db8:1234:5678:9abc:def0:1234:5678]:65535 wlc\n  -> [2001:db8:1234:5678:9abc:def0:1234:5679]:65535 Route   1      0          0         \n"
        );
    }

    #[test]
    fn banner_timeouts_and_daemons() {
        let info = Info {
            version: Version {
                major: 1,
                minor: 2,
                patch: 1,
            },
            conn_tab_size: 4096,
        };
        assert_eq!(
            header(&info),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
        );
        assert_eq!(
            timeouts_line(&Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300
            }),
            "Timeout (tcp tcpfin udp): 900 120 300\n"
        );
        let mut d = DaemonConfig::new(crate::model::DaemonState::Master, "eth0", 1);
        assert_eq!(
            daemon_lines(std::slice::from_ref(&d)),
            "master sync daemon (mcast=eth0, syncid=1)\n"
        );
        d.sync_maxlen = Some(1472);
        d.mcast_group = Some(ip("224.0.0.81"));
        d.mcast_port = Some(8848);
        d.mcast_ttl = Some(1);
        assert_eq!(
            daemon_lines(&[d]),
            "master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
        );
    }
}

//! Writing a [`DirectorConfig`] back as ldirectord.cf text that [`parse`]
//! reads to an equal configuration.
//!
//! Globals come first, then one block per virtual service with its lines
//! indented by a tab. Every setting that differs from "not written" is
//! written; strings are quoted, except one holding a double quote that
//! reads back only unquoted (ldirectord.cf has no escapes). Whatever
//! [`parse`] returned renders to text that parses to an equal
//! configuration; a configuration built in code with such strings, or with
//! timeouts that are not whole seconds, may not.
//!
//! [`parse`]: super::parse

use super::block::addr_port;
use super::lexer::strip_comment;
use super::model::{
    DirectorConfig, Fallback, HttpMethod, LogTarget, Netmask, Overridable, RealServer, Service,
    ServiceKey, VirtualService,
};
use super::names::forwarding_name;
use std::fmt::Write as _;
use std::net::IpAddr;

impl DirectorConfig {
    /// The configuration as ldirectord.cf text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let global = &self.global;
        overridable(&mut out, "", &global.defaults);
        if let Some(fallback) = &global.fallback {
            line(&mut out, "", "fallback", &fallback_text(fallback));
        }
        if let Some(fallback) = &global.fallback6 {
            line(&mut out, "", "fallback6", &fallback_text(fallback));
        }
        line(&mut out, "", "autoreload", yes_no(global.autoreload));
        line(
            &mut out,
            "",
            "readdquiescent",
            yes_no(global.readd_quiescent),
        );
        if let Some(callback) = &global.callback {
            line(
                &mut out,
                "",
                "callback",
                &string_value("callback", callback),
            );
        }
        let logfile = match &global.logfile {
            LogTarget::File(path) => path.display().to_string(),
            LogTarget::Syslog(facility) => facility.clone(),
        };
        line(&mut out, "", "logfile", &string_value("logfile", &logfile));
        if let Some(dir) = &global.maintenance_dir {
            let dir = dir.display().to_string();
            line(
                &mut out,
                "",
                "maintenancedir",
                &string_value("maintenancedir", &dir),
            );
        }
        for service in &self.virtual_services {
            out.push('\n');
            virtual_service(&mut out, service);
        }
        out
    }
}

fn line(out: &mut String, indent: &str, keyword: &str, value: &str) {
    let _ = writeln!(out, "{indent}{keyword}={value}");
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn quote(text: &str) -> String {
    format!("\"{text}\"")
}

/// A string value as it reads back: quoted, unless it holds a double quote
/// that only reads back unquoted (a value that was written without quotes).
fn string_value(keyword: &str, text: &str) -> String {
    let raw_reads_back = !text.starts_with('"') && text.trim() == text && !text.is_empty() && {
        let raw = format!("{keyword}={text}");
        strip_comment(&raw).len() == raw.len()
    };
    if text.contains('"') && raw_reads_back {
        text.to_string()
    } else {
        quote(text)
    }
}

/// An address as written in ldirectord.cf (IPv6 in brackets).
fn host(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn method(forwarding: ha_ipvs::Forwarding) -> &'static str {
    forwarding_name(forwarding).unwrap_or("gate")
}

fn fallback_text(fallback: &Fallback) -> String {
    let target = match fallback.port {
        Some(port) => addr_port(&fallback.addr, port),
        None => host(&fallback.addr),
    };
    format!("{target} {}", method(fallback.forwarding))
}

fn overridable(out: &mut String, indent: &str, settings: &Overridable) {
    let seconds = [
        ("checktimeout", settings.check_timeout),
        ("negotiatetimeout", settings.negotiate_timeout),
        ("connecttimeout", settings.connect_timeout),
        ("checkinterval", settings.check_interval),
    ];
    for (keyword, value) in seconds {
        if let Some(value) = value {
            line(out, indent, keyword, &value.as_secs().to_string());
        }
    }
    for (keyword, value) in [
        ("checkcount", settings.check_count),
        ("failurecount", settings.failure_count),
    ] {
        if let Some(value) = value {
            line(out, indent, keyword, &value.to_string());
        }
    }
    for (keyword, value) in [
        ("quiescent", settings.quiescent),
        ("cleanstop", settings.cleanstop),
    ] {
        if let Some(value) = value {
            line(out, indent, keyword, yes_no(value));
        }
    }
    if let Some(command) = &settings.fallback_command {
        line(
            out,
            indent,
            "fallbackcommand",
            &string_value("fallbackcommand", command),
        );
    }
}

fn real_text(real: &RealServer) -> String {
    let mut text = if real.port == 0 {
        host(&real.addr)
    } else {
        addr_port(&real.addr, real.port)
    };
    let _ = write!(text, " {} {}", method(real.forwarding), real.weight);
    if let Some((request, receive)) = &real.request_receive {
        let _ = write!(text, " \"{request}\", \"{receive}\"");
    }
    if real.lower_threshold != 0 {
        let _ = write!(text, " l:{}", real.lower_threshold);
    }
    if real.upper_threshold != 0 {
        let _ = write!(text, " u:{}", real.upper_threshold);
    }
    text
}

fn virtual_service(out: &mut String, service: &VirtualService) {
    let ipv6 = service.key.af() == ha_ipvs::AddressFamily::Inet6;
    let six = if ipv6 { "6" } else { "" };
    let (target, protocol) = match service.key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => (addr_port(&addr, port), protocol.name().to_ascii_lowercase()),
        ServiceKey::FirewallMark { mark, .. } => (mark.to_string(), "fwm".to_string()),
    };
    line(out, "", &format!("virtual{six}"), &target);
    let tab = "\t";
    line(out, tab, "protocol", &protocol);
    line(out, tab, "scheduler", &service.scheduler);
    let flags = service.scheduler_flags;
    let names: Vec<&str> = [
        (flags.flag1, "flag-1"),
        (flags.flag2, "flag-2"),
        (flags.flag3, "flag-3"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if !names.is_empty() {
        line(out, tab, "schedflags", &names.join(","));
    }
    if let Some(timeout) = service.persistent {
        line(out, tab, "persistent", &timeout.to_string());
    }
    match service.netmask {
        Some(Netmask::V4(mask)) => line(out, tab, "netmask", &mask.to_string()),
        Some(Netmask::V6Prefix(prefix)) => line(out, tab, "netmask", &prefix.to_string()),
        None => {}
    }
    if service.one_packet {
        line(out, tab, "ops", "yes");
    }
    for real in &service.reals {
        line(out, tab, &format!("real{six}"), &real_text(real));
    }
    if let Some(fallback) = &service.fallback {
        line(
            out,
            tab,
            &format!("fallback{six}"),
            &fallback_text(fallback),
        );
    }
    let check = &service.check;
    line(out, tab, "checktype", &check.check_type.name());
    line(out, tab, "service", Service::name(check.service));
    if let Some(port) = check.check_port {
        line(out, tab, "checkport", &port.to_string());
    }
    if check.http_method != HttpMethod::Get {
        line(out, tab, "httpmethod", check.http_method.name());
    }
    let strings = [
        ("request", &check.request),
        ("receive", &check.receive),
        ("virtualhost", &check.virtual_host),
        ("login", &check.login),
        ("passwd", &check.passwd),
        ("database", &check.database),
        ("secret", &check.secret),
        ("checkcommand", &check.check_command),
        ("servicename", &service.service_name),
        ("comment", &service.comment),
    ];
    for (keyword, value) in strings {
        if let Some(value) = value {
            line(out, tab, keyword, &string_value(keyword, value));
        }
    }
    overridable(out, tab, &service.overrides);
}

//! One virtual service block while it is read, and the checks made when it
//! is complete (protocol, port 0, one-packet scheduling, scheduler flags,
//! default service, supported check, duplicate real servers).

use super::address::{self, Target};
use super::model::{
    AddressFamily, CheckSpec, CheckType, Fallback, HttpMethod, Netmask, Origin, Overridable,
    Protocol, RealServer, SchedulerFlags, Service, ServiceKey, VirtualService, DEFAULT_SCHEDULER,
};
use super::support::{supported_check, supported_receive, CheckPart};
use super::values;
use ha_conf::{ConfigError, Diagnostics, Line, Location};
use std::collections::HashMap;
use std::net::IpAddr;

/// `protocol=`: an IPVS protocol, or `fwm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProtocolWord {
    Ip(Protocol),
    Fwm,
}

/// A virtual service being read.
#[derive(Debug)]
pub(super) struct Draft {
    at: Location,
    ipv6: bool,
    /// `None` when the `virtual=` value was refused (its lines are still checked).
    target: Option<Target>,
    protocol: Option<ProtocolWord>,
    scheduler: String,
    flags: Option<(SchedulerFlags, Option<&'static str>, Location)>,
    persistent: Option<u32>,
    netmask: Option<Netmask>,
    ops: Option<(bool, Location)>,
    reals: Vec<RealServer>,
    fallback: Option<Fallback>,
    check: CheckSpec,
    service_at: Option<Location>,
    service_given: bool,
    check_type_at: Option<Location>,
    overrides: Overridable,
    service_name: Option<String>,
    comment: Option<String>,
}

/// Applies a setting that may be global or per virtual service; `Ok(false)`
/// when the keyword is not one of them.
pub(super) fn apply_overridable(
    settings: &mut Overridable,
    keyword: &str,
    value: &str,
) -> Result<bool, String> {
    match keyword {
        "checktimeout" => settings.check_timeout = Some(values::seconds(value)?),
        "negotiatetimeout" => settings.negotiate_timeout = Some(values::seconds(value)?),
        "connecttimeout" => settings.connect_timeout = Some(values::seconds(value)?),
        "checkinterval" => settings.check_interval = Some(values::seconds(value)?),
        "checkcount" => settings.check_count = Some(values::count(value)?),
        "failurecount" => settings.failure_count = Some(values::count(value)?),
        "quiescent" => settings.quiescent = Some(values::yes_no(value)?),
        "cleanstop" => settings.cleanstop = Some(values::yes_no(value)?),
        "fallbackcommand" => settings.fallback_command = Some(values::string(value, false)?),
        _ => return Ok(false),
    }
    Ok(true)
}

/// A fallback of `fallback=` (IPv4) or `fallback6=` (IPv6) on a line.
pub(super) fn parse_fallback(line: &Line, value: &str, ipv6: bool) -> Result<Fallback, String> {
    let (addr, port, forwarding) = address::fallback(value, ipv6)?;
    Ok(Fallback {
        origin: Origin::at(line.location()),
        addr,
        port,
        forwarding,
    })
}

/// The keyword of the other family, when `keyword` is the wrong one for a
/// block of this family.
fn family_mismatch(keyword: &str, ipv6: bool) -> Option<String> {
    let (plain, six) = match keyword {
        "real" | "real6" => ("real", "real6"),
        "fallback" | "fallback6" => ("fallback", "fallback6"),
        _ => return None,
    };
    match (ipv6, keyword.ends_with('6')) {
        (true, false) => Some(format!(
            "'{plain}' cannot be used in a virtual6 service: use '{six}'"
        )),
        (false, true) => Some(format!(
            "'{six}' cannot be used in a virtual service: use '{plain}'"
        )),
        _ => None,
    }
}

impl Draft {
    /// Opens a block at a `virtual=` (or `virtual6=`) line.
    pub fn open(line: &Line, value: &str, ipv6: bool) -> (Draft, Option<String>) {
        let (target, error) = match address::virtual_target(value, ipv6) {
            Ok(target) => (Some(target), None),
            Err(error) => (None, Some(error)),
        };
        let service = match target {
            Some(Target::Address(_, port)) => Service::for_port(port),
            _ => Service::None,
        };
        let draft = Draft {
            at: line.location(),
            ipv6,
            target,
            protocol: None,
            scheduler: DEFAULT_SCHEDULER.to_string(),
            flags: None,
            persistent: None,
            netmask: None,
            ops: None,
            reals: Vec::new(),
            fallback: None,
            check: CheckSpec::new(service),
            service_at: None,
            service_given: false,
            check_type_at: None,
            overrides: Overridable::default(),
            service_name: None,
            comment: None,
        };
        (draft, error)
    }

    /// Applies one indented line; the keyword is known to be implemented
    /// and allowed in a virtual service.
    pub fn apply(&mut self, line: &Line, keyword: &str, value: &str) -> Result<(), String> {
        if let Some(error) = family_mismatch(keyword, self.ipv6) {
            return Err(error);
        }
        if apply_overridable(&mut self.overrides, keyword, value)? {
            return Ok(());
        }
        let check = &mut self.check;
        match keyword {
            "real" | "real6" => self.add_reals(line, value)?,
            "fallback" | "fallback6" => {
                self.fallback = Some(parse_fallback(line, value, self.ipv6)?)
            }
            "request" => check.request = Some(values::string(value, false)?),
            "receive" => {
                let receive = values::string(value, false)?;
                supported_receive(&receive)?;
                check.receive = Some(receive);
            }
            "checktype" => {
                check.check_type = CheckType::from_name(value).ok_or_else(|| {
                    format!(
                        "expected checktype connect, negotiate, ping, external, \
                         external-perl, on, off or a positive number, found '{value}'"
                    )
                })?;
                self.check_type_at = Some(line.location());
            }
            "service" => {
                check.service = Service::from_name(value).ok_or_else(|| {
                    let names: Vec<_> = Service::ALL.iter().map(|s| s.name()).collect();
                    format!("expected service {}, found '{value}'", names.join(", "))
                })?;
                self.service_at = Some(line.location());
                self.service_given = true;
            }
            "checkcommand" => check.check_command = Some(values::string(value, false)?),
            "checkport" => check.check_port = Some(values::check_port(value)?),
            "login" => check.login = Some(values::string(value, false)?),
            "passwd" => check.passwd = Some(values::string(value, false)?),
            "database" => check.database = Some(values::string(value, false)?),
            "secret" => check.secret = Some(values::string(value, false)?),
            "virtualhost" => check.virtual_host = Some(values::string(value, false)?),
            "httpmethod" => {
                check.http_method = HttpMethod::from_name(value)
                    .ok_or_else(|| format!("expected httpmethod GET or HEAD, found '{value}'"))?
            }
            "scheduler" => self.scheduler = values::scheduler(value)?,
            "schedflags" => {
                let (flags, needs) = values::scheduler_flags(value)?;
                self.flags = Some((flags, needs, line.location()));
            }
            "persistent" => self.persistent = Some(values::persistent(value)?),
            "netmask" => self.netmask = Some(values::netmask(value, self.ipv6)?),
            "ops" => self.ops = Some((values::yes_no(value)?, line.location())),
            "protocol" => self.protocol = Some(self.protocol_word(value)?),
            "servicename" => self.service_name = Some(values::string(value, true)?),
            "comment" => self.comment = Some(values::string(value, true)?),
            _ => {
                return Err(format!(
                    "keyword '{keyword}' cannot be used in a virtual service"
                ))
            }
        }
        Ok(())
    }

    fn protocol_word(&self, value: &str) -> Result<ProtocolWord, String> {
        let word = match value {
            "tcp" => ProtocolWord::Ip(Protocol::Tcp),
            "udp" => ProtocolWord::Ip(Protocol::Udp),
            "sctp" => ProtocolWord::Ip(Protocol::Sctp),
            "fwm" => ProtocolWord::Fwm,
            _ => {
                return Err(format!(
                    "expected protocol tcp, udp, sctp or fwm, found '{value}'"
                ))
            }
        };
        match (self.target, word) {
            (Some(Target::Mark(_)), ProtocolWord::Ip(_)) => Err(format!(
                "protocol must be fwm for a firewall-mark virtual service, found '{value}'"
            )),
            (Some(Target::Address(..)), ProtocolWord::Fwm) => Err(
                "protocol must be tcp, udp or sctp for a virtual service given by address and port, found 'fwm'"
                    .into(),
            ),
            _ => Ok(word),
        }
    }

    fn add_reals(&mut self, line: &Line, value: &str) -> Result<(), String> {
        let parsed = address::real_line(value, self.ipv6)?;
        if let Some((_, receive)) = &parsed.server.request_receive {
            supported_receive(receive)?;
        }
        self.reals
            .extend(parsed.servers(&Origin::at(line.location())));
        Ok(())
    }

    /// Completes the block; every problem found is recorded.
    pub fn finish(self, diagnostics: &mut Diagnostics) -> Option<VirtualService> {
        let error = |at: &Location, message: String| ConfigError {
            location: at.clone(),
            message,
        };
        let key = match self.target? {
            Target::Mark(mark) => ServiceKey::FirewallMark {
                af: if self.ipv6 {
                    AddressFamily::Inet6
                } else {
                    AddressFamily::Inet
                },
                mark,
            },
            Target::Address(addr, port) => ServiceKey::Address {
                protocol: match self.protocol {
                    Some(ProtocolWord::Ip(protocol)) => protocol,
                    _ if port == 53 => Protocol::Udp,
                    _ => Protocol::Tcp,
                },
                addr,
                port,
            },
        };
        let mut errors = Vec::new();
        if let ServiceKey::Address { protocol, port, .. } = key {
            if port == 0 && self.persistent.is_none() {
                errors.push(error(
                    &self.at,
                    "a virtual service on port 0 must be persistent (set persistent=)".into(),
                ));
            }
            if let Some((true, at)) = &self.ops {
                if protocol != Protocol::Udp {
                    errors.push(error(
                        at,
                        "ops (one-packet scheduling) is only for UDP virtual services".into(),
                    ));
                }
            }
        }
        let mut scheduler_flags = SchedulerFlags::NONE;
        if let Some((flags, needs, at)) = &self.flags {
            scheduler_flags = *flags;
            if let Some(needs) = needs.filter(|n| *n != self.scheduler) {
                errors.push(error(
                    at,
                    format!(
                        "these scheduler flags need scheduler={needs}, not '{}'",
                        self.scheduler
                    ),
                ));
            }
        }
        if let Err(refusal) = supported_check(&self.check, &key) {
            let at = match refusal.part {
                CheckPart::CheckType => self.check_type_at.as_ref(),
                CheckPart::Service => self.service_at.as_ref().or(self.check_type_at.as_ref()),
            };
            errors.push(error(at.unwrap_or(&self.at), refusal.message));
        }
        let service = VirtualService {
            origin: Origin::at(self.at.clone()),
            key,
            scheduler: self.scheduler,
            scheduler_flags,
            persistent: self.persistent,
            netmask: self.netmask,
            one_packet: self.ops.is_some_and(|(ops, _)| ops),
            reals: self.reals,
            fallback: self.fallback,
            check: self.check,
            overrides: self.overrides,
            service_name: self.service_name,
            comment: self.comment,
        };
        let mut seen = HashMap::new();
        for real in &service.reals {
            let key = service.destination_key(real);
            let line = real.origin.location().map_or(0, |l| l.line);
            if let (Some(first), Some(at)) = (seen.insert(key, line), real.origin.location()) {
                errors.push(error(
                    at,
                    format!(
                        "real server {} is already listed on line {first}",
                        addr_port(&key.addr, key.port)
                    ),
                ));
            }
        }
        let clean = errors.is_empty();
        for e in errors {
            diagnostics.push(e);
        }
        clean.then_some(service)
    }
}

/// `ADDR:PORT`, with the IPv6 address in brackets.
pub(super) fn addr_port(addr: &IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

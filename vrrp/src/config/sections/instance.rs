//! `vrrp_instance`: its keywords, then the checks that need the whole
//! block and keepalived's defaults (vrrp.c:2855-3300).

use std::time::Duration;

use ha_conf::ConfigError;

use super::addresses::{tracked, virtual_addresses};
use super::global::version;
use super::keywords::INSTANCE_KNOWN;
use super::{block_of, no_block, note, notify_keyword, refuse, Seen};
use crate::config::lexer::Word;
use crate::config::model::{Authentication, GlobalDefs, Notify, StartState, VrrpInstance};
use crate::config::tree::Statement;
use crate::config::values::{address, flag, none, one, seconds, unsigned, whole_seconds};
use crate::packet::{Family, Version, MAX_V3_INTERVAL, PRIORITY_OWNER};

/// What an instance has read so far, before defaults are settled.
struct Draft {
    instance: VrrpInstance,
    version: Option<Version>,
    garp_master_delay: Option<Duration>,
    garp_master_repeat: Option<u32>,
    garp_master_refresh: Option<Duration>,
    garp_master_refresh_repeat: Option<u32>,
    advert_int: Option<(Duration, Word)>,
    auth_type_pass: Option<Word>,
    auth_pass: Option<Word>,
    has_interface: bool,
    has_vrid: bool,
}

/// `vrrp_instance NAME { ... }`; `global` gives the defaults.
pub fn vrrp_instance(
    s: &Statement,
    global: &GlobalDefs,
    interface_exists: &dyn Fn(&str) -> bool,
    errors: &mut Vec<ConfigError>,
) -> Option<VrrpInstance> {
    let name = note(errors, one(s))?.text.clone();
    let block = note(errors, block_of(s))?;
    let before = errors.len();
    let mut d = Draft {
        instance: VrrpInstance {
            name,
            state: None,
            interface: String::new(),
            virtual_router_id: 0,
            priority: 100,
            advert_int: Duration::from_secs(1),
            version: global.vrrp_version,
            authentication: None,
            virtual_ipaddress: Vec::new(),
            virtual_ipaddress_excluded: Vec::new(),
            track_interface: Vec::new(),
            track_script: Vec::new(),
            notify: Notify::default(),
            smtp_alert: None,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            accept: None,
            unicast_src_ip: None,
            unicast_peer: Vec::new(),
            garp_master_delay: global.vrrp_garp_master_delay,
            garp_master_repeat: global.vrrp_garp_master_repeat,
            garp_master_refresh: global.vrrp_garp_master_refresh,
            garp_master_refresh_repeat: global.vrrp_garp_master_refresh_repeat,
        },
        version: None,
        garp_master_delay: None,
        garp_master_repeat: None,
        garp_master_refresh: None,
        garp_master_refresh_repeat: None,
        advert_int: None,
        auth_type_pass: None,
        auth_pass: None,
        has_interface: false,
        has_vrid: false,
    };
    let mut seen = Seen::default();
    for k in &block.statements {
        if notify_keyword(k, &mut d.instance.notify, &mut seen, errors) {
            continue;
        }
        let result = instance_keyword(k, &mut d, &mut seen, interface_exists);
        note(errors, result);
    }
    settle(s, d, global, errors).filter(|_| errors.len() == before)
}

fn instance_keyword(
    k: &Statement,
    d: &mut Draft,
    seen: &mut Seen,
    interface_exists: &dyn Fn(&str) -> bool,
) -> Result<(), ConfigError> {
    let what = k.name();
    let takes_block = matches!(
        what,
        "authentication"
            | "virtual_ipaddress"
            | "virtual_ipaddress_excluded"
            | "track_interface"
            | "track_script"
            | "unicast_peer"
    );
    if !takes_block {
        no_block(k)?;
    }
    let multi = matches!(what, "preempt" | "nopreempt");
    if !multi {
        seen.first(k)?;
    }
    let i = &mut d.instance;
    match what {
        "state" => {
            let w = one(k)?;
            i.state = Some(match w.text.as_str() {
                "MASTER" => StartState::Master,
                "BACKUP" => StartState::Backup,
                other => {
                    return Err(
                        w.error(format!("state: expected MASTER or BACKUP, found '{other}'"))
                    )
                }
            });
        }
        "interface" => {
            let w = one(k)?;
            if w.text.is_empty() || w.text.len() >= 16 || w.text.contains(['/', ' ']) {
                return Err(w.error(format!(
                    "interface: '{}' is not an interface name (1 to 15 characters)",
                    w.text
                )));
            }
            if !interface_exists(&w.text) {
                return Err(w.error(format!(
                    "interface: '{}' does not exist on this host",
                    w.text
                )));
            }
            i.interface = w.text.clone();
            d.has_interface = true;
        }
        "virtual_router_id" => {
            i.virtual_router_id = unsigned(one(k)?, what, 1, 255)? as u8;
            d.has_vrid = true;
        }
        "priority" => i.priority = unsigned(one(k)?, what, 1, 255)? as u8,
        "advert_int" => {
            let w = one(k)?;
            let v = seconds(w, what, Duration::from_millis(10), Duration::from_secs(255))?;
            d.advert_int = Some((v, w.clone()));
        }
        "version" => d.version = Some(version(one(k)?, what)?),
        "authentication" => {
            none(k)?;
            let mut inner = Seen::default();
            for a in &block_of(k)?.statements {
                no_block(a)?;
                inner.first(a)?;
                match a.name() {
                    "auth_type" => {
                        let w = one(a)?;
                        match w.text.as_str() {
                            "PASS" => d.auth_type_pass = Some(w.clone()),
                            "AH" => {
                                return Err(
                                    w.error("auth_type: 'AH' is not supported yet (PASS is)")
                                )
                            }
                            other => {
                                return Err(w.error(format!(
                                    "auth_type: expected PASS or AH, found '{other}'"
                                )))
                            }
                        }
                    }
                    "auth_pass" => {
                        let w = one(a)?;
                        if w.text.is_empty() || w.text.len() > 8 {
                            return Err(w.error(format!(
                                "auth_pass: expected 1 to 8 characters, found {} \
                                 (keepalived would cut it to 8)",
                                w.text.len()
                            )));
                        }
                        d.auth_pass = Some(w.clone());
                    }
                    _ => {
                        return Err(
                            a.error(format!("authentication: unknown keyword '{}'", a.name()))
                        )
                    }
                }
            }
        }
        "virtual_ipaddress" => {
            none(k)?;
            i.virtual_ipaddress = virtual_addresses(block_of(k)?, what)?;
        }
        "virtual_ipaddress_excluded" => {
            none(k)?;
            i.virtual_ipaddress_excluded = virtual_addresses(block_of(k)?, what)?;
        }
        "track_interface" => {
            none(k)?;
            i.track_interface = tracked(block_of(k)?, what)?;
        }
        "track_script" => {
            none(k)?;
            i.track_script = tracked(block_of(k)?, what)?;
        }
        "unicast_peer" => {
            none(k)?;
            let mut peers = Vec::new();
            for line in &block_of(k)?.statements {
                no_block(line)?;
                if let Some(extra) = line.args.first() {
                    return Err(extra.error(format!(
                        "unicast_peer: '{}' is not supported yet (one address per line)",
                        extra.text
                    )));
                }
                peers.push(address(&line.keyword, what)?);
            }
            i.unicast_peer = peers;
        }
        "unicast_src_ip" => i.unicast_src_ip = Some(address(one(k)?, what)?),
        "smtp_alert" => i.smtp_alert = Some(flag(k)?),
        "nopreempt" => {
            none(k)?;
            i.nopreempt = true;
        }
        "preempt" => {
            none(k)?;
            i.nopreempt = false;
        }
        "preempt_delay" => {
            i.preempt_delay = seconds(one(k)?, what, Duration::ZERO, Duration::from_secs(1000))?
        }
        "accept" => {
            none(k)?;
            if i.accept.is_some() {
                return Err(k.error("accept: 'no_accept' is written too"));
            }
            i.accept = Some(true);
        }
        "no_accept" => {
            none(k)?;
            if i.accept.is_some() {
                return Err(k.error("no_accept: 'accept' is written too"));
            }
            i.accept = Some(false);
        }
        "garp_master_delay" => {
            d.garp_master_delay = Some(whole_seconds(one(k)?, what, 0, u32::MAX / 1_000_000)?)
        }
        "garp_master_repeat" => d.garp_master_repeat = Some(unsigned(one(k)?, what, 1, u32::MAX)?),
        "garp_master_refresh" => {
            d.garp_master_refresh = Some(whole_seconds(one(k)?, what, 0, u32::MAX)?)
        }
        "garp_master_refresh_repeat" => {
            d.garp_master_refresh_repeat = Some(unsigned(one(k)?, what, 1, u32::MAX)?)
        }
        "auth_type" | "auth_pass" => {
            return Err(k.error(format!(
                "'{what}' belongs in an 'authentication {{ ... }}' block"
            )))
        }
        _ => return Err(refuse(k, INSTANCE_KNOWN, "vrrp_instance")),
    }
    Ok(())
}

/// The checks that need the whole block, and the defaults.
fn settle(
    s: &Statement,
    mut d: Draft,
    global: &GlobalDefs,
    errors: &mut Vec<ConfigError>,
) -> Option<VrrpInstance> {
    let i = &mut d.instance;
    let at = |message: String| s.error(format!("vrrp_instance {}: {message}", i.name));
    if !d.has_interface {
        errors.push(at("expected an 'interface' line".into()));
    }
    if !d.has_vrid {
        errors.push(at("expected a 'virtual_router_id' line".into()));
    }
    let family = i.family();
    let mixed = i
        .virtual_ipaddress
        .iter()
        .chain(&i.virtual_ipaddress_excluded)
        .map(|a| Family::of(&a.address))
        .chain(i.unicast_src_ip.iter().map(Family::of))
        .chain(i.unicast_peer.iter().map(Family::of))
        .any(|f| f != family);
    if mixed && !i.virtual_ipaddress.is_empty() {
        errors.push(at(
            "virtual addresses, unicast_src_ip and unicast_peer must all be of one family".into(),
        ));
    }
    i.version = match (d.version, family) {
        (Some(Version::V2), Family::Ipv6) => {
            errors.push(at(
                "VRRP version 2 cannot carry IPv6 addresses (use version 3)".into(),
            ));
            Version::V2
        }
        (Some(v), _) => v,
        (None, Family::Ipv6) => Version::V3,
        (None, Family::Ipv4) => global.vrrp_version,
    };
    if let Some((interval, word)) = &d.advert_int {
        let ok = match i.version {
            Version::V2 => interval.subsec_micros() == 0,
            Version::V3 => {
                interval.as_micros() % 10_000 == 0
                    && interval.as_millis() / 10 <= u128::from(MAX_V3_INTERVAL)
            }
        };
        if !ok {
            errors.push(word.error(match i.version {
                Version::V2 => format!(
                    "advert_int: VRRPv2 advertises whole seconds (1 to 255), found '{}'",
                    word.text
                ),
                Version::V3 => format!(
                    "advert_int: VRRPv3 advertises centiseconds (0.01 to 40.95), found '{}'",
                    word.text
                ),
            }));
        }
        i.advert_int = *interval;
    }
    match (&d.auth_type_pass, &d.auth_pass) {
        (Some(_), Some(pass)) => {
            if i.version == Version::V3 {
                errors.push(pass.error("authentication: VRRPv3 has no authentication"));
            }
            i.authentication = Some(Authentication {
                pass: pass.text.clone(),
            });
        }
        (Some(kind), None) => errors.push(kind.error("authentication: expected an auth_pass line")),
        (None, Some(pass)) => errors.push(pass.error("authentication: expected 'auth_type PASS'")),
        (None, None) => {}
    }
    if i.nopreempt && i.priority == PRIORITY_OWNER {
        errors.push(at(
            "nopreempt cannot be used with priority 255 (the owner always preempts)".into(),
        ));
    }
    if i.nopreempt && i.state == Some(StartState::Master) {
        errors.push(at(
            "nopreempt needs 'state BACKUP' (keepalived clears it for MASTER)".into(),
        ));
    }
    if !i.preempt_delay.is_zero() && i.nopreempt {
        errors.push(at("preempt_delay cannot be used with nopreempt".into()));
    }
    if !i.preempt_delay.is_zero() && i.state == Some(StartState::Master) {
        errors.push(at(
            "preempt_delay needs 'state BACKUP' (keepalived clears it for MASTER)".into(),
        ));
    }
    if let Some(v) = d.garp_master_delay {
        i.garp_master_delay = v;
    }
    if let Some(v) = d.garp_master_repeat {
        i.garp_master_repeat = v;
    }
    if let Some(v) = d.garp_master_refresh {
        i.garp_master_refresh = v;
    }
    if let Some(v) = d.garp_master_refresh_repeat {
        i.garp_master_refresh_repeat = v;
    }
    if i.virtual_ipaddress.len() > 255 {
        errors.push(at(
            "more than 255 virtual addresses do not fit in an advert".into(),
        ));
    }
    Some(d.instance)
}

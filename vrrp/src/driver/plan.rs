//! From a parsed keepalived.conf and the host's interfaces to what the
//! driver runs: per instance the state machine's settings, its addresses
//! resolved to interfaces (with their labels), where its adverts go, and
//! which socket they share (one per interface, family and source
//! address). What the driver does not carry out yet is refused here, by
//! name, so that `check-config` and `run` refuse the same files.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ha_conf::{ConfigError, Source};

use crate::config::{lexer, tree, Includes};
use crate::config::{KeepalivedConf, Notify, ScriptUser, VirtualAddress, VrrpInstance};
use crate::instance::Config;
use crate::packet::{Family, MULTICAST_V4, MULTICAST_V6};

use super::garp::GarpPlan;

/// What the driver needs to know of an interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Its first (primary) IPv4 address.
    pub primary_v4: Option<Ipv4Addr>,
    /// Its link-local IPv6 address.
    pub link_local: Option<Ipv6Addr>,
}

/// One address an instance adds and removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    /// The address.
    pub address: IpAddr,
    /// Its prefix length (32 or 128 unless written).
    pub prefix: u8,
    /// `brd`.
    pub broadcast: Option<Ipv4Addr>,
    /// `dev`, else the instance's interface.
    pub interface: String,
    /// `label` (`eth0:1`).
    pub label: Option<String>,
}

impl Vip {
    fn of(line: &VirtualAddress, interface: &str) -> Vip {
        let host = match line.address {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        Vip {
            address: line.address,
            prefix: line.prefix_len.unwrap_or(host),
            broadcast: match line.brd {
                Some(IpAddr::V4(b)) => Some(b),
                _ => None,
            },
            interface: line.dev.clone().unwrap_or_else(|| interface.to_string()),
            label: line.label.clone(),
        }
    }
}

/// Where one socket is and sends from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketKey {
    /// The interface.
    pub interface: String,
    /// The source address (its family is the socket's).
    pub source: IpAddr,
}

/// One instance, ready to run.
#[derive(Debug, Clone)]
pub struct RouterPlan {
    /// The state machine's settings.
    pub config: Config,
    /// The instance's interface.
    pub interface: String,
    /// Every address it holds as master (advertised, then excluded).
    pub vips: Vec<Vip>,
    /// Where its adverts go: the multicast group or each unicast peer.
    pub destinations: Vec<IpAddr>,
    /// Its socket, an index into [`Plan::sockets`].
    pub socket: usize,
    /// Its announcement settings.
    pub garp: GarpPlan,
    /// Its notify scripts.
    pub notify: Notify,
}

/// Everything the driver runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The instances, in file order.
    pub routers: Vec<RouterPlan>,
    /// The sockets they share.
    pub sockets: Vec<SocketKey>,
    /// `script_user`.
    pub script_user: Option<ScriptUser>,
    /// `vrrp_garp_interval`.
    pub garp_interval: std::time::Duration,
    /// `vrrp_gna_interval`.
    pub gna_interval: std::time::Duration,
    /// `v3_checksum_as_v2`.
    pub v3_checksum_as_v2: bool,
}

/// What keepalived.conf asks that the driver does not do yet, each at
/// its FILE:LINE (the file parsed by [`crate::config`] first; empty:
/// everything is carried out): sync groups, `track_interface`,
/// `track_script`, `smtp_alert`, and an address's `scope`.
pub fn refuse_unsupported(source: &Source, includes: &mut dyn Includes) -> Vec<ConfigError> {
    let mut ignored = Vec::new();
    let words = lexer::words(source, includes, &mut ignored);
    let statements = tree::statements(&words, &mut ignored);
    let not_yet = |what: &str| format!("{what}: not implemented by the VRRP driver yet");
    let mut out = Vec::new();
    for s in &statements {
        match s.name() {
            "vrrp_sync_group" => out.push(s.error(not_yet("vrrp_sync_group"))),
            "vrrp_instance" => {
                let Some(block) = &s.block else { continue };
                for t in &block.statements {
                    match t.name() {
                        "track_interface" | "track_script" => out.push(t.error(not_yet(t.name()))),
                        "smtp_alert"
                            if t.args.first().is_none_or(|a| {
                                !matches!(a.text.as_str(), "off" | "false" | "no")
                            }) =>
                        {
                            out.push(t.error(not_yet("smtp_alert")))
                        }
                        "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
                            let Some(addresses) = &t.block else { continue };
                            for a in &addresses.statements {
                                if a.args.iter().any(|w| w.text == "scope") {
                                    out.push(a.error(not_yet(&format!("{}: scope", a.name()))));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What keepalived.conf asks that the driver does not do yet, one line
/// each, from the model (empty: everything is carried out); see
/// [`refuse_unsupported`] for the same at FILE:LINE.
pub fn unsupported(conf: &KeepalivedConf) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(group) = conf.sync_groups.first() {
        out.push(format!(
            "vrrp_sync_group {}: sync groups are not implemented by the VRRP driver yet",
            group.name
        ));
    }
    for i in &conf.instances {
        if !i.track_interface.is_empty() {
            out.push(format!(
                "vrrp_instance {}: track_interface is not implemented by the VRRP driver yet",
                i.name
            ));
        }
        if !i.track_script.is_empty() {
            out.push(format!(
                "vrrp_instance {}: track_script is not implemented by the VRRP driver yet",
                i.name
            ));
        }
        if i.smtp_alert == Some(true) {
            out.push(format!(
                "vrrp_instance {}: smtp_alert is not implemented by the VRRP driver yet",
                i.name
            ));
        }
        for line in i
            .virtual_ipaddress
            .iter()
            .chain(&i.virtual_ipaddress_excluded)
        {
            if line.scope.is_some() {
                out.push(format!(
                    "vrrp_instance {}: {}: scope is not implemented by the VRRP driver yet",
                    i.name, line.address
                ));
            }
        }
    }
    out
}

/// The plan for `conf` on a host whose interfaces `interface` describes;
/// `Err` lists every problem.
pub fn plan(
    conf: &KeepalivedConf,
    interface: &dyn Fn(&str) -> Option<InterfaceInfo>,
) -> Result<Plan, Vec<String>> {
    let mut errors = unsupported(conf);
    let mut sockets: BTreeMap<SocketKey, usize> = BTreeMap::new();
    let mut keys = Vec::new();
    let mut routers = Vec::new();
    for i in &conf.instances {
        match router(i, conf, interface) {
            Ok((key, mut router)) => {
                let next = keys.len();
                let index = *sockets.entry(key.clone()).or_insert(next);
                if index == next {
                    keys.push(key);
                }
                router.socket = index;
                routers.push(router);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Plan {
        routers,
        sockets: keys,
        script_user: conf.global.script_user.clone(),
        garp_interval: conf.global.vrrp_garp_interval,
        gna_interval: conf.global.vrrp_gna_interval,
        v3_checksum_as_v2: conf.global.v3_checksum_as_v2,
    })
}

fn router(
    i: &VrrpInstance,
    conf: &KeepalivedConf,
    interface: &dyn Fn(&str) -> Option<InterfaceInfo>,
) -> Result<(SocketKey, RouterPlan), String> {
    let info = interface(&i.interface).ok_or_else(|| {
        format!(
            "vrrp_instance {}: no interface named {}",
            i.name, i.interface
        )
    })?;
    let family = i.family();
    let source: IpAddr = match (i.unicast_src_ip, family) {
        (Some(src), _) => src,
        (None, Family::Ipv4) => IpAddr::V4(info.primary_v4.ok_or_else(|| {
            format!(
                "vrrp_instance {}: interface {} has no IPv4 address to send adverts from",
                i.name, i.interface
            )
        })?),
        (None, Family::Ipv6) => IpAddr::V6(info.link_local.ok_or_else(|| {
            format!(
                "vrrp_instance {}: interface {} has no link-local IPv6 address to send adverts from",
                i.name, i.interface
            )
        })?),
    };
    let destinations = if i.unicast_peer.is_empty() {
        vec![match family {
            Family::Ipv4 => IpAddr::V4(MULTICAST_V4),
            Family::Ipv6 => IpAddr::V6(MULTICAST_V6),
        }]
    } else {
        i.unicast_peer.clone()
    };
    let vips = i
        .virtual_ipaddress
        .iter()
        .chain(&i.virtual_ipaddress_excluded)
        .map(|line| Vip::of(line, &i.interface))
        .collect();
    let config = Config::from_conf(i, &conf.global, source);
    Ok((
        SocketKey {
            interface: i.interface.clone(),
            source,
        },
        RouterPlan {
            config,
            interface: i.interface.clone(),
            vips,
            destinations,
            socket: 0,
            garp: GarpPlan::of(i),
            notify: i.notify.clone(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NoIncludes;

    #[test]
    fn what_the_driver_does_not_do_is_refused_at_its_line() {
        let text = "vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n\
                    vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n\
                    \x20track_interface {\n  eth1\n }\n smtp_alert off\n\
                    \x20virtual_ipaddress {\n  10.0.0.1/24\n  10.0.0.2 scope link\n }\n}\n";
        let source = Source::new("k.conf", text);
        let got: Vec<String> = refuse_unsupported(&source, &mut NoIncludes)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "k.conf:1: vrrp_sync_group: not implemented by the VRRP driver yet",
                "k.conf:9: track_interface: not implemented by the VRRP driver yet",
                "k.conf:15: 10.0.0.2: scope: not implemented by the VRRP driver yet",
            ]
        );
    }
}

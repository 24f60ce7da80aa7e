//! keepalived.conf, read as keepalived 2.2.7 reads it.
//!
//! [`parse_keepalived_conf`] takes a [`Source`] (includes read from the
//! filesystem, relative to the including file), [`parse_with`] lets the
//! caller say where includes come from, [`load_keepalived_conf`] reads
//! the file first. Each returns a [`KeepalivedConf`] or every complaint at
//! once, each at its FILE:LINE. [`KeepalivedConf::render`] writes a model
//! back as text that parses to the same model.
//!
//! Lexing ([`lexer`]) and blocks ([`tree`]) follow keepalived's parser;
//! the sections and their keywords are in [`sections`]. Implemented:
//! `include` (glob patterns; see [`FileIncludes`]); `global_defs` (router_id,
//! notification_email, notification_email_from, smtp_server,
//! smtp_connect_timeout, script_user, enable_script_security,
//! vrrp_version, vrrp_garp_master_delay/repeat/refresh/refresh_repeat,
//! vrrp_garp_interval, vrrp_gna_interval, vrrp_strict, and keepalived
//! 2.3's v3_checksum_as_v2); `vrrp_script`; `vrrp_sync_group` (group,
//! notify*, smtp_alert); `vrrp_instance` (state, interface,
//! virtual_router_id, priority, advert_int, version, authentication PASS,
//! virtual_ipaddress and virtual_ipaddress_excluded with dev, label,
//! scope and brd, track_interface, track_script, notify*, smtp_alert,
//! nopreempt, preempt, preempt_delay, accept, no_accept, unicast_src_ip,
//! unicast_peer, garp_master_delay/repeat/refresh/refresh_repeat).
//! keepalived warns about an unknown keyword and goes on; we refuse it,
//! and every keyword it knows that we do not implement, by name.
//!
//! Beyond keepalived's own checks we refuse what it corrects with a
//! message and then runs anyway: a value out of range (it uses a default),
//! a password over 8 characters (it cuts it), nopreempt or preempt_delay
//! with `state MASTER` or priority 255 (it clears them), an advert_int
//! VRRPv2 or v3 cannot carry (it rounds), and a single-valued keyword
//! written twice in a block.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ha_conf::{ConfigError, ConfigErrors, Location, Source};

mod glob;
pub mod lexer;
mod model;
mod render;
mod sections;
pub mod tree;
mod values;

#[cfg(test)]
mod tests;

pub use lexer::{FileIncludes, Includes, NoIncludes};
pub use model::{
    Authentication, Command, GlobalDefs, KeepalivedConf, Notify, ScriptUser, SmtpServer,
    StartState, SyncGroup, Tracked, VirtualAddress, VrrpInstance, VrrpScript,
};
pub use values::render_seconds;

/// Top-level blocks keepalived 2.2.7 knows that we do not implement.
const ROOT_KNOWN: &[&str] = &[
    "SSL",
    "bfd_instance",
    "child_wait_time",
    "garp_group",
    "instance",
    "interface_up_down_delays",
    "linkbeat_interfaces",
    "linkbeat_use_polling",
    "namespace_with_ipsets",
    "net_namespace",
    "net_namespace_ipvs",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_file",
    "track_group",
    "use_pid_dir",
    "virtual_server",
    "virtual_server_group",
    "vrrp_track_file",
    "vrrp_track_process",
];

/// Reads keepalived.conf text; includes come from the filesystem.
pub fn parse_keepalived_conf(source: &Source) -> Result<KeepalivedConf, ConfigErrors> {
    parse_with(source, &mut FileIncludes)
}

/// Reads and parses a keepalived.conf file.
pub fn load_keepalived_conf(path: &Path) -> Result<KeepalivedConf, ConfigErrors> {
    parse_keepalived_conf(&Source::read(path)?)
}

/// Reads keepalived.conf text, includes expanded by `includes`.
pub fn parse_with(
    source: &Source,
    includes: &mut dyn Includes,
) -> Result<KeepalivedConf, ConfigErrors> {
    check_keepalived_conf(source, includes, &|_| true)
}

/// Reads keepalived.conf as [`parse_with`] does, and also refuses, at its
/// line, an instance `interface` for which `interface_exists` is false,
/// as keepalived does (`Non-existent interface specified in
/// configuration`); the caller says which interfaces exist, so that
/// parsing stays free of I/O.
pub fn check_keepalived_conf(
    source: &Source,
    includes: &mut dyn Includes,
    interface_exists: &dyn Fn(&str) -> bool,
) -> Result<KeepalivedConf, ConfigErrors> {
    let mut errors = Vec::new();
    let words = lexer::words(source, includes, &mut errors);
    let statements = tree::statements(&words, &mut errors);
    let mut conf = KeepalivedConf::default();
    let mut where_: Where = Where::default();
    let mut global_seen: Option<u32> = None;
    for s in &statements {
        if s.name() == "global_defs" {
            if let Some(first) = global_seen {
                errors.push(s.error(format!("global_defs written twice (first at line {first})")));
                continue;
            }
            global_seen = Some(s.keyword.location.line);
            if let Some(extra) = s.args.first() {
                errors.push(extra.error("global_defs: takes no name"));
            }
            match &s.block {
                Some(block) => sections::global_defs(block, &mut conf.global, &mut errors),
                None => errors.push(s.error("global_defs: expected a block in '{' and '}'")),
            }
        }
    }
    for s in &statements {
        let location = s.keyword.location.clone();
        match s.name() {
            "global_defs" => {}
            "vrrp_script" => {
                if let Some(script) = sections::vrrp_script(s, &mut errors) {
                    where_.note("vrrp_script", &script.name, &location, &mut errors);
                    where_.scripts.insert(script.name.clone(), location);
                    conf.scripts.push(script);
                }
            }
            "vrrp_sync_group" => {
                if let Some(group) = sections::vrrp_sync_group(s, &mut errors) {
                    where_.note("vrrp_sync_group", &group.name, &location, &mut errors);
                    where_.groups.push(location);
                    conf.sync_groups.push(group);
                }
            }
            "vrrp_instance" => {
                if let Some(instance) =
                    sections::vrrp_instance(s, &conf.global, interface_exists, &mut errors)
                {
                    where_.note("vrrp_instance", &instance.name, &location, &mut errors);
                    where_.instances.insert(instance.name.clone(), location);
                    conf.instances.push(instance);
                }
            }
            name if ROOT_KNOWN.contains(&name) => {
                errors.push(s.error(format!("'{name}' is not supported yet")))
            }
            name => errors.push(s.error(format!("unknown keyword '{name}'"))),
        }
    }
    cross_check(&conf, &where_, &mut errors);
    let mut diagnostics = ha_conf::Diagnostics::new();
    for e in errors {
        diagnostics.push(e);
    }
    diagnostics.finish(conf)
}

/// Where each named block was written, for the checks across blocks.
#[derive(Default)]
struct Where {
    names: BTreeMap<(&'static str, String), Location>,
    scripts: BTreeMap<String, Location>,
    instances: BTreeMap<String, Location>,
    groups: Vec<Location>,
}

impl Where {
    fn note(
        &mut self,
        kind: &'static str,
        name: &str,
        at: &Location,
        errors: &mut Vec<ConfigError>,
    ) {
        if let Some(first) = self.names.get(&(kind, name.to_string())) {
            errors.push(ConfigError {
                location: at.clone(),
                message: format!("{kind} {name} defined twice (first at {first})"),
            });
        } else {
            self.names.insert((kind, name.to_string()), at.clone());
        }
    }
}

fn cross_check(conf: &KeepalivedConf, at: &Where, errors: &mut Vec<ConfigError>) {
    let located = |location: Option<&Location>, message: String| ConfigError {
        location: location.cloned().unwrap_or(Location {
            path: std::sync::Arc::from(Path::new("keepalived.conf")),
            line: 0,
        }),
        message,
    };
    let mut routers: BTreeMap<(String, u8, bool), &str> = BTreeMap::new();
    for instance in &conf.instances {
        let here = at.instances.get(&instance.name);
        for t in &instance.track_script {
            if !at.scripts.contains_key(&t.name) {
                errors.push(located(
                    here,
                    format!(
                        "vrrp_instance {}: track_script '{}' names no vrrp_script",
                        instance.name, t.name
                    ),
                ));
            }
        }
        let key = (
            instance.interface.clone(),
            instance.virtual_router_id,
            instance.family() == crate::packet::Family::Ipv6,
        );
        if let Some(other) = routers.insert(key, &instance.name) {
            errors.push(located(
                here,
                format!(
                    "vrrp_instance {}: virtual_router_id {} on {} is already used by vrrp_instance {other}",
                    instance.name, instance.virtual_router_id, instance.interface
                ),
            ));
        }
    }
    let mut member_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (group, here) in conf.sync_groups.iter().zip(&at.groups) {
        let mut own = BTreeSet::new();
        for member in &group.group {
            if !at.instances.contains_key(member) {
                errors.push(located(
                    Some(here),
                    format!(
                        "vrrp_sync_group {}: '{member}' names no vrrp_instance",
                        group.name
                    ),
                ));
            } else if !own.insert(member.as_str()) {
                errors.push(located(
                    Some(here),
                    format!("vrrp_sync_group {}: '{member}' listed twice", group.name),
                ));
            } else if let Some(other) = member_of.insert(member, &group.name) {
                errors.push(located(
                    Some(here),
                    format!(
                        "vrrp_sync_group {}: '{member}' is already in vrrp_sync_group {other}",
                        group.name
                    ),
                ));
            }
        }
    }
}

//! The blocks of keepalived.conf: `global_defs`, `vrrp_script`,
//! `vrrp_sync_group` and `vrrp_instance`, keyword by keyword.
//!
//! Each section keeps the keywords keepalived 2.2.7 installs for it
//! (vrrp_parser.c:2088-2225, global_parser.c:2280-2460). A keyword we
//! implement is read; one keepalived knows and we do not is refused as
//! `'X' is not supported yet`; any other as `unknown keyword 'X'`.
//! A single-valued keyword written twice in one block is refused
//! (keepalived keeps one of them, and says so only for some).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ha_conf::ConfigError;

use super::model::{
    Authentication, Command, GlobalDefs, Notify, ScriptUser, SmtpServer, StartState, SyncGroup,
    Tracked, VirtualAddress, VrrpInstance, VrrpScript,
};
use super::tree::{Block, Statement};
use super::values::{address, flag, none, one, seconds, signed, unsigned, whole_seconds};
use crate::packet::{Family, Version, MAX_V3_INTERVAL, PRIORITY_OWNER};

/// `global_defs` keywords keepalived 2.2.7 knows and we do not implement.
const GLOBAL_KNOWN: &[&str] = &[
    "process_names",
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "lvs_process_name",
    "bfd_process_name",
    "smtp_helo_name",
    "smtp_alert",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "max_auto_priority",
    "min_auto_priority_delay",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "checker_log_all_failures",
    "dynamic_interfaces",
    "no_email_faults",
    "default_interface",
    "disable_local_igmp",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_down_timer_adverts",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_counters",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "fifo_write_vrrp_states_on_reload",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "snmp_socket",
    "enable_traps",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_checker",
    "enable_dbus",
    "dbus_service_name",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "rs_init_notifies",
    "no_checker_emails",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_startup_delay",
    "log_unknown_vrids",
    "vmac_prefix",
    "vmac_addr_prefix",
    "umask",
    "random_seed",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "tmp_config_directory",
    "data_use_instance",
];

/// `vrrp_instance` keywords keepalived 2.2.7 knows and we do not implement.
const INSTANCE_KNOWN: &[&str] = &[
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "unicast_fault_no_peer",
    "check_unicast_src",
    "old_unicast_checksum",
    "native_ipv6",
    "vrf",
    "dont_track_primary",
    "track_file",
    "track_process",
    "track_bfd",
    "mcast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "unicast_ttl",
    "promote_secondaries",
    "linkbeat_use_polling",
    "virtual_routes",
    "virtual_rules",
    "skip_check_adv_addr",
    "strict_mode",
    "debug",
    "notify_deleted",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
    "lvs_sync_daemon_interface",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "down_timer_adverts",
    "garp_extra_if",
    "vmac_garp_intvl",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "kernel_rx_buf_size",
];

/// `vrrp_sync_group` keywords keepalived 2.2.7 knows and we do not implement.
const SYNC_GROUP_KNOWN: &[&str] = &[
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "global_tracking",
    "sync_group_tracking_weight",
    "notify_priority_changes",
];

/// `vrrp_script` keywords keepalived 2.2.7 knows and we do not implement.
const SCRIPT_KNOWN: &[&str] = &["init_fail"];

/// The refusal of a keyword a section does not read.
fn refuse(statement: &Statement, known: &[&str], section: &str) -> ConfigError {
    if known.contains(&statement.name()) {
        statement.error(format!(
            "{section}: '{}' is not supported yet",
            statement.name()
        ))
    } else {
        statement.error(format!("{section}: unknown keyword '{}'", statement.name()))
    }
}

/// Remembers the single-valued keywords of one block.
#[derive(Default)]
struct Seen(BTreeMap<String, u32>);

impl Seen {
    /// Refuses a keyword already written in this block.
    fn first(&mut self, statement: &Statement) -> Result<(), ConfigError> {
        let line = statement.keyword.location.line;
        match self.0.insert(statement.name().to_string(), line) {
            None => Ok(()),
            Some(first) => Err(statement.error(format!(
                "'{}' written twice in this block (first at line {first})",
                statement.name()
            ))),
        }
    }
}

/// The statements of a keyword's block; a missing block is an error.
fn block_of(statement: &Statement) -> Result<&Block, ConfigError> {
    statement.block.as_ref().ok_or_else(|| {
        statement.error(format!(
            "{}: expected a block in '{{' and '}}'",
            statement.name()
        ))
    })
}

/// Refuses a block where none belongs.
fn no_block(statement: &Statement) -> Result<(), ConfigError> {
    match &statement.block {
        None => Ok(()),
        Some(_) => Err(statement.error(format!("{}: takes no block", statement.name()))),
    }
}

/// Pushes the error of a result.
fn note<T>(errors: &mut Vec<ConfigError>, result: Result<T, ConfigError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// `USER [GROUP]` from the words starting at `from`.
fn script_user(statement: &Statement, from: usize) -> Result<Option<ScriptUser>, ConfigError> {
    let words = statement.args.get(from..).unwrap_or_default();
    match words {
        [] => Ok(None),
        [user] => Ok(Some(ScriptUser {
            user: user.text.clone(),
            group: None,
        })),
        [user, group] => Ok(Some(ScriptUser {
            user: user.text.clone(),
            group: Some(group.text.clone()),
        })),
        [_, _, extra, ..] => Err(extra.error(format!(
            "{}: expected a command, then optionally a user and a group; found also '{}'",
            statement.name(),
            extra.text
        ))),
    }
}

/// A notify script: the command line (one word, quoted when it has
/// spaces), then optionally a user and a group.
fn command(statement: &Statement) -> Result<Command, ConfigError> {
    let Some(first) = statement.args.first() else {
        return Err(statement.error(format!(
            "{}: expected a command (quoted when it has arguments)",
            statement.name()
        )));
    };
    if first.text.trim().is_empty() {
        return Err(first.error(format!("{}: the command is empty", statement.name())));
    }
    Ok(Command {
        command: first.text.clone(),
        user: script_user(statement, 1)?,
    })
}

/// Reads a notify keyword into `notify`; `false` when it is not one.
fn notify_keyword(
    statement: &Statement,
    notify: &mut Notify,
    seen: &mut Seen,
    errors: &mut Vec<ConfigError>,
) -> bool {
    let slot = match statement.name() {
        "notify_master" => &mut notify.master,
        "notify_backup" => &mut notify.backup,
        "notify_fault" => &mut notify.fault,
        "notify_stop" => &mut notify.stop,
        "notify" => &mut notify.any,
        _ => return false,
    };
    if note(errors, seen.first(statement).and(no_block(statement))).is_some() {
        *slot = note(errors, command(statement));
    }
    true
}

/// `global_defs { ... }`.
pub fn global_defs(block: &Block, global: &mut GlobalDefs, errors: &mut Vec<ConfigError>) {
    let mut seen = Seen::default();
    for s in &block.statements {
        let name = s.name();
        if name != "notification_email" && note(errors, no_block(s)).is_none() {
            continue;
        }
        if let Err(e) = seen.first(s) {
            errors.push(e);
            continue;
        }
        let result = match name {
            "router_id" => one(s).map(|w| global.router_id = Some(w.text.clone())),
            "notification_email" => block_of(s).and_then(|b| {
                none(s)?;
                let mut list = Vec::new();
                for line in &b.statements {
                    if line.block.is_some() || !line.args.is_empty() {
                        return Err(line.error("notification_email: expected one address per line"));
                    }
                    list.push(line.keyword.text.clone());
                }
                global.notification_email = list;
                Ok(())
            }),
            "notification_email_from" => {
                one(s).map(|w| global.notification_email_from = Some(w.text.clone()))
            }
            "smtp_server" => smtp_server(s).map(|v| global.smtp_server = Some(v)),
            "smtp_connect_timeout" => one(s)
                .and_then(|w| whole_seconds(w, name, 1, u32::MAX / 1_000_000))
                .map(|v| global.smtp_connect_timeout = v),
            "script_user" => match s.args.first() {
                None => Err(s.error("script_user: expected a user name")),
                Some(_) => script_user(s, 0).map(|v| global.script_user = v),
            },
            "enable_script_security" => none(s).map(|()| global.enable_script_security = true),
            "vrrp_version" => one(s)
                .and_then(|w| version(w, name))
                .map(|v| global.vrrp_version = v),
            "vrrp_garp_master_delay" => one(s)
                .and_then(|w| whole_seconds(w, name, 0, u32::MAX / 1_000_000))
                .map(|v| global.vrrp_garp_master_delay = v),
            "vrrp_garp_master_repeat" => one(s)
                .and_then(|w| unsigned(w, name, 1, u32::MAX))
                .map(|v| global.vrrp_garp_master_repeat = v),
            "vrrp_garp_master_refresh" => one(s)
                .and_then(|w| whole_seconds(w, name, 0, u32::MAX))
                .map(|v| global.vrrp_garp_master_refresh = v),
            "vrrp_garp_master_refresh_repeat" => one(s)
                .and_then(|w| unsigned(w, name, 1, u32::MAX))
                .map(|v| global.vrrp_garp_master_refresh_repeat = v),
            "vrrp_garp_interval" => one(s)
                .and_then(|w| seconds(w, name, Duration::from_micros(1), Duration::from_secs(4294)))
                .map(|v| global.vrrp_garp_interval = v),
            "vrrp_gna_interval" => one(s)
                .and_then(|w| seconds(w, name, Duration::from_micros(1), Duration::from_secs(4294)))
                .map(|v| global.vrrp_gna_interval = v),
            "vrrp_strict" => none(s).map(|()| global.vrrp_strict = true),
            "v3_checksum_as_v2" => flag(s).map(|v| global.v3_checksum_as_v2 = v),
            _ => Err(refuse(s, GLOBAL_KNOWN, "global_defs")),
        };
        note(errors, result);
    }
}

fn smtp_server(s: &Statement) -> Result<SmtpServer, ConfigError> {
    match s.args.as_slice() {
        [host] => Ok(SmtpServer {
            host: host.text.clone(),
            port: 25,
        }),
        [host, port] => Ok(SmtpServer {
            host: host.text.clone(),
            port: unsigned(port, "smtp_server port", 1, 65535)? as u16,
        }),
        [] => Err(s.error("smtp_server: expected a host and optionally a port")),
        [_, _, extra, ..] => Err(extra.error(format!(
            "smtp_server: expected a host and optionally a port, found also '{}'",
            extra.text
        ))),
    }
}

fn version(word: &super::lexer::Word, what: &str) -> Result<Version, ConfigError> {
    match unsigned(word, what, 2, 3)? {
        2 => Ok(Version::V2),
        _ => Ok(Version::V3),
    }
}

/// `vrrp_script NAME { ... }`.
pub fn vrrp_script(s: &Statement, errors: &mut Vec<ConfigError>) -> Option<VrrpScript> {
    let name = note(errors, one(s))?.text.clone();
    let block = note(errors, block_of(s))?;
    let mut script = VrrpScript {
        name,
        script: String::new(),
        interval: Duration::from_secs(1),
        timeout: None,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        user: None,
    };
    let mut seen = Seen::default();
    let mut has_script = false;
    let before = errors.len();
    for k in &block.statements {
        if note(errors, no_block(k).and(seen.first(k))).is_none() {
            continue;
        }
        let what = k.name();
        let result = match what {
            "script" => command(k).and_then(|c| {
                if c.user.is_some() {
                    return Err(k.error(
                        "script: expected one command (quoted when it has arguments); \
                         use 'user' for the user",
                    ));
                }
                has_script = true;
                script.script = c.command;
                Ok(())
            }),
            "interval" => one(k)
                .and_then(|w| whole_seconds(w, what, 1, u32::MAX / 1_000_000))
                .map(|v| script.interval = v),
            "timeout" => one(k)
                .and_then(|w| whole_seconds(w, what, 1, u32::MAX / 1_000_000))
                .map(|v| script.timeout = Some(v)),
            "weight" => match k.args.as_slice() {
                [w] => signed(w, what, -253, 253).map(|v| script.weight = v),
                [w, r] if r.text == "reverse" => signed(w, what, -253, 253).map(|v| {
                    script.weight = v;
                    script.weight_reverse = true;
                }),
                _ => {
                    Err(k.error("weight: expected a number from -253 to 253, optionally 'reverse'"))
                }
            },
            "rise" => one(k)
                .and_then(|w| unsigned(w, what, 1, i32::MAX as u32))
                .map(|v| script.rise = v),
            "fall" => one(k)
                .and_then(|w| unsigned(w, what, 1, i32::MAX as u32))
                .map(|v| script.fall = v),
            "user" => match k.args.first() {
                None => Err(k.error("user: expected a user name")),
                Some(_) => script_user(k, 0).map(|v| script.user = v),
            },
            _ => Err(refuse(k, SCRIPT_KNOWN, "vrrp_script")),
        };
        note(errors, result);
    }
    if !has_script {
        errors.push(s.error(format!(
            "vrrp_script {}: expected a 'script' line",
            script.name
        )));
    }
    (errors.len() == before).then_some(script)
}

/// `vrrp_sync_group NAME { ... }`.
pub fn vrrp_sync_group(s: &Statement, errors: &mut Vec<ConfigError>) -> Option<SyncGroup> {
    let name = note(errors, one(s))?.text.clone();
    let block = note(errors, block_of(s))?;
    let mut group = SyncGroup {
        name,
        group: Vec::new(),
        notify: Notify::default(),
        smtp_alert: None,
    };
    let mut seen = Seen::default();
    let mut has_group = false;
    for k in &block.statements {
        if notify_keyword(k, &mut group.notify, &mut seen, errors) {
            continue;
        }
        let result = match k.name() {
            "group" => seen.first(k).and_then(|()| {
                none(k)?;
                has_group = true;
                group.group = names(block_of(k)?, "group")?;
                Ok(())
            }),
            "smtp_alert" => seen
                .first(k)
                .and(no_block(k))
                .and_then(|()| flag(k))
                .map(|v| group.smtp_alert = Some(v)),
            _ => Err(refuse(k, SYNC_GROUP_KNOWN, "vrrp_sync_group")),
        };
        note(errors, result);
    }
    if !has_group {
        errors.push(s.error(format!(
            "vrrp_sync_group {}: expected a 'group {{ ... }}' of instances",
            group.name
        )));
        return None;
    }
    Some(group)
}

/// One name per word of a block (instance names, peers).
fn names(block: &Block, what: &str) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        if line.block.is_some() {
            return Err(line.error(format!("{what}: expected names, not a block")));
        }
        out.push(line.keyword.text.clone());
        out.extend(line.args.iter().map(|w| w.text.clone()));
    }
    Ok(out)
}

/// What an instance has read so far, before defaults are settled.
struct Draft {
    instance: VrrpInstance,
    version: Option<Version>,
    garp_master_delay: Option<Duration>,
    garp_master_repeat: Option<u32>,
    garp_master_refresh: Option<Duration>,
    garp_master_refresh_repeat: Option<u32>,
    advert_int: Option<(Duration, super::lexer::Word)>,
    auth_type_pass: Option<super::lexer::Word>,
    auth_pass: Option<super::lexer::Word>,
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

/// The lines of a `virtual_ipaddress` block.
fn virtual_addresses(block: &Block, what: &str) -> Result<Vec<VirtualAddress>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        no_block(line)?;
        out.push(virtual_address(line, what)?);
    }
    Ok(out)
}

fn virtual_address(line: &Statement, what: &str) -> Result<VirtualAddress, ConfigError> {
    let text = &line.keyword.text;
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text.as_str(), None),
    };
    let address: IpAddr = addr
        .parse()
        .map_err(|_| line.error(format!("{what}: expected ADDRESS[/LENGTH], found '{text}'")))?;
    let max = match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let prefix_len = match len {
        None => None,
        Some(l) => Some(
            l.parse::<u8>()
                .ok()
                .filter(|l| *l <= max && !l.to_string().is_empty())
                .ok_or_else(|| {
                    line.error(format!("{what}: prefix length '{l}' is not 0 to {max}"))
                })?,
        ),
    };
    let mut vip = VirtualAddress {
        address,
        prefix_len,
        brd: None,
        dev: None,
        scope: None,
        label: None,
    };
    let mut words = line.args.iter();
    while let Some(option) = words.next() {
        match option.text.as_str() {
            "dev" => vip.dev = Some(next_value(&mut words, option, what)?.text.clone()),
            "label" => vip.label = Some(next_value(&mut words, option, what)?.text.clone()),
            "scope" => {
                let w = next_value(&mut words, option, what)?;
                let known = ["global", "site", "link", "host", "nowhere"];
                if !known.contains(&w.text.as_str()) && w.text.parse::<u8>().is_err() {
                    return Err(w.error(format!(
                        "{what}: scope '{}' is not global, site, link, host, nowhere or 0 to 255",
                        w.text
                    )));
                }
                vip.scope = Some(w.text.clone());
            }
            "brd" | "broadcast" => {
                let w = next_value(&mut words, option, what)?;
                let brd = super::values::address(w, "brd")?;
                if Family::of(&brd) != Family::of(&address) || brd.is_ipv6() {
                    return Err(
                        w.error("brd: expected an IPv4 broadcast address for an IPv4 address")
                    );
                }
                vip.brd = Some(brd);
            }
            "peer" | "home" | "-nodad" | "nodad" | "noprefixroute" | "autojoin" | "track_group"
            | "no_track" | "preferred_lft" | "valid_lft" | "use_vmac" => {
                return Err(option.error(format!("{what}: '{}' is not supported yet", option.text)))
            }
            other => {
                return Err(option.error(format!(
                    "{what}: unknown option '{other}' (dev, label, scope, brd are read)"
                )))
            }
        }
    }
    Ok(vip)
}

/// The value after a virtual address option.
fn next_value<'a>(
    words: &mut std::slice::Iter<'a, super::lexer::Word>,
    option: &super::lexer::Word,
    what: &str,
) -> Result<&'a super::lexer::Word, ConfigError> {
    words
        .next()
        .ok_or_else(|| option.error(format!("{what}: '{}' expects a value", option.text)))
}

/// The lines of a `track_interface` or `track_script` block.
fn tracked(block: &Block, what: &str) -> Result<Vec<Tracked>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        no_block(line)?;
        let mut t = Tracked {
            name: line.keyword.text.clone(),
            weight: None,
            reverse: false,
        };
        match line.args.as_slice() {
            [] => {}
            [w, n] if w.text == "weight" => t.weight = Some(signed(n, "weight", -253, 253)?),
            [w, n, r] if w.text == "weight" && r.text == "reverse" => {
                t.weight = Some(signed(n, "weight", -253, 253)?);
                t.reverse = true;
            }
            [first, ..] => {
                return Err(first.error(format!(
                    "{what}: expected NAME [weight N [reverse]], found '{}'",
                    first.text
                )))
            }
        }
        out.push(t);
    }
    Ok(out)
}

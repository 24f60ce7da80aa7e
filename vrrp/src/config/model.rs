//! What a keepalived.conf says, keepalived 2.2.7's defaults filled in.

use std::net::IpAddr;
use std::time::Duration;

use crate::packet::{Family, Version};

/// A whole keepalived.conf (with its includes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeepalivedConf {
    /// `global_defs`.
    pub global: GlobalDefs,
    /// The `vrrp_script` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// The `vrrp_sync_group` blocks, in file order.
    pub sync_groups: Vec<SyncGroup>,
    /// The `vrrp_instance` blocks, in file order.
    pub instances: Vec<VrrpInstance>,
}

/// `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalDefs {
    /// `router_id`: the name in alerts (keepalived's default: the host
    /// name, left to the caller here).
    pub router_id: Option<String>,
    /// `notification_email { ... }`: alert recipients.
    pub notification_email: Vec<String>,
    /// `notification_email_from`.
    pub notification_email_from: Option<String>,
    /// `smtp_server HOST [PORT]`.
    pub smtp_server: Option<SmtpServer>,
    /// `smtp_connect_timeout` in whole seconds (default 30).
    pub smtp_connect_timeout: Duration,
    /// `script_user USER [GROUP]`: who runs scripts without a user.
    pub script_user: Option<ScriptUser>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `vrrp_version` (default 2).
    pub vrrp_version: Version,
    /// `vrrp_garp_master_delay` in whole seconds (default 5): the second
    /// round of gratuitous ARPs after becoming master.
    pub vrrp_garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat` (default 5).
    pub vrrp_garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh` in whole seconds (default 0: none).
    pub vrrp_garp_master_refresh: Duration,
    /// `vrrp_garp_master_refresh_repeat` (default 1).
    pub vrrp_garp_master_refresh_repeat: u32,
    /// `vrrp_garp_interval`: the gap between gratuitous ARPs (default 0).
    pub vrrp_garp_interval: Duration,
    /// `vrrp_gna_interval`: the gap between unsolicited NAs (default 0).
    pub vrrp_gna_interval: Duration,
    /// `vrrp_strict`: RFC conformance (no accept mode unless the owner).
    pub vrrp_strict: bool,
    /// `v3_checksum_as_v2` (keepalived 2.3's keyword): VRRPv3 over IPv4
    /// summed without the pseudo-header.
    pub v3_checksum_as_v2: bool,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_connect_timeout: Duration::from_secs(30),
            script_user: None,
            enable_script_security: false,
            vrrp_version: Version::V2,
            vrrp_garp_master_delay: Duration::from_secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Duration::ZERO,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_strict: false,
            v3_checksum_as_v2: false,
        }
    }
}

/// `smtp_server HOST [PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// An address or a host name.
    pub host: String,
    /// The port (default 25).
    pub port: u16,
}

/// A user and optional group scripts run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptUser {
    /// The user name.
    pub user: String,
    /// The group name (default: the user's group).
    pub group: Option<String>,
}

/// A notify script: `notify_master "/path/cmd args" [USER [GROUP]]`.
/// keepalived takes the first word (quoted when it has spaces) as the
/// command line and the next two as user and group (lib/notify.c:1086).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The command line, split into arguments when run.
    pub command: String,
    /// Who runs it (default `script_user`).
    pub user: Option<ScriptUser>,
}

/// The notify scripts of an instance or a sync group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notify {
    /// `notify_master`.
    pub master: Option<Command>,
    /// `notify_backup`.
    pub backup: Option<Command>,
    /// `notify_fault`.
    pub fault: Option<Command>,
    /// `notify_stop`.
    pub stop: Option<Command>,
    /// `notify`: called with the type, name, state and priority.
    pub any: Option<Command>,
}

/// `vrrp_script NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    /// The name `track_script` refers to.
    pub name: String,
    /// `script`: the command line.
    pub script: String,
    /// `interval` in whole seconds (default 1).
    pub interval: Duration,
    /// `timeout` in whole seconds (`None`: keepalived's default).
    pub timeout: Option<Duration>,
    /// `weight` (-253 to 253, default 0: a failure faults the instance).
    pub weight: i32,
    /// `weight N reverse`.
    pub weight_reverse: bool,
    /// `rise` (default 1).
    pub rise: u32,
    /// `fall` (default 1).
    pub fall: u32,
    /// `user USER [GROUP]`.
    pub user: Option<ScriptUser>,
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    /// The group's name.
    pub name: String,
    /// `group { INSTANCE ... }`: the instances that change state together.
    pub group: Vec<String>,
    /// The group's notify scripts.
    pub notify: Notify,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
}

/// The state an instance starts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartState {
    /// `state MASTER`: after one advert interval with no better master
    /// heard (at once when the priority is 255).
    Master,
    /// `state BACKUP`.
    Backup,
}

/// `authentication { auth_type PASS auth_pass SECRET }` (VRRPv2 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The password, 1 to 8 bytes.
    pub pass: String,
}

/// One line of `virtual_ipaddress`:
/// `ADDR[/LEN] [brd ADDR] [dev IF] [scope SCOPE] [label LABEL]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualAddress {
    /// The address.
    pub address: IpAddr,
    /// The prefix length (keepalived's default: 32 or 128).
    pub prefix_len: Option<u8>,
    /// `brd`: the broadcast address.
    pub brd: Option<IpAddr>,
    /// `dev`: the interface (default the instance's).
    pub dev: Option<String>,
    /// `scope`: global, site, link, host, nowhere or a number.
    pub scope: Option<String>,
    /// `label`: the address's label (`eth0:1`).
    pub label: Option<String>,
}

/// A `track_interface` or `track_script` line: `NAME [weight N [reverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The interface or script name.
    pub name: String,
    /// The weight (-253 to 253); `None`: a failure faults the instance
    /// (or the script's own weight, for scripts).
    pub weight: Option<i32>,
    /// `reverse`: the weight applies when up instead of down.
    pub reverse: bool,
}

/// `vrrp_instance NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    /// The instance's name.
    pub name: String,
    /// `state` (`None`: BACKUP).
    pub state: Option<StartState>,
    /// `interface`.
    pub interface: String,
    /// `virtual_router_id` (1 to 255).
    pub virtual_router_id: u8,
    /// `priority` (1 to 255, default 100).
    pub priority: u8,
    /// `advert_int` (default 1 s; whole seconds for v2, centiseconds up to
    /// 40.95 s for v3).
    pub advert_int: Duration,
    /// `version` (default `vrrp_version`; 3 for IPv6).
    pub version: Version,
    /// `authentication` (v2 only).
    pub authentication: Option<Authentication>,
    /// `virtual_ipaddress`: the addresses advertised.
    pub virtual_ipaddress: Vec<VirtualAddress>,
    /// `virtual_ipaddress_excluded`: added and removed, not advertised.
    pub virtual_ipaddress_excluded: Vec<VirtualAddress>,
    /// `track_interface`.
    pub track_interface: Vec<Tracked>,
    /// `track_script`.
    pub track_script: Vec<Tracked>,
    /// The notify scripts.
    pub notify: Notify,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `nopreempt` (only with `state BACKUP`, below priority 255).
    pub nopreempt: bool,
    /// `preempt_delay` (0 to 1000 s).
    pub preempt_delay: Duration,
    /// `accept` / `no_accept` (`None`: keepalived's default, on unless
    /// `vrrp_strict` and not the owner).
    pub accept: Option<bool>,
    /// `unicast_src_ip`.
    pub unicast_src_ip: Option<IpAddr>,
    /// `unicast_peer { ... }`: adverts go to these instead of multicast.
    pub unicast_peer: Vec<IpAddr>,
    /// `garp_master_delay` (default `vrrp_garp_master_delay`).
    pub garp_master_delay: Duration,
    /// `garp_master_repeat` (default `vrrp_garp_master_repeat`).
    pub garp_master_repeat: u32,
    /// `garp_master_refresh` (default `vrrp_garp_master_refresh`).
    pub garp_master_refresh: Duration,
    /// `garp_master_refresh_repeat` (default
    /// `vrrp_garp_master_refresh_repeat`).
    pub garp_master_refresh_repeat: u32,
}

impl VrrpInstance {
    /// The address family of the instance: that of its addresses, IPv4
    /// when it has none.
    pub fn family(&self) -> Family {
        self.virtual_ipaddress
            .first()
            .map(|a| Family::of(&a.address))
            .unwrap_or(Family::Ipv4)
    }

    /// Whether accept mode is on, keepalived's default applied
    /// (vrrp.c:3154-3159: on for the owner, else on unless `vrrp_strict`).
    pub fn accept_mode(&self, strict: bool) -> bool {
        self.accept
            .unwrap_or(self.priority == crate::packet::PRIORITY_OWNER || !strict)
    }
}

//! The data model of ldirectord.cf: global settings and virtual services.
//!
//! Values are stored as the file gave them, after ldirectord's per-block
//! defaults were applied (protocol from the port, service from the port,
//! scheduler `wrr`, check type `negotiate`, forwarding `gate`, weight 1).
//! Settings that may be given globally and overridden per virtual service
//! are kept as [`Overridable`] (`None` = not written at that level); the
//! values a virtual service actually runs with come from
//! [`DirectorConfig::settings`](super::DirectorConfig::settings).
//!
//! Addresses, protocols, schedulers and forwarding methods are ha-ipvs
//! types, so that the reconciler can build the IPVS table directly
//! ([`VirtualService::ipvs_service`], [`VirtualService::destination`]).
//! Check types, services and HTTP methods are the check engine's own
//! ([`crate::check::kind`]), so that a check is built from the model
//! without translation.
//!
//! Every virtual service, real server and fallback carries the [`Origin`]
//! it was read from, for messages naming `FILE:LINE`. Origins never take
//! part in equality: moving a block in the file does not change the
//! configuration.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::check::{CheckType, HttpMethod, Service};
use ha_conf::Location;
pub use ha_ipvs::{AddressFamily, Forwarding, Netmask, Protocol, SchedulerFlags, ServiceKey};

/// ldirectord's default `checkinterval`: 10 seconds.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(10);
/// ldirectord's default `checktimeout` when neither timeout is set: 5 s.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// ldirectord's default `negotiatetimeout` when neither timeout is set: 30 s.
pub const DEFAULT_NEGOTIATE_TIMEOUT: Duration = Duration::from_secs(30);
/// ldirectord's default scheduler for a virtual service.
pub const DEFAULT_SCHEDULER: &str = "wrr";
/// ldirectord's default log file.
pub const DEFAULT_LOGFILE: &str = "/var/log/ldirectord.log";
/// ldirectord's default `checkcommand`.
pub const DEFAULT_CHECK_COMMAND: &str = "/bin/true";

/// Where a virtual service, real server or fallback was written.
///
/// Equality and hashing ignore it (every two origins are equal), so that
/// configurations compare by content.
#[derive(Debug, Clone, Default)]
pub struct Origin(pub Option<Location>);

impl Origin {
    /// The origin of something read from a file line.
    pub fn at(location: Location) -> Self {
        Origin(Some(location))
    }

    /// The location, if the value was read from a file.
    pub fn location(&self) -> Option<&Location> {
        self.0.as_ref()
    }
}

impl PartialEq for Origin {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for Origin {}

impl Hash for Origin {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

/// A whole ldirectord.cf file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectorConfig {
    /// The settings outside any virtual service.
    pub global: GlobalSettings,
    /// The virtual services, in file order; no two share a [`ServiceKey`].
    pub virtual_services: Vec<VirtualService>,
}

/// Where ldirectord logs (`logfile=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogTarget {
    /// A file (a value starting with `/`).
    File(PathBuf),
    /// A syslog facility (`local0`, `daemon`...).
    Syslog(String),
}

impl Default for LogTarget {
    fn default() -> Self {
        LogTarget::File(PathBuf::from(DEFAULT_LOGFILE))
    }
}

/// The settings written outside any virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlobalSettings {
    /// Defaults every virtual service inherits unless it overrides them.
    pub defaults: Overridable,
    /// `fallback=`: the IPv4 fallback server of virtual services that name
    /// none; without a port it takes the virtual service's port.
    pub fallback: Option<Fallback>,
    /// `fallback6=`: the same for IPv6 virtual services.
    pub fallback6: Option<Fallback>,
    /// `autoreload=yes`: reload when the file changes on disk (default no).
    pub autoreload: bool,
    /// `callback="/path"`: run with the configuration's name after the file
    /// changed on disk.
    pub callback: Option<String>,
    /// `logfile=`: where to log (default `/var/log/ldirectord.log`).
    pub logfile: LogTarget,
    /// `maintenancedir=`: a file named after a real server in this
    /// directory forces it down.
    pub maintenance_dir: Option<PathBuf>,
    /// `readdquiescent=yes`: a real server found down and missing from the
    /// kernel's table is added back with weight 0 (default no).
    pub readd_quiescent: bool,
}

/// Settings that may be global and overridden in a virtual service; `None`
/// means "not written here". The `Default` has nothing written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Overridable {
    /// `checktimeout=`: timeout of connect, external and ping checks;
    /// falls back on negotiatetimeout, then 5 s.
    pub check_timeout: Option<Duration>,
    /// `negotiatetimeout=`: timeout of negotiate checks; falls back on
    /// checktimeout, then 30 s.
    pub negotiate_timeout: Option<Duration>,
    /// `connecttimeout=`: time allowed to establish a check's connection
    /// (older ldirectord's directive; 4.12 refuses it as deprecated). When
    /// unset the check's own timeout bounds the connection too.
    pub connect_timeout: Option<Duration>,
    /// `checkinterval=`: time between two checks of a real server (10 s).
    /// Honoured per virtual service (ldirectord honours that only with
    /// `fork=yes`).
    pub check_interval: Option<Duration>,
    /// `checkcount=` (deprecated by ldirectord): attempts per ping check (1).
    pub check_count: Option<u32>,
    /// `failurecount=`: consecutive failures before a real server is
    /// declared down (1).
    pub failure_count: Option<u32>,
    /// `quiescent=`: a down real server gets weight 0 instead of being
    /// removed. ldirectord 4.12's code defaults to no (its manual says yes).
    pub quiescent: Option<bool>,
    /// `cleanstop=`: stopping removes the virtual services (default yes).
    pub cleanstop: Option<bool>,
    /// `fallbackcommand=`: run with `start`/`stop`, `VIP:PORT` and the
    /// protocol when every real server is down / when one comes back.
    pub fallback_command: Option<String>,
}

/// What a virtual service runs with: its overrides over the globals over
/// ldirectord's defaults. Made by
/// [`DirectorConfig::settings`](super::DirectorConfig::settings).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffectiveSettings {
    /// Timeout of connect, external and ping checks.
    pub check_timeout: Duration,
    /// Timeout of negotiate checks.
    pub negotiate_timeout: Duration,
    /// Time allowed to establish a check's connection: `connecttimeout`
    /// when given, else the timeout of the check type.
    pub connect_timeout: Duration,
    /// Time between two checks of a real server.
    pub check_interval: Duration,
    /// Attempts per ping check.
    pub check_count: u32,
    /// Consecutive failures before a real server is declared down.
    pub failure_count: u32,
    /// Down real servers get weight 0 instead of being removed.
    pub quiescent: bool,
    /// Stopping removes the virtual service from the kernel.
    pub cleanstop: bool,
    /// Command run when the fallback server goes in or out.
    pub fallback_command: Option<String>,
    /// The fallback server, its port resolved, if any.
    pub fallback: Option<Fallback>,
}

/// A fallback server (`fallback=ADDR[:PORT] [gate|masq|ipip]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fallback {
    /// Where it was written.
    pub origin: Origin,
    /// Its address.
    pub addr: IpAddr,
    /// Its port; `None` in a global fallback written without one (the
    /// virtual service's port is used).
    pub port: Option<u16>,
    /// Forwarding method (default gate).
    pub forwarding: Forwarding,
}

/// One `virtual=` / `virtual6=` block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualService {
    /// The `virtual=` line.
    pub origin: Origin,
    /// Protocol, address and port, or firewall mark and family. The
    /// protocol is `protocol=`, else udp on port 53 and tcp otherwise.
    pub key: ServiceKey,
    /// `scheduler=` (default `wrr`): one of the kernel's schedulers
    /// ([`ha_ipvs::model::is_known_scheduler`]).
    pub scheduler: String,
    /// `schedflags=` (ipvsadm's `-b` names).
    pub scheduler_flags: SchedulerFlags,
    /// `persistent=`: persistence timeout in seconds.
    pub persistent: Option<u32>,
    /// `netmask=`: client grouping of a persistent service.
    pub netmask: Option<Netmask>,
    /// `ops=yes`: one-packet scheduling (UDP and firewall-mark services).
    pub one_packet: bool,
    /// `real=` / `real6=` lines, ranges expanded, in file order.
    pub reals: Vec<RealServer>,
    /// `fallback=` / `fallback6=` of this block (the port defaults to the
    /// virtual port).
    pub fallback: Option<Fallback>,
    /// How the real servers are checked.
    pub check: CheckSpec,
    /// Global settings this block overrides.
    pub overrides: Overridable,
    /// `servicename=`: a short name for messages.
    pub service_name: Option<String>,
    /// `comment=`: notes for messages.
    pub comment: Option<String>,
}

/// One real server of a virtual service (`real=ADDR[:PORT] gate|masq|ipip
/// [WEIGHT] ["REQUEST", "RECEIVE"] [l:LOW] [u:HIGH]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RealServer {
    /// The `real=` line (shared by every address of a range).
    pub origin: Origin,
    /// Its address.
    pub addr: IpAddr,
    /// Its port as written; 0 when omitted. See
    /// [`VirtualService::destination`] for the port IPVS uses.
    pub port: u16,
    /// Forwarding method.
    pub forwarding: Forwarding,
    /// Weight while healthy (default 1, at most 65535).
    pub weight: u32,
    /// This server's own request and receive strings, overriding the
    /// virtual service's.
    pub request_receive: Option<(String, String)>,
    /// Lower connection threshold (`l:N`), 0 for none.
    pub lower_threshold: u32,
    /// Upper connection threshold (`u:N`), 0 for none.
    pub upper_threshold: u32,
}

impl VirtualService {
    /// A virtual service on `key` with ldirectord's defaults: scheduler
    /// `wrr`, no flags, persistence or one-packet scheduling, no real or
    /// fallback server, a negotiate check of the service of its port
    /// (`none` for a firewall mark), nothing overridden, no origin.
    pub fn new(key: ServiceKey) -> Self {
        let service = match key {
            ServiceKey::Address { port, .. } => Service::for_port(port),
            ServiceKey::FirewallMark { .. } => Service::None,
        };
        VirtualService {
            origin: Origin::default(),
            key,
            scheduler: DEFAULT_SCHEDULER.to_string(),
            scheduler_flags: SchedulerFlags::NONE,
            persistent: None,
            netmask: None,
            one_packet: false,
            reals: Vec::new(),
            fallback: None,
            check: CheckSpec::new(service),
            overrides: Overridable::default(),
            service_name: None,
            comment: None,
        }
    }
}

impl RealServer {
    /// A real server at `addr` and `port` with ldirectord's defaults:
    /// gate, weight 1, no request/receive of its own, no connection
    /// thresholds, no origin.
    pub fn new(addr: IpAddr, port: u16) -> Self {
        RealServer {
            origin: Origin::default(),
            addr,
            port,
            forwarding: Forwarding::DirectRoute,
            weight: 1,
            request_receive: None,
            lower_threshold: 0,
            upper_threshold: 0,
        }
    }
}

/// How the real servers of a virtual service are checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckSpec {
    /// `checktype=` (default negotiate).
    pub check_type: CheckType,
    /// `service=`: the protocol a negotiate check speaks (default from the
    /// virtual port, `none` for firewall marks).
    pub service: Service,
    /// `checkport=`: port checked instead of the real server's.
    pub check_port: Option<u16>,
    /// `request=` as written. ldirectord prefixes a `/` when it is missing
    /// and the services that need no path (dns, ldap, simpletcp...) drop
    /// that first character again. `None`: ldirectord's `/`.
    pub request: Option<String>,
    /// `receive=` as written: a Perl regular expression that the answer
    /// must match, where the service compares answers. `None`: no check
    /// of the answer.
    pub receive: Option<String>,
    /// `httpmethod=` (default GET).
    pub http_method: HttpMethod,
    /// `virtualhost=`: the Host header of http/https checks.
    pub virtual_host: Option<String>,
    /// `login=`. ldirectord's defaults when unset: ftp `anonymous`, sip
    /// `ldirectord@HOSTNAME`, others none.
    pub login: Option<String>,
    /// `passwd=`. ldirectord's default when unset: ftp
    /// `ldirectord@HOSTNAME`, others none.
    pub passwd: Option<String>,
    /// `database=` (mysql, pgsql, oracle).
    pub database: Option<String>,
    /// `secret=` (radius).
    pub secret: Option<String>,
    /// `checkcommand=` of external checks; `None`: `/bin/true`.
    pub check_command: Option<String>,
}

impl CheckSpec {
    /// ldirectord's defaults for a service: negotiate, GET, nothing else.
    pub fn new(service: Service) -> Self {
        CheckSpec {
            check_type: CheckType::Negotiate,
            service,
            check_port: None,
            request: None,
            receive: None,
            http_method: HttpMethod::Get,
            virtual_host: None,
            login: None,
            passwd: None,
            database: None,
            secret: None,
            check_command: None,
        }
    }
}

//! Plain data types for everything ipvsadm 1.31 can ask of the kernel's IPVS.
//!
//! These types describe virtual services, their real servers
//! (destinations), counters, timeouts, the connection-sync daemon and the
//! kernel's IPVS version. They hold no sockets and do no I/O: the netlink
//! layer turns them into attributes and back, the ipvsadm text formats print
//! and parse them, and the director's reconciler compares them.
//!
//! What the user configures ([`Service`], [`Destination`]) is kept apart
//! from what only the kernel reports ([`ServiceEntry`], [`DestinationEntry`]:
//! counters, connection counts, the hashed flag), so that "add, then read
//! back" can be compared with `==`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// The scheduler names the kernel ships (`ip_vs_<name>.ko`), in ipvsadm's
/// order. Any other name is passed to the kernel as is; the kernel refuses it
/// if no such scheduler module exists.
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
];

/// Schedulers of kernels newer than ipvsadm 1.31's list: `twos` (power of
/// two choices, `ip_vs_twos.ko`, Linux 6.3). Kept apart from
/// [`SCHEDULERS`] because older kernels, Debian 12's among them, lack it.
pub const NEWER_SCHEDULERS: &[&str] = &["twos"];

/// Whether a kernel may have a scheduler of this name: one of
/// [`SCHEDULERS`] or [`NEWER_SCHEDULERS`]. Whether the running kernel has
/// it shows only when a service is added.
pub fn is_known_scheduler(name: &str) -> bool {
    SCHEDULERS.contains(&name) || NEWER_SCHEDULERS.contains(&name)
}

/// The scheduler ipvsadm uses when none is given.
pub const DEFAULT_SCHEDULER: &str = "wlc";

/// The persistence timeout in seconds ipvsadm uses for a bare `-p`
/// (libipvs' `IPVS_SVC_PERSISTENT_TIMEOUT`, 6 minutes; its manual page's
/// "300" is out of date).
pub const DEFAULT_PERSISTENCE_TIMEOUT: u32 = 360;

/// Longest scheduler or persistence-engine name the kernel accepts, in bytes
/// (`IP_VS_SCHEDNAME_MAXLEN` and `IP_VS_PENAME_MAXLEN` less the NUL).
pub const MAX_NAME_LEN: usize = 15;

/// Longest sync-daemon interface name the kernel accepts, in bytes
/// (`IP_VS_IFNAME_MAXLEN` less the NUL).
pub const MAX_IFNAME_LEN: usize = 15;

/// Address family of a service or destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl AddressFamily {
    /// The `AF_*` number the kernel uses.
    pub fn to_raw(self) -> u16 {
        match self {
            AddressFamily::Inet => 2,
            AddressFamily::Inet6 => 10,
        }
    }

    /// The family of an `AF_*` number, if it is IPv4 or IPv6.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            2 => Some(AddressFamily::Inet),
            10 => Some(AddressFamily::Inet6),
            _ => None,
        }
    }

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        }
    }
}

/// Transport protocol of an address-and-port service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (`-t`), IP protocol 6.
    Tcp,
    /// UDP (`-u`), IP protocol 17.
    Udp,
    /// SCTP (`--sctp-service`), IP protocol 132.
    Sctp,
}

impl Protocol {
    /// The IP protocol number.
    pub fn to_raw(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// The protocol of an IP protocol number, if IPVS can balance it.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The upper-case name ipvsadm prints in listings (`TCP`, `UDP`, `SCTP`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What identifies a virtual service: protocol, address and port, or a
/// firewall mark (with the address family of the packets it marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// A service on one address and port (`-t`, `-u`, `--sctp-service`).
    Address {
        /// Transport protocol.
        protocol: Protocol,
        /// Virtual IP address; its family is the service's family.
        addr: IpAddr,
        /// Virtual port (0 for a port-less persistent service).
        port: u16,
    },
    /// A service matching packets carrying a netfilter mark (`-f`).
    FirewallMark {
        /// Family of the marked packets (`-6` for IPv6).
        af: AddressFamily,
        /// The mark, never 0 (0 means "no mark" to the kernel).
        mark: u32,
    },
}

impl ServiceKey {
    /// The service's address family.
    pub fn af(&self) -> AddressFamily {
        match self {
            ServiceKey::Address { addr, .. } => AddressFamily::of(addr),
            ServiceKey::FirewallMark { af, .. } => *af,
        }
    }
}

/// The netmask used to group clients of a persistent service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Netmask {
    /// An IPv4 netmask (`-M 255.255.255.0`); the default is 255.255.255.255.
    V4(Ipv4Addr),
    /// An IPv6 prefix length, 1 to 128 (`-M 64`); the default is 128.
    V6Prefix(u8),
}

impl Netmask {
    /// The netmask ipvsadm uses for a family when none is given: a single
    /// client address (255.255.255.255 or /128).
    pub fn default_for(af: AddressFamily) -> Self {
        match af {
            AddressFamily::Inet => Netmask::V4(Ipv4Addr::BROADCAST),
            AddressFamily::Inet6 => Netmask::V6Prefix(128),
        }
    }
}

/// Persistence of a virtual service (`-p`, `-M`, `--pe`): the same client
/// (or client network) goes to the same real server while it keeps coming
/// back within the timeout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Persistence {
    /// Seconds a client's affinity outlives its last connection.
    pub timeout: u32,
    /// Which client addresses count as the same client.
    pub netmask: Netmask,
    /// Persistence engine (`--pe sip`), if any.
    pub engine: Option<String>,
}

/// The three per-scheduler flags (`-b`). Their meaning depends on the
/// scheduler: for `sh`, flag 1 is `sh-fallback` and flag 2 `sh-port`; for
/// `mh`, flag 1 is `mh-fallback` and flag 2 `mh-port`; other schedulers
/// ignore them (ipvsadm calls them `flag-1`, `flag-2`, `flag-3`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SchedulerFlags {
    /// `IP_VS_SVC_F_SCHED1`: sh-fallback / mh-fallback / flag-1.
    pub flag1: bool,
    /// `IP_VS_SVC_F_SCHED2`: sh-port / mh-port / flag-2.
    pub flag2: bool,
    /// `IP_VS_SVC_F_SCHED3`: flag-3.
    pub flag3: bool,
}

impl SchedulerFlags {
    /// No scheduler flag set.
    pub const NONE: SchedulerFlags = SchedulerFlags {
        flag1: false,
        flag2: false,
        flag3: false,
    };

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::NONE
    }
}

/// A virtual service as configured (`ipvsadm -A` / `-E`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    /// What the service matches.
    pub key: ServiceKey,
    /// Scheduler name (`-s`), e.g. `wlc`; see [`SCHEDULERS`].
    pub scheduler: String,
    /// Scheduler flags (`-b`).
    pub scheduler_flags: SchedulerFlags,
    /// Persistence (`-p`, `-M`, `--pe`); `None` for a non-persistent service.
    pub persistence: Option<Persistence>,
    /// One-packet scheduling (`-o`, `--ops`): every UDP datagram is
    /// scheduled on its own.
    pub one_packet: bool,
}

impl Service {
    /// A service with the given key and scheduler and no options.
    pub fn new(key: ServiceKey, scheduler: impl Into<String>) -> Self {
        Service {
            key,
            scheduler: scheduler.into(),
            scheduler_flags: SchedulerFlags::NONE,
            persistence: None,
            one_packet: false,
        }
    }
}

/// A virtual service as the kernel reports it: its configuration plus what
/// only the kernel knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceEntry {
    /// The configuration, as the kernel holds it.
    pub service: Service,
    /// Whether the kernel flagged the service as hashed
    /// (`IP_VS_SVC_F_HASHED`, set on every service in its table).
    pub hashed: bool,
    /// Traffic counters and rates.
    pub stats: Stats,
}

/// How packets reach a real server (`-g`, `-i`, `-m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forwarding {
    /// NAT (`-m`, "Masq"): the director rewrites the destination.
    Masquerade,
    /// The director itself serves ("Local"); the kernel picks this for a
    /// real server whose address is local, whatever was asked.
    Local,
    /// Tunnelling (`-i`, "Tunnel"), with its encapsulation.
    Tunnel(Tunnel),
    /// Direct routing (`-g`, "Route"): the default.
    DirectRoute,
    /// Cache bypass ("Bypass"); ipvsadm cannot ask for it, the kernel may
    /// report it.
    Bypass,
}

impl Forwarding {
    /// The `IP_VS_CONN_F_*` forwarding number (the `FWD_METHOD` attribute).
    pub fn to_raw(self) -> u32 {
        match self {
            Forwarding::Masquerade => 0,
            Forwarding::Local => 1,
            Forwarding::Tunnel(_) => 2,
            Forwarding::DirectRoute => 3,
            Forwarding::Bypass => 4,
        }
    }

    /// The word ipvsadm prints in its listings.
    pub fn name(self) -> &'static str {
        match self {
            Forwarding::Masquerade => "Masq",
            Forwarding::Local => "Local",
            Forwarding::Tunnel(_) => "Tunnel",
            Forwarding::DirectRoute => "Route",
            Forwarding::Bypass => "Bypass",
        }
    }
}

/// Encapsulation of a tunnelled real server (`--tun-type`, `--tun-port`,
/// `--tun-nocsum`/`--tun-csum`/`--tun-remcsum`). Kernels older than 5.2
/// know only IPIP and ignore the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tunnel {
    /// The encapsulation.
    pub kind: TunnelKind,
    /// Destination UDP port of GUE encapsulation; 0 otherwise.
    pub port: u16,
    /// Checksum option of GUE/GRE encapsulation.
    pub checksum: TunnelChecksum,
}

impl Tunnel {
    /// Plain IPIP, what `-i` alone asks for.
    pub const IPIP: Tunnel = Tunnel {
        kind: TunnelKind::Ipip,
        port: 0,
        checksum: TunnelChecksum::None,
    };
}

/// Tunnel encapsulation type (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// IP in IP (`ipip`), the default.
    Ipip,
    /// Generic UDP Encapsulation (`gue`), needs a port.
    Gue,
    /// Generic Routing Encapsulation (`gre`).
    Gre,
}

impl TunnelKind {
    /// The kernel's number for the type.
    pub fn to_raw(self) -> u8 {
        match self {
            TunnelKind::Ipip => 0,
            TunnelKind::Gue => 1,
            TunnelKind::Gre => 2,
        }
    }

    /// The type of a kernel number, if known.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(TunnelKind::Ipip),
            1 => Some(TunnelKind::Gue),
            2 => Some(TunnelKind::Gre),
            _ => None,
        }
    }

    /// The name ipvsadm uses (`ipip`, `gue`, `gre`).
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Ipip => "ipip",
            TunnelKind::Gue => "gue",
            TunnelKind::Gre => "gre",
        }
    }
}

/// Checksum option of a GUE or GRE tunnel (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TunnelChecksum {
    /// No checksum (`--tun-nocsum`), the default.
    #[default]
    None,
    /// Checksum (`--tun-csum`).
    Checksum,
    /// Remote checksum offload (`--tun-remcsum`).
    RemoteChecksum,
}

impl TunnelChecksum {
    /// The kernel's flag bits.
    pub fn to_raw(self) -> u16 {
        match self {
            TunnelChecksum::None => 0,
            TunnelChecksum::Checksum => 1,
            TunnelChecksum::RemoteChecksum => 2,
        }
    }

    /// The option of the kernel's flag bits, if they name one.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            0 => Some(TunnelChecksum::None),
            1 => Some(TunnelChecksum::Checksum),
            2 => Some(TunnelChecksum::RemoteChecksum),
            _ => None,
        }
    }
}

/// What identifies a real server within a service: its address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DestinationKey {
    /// Real server address (may differ in family from the service only for
    /// tunnelled servers).
    pub addr: IpAddr,
    /// Real server port (ignored by the kernel for DR and tunnels, which keep
    /// the virtual port).
    pub port: u16,
}

/// A real server as configured (`ipvsadm -a` / `-e`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Real server address.
    pub addr: IpAddr,
    /// Real server port.
    pub port: u16,
    /// Forwarding method (`-g`, `-i`, `-m`).
    pub forwarding: Forwarding,
    /// Weight (`-w`); 0 quiesces the server. ipvsadm accepts 0 to 65535.
    pub weight: u32,
    /// Upper connection threshold (`-x`); 0 means none.
    pub upper_threshold: u32,
    /// Lower connection threshold (`-y`); 0 means none.
    pub lower_threshold: u32,
}

impl Destination {
    /// A direct-routed real server of weight 1 without thresholds, as
    /// `ipvsadm -a -r ADDR:PORT` makes.
    pub fn new(addr: IpAddr, port: u16) -> Self {
        Destination {
            addr,
            port,
            forwarding: Forwarding::DirectRoute,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
        }
    }

    /// The address and port identifying this server.
    pub fn key(&self) -> DestinationKey {
        DestinationKey {
            addr: self.addr,
            port: self.port,
        }
    }
}

/// A real server as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DestinationEntry {
    /// The configuration, as the kernel holds it.
    pub destination: Destination,
    /// Established connections (`ActiveConn`).
    pub active_conns: u32,
    /// Other connections (`InActConn`).
    pub inactive_conns: u32,
    /// Persistence templates pointing at this server.
    pub persistent_conns: u32,
    /// Traffic counters and rates.
    pub stats: Stats,
}

/// Traffic counters and rate estimates of a service or real server
/// (`--stats`, `--rate`). Filled from the 64-bit `STATS64` attributes when
/// the kernel sends them, else from the older `STATS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Packets in per second.
    pub inpps: u64,
    /// Packets out per second.
    pub outpps: u64,
    /// Bytes in per second.
    pub inbps: u64,
    /// Bytes out per second.
    pub outbps: u64,
}

/// Connection timeouts in seconds (`--set tcp tcpfin udp`,
/// `-L --timeout`). When setting, 0 leaves that timeout unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// Established TCP sessions.
    pub tcp: u32,
    /// TCP sessions after a FIN.
    pub tcp_fin: u32,
    /// UDP flows.
    pub udp: u32,
}

/// Role of a connection-sync daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DaemonState {
    /// Sends the director's connection table (`--start-daemon master`).
    Master,
    /// Receives a master's table (`--start-daemon backup`).
    Backup,
}

impl DaemonState {
    /// The kernel's `IP_VS_STATE_*` number.
    pub fn to_raw(self) -> u32 {
        match self {
            DaemonState::Master => 1,
            DaemonState::Backup => 2,
        }
    }

    /// The state of a kernel number, if it names one daemon role.
    pub fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            1 => Some(DaemonState::Master),
            2 => Some(DaemonState::Backup),
            _ => None,
        }
    }

    /// The word ipvsadm uses (`master`, `backup`).
    pub fn name(self) -> &'static str {
        match self {
            DaemonState::Master => "master",
            DaemonState::Backup => "backup",
        }
    }
}

/// A connection-sync daemon (`--start-daemon`, `-L --daemon`). The optional
/// fields exist on kernels 4.3 and later; `None` lets the kernel choose (when
/// starting) or means the kernel did not say (when listing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DaemonConfig {
    /// Master or backup.
    pub state: DaemonState,
    /// Interface the sync messages use (`--mcast-interface`).
    pub mcast_ifname: String,
    /// Sync ID (`--syncid`), 0 to 255 in ipvsadm.
    pub syncid: u32,
    /// Largest sync message payload (`--sync-maxlen`).
    pub sync_maxlen: Option<u16>,
    /// Multicast group (`--mcast-group`), IPv4 or IPv6.
    pub mcast_group: Option<IpAddr>,
    /// Multicast UDP port (`--mcast-port`).
    pub mcast_port: Option<u16>,
    /// Multicast TTL (`--mcast-ttl`).
    pub mcast_ttl: Option<u8>,
}

impl DaemonConfig {
    /// A daemon with the given role, interface and sync ID and the kernel's
    /// defaults for everything else.
    pub fn new(state: DaemonState, mcast_ifname: impl Into<String>, syncid: u32) -> Self {
        DaemonConfig {
            state,
            mcast_ifname: mcast_ifname.into(),
            syncid,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }
}

/// Version of the kernel's IPVS, e.g. 1.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
    /// Patch number.
    pub patch: u8,
}

impl Version {
    /// The version of the kernel's number (`0x010201` is 1.2.1).
    pub fn from_code(code: u32) -> Self {
        let [_, major, minor, patch] = code.to_be_bytes();
        Version {
            major,
            minor,
            patch,
        }
    }

    /// The kernel's number of this version.
    pub fn code(self) -> u32 {
        u32::from_be_bytes([0, self.major, self.minor, self.patch])
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// General facts about the kernel's IPVS (`IPVS_CMD_GET_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Info {
    /// IPVS version.
    pub version: Version,
    /// Size of the connection hash table (`size=4096` in ipvsadm's banner).
    pub conn_tab_size: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_schedulers_are_the_kernels_modules() {
        assert_eq!(SCHEDULERS.len(), 13);
        for name in SCHEDULERS.iter().chain(NEWER_SCHEDULERS) {
            assert!(is_known_scheduler(name), "{name}");
            assert!(name.len() <= MAX_NAME_LEN, "{name}");
        }
        assert!(is_known_scheduler(DEFAULT_SCHEDULER));
        for name in ["", "nosuchsched", "WLC", "wlc ", "round-robin"] {
            assert!(!is_known_scheduler(name), "{name}");
        }
    }
}

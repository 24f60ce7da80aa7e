//! What an [`Instance`](super::Instance) is configured with, reads and
//! says.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::{GlobalDefs, StartState, VrrpInstance};
use crate::packet::{Advert, Auth, Family, Version};

/// One virtual router's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The instance's name (for notifications).
    pub name: String,
    /// The virtual router id.
    pub vrid: u8,
    /// VRRPv2 or VRRPv3.
    pub version: Version,
    /// IPv4 or IPv6.
    pub family: Family,
    /// This router's priority (1 to 255; 255 owns the addresses).
    pub priority: u8,
    /// How often a master advertises.
    pub advert_interval: Duration,
    /// The state asked for at start-up.
    pub start: StartState,
    /// Whether a higher-priority backup takes over from a lower master
    /// (`nopreempt` turns it off).
    pub preempt: bool,
    /// How long a backup waits, once it hears a lower-priority master,
    /// before it preempts it (keepalived's `preempt_delay`).
    pub preempt_delay: Duration,
    /// Accept mode: whether the master accepts packets for addresses it
    /// does not own (passed along with the addresses to add).
    pub accept: bool,
    /// v2's authentication (`Auth::None` or `Auth::Pass`).
    pub auth: Auth,
    /// The addresses advertised (`virtual_ipaddress`), in order.
    pub addresses: Vec<IpAddr>,
    /// Addresses the master holds but does not advertise
    /// (`virtual_ipaddress_excluded`).
    pub excluded: Vec<IpAddr>,
    /// This router's own address on the link (`unicast_src_ip` or the
    /// interface's primary address): the tie-break between equal
    /// priorities.
    pub primary_address: IpAddr,
    /// Whether adverts go to unicast peers (the TTL is then not checked).
    pub unicast: bool,
}

impl Config {
    /// The settings of a keepalived.conf instance; `primary_address` is
    /// the interface's (or `unicast_src_ip`).
    pub fn from_conf(
        instance: &VrrpInstance,
        global: &GlobalDefs,
        primary_address: IpAddr,
    ) -> Config {
        Config {
            name: instance.name.clone(),
            vrid: instance.virtual_router_id,
            version: instance.version,
            family: instance.family(),
            priority: instance.priority,
            advert_interval: instance.advert_int,
            start: instance.state.unwrap_or(StartState::Backup),
            preempt: !instance.nopreempt,
            preempt_delay: instance.preempt_delay,
            accept: instance.accept_mode(global.vrrp_strict),
            auth: match &instance.authentication {
                Some(a) => Auth::pass(a.pass.as_bytes()),
                None => Auth::None,
            },
            addresses: instance
                .virtual_ipaddress
                .iter()
                .map(|a| a.address)
                .collect(),
            excluded: instance
                .virtual_ipaddress_excluded
                .iter()
                .map(|a| a.address)
                .collect(),
            primary_address: instance.unicast_src_ip.unwrap_or(primary_address),
            unicast: !instance.unicast_peer.is_empty(),
        }
    }
}

/// The protocol state (RFC 5798 §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not running: before start-up and after shutdown.
    Initialize,
    /// Listening to a master.
    Backup,
    /// Holding the addresses and advertising.
    Master,
}

/// Why the state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Start-up as address owner (priority 255, `state MASTER`).
    Owner,
    /// Start-up or a master's advert: listening.
    Startup,
    /// No advert within the master-down interval (or the skew time after
    /// the master's priority-0 advert).
    MasterDown,
    /// An advert of higher priority, or of equal priority from a higher
    /// address.
    Preempted,
    /// The operator stopped the instance.
    Shutdown,
}

/// A received advert and what the IP layer says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The IP source address: the sender's primary address.
    pub source: IpAddr,
    /// The IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// The decoded advert.
    pub advert: Advert,
}

/// Why a received advert was dropped (each counted in [`Stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dropped {
    /// Another virtual router's advert (not counted: the driver routes
    /// by VRID).
    OtherVrid,
    /// A multicast advert whose TTL or hop limit is not 255: it came from
    /// off the link.
    Ttl(u8),
    /// Another VRRP version than ours.
    Version,
    /// Another address family than ours.
    Family,
    /// v2: another authentication type than ours.
    AuthType,
    /// v2: our authentication type, another password.
    AuthFailure,
    /// The advertised addresses are not ours.
    AddressList,
    /// v2: another advertisement interval than ours (keepalived drops
    /// these to avoid two masters, vrrp.c:946-950).
    Interval,
}

/// Counters of what the instance received, sent and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Adverts that passed every check.
    pub adverts_received: u64,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Dropped: TTL or hop limit not 255.
    pub ttl_errors: u64,
    /// Dropped: wrong version or family.
    pub version_errors: u64,
    /// Dropped: another authentication type.
    pub auth_type_mismatches: u64,
    /// Dropped: wrong password.
    pub auth_failures: u64,
    /// Dropped: another address list.
    pub address_list_errors: u64,
    /// Dropped: another interval (v2).
    pub interval_errors: u64,
    /// Accepted adverts of priority 0.
    pub priority_zero_received: u64,
    /// Times this router became master.
    pub became_master: u64,
    /// Times this router left master.
    pub released_master: u64,
}

/// What the instance asks its driver to do or say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this advert (to the multicast group or each unicast peer).
    SendAdvert(Advert),
    /// Add these addresses (advertised, then excluded) and announce them
    /// (gratuitous ARP, unsolicited NA); `accept` says whether packets to
    /// them are accepted when this router does not own them.
    AddAddresses {
        /// The addresses.
        addresses: Vec<IpAddr>,
        /// Accept mode.
        accept: bool,
    },
    /// Remove these addresses.
    RemoveAddresses(Vec<IpAddr>),
    /// The state changed (notify scripts and alerts follow from it).
    StateChanged {
        /// The state left.
        from: State,
        /// The state entered.
        to: State,
        /// Why.
        reason: Reason,
    },
}

//! What `ha-node vrrp status` shows of a running driver: per instance its
//! state, effective and configured priority, the master's address, the
//! advert counters and the drops by cause; per socket the packets that
//! did not decode. Serialisable, so the control socket answers it as
//! JSON and the client prints it as text.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::instance::{State, Stats};

/// The whole driver.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Each vrrp_instance, in file order.
    pub instances: Vec<InstanceStatus>,
    /// Each socket (interface and family).
    pub sockets: Vec<SocketStatus>,
}

/// One vrrp_instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// The instance's name.
    pub name: String,
    /// Its interface.
    pub interface: String,
    /// The virtual router id.
    pub vrid: u8,
    /// `MASTER`, `BACKUP` or `INIT` (stopped).
    pub state: String,
    /// The priority in effect.
    pub priority: u8,
    /// The configured priority.
    pub configured_priority: u8,
    /// The current master's address: ours while master, the sender of the
    /// last accepted advert while backup (`None` before one is heard).
    pub master: Option<IpAddr>,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Adverts accepted.
    pub adverts_received: u64,
    /// Accepted adverts of priority 0.
    pub priority_zero_received: u64,
    /// Times this router became master.
    pub became_master: u64,
    /// Times it left master.
    pub released_master: u64,
    /// Dropped adverts by cause.
    pub drops: Drops,
}

/// Dropped adverts of one instance, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    /// TTL or hop limit not 255.
    pub ttl: u64,
    /// Another version or family.
    pub version: u64,
    /// Another authentication type.
    pub auth_type: u64,
    /// A wrong password.
    pub auth_failure: u64,
    /// Another address list.
    pub address_list: u64,
    /// Another advert interval (v2).
    pub interval: u64,
}

impl Drops {
    /// The drop counters of `stats`.
    pub fn of(stats: &Stats) -> Drops {
        Drops {
            ttl: stats.ttl_errors,
            version: stats.version_errors,
            auth_type: stats.auth_type_mismatches,
            auth_failure: stats.auth_failures,
            address_list: stats.address_list_errors,
            interval: stats.interval_errors,
        }
    }

    /// All of them.
    pub fn total(&self) -> u64 {
        self.ttl
            + self.version
            + self.auth_type
            + self.auth_failure
            + self.address_list
            + self.interval
    }
}

/// One socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketStatus {
    /// The interface.
    pub interface: String,
    /// The address adverts are sent from.
    pub source: IpAddr,
    /// Packets that did not decode (length, type, checksum…).
    pub undecodable: u64,
    /// Adverts of a VRID no instance here runs.
    pub other_vrid: u64,
}

/// keepalived's word for a state.
pub fn state_word(state: State) -> &'static str {
    match state {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
    }
}

impl Status {
    /// The human-readable form.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for i in &self.instances {
            let master = i.master.map_or_else(|| "-".to_string(), |m| m.to_string());
            let _ = writeln!(
                out,
                "{}: {} (VRID {} on {}), priority {} (configured {}), master {}",
                i.name, i.state, i.vrid, i.interface, i.priority, i.configured_priority, master
            );
            let d = &i.drops;
            let _ = writeln!(
                out,
                "  adverts sent {} received {} (priority 0: {}); became master {}, released {}",
                i.adverts_sent,
                i.adverts_received,
                i.priority_zero_received,
                i.became_master,
                i.released_master
            );
            let _ = writeln!(
                out,
                "  dropped: ttl {} version {} auth_type {} auth_failure {} address_list {} interval {}",
                d.ttl, d.version, d.auth_type, d.auth_failure, d.address_list, d.interval
            );
        }
        for s in &self.sockets {
            let _ = writeln!(
                out,
                "socket {} from {}: undecodable {}, other VRIDs {}",
                s.interface, s.source, s.undecodable, s.other_vrid
            );
        }
        out
    }
}

//! Whether a serial line can carry the cluster's heartbeats.
//!
//! A line at B baud carries B / 10 bytes a second (8N1: ten bits a byte).
//! Every node sends one status message each keepalive, and on a serial
//! line every one of them crosses it, so the line needs
//! `nodes × status bytes / keepalive` bytes a second. The status size is
//! measured, not guessed: [`status_bytes`] writes a status message of this
//! node, holding every resource group, in the text form the line carries
//! (framing and signature included). A keepalive whose heartbeats need more
//! than the line carries is refused; the other traffic (resource messages,
//! retransmissions) must fit in what is left.

use std::fmt;
use std::time::Duration;

use ha_transport::serial::baud;
use ha_transport::spec::MediumSpec;

use super::HaConfig;
use crate::auth::AuthKeys;
use crate::message::{Header, Message, NodeState, Status};
use crate::wire;

/// What the heartbeats ask of the serial lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineLoad {
    /// The lines' rate.
    pub baud: u32,
    /// Nodes whose heartbeats cross each line.
    pub nodes: usize,
    /// Bytes of one status message as the line carries it.
    pub status_bytes: usize,
    /// Time between one node's heartbeats.
    pub keepalive: Duration,
}

impl LineLoad {
    /// The load of `ha`'s serial lines for status messages of
    /// `status_bytes`; none without serial lines.
    pub fn of(ha: &HaConfig, status_bytes: usize) -> Option<LineLoad> {
        ha.media
            .iter()
            .any(|m| matches!(m, MediumSpec::Serial { .. }))
            .then_some(LineLoad {
                baud: ha.baud,
                nodes: ha.nodes.len(),
                status_bytes,
                keepalive: ha.keepalive,
            })
    }

    /// What the line carries, in bytes a second.
    pub fn carried(&self) -> u64 {
        u64::from(baud::bytes_per_second(self.baud))
    }

    /// What the heartbeats need, in bytes a second (rounded up).
    pub fn needed(&self) -> u64 {
        let per_round = (self.nodes as u128) * (self.status_bytes as u128) * 1_000_000;
        let micros = self.keepalive.as_micros().max(1);
        u64::try_from(per_round.div_ceil(micros)).unwrap_or(u64::MAX)
    }

    /// Whether the line carries the heartbeats.
    pub fn fits(&self) -> bool {
        self.needed() <= self.carried()
    }
}

impl fmt::Display for LineLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {} baud the line carries {} bytes/s; {} nodes × 1 status of ~{} bytes \
             every {} ms needs {} bytes/s",
            self.baud,
            self.carried(),
            self.nodes,
            self.status_bytes,
            self.keepalive.as_millis(),
            self.needed()
        )
    }
}

/// The size of a status message from `node` holding `groups`, as a serial
/// line carries it: heartbeat's text form, signed with `keys`.
pub fn status_bytes(ha: &HaConfig, node: &str, groups: &[String], keys: &AuthKeys) -> usize {
    let status = Message::Status(Status {
        header: Header {
            from: node.to_owned(),
            uuid: [0xa5; 16],
            generation: u64::from(u32::MAX),
            seq: u64::from(u32::MAX),
        },
        state: NodeState::Active,
        deadtime_ms: u64::try_from(ha.deadtime.as_millis()).unwrap_or(u64::MAX),
        held: groups.to_vec(),
        failed: Vec::new(),
        // A node stands by only for groups it does not hold: `held` is the
        // longest list either way.
        standby: Vec::new(),
        ping_nodes: (!ha.ping_nodes.is_empty())
            .then(|| u32::try_from(ha.ping_nodes.len()).unwrap_or(u32::MAX)),
        lists_groups: true,
    });
    let ttl = wire::forwarding_ttl(1, ha.nodes.len() + ha.ping_nodes.len());
    status
        .to_wire(u64::from(u32::MAX), ttl)
        .and_then(|fields| wire::encode_text(&fields, keys))
        .map(|text| text.len())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ha_cf;

    fn ha(text: &str) -> HaConfig {
        parse_ha_cf(&ha_conf::Source::new("/etc/ha.d/ha.cf", text)).unwrap()
    }

    #[test]
    fn the_figures_read_as_a_sentence() {
        let config = ha("baud 9600\nkeepalive 100ms\nserial /dev/ttyS0\nnode a b\n");
        let load = LineLoad::of(&config, 250).unwrap();
        assert!(!load.fits());
        assert_eq!(
            load.to_string(),
            "at 9600 baud the line carries 960 bytes/s; 2 nodes × 1 status of ~250 bytes \
             every 100 ms needs 5000 bytes/s"
        );
        let slow = ha("baud 9600\nkeepalive 1\nserial /dev/ttyS0\nnode a b\n");
        assert!(LineLoad::of(&slow, 250).unwrap().fits());
        assert_eq!(LineLoad::of(&ha("bcast eth0\nnode a\n"), 250), None);
    }

    #[test]
    fn a_status_message_is_measured_in_its_text_form() {
        use crate::auth::{AuthKey, AuthMethod};
        let keys = AuthKeys {
            active: 1,
            keys: [(
                1,
                AuthKey {
                    method: AuthMethod::Sha1,
                    secret: b"x".to_vec(),
                },
            )]
            .into(),
        };
        let config = ha("serial /dev/ttyS0\nnode alpha beta\n");
        let bare = status_bytes(&config, "alpha", &[], &keys);
        assert!((150..400).contains(&bare), "{bare}");
        let held = status_bytes(&config, "alpha", &["web".into(), "db".into()], &keys);
        assert!(held > bare);
    }
}

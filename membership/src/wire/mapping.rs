//! The typed messages of [`crate::message`] as heartbeat's fields.
//!
//! What heartbeat 3.0.6 puts in its messages (its `send_local_status` and
//! `add_control_msg_fields`, confirmed by the reference capture):
//! - `seq`, `hg`, `dt` and `ts` are lowercase hex (`%lx`); receivers parse
//!   them as hex. `seq` counts from 1 in each generation `hg`.
//! - `dt` is the sender's current deadtime in milliseconds, and receivers use
//!   it as the deadtime *for that sender* (`HBDoMsg_T_STATUS` sets the node's
//!   `dead_ticks` from it). heartbeat adds 2000 ms for its first 5 seconds
//!   (`hb_add_deadtime(2000)` at start, popped after 5 s): with deadtime 2 s
//!   the capture shows `dt=fa0` (4000) while `st=init`, then `dt=7d0` (2000).
//! - `ts` is the sender's wall clock in seconds. We never act on it, but
//!   heartbeat drops a message whose `ts` is missing or 0, so we always send
//!   one and never 0.
//! - `protocol=1` in a status says the sender does flow control: it acks
//!   (`NS_ackmsg`) every tenth message, answers retransmission requests
//!   from its history of sent messages, and answers node-list requests
//!   (`reqnodes`) at start. We do none of these, so we never send the
//!   field. heartbeat takes the first status without it as a peer of
//!   another version (`HBDoMsg_T_STATUS`, heartbeat.c: "flow control
//!   disabled due to different version heartbeat"): it stops sending acks
//!   and waiting for them (its message history no longer fills up and its
//!   clients are never paused), and brings its communication up without
//!   the node-list exchange (`check_comm_isup` calls `comm_now_up`).
//! - `ttl` bounds forwarding across rings: heartbeat writes hopfudge (1 by
//!   default) plus the number of configured nodes, so 3 for two nodes; see
//!   [`forwarding_ttl`]. Receivers here ignore it.
//! - messages whose type begins with `NS_` carry no `seq`; heartbeat gives
//!   them sequence number 0, and so do we.
//! - `t=shutdone` carries `st=dead`.
//!
//! heartbeat's operator messages, as its hb_standby and hb_takeover scripts
//! send them: `t=ask_resources` with `rsc_hold` (`all`, `local`, `foreign`)
//! and `info` (`me`, `other`, `done`), and `t=hb_takeover` with `rsc_hold`.
//!
//! heartbeat's resource negotiation (hb_resource.c): `t=starting` (no
//! fields of its own) and `t=resource` with `rsc_hold` (`none`, `local`,
//! `foreign`, `all`), `rtype=full`, `isstable` (`0`/`1`) and `info`.
//!
//! Our extensions: every status we send says it lists what its sender
//! holds (`rsc_lists=1`), which tells a heartbeat peer's statuses from
//! ours; a status lists the groups its sender holds (`rsc_held`),
//! those that failed there (`rsc_failed`) and those it stands by for
//! (`rsc_standby`), names joined by newlines, each field left out when its
//! list is empty, and, from a node with ping nodes once it has judged them
//! all, how many it sees up (`num_ping`, decimal, the field ipfail's
//! `num_ping_nodes` message carries); heartbeat ignores
//! fields it does not know. `t=ha_genhint` tells the node named by `dest` the generation the
//! sender knows it by (`hint`, hex); heartbeat drops a message whose `dest`
//! is another node, and ignores types it does not know.

use super::error::WireError;
use super::fields::{Value, WireMessage};
use crate::message::{Header, Message, NodeState, Status, UNSEQUENCED_PREFIX};

const T_STATUS: &str = "status";
const T_SHUTDONE: &str = "shutdone";
const T_GENHINT: &str = "ha_genhint";
const T_ASKRESOURCES: &str = "ask_resources";
const T_TAKEOVER: &str = "hb_takeover";
const T_STARTING: &str = "starting";
const T_RESOURCES: &str = "resource";
const RTYPE: &str = "rtype";
const ISSTABLE: &str = "isstable";
const LISTS: &str = "rsc_lists";
const RSC_HOLD: &str = "rsc_hold";
const INFO: &str = "info";
const STANDBY: &str = "rsc_standby";
const HELD: &str = "rsc_held";
const FAILED: &str = "rsc_failed";
/// ipfail's name for a ping node count (`F_NUMPING`).
const NUM_PING: &str = "num_ping";

/// heartbeat's `ttl`: hopfudge (ha.cf, default 1) plus the number of nodes
/// in the configuration, ping nodes included.
pub fn forwarding_ttl(hopfudge: u32, node_count: usize) -> u32 {
    hopfudge.saturating_add(u32::try_from(node_count).unwrap_or(u32::MAX))
}

impl Message {
    /// The message as heartbeat fields, stamped with the wall clock
    /// (`ts`, informational) and the forwarding bound `ttl`.
    ///
    /// Fails if a name cannot travel: an empty node name or one holding NUL,
    /// a group name that is empty or holds a newline, or an `Other` whose
    /// kind is `status` or `shutdone` (those are [`Message::Status`] and
    /// [`Message::Shutdown`]).
    pub fn to_wire(&self, wall_clock_secs: u64, ttl: u32) -> Result<WireMessage, WireError> {
        let mut msg = WireMessage::new();
        match self {
            Message::Status(status) => {
                msg.push_string("t", T_STATUS)?;
                msg.push_string("st", status.state.as_str())?;
                msg.push_string("dt", &format!("{:x}", status.deadtime_ms))?;
                push_header(&mut msg, &status.header, T_STATUS, wall_clock_secs)?;
                push_groups(&mut msg, HELD, &status.held)?;
                push_groups(&mut msg, FAILED, &status.failed)?;
                push_groups(&mut msg, STANDBY, &status.standby)?;
                if let Some(count) = status.ping_nodes {
                    msg.push_string(NUM_PING, &count.to_string())?;
                }
                if status.lists_groups {
                    msg.push_string(LISTS, "1")?;
                }
            }
            Message::Starting(header) => {
                msg.push_string("t", T_STARTING)?;
                push_header(&mut msg, header, T_STARTING, wall_clock_secs)?;
            }
            Message::Resources {
                header,
                held,
                full,
                stable,
                info,
            } => {
                msg.push_string("t", T_RESOURCES)?;
                msg.push_string(RSC_HOLD, held)?;
                if *full {
                    msg.push_string(RTYPE, "full")?;
                }
                if let Some(stable) = stable {
                    msg.push_string(ISSTABLE, if *stable { "1" } else { "0" })?;
                }
                if let Some(info) = info {
                    msg.push_string(INFO, info)?;
                }
                push_header(&mut msg, header, T_RESOURCES, wall_clock_secs)?;
            }
            Message::AskResources {
                header,
                resources,
                info,
            } => {
                msg.push_string("t", T_ASKRESOURCES)?;
                msg.push_string(RSC_HOLD, resources)?;
                msg.push_string(INFO, info)?;
                push_header(&mut msg, header, T_ASKRESOURCES, wall_clock_secs)?;
            }
            Message::Takeover { header, resources } => {
                msg.push_string("t", T_TAKEOVER)?;
                msg.push_string(RSC_HOLD, resources)?;
                push_header(&mut msg, header, T_TAKEOVER, wall_clock_secs)?;
            }
            Message::Shutdown(header) => {
                msg.push_string("t", T_SHUTDONE)?;
                msg.push_string("st", NodeState::Dead.as_str())?;
                push_header(&mut msg, header, T_SHUTDONE, wall_clock_secs)?;
            }
            Message::GenerationHint { header, to, known } => {
                msg.push_string("t", T_GENHINT)?;
                msg.push_string("dest", to)?;
                msg.push_string("hint", &format!("{known:x}"))?;
                push_header(&mut msg, header, T_GENHINT, wall_clock_secs)?;
            }
            Message::Other { header, kind } => {
                if [
                    T_STATUS,
                    T_SHUTDONE,
                    T_GENHINT,
                    T_ASKRESOURCES,
                    T_TAKEOVER,
                    T_STARTING,
                    T_RESOURCES,
                ]
                .contains(&kind.as_str())
                {
                    return Err(WireError::FieldValue {
                        name: "t".to_owned(),
                        problem: "\"status\", \"shutdone\", \"ha_genhint\", \"ask_resources\", \"hb_takeover\", \"starting\" and \"resource\" are sent as their own Message variants",
                    });
                }
                msg.push_string("t", kind)?;
                push_header(&mut msg, header, kind, wall_clock_secs)?;
            }
        }
        msg.push_string("ttl", &ttl.to_string())?;
        Ok(msg)
    }

    /// The typed message a heartbeat message carries. `t=status`,
    /// `t=shutdone`, `t=ha_genhint`, `t=ask_resources` and `t=hb_takeover`
    /// are mapped field by field; every other type becomes
    /// [`Message::Other`] with its header.
    pub fn from_wire(msg: &WireMessage) -> Result<Message, WireError> {
        let kind = required_string(msg, "t")?;
        let header = header(msg, kind)?;
        Ok(match kind {
            T_STATUS => {
                let word = required_string(msg, "st")?;
                let state = NodeState::parse(word).ok_or(WireError::BadField {
                    name: "st",
                    problem: "not a node state (init, up, active, dead)",
                })?;
                Message::Status(Status {
                    header,
                    state,
                    deadtime_ms: hex_field(msg, "dt")?,
                    held: groups(msg, HELD)?,
                    failed: groups(msg, FAILED)?,
                    standby: groups(msg, STANDBY)?,
                    ping_nodes: ping_count(msg)?,
                    lists_groups: optional_string(msg, LISTS)? == Some("1"),
                })
            }
            T_SHUTDONE => Message::Shutdown(header),
            T_GENHINT => Message::GenerationHint {
                header,
                to: required_string(msg, "dest")?.to_owned(),
                known: hex_field(msg, "hint")?,
            },
            // heartbeat reads a missing `rsc_hold` as `all` (ask_for_resources).
            T_ASKRESOURCES => Message::AskResources {
                header,
                resources: optional_string(msg, RSC_HOLD)?.unwrap_or("all").to_owned(),
                info: optional_string(msg, INFO)?.unwrap_or_default().to_owned(),
            },
            T_TAKEOVER => Message::Takeover {
                header,
                resources: optional_string(msg, RSC_HOLD)?.unwrap_or("all").to_owned(),
            },
            T_STARTING => Message::Starting(header),
            T_RESOURCES => Message::Resources {
                header,
                held: required_string(msg, RSC_HOLD)?.to_owned(),
                full: optional_string(msg, RTYPE)? == Some("full"),
                stable: optional_string(msg, ISSTABLE)?.map(|word| word == "1"),
                info: optional_string(msg, INFO)?.map(str::to_owned),
            },
            _ => Message::Other {
                header,
                kind: kind.to_owned(),
            },
        })
    }
}

impl TryFrom<&WireMessage> for Message {
    type Error = WireError;

    fn try_from(msg: &WireMessage) -> Result<Self, Self::Error> {
        Message::from_wire(msg)
    }
}

fn push_header(
    msg: &mut WireMessage,
    header: &Header,
    kind: &str,
    wall_clock_secs: u64,
) -> Result<(), WireError> {
    msg.push_string("src", &header.from)?;
    msg.push_binary("srcuuid", &header.uuid)?;
    if !(kind.starts_with(UNSEQUENCED_PREFIX) && header.seq == 0) {
        msg.push_string("seq", &format!("{:x}", header.seq))?;
    }
    msg.push_string("hg", &format!("{:x}", header.generation))?;
    msg.push_string("ts", &format!("{:x}", wall_clock_secs.max(1)))
}

fn push_groups(msg: &mut WireMessage, name: &str, groups: &[String]) -> Result<(), WireError> {
    if groups.is_empty() {
        return Ok(());
    }
    if groups.iter().any(|g| g.is_empty() || g.contains('\n')) {
        return Err(WireError::FieldValue {
            name: name.to_owned(),
            problem: "a group name is empty or contains a newline",
        });
    }
    msg.push_string(name, &groups.join("\n"))
}

fn header(msg: &WireMessage, kind: &str) -> Result<Header, WireError> {
    let from = required_string(msg, "src")?.to_owned();
    let uuid = match msg.get("srcuuid") {
        None => return Err(WireError::MissingField("srcuuid")),
        Some(Value::Binary(bytes)) => {
            <[u8; 16]>::try_from(bytes).map_err(|_| WireError::BadField {
                name: "srcuuid",
                problem: "expected 16 bytes",
            })?
        }
        Some(_) => {
            return Err(WireError::BadField {
                name: "srcuuid",
                problem: "expected 16 raw bytes (type 1)",
            })
        }
    };
    let seq = if msg.get("seq").is_none() && kind.starts_with(UNSEQUENCED_PREFIX) {
        0
    } else {
        hex_field(msg, "seq")?
    };
    Ok(Header {
        from,
        uuid,
        generation: hex_field(msg, "hg")?,
        seq,
    })
}

fn required_string<'a>(msg: &'a WireMessage, name: &'static str) -> Result<&'a str, WireError> {
    match msg.get(name) {
        None => Err(WireError::MissingField(name)),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(WireError::BadField {
            name,
            problem: "expected a string (type 0)",
        }),
    }
}

/// A required field holding 1 to 16 hex digits.
fn hex_field(msg: &WireMessage, name: &'static str) -> Result<u64, WireError> {
    let text = required_string(msg, name)?;
    if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WireError::BadField {
            name,
            problem: "expected 1 to 16 hex digits",
        });
    }
    u64::from_str_radix(text, 16).map_err(|_| WireError::BadField {
        name,
        problem: "expected 1 to 16 hex digits",
    })
}

fn groups(msg: &WireMessage, name: &'static str) -> Result<Vec<String>, WireError> {
    let Some(text) = optional_string(msg, name)? else {
        return Ok(Vec::new());
    };
    text.split('\n')
        .map(|group| {
            if group.is_empty() {
                Err(WireError::BadField {
                    name,
                    problem: "an empty group name",
                })
            } else {
                Ok(group.to_owned())
            }
        })
        .collect()
}

/// `num_ping`, a decimal count, if present.
fn ping_count(msg: &WireMessage) -> Result<Option<u32>, WireError> {
    let Some(text) = optional_string(msg, NUM_PING)? else {
        return Ok(None);
    };
    let bad = WireError::BadField {
        name: NUM_PING,
        problem: "expected a decimal count",
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    text.parse().map(Some).map_err(|_| bad)
}

fn optional_string<'a>(
    msg: &'a WireMessage,
    name: &'static str,
) -> Result<Option<&'a str>, WireError> {
    match msg.get(name) {
        None => Ok(None),
        Some(_) => required_string(msg, name).map(Some),
    }
}

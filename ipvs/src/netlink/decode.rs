//! Decoding the kernel's replies: netlink framing, acknowledgements and
//! errors, and the IPVS attributes of services, real servers, sync daemons,
//! timeouts and version.
//!
//! [`Replies`] reads any bytes without panicking: a malformed message header
//! ends the iteration with an error, a malformed message body is reported for
//! that message alone. The fuzz target `ipvs_reply` feeds it raw bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::attrs::{get_be16, get_str, get_u16, get_u32, get_u8, get_uint, AttrTable};
use super::{
    cmd, cmd_attr, daemon_attr, dest_attr, info_attr, stats_attr, svc_attr, svc_flag, FWD_MASK,
    GENL_HDRLEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_OVERRUN, NLM_F_MULTI,
};
use crate::error::DecodeError;
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationEntry, Forwarding, Info,
    Netmask, Persistence, Protocol, SchedulerFlags, Service, ServiceEntry, ServiceKey, Stats,
    Timeouts, Tunnel, TunnelChecksum, TunnelKind, Version,
};

/// What one netlink message of a reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The request succeeded (`NLMSG_ERROR` with error 0).
    Ack,
    /// The kernel refused the request with this positive errno.
    Failed(i32),
    /// The end of a dump (`NLMSG_DONE`).
    Done,
    /// A virtual service (`IPVS_CMD_NEW_SERVICE`).
    Service(ServiceEntry),
    /// A real server (`IPVS_CMD_NEW_DEST`).
    Destination(DestinationEntry),
    /// A running sync daemon (`IPVS_CMD_NEW_DAEMON`).
    Daemon(DaemonConfig),
    /// The connection timeouts (`IPVS_CMD_SET_CONFIG`).
    Timeouts(Timeouts),
    /// Version and connection-table size (`IPVS_CMD_SET_INFO`).
    Info(Info),
    /// A message this binding has no use for (`NLMSG_NOOP`, another
    /// command); it is skipped.
    Ignored,
}

/// One decoded netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMessage {
    /// Sequence number of the request it answers.
    pub seq: u32,
    /// Whether the kernel flagged it as part of a multi-part reply.
    pub multi: bool,
    /// Its meaning, or why its body could not be read.
    pub reply: Result<Reply, DecodeError>,
}

/// The messages in one buffer received from a netlink socket.
pub struct Replies<'a> {
    rest: &'a [u8],
    service_af: AddressFamily,
}

impl<'a> Replies<'a> {
    /// Reads the messages in `bytes`. `service_af` is the family of the
    /// service whose real servers are being listed: kernels before 3.18 do
    /// not say a real server's family.
    pub fn new(bytes: &'a [u8], service_af: AddressFamily) -> Self {
        Replies {
            rest: bytes,
            service_af,
        }
    }
}

impl Iterator for Replies<'_> {
    type Item = Result<ReplyMessage, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some(header) = self.rest.get(..NLMSG_HDRLEN) else {
            self.rest = &[];
            return Some(Err(DecodeError::Truncated("netlink message header")));
        };
        let len = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = u16::from_ne_bytes([header[4], header[5]]);
        let flags = u16::from_ne_bytes([header[6], header[7]]);
        let seq = u32::from_ne_bytes([header[8], header[9], header[10], header[11]]);
        if len < NLMSG_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(DecodeError::BadLength {
                what: "netlink message",
                len,
            }));
        }
        let payload = &self.rest[NLMSG_HDRLEN..len];
        let next = super::attrs::align(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(Ok(ReplyMessage {
            seq,
            multi: flags & NLM_F_MULTI != 0,
            reply: decode_body(kind, payload, self.service_af),
        }))
    }
}

fn decode_body(kind: u16, payload: &[u8], service_af: AddressFamily) -> Result<Reply, DecodeError> {
    match kind {
        NLMSG_ERROR => {
            let code = payload
                .get(..4)
                .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or(DecodeError::Truncated("netlink error"))?;
            Ok(if code == 0 {
                Reply::Ack
            } else {
                Reply::Failed(errno_of(code))
            })
        }
        NLMSG_DONE => {
            // A dump that failed part-way puts the negative errno here.
            let code = payload
                .get(..4)
                .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .unwrap_or(0);
            Ok(if code == 0 {
                Reply::Done
            } else {
                Reply::Failed(errno_of(code))
            })
        }
        NLMSG_OVERRUN => Err(DecodeError::Unexpected(
            "the kernel reports lost netlink data".to_string(),
        )),
        kind if kind < 16 => Ok(Reply::Ignored),
        _ => decode_generic(payload, service_af),
    }
}

/// The positive errno of a netlink error code (the kernel sends it negated).
fn errno_of(code: i32) -> i32 {
    i32::try_from(code.unsigned_abs()).unwrap_or(i32::MAX)
}

fn decode_generic(payload: &[u8], service_af: AddressFamily) -> Result<Reply, DecodeError> {
    let header = payload
        .get(..GENL_HDRLEN)
        .ok_or(DecodeError::Truncated("generic netlink header"))?;
    let attrs = &payload[GENL_HDRLEN..];
    let top = AttrTable::<{ cmd_attr::MAX + 1 }>::parse(attrs)?;
    match header[0] {
        cmd::NEW_SERVICE => {
            let nest = top.require(cmd_attr::SERVICE, "service")?;
            decode_service(nest).map(Reply::Service)
        }
        cmd::NEW_DEST => {
            let nest = top.require(cmd_attr::DEST, "destination")?;
            decode_destination(nest, service_af).map(Reply::Destination)
        }
        cmd::NEW_DAEMON => {
            let nest = top.require(cmd_attr::DAEMON, "daemon")?;
            decode_daemon(nest).map(Reply::Daemon)
        }
        cmd::SET_CONFIG => decode_timeouts(&top).map(Reply::Timeouts),
        cmd::SET_INFO => decode_info(attrs).map(Reply::Info),
        _ => Ok(Reply::Ignored),
    }
}

fn decode_af(payload: &[u8]) -> Result<AddressFamily, DecodeError> {
    let raw = get_u16(payload, "address family")?;
    AddressFamily::from_raw(raw).ok_or(DecodeError::Invalid {
        what: "address family",
        value: u64::from(raw),
    })
}

/// An address of a family from a `union nf_inet_addr`.
fn decode_addr(payload: &[u8], af: AddressFamily) -> Result<IpAddr, DecodeError> {
    let bad = DecodeError::BadLength {
        what: "address",
        len: payload.len(),
    };
    match af {
        AddressFamily::Inet => {
            let b: [u8; 4] = payload
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or(bad)?;
            Ok(IpAddr::V4(Ipv4Addr::from(b)))
        }
        AddressFamily::Inet6 => {
            let b: [u8; 16] = payload
                .get(..16)
                .and_then(|b| b.try_into().ok())
                .ok_or(bad)?;
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
    }
}

fn decode_netmask(payload: &[u8], af: AddressFamily) -> Result<Netmask, DecodeError> {
    match af {
        AddressFamily::Inet => {
            let b: [u8; 4] =
                payload
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(DecodeError::BadLength {
                        what: "netmask",
                        len: payload.len(),
                    })?;
            Ok(Netmask::V4(Ipv4Addr::from(b)))
        }
        AddressFamily::Inet6 => {
            let prefix = get_u32(payload, "netmask")?;
            u8::try_from(prefix)
                .map(Netmask::V6Prefix)
                .map_err(|_| DecodeError::Invalid {
                    what: "IPv6 prefix length",
                    value: u64::from(prefix),
                })
        }
    }
}

/// Decodes the attributes nested in `IPVS_CMD_ATTR_SERVICE`.
pub(crate) fn decode_service(nest: &[u8]) -> Result<ServiceEntry, DecodeError> {
    let a = AttrTable::<{ svc_attr::MAX + 1 }>::parse(nest)?;
    let af = decode_af(a.require(svc_attr::AF, "service address family")?)?;
    let key = match a.get(svc_attr::FWMARK) {
        Some(mark) => ServiceKey::FirewallMark {
            af,
            mark: get_u32(mark, "firewall mark")?,
        },
        None => {
            let raw = get_u16(a.require(svc_attr::PROTOCOL, "protocol")?, "protocol")?;
            let protocol = Protocol::from_raw(raw).ok_or(DecodeError::Invalid {
                what: "protocol",
                value: u64::from(raw),
            })?;
            ServiceKey::Address {
                protocol,
                addr: decode_addr(a.require(svc_attr::ADDR, "service address")?, af)?,
                port: get_be16(a.require(svc_attr::PORT, "service port")?, "service port")?,
            }
        }
    };
    let scheduler = get_str(a.require(svc_attr::SCHED_NAME, "scheduler")?, "scheduler")?;
    let flags_raw = a.require(svc_attr::FLAGS, "service flags")?;
    let flags = get_u32(flags_raw, "service flags")?
        & flags_raw
            .get(4..)
            .map(|mask| get_u32(mask, "service flags mask"))
            .transpose()?
            .unwrap_or(u32::MAX);
    let timeout = get_u32(a.require(svc_attr::TIMEOUT, "timeout")?, "timeout")?;
    let netmask = decode_netmask(a.require(svc_attr::NETMASK, "netmask")?, af)?;
    let engine = a
        .get(svc_attr::PE_NAME)
        .map(|pe| get_str(pe, "persistence engine").map(str::to_string))
        .transpose()?;
    let persistence = (flags & svc_flag::PERSISTENT != 0).then_some(Persistence {
        timeout,
        netmask,
        engine,
    });
    let stats = decode_stats_of(a.get(svc_attr::STATS64), a.get(svc_attr::STATS))?;
    Ok(ServiceEntry {
        service: Service {
            key,
            scheduler: scheduler.to_string(),
            scheduler_flags: SchedulerFlags {
                flag1: flags & svc_flag::SCHED1 != 0,
                flag2: flags & svc_flag::SCHED2 != 0,
                flag3: flags & svc_flag::SCHED3 != 0,
            },
            persistence,
            one_packet: flags & svc_flag::ONEPACKET != 0,
        },
        hashed: flags & svc_flag::HASHED != 0,
        stats,
    })
}

/// Decodes the attributes nested in `IPVS_CMD_ATTR_DEST`.
pub(crate) fn decode_destination(
    nest: &[u8],
    service_af: AddressFamily,
) -> Result<DestinationEntry, DecodeError> {
    let a = AttrTable::<{ dest_attr::MAX + 1 }>::parse(nest)?;
    let af = match a.get(dest_attr::ADDR_FAMILY) {
        Some(raw) => decode_af(raw)?,
        None => service_af,
    };
    let u32_of = |kind: u16, name: &'static str| -> Result<u32, DecodeError> {
        get_u32(a.require(kind, name)?, name)
    };
    let method = u32_of(dest_attr::FWD_METHOD, "forwarding method")? & FWD_MASK;
    let forwarding = match method {
        0 => Forwarding::Masquerade,
        1 => Forwarding::Local,
        2 => Forwarding::Tunnel(decode_tunnel(&a)?),
        3 => Forwarding::DirectRoute,
        4 => Forwarding::Bypass,
        other => {
            return Err(DecodeError::Invalid {
                what: "forwarding method",
                value: u64::from(other),
            })
        }
    };
    Ok(DestinationEntry {
        destination: Destination {
            addr: decode_addr(a.require(dest_attr::ADDR, "destination address")?, af)?,
            port: get_be16(
                a.require(dest_attr::PORT, "destination port")?,
                "destination port",
            )?,
            forwarding,
            weight: u32_of(dest_attr::WEIGHT, "weight")?,
            upper_threshold: u32_of(dest_attr::U_THRESH, "upper threshold")?,
            lower_threshold: u32_of(dest_attr::L_THRESH, "lower threshold")?,
        },
        active_conns: u32_of(dest_attr::ACTIVE_CONNS, "active connections")?,
        inactive_conns: u32_of(dest_attr::INACT_CONNS, "inactive connections")?,
        persistent_conns: u32_of(dest_attr::PERSIST_CONNS, "persistent connections")?,
        stats: decode_stats_of(a.get(dest_attr::STATS64), a.get(dest_attr::STATS))?,
    })
}

fn decode_tunnel(a: &AttrTable<'_, { dest_attr::MAX + 1 }>) -> Result<Tunnel, DecodeError> {
    let kind_raw = a
        .get(dest_attr::TUN_TYPE)
        .map(|p| get_u8(p, "tunnel type"))
        .transpose()?
        .unwrap_or(0);
    let flags_raw = a
        .get(dest_attr::TUN_FLAGS)
        .map(|p| get_u16(p, "tunnel flags"))
        .transpose()?
        .unwrap_or(0);
    Ok(Tunnel {
        kind: TunnelKind::from_raw(kind_raw).ok_or(DecodeError::Invalid {
            what: "tunnel type",
            value: u64::from(kind_raw),
        })?,
        port: a
            .get(dest_attr::TUN_PORT)
            .map(|p| get_be16(p, "tunnel port"))
            .transpose()?
            .unwrap_or(0),
        checksum: TunnelChecksum::from_raw(flags_raw).ok_or(DecodeError::Invalid {
            what: "tunnel flags",
            value: u64::from(flags_raw),
        })?,
    })
}

/// Counters from `STATS64` when present, else from `STATS`, else zero.
fn decode_stats_of(stats64: Option<&[u8]>, stats: Option<&[u8]>) -> Result<Stats, DecodeError> {
    match stats64.or(stats) {
        Some(nest) => decode_stats(nest),
        None => Ok(Stats::default()),
    }
}

fn decode_stats(nest: &[u8]) -> Result<Stats, DecodeError> {
    let a = AttrTable::<{ stats_attr::MAX + 1 }>::parse(nest)?;
    let get = |kind: u16, name: &'static str| -> Result<u64, DecodeError> {
        get_uint(a.require(kind, name)?, name)
    };
    Ok(Stats {
        conns: get(stats_attr::CONNS, "conns")?,
        inpkts: get(stats_attr::INPKTS, "inpkts")?,
        outpkts: get(stats_attr::OUTPKTS, "outpkts")?,
        inbytes: get(stats_attr::INBYTES, "inbytes")?,
        outbytes: get(stats_attr::OUTBYTES, "outbytes")?,
        cps: get(stats_attr::CPS, "cps")?,
        inpps: get(stats_attr::INPPS, "inpps")?,
        outpps: get(stats_attr::OUTPPS, "outpps")?,
        inbps: get(stats_attr::INBPS, "inbps")?,
        outbps: get(stats_attr::OUTBPS, "outbps")?,
    })
}

/// Decodes the attributes nested in `IPVS_CMD_ATTR_DAEMON`.
pub(crate) fn decode_daemon(nest: &[u8]) -> Result<DaemonConfig, DecodeError> {
    let a = AttrTable::<{ daemon_attr::MAX + 1 }>::parse(nest)?;
    let raw_state = get_u32(
        a.require(daemon_attr::STATE, "daemon state")?,
        "daemon state",
    )?;
    let state = DaemonState::from_raw(raw_state).ok_or(DecodeError::Invalid {
        what: "daemon state",
        value: u64::from(raw_state),
    })?;
    let mcast_group = match (
        a.get(daemon_attr::MCAST_GROUP),
        a.get(daemon_attr::MCAST_GROUP6),
    ) {
        (Some(v4), _) => Some(decode_addr(v4, AddressFamily::Inet)?),
        (None, Some(v6)) => Some(decode_addr(v6, AddressFamily::Inet6)?),
        (None, None) => None,
    };
    Ok(DaemonConfig {
        state,
        mcast_ifname: get_str(
            a.require(daemon_attr::MCAST_IFN, "multicast interface")?,
            "multicast interface",
        )?
        .to_string(),
        syncid: get_u32(a.require(daemon_attr::SYNC_ID, "sync id")?, "sync id")?,
        sync_maxlen: a
            .get(daemon_attr::SYNC_MAXLEN)
            .map(|p| get_u16(p, "sync maxlen"))
            .transpose()?,
        mcast_group,
        mcast_port: a
            .get(daemon_attr::MCAST_PORT)
            .map(|p| get_u16(p, "multicast port"))
            .transpose()?,
        mcast_ttl: a
            .get(daemon_attr::MCAST_TTL)
            .map(|p| get_u8(p, "multicast ttl"))
            .transpose()?,
    })
}

fn decode_timeouts(top: &AttrTable<'_, { cmd_attr::MAX + 1 }>) -> Result<Timeouts, DecodeError> {
    // A kernel built without TCP or UDP support leaves those out: 0, as
    // ipvsadm shows them.
    let get = |kind: u16, name: &'static str| -> Result<u32, DecodeError> {
        top.get(kind)
            .map(|p| get_u32(p, name))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(Timeouts {
        tcp: get(cmd_attr::TIMEOUT_TCP, "tcp timeout")?,
        tcp_fin: get(cmd_attr::TIMEOUT_TCP_FIN, "tcpfin timeout")?,
        udp: get(cmd_attr::TIMEOUT_UDP, "udp timeout")?,
    })
}

fn decode_info(attrs: &[u8]) -> Result<Info, DecodeError> {
    let a = AttrTable::<{ info_attr::MAX + 1 }>::parse(attrs)?;
    Ok(Info {
        version: Version::from_code(get_u32(
            a.require(info_attr::VERSION, "version")?,
            "version",
        )?),
        conn_tab_size: get_u32(
            a.require(info_attr::CONN_TAB_SIZE, "connection table size")?,
            "connection table size",
        )?,
    })
}

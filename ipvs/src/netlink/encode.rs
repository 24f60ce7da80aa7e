//! Requests to the kernel's IPVS and their netlink bytes, laid out as
//! ipvsadm's libipvs lays them out (same attributes, same order), so that the
//! kernel sees what it sees from ipvsadm.

use std::net::IpAddr;

use super::attrs::MessageWriter;
use super::{
    cmd, cmd_attr, daemon_attr, dest_attr, svc_attr, svc_flag, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::error::{IpvsError, Operation};
use crate::model::{
    AddressFamily, DaemonConfig, DaemonState, Destination, DestinationKey, Forwarding, Netmask,
    Service, ServiceKey, Timeouts, MAX_IFNAME_LEN, MAX_NAME_LEN,
};

/// One request to the kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request<'a> {
    /// `IPVS_CMD_NEW_SERVICE`.
    AddService(&'a Service),
    /// `IPVS_CMD_SET_SERVICE`.
    EditService(&'a Service),
    /// `IPVS_CMD_DEL_SERVICE`.
    DeleteService(&'a ServiceKey),
    /// `IPVS_CMD_GET_SERVICE` for one service.
    GetService(&'a ServiceKey),
    /// `IPVS_CMD_GET_SERVICE` as a dump.
    ListServices,
    /// `IPVS_CMD_NEW_DEST`.
    AddDestination(&'a ServiceKey, &'a Destination),
    /// `IPVS_CMD_SET_DEST`.
    EditDestination(&'a ServiceKey, &'a Destination),
    /// `IPVS_CMD_DEL_DEST`.
    DeleteDestination(&'a ServiceKey, &'a DestinationKey),
    /// `IPVS_CMD_GET_DEST` as a dump.
    ListDestinations(&'a ServiceKey),
    /// `IPVS_CMD_GET_CONFIG`.
    GetTimeouts,
    /// `IPVS_CMD_SET_CONFIG`.
    SetTimeouts(&'a Timeouts),
    /// `IPVS_CMD_GET_INFO`.
    GetInfo,
    /// `IPVS_CMD_ZERO`, of one service or all.
    Zero(Option<&'a ServiceKey>),
    /// `IPVS_CMD_FLUSH`.
    Flush,
    /// `IPVS_CMD_NEW_DAEMON`.
    StartDaemon(&'a DaemonConfig),
    /// `IPVS_CMD_DEL_DAEMON`.
    StopDaemon(DaemonState),
    /// `IPVS_CMD_GET_DAEMON` as a dump.
    ListDaemons,
}

impl Request<'_> {
    /// What the request does, for error messages.
    pub(crate) fn operation(&self) -> Operation {
        match self {
            Request::AddService(_) => Operation::AddService,
            Request::EditService(_) => Operation::EditService,
            Request::DeleteService(_) => Operation::DeleteService,
            Request::GetService(_) => Operation::GetService,
            Request::ListServices => Operation::ListServices,
            Request::AddDestination(..) => Operation::AddDestination,
            Request::EditDestination(..) => Operation::EditDestination,
            Request::DeleteDestination(..) => Operation::DeleteDestination,
            Request::ListDestinations(_) => Operation::ListDestinations,
            Request::GetTimeouts => Operation::GetTimeouts,
            Request::SetTimeouts(_) => Operation::SetTimeouts,
            Request::GetInfo => Operation::GetInfo,
            Request::Zero(_) => Operation::Zero,
            Request::Flush => Operation::Flush,
            Request::StartDaemon(_) => Operation::StartDaemon,
            Request::StopDaemon(_) => Operation::StopDaemon,
            Request::ListDaemons => Operation::ListDaemons,
        }
    }

    /// Whether the kernel answers with a dump (many messages, then
    /// `NLMSG_DONE`) rather than one reply and an acknowledgement.
    pub(crate) fn is_dump(&self) -> bool {
        matches!(
            self,
            Request::ListServices | Request::ListDestinations(_) | Request::ListDaemons
        )
    }

    fn command(&self) -> u8 {
        match self {
            Request::AddService(_) => cmd::NEW_SERVICE,
            Request::EditService(_) => cmd::SET_SERVICE,
            Request::DeleteService(_) => cmd::DEL_SERVICE,
            Request::GetService(_) | Request::ListServices => cmd::GET_SERVICE,
            Request::AddDestination(..) => cmd::NEW_DEST,
            Request::EditDestination(..) => cmd::SET_DEST,
            Request::DeleteDestination(..) => cmd::DEL_DEST,
            Request::ListDestinations(_) => cmd::GET_DEST,
            Request::GetTimeouts => cmd::GET_CONFIG,
            Request::SetTimeouts(_) => cmd::SET_CONFIG,
            Request::GetInfo => cmd::GET_INFO,
            Request::Zero(_) => cmd::ZERO,
            Request::Flush => cmd::FLUSH,
            Request::StartDaemon(_) => cmd::NEW_DAEMON,
            Request::StopDaemon(_) => cmd::DEL_DAEMON,
            Request::ListDaemons => cmd::GET_DAEMON,
        }
    }

    /// Checks what the kernel could not be told (over-long names, a zero
    /// firewall mark, a netmask of the other family…).
    pub(crate) fn validate(&self) -> Result<(), IpvsError> {
        match self {
            Request::AddService(service) | Request::EditService(service) => {
                validate_service(service)
            }
            Request::DeleteService(key)
            | Request::GetService(key)
            | Request::ListDestinations(key)
            | Request::Zero(Some(key)) => validate_key(key),
            Request::AddDestination(key, _)
            | Request::EditDestination(key, _)
            | Request::DeleteDestination(key, _) => validate_key(key),
            Request::StartDaemon(daemon) => {
                if daemon.syncid > crate::daemon_error::MAX_SYNC_ID {
                    return Err(IpvsError::SyncIdOutOfRange(daemon.syncid));
                }
                validate_name(
                    "sync daemon interface name",
                    &daemon.mcast_ifname,
                    MAX_IFNAME_LEN,
                )
            }
            Request::ListServices
            | Request::GetTimeouts
            | Request::SetTimeouts(_)
            | Request::GetInfo
            | Request::Zero(None)
            | Request::Flush
            | Request::StopDaemon(_)
            | Request::ListDaemons => Ok(()),
        }
    }

    /// Appends the request's netlink message to `out`, after validating it.
    pub(crate) fn encode(&self, family: u16, seq: u32, out: &mut Vec<u8>) -> Result<(), IpvsError> {
        self.validate()?;
        let flags = if self.is_dump() {
            NLM_F_REQUEST | NLM_F_DUMP
        } else {
            NLM_F_REQUEST | NLM_F_ACK
        };
        let mut w = MessageWriter::new(out, family, flags, seq, self.command());
        match self {
            Request::AddService(service) | Request::EditService(service) => {
                put_service(&mut w, service)
            }
            Request::DeleteService(key)
            | Request::GetService(key)
            | Request::ListDestinations(key)
            | Request::Zero(Some(key)) => put_service_key(&mut w, key),
            Request::AddDestination(key, dest) | Request::EditDestination(key, dest) => {
                put_service_key(&mut w, key);
                put_destination(&mut w, dest);
            }
            Request::DeleteDestination(key, dest) => {
                put_service_key(&mut w, key);
                let nest = w.begin_nest(cmd_attr::DEST);
                put_destination_key(&mut w, dest.addr, dest.port);
                w.end_nest(nest);
            }
            Request::SetTimeouts(timeouts) => {
                w.put_u32(cmd_attr::TIMEOUT_TCP, timeouts.tcp);
                w.put_u32(cmd_attr::TIMEOUT_TCP_FIN, timeouts.tcp_fin);
                w.put_u32(cmd_attr::TIMEOUT_UDP, timeouts.udp);
            }
            Request::StartDaemon(daemon) => put_daemon(&mut w, daemon),
            Request::StopDaemon(state) => {
                let nest = w.begin_nest(cmd_attr::DAEMON);
                w.put_u32(daemon_attr::STATE, state.to_raw());
                w.end_nest(nest);
            }
            Request::ListServices
            | Request::GetTimeouts
            | Request::GetInfo
            | Request::Zero(None)
            | Request::Flush
            | Request::ListDaemons => {}
        }
        w.finish();
        Ok(())
    }
}

fn validate_name(what: &str, name: &str, max: usize) -> Result<(), IpvsError> {
    if name.len() > max {
        return Err(IpvsError::InvalidRequest(format!(
            "{what} {name:?} is longer than {max} bytes"
        )));
    }
    if name.contains('\0') {
        return Err(IpvsError::InvalidRequest(format!(
            "{what} {name:?} contains a NUL byte"
        )));
    }
    Ok(())
}

fn validate_key(key: &ServiceKey) -> Result<(), IpvsError> {
    match key {
        ServiceKey::FirewallMark { mark: 0, .. } => Err(IpvsError::InvalidRequest(
            "a firewall mark service needs a mark other than 0".to_string(),
        )),
        _ => Ok(()),
    }
}

fn validate_service(service: &Service) -> Result<(), IpvsError> {
    validate_key(&service.key)?;
    validate_name("scheduler name", &service.scheduler, MAX_NAME_LEN)?;
    if let Some(persistence) = &service.persistence {
        if let Some(engine) = &persistence.engine {
            validate_name("persistence engine name", engine, MAX_NAME_LEN)?;
        }
        let family_matches = matches!(
            (service.key.af(), persistence.netmask),
            (AddressFamily::Inet, Netmask::V4(_)) | (AddressFamily::Inet6, Netmask::V6Prefix(_))
        );
        if !family_matches {
            return Err(IpvsError::InvalidRequest(format!(
                "persistence netmask {:?} does not suit an {} service",
                persistence.netmask,
                match service.key.af() {
                    AddressFamily::Inet => "IPv4",
                    AddressFamily::Inet6 => "IPv6",
                }
            )));
        }
    }
    Ok(())
}

/// The 16-byte `union nf_inet_addr` of an address.
fn inet_addr(addr: IpAddr) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match addr {
        IpAddr::V4(v4) => bytes[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => bytes = v6.octets(),
    }
    bytes
}

/// The `NETMASK` attribute's value: an IPv4 mask in network order, an IPv6
/// prefix length as a host-order number.
fn netmask_bytes(netmask: Netmask) -> [u8; 4] {
    match netmask {
        Netmask::V4(mask) => mask.octets(),
        Netmask::V6Prefix(prefix) => u32::from(prefix).to_ne_bytes(),
    }
}

fn put_key_attrs(w: &mut MessageWriter<'_>, key: &ServiceKey) {
    w.put_u16(svc_attr::AF, key.af().to_raw());
    match key {
        ServiceKey::FirewallMark { mark, .. } => w.put_u32(svc_attr::FWMARK, *mark),
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => {
            w.put_u16(svc_attr::PROTOCOL, protocol.to_raw());
            w.put(svc_attr::ADDR, &inet_addr(*addr));
            w.put_be16(svc_attr::PORT, *port);
        }
    }
}

fn put_service_key(w: &mut MessageWriter<'_>, key: &ServiceKey) {
    let nest = w.begin_nest(cmd_attr::SERVICE);
    put_key_attrs(w, key);
    w.end_nest(nest);
}

/// The `IP_VS_SVC_F_*` flags of a service.
pub(crate) fn service_flags(service: &Service) -> u32 {
    let mut flags = 0;
    if service.persistence.is_some() {
        flags |= svc_flag::PERSISTENT;
    }
    if service.one_packet {
        flags |= svc_flag::ONEPACKET;
    }
    if service.scheduler_flags.flag1 {
        flags |= svc_flag::SCHED1;
    }
    if service.scheduler_flags.flag2 {
        flags |= svc_flag::SCHED2;
    }
    if service.scheduler_flags.flag3 {
        flags |= svc_flag::SCHED3;
    }
    flags
}

fn put_service(w: &mut MessageWriter<'_>, service: &Service) {
    let nest = w.begin_nest(cmd_attr::SERVICE);
    put_key_attrs(w, &service.key);
    w.put_str(svc_attr::SCHED_NAME, &service.scheduler);
    let (timeout, netmask) = match &service.persistence {
        Some(persistence) => {
            if let Some(engine) = &persistence.engine {
                w.put_str(svc_attr::PE_NAME, engine);
            }
            (persistence.timeout, persistence.netmask)
        }
        None => (0, Netmask::default_for(service.key.af())),
    };
    // struct ip_vs_flags { flags, mask }: ipvsadm sets every flag it means
    // and clears all others (mask ~0).
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&service_flags(service).to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.put(svc_attr::FLAGS, &flags);
    w.put_u32(svc_attr::TIMEOUT, timeout);
    w.put(svc_attr::NETMASK, &netmask_bytes(netmask));
    w.end_nest(nest);
}

fn put_destination_key(w: &mut MessageWriter<'_>, addr: IpAddr, port: u16) {
    w.put_u16(dest_attr::ADDR_FAMILY, AddressFamily::of(&addr).to_raw());
    w.put(dest_attr::ADDR, &inet_addr(addr));
    w.put_be16(dest_attr::PORT, port);
}

fn put_destination(w: &mut MessageWriter<'_>, dest: &Destination) {
    let nest = w.begin_nest(cmd_attr::DEST);
    put_destination_key(w, dest.addr, dest.port);
    w.put_u32(dest_attr::FWD_METHOD, dest.forwarding.to_raw());
    w.put_u32(dest_attr::WEIGHT, dest.weight);
    if let Forwarding::Tunnel(tunnel) = dest.forwarding {
        w.put_u8(dest_attr::TUN_TYPE, tunnel.kind.to_raw());
        w.put_be16(dest_attr::TUN_PORT, tunnel.port);
        w.put_u16(dest_attr::TUN_FLAGS, tunnel.checksum.to_raw());
    }
    w.put_u32(dest_attr::U_THRESH, dest.upper_threshold);
    w.put_u32(dest_attr::L_THRESH, dest.lower_threshold);
    w.end_nest(nest);
}

fn put_daemon(w: &mut MessageWriter<'_>, daemon: &DaemonConfig) {
    let nest = w.begin_nest(cmd_attr::DAEMON);
    w.put_u32(daemon_attr::STATE, daemon.state.to_raw());
    w.put_str(daemon_attr::MCAST_IFN, &daemon.mcast_ifname);
    w.put_u32(daemon_attr::SYNC_ID, daemon.syncid);
    if let Some(maxlen) = daemon.sync_maxlen {
        w.put_u16(daemon_attr::SYNC_MAXLEN, maxlen);
    }
    if let Some(port) = daemon.mcast_port {
        w.put_u16(daemon_attr::MCAST_PORT, port);
    }
    if let Some(ttl) = daemon.mcast_ttl {
        w.put_u8(daemon_attr::MCAST_TTL, ttl);
    }
    match daemon.mcast_group {
        Some(IpAddr::V4(group)) => w.put(daemon_attr::MCAST_GROUP, &group.octets()),
        Some(IpAddr::V6(group)) => w.put(daemon_attr::MCAST_GROUP6, &group.octets()),
        None => {}
    }
    w.end_nest(nest);
}

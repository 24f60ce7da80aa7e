//! ipvsadm's command-line rules: which command, which options, which
//! values, which combinations, and the exact message and exit status of
//! every refusal.
//!
//! The checks run in ipvsadm 1.31's order (as built by Debian, whose weight
//! limit is 2³¹−1 rather than 65535), so that a line with several faults
//! reports the same one ipvsadm reports. Options fill a draft the way
//! ipvsadm fills its command entry, order effects included (`-r` before
//! `-t` keeps port 0, `-M` before an IPv6 `-t` is overridden); the draft then
//! becomes a typed [`Command`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{
    DaemonConfig, DaemonState, Destination, Forwarding, Netmask, Persistence, Protocol,
    SchedulerFlags, Service, ServiceKey, Timeouts, Tunnel, TunnelChecksum, TunnelKind,
    DEFAULT_PERSISTENCE_TIMEOUT, DEFAULT_SCHEDULER,
};

use super::command::{Command, Format, ListWhat, Stop};
use super::popt::{Opt, Scanner};
use super::resolve::Resolver;
use super::values::{atoi, parse_fwmark, parse_netmask, parse_service, string_to_number};

/// Longest timeout ipvsadm accepts: 31 days.
const MAX_TIMEOUT: i64 = 86400 * 31;
/// Longest scheduler name ipvsadm keeps (`IP_VS_SCHEDNAME_MAXLEN - 1`).
const SCHED_NAME_KEEP: usize = 15;
/// Longest persistence-engine name ipvsadm keeps (`IP_VS_PENAME_MAXLEN`).
const PE_NAME_KEEP: usize = 16;
/// Longest interface name ipvsadm keeps (`IP_VS_IFNAME_MAXLEN - 1`).
const IFNAME_KEEP: usize = 15;
/// ipvsadm's buffer for `-b` (127 characters and the NUL).
const SCHED_FLAGS_KEEP: usize = 127;

/// ipvsadm's commands, in its table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

impl Cmd {
    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        CMD_NAMES.get(self.index()).copied().unwrap_or("")
    }
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// ipvsadm's option classes, in the order of its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptClass {
    Numeric,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    Mcast,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    OnePacket,
    PersistenceEngine,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNoCsum,
    TunCsum,
    TunRemCsum,
}

impl OptClass {
    fn bit(self) -> u64 {
        1u64 << (self as u32)
    }
}

const OPT_NAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// Legal combinations of commands (rows, [`Cmd`] order) and option classes
/// (columns, [`OptClass`] order): `+` compulsory, `x` illegal, `1` at most
/// one of the `1`s, blank optional.
const COMMANDS_V_OPTIONS: [&[u8; 34]; 14] = [
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    b"xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b" 11xxxxxxxxx11       xxxxxxx xxxxx",
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    b"xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
    b"xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// Tunnel options checked per tunnel type, and their table
/// (ipip, gue, gre rows; tun-port, nocsum, csum, remcsum columns).
const TUN_OPTS: [OptClass; 4] = [
    OptClass::TunPort,
    OptClass::TunNoCsum,
    OptClass::TunCsum,
    OptClass::TunRemCsum,
];
const TUNNEL_TYPES_V_OPTIONS: [&[u8; 4]; 3] = [b"xxxx", b"+111", b"x11x"];

const AF_UNSET: u16 = 0;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Forwarding numbers as ipvsadm keeps them.
const CONN_F_MASQ: u32 = 0;
const CONN_F_TUNNEL: u32 = 2;
const CONN_F_DROUTE: u32 = 3;

const SVC_F_PERSISTENT: u32 = 0x1;
const SVC_F_ONEPACKET: u32 = 0x4;
const SVC_F_SCHED1: u32 = 0x8;
const SVC_F_SCHED2: u32 = 0x10;
const SVC_F_SCHED3: u32 = 0x20;

/// ipvsadm's command entry while the options are read.
#[derive(Debug, Clone)]
struct Draft {
    cmd: Option<Cmd>,
    options: u64,
    format: Format,
    svc_af: u16,
    protocol: Option<Protocol>,
    addr: Option<IpAddr>,
    port: u16,
    fwmark: u32,
    scheduler: String,
    flags: u32,
    timeout: u32,
    /// IPv4 mask as a number, or an IPv6 prefix length.
    netmask: u32,
    pe: String,
    dest_af: u16,
    dest_addr: Option<IpAddr>,
    dest_port: u16,
    conn_flags: u32,
    weight: u32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: TunnelKind,
    tun_port: u16,
    tun_flags: u16,
    timeouts: Timeouts,
    daemon_state: Option<DaemonState>,
    mcast_ifn: String,
    syncid: u32,
    sync_maxlen: Option<u16>,
    mcast_group: Option<IpAddr>,
    mcast_port: Option<u16>,
    mcast_ttl: Option<u8>,
    sched_flags_arg: String,
}

impl Draft {
    fn new() -> Self {
        Draft {
            cmd: None,
            options: 0,
            format: Format::default(),
            svc_af: AF_UNSET,
            protocol: None,
            addr: None,
            port: 0,
            fwmark: 0,
            scheduler: String::new(),
            flags: 0,
            timeout: 0,
            netmask: u32::MAX,
            pe: String::new(),
            dest_af: AF_UNSET,
            dest_addr: None,
            dest_port: 0,
            conn_flags: CONN_F_DROUTE,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelKind::Ipip,
            tun_port: 0,
            tun_flags: 0,
            timeouts: Timeouts::default(),
            daemon_state: None,
            mcast_ifn: String::new(),
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
            sched_flags_arg: String::new(),
        }
    }

    fn set_command(&mut self, cmd: Cmd) {
        self.cmd = Some(cmd);
    }

    fn set_option(&mut self, class: OptClass) -> Result<(), Stop> {
        if self.options & class.bit() != 0 {
            return Err(Stop::fail(format!(
                "multiple '{}' options specified",
                OPT_NAMES[class as usize]
            )));
        }
        self.options |= class.bit();
        Ok(())
    }

    fn has(&self, class: OptClass) -> bool {
        self.options & class.bit() != 0
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_string()
}

fn af_of(addr: &IpAddr) -> u16 {
    match addr {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

/// ipvsadm's `parse_timeout`.
fn parse_timeout(text: Option<&str>, min: i64, max: i64) -> Result<u32, Stop> {
    let Some(text) = text else {
        return Ok(DEFAULT_PERSISTENCE_TIMEOUT);
    };
    match string_to_number(text, min, max) {
        Some(n) => Ok(n as u32),
        None => Err(Stop::fail(format!(
            "invalid timeout value `{text}' specified"
        ))),
    }
}

/// The argument of an option that needs one (the scanner guarantees it).
fn required(arg: Option<String>) -> String {
    arg.unwrap_or_default()
}

/// Parses one ipvsadm command line. `args[0]` is the program name used in
/// messages; `reading_stdin` is true for lines read by `-R`.
pub fn parse_command(
    args: &[String],
    reading_stdin: bool,
    resolver: &dyn Resolver,
) -> Result<Command, Stop> {
    let program = args.first().map(String::as_str).unwrap_or("ipvsadm");
    let mut draft = Draft::new();
    let mut scanner = Scanner::new(args);

    if let Some(done) = first_option(&mut scanner, &mut draft, program)? {
        return Ok(done);
    }
    loop {
        match scanner.next_opt() {
            Ok(Some((opt, arg))) => apply_option(&mut draft, opt, arg, &scanner, resolver)?,
            Ok(None) => break,
            Err(e) => {
                return Err(Stop {
                    stdout: String::new(),
                    stderr: format!("{}: {}\n", e.word, e.kind.message()),
                    code: 255,
                    exits: false,
                })
            }
        }
    }
    if draft.cmd == Some(Cmd::Timeout) {
        let values = (
            scanner.take_leftover(),
            scanner.take_leftover(),
            scanner.take_leftover(),
        );
        let (Some(tcp), Some(fin), Some(udp)) = values else {
            return Err(Stop::fail("--set option requires 3 timeout values"));
        };
        draft.timeouts = Timeouts {
            tcp: parse_timeout(Some(&tcp), 0, MAX_TIMEOUT)?,
            tcp_fin: parse_timeout(Some(&fin), 0, MAX_TIMEOUT)?,
            udp: parse_timeout(Some(&udp), 0, MAX_TIMEOUT)?,
        };
    }
    if let Some(extra) = scanner.take_leftover() {
        return Err(Stop::fail(format!("unexpected argument {extra}")));
    }
    if !draft.sched_flags_arg.is_empty() {
        draft.flags &= !(SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3);
        draft.flags |= parse_sched_flags(&draft.scheduler, &draft.sched_flags_arg)?;
    }
    let cmd = draft.cmd.unwrap_or(Cmd::List);
    check_combinations(cmd, draft.options)?;
    if cmd == Cmd::Restore && reading_stdin {
        return Err(Stop::try_help(program));
    }
    finish(cmd, draft)
}

/// The first option must be a command; `-h` and `-v` end parsing at once.
fn first_option(
    scanner: &mut Scanner<'_>,
    draft: &mut Draft,
    program: &str,
) -> Result<Option<Command>, Stop> {
    let Ok(Some((opt, arg))) = scanner.next_opt() else {
        return Err(Stop::try_help(program));
    };
    let cmd = match opt {
        Opt::AddService => Cmd::Add,
        Opt::EditService => Cmd::Edit,
        Opt::DeleteService => Cmd::Del,
        Opt::AddServer => Cmd::AddDest,
        Opt::EditServer => Cmd::EditDest,
        Opt::DeleteServer => Cmd::DelDest,
        Opt::Clear => Cmd::Flush,
        Opt::ListUpper | Opt::ListLower => Cmd::List,
        Opt::Zero => Cmd::Zero,
        Opt::Set => Cmd::Timeout,
        Opt::Restore => Cmd::Restore,
        Opt::Save => Cmd::Save,
        Opt::StartDaemon | Opt::StopDaemon => {
            let state = match arg.as_deref() {
                Some("master") => DaemonState::Master,
                Some("backup") => DaemonState::Backup,
                _ if opt == Opt::StartDaemon => {
                    return Err(Stop::fail("illegal start-daemon parameter specified"))
                }
                _ => return Err(Stop::fail("illegal start_daemon specified")),
            };
            draft.daemon_state = Some(state);
            if opt == Opt::StartDaemon {
                Cmd::StartDaemon
            } else {
                Cmd::StopDaemon
            }
        }
        Opt::Help => return Ok(Some(Command::Help)),
        Opt::Version => return Ok(Some(Command::Version)),
        _ => return Err(Stop::try_help(program)),
    };
    draft.set_command(cmd);
    Ok(None)
}

/// One option after the command, as ipvsadm's option loop handles it.
fn apply_option(
    draft: &mut Draft,
    opt: Opt,
    arg: Option<String>,
    scanner: &Scanner<'_>,
    resolver: &dyn Resolver,
) -> Result<(), Stop> {
    match opt {
        Opt::TcpService | Opt::UdpService | Opt::SctpService => {
            draft.set_option(OptClass::Service)?;
            draft.protocol = Some(match opt {
                Opt::TcpService => Protocol::Tcp,
                Opt::UdpService => Protocol::Udp,
                _ => Protocol::Sctp,
            });
            let text = required(arg);
            let Some(hp) = parse_service(&text, draft.protocol, resolver) else {
                return Err(Stop::fail(
                    "illegal virtual server address[:port] specified",
                ));
            };
            draft.addr = Some(hp.addr);
            draft.svc_af = af_of(&hp.addr);
            if hp.addr.is_ipv6() {
                draft.netmask = 128;
            }
            if let Some(port) = hp.port {
                draft.port = port;
            }
        }
        Opt::FwmarkService => {
            draft.set_option(OptClass::Service)?;
            draft.svc_af = AF_INET;
            draft.protocol = Some(Protocol::Tcp);
            let text = required(arg);
            draft.fwmark = parse_fwmark(&text)
                .ok_or_else(|| Stop::fail(format!("invalid fwmark value `{text}' specified")))?;
        }
        Opt::Scheduler => {
            draft.set_option(OptClass::Scheduler)?;
            draft.scheduler = truncate(&required(arg), SCHED_NAME_KEEP);
        }
        Opt::Persistent => {
            draft.set_option(OptClass::Persistent)?;
            draft.flags |= SVC_F_PERSISTENT;
            draft.timeout = parse_timeout(arg.as_deref(), 1, MAX_TIMEOUT)?;
        }
        Opt::Netmask => {
            draft.set_option(OptClass::Netmask)?;
            let text = required(arg);
            if draft.svc_af != AF_INET6 {
                let mask = parse_netmask(&text, resolver).ok_or_else(|| {
                    Stop::fail("illegal virtual server persistent mask specified")
                })?;
                draft.netmask = u32::from(mask);
            } else {
                let prefix = atoi(&text);
                if !(1..=128).contains(&prefix) {
                    return Err(Stop::fail("illegal ipv6 netmask specified"));
                }
                draft.netmask = prefix as u32;
            }
        }
        Opt::RealServer => {
            draft.set_option(OptClass::Server)?;
            let text = required(arg);
            let Some(hp) = parse_service(&text, draft.protocol, resolver) else {
                return Err(Stop::fail("illegal real server address[:port] specified"));
            };
            draft.dest_af = af_of(&hp.addr);
            draft.dest_addr = Some(hp.addr);
            draft.dest_port = hp.port.unwrap_or(draft.port);
        }
        Opt::Ipip => {
            draft.set_option(OptClass::Forward)?;
            draft.conn_flags = CONN_F_TUNNEL;
        }
        Opt::Gatewaying => {
            draft.set_option(OptClass::Forward)?;
            draft.conn_flags = CONN_F_DROUTE;
        }
        Opt::Masquerading => {
            draft.set_option(OptClass::Forward)?;
            draft.conn_flags = CONN_F_MASQ;
        }
        Opt::Weight => {
            draft.set_option(OptClass::Weight)?;
            draft.weight = number(arg, 0, i64::from(i32::MAX), "illegal weight specified")?;
        }
        Opt::UThreshold => {
            draft.set_option(OptClass::UThreshold)?;
            draft.u_threshold =
                number(arg, 0, i64::from(i32::MAX), "illegal u_threshold specified")?;
        }
        Opt::LThreshold => {
            draft.set_option(OptClass::LThreshold)?;
            draft.l_threshold =
                number(arg, 0, i64::from(i32::MAX), "illegal l_threshold specified")?;
        }
        Opt::Connection => draft.set_option(OptClass::Connection)?,
        Opt::Numeric => {
            draft.set_option(OptClass::Numeric)?;
            draft.format.numeric = true;
        }
        Opt::McastInterface => {
            draft.set_option(OptClass::Mcast)?;
            draft.mcast_ifn = truncate(&required(arg), IFNAME_KEEP);
        }
        Opt::SyncId => {
            draft.set_option(OptClass::SyncId)?;
            draft.syncid = number(arg, 0, 255, "illegal syncid specified")?;
        }
        Opt::Timeout => draft.set_option(OptClass::Timeout)?,
        Opt::Daemon => draft.set_option(OptClass::Daemon)?,
        Opt::Stats => {
            draft.set_option(OptClass::Stats)?;
            draft.format.stats = true;
        }
        Opt::Rate => {
            draft.set_option(OptClass::Rate)?;
            draft.format.rate = true;
        }
        Opt::Thresholds => {
            draft.set_option(OptClass::Thresholds)?;
            draft.format.thresholds = true;
        }
        Opt::PersistentConn => {
            draft.set_option(OptClass::PersistentConn)?;
            draft.format.persistent_conn = true;
        }
        Opt::NoSort => {
            draft.set_option(OptClass::NoSort)?;
            draft.format.nosort = true;
        }
        Opt::Sort => {}
        Opt::Exact => {
            draft.set_option(OptClass::Exact)?;
            draft.format.exact = true;
        }
        Opt::Ipv6 => {
            if draft.fwmark == 0 {
                return Err(Stop::fail("-6 used before -f\n"));
            }
            draft.svc_af = AF_INET6;
            draft.netmask = 128;
        }
        Opt::Ops => {
            draft.set_option(OptClass::OnePacket)?;
            draft.flags |= SVC_F_ONEPACKET;
        }
        Opt::Pe => {
            draft.set_option(OptClass::PersistenceEngine)?;
            draft.pe = truncate(&required(arg), PE_NAME_KEEP);
        }
        Opt::SchedFlags => {
            draft.set_option(OptClass::SchedFlags)?;
            draft.sched_flags_arg = truncate(&required(arg), SCHED_FLAGS_KEEP);
        }
        Opt::McastGroup => {
            draft.set_option(OptClass::McastGroup)?;
            draft.mcast_group = Some(parse_mcast_group(&required(arg))?);
        }
        Opt::McastPort => {
            draft.set_option(OptClass::McastPort)?;
            draft.mcast_port = Some(number(arg, 1, 65535, "illegal mcast-port specified")?);
        }
        Opt::McastTtl => {
            draft.set_option(OptClass::McastTtl)?;
            draft.mcast_ttl = Some(number(arg, 1, 255, "illegal mcast-ttl specified")?);
        }
        Opt::SyncMaxlen => {
            draft.set_option(OptClass::SyncMaxlen)?;
            draft.sync_maxlen = Some(number(
                arg,
                1,
                65535 - 20 - 8,
                "illegal sync-maxlen specified",
            )?);
        }
        Opt::TunInfo => {
            draft.set_option(OptClass::TunInfo)?;
            draft.format.tun_info = true;
        }
        Opt::TunType => {
            draft.set_option(OptClass::TunType)?;
            draft.tun_type = match required(arg).as_str() {
                "ipip" => TunnelKind::Ipip,
                "gue" => TunnelKind::Gue,
                "gre" => TunnelKind::Gre,
                _ => return Err(Stop::fail("illegal tunnel type specified")),
            };
        }
        Opt::TunPort => {
            draft.set_option(OptClass::TunPort)?;
            draft.tun_port = number(arg, 1, 65535, "illegal tunnel port specified")?;
        }
        Opt::TunNoCsum => {
            draft.set_option(OptClass::TunNoCsum)?;
            draft.tun_flags |= TunnelChecksum::None.to_raw();
        }
        Opt::TunCsum => {
            draft.set_option(OptClass::TunCsum)?;
            draft.tun_flags |= TunnelChecksum::Checksum.to_raw();
        }
        Opt::TunRemCsum => {
            draft.set_option(OptClass::TunRemCsum)?;
            draft.tun_flags |= TunnelChecksum::RemoteChecksum.to_raw();
        }
        Opt::AddService
        | Opt::EditService
        | Opt::DeleteService
        | Opt::Clear
        | Opt::ListUpper
        | Opt::ListLower
        | Opt::Zero
        | Opt::AddServer
        | Opt::EditServer
        | Opt::DeleteServer
        | Opt::Set
        | Opt::Help
        | Opt::Version
        | Opt::Restore
        | Opt::Save
        | Opt::StartDaemon
        | Opt::StopDaemon => {
            return Err(Stop::fail(format!(
                "invalid option `{}'",
                scanner.current_word()
            )))
        }
    }
    Ok(())
}

/// A number option through ipvsadm's `string_to_number`.
fn number<T: TryFrom<i64>>(arg: Option<String>, min: i64, max: i64, msg: &str) -> Result<T, Stop> {
    string_to_number(&required(arg), min, max)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| Stop::fail(msg))
}

fn parse_mcast_group(text: &str) -> Result<IpAddr, Stop> {
    if text.contains(':') {
        match text.parse::<Ipv6Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V6(a)),
            _ => Err(Stop::fail(format!("invalid IPv6 mcast-group `{text}'"))),
        }
    } else {
        match text.parse::<Ipv4Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V4(a)),
            _ => Err(Stop::fail(format!("invalid IPv4 mcast-group `{text}'"))),
        }
    }
}

/// ipvsadm's `parse_sched_flags`: comma-separated names, some valid only
/// with `sh` or `mh` (the scheduler given, or `wlc`).
fn parse_sched_flags(scheduler: &str, text: &str) -> Result<u32, Stop> {
    let scheduler = if scheduler.is_empty() {
        DEFAULT_SCHEDULER
    } else {
        scheduler
    };
    let mut flags = 0;
    let mut any = false;
    for flag in text.split(',').filter(|f| !f.is_empty()) {
        any = true;
        let (bit, only_for) = match flag {
            "flag-1" => (SVC_F_SCHED1, None),
            "flag-2" => (SVC_F_SCHED2, None),
            "flag-3" => (SVC_F_SCHED3, None),
            "sh-fallback" => (SVC_F_SCHED1, Some("sh")),
            "sh-port" => (SVC_F_SCHED2, Some("sh")),
            "mh-fallback" => (SVC_F_SCHED1, Some("mh")),
            "mh-port" => (SVC_F_SCHED2, Some("mh")),
            _ => return Err(Stop::fail(format!("invalid scheduler flag `{flag}'"))),
        };
        flags |= bit;
        if only_for.is_some_and(|s| s != scheduler) {
            return Err(Stop::fail(format!("incompatible scheduler flag `{flag}'")));
        }
    }
    if !any {
        // ipvsadm crashes on a list of nothing but commas; refuse it.
        return Err(Stop::fail(format!("invalid scheduler flag `{text}'")));
    }
    Ok(flags)
}

/// ipvsadm's `generic_opt_check`.
fn check_combinations(cmd: Cmd, options: u64) -> Result<(), Stop> {
    let row = COMMANDS_V_OPTIONS[cmd.index()];
    let mut first_exclusive: Option<usize> = None;
    for (j, rule) in row.iter().enumerate() {
        let given = options & (1u64 << j) != 0;
        match (given, rule) {
            (false, b'+') => {
                return Err(Stop::fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )))
            }
            (true, b'x') => {
                return Err(Stop::fail(format!(
                    "Illegal '{}' option with the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )))
            }
            (true, b'1') => match first_exclusive {
                None => first_exclusive = Some(j),
                Some(last) => {
                    return Err(Stop::fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{}' command",
                        OPT_NAMES[j],
                        OPT_NAMES[last],
                        cmd.name()
                    )))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// ipvsadm's `tunnel_opt_check`.
fn check_tunnel_options(kind: TunnelKind, options: u64) -> Result<(), Stop> {
    let row = TUNNEL_TYPES_V_OPTIONS[kind.to_raw() as usize % 3];
    let mut first_exclusive: Option<OptClass> = None;
    for (rule, class) in row.iter().zip(TUN_OPTS) {
        let given = options & class.bit() != 0;
        let name = OPT_NAMES[class as usize];
        match (given, rule) {
            (false, b'+') => {
                return Err(Stop::fail(format!(
                    "You need to supply the '{name}' option for the '{}' tunnel type",
                    kind.name()
                )))
            }
            (true, b'x') => {
                return Err(Stop::fail(format!(
                    "Illegal '{name}' option with the '{}' tunnel type",
                    kind.name()
                )))
            }
            (true, b'1') => match first_exclusive {
                None => first_exclusive = Some(class),
                Some(last) => {
                    return Err(Stop::fail(format!(
                    "The option '{name}' conflicts with the '{}' option in the '{}' tunnel type",
                    OPT_NAMES[last as usize],
                    kind.name()
                )))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// The checks after the combinations, then the typed command.
fn finish(cmd: Cmd, mut d: Draft) -> Result<Command, Stop> {
    if matches!(cmd, Cmd::Add | Cmd::Edit) {
        if d.fwmark == 0 && d.port == 0 && d.flags & SVC_F_PERSISTENT == 0 {
            return Err(Stop::fail("Zero port specified for non-persistent service"));
        }
        if d.flags & SVC_F_ONEPACKET != 0 && d.fwmark == 0 && d.protocol != Some(Protocol::Udp) {
            return Err(Stop::fail(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        if d.scheduler.is_empty() {
            d.scheduler = DEFAULT_SCHEDULER.to_string();
        }
    }
    if cmd == Cmd::StartDaemon && d.mcast_ifn.is_empty() {
        d.mcast_ifn = "eth0".to_string();
    }
    if matches!(cmd, Cmd::AddDest | Cmd::EditDest) {
        if d.fwmark == 0 && matches!(d.conn_flags, CONN_F_TUNNEL | CONN_F_DROUTE) {
            d.dest_port = d.port;
        }
        if d.dest_af != d.svc_af && d.conn_flags != CONN_F_TUNNEL {
            return Err(Stop::fail(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tunnel_options = [
            OptClass::TunType,
            OptClass::TunPort,
            OptClass::TunNoCsum,
            OptClass::TunCsum,
            OptClass::TunRemCsum,
        ];
        if tunnel_options.iter().any(|c| d.has(*c)) && d.conn_flags != CONN_F_TUNNEL {
            return Err(Stop::fail("Tunnel options conflict with forward method"));
        }
        check_tunnel_options(d.tun_type, d.options)?;
    }
    Ok(match cmd {
        Cmd::List => Command::List(list_what(&d)?, d.format),
        Cmd::Restore => Command::Restore,
        Cmd::Save => {
            let mut format = d.format;
            format.rule = true;
            Command::Save(format)
        }
        Cmd::Flush => Command::Flush,
        Cmd::Add => Command::AddService(service(&d)?),
        Cmd::Edit => Command::EditService(service(&d)?),
        Cmd::Del => Command::DeleteService(service_key(&d)?),
        Cmd::Zero => Command::Zero(if d.has(OptClass::Service) {
            Some(service_key(&d)?)
        } else {
            None
        }),
        Cmd::AddDest => Command::AddServer(service_key(&d)?, destination(&d)?),
        Cmd::EditDest => Command::EditServer(service_key(&d)?, destination(&d)?),
        Cmd::DelDest => {
            let dest = destination(&d)?;
            Command::DeleteServer(service_key(&d)?, dest.key())
        }
        Cmd::Timeout => Command::SetTimeouts(d.timeouts),
        Cmd::StartDaemon => Command::StartDaemon(DaemonConfig {
            state: d.daemon_state.unwrap_or(DaemonState::Master),
            mcast_ifname: d.mcast_ifn.clone(),
            syncid: d.syncid,
            sync_maxlen: d.sync_maxlen,
            mcast_group: d.mcast_group,
            mcast_port: d.mcast_port,
            mcast_ttl: d.mcast_ttl,
        }),
        Cmd::StopDaemon => Command::StopDaemon(d.daemon_state.unwrap_or(DaemonState::Master)),
    })
}

fn list_what(d: &Draft) -> Result<ListWhat, Stop> {
    let conn_like =
        d.has(OptClass::Connection) || d.has(OptClass::Timeout) || d.has(OptClass::Daemon);
    let stat_like = d.has(OptClass::Stats) || d.has(OptClass::Rate) || d.has(OptClass::Thresholds);
    let info_like = d.has(OptClass::Timeout) || d.has(OptClass::Daemon);
    if (conn_like && stat_like) || (info_like && d.has(OptClass::PersistentConn)) {
        return Err(Stop::fail("options conflicts in the list command"));
    }
    Ok(if d.has(OptClass::Connection) {
        ListWhat::Connections
    } else if d.has(OptClass::Service) {
        ListWhat::Service(service_key(d)?)
    } else if d.has(OptClass::Timeout) {
        ListWhat::Timeouts
    } else if d.has(OptClass::Daemon) {
        ListWhat::Daemons
    } else {
        ListWhat::All
    })
}

fn service_key(d: &Draft) -> Result<ServiceKey, Stop> {
    if d.fwmark != 0 {
        let af = if d.svc_af == AF_INET6 {
            crate::model::AddressFamily::Inet6
        } else {
            crate::model::AddressFamily::Inet
        };
        return Ok(ServiceKey::FirewallMark { af, mark: d.fwmark });
    }
    match (d.protocol, d.addr) {
        (Some(protocol), Some(addr)) => Ok(ServiceKey::Address {
            protocol,
            addr,
            port: d.port,
        }),
        _ => Err(Stop::fail(
            "illegal virtual server address[:port] specified",
        )),
    }
}

fn service(d: &Draft) -> Result<Service, Stop> {
    let key = service_key(d)?;
    let netmask = match key.af() {
        crate::model::AddressFamily::Inet => Netmask::V4(Ipv4Addr::from(d.netmask)),
        crate::model::AddressFamily::Inet6 => {
            Netmask::V6Prefix(u8::try_from(d.netmask).unwrap_or(128))
        }
    };
    let persistence = (d.flags & SVC_F_PERSISTENT != 0).then(|| Persistence {
        timeout: d.timeout,
        netmask,
        engine: (!d.pe.is_empty()).then(|| d.pe.clone()),
    });
    if persistence.is_none() && !d.pe.is_empty() {
        return Err(Stop::fail(
            "a persistence engine (--pe) needs a persistent service (-p) in this implementation",
        ));
    }
    Ok(Service {
        key,
        scheduler: d.scheduler.clone(),
        scheduler_flags: SchedulerFlags {
            flag1: d.flags & SVC_F_SCHED1 != 0,
            flag2: d.flags & SVC_F_SCHED2 != 0,
            flag3: d.flags & SVC_F_SCHED3 != 0,
        },
        persistence,
        one_packet: d.flags & SVC_F_ONEPACKET != 0,
    })
}

fn destination(d: &Draft) -> Result<Destination, Stop> {
    let Some(addr) = d.dest_addr else {
        return Err(Stop::fail("illegal real server address[:port] specified"));
    };
    let forwarding = match d.conn_flags {
        CONN_F_MASQ => Forwarding::Masquerade,
        CONN_F_TUNNEL => Forwarding::Tunnel(Tunnel {
            kind: d.tun_type,
            port: d.tun_port,
            checksum: TunnelChecksum::from_raw(d.tun_flags).unwrap_or_default(),
        }),
        _ => Forwarding::DirectRoute,
    };
    Ok(Destination {
        addr,
        port: d.dest_port,
        forwarding,
        weight: d.weight,
        upper_threshold: d.u_threshold,
        lower_threshold: d.l_threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvsadm::resolve::NumericResolver;

    fn parse(line: &str) -> Result<Command, Stop> {
        let args: Vec<String> = std::iter::once("ipvsadm")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        parse_command(&args, false, &NumericResolver)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn tcp(addr: &str, port: u16) -> ServiceKey {
        ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: ip(addr),
            port,
        }
    }

    #[test]
    fn add_service_fills_in_ipvsadms_defaults() {
        let Ok(Command::AddService(s)) = parse("-A -t 10.0.0.1:80 -p") else {
            panic!("not an add");
        };
        assert_eq!(s.key, tcp("10.0.0.1", 80));
        assert_eq!(s.scheduler, "wlc");
        assert_eq!(
            s.persistence,
            Some(Persistence {
                timeout: 360,
                netmask: Netmask::V4(Ipv4Addr::BROADCAST),
                engine: None
            })
        );
    }

    #[test]
    fn direct_routing_keeps_the_virtual_port() {
        let Ok(Command::AddServer(key, d)) = parse("-a -t 10.0.0.1:80 -r 10.0.0.2:8080") else {
            panic!("not an add-server");
        };
        assert_eq!(key, tcp("10.0.0.1", 80));
        assert_eq!(d.port, 80);
        assert_eq!(d.forwarding, Forwarding::DirectRoute);
        assert_eq!(d.weight, 1);
        let Ok(Command::AddServer(_, d)) = parse("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m") else {
            panic!("not an add-server");
        };
        assert_eq!(d.port, 8080);
    }

    #[test]
    fn option_order_matters_as_in_ipvsadm() {
        // -r before -t: the real server's port is the service's port so far (0).
        let Ok(Command::AddServer(_, d)) = parse("-a -r 10.0.0.2 -m -t 10.0.0.1:80") else {
            panic!("not an add-server");
        };
        assert_eq!(d.port, 0);
        // -M before an IPv6 -t is replaced by /128.
        let Ok(Command::AddService(s)) = parse("-A -M 255.255.0.0 -t [2001:db8::1]:80 -p") else {
            panic!("not an add");
        };
        assert_eq!(
            s.persistence.map(|p| p.netmask),
            Some(Netmask::V6Prefix(128))
        );
        let Ok(Command::AddService(s)) = parse("-A -f 5 -6 -p 10 -M 64") else {
            panic!("not an add");
        };
        assert_eq!(
            s.key,
            ServiceKey::FirewallMark {
                af: crate::model::AddressFamily::Inet6,
                mark: 5
            }
        );
        assert_eq!(
            s.persistence.map(|p| p.netmask),
            Some(Netmask::V6Prefix(64))
        );
    }

    #[test]
    fn refusals_carry_ipvsadms_words_and_statuses() {
        let stop = parse("-L -z").err();
        assert_eq!(
            stop,
            Some(Stop {
                stdout: String::new(),
                stderr: "-z: unknown option\n".into(),
                code: 255,
                exits: false
            })
        );
        let stop = parse("-A -t 1.2.3.4")
            .err()
            .map(|s| (s.stderr, s.code, s.exits));
        assert_eq!(
            stop,
            Some((
                "Zero port specified for non-persistent service\n".into(),
                2,
                true
            ))
        );
        let stop = parse("-L -6").err().map(|s| s.stderr);
        assert_eq!(stop.as_deref(), Some("-6 used before -f\n\n"));
        let stop = parse("-Ln --timeout --daemon").err().map(|s| s.stderr);
        assert_eq!(
            stop.as_deref(),
            Some("The option 'daemon' conflicts with the 'timeout' option in the 'list' command\n")
        );
    }

    #[test]
    fn timeouts_and_daemons() {
        assert_eq!(
            parse("--set 1 2 3").ok(),
            Some(Command::SetTimeouts(Timeouts {
                tcp: 1,
                tcp_fin: 2,
                udp: 3
            }))
        );
        let Ok(Command::StartDaemon(d)) = parse("--start-daemon backup --syncid 4") else {
            panic!("not a daemon start");
        };
        assert_eq!(d.mcast_ifname, "eth0");
        assert_eq!(d.state, DaemonState::Backup);
        assert_eq!(d.syncid, 4);
    }
}

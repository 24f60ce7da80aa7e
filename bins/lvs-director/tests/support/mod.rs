//! Test support: the real ipvsadm on a host without IPVS, and the same
//! table in memory for `ha_ipvs::ipvsadm::run`.
//!
//! The real ipvsadm runs with `fake_ipvs.c` preloaded (compiled here with
//! the system C compiler): it answers ipvsadm's socket options from a table
//! file, so ipvsadm's own parsing, messages, exit statuses and IPv4 listings
//! can be compared with ours. [`FakeKernel`] serves the same [`Table`] to
//! our code.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ha_ipvs::ipvsadm::{self, Environment, Kernel, Output, SystemResolver};
use ha_ipvs::{
    DaemonConfig, DaemonState, Destination, DestinationEntry, DestinationKey, Forwarding, Info,
    IpvsError, KernelError, Netmask, Operation, Persistence, Protocol, SchedulerFlags, Service,
    ServiceEntry, ServiceKey, Stats, Timeouts, Tunnel, Version,
};

/// Whether this runs in the IPVS VM (which has no C compiler, and where
/// the in-VM tests compare with a real kernel instead).
pub fn in_vm() -> bool {
    std::env::var_os("HA_VM").is_some()
}

/// Where the Debian package installs ipvsadm.
pub const IPVSADM: &str = "/usr/sbin/ipvsadm";

/// A real server in a test table (IPv4, as ipvsadm's socket options know).
#[derive(Debug, Clone)]
pub struct Dest {
    pub addr: Ipv4Addr,
    pub port: u16,
    /// 0 masq, 1 local, 2 tunnel, 3 route.
    pub conn_flags: u32,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub active: u32,
    pub inactive: u32,
    pub persistent: u32,
    pub stats: [u64; 10],
}

/// A virtual service in a test table.
#[derive(Debug, Clone)]
pub struct Svc {
    /// 6 or 17; ignored for a firewall mark.
    pub protocol: u16,
    pub addr: Ipv4Addr,
    pub port: u16,
    /// Non-zero for a firewall-mark service.
    pub fwmark: u32,
    pub scheduler: String,
    /// IP_VS_SVC_F_* bits.
    pub flags: u32,
    pub timeout: u32,
    pub netmask: Ipv4Addr,
    pub stats: [u64; 10],
    pub dests: Vec<Dest>,
}

/// A whole test table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub services: Vec<Svc>,
}

fn stats_of(s: &[u64; 10]) -> Stats {
    Stats {
        conns: s[0],
        inpkts: s[1],
        outpkts: s[2],
        inbytes: s[3],
        outbytes: s[4],
        cps: s[5],
        inpps: s[6],
        outpps: s[7],
        inbps: s[8],
        outbps: s[9],
    }
}

impl Svc {
    pub fn key(&self) -> ServiceKey {
        if self.fwmark != 0 {
            ServiceKey::FirewallMark {
                af: ha_ipvs::AddressFamily::Inet,
                mark: self.fwmark,
            }
        } else {
            ServiceKey::Address {
                protocol: if self.protocol == 17 {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                },
                addr: IpAddr::V4(self.addr),
                port: self.port,
            }
        }
    }

    /// The service as the binding would report it.
    pub fn entry(&self) -> ServiceEntry {
        ServiceEntry {
            service: Service {
                key: self.key(),
                scheduler: self.scheduler.clone(),
                scheduler_flags: SchedulerFlags {
                    flag1: self.flags & 0x8 != 0,
                    flag2: self.flags & 0x10 != 0,
                    flag3: self.flags & 0x20 != 0,
                },
                persistence: (self.flags & 1 != 0).then_some(Persistence {
                    timeout: self.timeout,
                    netmask: Netmask::V4(self.netmask),
                    engine: None,
                }),
                one_packet: self.flags & 4 != 0,
            },
            hashed: true,
            stats: stats_of(&self.stats),
        }
    }
}

impl Dest {
    /// The real server as the binding would report it.
    pub fn entry(&self) -> DestinationEntry {
        let forwarding = match self.conn_flags {
            0 => Forwarding::Masquerade,
            1 => Forwarding::Local,
            2 => Forwarding::Tunnel(Tunnel::IPIP),
            _ => Forwarding::DirectRoute,
        };
        DestinationEntry {
            destination: Destination {
                addr: IpAddr::V4(self.addr),
                port: self.port,
                forwarding,
                weight: self.weight as u32,
                upper_threshold: self.u_threshold,
                lower_threshold: self.l_threshold,
            },
            active_conns: self.active,
            inactive_conns: self.inactive,
            persistent_conns: self.persistent,
            stats: stats_of(&self.stats),
        }
    }
}

impl Table {
    /// The table in fake_ipvs.c's file format.
    pub fn to_file_text(&self) -> String {
        let mut out = String::new();
        let stats = |s: &[u64; 10]| {
            s.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        for s in &self.services {
            let _ = writeln!(
                out,
                "S {} {} {} {} {} {} {} {} {}",
                if s.fwmark != 0 { 6 } else { s.protocol },
                if s.fwmark != 0 {
                    Ipv4Addr::UNSPECIFIED
                } else {
                    s.addr
                },
                if s.fwmark != 0 { 0 } else { s.port },
                s.fwmark,
                s.scheduler,
                s.flags,
                s.timeout,
                s.netmask,
                stats(&s.stats)
            );
            for d in &s.dests {
                let _ = writeln!(
                    out,
                    "D {} {} {} {} {} {} {} {} {} {}",
                    d.addr,
                    d.port,
                    d.conn_flags,
                    d.weight,
                    d.u_threshold,
                    d.l_threshold,
                    d.active,
                    d.inactive,
                    d.persistent,
                    stats(&d.stats)
                );
            }
        }
        out
    }
}

/// Fake kernel state shared by both sides of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub table: Table,
    /// errno every change fails with (0: changes succeed).
    pub errno: i32,
    pub timeouts: Option<Timeouts>,
    /// (state, interface, syncid) of a running daemon.
    pub daemon: Option<(DaemonState, String, u32)>,
}

/// [`Kernel`] over a [`Scenario`]: lists its table, refuses or accepts
/// changes (without applying them, like fake_ipvs.c).
pub struct FakeKernel<'a> {
    pub scenario: &'a Scenario,
}

impl FakeKernel<'_> {
    fn change(&self, operation: Operation) -> Result<(), IpvsError> {
        if self.scenario.errno == 0 {
            Ok(())
        } else {
            Err(IpvsError::Kernel(KernelError {
                operation,
                errno: self.scenario.errno,
            }))
        }
    }

    fn find(&self, key: &ServiceKey) -> Option<&Svc> {
        self.scenario
            .table
            .services
            .iter()
            .find(|s| s.key() == *key)
    }
}

impl Kernel for FakeKernel<'_> {
    fn info(&mut self) -> Result<Info, IpvsError> {
        Ok(Info {
            version: Version {
                major: 1,
                minor: 2,
                patch: 1,
            },
            conn_tab_size: 4096,
        })
    }
    fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError> {
        Ok(self
            .scenario
            .table
            .services
            .iter()
            .map(Svc::entry)
            .collect())
    }
    fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, IpvsError> {
        self.find(key)
            .map(Svc::entry)
            .ok_or(IpvsError::Kernel(KernelError {
                operation: Operation::GetService,
                errno: libc_esrch(),
            }))
    }
    fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, IpvsError> {
        self.find(key)
            .map(|s| s.dests.iter().map(Dest::entry).collect())
            .ok_or(IpvsError::Kernel(KernelError {
                operation: Operation::ListDestinations,
                errno: libc_esrch(),
            }))
    }
    fn add_service(&mut self, _: &Service) -> Result<(), IpvsError> {
        self.change(Operation::AddService)
    }
    fn edit_service(&mut self, _: &Service) -> Result<(), IpvsError> {
        self.change(Operation::EditService)
    }
    fn delete_service(&mut self, _: &ServiceKey) -> Result<(), IpvsError> {
        self.change(Operation::DeleteService)
    }
    fn flush(&mut self) -> Result<(), IpvsError> {
        self.change(Operation::Flush)
    }
    fn zero(&mut self, _: Option<&ServiceKey>) -> Result<(), IpvsError> {
        self.change(Operation::Zero)
    }
    fn add_destination(&mut self, _: &ServiceKey, _: &Destination) -> Result<(), IpvsError> {
        self.change(Operation::AddDestination)
    }
    fn edit_destination(&mut self, _: &ServiceKey, _: &Destination) -> Result<(), IpvsError> {
        self.change(Operation::EditDestination)
    }
    fn delete_destination(&mut self, _: &ServiceKey, _: &DestinationKey) -> Result<(), IpvsError> {
        self.change(Operation::DeleteDestination)
    }
    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        Ok(self.scenario.timeouts.unwrap_or(Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        }))
    }
    fn set_timeouts(&mut self, _: &Timeouts) -> Result<(), IpvsError> {
        self.change(Operation::SetTimeouts)
    }
    fn daemons(&mut self) -> Result<Vec<DaemonConfig>, IpvsError> {
        Ok(self
            .scenario
            .daemon
            .iter()
            .map(|(state, ifn, syncid)| DaemonConfig::new(*state, ifn.clone(), *syncid))
            .collect())
    }
    fn start_daemon(&mut self, _: &DaemonConfig) -> Result<(), IpvsError> {
        self.change(Operation::StartDaemon)
    }
    fn stop_daemon(&mut self, _: DaemonState) -> Result<(), IpvsError> {
        self.change(Operation::StopDaemon)
    }
}

fn libc_esrch() -> i32 {
    3
}

/// The compiled fake_ipvs.so, built once per test binary.
pub fn fake_ipvs_library() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fake-ipvs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a directory for fake_ipvs.so");
        let lib = dir.join("fake_ipvs.so");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_ipvs.c");
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-O1", "-o"])
            .arg(&lib)
            .arg(&source)
            .arg("-ldl")
            .status()
            .expect("run the C compiler (cc) to build fake_ipvs.so");
        assert!(status.success(), "building fake_ipvs.so failed");
        lib
    })
    .clone()
}

/// The real ipvsadm on `scenario`: its output and status.
pub fn run_real(args: &[&str], scenario: &Scenario, stdin: &str) -> Output {
    assert!(
        Path::new(IPVSADM).exists(),
        "{IPVSADM} is missing: install Debian's ipvsadm package"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let table_file = dir.join(format!(
        "fake-ipvs-table-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&table_file, scenario.table.to_file_text()).expect("write the fake table");
    let mut cmd = Command::new(IPVSADM);
    cmd.args(args)
        .env("LD_PRELOAD", fake_ipvs_library())
        .env("FAKE_IPVS_TABLE", &table_file)
        .env("FAKE_IPVS_ERRNO", scenario.errno.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = scenario.timeouts {
        cmd.env(
            "FAKE_IPVS_TIMEOUT",
            format!("{} {} {}", t.tcp, t.tcp_fin, t.udp),
        );
    }
    if let Some((state, ifn, syncid)) = &scenario.daemon {
        cmd.env(
            "FAKE_IPVS_DAEMON",
            format!("{} {} {}", state.to_raw(), ifn, syncid),
        );
    }
    let mut child = cmd.spawn().expect("run ipvsadm");
    {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("ipvsadm's stdin");
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait for ipvsadm");
    let _ = std::fs::remove_file(&table_file);
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().map(|c| c as u8).unwrap_or(139),
    }
}

/// Our ipvsadm on `scenario`, with the same program name as the real one.
pub fn run_ours(args: &[&str], scenario: &Scenario, stdin: &str) -> Output {
    let argv: Vec<String> = std::iter::once(IPVSADM)
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let mut kernel = FakeKernel { scenario };
    let input = stdin.to_string();
    let mut read_stdin = move || Ok(input.clone());
    let conn_table = || std::fs::read_to_string("/proc/net/ip_vs_conn");
    let mut env = Environment {
        kernel: &mut kernel,
        resolver: &SystemResolver,
        stdin: &mut read_stdin,
        conn_table: &conn_table,
    };
    ipvsadm::run(&argv, &mut env)
}

/// Runs both and reports any difference as a readable text.
pub fn compare(args: &[&str], scenario: &Scenario, stdin: &str) -> Option<String> {
    let real = run_real(args, scenario, stdin);
    let ours = run_ours(args, scenario, stdin);
    // The usage and version texts are our own words; compare where they go.
    let help = matches!(
        args.first(),
        Some(&"-h") | Some(&"--help") | Some(&"-v") | Some(&"--version")
    );
    let same = if help {
        real.code == ours.code
            && real.stdout.is_empty() == ours.stdout.is_empty()
            && real.stderr == ours.stderr
    } else {
        real == ours
    };
    (!same).then(|| {
        format!(
            "ipvsadm {args:?} (stdin {stdin:?}):\n  real: code {} stdout {:?} stderr {:?}\n  ours: code {} stdout {:?} stderr {:?}",
            real.code, real.stdout, real.stderr, ours.code, ours.stdout, ours.stderr
        )
    })
}

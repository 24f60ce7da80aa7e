//! A test bed for the director end to end, inside the IPVS VM: network
//! namespaces for a client, a director (whose namespace has its own IPVS
//! table) and two real servers, joined by a front LAN (direct routing: the
//! real servers carry the VIP on `lo`, set up by `lvs-director realserver
//! start`) or, for NAT, a back LAN behind the director. Real servers are
//! tiny HTTP responders on threads whose sockets live in their namespace.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

pub mod web;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ha_ipvs::{Destination, Ipvs, ServiceEntry, ServiceKey};
use ha_lab::{Host, Lab, LabChild, Lan, Signal};

pub use web::{http_get, Web};

/// The director under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_lvs-director");

/// A namespace's IPVS table: each service with its real servers.
pub type IpvsTable = BTreeMap<ServiceKey, (ServiceEntry, Vec<ha_ipvs::DestinationEntry>)>;

/// The virtual IP.
pub const VIP: &str = "10.50.0.100";

/// Where the director serves `/metrics`, on its namespace's loopback.
pub const METRICS: &str = "127.0.0.1:9695";

/// How the real servers are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Direct routing: everyone on the front LAN, the VIP on the reals' `lo`.
    DirectRouting,
    /// NAT: the reals on a back LAN with the director as their gateway.
    Nat,
}

/// The hosts, the director's files, and the director process.
pub struct Bed {
    /// The lab (dropping it removes everything).
    pub lab: Lab,
    /// The front LAN.
    pub front: Lan,
    /// The client.
    pub client: Host,
    /// The director.
    pub director: Host,
    /// The real servers.
    pub reals: [Host; 2],
    /// Their addresses.
    pub real_addrs: [IpAddr; 2],
    /// Files: configuration, state, socket, log.
    pub dir: PathBuf,
    process: Option<LabChild>,
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

impl Bed {
    /// Builds the hosts for `mode`.
    pub fn new(tag: &str, mode: Mode) -> Bed {
        let lab = Lab::new(tag).expect("lab (root, iproute2)");
        let front = lab.lan("front").expect("front LAN");
        let client = lab.host("client").expect("client");
        front
            .connect(&client, "eth0", "10.50.0.10/24")
            .expect("client link");
        let director = lab.host("director").expect("director");
        front
            .connect(&director, "eth0", "10.50.0.2/24")
            .expect("director link");
        director
            .add_address("eth0", &format!("{VIP}/24"))
            .expect("the VIP on the director");
        let r1 = lab.host("r1").expect("r1");
        let r2 = lab.host("r2").expect("r2");
        let real_addrs = match mode {
            Mode::DirectRouting => {
                front
                    .connect(&r1, "eth0", "10.50.0.11/24")
                    .expect("r1 link");
                front
                    .connect(&r2, "eth0", "10.50.0.12/24")
                    .expect("r2 link");
                [ip("10.50.0.11"), ip("10.50.0.12")]
            }
            Mode::Nat => {
                let back = lab.lan("back").expect("back LAN");
                back.connect(&director, "eth1", "10.60.0.1/24")
                    .expect("director back link");
                back.connect(&r1, "eth0", "10.60.0.11/24").expect("r1 link");
                back.connect(&r2, "eth0", "10.60.0.12/24").expect("r2 link");
                for r in [&r1, &r2] {
                    r.ip(&["route", "add", "default", "via", "10.60.0.1"])
                        .expect("default route via the director");
                }
                director
                    .sysctl("net.ipv4.ip_forward", "1")
                    .expect("ip_forward");
                [ip("10.60.0.11"), ip("10.60.0.12")]
            }
        };
        let dir = std::env::temp_dir().join(lab.prefix());
        std::fs::create_dir_all(&dir).expect("bed directory");
        Bed {
            lab,
            front,
            client,
            director,
            reals: [r1, r2],
            real_addrs,
            dir,
            process: None,
        }
    }

    /// A file of the bed.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `lvs-director realserver start --vip VIP` on each real server.
    pub fn realservers_start(&self) {
        for (i, r) in self.reals.iter().enumerate() {
            let out = r
                .command(BINARY)
                .args(["realserver", "start", "--vip", VIP, "--state-dir"])
                .arg(self.path(&format!("rs{i}")))
                .output()
                .expect("realserver start");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// An executable script `NAME.sh` that appends its arguments, one call
    /// per line, to `NAME.log` (see [`Bed::recorded`]).
    pub fn recorder(&self, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = self.path(&format!("{name}.sh"));
        let log = self.path(&format!("{name}.log"));
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
        )
        .expect("write a script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("chmod a script");
        script
    }

    /// The calls a [`Bed::recorder`] script has seen.
    pub fn recorded(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(&format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes the configuration file.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path("ldirectord.cf"), text).expect("write ldirectord.cf");
    }

    /// Starts `lvs-director run` in the director's namespace.
    pub fn start_director(&mut self) {
        self.start_director_with_env(&[]);
    }

    /// Starts `lvs-director run` as [`Bed::start_director`] does, with
    /// these variables added to its environment (e.g. `NOTIFY_SOCKET`).
    pub fn start_director_with_env(&mut self, env: &[(&str, &str)]) {
        let log = std::fs::File::create(self.path("stderr.log")).expect("stderr log");
        let mut cmd = self.director.command(BINARY);
        cmd.args(["run", "-f"])
            .arg(self.path("ldirectord.cf"))
            .arg("--socket")
            .arg(self.path("director.sock"))
            .arg("--state-dir")
            .arg(self.path("state"))
            .args(["--metrics-listen", METRICS])
            .stdout(Stdio::null())
            .stderr(log);
        for (name, value) in env {
            cmd.env(name, value);
        }
        self.process = Some(self.director.spawn(cmd).expect("start the director"));
    }

    /// Sends `signal` to the director.
    pub fn signal_director(&self, signal: Signal) {
        if let Some(process) = &self.process {
            process.signal(signal).expect("signal the director");
        }
    }

    /// SIGTERM to the director; its exit status.
    pub fn stop_director(&mut self) -> Option<i32> {
        let process = self.process.take()?;
        process.signal(Signal::SIGTERM).expect("SIGTERM");
        process
            .wait_timeout(Duration::from_secs(20))
            .expect("wait")
            .and_then(|s| s.code())
    }

    /// Whether the director still runs.
    pub fn director_running(&self) -> bool {
        self.process
            .as_ref()
            .is_some_and(|p| matches!(p.try_wait(), Ok(None)))
    }

    /// What the director wrote on stderr (its log).
    pub fn director_log(&self) -> String {
        std::fs::read_to_string(self.path("stderr.log")).unwrap_or_default()
    }

    /// `lvs-director ARGS… --socket SOCKET` (status, reload).
    pub fn ask(&self, args: &[&str]) -> Output {
        Command::new(BINARY)
            .args(args)
            .arg("--socket")
            .arg(self.path("director.sock"))
            .output()
            .expect("run lvs-director")
    }

    /// The director's `/metrics`, or `None` when it does not answer 200.
    pub fn metrics(&self) -> Option<String> {
        http_get(&self.director, METRICS.parse().ok()?, "/metrics")
    }

    /// The director namespace's IPVS table: each service with its real
    /// servers (configuration and counters).
    pub fn table(&self) -> IpvsTable {
        self.director
            .run_in(|| {
                let mut ipvs = Ipvs::connect().expect("IPVS in the director's namespace");
                let mut table = BTreeMap::new();
                for service in ipvs.services().expect("list services") {
                    let key = service.service.key;
                    let dests = ipvs.destinations(&key).expect("list real servers");
                    table.insert(key, (service, dests));
                }
                table
            })
            .expect("enter the director")
    }

    /// The real servers of `key` as (address, port, weight), sorted.
    pub fn reals_of(&self, key: &ServiceKey) -> Vec<(IpAddr, u16, u32)> {
        let mut reals: Vec<(IpAddr, u16, u32)> = self
            .table()
            .get(key)
            .map(|(_, dests)| {
                dests
                    .iter()
                    .map(|d| {
                        let Destination {
                            addr, port, weight, ..
                        } = &d.destination;
                        (*addr, *port, *weight)
                    })
                    .collect()
            })
            .unwrap_or_default();
        reals.sort();
        reals
    }

    /// Waits until `condition` holds (checking every 50 ms) and returns how
    /// long it took, or panics after `limit` with `what` and the log.
    pub fn wait_until(
        &self,
        what: &str,
        limit: Duration,
        condition: impl Fn() -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            if condition() {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!(
                    "{what}: not within {limit:?}\ntable: {:?}\nlog:\n{}",
                    self.table(),
                    self.director_log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `count` requests from the client to `VIP:port`; the bodies received.
    pub fn requests(&self, port: u16, count: usize) -> Vec<String> {
        let target = SocketAddr::new(ip(VIP), port);
        (0..count)
            .filter_map(|_| http_get(&self.client, target, "/"))
            .collect()
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            let _ = process.kill();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The service key of `VIP:port` over TCP.
pub fn tcp(port: u16) -> ServiceKey {
    ServiceKey::Address {
        protocol: ha_ipvs::Protocol::Tcp,
        addr: ip(VIP),
        port,
    }
}

/// Prints a timing line past libtest's capture (wanted in passing runs).
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "timing: {line}");
}

/// `path`'s parent directory exists.
pub fn ensure_parent(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
}

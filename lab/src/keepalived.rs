//! keepalived as a reference peer in the same two-node bed as
//! [`TwoNodeCluster`](crate::cluster::TwoNodeCluster), so benches can put
//! `ha-node` and keepalived side by side under the same faults and the same
//! client.
//!
//! [`KeepalivedPair`] builds the reference topology (node-a 10.77.0.1,
//! node-b 10.77.0.2, client 10.77.0.10, "who am I" responders on TCP 8080)
//! and runs one keepalived per node in the node's namespace: one VRRP
//! instance each (VRID 77 on `eth0`), MASTER with priority 150 on node-a,
//! BACKUP with priority 100 on node-b, both holding the virtual IP
//! 10.77.0.100/24. keepalived runs in the foreground (`-n`), VRRP only
//! (`-P`), logging to its console (`-l -D`, captured in the node's
//! `output.log`), with its own configuration and pid files under the lab's
//! scratch directory, so instances of different labs never meet.
//!
//! keepalived forks a VRRP process; each instance leads its own process
//! group, which [`KeepalivedPair::kill`] and every clean-up (drop, also
//! during a panic, and the lab's own removal of its namespaces) kill whole.
//!
//! ```no_run
//! use ha_lab::cluster::Node;
//! use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};
//! # fn main() -> Result<(), ha_lab::LabError> {
//! let mut pair = KeepalivedPair::new("ka", KeepalivedSpec::new("0.05"))?;
//! pair.start(Node::A)?;
//! pair.start(Node::B)?;
//! # Ok(()) }
//! ```

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cluster::{read_lossy, Node, Topology, VIP};
use crate::{Host, Lab, LabChild, LabError, Responder, Signal};

/// Where Debian installs keepalived.
pub const DEFAULT_BINARY: &str = "/usr/sbin/keepalived";

/// What keepalived logs when an instance becomes master.
pub const MASTER_LINE: &str = "Entering MASTER STATE";

/// Each instance's pid files, in its node directory: parent, VRRP,
/// checkers and BFD processes (keepalived's defaults under /run would clash
/// between instances).
const PID_FILES: [&str; 4] = ["keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"];

/// The virtual IP with its prefix, as keepalived and `ip` write it.
const VIP_CIDR: &str = "10.77.0.100/24";

/// How one keepalived pair is configured.
#[derive(Debug, Clone)]
pub struct KeepalivedSpec {
    /// The keepalived binary.
    pub binary: PathBuf,
    /// `advert_int`, as written in keepalived.conf (`1`, `0.05`…; VRRPv3
    /// allows down to `0.01`).
    pub advert_int: String,
    /// `vrrp_version` (2 or 3; below one second needs 3).
    pub vrrp_version: u8,
    /// The priorities of node-a and node-b.
    pub priorities: [u8; 2],
    /// `virtual_router_id`.
    pub virtual_router_id: u8,
}

impl KeepalivedSpec {
    /// VRRPv3 at `advert_int`, node-a MASTER at priority 150, node-b BACKUP
    /// at 100, VRID 77, keepalived from `KEEPALIVED_BIN` or
    /// [`DEFAULT_BINARY`].
    pub fn new(advert_int: &str) -> Self {
        let binary =
            std::env::var_os("KEEPALIVED_BIN").map_or_else(|| DEFAULT_BINARY.into(), PathBuf::from);
        KeepalivedSpec {
            binary,
            advert_int: advert_int.to_string(),
            vrrp_version: 3,
            priorities: [150, 100],
            virtual_router_id: 77,
        }
    }

    /// Whether the binary exists and is executable.
    pub fn is_installed(&self) -> bool {
        installed(&self.binary)
    }

    /// keepalived.conf for `node`.
    pub fn config(&self, node: Node) -> String {
        let state = match node {
            Node::A => "MASTER",
            Node::B => "BACKUP",
        };
        format!(
            "global_defs {{\n  router_id {name}\n  vrrp_version {version}\n  \
             script_user root\n  enable_script_security\n}}\n\
             vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  \
             virtual_router_id {vrid}\n  priority {priority}\n  advert_int {advert}\n  \
             virtual_ipaddress {{\n    {VIP_CIDR} dev eth0\n  }}\n}}\n",
            name = node.name(),
            version = self.vrrp_version,
            vrid = self.virtual_router_id,
            priority = self.priorities[node.index()],
            advert = self.advert_int,
        )
    }
}

/// Whether `binary` is an executable file.
fn installed(binary: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(binary).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Two keepalived nodes, a client and a LAN, torn down on drop.
pub struct KeepalivedPair {
    spec: KeepalivedSpec,
    dir: PathBuf,
    processes: [Option<LabChild>; 2],
    hosts: [Host; 2],
    client: Host,
    _responders: Vec<Responder>,
    // Dropped last: removes the namespaces after everything in them.
    lab: Lab,
}

impl KeepalivedPair {
    /// Builds the topology and writes each node's keepalived.conf; starts
    /// nothing. Fails with [`LabError::ToolMissing`] when the keepalived
    /// binary is not there.
    pub fn new(tag: &str, spec: KeepalivedSpec) -> Result<Self, LabError> {
        if !spec.is_installed() {
            return Err(LabError::ToolMissing {
                tool: spec.binary.display().to_string(),
                package: "keepalived".to_string(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        let Topology {
            lab,
            hosts,
            client,
            responders,
            dir,
        } = Topology::build(tag, None)?;
        let pair = KeepalivedPair {
            spec,
            dir,
            processes: [None, None],
            hosts,
            client,
            _responders: responders,
            lab,
        };
        for node in Node::BOTH {
            let dir = pair.node_dir(node);
            fs::create_dir_all(&dir).map_err(|e| LabError::io(dir.display().to_string(), e))?;
            let conf = pair.config_path(node);
            fs::write(&conf, pair.spec.config(node))
                .map_err(|e| LabError::io(conf.display().to_string(), e))?;
        }
        Ok(pair)
    }

    /// The lab underneath, for faults and extra hosts.
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// The configuration in use.
    pub fn spec(&self) -> &KeepalivedSpec {
        &self.spec
    }

    /// A node's host.
    pub fn host(&self, node: Node) -> &Host {
        &self.hosts[node.index()]
    }

    /// The client host.
    pub fn client(&self) -> &Host {
        &self.client
    }

    /// The virtual IP and port.
    pub fn vip(&self) -> SocketAddr {
        SocketAddr::from(VIP)
    }

    /// A node's scratch directory (configuration, pid files, output).
    pub fn node_dir(&self, node: Node) -> PathBuf {
        self.dir.join(format!("keepalived-{}", node.name()))
    }

    /// A node's keepalived.conf.
    pub fn config_path(&self, node: Node) -> PathBuf {
        self.node_dir(node).join("keepalived.conf")
    }

    /// Starts keepalived on `node`, its output appended to `output.log`.
    /// What a killed instance left behind is removed first, as a rebooted
    /// host would have lost it: the virtual IP, and the pid files (the
    /// killed VRRP process may linger as a zombie, and keepalived refuses
    /// to start while a pid file names a live process).
    pub fn start(&mut self, node: Node) -> Result<(), LabError> {
        if self.holds_vip(node)? {
            self.host(node).del_address("eth0", VIP_CIDR)?;
        }
        let dir = self.node_dir(node);
        for name in PID_FILES {
            let path = dir.join(name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(LabError::io(path.display().to_string(), e))
                }
                _ => {}
            }
        }
        let output = dir.join("output.log");
        let mut cmd = self.host(node).command(&self.spec.binary);
        cmd.args([
            "--dont-fork",
            "--log-console",
            "--log-detail",
            "--no-syslog",
        ])
        .arg("--vrrp")
        .arg("--use-file")
        .arg(self.config_path(node))
        .arg("--pid")
        .arg(dir.join("keepalived.pid"))
        .arg("--vrrp_pid")
        .arg(dir.join("vrrp.pid"))
        .arg("--checkers_pid")
        .arg(dir.join("checkers.pid"))
        .arg("--bfd_pid")
        .arg(dir.join("bfd.pid"));
        let child = self.host(node).spawn_logged(cmd, &output)?;
        self.processes[node.index()] = Some(child);
        Ok(())
    }

    /// `kill -9` of a node's keepalived, its VRRP process included (the
    /// whole process group), and reaps it. The virtual IP stays on the
    /// node, as after a real crash.
    pub fn kill(&mut self, node: Node) -> Result<(), LabError> {
        if let Some(child) = self.processes[node.index()].take() {
            child.signal_group(Signal::SIGKILL)?;
            child.wait()?;
        }
        Ok(())
    }

    /// Whether the node's keepalived (its parent process) is running.
    pub fn is_running(&self, node: Node) -> bool {
        self.processes[node.index()]
            .as_ref()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The pid of a node's keepalived parent process, which is also the
    /// process group of its VRRP process (see
    /// [`group_cpu_time`](crate::cpu::group_cpu_time)).
    pub fn pid(&self, node: Node) -> Option<u32> {
        self.processes[node.index()].as_ref().map(LabChild::pid)
    }

    /// Whether a node's host has the virtual IP configured.
    pub fn holds_vip(&self, node: Node) -> Result<bool, LabError> {
        self.host(node).has_address([10, 77, 0, 100].into())
    }

    /// Whether both nodes run and only `owner` holds the virtual IP.
    pub fn is_settled(&self, owner: Node) -> bool {
        self.is_running(owner)
            && self.is_running(owner.other())
            && self.holds_vip(owner).unwrap_or(false)
            && !self.holds_vip(owner.other()).unwrap_or(true)
    }

    /// Everything a node's keepalived has written so far (all its runs).
    pub fn output(&self, node: Node) -> String {
        read_lossy(&self.node_dir(node).join("output.log"))
    }

    /// How many times a node's keepalived has entered MASTER state so far
    /// (all its runs).
    pub fn master_entries(&self, node: Node) -> usize {
        self.output(node).matches(MASTER_LINE).count()
    }

    /// Waits until `check` holds, polling every 10 ms, up to `timeout`.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> bool,
    ) -> Option<Instant> {
        crate::poll::until(timeout, || check(self))
    }
}

impl Drop for KeepalivedPair {
    fn drop(&mut self) {
        for child in self.processes.iter_mut().filter_map(Option::take) {
            let _ = child.signal_group(Signal::SIGKILL);
            let _ = child.wait();
        }
        if std::env::var_os("HA_LAB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_gets_its_own_state_and_priority() {
        let spec = KeepalivedSpec::new("0.01");
        let a = spec.config(Node::A);
        let b = spec.config(Node::B);
        assert!(a.contains("state MASTER") && a.contains("priority 150"));
        assert!(b.contains("state BACKUP") && b.contains("priority 100"));
        for conf in [&a, &b] {
            assert!(conf.contains("vrrp_version 3"));
            assert!(conf.contains("advert_int 0.01"));
            assert!(conf.contains("10.77.0.100/24 dev eth0"));
        }
    }
}

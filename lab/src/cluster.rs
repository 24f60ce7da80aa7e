//! A two-node heartbeat cluster with a client, for tests, benches and the demo.
//!
//! [`TwoNodeCluster`] builds the reference topology — nodes `node-a`
//! (10.77.0.1) and `node-b` (10.77.0.2) and a client (10.77.0.10) on one LAN,
//! a virtual IP 10.77.0.100/24 preferring `node-a` — writes each node's
//! ha.cf, authkeys and haresources into a scratch directory, and runs a node
//! binary (`ha-node run`, given by path) in each node's namespace. Each node
//! serves "A" or "B" on TCP 8080, so the client can tell who answers on the
//! virtual IP. With [`ClusterSpec::private_mounts`] each node is also a
//! machine of its own (mounts and hostname), for real agents that keep
//! files at fixed paths.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Host, Lab, LabChild, LabError, Lan, Responder, Watcher};

/// The two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// `node-a`, 10.77.0.1, the preferred node; answers "A".
    A,
    /// `node-b`, 10.77.0.2; answers "B".
    B,
}

impl Node {
    /// Both nodes.
    pub const BOTH: [Node; 2] = [Node::A, Node::B];

    /// The node's name in ha.cf.
    pub fn name(self) -> &'static str {
        match self {
            Node::A => "node-a",
            Node::B => "node-b",
        }
    }

    /// What its TCP 8080 answers.
    pub fn reply(self) -> &'static str {
        match self {
            Node::A => "A",
            Node::B => "B",
        }
    }

    /// The other node.
    pub fn other(self) -> Node {
        match self {
            Node::A => Node::B,
            Node::B => Node::A,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Node::A => 0,
            Node::B => 1,
        }
    }

    /// Its address on the LAN.
    pub fn address(self) -> &'static str {
        match self {
            Node::A => "10.77.0.1",
            Node::B => "10.77.0.2",
        }
    }
}

/// The virtual IP the cluster keeps alive, with the port the nodes serve.
pub const VIP: ([u8; 4], u16) = ([10, 77, 0, 100], 8080);

/// How the cluster is configured.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// The node binary (`ha-node`).
    pub binary: PathBuf,
    /// ha.cf timers, as written in ha.cf (`100ms`, `2`…).
    pub keepalive: String,
    /// ha.cf `warntime`.
    pub warntime: String,
    /// ha.cf `deadtime`.
    pub deadtime: String,
    /// ha.cf `initdead`.
    pub initdead: String,
    /// ha.cf `auto_failback`.
    pub auto_failback: String,
    /// The medium lines of ha.cf for node A and node B (e.g. `bcast eth0`).
    pub media: [Vec<String>; 2],
    /// The authkeys of node A and node B.
    pub authkeys: [String; 2],
    /// haresources, the same on both nodes.
    pub haresources: String,
    /// The monitoring file, the same on both nodes; `None`: none (nothing
    /// is monitored).
    pub monitoring: Option<String>,
    /// What a node runs when a stop fails for good (`--failed-stop-command`;
    /// never the default reboot in a lab).
    pub failed_stop_command: String,
    /// More ha.cf lines, the same on both nodes, written after the others
    /// (e.g. `stonith_command /path/to/fence`).
    pub extra_ha_cf: Vec<String>,
    /// `None`: the nodes share the machine's mounts and hostname. `Some`:
    /// each node is a machine of its own ([`Host::make_machine`]), its
    /// hostname its node name, with an empty tmpfs over each of these
    /// directories (e.g. `/run` and a daemon's log and state directories),
    /// so agents that keep pid files and state at fixed paths run on both
    /// nodes unchanged. The scratch directory (under the temporary
    /// directory) must stay shared.
    pub private_mounts: Option<Vec<PathBuf>>,
    /// More files of the node's ha.d, the same on both nodes: a path
    /// relative to ha.d (e.g. `conf/OCF/Dummy/web`, an instance of
    /// heartbeat's OCF wrapper) and its text. Written into an ha-node's
    /// configuration directory and into a heartbeat node's own `/etc/ha.d`.
    pub ha_d_files: Vec<(PathBuf, String)>,
    /// More arguments of the node's `run`, the same on both nodes (e.g.
    /// `--metrics-listen 127.0.0.1:9694`).
    pub run_args: Vec<String>,
}

impl ClusterSpec {
    /// keepalive 100ms, warntime 300ms, deadtime 500ms, initdead 2, bcast,
    /// auto_failback on, one sha1 key on both nodes.
    pub fn fast(binary: impl Into<PathBuf>) -> Self {
        let keys = "auth 1\n1 sha1 lab-cluster-secret\n".to_string();
        ClusterSpec {
            binary: binary.into(),
            keepalive: "100ms".into(),
            warntime: "300ms".into(),
            deadtime: "500ms".into(),
            initdead: "2".into(),
            auto_failback: "on".into(),
            media: [vec!["bcast eth0".into()], vec!["bcast eth0".into()]],
            authkeys: [keys.clone(), keys],
            haresources: "node-a IPaddr::10.77.0.100/24/eth0\n".into(),
            monitoring: None,
            failed_stop_command: "/bin/true".into(),
            extra_ha_cf: Vec::new(),
            private_mounts: None,
            ha_d_files: Vec::new(),
            run_args: Vec::new(),
        }
    }
    /// The spec on two media on every node: `bcast eth0` on the LAN and
    /// `mcast eth1 225.0.0.1 694 1 0` on the second LAN, which the caller
    /// joins with [`TwoNodeCluster::connect_second_lan`].
    pub fn on_two_media(mut self) -> Self {
        let media = vec![
            "bcast eth0".to_string(),
            "mcast eth1 225.0.0.1 694 1 0".to_string(),
        ];
        self.media = [media.clone(), media];
        self
    }
}

/// The reference topology every two-node bed of the lab shares: node-a,
/// node-b and the client on one LAN (`eth0` each), a "who am I" responder on
/// TCP 8080 of each node, and a scratch directory named after the lab.
pub(crate) struct Topology {
    pub(crate) lab: Lab,
    pub(crate) hosts: [Host; 2],
    pub(crate) client: Host,
    pub(crate) responders: Vec<Responder>,
    pub(crate) dir: PathBuf,
}

impl Topology {
    /// Builds it, in a new lab tagged `tag`; with `private_mounts`, each
    /// node is a machine of its own with those directories private (see
    /// [`Host::make_machine`]).
    pub(crate) fn build(tag: &str, private_mounts: Option<&[PathBuf]>) -> Result<Self, LabError> {
        let lab = Lab::new(tag)?;
        let a = lab.host("a")?;
        let b = lab.host("b")?;
        let client = lab.host("c")?;
        if let Some(dirs) = private_mounts {
            a.make_machine(Node::A.name(), dirs)?;
            b.make_machine(Node::B.name(), dirs)?;
        }
        lab.connect(&a, "eth0", "10.77.0.1/24")?;
        lab.connect(&b, "eth0", "10.77.0.2/24")?;
        lab.connect(&client, "eth0", "10.77.0.10/24")?;
        let responders = vec![
            a.serve_whoami(([0, 0, 0, 0], VIP.1), Node::A.reply())?,
            b.serve_whoami(([0, 0, 0, 0], VIP.1), Node::B.reply())?,
        ];
        let dir = std::env::temp_dir().join(lab.prefix());
        Ok(Topology {
            lab,
            hosts: [a, b],
            client,
            responders,
            dir,
        })
    }
}

/// The ha.cf lines `node` gets from `spec` (its timers, media, nodes and
/// extra lines), logging to `logfile` and `debugfile`: what an ha-node
/// reads, and a heartbeat node with a few lines of its own.
pub(crate) fn ha_cf_lines(
    spec: &ClusterSpec,
    node: Node,
    logfile: &Path,
    debugfile: &Path,
) -> String {
    let media: String = spec.media[node.index()]
        .iter()
        .map(|m| format!("{m}\n"))
        .collect();
    let extra: String = spec.extra_ha_cf.iter().map(|l| format!("{l}\n")).collect();
    format!(
        "logfile {}\ndebugfile {}\nkeepalive {}\nwarntime {}\ndeadtime {}\ninitdead {}\n\
         udpport 694\n{media}auto_failback {}\nnode {}\nnode {}\n{extra}",
        logfile.display(),
        debugfile.display(),
        spec.keepalive,
        spec.warntime,
        spec.deadtime,
        spec.initdead,
        spec.auto_failback,
        Node::A.name(),
        Node::B.name(),
    )
}

/// Two nodes, a client and a LAN, torn down on drop.
pub struct TwoNodeCluster {
    pub(crate) spec: ClusterSpec,
    dir: PathBuf,
    pub(crate) processes: [Option<LabChild>; 2],
    hosts: [Host; 2],
    client: Host,
    _responders: Vec<Responder>,
    keep_files: bool,
    // Dropped last: removes the namespaces after everything in them.
    lab: Lab,
}

impl TwoNodeCluster {
    /// Builds the topology and writes the configuration; starts no node.
    pub fn new(tag: &str, spec: ClusterSpec) -> Result<Self, LabError> {
        let Topology {
            lab,
            hosts,
            client,
            responders,
            dir,
        } = Topology::build(tag, spec.private_mounts.as_deref())?;
        let cluster = TwoNodeCluster {
            spec,
            dir,
            processes: [None, None],
            hosts,
            client,
            _responders: responders,
            keep_files: false,
            lab,
        };
        for node in Node::BOTH {
            cluster.write_config(node)?;
        }
        Ok(cluster)
    }

    /// The lab underneath, for faults and extra hosts.
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// A node's host.
    pub fn host(&self, node: Node) -> &Host {
        &self.hosts[node.index()]
    }

    /// Joins both nodes to a second LAN, `lan2` (the client stays off it):
    /// `eth1` with 10.78.0.1/24 on node-a and 10.78.0.2/24 on node-b, for a
    /// second medium (`mcast eth1 ...` in the spec's media).
    pub fn connect_second_lan(&self) -> Result<Lan, LabError> {
        let lan2 = self.lab.lan("lan2")?;
        lan2.connect(self.host(Node::A), "eth1", "10.78.0.1/24")?;
        lan2.connect(self.host(Node::B), "eth1", "10.78.0.2/24")?;
        Ok(lan2)
    }

    /// The client host.
    pub fn client(&self) -> &Host {
        &self.client
    }

    /// The virtual IP and port.
    pub fn vip(&self) -> SocketAddr {
        SocketAddr::from(VIP)
    }

    /// A node's scratch directory (its `ha.d`, state, socket and logs).
    pub fn node_dir(&self, node: Node) -> PathBuf {
        self.dir.join(node.name())
    }

    /// Leaves the scratch directory (configuration and logs) in place when
    /// the cluster is dropped, as `HA_LAB_KEEP` does.
    pub fn keep_files(&mut self) {
        self.keep_files = true;
    }

    /// A node's ha.d directory.
    pub fn config_dir(&self, node: Node) -> PathBuf {
        self.node_dir(node).join("ha.d")
    }

    /// A node's control socket.
    pub fn socket(&self, node: Node) -> PathBuf {
        self.node_dir(node).join("ha-node.sock")
    }

    fn write_config(&self, node: Node) -> Result<(), LabError> {
        let spec = &self.spec;
        let ha_d = self.config_dir(node);
        let write = |name: &str, text: &str| -> Result<(), LabError> {
            let path = ha_d.join(name);
            fs::write(&path, text).map_err(|e| LabError::io(path.display().to_string(), e))
        };
        fs::create_dir_all(&ha_d).map_err(|e| LabError::io(ha_d.display().to_string(), e))?;
        let logs = self.node_dir(node);
        write(
            "ha.cf",
            &ha_cf_lines(spec, node, &logs.join("ha-log"), &logs.join("ha-debug")),
        )?;
        write("authkeys", &spec.authkeys[node.index()])?;
        let keys = ha_d.join("authkeys");
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o600))
            .map_err(|e| LabError::io(keys.display().to_string(), e))?;
        if let Some(monitoring) = &spec.monitoring {
            write("monitoring", monitoring)?;
        }
        write_ha_d_files(&ha_d, &spec.ha_d_files)?;
        write("haresources", &spec.haresources)
    }

    /// Starts a node's binary (`run`), its output appended to `output.log`.
    pub fn start(&mut self, node: Node) -> Result<(), LabError> {
        self.start_with_env(node, &[])
    }

    /// Starts a node's binary (`run`) as [`start`](Self::start) does, with
    /// these variables added to its environment (e.g. a service manager's
    /// `NOTIFY_SOCKET`).
    pub fn start_with_env(&mut self, node: Node, env: &[(&str, &str)]) -> Result<(), LabError> {
        let dir = self.node_dir(node);
        let output = dir.join("output.log");
        let mut cmd = self.host(node).command(&self.spec.binary);
        cmd.arg("run")
            .arg("--config-dir")
            .arg(self.config_dir(node))
            .arg("--node")
            .arg(node.name())
            .arg("--state-dir")
            .arg(dir.join("state"))
            .arg("--socket")
            .arg(self.socket(node))
            .arg("--failed-stop-command")
            .arg(&self.spec.failed_stop_command)
            .args(&self.spec.run_args);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = self.host(node).spawn_logged(cmd, &output)?;
        self.processes[node.index()] = Some(child);
        Ok(())
    }

    /// Kills a node with SIGKILL (it releases nothing) and reaps it.
    pub fn kill(&mut self, node: Node) -> Result<(), LabError> {
        if let Some(child) = self.processes[node.index()].take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Sends SIGTERM (the node hands over); returns the process handle so
    /// the caller can wait for it.
    pub fn terminate(&mut self, node: Node) -> Result<Option<LabChild>, LabError> {
        let child = self.processes[node.index()].take();
        if let Some(child) = &child {
            child.terminate()?;
        }
        Ok(child)
    }

    /// Freezes a node's process (SIGSTOP), as a paused host or VM would:
    /// it runs nothing and sends nothing until [`thaw`](Self::thaw).
    pub fn freeze(&self, node: Node) -> Result<(), LabError> {
        self.signal(node, nix::sys::signal::Signal::SIGSTOP)
    }

    /// Lets a frozen node's process run again (SIGCONT).
    pub fn thaw(&self, node: Node) -> Result<(), LabError> {
        self.signal(node, nix::sys::signal::Signal::SIGCONT)
    }

    fn signal(&self, node: Node, signal: nix::sys::signal::Signal) -> Result<(), LabError> {
        match &self.processes[node.index()] {
            Some(child) => child.signal(signal),
            None => Ok(()),
        }
    }

    /// The process id of a node's binary while it runs (`ip netns exec`
    /// execs it in place, so this is the node's own pid).
    pub fn pid(&self, node: Node) -> Option<u32> {
        self.processes[node.index()].as_ref().map(LabChild::pid)
    }

    /// Whether the node's process is running.
    pub fn is_running(&self, node: Node) -> bool {
        self.processes[node.index()]
            .as_ref()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// `ha-node status --json` of a node, as text.
    pub fn status_json(&self, node: Node) -> Result<String, LabError> {
        crate::command::run(
            ha_process::Command::new(&self.spec.binary)
                .args(["status", "--json", "--socket"])
                .arg(self.socket(node)),
        )
    }

    /// The state (`active`, `dead`…) `viewer` reports for `node` in its
    /// `ha-node status --json`; `None` if it cannot tell.
    pub fn state_seen(&self, viewer: Node, node: Node) -> Option<String> {
        let status: serde_json::Value =
            serde_json::from_str(&self.status_json(viewer).ok()?).ok()?;
        status["nodes"]
            .as_array()?
            .iter()
            .find(|n| n["name"] == node.name())
            .and_then(|n| n["state"].as_str().map(str::to_string))
    }

    /// Whether both nodes see each other active and only `owner` holds the
    /// virtual IP.
    pub fn is_settled(&self, owner: Node) -> bool {
        let other = owner.other();
        self.state_seen(owner, other).as_deref() == Some("active")
            && self.state_seen(other, owner).as_deref() == Some("active")
            && self.holds_vip(owner).unwrap_or(false)
            && !self.holds_vip(other).unwrap_or(true)
    }

    /// Everything a node has logged to its logfile so far.
    pub fn log(&self, node: Node) -> String {
        read_lossy(&self.log_path(node))
    }

    /// The file a node (`ha-node run`) logs to.
    pub fn log_path(&self, node: Node) -> PathBuf {
        self.node_dir(node).join("ha-log")
    }

    /// Everything a node has written to stdout/stderr so far.
    pub fn output(&self, node: Node) -> String {
        read_lossy(&self.node_dir(node).join("output.log"))
    }

    /// Whether a node's host has the virtual IP configured.
    pub fn holds_vip(&self, node: Node) -> Result<bool, LabError> {
        self.host(node).has_address([10, 77, 0, 100].into())
    }

    /// A client probing the virtual IP every `every`.
    pub fn watch_client(&self, every: Duration) -> Result<Watcher, LabError> {
        self.client.watch_tcp(self.vip(), every)
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

impl Drop for TwoNodeCluster {
    fn drop(&mut self) {
        for child in self.processes.iter_mut().filter_map(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.keep_files && std::env::var_os("HA_LAB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `files` ([`ClusterSpec::ha_d_files`]) under `ha_d`, making their
/// directories.
pub(crate) fn write_ha_d_files(ha_d: &Path, files: &[(PathBuf, String)]) -> Result<(), LabError> {
    for (relative, text) in files {
        let path = ha_d.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| LabError::io(parent.display().to_string(), e))?;
        }
        fs::write(&path, text).map_err(|e| LabError::io(path.display().to_string(), e))?;
    }
    Ok(())
}

pub(crate) fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

//! Real heartbeat 3.0.6 (Debian's package `heartbeat`) as one node of a
//! [`TwoNodeCluster`], for interop tests against `ha-node` on the other.
//!
//! The cluster must be built with private mounts including `/run`
//! ([`ClusterSpec::private_mounts`]), so the node is a machine of its own
//! with its hostname as node name. heartbeat keeps its files at fixed
//! paths; inside the node's mount namespace (and nowhere else) this binds a
//! copy of the machine's `/etc/ha.d` (scripts and resource.d included, with
//! the cluster's ha.cf, authkeys and haresources written over it) onto
//! `/etc/ha.d`, a copy of `/var/lib/heartbeat` onto `/var/lib/heartbeat`,
//! and makes heartbeat's directories under the private `/run`. heartbeat
//! runs in the foreground (`-f`), leading its own process group with its
//! children; its log goes to `hb-log` in the node's directory. Its
//! environment gives heartbeat's OCF wrapper the `OCF_AGENTS` it needs
//! ([`OCF_AGENTS`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::cluster::{
    ha_cf_lines, read_lossy, write_ha_d_files, ClusterSpec, Node, TwoNodeCluster,
};
use crate::{LabChild, LabError};

/// Where Debian installs heartbeat's master control process.
pub const HEARTBEAT: &str = "/usr/libexec/heartbeat/heartbeat";

/// What heartbeat's OCF wrapper (`resource.d/OCF`, `OCF::TYPE::INSTANCE` in
/// haresources) is given as `OCF_AGENTS`: it looks for TYPE in the
/// subdirectories of `OCF_AGENTS`, while 3.0.6's shellfuncs default it to
/// the `heartbeat` provider's directory itself, where it finds nothing; the
/// directory above makes the wrapper work, as an administrator sets it in
/// `/etc/default/heartbeat`.
pub const OCF_AGENTS: &str = "/usr/lib/ocf/resource.d";

/// The directories a heartbeat node needs private (see the module doc).
pub fn private_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("/run")]
}

/// Whether heartbeat is installed here.
pub fn installed() -> bool {
    Path::new(HEARTBEAT).exists() && Path::new("/etc/ha.d/resource.d").is_dir()
}

/// heartbeat's ha.cf for `node` from the cluster's spec: the same timers,
/// media, nodes and extra lines as an ha-node would get, no logging
/// daemon, no syslog, no CRM.
fn ha_cf(spec: &ClusterSpec, node: Node, dir: &Path) -> String {
    let lines = ha_cf_lines(spec, node, &dir.join("hb-log"), &dir.join("hb-debug"));
    format!("use_logd no\nlogfacility none\n{lines}crm off\n")
}

/// Copies `from` to `to` as `cp -a` does (owners and modes kept).
fn copy_tree(from: &str, to: &Path) -> Result<(), LabError> {
    crate::command::run(
        ha_process::Command::new("cp")
            .args(["-a", "-T", from])
            .arg(to),
    )
    .map(|_| ())
}

impl TwoNodeCluster {
    /// The directory of `node`'s heartbeat: `ha.d`, `varlib`, logs.
    pub fn heartbeat_dir(&self, node: Node) -> PathBuf {
        self.node_dir(node).join("heartbeat")
    }

    /// Prepares `node`'s heartbeat directory (a copy of `/etc/ha.d` with
    /// the cluster's files, a copy of `/var/lib/heartbeat`) unless it is
    /// there already; [`TwoNodeCluster::start_heartbeat`] then only spawns
    /// heartbeat (to start both nodes at nearly the same instant).
    pub fn prepare_heartbeat(&self, node: Node) -> Result<(), LabError> {
        let dir = self.heartbeat_dir(node);
        let ha_d = dir.join("ha.d");
        let varlib = dir.join("varlib");
        if !ha_d.exists() {
            fs::create_dir_all(&dir).map_err(|e| LabError::io(dir.display().to_string(), e))?;
            copy_tree("/etc/ha.d", &ha_d)?;
            copy_tree("/var/lib/heartbeat", &varlib)?;
            let write = |name: &str, text: &str| -> Result<(), LabError> {
                let path = ha_d.join(name);
                fs::write(&path, text).map_err(|e| LabError::io(path.display().to_string(), e))
            };
            write("ha.cf", &ha_cf(&self.spec, node, &dir))?;
            write("authkeys", &self.spec.authkeys[node.index()])?;
            write("haresources", &self.spec.haresources)?;
            write_ha_d_files(&ha_d, &self.spec.ha_d_files)?;
            crate::command::run(
                ha_process::Command::new("chmod")
                    .arg("600")
                    .arg(ha_d.join("authkeys")),
            )?;
        }
        Ok(())
    }

    /// Starts real heartbeat as `node` (instead of `ha-node run`), its
    /// output appended to `output.log`. The first start prepares its
    /// directory ([`TwoNodeCluster::prepare_heartbeat`]); later starts keep
    /// its state (generation, host cache).
    pub fn start_heartbeat(&mut self, node: Node) -> Result<(), LabError> {
        self.prepare_heartbeat(node)?;
        let dir = self.heartbeat_dir(node);
        let ha_d = dir.join("ha.d");
        let varlib = dir.join("varlib");
        let script = format!(
            "set -e\n\
             mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd \
             /run/resource-agents /run/lock/subsys\n\
             chown -R hacluster:haclient /run/heartbeat\n\
             chmod 750 /run/heartbeat\n\
             mountpoint -q /etc/ha.d || mount --bind '{}' /etc/ha.d\n\
             mountpoint -q /var/lib/heartbeat || mount --bind '{}' /var/lib/heartbeat\n\
             export OCF_AGENTS={OCF_AGENTS}\n\
             exec {HEARTBEAT} -f\n",
            ha_d.display(),
            varlib.display()
        );
        let output = self.node_dir(node).join("output.log");
        let mut cmd = self.host(node).command("/bin/sh");
        cmd.arg("-c").arg(script);
        let child = self.host(node).spawn_logged(cmd, &output)?;
        self.processes[node.index()] = Some(child);
        Ok(())
    }

    /// Everything `node`'s heartbeat has logged so far.
    pub fn heartbeat_log(&self, node: Node) -> String {
        read_lossy(&self.heartbeat_log_path(node))
    }

    /// Runs heartbeat's `cl_status ARGS...` on `node` (it signs on to the
    /// running heartbeat there); its stdout, or an error with its stderr.
    pub fn cl_status(&self, node: Node, args: &[&str]) -> Result<String, LabError> {
        self.host(node).run("cl_status", args)
    }

    /// A crash of `node`'s host as heartbeat sees it: SIGKILL to heartbeat
    /// and its children (its process group), then the addresses of the
    /// crashed machine gone (`cidr` on eth0, e.g. the VIP heartbeat's
    /// IPaddr left configured).
    pub fn crash_heartbeat(&mut self, node: Node, cidr: &str) -> Result<(), LabError> {
        self.kill_heartbeat(node)?;
        if self.holds_vip(node)? {
            self.host(node).del_address("eth0", cidr)?;
        }
        Ok(())
    }

    /// `kill -9` of `node`'s heartbeat: SIGKILL to heartbeat and its
    /// children (its process group), reaped. Like a killed ha-node it
    /// releases nothing: what its resources started stays as it is.
    pub fn kill_heartbeat(&mut self, node: Node) -> Result<(), LabError> {
        if let Some(child) = self.processes[node.index()].take() {
            child.signal_group(Signal::SIGKILL)?;
            child.wait()?;
        }
        Ok(())
    }

    /// The file `node`'s heartbeat logs to.
    pub fn heartbeat_log_path(&self, node: Node) -> PathBuf {
        self.heartbeat_dir(node).join("hb-log")
    }

    /// Sends SIGTERM to `node`'s heartbeat (it releases its resources and
    /// leaves) and waits up to `timeout` for it to exit; then ends whatever
    /// of its process group is left.
    pub fn stop_heartbeat(&mut self, node: Node, timeout: Duration) -> Result<bool, LabError> {
        let Some(child) = self.processes[node.index()].take() else {
            return Ok(true);
        };
        child.terminate()?;
        let exited = child.wait_timeout(timeout)?.is_some();
        finish_group(&child)?;
        Ok(exited)
    }
}

/// SIGKILLs what is left of a process group and reaps its leader.
fn finish_group(child: &LabChild) -> Result<(), LabError> {
    child.signal_group(Signal::SIGKILL)?;
    child.wait().map(|_| ())
}

//! The bed for comparing our operator tools with heartbeat 3.0.6's own in
//! the same cluster state: two pairs built from one spec — heartbeat on
//! both nodes of one, `ha-node` on both nodes of the other — over bcast
//! eth0 and mcast eth1 (without loopback), with a ping node (the client),
//! two IPaddr groups (one preferred by each node) and auto_failback on. A
//! mixed pair cannot hold one state on both sides: ha-node does not speak
//! heartbeat's resource negotiation. With two pairs the node names, the
//! links and the groups are the same, and each tool is asked on the same
//! node, inside it (its hostname is the node name).
//!
//! Our tools run through links named as heartbeat's (`cl_status`,
//! `hb_standby`, `hb_takeover`) in a directory of the test's own.

use std::path::PathBuf;
use std::time::Duration;

use super::{cluster, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::heartbeat;

/// node-a's group's address.
pub const VIP_A: [u8; 4] = [10, 77, 0, 100];
/// node-b's group's address.
pub const VIP_B: [u8; 4] = [10, 77, 0, 101];
/// Long enough for initdead (2 s), IPaddr and heartbeat's slower start.
pub const SETTLE: Duration = Duration::from_secs(30);
/// Two media, so the order links are listed in shows.
const MEDIA: [&str; 2] = ["bcast eth0", "mcast eth1 239.192.78.1 694 1 0"];
/// A ping node: the client.
pub const PING_NODE: &str = "10.77.0.10";
/// heartbeat's standby script.
pub const HB_STANDBY: &str = "/usr/share/heartbeat/hb_standby";
/// heartbeat's takeover script.
pub const HB_TAKEOVER: &str = "/usr/share/heartbeat/hb_takeover";
/// The tools linked to the binary under test.
const TOOLS: [&str; 3] = ["cl_status", "hb_standby", "hb_takeover"];

/// A command's stdout, stderr and exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// What it wrote on stdout.
    pub stdout: String,
    /// What it wrote on stderr.
    pub stderr: String,
    /// Its exit code (-1 for a signal).
    pub code: i32,
}

impl Ran {
    /// As it ran.
    pub fn of(output: std::process::Output) -> Self {
        Ran {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }

    /// Its output lines, `out|` and `err|`, for a failure message.
    pub fn show(&self) -> String {
        let mut text = String::new();
        for line in self.stdout.lines() {
            text += &format!("    out| {line}\n");
        }
        for line in self.stderr.lines() {
            text += &format!("    err| {line}\n");
        }
        text
    }
}

/// The spec both pairs are built from.
fn spec() -> ClusterSpec {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.haresources =
        "node-a IPaddr::10.77.0.100/24/eth0\nnode-b IPaddr::10.77.0.101/24/eth0\n".into();
    spec.private_mounts = Some(heartbeat::private_dirs());
    spec.media = [
        MEDIA.map(String::from).to_vec(),
        MEDIA.map(String::from).to_vec(),
    ];
    spec.extra_ha_cf = vec![format!("ping {PING_NODE}")];
    spec
}

/// The two pairs and the links to the binary under test.
pub struct Pairs {
    /// heartbeat on both nodes.
    pub hb: TwoNodeCluster,
    /// ha-node on both nodes.
    pub ha: TwoNodeCluster,
    links: PathBuf,
}

impl Pairs {
    /// Both pairs running, their namespaces tagged `tag` (at most 5
    /// characters) and `hb`/`ha`.
    pub fn start(tag: &str) -> Self {
        assert!(
            heartbeat::installed(),
            "heartbeat 3.0.6 is not installed: apt-get install heartbeat (see the README)"
        );
        let mut hb = cluster(&format!("{tag}hb"), spec());
        let mut ha = cluster(&format!("{tag}ha"), spec());
        let links = std::env::temp_dir().join(format!("ha-node-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&links);
        std::fs::create_dir_all(&links).unwrap();
        for tool in TOOLS {
            std::os::unix::fs::symlink(BINARY, links.join(tool)).unwrap();
        }
        hb.connect_second_lan().unwrap();
        ha.connect_second_lan().unwrap();
        for node in Node::BOTH {
            hb.start_heartbeat(node).unwrap();
            ha.start(node).unwrap();
        }
        Pairs { hb, ha, links }
    }

    /// heartbeat's `program` on `node` of the heartbeat pair.
    pub fn real(&self, node: Node, program: &str, args: &[&str]) -> Ran {
        let output = self
            .hb
            .host(node)
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run heartbeat's {program}: {e}"));
        Ran::of(output)
    }

    /// Where our `tool` is linked.
    pub fn tool(&self, tool: &str) -> PathBuf {
        self.links.join(tool)
    }

    /// Our `tool` against `node` of the ha-node pair.
    pub fn ours(&self, node: Node, tool: &str, args: &[&str]) -> Ran {
        let output = self
            .ha
            .host(node)
            .command(self.tool(tool))
            .args(args)
            .env("HA_NODE_SOCKET", self.ha.socket(node))
            .output()
            .unwrap_or_else(|e| panic!("run our {tool}: {e}"));
        Ran::of(output)
    }

    /// The last lines of every node's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for node in Node::BOTH {
            text += &format!(
                "--- heartbeat {}:\n{}\n--- ha-node {}:\n{}\n",
                node.name(),
                tail(&self.hb.heartbeat_log(node)),
                node.name(),
                tail(&self.ha.output(node)),
            );
        }
        text
    }

    /// Waits until `check` holds for the `cl_status` answers of both
    /// pairs on `node`.
    pub fn wait(&self, what: &str, node: Node, check: impl Fn(&dyn Fn(&[&str]) -> Ran) -> bool) {
        let waited = self.hb.wait_until(SETTLE, |_| {
            check(&|args| self.real(node, "cl_status", args))
                && check(&|args| self.ours(node, "cl_status", args))
        });
        if waited.is_none() {
            panic!("{what}: not within {SETTLE:?}\n{}", self.logs());
        }
    }

    /// Waits until `node` answers `want` to `cl_status ARGS`, in both pairs.
    pub fn wait_answer(&self, what: &str, node: Node, args: &[&str], want: &str) {
        self.wait(what, node, |cl| cl(args).stdout.trim() == want);
    }

    /// Whether each pair's `node` holds `vip` (the same in both).
    pub fn both_hold(&self, node: Node, vip: [u8; 4]) -> bool {
        self.hb.host(node).has_address(vip.into()).unwrap_or(false)
            && self.ha.host(node).has_address(vip.into()).unwrap_or(false)
    }
}

impl Drop for Pairs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.links);
    }
}

/// The last 40 lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

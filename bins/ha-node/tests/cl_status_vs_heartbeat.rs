//! End to end: our `cl_status` against heartbeat 3.0.6's own, in the same
//! cluster state. Two pairs are built from one spec — heartbeat on both
//! nodes of one, `ha-node` on both nodes of the other — over bcast eth0
//! and mcast eth1 (without loopback), with a ping node (the client), two
//! IPaddr groups (one preferred by each node) and auto_failback on. A
//! mixed pair cannot hold one state on both sides: ha-node does not speak
//! heartbeat's resource negotiation, so `rscstatus` would differ by
//! construction. With two pairs the node names, the links (`eth0`,
//! `eth1`) and the groups are the same, and each tool is asked on the
//! same node.
//!
//! Every subcommand scripts call is run with its common arguments on both
//! nodes, in three states: both nodes up each holding its own group;
//! node-a gone standby; node-b dead and the ping node silent (and
//! heartbeat stopped on node-b). stdout,
//! stderr and the exit code must be the same, line by line. `numnodes`
//! (heartbeat's API has `get_num_nodes`, 3.0.6's tool no such subcommand)
//! is asked too: both must refuse it. Both tools run inside the node (its
//! hostname is the node name, which the log lines carry). One thing is
//! normalised: the time and process id of cl_status's log lines
//! (`Dec 07 21:21:15 node-a cl_status: [25466]: ERROR: ...`), which differ
//! from run to run for heartbeat's tool itself.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{cluster, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::heartbeat;

const VIP_A: [u8; 4] = [10, 77, 0, 100];
const VIP_B: [u8; 4] = [10, 77, 0, 101];
/// Long enough for initdead (2 s), IPaddr and heartbeat's slower start.
const SETTLE: Duration = Duration::from_secs(30);
/// Two media, so the order links are listed in shows.
const MEDIA: [&str; 2] = ["bcast eth0", "mcast eth1 239.192.78.1 694 1 0"];
/// A ping node: the client.
const PING_NODE: &str = "10.77.0.10";
/// heartbeat's standby script.
const HB_STANDBY: &str = "/usr/share/heartbeat/hb_standby";

/// A command's stdout, stderr and exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ran {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Ran {
    fn of(output: std::process::Output) -> Self {
        Ran {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: normalise(&String::from_utf8_lossy(&output.stderr)),
            code: output.status.code().unwrap_or(-1),
        }
    }
}

/// heartbeat's log line `Dec 07 21:21:15 node-a cl_status: [25466]: ERROR:
/// ...` becomes `TIME node-a cl_status: [PID]: ERROR: ...`; other lines
/// stay as they are.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| normalise_line(line).unwrap_or_else(|| line.to_string()) + "\n")
        .collect()
}

fn normalise_line(line: &str) -> Option<String> {
    // The time is `%b %d %H:%M:%S`: 15 characters and a space.
    let rest = line.get(16..)?;
    let (host, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("cl_status: [")?;
    let (pid, rest) = rest.split_once("]: ")?;
    pid.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| format!("TIME {host} cl_status: [PID]: {rest}"))
}

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

/// The two pairs and a link named `cl_status` to the binary under test.
struct Pairs {
    hb: TwoNodeCluster,
    ha: TwoNodeCluster,
    links: PathBuf,
}

impl Pairs {
    fn start() -> Self {
        assert!(
            heartbeat::installed(),
            "heartbeat 3.0.6 is not installed: apt-get install heartbeat (see the README)"
        );
        let mut hb = cluster("hn-clhb", spec());
        let mut ha = cluster("hn-clha", spec());
        let links = std::env::temp_dir().join(format!("ha-node-cl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&links);
        std::fs::create_dir_all(&links).unwrap();
        std::os::unix::fs::symlink(BINARY, links.join("cl_status")).unwrap();
        hb.connect_second_lan().unwrap();
        ha.connect_second_lan().unwrap();
        for node in Node::BOTH {
            hb.start_heartbeat(node).unwrap();
            ha.start(node).unwrap();
        }
        Pairs { hb, ha, links }
    }

    /// heartbeat's cl_status on `node` of the heartbeat pair.
    fn real(&self, node: Node, args: &[&str]) -> Ran {
        let output = self
            .hb
            .host(node)
            .command("cl_status")
            .args(args)
            .output()
            .expect("run heartbeat's cl_status");
        Ran::of(output)
    }

    /// Ours, as `cl_status` against `node` of the ha-node pair.
    fn ours(&self, node: Node, args: &[&str]) -> Ran {
        let output = self
            .ha
            .host(node)
            .command(self.links.join("cl_status"))
            .args(args)
            .env("HA_NODE_SOCKET", self.ha.socket(node))
            .output()
            .expect("run our cl_status");
        Ran::of(output)
    }

    fn logs(&self) -> String {
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

    /// Waits until `check` holds for the answers of both tools on `node`.
    fn wait(&self, what: &str, node: Node, check: impl Fn(&dyn Fn(&[&str]) -> Ran) -> bool) {
        let waited = self.hb.wait_until(SETTLE, |_| {
            check(&|args| self.real(node, args)) && check(&|args| self.ours(node, args))
        });
        if waited.is_none() {
            panic!("{what}: not within {SETTLE:?}\n{}", self.logs());
        }
    }

    /// Waits until `node` answers `want` to `args`, with both tools.
    fn wait_answer(&self, what: &str, node: Node, args: &[&str], want: &str) {
        self.wait(what, node, |cl| cl(args).stdout.trim() == want);
    }

    /// Whether each pair's `node` holds `vip` (the same in both).
    fn both_hold(&self, node: Node, vip: [u8; 4]) -> bool {
        self.hb.host(node).has_address(vip.into()).unwrap_or(false)
            && self.ha.host(node).has_address(vip.into()).unwrap_or(false)
    }
}

impl Drop for Pairs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.links);
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The subcommands with their common arguments, asked on `node`.
fn commands(node: Node) -> Vec<Vec<String>> {
    let me = node.name();
    let peer = node.other().name();
    let lines: Vec<String> = vec![
        "hbstatus".into(),
        "hbstatus -v".into(),
        "hbstatus -m -v".into(),
        "listnodes".into(),
        "listnodes -p".into(),
        "listnodes -n".into(),
        "listnodes -v".into(),
        "listnodes -m -v".into(),
        format!("nodestatus {me}"),
        format!("nodestatus {peer}"),
        format!("nodestatus -m {peer}"),
        "nodestatus node-z".into(),
        "nodestatus".into(),
        format!("nodetype {me}"),
        format!("nodetype {peer}"),
        format!("nodetype -m {peer}"),
        "nodetype node-z".into(),
        "numnodes".into(),
        format!("listhblinks {me}"),
        format!("listhblinks {peer}"),
        format!("listhblinks -v {peer}"),
        format!("listhblinks -m {peer}"),
        "listhblinks node-z".into(),
        format!("hblinkstatus {me} eth0"),
        format!("hblinkstatus {peer} eth0"),
        format!("hblinkstatus -m {peer} eth0"),
        format!("hblinkstatus {peer} eth1"),
        format!("hblinkstatus {peer} eth9"),
        format!("nodestatus {PING_NODE}"),
        format!("nodetype {PING_NODE}"),
        format!("listhblinks -v {PING_NODE}"),
        format!("hblinkstatus {PING_NODE} {PING_NODE}"),
        "hblinkstatus node-z eth0".into(),
        format!("hblinkstatus {peer}"),
        "rscstatus".into(),
        "rscstatus -m".into(),
        format!("clientstatus {me} ipfail"),
        format!("clientstatus {peer} ipfail"),
        "clientstatus node-z ipfail".into(),
        format!("clientstatus {peer}"),
        "frob".into(),
        format!("nodestatus -x {peer}"),
    ];
    lines
        .iter()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// Runs every command on `node` with both tools; returns the table rows
/// (`state | command | same/differs`) and the differences in full.
fn compare(pairs: &Pairs, state: &str, node: Node, commands: &[Vec<String>]) -> Vec<String> {
    let mut differences = Vec::new();
    for args in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let real = pairs.real(node, &args);
        let ours = pairs.ours(node, &args);
        let line = format!(
            "{state} | on {} | cl_status {}",
            node.name(),
            args.join(" ")
        );
        if real == ours {
            eprintln!("{line} | same (exit {})", real.code);
        } else {
            eprintln!("{line} | DIFFERS");
            differences.push(format!(
                "{line}\n  heartbeat: exit {}\n{}\n  ours: exit {}\n{}",
                real.code,
                show(&real),
                ours.code,
                show(&ours)
            ));
        }
    }
    differences
}

fn show(ran: &Ran) -> String {
    let mut text = String::new();
    for line in ran.stdout.lines() {
        text += &format!("    out| {line}\n");
    }
    for line in ran.stderr.lines() {
        text += &format!("    err| {line}\n");
    }
    text
}

#[test]
fn our_cl_status_answers_as_heartbeats_in_the_same_states() {
    let mut pairs = Pairs::start();
    let mut differences = Vec::new();

    // Both up, each node holding the group it prefers.
    for node in Node::BOTH {
        pairs.wait(&format!("{} sees its peer", node.name()), node, |cl| {
            cl(&["nodestatus", node.other().name()]).stdout.trim() == "active"
        });
        pairs.wait_answer("each node holds its group", node, &["rscstatus"], "local");
    }
    assert!(pairs.both_hold(Node::A, VIP_A) && pairs.both_hold(Node::B, VIP_B));
    for node in Node::BOTH {
        differences.extend(compare(&pairs, "both up", node, &commands(node)));
    }

    // node-a goes standby: node-b holds both groups.
    pairs
        .hb
        .host(Node::A)
        .run(HB_STANDBY, ["all"])
        .unwrap_or_else(|e| panic!("hb_standby: {e}\n{}", pairs.logs()));
    let standby = Command::new(BINARY)
        .args(["standby", "all", "--socket"])
        .arg(pairs.ha.socket(Node::A))
        .output()
        .unwrap();
    assert!(standby.status.success(), "ha-node standby: {standby:?}");
    pairs.wait_answer("node-b takes both groups", Node::B, &["rscstatus"], "all");
    pairs.wait_answer("node-a holds none", Node::A, &["rscstatus"], "none");
    assert!(pairs.both_hold(Node::B, VIP_A) && pairs.both_hold(Node::B, VIP_B));
    for node in Node::BOTH {
        differences.extend(compare(&pairs, "node-a standby", node, &commands(node)));
    }

    // node-b dies: node-a takes both groups back. The ping node goes
    // silent too.
    pairs.hb.crash_heartbeat(Node::B, "10.77.0.100/24").unwrap();
    pairs.ha.kill(Node::B).unwrap();
    // The crashed hosts' addresses go with them.
    for pair in [&pairs.hb, &pairs.ha] {
        for cidr in ["10.77.0.100/24", "10.77.0.101/24"] {
            let _ = pair.host(Node::B).del_address("eth0", cidr);
        }
    }
    for pair in [&pairs.hb, &pairs.ha] {
        pair.client().del_address("eth0", "10.77.0.10/24").unwrap();
    }
    pairs.wait_answer(
        "node-a sees the ping node dead",
        Node::A,
        &["nodestatus", PING_NODE],
        "dead",
    );
    pairs.wait_answer(
        "node-a sees node-b dead",
        Node::A,
        &["nodestatus", "node-b"],
        "dead",
    );
    pairs.wait_answer("node-a takes both groups", Node::A, &["rscstatus"], "all");
    differences.extend(compare(&pairs, "node-b dead", Node::A, &commands(Node::A)));
    // On node-b nothing runs: heartbeat is stopped there.
    let stopped: Vec<Vec<String>> = ["hbstatus", "hbstatus -v", "listnodes", "rscstatus"]
        .iter()
        .map(|c| c.split_whitespace().map(str::to_string).collect())
        .collect();
    differences.extend(compare(&pairs, "node-b dead", Node::B, &stopped));

    assert!(
        differences.is_empty(),
        "our cl_status differs from heartbeat's:\n{}",
        differences.join("\n")
    );
}

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

use std::process::Command;

use common::vs_heartbeat::{Pairs, Ran, HB_STANDBY, PING_NODE, VIP_A, VIP_B};
use common::BINARY;
use ha_lab::cluster::Node;

/// Our cl_status and heartbeat's on `node`, their log lines normalised.
fn real(pairs: &Pairs, node: Node, args: &[&str]) -> Ran {
    normalised(pairs.real(node, "cl_status", args))
}

fn ours(pairs: &Pairs, node: Node, args: &[&str]) -> Ran {
    normalised(pairs.ours(node, "cl_status", args))
}

fn normalised(ran: Ran) -> Ran {
    Ran {
        stderr: normalise(&ran.stderr),
        ..ran
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
        let real = real(pairs, node, &args);
        let ours = ours(pairs, node, &args);
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
                real.show(),
                ours.code,
                ours.show()
            ));
        }
    }
    differences
}

#[test]
fn our_cl_status_answers_as_heartbeats_in_the_same_states() {
    let mut pairs = Pairs::start("hn-cl");
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

//! End to end, a rolling upgrade's mixed pair (real heartbeat 3.0.6 as
//! node-a, `ha-node` as node-b, see `common::mixed`): the operator's
//! hand-overs from each side — heartbeat's own `hb_standby` and
//! `hb_takeover` run inside heartbeat's node, `ha-node standby` and
//! `ha-node takeover` on ours — with auto_failback off and on, each node
//! preferred; and both nodes started together. Throughout, the virtual IP
//! (sampled every 10 ms) is never on both nodes; each step ends with the
//! group on the node it should be on, and keeps it there; heartbeat's log
//! shows its standby protocol and never a request it ignored.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::mixed::{
    check_pair, heartbeat_lines_with, heartbeat_script, keeps_it, logs, pair, spec, wait,
    wait_holder, wait_pair_up, TwoHolders, AUDIT_TROUBLE, HA, HB, HB_STANDBY, HB_TAKEOVER,
    STANDBY_TROUBLE, VIP_CIDR,
};
use common::{holds_vip, MS};
use ha_lab::cluster::{Node, TwoNodeCluster};

/// How long the group must stay where a step put it.
const STAYS: Duration = Duration::from_secs(1);

/// Who runs an operator's command.
#[derive(Debug, Clone, Copy)]
enum Tool {
    /// heartbeat's script on heartbeat's node.
    Heartbeat(&'static str),
    /// `ha-node standby|takeover` on ha-node's node.
    HaNode(&'static str),
}

/// One step: a command with its argument and the node that must hold the
/// group afterwards.
struct Step {
    tool: Tool,
    set: Option<&'static str>,
    holder: Node,
}

fn step(tool: Tool, set: Option<&'static str>, holder: Node) -> Step {
    Step { tool, set, holder }
}

impl Step {
    fn describe(&self) -> String {
        let (name, word) = match self.tool {
            Tool::Heartbeat(script) => (script.rsplit('/').next().unwrap_or(script), ""),
            Tool::HaNode(command) => ("ha-node", command),
        };
        format!(
            "{name} {word} {} -> {} holds",
            self.set.unwrap_or(""),
            self.holder.name()
        )
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn run(&self, cluster: &TwoNodeCluster) {
        let args: Vec<&str> = self.set.into_iter().collect();
        match self.tool {
            Tool::Heartbeat(script) => heartbeat_script(cluster, script, &args),
            Tool::HaNode(command) => {
                let mut all = vec![command];
                all.extend(args);
                common::mixed::ha_node_command(cluster, &all);
            }
        }
    }
}

/// heartbeat's view of what it holds (`cl_status rscstatus`): `all`,
/// `local`, `foreign`, `none`, or `transition` while it moves groups.
fn heartbeat_holds(cluster: &TwoNodeCluster) -> String {
    cluster
        .cl_status(HB, &["rscstatus"])
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Waits until the group has been on `holder` alone, and heartbeat out
/// of any transition (a hand-over of its own, such as its auto_failback
/// of a kind holding no group, runs a moment after it says it is
/// stable), for [`STAYS`] on end; then checks it stays there.
fn settled_on(cluster: &TwoNodeCluster, holder: Node, what: &str) {
    let mut quiet_since: Option<Instant> = None;
    wait(cluster, &format!("{what}: heartbeat settles"), |c| {
        let word = heartbeat_holds(c);
        let quiet = !word.is_empty()
            && word != "transition"
            && holds_vip(c, holder)
            && !holds_vip(c, holder.other());
        if !quiet {
            quiet_since = None;
            return false;
        }
        quiet_since.get_or_insert_with(Instant::now).elapsed() >= STAYS
    });
    keeps_it(cluster, holder, what, STAYS);
}

/// The pair up with heartbeat started first (it takes the group after
/// initdead), then ha-node; the group on `preferred`.
fn started_pair(tag: &str, auto_failback: &str, preferred: Node) -> (TwoNodeCluster, TwoHolders) {
    let mut cluster = pair(tag, spec(auto_failback, preferred));
    let watch = TwoHolders::watch(&cluster);
    cluster.start_heartbeat(HB).unwrap();
    wait_holder(&cluster, HB, "heartbeat alone takes the group");
    cluster.start(HA).unwrap();
    wait_pair_up(&cluster, "ha-node joins heartbeat");
    // With auto_failback off heartbeat keeps what it holds.
    let holder = if auto_failback == "on" { preferred } else { HB };
    settled_on(&cluster, holder, "the pair settled");
    (cluster, watch)
}

/// Runs `steps` on a settled pair, each from where the last left the
/// group; then checks heartbeat's log.
fn operate(tag: &str, auto_failback: &str, preferred: Node, steps: &[Step]) {
    let (cluster, watch) = started_pair(tag, auto_failback, preferred);
    for step in steps {
        let what = format!("auto_failback {auto_failback}: {}", step.describe());
        let asked = Instant::now();
        step.run(&cluster);
        settled_on(&cluster, step.holder, &what);
        eprintln!("{what}: settled ({} ms)", asked.elapsed().as_millis());
        assert_eq!(watch.both(), 0, "{what}: two holders\n{}", logs(&cluster));
    }
    let protocol = heartbeat_lines_with(
        &cluster,
        &[
            "Going standby",
            "standby: ",
            "Standby resource acquisition done",
            "Local standby process completed",
            "Other node completed standby takeover",
            "can take our",
        ],
    );
    for line in &protocol {
        eprintln!("heartbeat: {line}");
    }
    for want in [
        "Going standby",
        "Local standby process completed",
        "standby: acquire [",
        "Standby resource acquisition done",
    ] {
        assert!(
            protocol.iter().any(|l| l.contains(want)),
            "heartbeat's log has no '{want}'\n{}",
            logs(&cluster)
        );
    }
    let ignored = heartbeat_lines_with(&cluster, STANDBY_TROUBLE);
    assert!(
        ignored.is_empty(),
        "heartbeat ignored or gave up a standby: {ignored:#?}\n{}",
        logs(&cluster)
    );
    no_audit_trouble(&cluster);
    check_pair(&cluster, watch);
}

/// Fails if heartbeat's audit found a kind of group held by none or by
/// both.
fn no_audit_trouble(cluster: &TwoNodeCluster) {
    let audit = heartbeat_lines_with(cluster, AUDIT_TROUBLE);
    assert!(
        audit.is_empty(),
        "heartbeat's audit complained: {audit:#?}\n{}",
        logs(cluster)
    );
}

/// From each side, each command, each way, for the group preferring
/// `preferred`.
fn both_sides(preferred: Node) -> Vec<Step> {
    let hb_standby = Tool::Heartbeat(HB_STANDBY);
    let hb_takeover = Tool::Heartbeat(HB_TAKEOVER);
    let standby = Tool::HaNode("standby");
    let takeover = Tool::HaNode("takeover");
    // The words that name the group from each side.
    let (hb_word, ha_word) = if preferred == HB {
        ("local", "foreign")
    } else {
        ("foreign", "local")
    };
    vec![
        step(hb_standby, None, HA),
        step(hb_takeover, None, HB),
        step(takeover, Some(ha_word), HA),
        step(standby, None, HB),
        step(hb_standby, Some(hb_word), HA),
        step(hb_takeover, Some(hb_word), HB),
        step(takeover, None, HA),
        step(standby, Some(ha_word), HB),
    ]
}

#[test]
fn standby_and_takeover_cross_a_mixed_pair_with_auto_failback_off() {
    operate("hn-mxsb0", "off", HB, &both_sides(HB));
}

#[test]
fn standby_and_takeover_cross_a_mixed_pair_with_auto_failback_on() {
    operate("hn-mxsb1", "on", HB, &both_sides(HB));
}

#[test]
fn standby_and_takeover_cross_a_mixed_pair_preferring_ha_node() {
    operate("hn-mxsb2", "on", HA, &both_sides(HA));
}

/// Starts both nodes within 50 ms, `first` first; waits until `preferred`
/// holds the group, and checks it keeps it.
fn start_together(cluster: &mut TwoNodeCluster, first: Node, preferred: Node, what: &str) {
    cluster.prepare_heartbeat(HB).unwrap();
    let started = Instant::now();
    for node in [first, first.other()] {
        if node == HB {
            cluster.start_heartbeat(HB).unwrap();
        } else {
            cluster.start(HA).unwrap();
        }
    }
    let apart = started.elapsed();
    assert!(apart <= 50 * MS, "{what}: started {apart:?} apart");
    wait_pair_up(cluster, what);
    wait_holder(cluster, preferred, what);
    keeps_it(cluster, preferred, what, Duration::from_secs(3));
    eprintln!(
        "{what}: started {} ms apart, {} holds the group",
        apart.as_millis(),
        preferred.name()
    );
}

/// Both nodes down as after a power cut: killed, the address gone.
fn power_cut(cluster: &mut TwoNodeCluster) {
    cluster.kill_heartbeat(HB).unwrap();
    cluster.kill(HA).unwrap();
    for node in Node::BOTH {
        if holds_vip(cluster, node) {
            cluster.host(node).del_address("eth0", VIP_CIDR).unwrap();
        }
    }
}

/// Both started together with auto_failback on: the preferred node ends
/// with the group, whichever starts first.
fn started_together(tag: &str, preferred: Node) {
    let mut cluster = pair(tag, spec("on", preferred));
    let watch = TwoHolders::watch(&cluster);
    for first in [HB, HA] {
        let what = format!(
            "{} preferred, {} started first",
            preferred.name(),
            first.name()
        );
        start_together(&mut cluster, first, preferred, &what);
        power_cut(&mut cluster);
    }
    no_audit_trouble(&cluster);
    check_pair(&cluster, watch);
}

#[test]
fn started_together_heartbeat_preferred_gets_the_group() {
    started_together("hn-mxtg1", HB);
}

#[test]
fn started_together_ha_node_preferred_gets_the_group() {
    started_together("hn-mxtg2", HA);
}

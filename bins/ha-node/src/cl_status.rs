//! `cl_status`: heartbeat 3.0.6's status tool (tools/cl_status.c), answered
//! from the running node's status report.
//!
//! The subcommands scripts call — `hbstatus`, `listnodes`, `nodestatus`,
//! `nodetype`, `listhblinks`, `hblinkstatus`, `clientstatus`, `rscstatus`
//! — print heartbeat's text, with `-m` its sentences for people, and exit
//! with its codes: 0, 1 for a "normal failure" (a node dead, a link dead,
//! a client offline, no node running), 11 for a parameter error, 13 for an
//! unknown error. Its log lines on stderr keep the shape heartbeat's tool
//! prints with no logging daemon, `Dec 07 21:21:15 HOST cl_status: [PID]:
//! ERROR: TEXT` (the caller makes the prefix). Texts, order and codes are
//! checked against the real tool by the `cl_status_vs_heartbeat` test;
//! like it, this has no `numnodes`.
//!
//! What heartbeat's API reports, from the node's view: the nodes in the
//! reverse of ha.cf's order (its client library lists them newest first);
//! a node's status is its state (`active`, `up`, `init`, `dead`); every
//! node is `normal`; a link is named by its interface, as ha.cf's
//! `bcast`/`ucast`/`mcast` line names it (links too are listed in the
//! reverse of ha.cf's order), and is `up` for the local node when the
//! medium is up and for a peer when it was heard on it within deadtime,
//! else `dead`; `rscstatus` is `all`, `local`, `foreign` or `none` by
//! which groups the node holds (local: preferred here), or `transition`
//! while one starts or stops. A node of ours runs no API clients:
//! `clientstatus` answers `offline`.

use std::fmt::Write as _;

use crate::control::StatusReport;

/// heartbeat's exit codes.
const OK: u8 = 0;
const NORMAL_FAIL: u8 = 1;
const PARAMETER_ERROR: u8 = 11;
const UNKNOWN_ERROR: u8 = 13;

/// The heartbeat version `hbstatus -v` reports: the protocol spoken, as
/// Debian's 3.0.6 names its build.
const HB_VERSION: &str = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)";

/// Why heartbeat's tool could not sign on to a node that is not running.
const SIGNON_REASON: &str = "hb_api_signon: Can't initiate connection to heartbeat";

/// What cl_status prints and how it exits.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code.
    pub code: u8,
}

/// heartbeat's help screen (`cl_status`, `cl_status -h`).
const HELP: &str = "Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add \"listnodes -v\" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add \"listhblinks -v\" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
";

/// The subcommands and the options each takes (cl_status.c's table).
const COMMANDS: &[(&str, &str)] = &[
    ("hbstatus", "mv"),
    ("listnodes", "mpnv"),
    ("nodestatus", "m"),
    ("nodetype", "m"),
    ("listhblinks", "mv"),
    ("hblinkstatus", "m"),
    ("clientstatus", "m"),
    ("rscstatus", "m"),
];

/// Whether `name` is a subcommand (the node is asked only then).
pub fn is_command(name: &str) -> bool {
    COMMANDS.iter().any(|(c, _)| *c == name)
}

/// Runs `cl_status ARGS` (without the program name) against the node's
/// report, or the reason no node answered (heartbeat's own reason is
/// printed, as its tool would, whatever ours was); `log_prefix` starts
/// each log line (`Dec 07 21:21:15 HOST cl_status: [PID]: `).
pub fn run(args: &[String], report: Result<&StatusReport, String>, log_prefix: &str) -> Answer {
    let mut out = Answer {
        code: OK,
        ..Answer::default()
    };
    let log = |out: &mut Answer, text: &str| {
        let _ = writeln!(out.stderr, "{log_prefix}ERROR: {text}");
    };
    let Some(command) = args.first() else {
        out.stdout = HELP.to_string();
        return out;
    };
    if args.len() == 1 && command == "-h" {
        out.stdout = HELP.to_string();
        return out;
    }
    let Some((name, optstr)) = COMMANDS.iter().find(|(c, _)| c == command) else {
        log(&mut out, &format!("{command}: invalid sub-command."));
        out.code = PARAMETER_ERROR;
        return out;
    };
    let mut flags = String::new();
    let mut params = Vec::new();
    for arg in &args[1..] {
        match arg.strip_prefix('-') {
            Some(chars) if !chars.is_empty() => {
                for c in chars.chars() {
                    if !optstr.contains(c) {
                        let _ = writeln!(out.stderr, "{name}: invalid option -- '{c}'");
                        log(&mut out, "Error: getopt returnedcharacter ?.");
                        out.code = PARAMETER_ERROR;
                        return out;
                    }
                    flags.push(c);
                }
            }
            _ => params.push(arg.as_str()),
        }
    }
    let human = flags.contains('m');
    let verbose = flags.contains('v');
    let report = match report {
        Ok(report) => report,
        Err(_) if *name == "hbstatus" => {
            out.stdout = "Heartbeat is stopped on this machine.\n".to_string();
            if verbose {
                let _ = writeln!(out.stdout, "({SIGNON_REASON})");
            }
            out.code = NORMAL_FAIL;
            return out;
        }
        Err(_) => {
            log(&mut out, "Cannot signon with heartbeat");
            log(&mut out, &format!("REASON: {SIGNON_REASON}"));
            out.code = NORMAL_FAIL;
            return out;
        }
    };
    let view = View(report);
    match *name {
        "hbstatus" => {
            if !verbose {
                out.stdout = "Heartbeat is running on this machine.\n".to_string();
                return out;
            }
            if human {
                let _ = writeln!(out.stdout, "Heartbeat version {HB_VERSION}");
                out.stdout += "Resources controlled by \"haresources\"\n";
            } else {
                let _ = writeln!(out.stdout, "version:\t{HB_VERSION}");
                out.stdout += "managed by:\t\"haresources\"\n";
            }
            view.list_nodes(&mut out, human, None, true);
        }
        "listnodes" => {
            let only = match (flags.contains('p'), flags.contains('n')) {
                (true, false) => Some(PING),
                (false, true) => Some(NORMAL),
                _ => None,
            };
            view.list_nodes(&mut out, human, only, verbose);
        }
        "nodestatus" => {
            let Some(node) = params.first() else {
                out.stderr += "Not enough parameters.\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            let Some(status) = view.node_status(node) else {
                out.stderr += "Error. May be due to incorrect node name\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            if human {
                let _ = writeln!(out.stdout, "The cluster node {node} is {status}");
            } else {
                let _ = writeln!(out.stdout, "{status}");
            }
            if !matches!(status, "active" | "up" | "ping") {
                out.code = NORMAL_FAIL;
            }
        }
        "nodetype" => {
            let Some(node) = params.first() else {
                out.stderr += "No enough parameter.\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            let Some(kind) = view.node_type(node) else {
                out.stderr += "Error. May be due to incorrect node name\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            if human {
                let _ = writeln!(out.stdout, "The node {node}'s type: {kind}");
            } else {
                let _ = writeln!(out.stdout, "{kind}");
            }
        }
        "listhblinks" => {
            let Some(node) = params.first() else {
                out.stderr += "No enough parameter.\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            let Some(links) = view.links(node) else {
                log(&mut out, "Cannot start heartbeat link interface walk.");
                log(&mut out, "REASON: EINVAL");
                out.code = UNKNOWN_ERROR;
                return out;
            };
            if human {
                out.stdout += "\tthis node has the following heartbeat links:\n";
            }
            list_links(&mut out.stdout, &links, verbose);
        }
        "hblinkstatus" => {
            let (Some(node), Some(link)) = (params.first(), params.get(1)) else {
                out.stderr += "No enough parameter.\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            let status = view
                .links(node)
                .and_then(|links| links.into_iter().find(|(name, _)| name == link));
            let Some((_, status)) = status else {
                log(&mut out, "Cannot get heartbeat link status");
                // heartbeat's API leaves no reason here.
                log(&mut out, "REASON: ");
                out.code = UNKNOWN_ERROR;
                return out;
            };
            if human {
                let _ = writeln!(
                    out.stdout,
                    "The node {node}'s heartbeat link {link} is {status}"
                );
            } else {
                let _ = writeln!(out.stdout, "{status}");
            }
            if status != "up" {
                out.code = NORMAL_FAIL;
            }
        }
        "clientstatus" => {
            let (Some(node), Some(client)) = (params.first(), params.get(1)) else {
                out.stderr += "No enough parameter.\n";
                out.code = PARAMETER_ERROR;
                return out;
            };
            if view.node_status(node).is_none() {
                log(
                    &mut out,
                    &format!("Cannot get heartbeat client {client}'s status"),
                );
                log(&mut out, "REASON: No timely response.");
                out.code = UNKNOWN_ERROR;
                return out;
            }
            out.stdout += "offline\n";
            out.code = NORMAL_FAIL;
        }
        "rscstatus" => {
            let held = view.resources();
            if human {
                let _ = writeln!(out.stdout, "This node is holding {held} resources.");
            } else {
                let _ = writeln!(out.stdout, "{held}");
            }
        }
        _ => {}
    }
    out
}

fn list_links(stdout: &mut String, links: &[(String, &'static str)], verbose: bool) {
    for (name, status) in links {
        if verbose {
            let _ = writeln!(stdout, "\t{name}\t{status}");
        } else {
            let _ = writeln!(stdout, "\t{name}");
        }
    }
}

/// heartbeat's node types.
const NORMAL: &str = "normal";
const PING: &str = "ping";

/// The report as heartbeat's API answers from it.
struct View<'a>(&'a StatusReport);

impl View<'_> {
    /// Nodes as heartbeat's API walks them: the reverse of ha.cf's order
    /// (of the report's order for an older node), ping nodes taken as
    /// written after the `node` lines, so listed first.
    fn order(&self) -> Vec<&str> {
        let mut nodes: Vec<&str> = if self.0.node_order.is_empty() {
            self.0.nodes.iter().map(|n| n.name.as_str()).collect()
        } else {
            self.0.node_order.iter().map(String::as_str).collect()
        };
        nodes.extend(self.0.ping_nodes.iter().map(|p| p.name.as_str()));
        nodes.reverse();
        nodes
    }

    fn ping_node(&self, node: &str) -> Option<&crate::control::PingNodeReport> {
        self.0.ping_nodes.iter().find(|p| p.name == node)
    }

    /// A node's status; a ping node's is `ping` while it answers (and
    /// before it is judged), else `dead`.
    fn node_status(&self, node: &str) -> Option<&str> {
        if let Some(ping) = self.ping_node(node) {
            return Some(if ping.state == "dead" { "dead" } else { PING });
        }
        self.0
            .nodes
            .iter()
            .find(|n| n.name == node)
            .map(|n| n.state.as_str())
    }

    fn node_type(&self, node: &str) -> Option<&'static str> {
        if self.ping_node(node).is_some() {
            Some(PING)
        } else {
            self.0
                .nodes
                .iter()
                .any(|n| n.name == node)
                .then_some(NORMAL)
        }
    }

    /// The interfaces of the media, once each, in ha.cf order.
    fn interfaces(&self) -> Vec<(String, usize)> {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (index, medium) in self.0.media.iter().enumerate() {
            let interface = medium
                .name
                .split_whitespace()
                .nth(1)
                .unwrap_or(medium.name.as_str())
                .to_string();
            if !seen.iter().any(|(name, _)| *name == interface) {
                seen.push((interface, index));
            }
        }
        seen
    }

    /// A node's links with their status, in the reverse of ha.cf's order
    /// as heartbeat's API walks them; `None` for an unknown node. A ping
    /// node has one link, named as the node. heartbeat counts a link of
    /// its own node up when it hears its own packets there: on a `bcast`
    /// medium, not on `ucast` nor on `mcast` without loopback (ha.cf's
    /// usual `... 1 0`; the report does not carry the loop flag).
    fn links(&self, node: &str) -> Option<Vec<(String, &'static str)>> {
        if let Some(ping) = self.ping_node(node) {
            let up = ping.state != "dead";
            return Some(vec![(ping.name.clone(), if up { "up" } else { "dead" })]);
        }
        let known = self.0.nodes.iter().find(|n| n.name == node)?;
        let deadtime = self.0.history.deadtime_ms;
        let peer = self.0.history.peers.iter().find(|p| p.node == node);
        Some(
            self.interfaces()
                .into_iter()
                .map(|(name, index)| {
                    let up = if known.local {
                        self.0
                            .media
                            .get(index)
                            .is_some_and(|m| m.link == "up" && m.name.starts_with("bcast "))
                    } else {
                        self.0.media.get(index).is_some_and(|medium| {
                            peer.and_then(|p| p.links.iter().find(|l| l.medium == medium.name))
                                .and_then(|l| l.silent_ms)
                                .is_some_and(|silent| silent < deadtime)
                        })
                    };
                    (name, if up { "up" } else { "dead" })
                })
                .rev()
                .collect(),
        )
    }

    /// heartbeat's `get_resources` for this node.
    fn resources(&self) -> &'static str {
        let report = self.0;
        let mut local = false;
        let mut foreign = false;
        for group in &report.groups {
            match group.local_state.as_str() {
                "starting" | "stopping" => return "transition",
                "running" | "stop-failed" if group.preferred == report.node => local = true,
                "running" | "stop-failed" => foreign = true,
                _ => {}
            }
        }
        match (local, foreign) {
            (true, true) => "all",
            (true, false) => "local",
            (false, true) => "foreign",
            (false, false) => "none",
        }
    }

    /// `listnodes`: every node, or those of type `only`.
    fn list_nodes(&self, out: &mut Answer, human: bool, only: Option<&str>, verbose: bool) {
        if human {
            out.stdout += "The nodes are as follow:\n";
        }
        for node in self.order() {
            let kind = self.node_type(node).unwrap_or(NORMAL);
            if only.is_some_and(|only| only != kind) {
                continue;
            }
            if verbose {
                let status = self.node_status(node).unwrap_or("dead");
                let _ = writeln!(out.stdout, "\n{node}\t{status}\t(nodetype: {kind})");
                let links = self.links(node).unwrap_or_default();
                if human {
                    out.stdout += "\tthis node has the following heartbeat links:\n";
                }
                list_links(&mut out.stdout, &links, true);
            } else {
                let _ = writeln!(out.stdout, "{node}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{GroupReport, MediumReport, NodeReport};

    fn report() -> StatusReport {
        let node = |name: &str, state: &str, local| NodeReport {
            name: name.into(),
            state: state.into(),
            local,
            last_heard_ms_ago: None,
            generation: 1,
            ping_nodes_up: None,
        };
        StatusReport {
            node: "b".into(),
            nodes: vec![node("b", "active", true), node("a", "dead", false)],
            node_order: vec!["a".into(), "b".into()],
            media: vec![MediumReport {
                name: "bcast eth0".into(),
                link: "up".into(),
            }],
            groups: vec![GroupReport {
                id: "IPaddr::10.0.0.100".into(),
                preferred: "a".into(),
                owner: Some("b".into()),
                local_state: "running".into(),
                resources: Vec::new(),
            }],
            ping_nodes: Vec::new(),
            fences: Vec::new(),
            history: Default::default(),
        }
    }

    fn cl(args: &[&str]) -> Answer {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let report = report();
        run(&args, Ok(&report), "May 01 12:00:00 b cl_status: [7]: ")
    }

    #[test]
    fn answers_as_heartbeats_cl_status_does() {
        assert_eq!(cl(&["listnodes"]).stdout, "b\na\n");
        let dead = cl(&["nodestatus", "a"]);
        assert_eq!((dead.stdout.as_str(), dead.code), ("dead\n", 1));
        assert_eq!(
            cl(&["nodestatus", "-m", "b"]).stdout,
            "The cluster node b is active\n"
        );
        assert_eq!(cl(&["nodestatus"]).stderr, "Not enough parameters.\n");
        assert_eq!(cl(&["nodestatus", "zz"]).code, 11);
        assert_eq!(cl(&["listhblinks", "-v", "b"]).stdout, "\teth0\tup\n");
        let link = cl(&["hblinkstatus", "a", "eth0"]);
        assert_eq!((link.stdout.as_str(), link.code), ("dead\n", 1));
        assert_eq!(cl(&["rscstatus"]).stdout, "foreign\n");
        assert_eq!(
            cl(&["rscstatus", "-m"]).stdout,
            "This node is holding foreign resources.\n"
        );
        let bad = cl(&["frob"]);
        assert_eq!(bad.code, 11);
        assert_eq!(
            bad.stderr,
            "May 01 12:00:00 b cl_status: [7]: ERROR: frob: invalid sub-command.\n"
        );
    }

    #[test]
    fn ping_nodes_and_own_links_as_heartbeat_lists_them() {
        let mut report = report();
        report.ping_nodes = vec![crate::control::PingNodeReport {
            name: "10.0.0.1".into(),
            state: "up".into(),
            last_answer_ms_ago: Some(5),
        }];
        report.media.push(MediumReport {
            name: "mcast eth1 239.0.0.1".into(),
            link: "up".into(),
        });
        let cl = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            run(&args, Ok(&report), "T: ")
        };
        assert_eq!(cl(&["listnodes"]).stdout, "10.0.0.1\nb\na\n");
        assert_eq!(cl(&["listnodes", "-p"]).stdout, "10.0.0.1\n");
        assert_eq!(cl(&["listnodes", "-n"]).stdout, "b\na\n");
        assert_eq!(cl(&["nodestatus", "10.0.0.1"]).stdout, "ping\n");
        assert_eq!(cl(&["nodetype", "10.0.0.1"]).stdout, "ping\n");
        assert_eq!(
            cl(&["listhblinks", "-v", "10.0.0.1"]).stdout,
            "\t10.0.0.1\tup\n"
        );
        // Its own packets come back on bcast, not on mcast without loop.
        assert_eq!(
            cl(&["listhblinks", "-v", "b"]).stdout,
            "\teth1\tdead\n\teth0\tup\n"
        );
    }

    #[test]
    fn a_node_not_running_is_heartbeat_stopped() {
        let args = vec!["hbstatus".to_string()];
        let answer = run(&args, Err("no socket".into()), "T: ");
        assert_eq!(answer.stdout, "Heartbeat is stopped on this machine.\n");
        assert_eq!(answer.code, 1);
        let args = vec!["listnodes".to_string()];
        let answer = run(&args, Err("no socket".into()), "T: ");
        assert_eq!(
            answer.stderr,
            "T: ERROR: Cannot signon with heartbeat\n\
             T: ERROR: REASON: hb_api_signon: Can't initiate connection to heartbeat\n"
        );
        assert_eq!(answer.code, 1);
    }
}

//! End to end: our `hb_standby` and `hb_takeover` (links to ha-node)
//! against heartbeat 3.0.6's scripts, in the same cluster states, on the
//! bed of `common::vs_heartbeat` (two pairs, one of heartbeat, one of
//! ha-node). stdout, stderr and the exit code must be the same for every
//! argument form — none, `all`, `foreign`, `local`, `failback`, a bad
//! word, two words, `--help` — and each form that moves groups must move
//! the same groups in both pairs (read with `cl_status rscstatus`).
//!
//! Two things are normalised: the program's path (`$0`, which each prints
//! in its usage) and the time `ha_log` puts before `Going standby [SET].`.
//!
//! One difference is by design and asserted as such: with the peer dead,
//! heartbeat's scripts drop their message in heartbeat's FIFO and exit 0
//! (`hb_standby` after logging `Going standby`), though nothing will
//! move; ours are told by the node that nothing can, and say so on stderr
//! with exit status 1.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::vs_heartbeat::{Pairs, Ran, HB_STANDBY, HB_TAKEOVER, VIP_A, VIP_B};
use ha_lab::cluster::Node;

/// heartbeat's script and our link for `tool`.
fn program(tool: &str) -> &'static str {
    match tool {
        "hb_standby" => HB_STANDBY,
        "hb_takeover" => HB_TAKEOVER,
        other => panic!("no script {other}"),
    }
}

/// `path` as `$0`, and the time before a log line as `TIME`.
fn normalised(ran: Ran, path: &str) -> Ran {
    let text = |s: &str| {
        s.replace(path, "$0")
            .lines()
            .map(|line| untimed(line).unwrap_or_else(|| line.to_string()) + "\n")
            .collect::<String>()
    };
    Ran {
        stdout: text(&ran.stdout),
        stderr: text(&ran.stderr),
        code: ran.code,
    }
}

/// `Dec 07 21:21:15 Going standby [all].` as `TIME Going standby [all].`.
fn untimed(line: &str) -> Option<String> {
    // `%b %d %T `: 15 characters and a space.
    let (time, rest) = (line.get(..15)?, line.get(15..)?);
    let shape = time.char_indices().all(|(i, c)| match i {
        0 => c.is_ascii_uppercase(),
        1 | 2 => c.is_ascii_lowercase(),
        3 | 6 => c == ' ',
        9 | 12 => c == ':',
        _ => c.is_ascii_digit(),
    });
    (shape && rest.starts_with(' ')).then(|| format!("TIME{rest}"))
}

fn real(pairs: &Pairs, node: Node, tool: &str, args: &[&str]) -> Ran {
    normalised(pairs.real(node, program(tool), args), program(tool))
}

fn ours(pairs: &Pairs, node: Node, tool: &str, args: &[&str]) -> Ran {
    let path = pairs.tool(tool).display().to_string();
    normalised(pairs.ours(node, tool, args), &path)
}

/// Runs `tool ARGS` on `node` in both pairs; the difference, if any.
fn compare(pairs: &Pairs, state: &str, node: Node, tool: &str, args: &[&str]) -> Option<String> {
    let real = real(pairs, node, tool, args);
    let ours = ours(pairs, node, tool, args);
    let line = format!("{state} | on {} | {tool} {}", node.name(), args.join(" "));
    if real == ours {
        eprintln!("{line} | same (exit {})", real.code);
        return None;
    }
    eprintln!("{line} | DIFFERS");
    Some(format!(
        "{line}\n  heartbeat: exit {}\n{}\n  ours: exit {}\n{}",
        real.code,
        real.show(),
        ours.code,
        ours.show()
    ))
}

/// Waits until `cl_status rscstatus` answers `a` on node-a and `b` on
/// node-b in both pairs.
fn wait_groups(pairs: &Pairs, what: &str, a: &str, b: &str) {
    pairs.wait_answer(what, Node::A, &["rscstatus"], a);
    pairs.wait_answer(what, Node::B, &["rscstatus"], b);
}

/// The forms that are refused before anything is asked.
const BAD: [&[&str]; 3] = [&["sideways"], &["all", "local"], &["--help"]];

#[test]
fn our_hb_standby_and_hb_takeover_answer_as_heartbeats_scripts() {
    let mut pairs = Pairs::start("hn-sb");
    let mut differences = Vec::new();
    for node in Node::BOTH {
        pairs.wait(&format!("{} sees its peer", node.name()), node, |cl| {
            cl(&["nodestatus", node.other().name()]).stdout.trim() == "active"
        });
    }
    wait_groups(&pairs, "each node holds its group", "local", "local");

    // Both up, each holding its own group. Forms that move nothing:
    // node-a holds nothing foreign to give, and has its own group.
    let both = "both up";
    for (tool, args) in [
        ("hb_standby", &["foreign"][..]),
        ("hb_standby", &["failback"][..]),
        ("hb_takeover", &["local"][..]),
    ]
    .into_iter()
    .chain(
        BAD.iter()
            .flat_map(|args| [("hb_standby", *args), ("hb_takeover", *args)]),
    ) {
        differences.extend(compare(&pairs, both, Node::A, tool, args));
    }
    wait_groups(&pairs, "nothing moved", "local", "local");
    assert!(pairs.both_hold(Node::A, VIP_A) && pairs.both_hold(Node::B, VIP_B));

    // No argument is `all`: node-a gives both up.
    differences.extend(compare(&pairs, both, Node::A, "hb_standby", &[]));
    wait_groups(&pairs, "node-b holds both groups", "none", "all");
    assert!(pairs.both_hold(Node::B, VIP_A) && pairs.both_hold(Node::B, VIP_B));

    // node-a takes its own group back.
    let standby = "node-a standby";
    differences.extend(compare(&pairs, standby, Node::A, "hb_takeover", &["local"]));
    wait_groups(&pairs, "node-a has its group back", "local", "local");

    // node-a takes everything, then gives back what is node-b's.
    differences.extend(compare(&pairs, both, Node::A, "hb_takeover", &["all"]));
    wait_groups(&pairs, "node-a holds both groups", "all", "none");
    differences.extend(compare(
        &pairs,
        "node-a holds all",
        Node::A,
        "hb_standby",
        &["failback"],
    ));
    wait_groups(&pairs, "node-b has its group back", "local", "local");
    differences.extend(compare(&pairs, both, Node::A, "hb_standby", &["all"]));
    wait_groups(&pairs, "node-b holds both groups again", "none", "all");
    differences.extend(compare(&pairs, standby, Node::A, "hb_takeover", &[]));
    wait_groups(&pairs, "node-a holds both groups again", "all", "none");

    // node-b dies. The bad forms answer as before; the others are where
    // the one difference by design is.
    pairs.hb.crash_heartbeat(Node::B, "10.77.0.101/24").unwrap();
    pairs.ha.kill(Node::B).unwrap();
    pairs.wait_answer(
        "node-a sees node-b dead",
        Node::A,
        &["nodestatus", "node-b"],
        "dead",
    );
    let dead = "node-b dead";
    for args in BAD {
        for tool in ["hb_standby", "hb_takeover"] {
            differences.extend(compare(&pairs, dead, Node::A, tool, args));
        }
    }
    for word in ["", "all", "foreign", "local", "failback"] {
        let args: Vec<&str> = Some(word).filter(|w| !w.is_empty()).into_iter().collect();
        let set = match word {
            "" => "all",
            "failback" => "foreign",
            other => other,
        };
        for (tool, command, logged) in [
            (
                "hb_standby",
                "standby",
                format!("TIME Going standby [{set}].\n"),
            ),
            ("hb_takeover", "takeover", String::new()),
        ] {
            let real = real(&pairs, Node::A, tool, &args);
            let ours = ours(&pairs, Node::A, tool, &args);
            let what = format!("{dead} | {tool} {word}");
            assert_eq!(
                (real.code, real.stdout.as_str(), real.stderr.as_str()),
                (0, "", logged.as_str()),
                "{what}: heartbeat's script\n{}",
                real.show()
            );
            let asked = args.first().copied().unwrap_or("all");
            let refused = format!("ha-node: {command} {asked}: no peer is active to ");
            assert!(
                ours.code == 1 && ours.stdout.is_empty() && ours.stderr.starts_with(&refused),
                "{what}: ours\n{}",
                ours.show()
            );
            eprintln!("{what} | heartbeat exit 0, ours refused (exit 1), as documented");
        }
    }
    pairs.wait_answer("node-a still holds both", Node::A, &["rscstatus"], "all");

    assert!(
        differences.is_empty(),
        "our hb_standby/hb_takeover differ from heartbeat's:\n{}",
        differences.join("\n")
    );
}

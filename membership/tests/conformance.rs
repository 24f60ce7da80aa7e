//! The conformance cases: recorded inputs and expected outputs of the
//! cluster state machine, as data.
//!
//! Every directory under `tests/conformance/` is a case: `input.txt` (the
//! cluster's configuration, then a timeline of inputs) and `expected.txt`
//! (what each node sent, asked for and reported, one line each with its
//! time). This one runner plays every case on the simulated cluster of
//! `ha_membership::harness` and compares the transcript with the expected
//! lines, printing a diff for each case that differs. `BLESS=1` rewrites
//! the expected files instead; read what it wrote before committing it. The
//! formats are described in `tests/conformance/README.md`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ha_membership::harness::{ActionType, Cluster, Setup};
use ha_membership::machine::{ActionId, ActionOutcome, GroupConfig};
use ha_transport::sim::LinkConfig;

const INPUT: &str = "input.txt";
const EXPECTED: &str = "expected.txt";
const HEADER: &str = "\
# Expected transcript of input.txt (format: ../README.md).
# Rewritten by: BLESS=1 cargo test -p ha-membership --test conformance
";

/// One input of a timeline.
#[derive(Debug)]
enum Command {
    Start(Option<usize>),
    Crash(usize),
    Restart(usize),
    Shutdown(usize),
    Partition(Vec<usize>, Vec<usize>),
    Isolate(usize),
    Heal,
    Links(LinkConfig),
    Fail(usize, ActionType),
    Hold(usize, ActionType),
    Unhold(usize, ActionType),
    Answer(usize, ActionId, ActionOutcome),
    ActionDelay(Duration),
    Replay {
        from: usize,
        generation: u64,
        seq: u64,
        to: usize,
    },
    End,
}

/// A parsed `input.txt`.
struct Case {
    setup: Setup,
    timeline: Vec<(Duration, Command)>,
}

/// Where a line came from, for messages about it.
struct At<'a> {
    path: &'a Path,
    line: usize,
}

impl At<'_> {
    fn fail(&self, problem: impl std::fmt::Display) -> ! {
        panic!("{}:{}: {problem}", self.path.display(), self.line)
    }
}

fn parse(path: &Path, text: &str) -> Case {
    let mut setup = Setup::new(&[]);
    let mut timeline: Vec<(Duration, Command)> = Vec::new();
    let mut in_timeline = false;
    for (index, raw) in text.lines().enumerate() {
        let at = At {
            path,
            line: index + 1,
        };
        let line = without_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[0] == "at" {
            in_timeline = true;
            let Some(time) = words.get(1).and_then(|w| w.parse::<u64>().ok()) else {
                at.fail("expected `at MILLISECONDS COMMAND…`")
            };
            let time = Duration::from_millis(time);
            if timeline.last().is_some_and(|(last, _)| *last > time) {
                at.fail("times must not decrease");
            }
            if timeline
                .last()
                .is_some_and(|(_, c)| matches!(c, Command::End))
            {
                at.fail("nothing may follow `end`");
            }
            let command = command(&setup, &words[2..], &at);
            timeline.push((time, command));
        } else if in_timeline {
            at.fail("configuration must come before the first `at` line");
        } else {
            configure(&mut setup, &words, &at);
        }
    }
    if !timeline
        .last()
        .is_some_and(|(_, c)| matches!(c, Command::End))
    {
        panic!(
            "{}: the timeline must finish with `at T end`",
            path.display()
        );
    }
    Case { setup, timeline }
}

/// The line up to a comment: a `#` followed by a space or the end of the
/// line (so action ids like `#3` are not comments).
fn without_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let start = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()));
    start.map_or(line, |i| &line[..i])
}

fn configure(setup: &mut Setup, words: &[&str], at: &At) {
    let value = |n: usize| -> &str {
        if words.len() != n + 1 {
            at.fail(format!("`{}` takes {n} value(s)", words[0]));
        }
        words[n]
    };
    match words[0] {
        "node" => setup.nodes.push(value(1).to_string()),
        "group" => {
            if words.len() != 3 {
                at.fail("expected `group PREFERRED-NODE ID`");
            }
            let (preferred, id) = (words[1], words[2]);
            if !setup.nodes.iter().any(|n| n == preferred) {
                at.fail(format!("unknown node {preferred:?}: declare nodes first"));
            }
            setup.groups.push(GroupConfig {
                id: id.to_string(),
                preferred: preferred.to_string(),
            });
        }
        "keepalive" => setup.keepalive = millis(value(1), at),
        "warntime" => setup.warntime = millis(value(1), at),
        "deadtime" => setup.deadtime = millis(value(1), at),
        "initdead" => setup.initdead = millis(value(1), at),
        "monitor" => setup.monitor_interval = Some(millis(value(1), at)),
        "action_delay" => setup.action_delay = millis(value(1), at),
        "auto_failback" => {
            setup.auto_failback = match value(1) {
                "on" => true,
                "off" => false,
                other => at.fail(format!("auto_failback is on or off, not {other:?}")),
            }
        }
        "fencing" => {
            setup.fencing = match value(1) {
                "on" => true,
                "off" => false,
                other => at.fail(format!("fencing is on or off, not {other:?}")),
            }
        }
        "seed" => {
            setup.seed = value(1)
                .parse()
                .unwrap_or_else(|_| at.fail("seed is a number"))
        }
        other => at.fail(format!("unknown directive {other:?}")),
    }
}

/// `250ms`.
fn millis(word: &str, at: &At) -> Duration {
    word.strip_suffix("ms")
        .and_then(|n| n.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or_else(|| at.fail(format!("{word:?} is not a duration like 250ms")))
}

fn command(setup: &Setup, words: &[&str], at: &At) -> Command {
    let node = |word: Option<&&str>| -> usize {
        let Some(word) = word else {
            at.fail("a node name is missing")
        };
        setup
            .nodes
            .iter()
            .position(|n| n == word)
            .unwrap_or_else(|| at.fail(format!("unknown node {word:?}")))
    };
    let action = |word: Option<&&str>| -> ActionType {
        word.and_then(|w| ActionType::parse(w)).unwrap_or_else(|| {
            at.fail("expected an action: start, stop, monitor, announce or fence")
        })
    };
    let number = |word: Option<&&str>| -> u64 {
        word.and_then(|w| w.parse().ok())
            .unwrap_or_else(|| at.fail("expected a number"))
    };
    let arity = |n: usize| {
        if words.len() != n {
            at.fail(format!("`{}` takes {} argument(s)", words[0], n - 1));
        }
    };
    let Some(&verb) = words.first() else {
        at.fail("a command is missing after the time")
    };
    match verb {
        "start" if words.get(1) == Some(&"all") => {
            arity(2);
            Command::Start(None)
        }
        "start" => {
            arity(2);
            Command::Start(Some(node(words.get(1))))
        }
        "crash" => {
            arity(2);
            Command::Crash(node(words.get(1)))
        }
        "restart" => {
            arity(2);
            Command::Restart(node(words.get(1)))
        }
        "shutdown" => {
            arity(2);
            Command::Shutdown(node(words.get(1)))
        }
        "isolate" => {
            arity(2);
            Command::Isolate(node(words.get(1)))
        }
        "heal" => {
            arity(1);
            Command::Heal
        }
        "partition" => {
            let Some(bar) = words.iter().position(|w| *w == "|") else {
                at.fail("expected `partition A… | B…`")
            };
            let side = |names: &[&str]| names.iter().map(|n| node(Some(n))).collect();
            Command::Partition(side(&words[1..bar]), side(&words[bar + 1..]))
        }
        "links" => match words.get(1) {
            Some(&"perfect") => {
                arity(2);
                Command::Links(LinkConfig::perfect())
            }
            Some(&"loss") => {
                arity(3);
                let p: f64 = words[2]
                    .parse()
                    .unwrap_or_else(|_| at.fail("loss is a probability"));
                Command::Links(LinkConfig::perfect().with_loss(p))
            }
            Some(&"delay") => {
                arity(4);
                let (min, max) = (millis(words[2], at), millis(words[3], at));
                Command::Links(LinkConfig::perfect().with_delay(min, max))
            }
            _ => at.fail("expected `links perfect`, `links loss P` or `links delay MIN MAX`"),
        },
        "fail" => {
            arity(3);
            Command::Fail(node(words.get(1)), action(words.get(2)))
        }
        "hold" => {
            arity(3);
            Command::Hold(node(words.get(1)), action(words.get(2)))
        }
        "unhold" => {
            arity(3);
            Command::Unhold(node(words.get(1)), action(words.get(2)))
        }
        "answer" => {
            arity(4);
            let id = words[2]
                .strip_prefix('#')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| at.fail("expected an action id like #3"));
            let outcome = match words[3] {
                "ok" => ActionOutcome::Succeeded,
                "failed" => ActionOutcome::Failed {
                    detail: ha_membership::harness::SCRIPTED_FAILURE.to_string(),
                },
                _ => at.fail("an answer is ok or failed"),
            };
            Command::Answer(node(words.get(1)), ActionId(id), outcome)
        }
        "action_delay" => {
            arity(2);
            Command::ActionDelay(millis(words[1], at))
        }
        "replay" => {
            // replay FROM gen G seq S to TO
            arity(8);
            if words[2] != "gen" || words[4] != "seq" || words[6] != "to" {
                at.fail("expected `replay FROM gen G seq S to TO`");
            }
            Command::Replay {
                from: node(words.get(1)),
                generation: number(words.get(3)),
                seq: number(words.get(5)),
                to: node(words.get(7)),
            }
        }
        "end" => {
            arity(1);
            Command::End
        }
        other => at.fail(format!("unknown command {other:?}")),
    }
}

/// Plays a case and returns its transcript.
fn play(case: Case) -> String {
    let mut cluster = Cluster::new(case.setup);
    for (time, command) in case.timeline {
        cluster.advance_to(time);
        match command {
            Command::Start(Some(i)) => cluster.start(i),
            Command::Start(None) => cluster.start_all(),
            Command::Crash(i) => cluster.crash(i),
            Command::Restart(i) => cluster.restart(i),
            Command::Shutdown(i) => cluster.shutdown(i),
            Command::Partition(a, b) => cluster.partition(&a, &b),
            Command::Isolate(i) => cluster.isolate(i),
            Command::Heal => cluster.heal(),
            Command::Links(link) => cluster.set_links(link),
            Command::Fail(i, action) => cluster.fail_next(i, action),
            Command::Hold(i, action) => cluster.hold(i, action),
            Command::Unhold(i, action) => cluster.unhold(i, action),
            Command::Answer(i, id, outcome) => cluster.answer(i, id, outcome),
            Command::ActionDelay(delay) => cluster.set_action_delay(delay),
            Command::Replay {
                from,
                generation,
                seq,
                to,
            } => cluster.replay(to, from, generation, seq),
            Command::End => {}
        }
    }
    cluster.transcript()
}

/// The lines of an expected file that are compared (comments left out).
fn compared(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

/// A line diff of `expected` against `actual` (`-` expected only, `+`
/// actual only), with three lines of context around each change.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    let (n, m) = (expected.len(), actual.len());
    // lcs[i][j]: longest common subsequence of expected[i..] and actual[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut script: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            script.push((' ', expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            script.push(('-', expected[i]));
            i += 1;
        } else {
            script.push(('+', actual[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..script.len()).filter(|&k| script[k].0 != ' ').collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= 3);
    let mut out = String::new();
    let (mut line_expected, mut line_actual) = (1, 1);
    let mut in_hunk = false;
    for (k, (mark, line)) in script.iter().enumerate() {
        if near(k) {
            if !in_hunk {
                out.push_str(&format!(
                    "@@ expected line {line_expected}, actual line {line_actual} @@\n"
                ));
                in_hunk = true;
            }
            out.push_str(&format!("{mark} {line}\n"));
        } else {
            in_hunk = false;
        }
        if *mark != '+' {
            line_expected += 1;
        }
        if *mark != '-' {
            line_actual += 1;
        }
    }
    out
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

#[test]
fn every_case_gives_its_expected_transcript() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/conformance exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no case under {}", cases_dir().display());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let input_path = dir.join(INPUT);
        let input = std::fs::read_to_string(&input_path)
            .unwrap_or_else(|e| panic!("{}: {e}", input_path.display()));
        let actual = play(parse(&input_path, &input));
        let expected_path = dir.join(EXPECTED);
        if bless {
            std::fs::write(&expected_path, format!("{HEADER}{actual}"))
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        let (expected, actual) = (compared(&expected), compared(&actual));
        if expected != actual {
            failures.push(format!(
                "case {name} ({}): - expected, + actual\n{}",
                expected_path.display(),
                diff(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases differ (BLESS=1 rewrites the expected files; \
         check what it writes):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

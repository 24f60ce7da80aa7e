//! `ha-node demo` end to end: it succeeds, its timeline shows the crash
//! failover, the failback and the graceful hand-over with plausible times,
//! the summary repeats what the timeline measured, and nothing is left behind.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

/// The demo's output, with the process id its lab names carry.
struct DemoRun {
    pid: u32,
    stdout: String,
}

fn run_demo() -> DemoRun {
    let child = Command::new(BINARY)
        .arg("demo")
        .env_remove("HA_DEMO_KEEP")
        .env_remove("HA_LAB_KEEP")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ha-node demo");
    let pid = child.id();
    let output = child.wait_with_output().expect("wait for ha-node demo");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "ha-node demo failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    DemoRun { pid, stdout }
}

/// The number right after `marker` in `line`.
fn number_after(line: &str, marker: &str) -> u64 {
    let start = line
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in {line:?}"))
        + marker.len();
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {marker:?} in {line:?}"))
}

/// The numbers of the summary row that starts with `name`.
fn summary_row(stdout: &str, name: &str) -> Vec<u64> {
    let row = stdout
        .lines()
        .find(|l| {
            l.trim_start().starts_with(name) && (l.ends_with("this run") || l.ends_with("median"))
        })
        .unwrap_or_else(|| panic!("no summary row {name:?} in:\n{stdout}"));
    row.split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect()
}

/// The millisecond offsets that start the timeline lines.
fn offsets(stdout: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter_map(|l| l.trim_start().split_once(" ms  "))
        .filter_map(|(ms, _)| ms.parse().ok())
        .collect()
}

#[test]
fn demo_fails_over_fails_back_hands_over_and_cleans_up() {
    let run = run_demo();
    let out = &run.stdout;

    for step in [
        "both active, VIP on node-a",
        "client served by A",
        "kill -9 node-a",
        "restart node-a (it first clears the VIP its crash left configured)",
        "node-a back",
        "SIGTERM node-a",
        "node-a exited cleanly, VIP released",
    ] {
        assert!(out.contains(step), "no {step:?} in:\n{out}");
    }
    let timeline = offsets(out);
    assert!(timeline.len() >= 12, "timeline too short:\n{out}");
    assert!(
        timeline.windows(2).all(|w| w[0] <= w[1]),
        "timeline out of order:\n{out}"
    );

    let served_by_b: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("client served by B after "))
        .map(|l| number_after(l, "client served by B after "))
        .collect();
    let [crash, handover] = served_by_b[..] else {
        panic!("expected two failovers to B (kill -9, SIGTERM) in:\n{out}");
    };
    // Deadtime 500 ms counts from the last heartbeat, at most 100 ms before the kill.
    assert!((350..=900).contains(&crash), "kill -9 failover {crash} ms");
    // A hand-over does not wait for the deadtime.
    assert!(handover < 300, "SIGTERM hand-over {handover} ms");
    let failback = number_after(
        out.lines()
            .find(|l| l.contains("fails back to node-a (auto_failback on)"))
            .unwrap_or_else(|| panic!("no failback in:\n{out}")),
        "client served by A ",
    );
    assert!(failback <= 3000, "failback {failback} ms");

    assert_eq!(summary_row(out, "ha-node"), vec![crash, handover]);
    assert_eq!(summary_row(out, "heartbeat 3.0.6"), vec![977, 621]);
    assert_eq!(summary_row(out, "keepalived 2.2.7"), vec![334, 72]);

    let prefix = format!("hl-{}-", run.pid);
    let namespaces = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let namespaces = String::from_utf8_lossy(&namespaces.stdout);
    assert!(
        !namespaces.contains(&prefix),
        "namespaces left behind:\n{namespaces}"
    );
    let scratch = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix));
    assert!(
        scratch.is_none(),
        "scratch directory left behind: {:?}",
        scratch.map(|e| e.path())
    );
    assert!(!Path::new(&format!("/tmp/{prefix}0-demo")).exists());
}

//! What the tests look at: processes as /proc shows them.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// State, parent and process group of `pid` from /proc/PID/stat.
fn stat(pid: u32) -> Option<(char, u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, parent, group))
}

/// Whether `pid` runs (a zombie waiting for its new parent counts as gone).
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _, _)| state != 'Z' && state != 'X')
}

/// The live processes of process group `group`.
pub fn members(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|(state, _, g)| g == group && state != 'Z'))
        .collect()
}

/// Polls `done` every 10 ms for up to `within` (blocking).
pub fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `done` every 10 ms for up to `within`, letting the runtime run.
pub async fn eventually_async(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A shell whose two `sleep 100` children print their pids, then wait.
pub const FORKS: &str = "sleep 100 & echo $!; sleep 100 & echo $!; wait";

/// A shell that ignores SIGTERM (as its children then do), says so, and sleeps.
pub const IGNORES_TERM: &str = "trap '' TERM; echo ready; sleep 100 & sleep 100 & wait";

//! What the integration tests of ha-resources share.

// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

pub mod netns;

/// Whether process `pid` still runs; a zombie waiting for its new parent
/// to reap it counts as gone.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
            Some(state != "Z")
        })
        .unwrap_or(false)
}

//! A lab removes the leftovers of a lab process that died without cleaning
//! up (its own test binary, so the once-per-process sweep is this test's;
//! labs of other test binaries running at the same time sweep too).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ha_lab::{Lab, LabError};

fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status();
    assert!(status.is_ok_and(|s| s.success()), "ip {args:?}");
}

fn netns_id(path: impl AsRef<Path>) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[test]
fn leftovers_of_a_dead_process_are_removed_and_live_ones_kept() -> Result<(), LabError> {
    // A PID that is certainly dead: a process we started and reaped.
    let mut gone = Command::new("true").spawn().expect("spawn true");
    gone.wait().expect("reap true");
    let stale = format!("hl-{}-0-stale_test-a", gone.id());
    let live = format!("hl-{}-999-stale_test-a", std::process::id());
    let staging = format!("stage-{}", std::process::id());

    // A process left running inside the stale namespace. It enters a staging
    // namespace first; the stale name is attached only once it is inside, so
    // no sweeper (of any test binary) can remove the name before that.
    ip(&["netns", "add", &staging]);
    let mut orphan = Command::new("ip")
        .args(["netns", "exec", &staging, "sleep", "600"])
        .spawn()
        .expect("spawn orphan");
    let staging_id = netns_id(Path::new("/run/netns").join(&staging));
    let inside = (0..500).any(|_| {
        let entered = netns_id(format!("/proc/{}/ns/net", orphan.id())) == staging_id;
        if !entered {
            std::thread::sleep(Duration::from_millis(10));
        }
        entered
    });
    if inside {
        ip(&["netns", "attach", &stale, &orphan.id().to_string()]);
    }
    ip(&["netns", "delete", &staging]);
    ip(&["netns", "add", &live]);

    let lab = Lab::new("stale_sweeper");
    // The sweep kills the orphan; if it does not, do it here and fail below.
    let mut ended = None;
    for _ in 0..500 {
        ended = orphan.try_wait().expect("poll orphan");
        if ended.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if ended.is_none() {
        let _ = orphan.kill();
    }
    let status = orphan.wait().expect("orphan reaped");
    let lab = lab?;
    assert!(ended.is_some(), "the orphan was killed by the sweep");
    assert!(inside, "the orphan entered its namespace");
    assert!(!Path::new("/run/netns").join(&stale).exists());
    assert_eq!(status.signal(), Some(9));
    // Ours (a live PID) is left alone.
    assert!(Path::new("/run/netns").join(&live).exists());
    ip(&["netns", "delete", &live]);
    drop(lab);
    Ok(())
}

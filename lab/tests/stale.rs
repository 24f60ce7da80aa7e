//! A lab removes the leftovers of a lab process that died without cleaning
//! up (its own test binary, so the once-per-process sweep is this test's).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use ha_lab::{Lab, LabError};

#[test]
fn leftovers_of_a_dead_process_are_removed_and_live_ones_kept() -> Result<(), LabError> {
    // A PID that is certainly dead: a process we started and reaped.
    let mut gone = Command::new("true").spawn().expect("spawn true");
    gone.wait().expect("reap true");
    let dead_pid = gone.id();
    let stale = format!("hl-{dead_pid}-0-stale_test-a");
    let live = format!("hl-{}-999-stale_test-a", std::process::id());
    for name in [&stale, &live] {
        let status = Command::new("ip").args(["netns", "add", name]).status();
        assert!(status.is_ok_and(|s| s.success()), "create {name}");
    }
    // A process left running inside the stale namespace.
    let mut orphan = Command::new("ip")
        .args(["netns", "exec", &stale, "sleep", "600"])
        .spawn()
        .expect("spawn orphan");
    std::thread::sleep(std::time::Duration::from_millis(100));

    let lab = Lab::new("stale_sweeper");
    if lab.is_err() {
        let _ = orphan.kill();
    }
    let status = orphan.wait().expect("orphan reaped");
    let lab = lab?;
    assert!(!Path::new("/run/netns").join(&stale).exists());
    assert_eq!(status.signal(), Some(9));
    // Ours (a live PID) is left alone.
    assert!(Path::new("/run/netns").join(&live).exists());
    let _ = Command::new("ip").args(["netns", "delete", &live]).status();
    drop(lab);
    Ok(())
}

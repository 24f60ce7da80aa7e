//! Without root the lab refuses to start, with an error that says why.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use ha_lab::{Lab, LabError};

/// Set in the re-executed copy of this test that runs as `nobody`.
const AS_NOBODY: &str = "HA_LAB_TEST_AS_NOBODY";

#[test]
fn an_unprivileged_process_gets_not_permitted() {
    if std::env::var_os(AS_NOBODY).is_some() {
        // The copy: give up root for good, then try.
        nix::unistd::setresuid(65534.into(), 65534.into(), 65534.into()).expect("setresuid");
        match Lab::new("unprivileged") {
            Err(LabError::NotPermitted { detail }) => {
                assert!(detail.contains("CAP_NET_ADMIN"), "{detail}");
                let shown = LabError::NotPermitted { detail }.to_string();
                assert!(shown.contains("root"), "{shown}");
            }
            other => panic!("expected NotPermitted, got {other:?}"),
        }
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "an_unprivileged_process_gets_not_permitted",
            "--test-threads=1",
        ])
        .env(AS_NOBODY, "1")
        .output()
        .expect("re-run as nobody");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

//! The IPVS tests on a real kernel. The host has no IPVS, so tests that
//! need it are marked `#[ignore = "needs IPVS: runs in the VM"]`; this test
//! builds the tests of `ha-ipvs` and `lvs-director` (these include
//! heartbeat's `LVSSyncDaemonSwap` resource of ha-resources, served by the
//! real ipvsadm and by lvs-director linked as ipvsadm) and the unit tests
//! of `ha-checks` (whose reconciler is judged by the kernel) statically, boots
//! Debian's kernel once in QEMU (see `ha_lab::vm`) and runs every one of
//! them there with `--include-ignored --test-threads=1`, then the bench
//! targets of both packages (optimised, with `--bench`), then the shell
//! script named by `HA_VM_EXTRA`, if set. It fails if anything fails in the
//! guest, showing what the guest printed.
//!
//! In the guest `HA_VM=1` is set, the real `ipvsadm` 1.31 is in `PATH`,
//! `lo` is up, every IPVS scheduler module loads on demand, and all tests
//! share one kernel IPVS table, one test at a time.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use ha_lab::vm::GuestSuite;

/// Names a host shell script to run in the guest after the tests.
const EXTRA_ENV: &str = "HA_VM_EXTRA";

/// Overrides the limit, in seconds, for the whole boot.
const TIMEOUT_ENV: &str = "HA_VM_TIMEOUT_SECS";

/// Lines of a failed step's output shown.
const SHOWN_LINES: usize = 200;

#[test]
fn ipvs_tests_pass_on_a_real_kernel() {
    if std::env::var_os("HA_VM").is_some() {
        return; // Already in the guest: never boot a VM inside the VM.
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the ipvs crate is inside the workspace");
    let whole = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|secs| secs.parse().ok())
        .map_or(Duration::from_secs(30 * 60), Duration::from_secs);
    let mut suite = GuestSuite::new(workspace)
        .package("ha-ipvs")
        .package("lvs-director")
        // The reconciler's property tests, judged by the kernel.
        .package_targets("ha-checks", &["ha_checks"])
        .skip_target("in_vm")
        .benches(true)
        .timeouts(whole, Duration::from_secs(10 * 60));
    if let Some(path) = std::env::var_os(EXTRA_ENV) {
        let script = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{EXTRA_ENV}={}: {e}", Path::new(&path).display()));
        suite = suite.extra_command(EXTRA_ENV, &script);
    }
    let report = suite.run().unwrap_or_else(|e| panic!("{e}"));
    // Straight to stderr, past libtest's capture: the summary is wanted
    // in the output of a passing run too.
    let _ = write!(std::io::stderr(), "in the VM:\n{}", report.summary());
    let benches: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| !o.output.contains("test result:"))
        .collect();
    for outcome in benches {
        let _ = write!(
            std::io::stderr(),
            "--- {} ---\n{}",
            outcome.name,
            outcome.output
        );
    }
    if !report.passed() {
        let mut shown = String::new();
        for outcome in report.outcomes.iter().filter(|o| !o.passed()) {
            let lines: Vec<&str> = outcome.output.lines().collect();
            let kept = &lines[lines.len().saturating_sub(SHOWN_LINES)..];
            shown.push_str(&format!("--- {} ---\n{}\n", outcome.name, kept.join("\n")));
        }
        if shown.is_empty() {
            shown = report.run.output.clone();
        }
        panic!(
            "failures in the VM (status {}):\n{shown}\n{}",
            report.run.status,
            report.summary()
        );
    }
}

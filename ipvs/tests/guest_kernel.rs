//! What the VM's guest offers the IPVS tests: a kernel with IPVS and the
//! real ipvsadm 1.31 talking to it. Ignored on the host, which has neither;
//! `tests/in_vm.rs` runs it in the guest.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn the_guest_kernel_has_ipvs_and_the_real_ipvsadm() {
    let table = std::fs::read_to_string("/proc/net/ip_vs").expect("/proc/net/ip_vs");
    assert!(table.starts_with("IP Virtual Server version "), "{table}");

    let version = Command::new("ipvsadm")
        .arg("--version")
        .output()
        .expect("ipvsadm");
    assert!(version.status.success(), "{version:?}");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("ipvsadm v1.31 "), "{version}");

    let listing = Command::new("ipvsadm")
        .arg("-Ln")
        .output()
        .expect("ipvsadm -Ln");
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.status.success(), "{listing:?}");
    assert!(text.starts_with("IP Virtual Server version "), "{text}");
    assert!(
        text.contains("Prot LocalAddress:Port Scheduler Flags\n"),
        "{text}"
    );
}

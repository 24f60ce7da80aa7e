//! `LVSSyncDaemonSwap` served by the real ipvsadm on a real IPVS kernel.
//! The host kernel has no IPVS, so the test that needs it is ignored on
//! the host; [`lvs_sync_daemon_swap_passes_on_a_real_kernel`] builds this
//! target statically, boots Debian's kernel in QEMU (see `ha_lab::vm`)
//! and runs it there with `--include-ignored`, where ipvsadm 1.31 is
//! `/sbin/ipvsadm`.
//!
//! In the guest two directors, each a network namespace of its own (IPVS
//! keeps its sync daemons per namespace) with an `eth0` on one LAN (the
//! daemons' default multicast interface), run the resource as
//! `LVSSyncDaemonSwap::master` in haresources would on both: the node
//! holding the group starts it, the other stops it. `ipvsadm -L --daemon`
//! in each namespace must then list the master daemon on the first and
//! the backup daemon on the second, and the reverse after a hand-over.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use ha_lab::vm::GuestSuite;
use ha_lab::{Host, Lab};
use ha_resources::class::ipvs_sync::{IpvsSyncAgent, IpvsSyncSpec, SyncState};
use ha_resources::{ActionTimeouts, Agent, Health};

/// Where the guest image puts ipvsadm.
const GUEST_IPVSADM: &str = "/sbin/ipvsadm";

#[test]
fn lvs_sync_daemon_swap_passes_on_a_real_kernel() {
    if std::env::var_os("HA_VM").is_some() {
        return; // Already in the guest.
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the resources crate is inside the workspace");
    let report = GuestSuite::new(workspace)
        .package_targets("ha-resources", &["ipvs_sync_in_vm"])
        .timeouts(Duration::from_secs(20 * 60), Duration::from_secs(5 * 60))
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("in the VM:\n{}", report.summary());
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.name.ends_with("/ipvs_sync_in_vm"))
        .unwrap_or_else(|| panic!("the target did not run:\n{}", report.run.output));
    let ran = "test the_holder_runs_the_master_sync_daemon_and_the_other_the_backup ... ok";
    assert!(
        report.passed() && outcome.output.contains(ran),
        "in the VM:\n{}",
        outcome.output
    );
}

/// `ipvsadm -L --daemon` in `host`'s namespace.
fn listing(host: &Host) -> String {
    host.run(GUEST_IPVSADM, ["-L", "--daemon"])
        .expect("ipvsadm -L --daemon")
}

/// The resource's action `act` run in `host`'s namespace.
fn in_host<T: Send>(
    host: &Host,
    act: impl FnOnce(IpvsSyncAgent) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>> + Send,
) -> T {
    host.run_in(move || {
        let agent = IpvsSyncAgent::new(
            "LVSSyncDaemonSwap::master",
            &IpvsSyncSpec {
                ipvsadm: GUEST_IPVSADM.into(),
                state: SyncState::Master,
            },
            ActionTimeouts::default(),
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(act(agent))
    })
    .expect("enter the director's namespace")
}

fn start(host: &Host) {
    in_host(host, |agent| Box::pin(async move { agent.start().await }))
        .unwrap_or_else(|e| panic!("start on {}: {e}", host.name()));
}

fn stop(host: &Host) {
    in_host(host, |agent| Box::pin(async move { agent.stop().await }))
        .unwrap_or_else(|e| panic!("stop on {}: {e}", host.name()));
}

fn health(host: &Host) -> Health {
    in_host(host, |agent| Box::pin(async move { agent.monitor().await }))
        .unwrap_or_else(|e| panic!("monitor on {}: {e}", host.name()))
}

/// Whether `host` runs exactly the `state` sync daemon.
fn runs_only(host: &Host, state: SyncState) -> bool {
    let text = listing(host);
    let runs = |s: SyncState| {
        text.lines()
            .any(|line| line.starts_with(&format!("{} sync daemon (mcast=eth0", s.as_str())))
    };
    runs(state) && !runs(state.other())
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn the_holder_runs_the_master_sync_daemon_and_the_other_the_backup() {
    let lab = Lab::new("syncswap").expect("lab (root, iproute2)");
    let lan = lab.lan("sync").expect("LAN");
    let lb1 = lab.host("lb1").expect("lb1");
    let lb2 = lab.host("lb2").expect("lb2");
    lan.connect(&lb1, "eth0", "10.70.0.1/24").expect("lb1 link");
    lan.connect(&lb2, "eth0", "10.70.0.2/24").expect("lb2 link");
    for host in [&lb1, &lb2] {
        assert_eq!(listing(host), "", "{}: no daemon at first", host.name());
    }

    // lb1 holds the group; lb2 releases it (heartbeat stops what a node
    // does not hold).
    start(&lb1);
    stop(&lb2);
    assert!(runs_only(&lb1, SyncState::Master), "lb1: {}", listing(&lb1));
    assert!(runs_only(&lb2, SyncState::Backup), "lb2: {}", listing(&lb2));
    assert_eq!(health(&lb1), Health::Running);
    assert_eq!(health(&lb2), Health::Stopped);

    // Again: nothing changes, nothing fails.
    start(&lb1);
    stop(&lb2);
    assert!(runs_only(&lb1, SyncState::Master), "lb1: {}", listing(&lb1));

    // The group moves to lb2.
    stop(&lb1);
    start(&lb2);
    assert!(runs_only(&lb1, SyncState::Backup), "lb1: {}", listing(&lb1));
    assert!(runs_only(&lb2, SyncState::Master), "lb2: {}", listing(&lb2));
    assert_eq!(health(&lb1), Health::Stopped);
    assert_eq!(health(&lb2), Health::Running);

    for host in [&lb1, &lb2] {
        for state in ["master", "backup"] {
            let _ = host.run(GUEST_IPVSADM, ["--stop-daemon", state]);
        }
    }
}

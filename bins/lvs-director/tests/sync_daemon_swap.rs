//! heartbeat's `LVSSyncDaemonSwap::master` resource on a real IPVS kernel
//! (in the VM; ignored on the host), served once by the real ipvsadm 1.31
//! and once by lvs-director through a link named `ipvsadm` — what
//! `ha-node --ipvsadm LINK` gives the resolver.
//!
//! Two directors, each a network namespace of its own (IPVS keeps its sync
//! daemons per namespace) with an `eth0` on one LAN (the daemons' default
//! multicast interface), run the resource as a haresources line
//! `lb1 LVSSyncDaemonSwap::master` has them run it: the node holding the
//! group starts it, the other stops it. `ipvsadm -L --daemon` (the real
//! one) in each namespace must then list the master daemon on the first
//! and the backup daemon on the second, and the reverse after a hand-over.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ha_conf::Source;
use ha_lab::{Host, Lab};
use ha_resources::{parse_haresources, ActionTimeouts, Agent, Health, Resolved, Resolver};

const DIRECTOR: &str = env!("CARGO_BIN_EXE_lvs-director");

/// Where the guest image puts the real ipvsadm.
const REAL_IPVSADM: &str = "/sbin/ipvsadm";

const HARESOURCES: &str = "lb1 LVSSyncDaemonSwap::master\n";

/// A scratch directory of this process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The resource of [`HARESOURCES`] as ha-node resolves it with
/// `--ipvsadm ipvsadm` and no `LVSSyncDaemonSwap` script installed.
fn resolved(ipvsadm: &Path, empty: &Path) -> Resolved {
    let haresources = parse_haresources(&Source::new("haresources", HARESOURCES))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let resolver = Resolver {
        config_dir: empty.to_path_buf(),
        init_dir: empty.to_path_buf(),
        ipvsadm: ipvsadm.to_path_buf(),
        ..Resolver::default()
    };
    let resolved = resolver
        .resolve(&haresources.groups[0].resources[0])
        .unwrap_or_else(|e| panic!("{e}"));
    match &resolved {
        Resolved::IpvsSync(spec) => assert_eq!(spec.ipvsadm, ipvsadm),
        other => panic!("resolved as {other:?}"),
    }
    resolved
}

/// `ipvsadm -L --daemon` (the real one) in `host`'s namespace.
fn listing(host: &Host) -> String {
    host.run(REAL_IPVSADM, ["-L", "--daemon"])
        .expect("ipvsadm -L --daemon")
}

/// The resource's agent's action `act`, run in `host`'s namespace.
fn in_host<T: Send>(
    host: &Host,
    resolved: &Resolved,
    act: impl FnOnce(Arc<dyn Agent>) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>> + Send,
) -> T {
    let resolved = resolved.clone();
    host.run_in(move || {
        let agent = resolved.agent("LVSSyncDaemonSwap::master", ActionTimeouts::default());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(act(agent))
    })
    .expect("enter the director's namespace")
}

fn start(host: &Host, resolved: &Resolved) {
    in_host(host, resolved, |agent| {
        Box::pin(async move { agent.start().await })
    })
    .unwrap_or_else(|e| panic!("start on {}: {e}", host.name()));
}

fn stop(host: &Host, resolved: &Resolved) {
    in_host(host, resolved, |agent| {
        Box::pin(async move { agent.stop().await })
    })
    .unwrap_or_else(|e| panic!("stop on {}: {e}", host.name()));
}

fn health(host: &Host, resolved: &Resolved) -> Health {
    in_host(host, resolved, |agent| {
        Box::pin(async move { agent.monitor().await })
    })
    .unwrap_or_else(|e| panic!("monitor on {}: {e}", host.name()))
}

/// Whether `host` runs exactly the `state` sync daemon on eth0 with
/// ipvsadm's default sync ID.
fn runs_only(host: &Host, state: &str) -> bool {
    let other = if state == "master" {
        "backup"
    } else {
        "master"
    };
    let text = listing(host);
    let runs = |s: &str| {
        text.lines()
            .any(|line| line.starts_with(&format!("{s} sync daemon (mcast=eth0, syncid=0")))
    };
    runs(state) && !runs(other)
}

/// Both directors through a hand-over and back, the resource served by
/// `ipvsadm`.
fn swap_both_ways(ipvsadm: &Path, lab_name: &str) {
    let empty = Scratch::new(&format!("{lab_name}-empty"));
    let resolved = resolved(ipvsadm, &empty.0);
    let lab = Lab::new(lab_name).expect("lab (root, iproute2)");
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
    start(&lb1, &resolved);
    stop(&lb2, &resolved);
    assert!(runs_only(&lb1, "master"), "lb1: {}", listing(&lb1));
    assert!(runs_only(&lb2, "backup"), "lb2: {}", listing(&lb2));
    assert_eq!(health(&lb1, &resolved), Health::Running);
    assert_eq!(health(&lb2, &resolved), Health::Stopped);

    // Again: nothing changes, nothing fails.
    start(&lb1, &resolved);
    stop(&lb2, &resolved);
    assert!(runs_only(&lb1, "master"), "lb1: {}", listing(&lb1));

    // The group moves to lb2.
    stop(&lb1, &resolved);
    start(&lb2, &resolved);
    assert!(runs_only(&lb1, "backup"), "lb1: {}", listing(&lb1));
    assert!(runs_only(&lb2, "master"), "lb2: {}", listing(&lb2));
    assert_eq!(health(&lb1, &resolved), Health::Stopped);
    assert_eq!(health(&lb2, &resolved), Health::Running);

    for host in [&lb1, &lb2] {
        for state in ["master", "backup"] {
            let _ = host.run(REAL_IPVSADM, ["--stop-daemon", state]);
        }
    }
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn the_real_ipvsadm_swaps_the_sync_daemons() {
    swap_both_ways(Path::new(REAL_IPVSADM), "syncswap");
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn lvs_director_linked_as_ipvsadm_swaps_the_sync_daemons() {
    let links = Scratch::new("syncswap-link");
    let link = links.0.join("ipvsadm");
    std::os::unix::fs::symlink(DIRECTOR, &link).expect("link ipvsadm to lvs-director");
    swap_both_ways(&link, "syncswapl");
}

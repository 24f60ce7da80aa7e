//! The agent against a recording `ipvsadm` stand-in: a shell script that
//! logs each command line and keeps which sync daemons "run" as files,
//! refusing what the kernel refuses (starting a running daemon, stopping
//! one that does not run), so a redundant call fails the test. The same
//! actions on a real IPVS kernel, with the real ipvsadm and with
//! lvs-director linked as ipvsadm: lvs-director's
//! `tests/sync_daemon_swap.rs`, in the VM.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;

/// A scratch directory with the stand-in, removed on drop.
struct StandIn {
    dir: PathBuf,
}

const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
echo "$*" >> "$dir/calls"
case "$1" in
-L)
    for state in master backup; do
        [ -e "$dir/$state" ] && echo "$state sync daemon (mcast=eth0, syncid=0)"
    done
    exit 0 ;;
--start-daemon)
    [ -e "$dir/$2" ] && { echo "File exists" >&2; exit 2; }
    touch "$dir/$2" ;;
--stop-daemon)
    [ -e "$dir/$2" ] || { echo "No such process" >&2; exit 2; }
    rm "$dir/$2" ;;
*)
    echo "unexpected: $*" >&2; exit 2 ;;
esac
"#;

impl StandIn {
    fn new(name: &str) -> StandIn {
        let dir = std::env::temp_dir().join(format!(
            "ha-resources-ipvs-sync-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch directory");
        let program = dir.join("ipvsadm");
        fs::write(&program, SCRIPT).expect("write the stand-in");
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
        StandIn { dir }
    }

    fn agent(&self, state: SyncState) -> IpvsSyncAgent {
        let spec = IpvsSyncSpec {
            ipvsadm: self.dir.join("ipvsadm"),
            state,
        };
        IpvsSyncAgent::new(
            &format!("LVSSyncDaemonSwap::{}", state.as_str()),
            &spec,
            ActionTimeouts::default(),
        )
    }

    /// The daemon `state` runs.
    fn running(&self, state: SyncState) {
        fs::write(self.dir.join(state.as_str()), "").expect("mark a daemon");
    }

    /// The command lines run since the last call, oldest first.
    fn calls(&self) -> Vec<String> {
        let path = self.dir.join("calls");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let _ = fs::remove_file(&path);
        text.lines().map(str::to_string).collect()
    }

    fn runs(&self, state: SyncState) -> bool {
        Path::new(&self.dir.join(state.as_str())).exists()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn master_swaps_backup_for_master_on_start_and_back_on_stop() {
    let ipvsadm = StandIn::new("swap");
    ipvsadm.running(SyncState::Backup);
    let agent = ipvsadm.agent(SyncState::Master);

    assert_eq!(agent.monitor().await.expect("monitor"), Health::Stopped);
    assert_eq!(ipvsadm.calls(), ["-L --daemon"]);

    agent.start().await.expect("start");
    assert_eq!(
        ipvsadm.calls(),
        [
            "-L --daemon",
            "--stop-daemon backup",
            "--start-daemon master"
        ]
    );
    assert!(ipvsadm.runs(SyncState::Master) && !ipvsadm.runs(SyncState::Backup));
    assert_eq!(agent.monitor().await.expect("monitor"), Health::Running);
    ipvsadm.calls();

    // Started again: nothing to change.
    agent.start().await.expect("second start");
    assert_eq!(ipvsadm.calls(), ["-L --daemon"]);

    agent.stop().await.expect("stop");
    assert_eq!(
        ipvsadm.calls(),
        [
            "-L --daemon",
            "--stop-daemon master",
            "--start-daemon backup"
        ]
    );
    assert!(!ipvsadm.runs(SyncState::Master) && ipvsadm.runs(SyncState::Backup));
    agent.stop().await.expect("second stop");
    assert_eq!(ipvsadm.calls(), ["-L --daemon"]);
}

#[tokio::test]
async fn backup_is_the_mirror_and_starts_from_no_daemon_at_all() {
    let ipvsadm = StandIn::new("backup");
    let agent = ipvsadm.agent(SyncState::Backup);
    agent.start().await.expect("start");
    assert_eq!(ipvsadm.calls(), ["-L --daemon", "--start-daemon backup"]);
    assert_eq!(agent.monitor().await.expect("monitor"), Health::Running);
    ipvsadm.calls();
    agent.stop().await.expect("stop");
    assert_eq!(
        ipvsadm.calls(),
        [
            "-L --daemon",
            "--stop-daemon backup",
            "--start-daemon master"
        ]
    );
}

#[tokio::test]
async fn an_ipvsadm_failure_is_an_error_with_what_it_said() {
    let ipvsadm = StandIn::new("fails");
    // The master daemon runs but the listing does not show it, so the
    // start meets the kernel's refusal.
    ipvsadm.running(SyncState::Master);
    let lying = ipvsadm.dir.join("ipvsadm");
    let script = SCRIPT.replace("for state in master backup", "for state in");
    fs::write(&lying, script).expect("rewrite the stand-in");
    let error = ipvsadm
        .agent(SyncState::Master)
        .start()
        .await
        .expect_err("the kernel refuses a second master daemon");
    let text = error.to_string();
    assert!(
        text.contains("--start-daemon master failed (exit code 2): File exists"),
        "{text}"
    );
}

#[tokio::test]
async fn validate_needs_an_executable_ipvsadm() {
    let ipvsadm = StandIn::new("validate");
    let agent = ipvsadm.agent(SyncState::Master);
    agent.validate().await.expect("the stand-in is executable");
    fs::remove_file(ipvsadm.dir.join("ipvsadm")).expect("remove the stand-in");
    assert!(agent.validate().await.is_err());
}

#[test]
fn the_listing_says_which_daemons_run() {
    let both = "master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n\
                backup sync daemon (mcast=eth1, syncid=1)\n";
    assert_eq!(
        Daemons::parse(both),
        Daemons {
            master: true,
            backup: true
        }
    );
    assert_eq!(Daemons::parse(""), Daemons::default());
    assert!(Daemons::parse("backup sync daemon (mcast=eth0, syncid=0)\n").runs(SyncState::Backup));
}

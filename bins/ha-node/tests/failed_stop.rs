//! A resource that cannot be stopped ends its node as heartbeat ends it:
//! node-a holds an address and a `resource.d` script whose stop always
//! fails while its status says running. Asked to shut down, node-a tries
//! the stop 11 times, 1 s apart (heartbeat's HA_STOPRETRYMAX 10), then
//! runs the failed-stop command (here a script recording its call; by
//! default `/sbin/reboot -nf`) and exits without telling node-b, which
//! takes the group over after deadtime. Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{cluster, holds_vip, outputs, start_both, BINARY};
use ha_lab::cluster::{ClusterSpec, Node};

/// Starts by leaving a state file beside its directory; never stops.
const STUCK: &str = r#"#!/bin/sh
state="$(dirname "$0")/../stuck.state"
case "$1" in
  start) touch "$state"; exit 0;;
  stop) echo "cannot stop" >&2; exit 1;;
  status) if [ -e "$state" ]; then echo running; else echo stopped; fi; exit 0;;
esac
exit 1
"#;

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_stop_that_keeps_failing_runs_the_failed_stop_command_and_the_peer_takes_over() {
    let record = std::env::temp_dir().join(format!("ha-node-failed-stop-{}", std::process::id()));
    let _ = fs::remove_dir_all(&record);
    fs::create_dir_all(&record).unwrap();
    let calls = record.join("calls");
    let command = record.join("reboot");
    executable(
        &command,
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", calls.display()),
    );

    let mut spec = ClusterSpec::fast(BINARY);
    spec.haresources = "node-a IPaddr::10.77.0.100/24/eth0 stuck\n".into();
    spec.failed_stop_command = format!("{} -nf", command.display());
    let mut cluster = cluster("hn-failstop", spec);
    for node in [Node::A, Node::B] {
        let dir = cluster.config_dir(node).join("resource.d");
        fs::create_dir_all(&dir).unwrap();
        executable(&dir.join("stuck"), STUCK);
    }
    start_both(&mut cluster);

    let asked = Instant::now();
    let node_a = cluster
        .terminate(Node::A)
        .expect("SIGTERM node-a")
        .expect("node-a runs");
    let exit = node_a
        .wait_timeout(Duration::from_secs(40))
        .expect("wait for node-a")
        .unwrap_or_else(|| panic!("node-a did not exit\n{}", outputs(&cluster)));
    let exited_after = asked.elapsed();
    let taken = cluster
        .wait_until(Duration::from_secs(10), |c| holds_vip(c, Node::B))
        .unwrap_or_else(|| panic!("node-b never took over\n{}", outputs(&cluster)));
    let log_a = cluster.log(Node::A);
    eprintln!(
        "node-a exited ({exit:?}) {} ms after SIGTERM; node-b took over {} ms after it",
        exited_after.as_millis(),
        taken.duration_since(asked + exited_after).as_millis()
    );
    assert_eq!(
        fs::read_to_string(&calls).unwrap_or_default(),
        "-nf\n",
        "the failed-stop command ran once, with its arguments"
    );
    assert!(
        log_a.contains("Resource STOP failure. Reboot required!"),
        "{log_a}"
    );
    assert_eq!(
        log_a.matches("trying the stop of").count(),
        10,
        "10 retries after the first stop:\n{log_a}"
    );
    assert!(
        exited_after >= Duration::from_secs(10),
        "retries 1 s apart take 10 s, not {exited_after:?}"
    );
    assert!(format!("{exit:?}").contains("70"), "exit status {exit:?}");
    // node-a was not told to hand over: node-b waited for deadtime.
    let log_b = cluster.log(Node::B);
    assert!(!log_b.contains("peer-shutdown"), "{log_b}");
    assert!(log_b.contains("peer-dead"), "{log_b}");
    let _ = fs::remove_dir_all(&record);
}

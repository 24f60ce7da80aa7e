//! ldirectord's own invocation, through a symlink named `ldirectord` and
//! as `lvs-director [CONFIG] VERB`: LSB exit statuses for status, stop,
//! reload and start; pid files trusted only when they name a director;
//! bad command lines; and `lvs-director status|reload` without a director.
//!
//! Starting a director needs IPVS: where the kernel has none (the host),
//! `start` and `run` must fail with the reason and leave no pid file;
//! where it has (the VM), they must start, answer, and stop cleanly.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_lvs-director");

/// A directory with an `ldirectord` symlink to the binary and a valid
/// configuration, removed when dropped.
struct Bed {
    dir: PathBuf,
}

impl Bed {
    fn new(name: &str) -> Bed {
        let dir = std::env::temp_dir().join(format!(
            "lvs-director-ldirectord-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test directory");
        std::os::unix::fs::symlink(BINARY, dir.join("ldirectord")).expect("symlink");
        let bed = Bed { dir };
        // A service no real server will ever answer for; nothing listens.
        bed.write(
            "good.cf",
            &format!(
                "checkinterval=1\nlogfile=\"{}\"\ncleanstop=yes\n\
                 virtual=192.0.2.77:8077\n\treal=127.0.0.1:8077 masq\n\tchecktype=connect\n",
                bed.path("director.log").display()
            ),
        );
        bed.write(
            "bad.cf",
            "virtual=192.0.2.77:8077\n\treal=10.0.0.1:80 gate\n\tbogus=1\n",
        );
        bed
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("write a file");
    }

    /// `ldirectord --pid-file P --socket S --state-dir D ARGS…` through the symlink.
    fn ldirectord(&self, args: &[&str]) -> Output {
        Command::new(self.path("ldirectord"))
            .arg("--pid-file")
            .arg(self.path("ld.pid"))
            .arg("--socket")
            .arg(self.path("ld.sock"))
            .arg("--state-dir")
            .arg(self.path("state"))
            .args(args)
            .output()
            .expect("run ldirectord")
    }

    fn cf(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        // A director a failed test left running would hold on to the
        // guest's IPVS table: stop it.
        let _ = self.ldirectord(&[&self.cf("good.cf"), "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A process that waits on its stdin, named `name` in its command line:
/// a stand-in for a running director when the name says ldirectord, a
/// process that is not one otherwise. It runs while the returned stdin is
/// held (waiting on a `Child` closes its stdin, so it is taken out).
fn sleeper(name: &str) -> (Child, ChildStdin) {
    let mut child = Command::new("sh")
        .args(["-c", "read line", name])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let stdin = child.stdin.take().expect("stdin");
    (child, stdin)
}

fn ipvs_available() -> bool {
    ha_ipvs::Ipvs::connect().is_ok()
}

#[test]
fn status_is_3_when_stopped_and_1_for_a_stale_pid_file() {
    let bed = Bed::new("status");
    let cf = bed.cf("good.cf");
    let out = bed.ldirectord(&[&cf, "status"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("ldirectord is stopped for {cf}\n")
    );

    let (mut other, _stdin) = sleeper("not-a-director");
    bed.write("ld.pid", &format!("{}\n", other.id()));
    let out = bed.ldirectord(&[&cf, "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "ldirectord stale pid file {} for {cf}\n",
            bed.path("ld.pid").display()
        )
    );
    // A stale pid file stops nothing and signals nothing.
    assert_eq!(bed.ldirectord(&[&cf, "stop"]).status.code(), Some(0));
    assert_eq!(
        other.try_wait().expect("wait"),
        None,
        "the sleeper was left alone"
    );
    let _ = other.kill();
    let _ = other.wait();
}

#[test]
fn a_running_director_is_reported_reloaded_with_sighup_and_stopped_with_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let bed = Bed::new("running");
    let cf = bed.cf("good.cf");
    let (mut fake, _stdin) = sleeper("ldirectord-stand-in");
    bed.write("ld.pid", &format!("{}\n", fake.id()));
    let out = bed.ldirectord(&[&cf, "status"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        format!("ldirectord for {cf} is running with pid: {}\n", fake.id())
    );
    // start of a running director: nothing to do.
    assert_eq!(bed.ldirectord(&[&cf, "start"]).status.code(), Some(0));
    assert_eq!(fake.try_wait().expect("wait"), None);
    assert_eq!(bed.ldirectord(&[&cf, "reload"]).status.code(), Some(0));
    let status = fake.wait().expect("wait");
    assert_eq!(status.signal(), Some(1), "reload sends SIGHUP");

    let (mut fake, _stdin2) = sleeper("ldirectord-stand-in");
    bed.write("ld.pid", &format!("{}\n", fake.id()));
    let reaper = std::thread::spawn(move || fake.wait().expect("wait"));
    let started = Instant::now();
    let out = bed.ldirectord(&[&cf, "stop"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        reaper.join().expect("reaper").signal(),
        Some(15),
        "stop sends SIGTERM"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn reload_and_stop_of_a_stopped_director() {
    let bed = Bed::new("stopped");
    let cf = bed.cf("good.cf");
    let out = bed.ldirectord(&[&cf, "reload"]);
    assert_eq!(out.status.code(), Some(7), "LSB: not running");
    assert_eq!(
        text(&out.stdout),
        format!("ldirectord is stopped for {cf}\n")
    );
    assert_eq!(
        bed.ldirectord(&[&cf, "force-reload"]).status.code(),
        Some(7)
    );
    assert_eq!(bed.ldirectord(&[&cf, "stop"]).status.code(), Some(0));
    assert_eq!(bed.ldirectord(&[&cf, "try-restart"]).status.code(), Some(0));
}

#[test]
fn bad_command_lines_configurations_and_files() {
    let bed = Bed::new("bad");
    let out = bed.ldirectord(&["launch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown action 'launch'"));
    assert!(text(&out.stderr).contains("Usage: ldirectord"));
    let out = bed.ldirectord(&["-v"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("ldirectord 4.12 compatible"));
    let out = bed.ldirectord(&["-h"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: ldirectord"));

    let missing = bed.cf("missing.cf");
    let out = bed.ldirectord(&[&missing, "start"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("Config file {missing} not found\n")
    );

    let bad = bed.cf("bad.cf");
    let out = bed.ldirectord(&[&bad, "start"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("{bad}:3: unknown keyword 'bogus'\n")
    );
    assert!(!bed.path("ld.pid").exists());
}

#[test]
fn lvs_director_takes_ldirectords_invocation_too() {
    let bed = Bed::new("plain");
    let cf = bed.cf("good.cf");
    let out = Command::new(BINARY)
        .arg("--pid-file")
        .arg(bed.path("ld.pid"))
        .args([cf.as_str(), "status"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stdout),
        format!("ldirectord is stopped for {cf}\n")
    );
}

#[test]
fn status_and_reload_without_a_director() {
    let bed = Bed::new("nosocket");
    for json in [false, true] {
        let mut cmd = Command::new(BINARY);
        cmd.arg("status").arg("--socket").arg(bed.path("none.sock"));
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().expect("run status");
        assert_eq!(out.status.code(), Some(3), "LSB: not running");
        assert!(text(&out.stdout).starts_with("lvs-director is not running"));
    }
    let out = Command::new(BINARY)
        .arg("reload")
        .arg("--socket")
        .arg(bed.path("none.sock"))
        .output()
        .expect("run reload");
    assert_eq!(out.status.code(), Some(7));
}

/// Waits until `path` exists or `limit` passes.
fn wait_for(path: &Path, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn start_daemonizes_only_when_the_director_can_run() {
    let bed = Bed::new("start");
    let cf = bed.cf("good.cf");
    let out = bed.ldirectord(&[&cf, "start"]);
    if !ipvs_available() {
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            "ldirectord: IPVS is not available: load the ip_vs module\n"
        );
        assert!(!bed.path("ld.pid").exists(), "no pid file is left behind");
        let run = Command::new(BINARY)
            .args(["run", "-f", &cf, "--socket"])
            .arg(bed.path("run.sock"))
            .arg("--state-dir")
            .arg(bed.path("state"))
            .output()
            .expect("run");
        assert_eq!(run.status.code(), Some(1));
        assert!(text(&run.stderr).contains("IPVS is not available: load the ip_vs module"));
        return;
    }
    // With IPVS: the daemon is up when start returns.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(bed.path("ld.pid").exists());
    assert!(wait_for(&bed.path("ld.sock"), Duration::from_secs(5)));
    let status = bed.ldirectord(&[&cf, "status"]);
    assert_eq!(status.status.code(), Some(0));
    let ours = Command::new(BINARY)
        .arg("status")
        .arg("--socket")
        .arg(bed.path("ld.sock"))
        .output()
        .expect("status");
    assert_eq!(ours.status.code(), Some(0), "{}", text(&ours.stderr));
    assert!(text(&ours.stdout).contains("TCP 192.0.2.77:8077"));
    let stop = bed.ldirectord(&[&cf, "stop"]);
    assert_eq!(stop.status.code(), Some(0));
    assert!(
        !bed.path("ld.pid").exists(),
        "the daemon removed its pid file"
    );
    assert_eq!(bed.ldirectord(&[&cf, "status"]).status.code(), Some(3));
    let listing = Command::new("ipvsadm")
        .arg("-Ln")
        .output()
        .expect("ipvsadm");
    assert!(
        !text(&listing.stdout).contains("192.0.2.77:8077"),
        "cleanstop removed the service:\n{}",
        text(&listing.stdout)
    );
}

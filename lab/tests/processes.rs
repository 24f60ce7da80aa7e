//! Processes in lab hosts: they run inside the namespace, can be signalled
//! and waited for, and none survives its handle or its lab.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use ha_lab::{Host, Lab, LabChild, LabError, Signal};

/// Long enough for anything expected to succeed, even on a loaded machine.
const WAIT: Duration = Duration::from_secs(5);

fn alive(pid: u32) -> bool {
    // Children are reaped by the lab, so a dead one has no /proc entry; a
    // grandchild re-parented to init may linger as a zombie for a moment.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.contains(") Z "),
        Err(_) => false,
    }
}

fn eventually_dead(pid: u32) -> bool {
    for _ in 0..200 {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn same_file(a: impl AsRef<Path>, b: impl AsRef<Path>) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

fn sleeper(host: &Host) -> Result<LabChild, LabError> {
    let mut cmd = host.command("sleep");
    cmd.arg("600");
    host.spawn(cmd)
}

#[test]
fn commands_see_the_hosts_network() -> Result<(), LabError> {
    let lab = Lab::new("command_netns")?;
    let a = lab.host("a")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    let out = a.run("ip", ["-o", "addr", "show", "dev", "eth0"])?;
    assert!(out.contains("10.77.0.1/24"), "{out}");
    // /sys is the namespace's too (ip netns exec remounts it).
    let out = a.run("ls", ["/sys/class/net"])?;
    assert!(out.split_whitespace().any(|n| n == "eth0"), "{out}");
    let failed = a.run("ip", ["link", "show", "dev", "nosuch0"]);
    assert!(matches!(failed, Err(LabError::Command { .. })));
    Ok(())
}

#[test]
fn spawned_output_can_be_read() -> Result<(), LabError> {
    let lab = Lab::new("spawn_output")?;
    let a = lab.host("a")?;
    let mut cmd = a.command("cat");
    cmd.arg("/proc/sys/net/ipv4/ip_forward")
        .stdout(Stdio::piped());
    let mut child = a.spawn(cmd)?;
    let mut out = String::new();
    child
        .take_stdout()
        .expect("piped stdout")
        .read_to_string(&mut out)
        .expect("read");
    assert_eq!(out.trim(), "0");
    assert!(child.wait()?.success());
    Ok(())
}

#[test]
fn kill_and_terminate_deliver_their_signals() -> Result<(), LabError> {
    let lab = Lab::new("signals")?;
    let a = lab.host("a")?;
    let child = sleeper(&a)?;
    assert_eq!(child.wait_timeout(Duration::from_millis(50))?, None);
    child.kill()?;
    let status = child.wait_timeout(WAIT)?.expect("ended");
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32));
    // Signalling a process that is gone is not an error.
    child.terminate()?;

    let child = sleeper(&a)?;
    child.terminate()?;
    let status = child.wait_timeout(WAIT)?.expect("ended");
    assert_eq!(status.signal(), Some(Signal::SIGTERM as i32));
    Ok(())
}

#[test]
fn dropping_the_handle_kills_the_process() -> Result<(), LabError> {
    let lab = Lab::new("handle_drop")?;
    let a = lab.host("a")?;
    let child = sleeper(&a)?;
    let pid = child.pid();
    assert!(alive(pid));
    drop(child);
    assert!(!alive(pid));
    Ok(())
}

#[test]
fn dropping_the_lab_kills_detached_children_and_their_children() -> Result<(), LabError> {
    let lab = Lab::new("lab_drop_kills")?;
    let a = lab.host("a")?;
    let mut cmd = a.command("sh");
    cmd.args(["-c", "sleep 600 & echo $!; wait"])
        .stdout(Stdio::piped());
    let mut child = a.spawn(cmd)?;
    let mut stdout = child.take_stdout().expect("piped stdout");
    let mut line = [0u8; 16];
    let n = stdout.read(&mut line).expect("grandchild pid");
    let grandchild: u32 = String::from_utf8_lossy(&line[..n])
        .trim()
        .parse()
        .expect("a pid");
    let pid = child.pid();
    child.detach();
    assert!(alive(pid) && alive(grandchild));
    drop(lab);
    assert!(!alive(pid));
    assert!(eventually_dead(grandchild));
    Ok(())
}

#[test]
fn processes_started_around_the_lab_die_with_the_namespace() -> Result<(), LabError> {
    let lab = Lab::new("stray")?;
    let a = lab.host("a")?;
    // Started without Host::spawn, e.g. by a daemon under test.
    let mut stray = a.command("sleep").arg("600").spawn().expect("spawn stray");
    let inside = (0..500).any(|_| {
        let entered = same_file(format!("/proc/{}/ns/net", stray.id()), a.netns_path());
        if !entered {
            std::thread::sleep(Duration::from_millis(10));
        }
        entered
    });
    drop(lab);
    let status = stray.wait().expect("reaped");
    assert!(inside, "the stray process entered the namespace");
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32));
    Ok(())
}

#[test]
fn sysctl_changes_only_that_host() -> Result<(), LabError> {
    let lab = Lab::new("sysctl")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    a.sysctl("net.ipv4.ip_forward", "1")?;
    assert_eq!(a.run("cat", ["/proc/sys/net/ipv4/ip_forward"])?.trim(), "1");
    assert_eq!(b.run("cat", ["/proc/sys/net/ipv4/ip_forward"])?.trim(), "0");
    assert!(a.sysctl("net.ipv4.no_such_key", "1").is_err());
    assert!(a.sysctl("net/../../etc/passwd", "1").is_err());
    Ok(())
}

#[test]
fn namespace_path_is_the_ip_netns_file() -> Result<(), LabError> {
    let lab = Lab::new("netns_path")?;
    let a = lab.host("a")?;
    assert_eq!(a.netns_path(), Path::new("/run/netns").join(a.netns()));
    assert!(a.netns_path().exists());
    assert!(a.netns().starts_with(lab.prefix()));
    Ok(())
}

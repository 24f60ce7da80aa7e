//! A network namespace of each test's own: a thread unshares a new one
//! (this needs root), brings its `lo` up and runs the test's code there.
//! The namespace has no name and lives only as long as the thread and the
//! programs it starts, so nothing is left behind, even after a panic.

#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::process::{Command, Stdio};

use nix::sched::{unshare, CloneFlags};

/// Runs `test` in a thread of a fresh network namespace whose `lo` is up.
pub fn in_new_netns<T: Send>(test: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            unshare(CloneFlags::CLONE_NEWNET).expect("a network namespace (needs root)");
            ip(&["link", "set", "lo", "up"]);
            test()
        });
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Runs `future` to its end on a runtime of the calling thread, so its
/// sockets belong to the thread's namespace.
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Runs `program` with `args` (feeding it `input`), in the calling
/// thread's namespace; its stdout, or a panic naming the command and its
/// stderr.
fn run(program: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (iproute2, nftables): {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `ip ARGS…`.
pub fn ip(args: &[&str]) -> String {
    run("ip", args, "")
}

/// Loads an nftables ruleset.
pub fn nft(ruleset: &str) {
    run("nft", &["-f", "-"], ruleset);
}

/// Sets a kernel parameter of this namespace, `net/ipv4/...` form.
pub fn sysctl(key: &str, value: &str) {
    std::fs::write(format!("/proc/sys/{key}"), value)
        .unwrap_or_else(|e| panic!("sysctl {key}={value}: {e}"));
}

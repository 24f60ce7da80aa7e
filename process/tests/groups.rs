//! Nothing of a program's process group outlives a timeout, a dropped
//! handle or an aborted task; SIGTERM is followed by SIGKILL after the
//! grace; a program that ends on its own leaves its daemons alone.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{alive, eventually, eventually_async, members, FORKS, IGNORES_TERM};
use ha_process::{Command, Exit, Output, Process, Signal};

/// Generous bound for things expected to happen at once on a loaded machine.
const SOON: Duration = Duration::from_secs(5);

fn sh(script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    cmd
}

fn pids(text: &[u8]) -> Vec<u32> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[tokio::test]
async fn a_timeout_ends_the_whole_group() {
    let started = Instant::now();
    let running = sh(FORKS)
        .timeout(Duration::from_millis(300))
        .grace(Duration::from_secs(2))
        .stdout(Output::Capture)
        .spawn()
        .unwrap();
    let group = running.pid();
    let outcome = running.wait().await.unwrap();
    let took = started.elapsed();
    assert!(outcome.timed_out, "{outcome}");
    assert!(!outcome.success());
    // The shell dies of the SIGTERM, well within the grace.
    assert_eq!(outcome.exit, Exit::Signal(Signal::SIGTERM as i32));
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(outcome.duration >= Duration::from_millis(300));
    let children = pids(&outcome.stdout);
    assert_eq!(children.len(), 2, "{outcome:?}");
    assert!(eventually(SOON, || members(group).is_empty()));
    assert!(children.iter().all(|&pid| !alive(pid)), "{children:?}");
}

#[tokio::test]
async fn dropping_the_handle_ends_the_whole_group() {
    let running = sh(FORKS).grace(Duration::from_secs(2)).spawn().unwrap();
    let group = running.pid();
    assert!(eventually_async(SOON, || members(group).len() == 3).await);
    let children: Vec<u32> = members(group).into_iter().filter(|&p| p != group).collect();
    drop(running);
    assert!(eventually_async(SOON, || members(group).is_empty()).await);
    assert!(children.iter().all(|&pid| !alive(pid)));
}

#[test]
fn dropping_the_handle_outside_a_runtime_ends_the_whole_group() {
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", FORKS]).stdout(std::process::Stdio::null());
    let process = Process::spawn(&mut cmd)
        .unwrap()
        .with_grace(Duration::from_secs(2));
    let group = process.pid();
    assert!(eventually(SOON, || members(group).len() == 3));
    drop(process);
    // The drop itself waited for the leader; the children follow at once.
    assert!(!alive(group));
    assert!(eventually(SOON, || members(group).is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_the_callers_task_ends_the_whole_group() {
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let running = sh(FORKS).grace(Duration::from_secs(2)).spawn().unwrap();
        let _ = pid_tx.send(running.pid());
        running.wait().await
    });
    let group = pid_rx.await.unwrap();
    assert!(eventually_async(SOON, || members(group).len() == 3).await);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(eventually_async(SOON, || members(group).is_empty()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_future_dropped_by_an_outer_timeout_ends_the_whole_group() {
    let marker = format!("ha-process-outer-timeout-{}", std::process::id());
    // The pids come through a file: the future is gone when we look.
    let file = std::env::temp_dir().join(&marker);
    let script = format!(
        "{{ sleep 100 & echo $!; sleep 100 & echo $!; }} > {}; wait",
        file.display()
    );
    let cmd = sh(&script);
    let run = tokio::time::timeout(Duration::from_millis(300), cmd.run());
    assert!(run.await.is_err());
    let children = pids(&std::fs::read(&file).unwrap_or_default());
    let _ = std::fs::remove_file(&file);
    assert_eq!(children.len(), 2);
    assert!(eventually_async(SOON, || children.iter().all(|&p| !alive(p))).await);
}

#[test]
fn a_runtime_shutting_down_during_the_grace_kills_the_group_at_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let group = runtime.block_on(async {
        let running = sh(IGNORES_TERM)
            .grace(Duration::from_secs(60))
            .spawn()
            .unwrap();
        let group = running.pid();
        assert!(eventually_async(SOON, || members(group).len() == 3).await);
        // SIGTERM now, SIGKILL after the grace in a task of the runtime...
        drop(running);
        group
    });
    // ...which goes away first: its task's drop kills the group.
    drop(runtime);
    assert!(eventually(SOON, || members(group).is_empty()));
}

#[tokio::test]
async fn sigterm_ignored_is_followed_by_sigkill_after_the_grace() {
    let grace = Duration::from_millis(700);
    let mut cmd = sh(IGNORES_TERM);
    cmd.timeout(Duration::from_millis(300)).grace(grace);
    let running = cmd.spawn().unwrap();
    let group = running.pid();
    let outcome = running.wait().await.unwrap();
    assert!(outcome.timed_out);
    assert_eq!(outcome.exit, Exit::Signal(Signal::SIGKILL as i32));
    assert!(
        outcome.duration >= Duration::from_millis(300) + grace,
        "{outcome}"
    );
    assert!(outcome.duration < Duration::from_secs(3), "{outcome}");
    assert!(eventually(SOON, || members(group).is_empty()));
}

#[test]
fn terminate_blocking_sends_sigkill_after_the_grace() {
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", IGNORES_TERM])
        .stdout(std::process::Stdio::piped());
    let grace = Duration::from_millis(500);
    let process = Process::spawn(&mut cmd).unwrap().with_grace(grace);
    let mut ready = String::new();
    BufReader::new(process.take_stdout().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let group = process.pid();
    let started = Instant::now();
    let exit = process.terminate_blocking().unwrap();
    assert_eq!(exit, Exit::Signal(Signal::SIGKILL as i32));
    assert!(started.elapsed() >= grace, "{:?}", started.elapsed());
    assert!(eventually(SOON, || members(group).is_empty()));
}

#[test]
fn a_zero_grace_kills_at_once() {
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", IGNORES_TERM])
        .stdout(std::process::Stdio::null());
    let process = Process::spawn(&mut cmd).unwrap().with_grace(Duration::ZERO);
    let started = Instant::now();
    let exit = process.terminate_blocking().unwrap();
    assert_eq!(exit, Exit::Signal(Signal::SIGKILL as i32));
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn a_program_that_ends_on_its_own_leaves_its_daemons_alone() {
    // The daemon keeps the stdout pipe open: the run must not wait for it.
    let started = Instant::now();
    let outcome = sh("sleep 100 & echo $!")
        .stdout(Output::Capture)
        .run()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(outcome.exit, Exit::Code(0));
    let daemon = pids(&outcome.stdout);
    assert_eq!(daemon.len(), 1);
    assert!(alive(daemon[0]));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon[0] as i32),
        Signal::SIGKILL,
    );
}

#[test]
fn blocking_waits_signals_and_reaps() {
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("100");
    let process = Process::spawn(&mut cmd).unwrap();
    assert_eq!(
        process.wait_timeout(Duration::from_millis(50)).unwrap(),
        None
    );
    assert_eq!(process.try_wait().unwrap(), None);
    process.signal(Signal::SIGTERM).unwrap();
    let exit = process.wait_timeout(SOON).unwrap();
    assert_eq!(exit, Some(Exit::Signal(Signal::SIGTERM as i32)));
    assert_eq!(process.wait_blocking().unwrap(), Exit::Signal(15));
    // Signalling a reaped program is not an error and reaches nobody.
    process.signal(Signal::SIGKILL).unwrap();
    process.signal_group(Signal::SIGKILL).unwrap();
}

#[test]
fn handles_and_runs_can_cross_threads_and_tasks() {
    fn shareable<T: Send + Sync>() {}
    fn sendable<T: Send>(_: &T) {}
    shareable::<Process>();
    shareable::<Command>();
    let cmd = Command::new("true");
    // What tokio::spawn needs of a run; never polled, so nothing starts.
    sendable(&cmd.run());
}

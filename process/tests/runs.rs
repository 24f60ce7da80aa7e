//! Runs to completion: exit codes, signals and durations, output lines in
//! the log with their tag and the last ones kept, input, environment,
//! working directory and user, the blocking entry point, and errors.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ha_process::{Command, Error, Exit, Line, Output, Stream, User};

fn sh(script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    cmd
}

/// Every message logged by this test binary.
fn logged() -> &'static Mutex<Vec<String>> {
    struct Recorder;
    static LOGGED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    impl log::Log for Recorder {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            if let Some(logged) = LOGGED.get() {
                let line = format!("{} {}", record.level(), record.args());
                logged.lock().unwrap().push(line);
            }
        }
        fn flush(&self) {}
    }
    static RECORDER: Recorder = Recorder;
    LOGGED.get_or_init(|| {
        let _ = log::set_logger(&RECORDER);
        log::set_max_level(log::LevelFilter::Trace);
        Mutex::new(Vec::new())
    })
}

#[tokio::test]
async fn exit_codes_signals_and_durations_are_reported() {
    let outcome = sh("exit 3").run().await.unwrap();
    assert_eq!(outcome.exit, Exit::Code(3));
    assert!(!outcome.timed_out && !outcome.success());
    assert_eq!(outcome.exit.to_string(), "exit code 3");

    let outcome = sh("kill -KILL $$").run().await.unwrap();
    assert_eq!(outcome.exit, Exit::Signal(9));
    assert_eq!(outcome.exit.signal(), Some(9));
    assert!(outcome
        .to_string()
        .starts_with("killed by signal 9 (SIGKILL) after"));

    let outcome = Command::new("sleep").arg("0.2").run().await.unwrap();
    assert!(outcome.success());
    assert!(outcome.duration >= Duration::from_millis(200), "{outcome}");
    assert!(outcome.duration < Duration::from_secs(2), "{outcome}");
}

#[tokio::test]
async fn output_lines_are_logged_with_the_tag_and_the_last_ones_kept() {
    let logged = logged();
    let outcome = sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done; echo oops >&2")
        .tag("tagged-run")
        .keep_lines(3)
        .log_level(log::Level::Warn)
        .run()
        .await
        .unwrap();
    assert!(outcome.success());
    let kept: Vec<&str> = outcome.tail.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(outcome.tail.contains(&Line {
        stream: Stream::Stderr,
        text: "oops".to_string()
    }));
    assert!(kept.contains(&"line 10"), "{kept:?}");
    // Logged lines are not captured unless asked.
    assert!(outcome.stdout.is_empty());
    let logged = logged.lock().unwrap();
    let mine: Vec<&String> = logged.iter().filter(|l| l.contains("tagged-run")).collect();
    assert!(
        mine.contains(&&"WARN tagged-run: line 1".to_string()),
        "{mine:?}"
    );
    assert!(
        mine.contains(&&"WARN tagged-run: line 10".to_string()),
        "{mine:?}"
    );
    assert!(
        mine.contains(&&"WARN tagged-run (stderr): oops".to_string()),
        "{mine:?}"
    );
    assert_eq!(mine.len(), 11, "{mine:?}");
}

#[tokio::test]
async fn discarded_output_is_neither_logged_nor_kept() {
    let logged = logged();
    let outcome = sh("echo hidden; echo hidden >&2")
        .tag("discarded-run")
        .stdout(Output::Discard)
        .stderr(Output::Discard)
        .run()
        .await
        .unwrap();
    assert!(outcome.tail.is_empty());
    assert!(!logged
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("discarded-run")));
}

#[tokio::test]
async fn input_is_fed_and_output_captured_whole() {
    let outcome = Command::new("cat")
        .input("one\ntwo\nno newline")
        .stdout(Output::Capture)
        .stderr(Output::Capture)
        .run()
        .await
        .unwrap();
    assert_eq!(outcome.stdout, b"one\ntwo\nno newline");
    assert!(outcome.stderr.is_empty());
    let last = outcome.tail.last().map(|l| l.text.as_str());
    assert_eq!(last, Some("no newline"));
}

#[tokio::test]
async fn environment_and_working_directory_apply() {
    let dir = std::env::temp_dir().join(format!("ha-process-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("HA_PROCESS_INHERITED", "inherited");
    let outcome = sh("echo \"$HA_PROCESS_SET|$HA_PROCESS_INHERITED|$(pwd)\"")
        .env("HA_PROCESS_SET", "set")
        .env_remove("HA_PROCESS_INHERITED")
        .current_dir(&dir)
        .stdout(Output::Capture)
        .run()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&outcome.stdout).trim().to_string();
    assert_eq!(text, format!("set||{}", dir.display()));

    let outcome = Command::new("/usr/bin/env")
        .env_clear()
        .env("ONLY", "this")
        .stdout(Output::Capture)
        .run()
        .await
        .unwrap();
    assert_eq!(outcome.stdout, b"ONLY=this\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_user_applies_when_root() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("not root: running as another user is not tested");
        return;
    }
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let expected = format!("{} {} {}\n", nobody.uid, nobody.gid, nobody.gid);
    for user in [
        User::Name("nobody".to_string()),
        User::Id {
            uid: nobody.uid.as_raw(),
            gid: nobody.gid.as_raw(),
        },
    ] {
        let outcome = sh("echo $(id -u) $(id -g) $(id -G)")
            .user(user.clone())
            .current_dir("/")
            .stdout(Output::Capture)
            .run()
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&outcome.stdout), expected, "{user}");
    }
}

#[tokio::test]
async fn errors_name_the_command() {
    match Command::new("/nonexistent/program").arg("x").run().await {
        Err(Error::Spawn { command, source }) => {
            assert_eq!(command, "/nonexistent/program x");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected a spawn error, got {other:?}"),
    }
    match Command::new("true")
        .user(User::Name("ha-process-no-such-user".to_string()))
        .run()
        .await
    {
        Err(Error::UnknownUser { user, .. }) => assert_eq!(user, "ha-process-no-such-user"),
        other => panic!("expected an unknown user, got {other:?}"),
    }
}

#[test]
fn the_async_entry_points_need_a_runtime() {
    assert!(matches!(
        Command::new("true").spawn(),
        Err(Error::NoRuntime { .. })
    ));
}

#[test]
fn run_blocking_works_without_a_runtime() {
    let outcome = sh("echo blocking; exit 4")
        .stdout(Output::Capture)
        .run_blocking()
        .unwrap();
    assert_eq!(outcome.exit, Exit::Code(4));
    assert_eq!(outcome.stdout, b"blocking\n");
    let outcome = Command::new("sleep")
        .arg("10")
        .timeout(Duration::from_millis(100))
        .run_blocking()
        .unwrap();
    assert!(outcome.timed_out);
}

#[tokio::test]
async fn run_blocking_works_inside_a_runtime() {
    let outcome = Command::new("true").run_blocking().unwrap();
    assert!(outcome.success());
}

//! A program started from a realtime thread runs at the normal policy:
//! from a thread made SCHED_FIFO by `sched::set_fifo` (reset on fork, by
//! the kernel) and from one made SCHED_FIFO without that flag (`chrt`,
//! reset by the child before exec). The program reports its own policy and
//! priority from `/proc/self/stat`; its children are checked too. Needs
//! CAP_SYS_NICE (root).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ha_process::sched::{self, Policy};
use ha_process::{Command, Output};

/// `rt_priority policy` of the shell, then of a child of it, one per line:
/// fields 40 and 41 of each one's own `/proc/PID/stat` (38 and 39 once the
/// pid and the parenthesised command name are cut off).
const REPORT: &str = r#"sed 's/.*) //' /proc/$$/stat | cut -d' ' -f38,39
sh -c "sed 's/.*) //' /proc/\$\$/stat | cut -d' ' -f38,39""#;

/// Runs the report on `thread`'s scheduling and returns `(rt_priority,
/// policy)` pairs, shell first.
fn report_from(set_up: impl FnOnce() + Send + 'static) -> Vec<(u32, u32)> {
    std::thread::spawn(move || {
        set_up();
        let outcome = Command::new("sh")
            .args(["-c", REPORT])
            .stdout(Output::Capture)
            .run_blocking()
            .unwrap();
        assert!(outcome.success(), "{outcome}");
        String::from_utf8(outcome.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let (priority, policy) = line.split_once(' ').unwrap();
                (priority.parse().unwrap(), policy.parse().unwrap())
            })
            .collect()
    })
    .join()
    .unwrap()
}

#[test]
fn a_program_started_from_a_fifo_thread_runs_sched_other() {
    let seen = report_from(|| {
        sched::set_fifo(20).expect("SCHED_FIFO 20 (needs CAP_SYS_NICE)");
        let now = sched::current().unwrap();
        assert_eq!(now.policy, Policy::Fifo);
        assert_eq!(now.priority, 20);
        assert!(now.reset_on_fork);
    });
    // (rt_priority, policy): 0 and SCHED_OTHER (0), for the program and
    // for what it forks.
    assert_eq!(seen, [(0, 0), (0, 0)]);
}

#[test]
fn a_program_started_from_a_thread_fifo_without_reset_on_fork_runs_sched_other() {
    let seen = report_from(|| {
        let tid = nix::unistd::gettid().to_string();
        let chrt = Command::new("chrt")
            .args(["--fifo", "--pid", "30", &tid])
            .run_blocking()
            .unwrap();
        assert!(chrt.success(), "chrt: {chrt}");
        let now = sched::current().unwrap();
        assert_eq!((now.policy, now.priority), (Policy::Fifo, 30));
        assert!(!now.reset_on_fork);
    });
    assert_eq!(seen, [(0, 0), (0, 0)]);
}

#[test]
fn the_thread_itself_stays_fifo_and_others_are_untouched() {
    let before = sched::current().unwrap();
    std::thread::spawn(|| {
        sched::set_fifo(5).unwrap();
        // A thread it creates starts at the normal policy.
        let child = std::thread::spawn(sched::current).join().unwrap().unwrap();
        assert_eq!(child.policy, Policy::Other);
        assert_eq!(sched::current().unwrap().priority, 5);
    })
    .join()
    .unwrap();
    assert_eq!(sched::current().unwrap(), before);
}

//! The scheduling policy of the calling thread: realtime (SCHED_FIFO) for a
//! loop that must keep time under load, and the rule that no program we
//! start inherits it.
//!
//! A thread made realtime with [`set_fifo`] carries `SCHED_RESET_ON_FORK`:
//! every process and thread it creates starts at the normal policy
//! (SCHED_OTHER, nice 0). [`Process::spawn`](crate::Process::spawn) adds a
//! second guard for a thread that is realtime without that flag (a daemon
//! started under `chrt -f`, say): the child resets its own policy before it
//! runs the program.
//!
//! Neither std nor nix wraps `sched_setscheduler(2)` and its kin, so this is
//! the one module besides `pidfd` that calls libc directly.

#![allow(unsafe_code)]

use std::fmt;
use std::io;
use std::ops::RangeInclusive;
use std::os::unix::process::CommandExt;

/// SCHED_DEADLINE's number (libc has no constant for it).
const SCHED_DEADLINE: libc::c_int = 6;

/// A scheduling policy, as `sched_getscheduler(2)` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// SCHED_OTHER (SCHED_NORMAL): the time-shared default.
    Other,
    /// SCHED_FIFO: realtime, first in first out.
    Fifo,
    /// SCHED_RR: realtime, round robin.
    RoundRobin,
    /// SCHED_BATCH.
    Batch,
    /// SCHED_IDLE.
    Idle,
    /// SCHED_DEADLINE.
    Deadline,
    /// A policy this crate does not know, by number.
    Unknown(i32),
}

impl Policy {
    fn from_raw(raw: libc::c_int) -> Policy {
        match raw {
            libc::SCHED_OTHER => Policy::Other,
            libc::SCHED_FIFO => Policy::Fifo,
            libc::SCHED_RR => Policy::RoundRobin,
            libc::SCHED_BATCH => Policy::Batch,
            libc::SCHED_IDLE => Policy::Idle,
            SCHED_DEADLINE => Policy::Deadline,
            other => Policy::Unknown(other),
        }
    }

    /// Whether the policy is a realtime one (FIFO, round robin or deadline):
    /// one a forked program must not keep.
    pub fn is_realtime(self) -> bool {
        // An unknown policy counts as realtime: the guard errs on the side
        // of resetting.
        !matches!(self, Policy::Other | Policy::Batch | Policy::Idle)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Other => f.write_str("SCHED_OTHER"),
            Policy::Fifo => f.write_str("SCHED_FIFO"),
            Policy::RoundRobin => f.write_str("SCHED_RR"),
            Policy::Batch => f.write_str("SCHED_BATCH"),
            Policy::Idle => f.write_str("SCHED_IDLE"),
            Policy::Deadline => f.write_str("SCHED_DEADLINE"),
            Policy::Unknown(n) => write!(f, "policy {n}"),
        }
    }
}

/// How the calling thread is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduling {
    /// The policy.
    pub policy: Policy,
    /// The static priority (1 to 99 for a realtime policy, else 0).
    pub priority: i32,
    /// Whether the processes and threads it creates start at the normal
    /// policy (`SCHED_RESET_ON_FORK`).
    pub reset_on_fork: bool,
}

/// How the calling thread is scheduled now.
pub fn current() -> io::Result<Scheduling> {
    // SAFETY: sched_getscheduler(2) takes a pid (0: the calling thread) and
    // touches no memory of ours.
    let raw = unsafe { libc::sched_getscheduler(0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_getparam(2) writes one sched_param through the pointer,
    // which points to a live local of that type.
    if unsafe { libc::sched_getparam(0, &mut param) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Scheduling {
        policy: Policy::from_raw(raw & !libc::SCHED_RESET_ON_FORK),
        priority: param.sched_priority,
        reset_on_fork: raw & libc::SCHED_RESET_ON_FORK != 0,
    })
}

/// The priorities SCHED_FIFO accepts on this system (1 to 99 on Linux).
pub fn fifo_priorities() -> io::Result<RangeInclusive<i32>> {
    // SAFETY: both calls take a policy number and touch no memory.
    let (min, max) = unsafe {
        (
            libc::sched_get_priority_min(libc::SCHED_FIFO),
            libc::sched_get_priority_max(libc::SCHED_FIFO),
        )
    };
    if min < 0 || max < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(min..=max)
}

/// Switches the calling thread (only it, not its process) to SCHED_FIFO at
/// `priority`, with `SCHED_RESET_ON_FORK` so that nothing it creates
/// inherits the policy.
///
/// Fails with the kernel's error: `EPERM` without CAP_SYS_NICE and with an
/// `RLIMIT_RTPRIO` below `priority` (or in a cgroup without realtime
/// budget), `EINVAL` for a priority outside [`fifo_priorities`].
pub fn set_fifo(priority: i32) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: sched_setscheduler(2) reads one sched_param through the
    // pointer, which points to a live local of that type; pid 0 is the
    // calling thread.
    let done = unsafe {
        libc::sched_setscheduler(0, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, &param)
    };
    if done < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes sure the program `cmd` starts does not run at the calling
/// thread's realtime policy.
///
/// Nothing to do unless the calling thread is realtime without
/// `SCHED_RESET_ON_FORK` (with the flag, the kernel resets the child); then
/// the child resets itself to SCHED_OTHER between fork and exec.
pub(crate) fn keep_child_normal(cmd: &mut std::process::Command) {
    let inherits = match current() {
        Ok(now) => now.policy.is_realtime() && !now.reset_on_fork,
        // Cannot tell: reset anyway, it costs a system call in the child.
        Err(_) => true,
    };
    if !inherits {
        return;
    }
    // SAFETY: the hook runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes one system call
    // (sched_setscheduler, on a sched_param on its own stack) and allocates
    // nothing.
    unsafe {
        cmd.pre_exec(|| {
            let param = libc::sched_param { sched_priority: 0 };
            if libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_priorities_are_linuxs() {
        assert_eq!(fifo_priorities().unwrap(), 1..=99);
    }

    #[test]
    fn policies_read_and_print() {
        assert_eq!(Policy::from_raw(libc::SCHED_OTHER), Policy::Other);
        assert_eq!(Policy::from_raw(libc::SCHED_FIFO).to_string(), "SCHED_FIFO");
        assert!(Policy::Fifo.is_realtime());
        assert!(Policy::from_raw(6).is_realtime());
        assert!(Policy::Unknown(9).is_realtime());
        assert!(!Policy::Batch.is_realtime());
        let now = std::thread::spawn(current).join().unwrap().unwrap();
        assert!(!now.policy.is_realtime(), "{now:?}");
    }
}

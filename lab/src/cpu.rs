//! CPU load and CPU accounting for tests and benches: busy loops that
//! starve the machine at the normal priority, and the CPU time a process
//! group has used so far, read from /proc: each thread's time on a CPU in
//! nanoseconds (`schedstat`), or where the kernel lacks it, the process's
//! `utime` + `stime` in clock ticks (10 ms each, too coarse for daemons
//! that use a fraction of a percent).

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::unistd::{sysconf, SysconfVar};

use crate::LabError;

/// Busy loops (`sh -c 'while :; do :; done'`) at the normal policy and
/// priority, in the caller's namespace; killed and reaped when dropped,
/// also while a test or bench unwinds.
#[derive(Debug)]
pub struct BusyLoops(Vec<Child>);

impl BusyLoops {
    /// Starts `n` of them. If one cannot be started, those already running
    /// are stopped and the error is returned.
    pub fn start(n: usize) -> Result<BusyLoops, LabError> {
        let mut loops = BusyLoops(Vec::with_capacity(n));
        for _ in 0..n {
            let child = Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .stdin(Stdio::null())
                .spawn()
                .map_err(|source| LabError::Spawn {
                    command: "sh -c 'while :; do :; done'".to_string(),
                    source,
                })?;
            loops.0.push(child);
        }
        Ok(loops)
    }

    /// As many as it takes to keep every CPU of the machine busy `factor`
    /// times over (`factor` × the CPUs this process may use).
    pub fn per_cpu(factor: usize) -> Result<BusyLoops, LabError> {
        BusyLoops::start(factor * cpu_count())
    }

    /// Their pids.
    pub fn pids(&self) -> Vec<u32> {
        self.0.iter().map(Child::id).collect()
    }
}

impl Drop for BusyLoops {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The CPUs this process may run on (at least 1).
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Kernel clock ticks per second, the unit of /proc's CPU times.
fn clock_ticks() -> Result<u64, LabError> {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => Ok(ticks.unsigned_abs()),
        other => Err(LabError::Parse {
            command: "sysconf(_SC_CLK_TCK)".to_string(),
            reason: format!("no clock tick rate: {other:?}"),
        }),
    }
}

/// `(pgrp, utime + stime in ticks)` from the text of /proc/PID/stat.
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    // The command name (field 2) may hold spaces; fields from 3 on follow
    // its closing parenthesis. Field N is at index N - 3.
    let close = stat.rfind(')')?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let pgrp = fields.get(5 - 3)?.parse().ok()?;
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some((pgrp, utime + stime))
}

/// The CPU time (user + system, every thread) used so far by the processes
/// of process group `pgid` that are alive now: a daemon and the children it
/// forked (keepalived's VRRP process), or a single process leading its own
/// group (what [`Host::spawn`](crate::Host::spawn) starts).
pub fn group_cpu_time(pgid: u32) -> Result<Duration, LabError> {
    let ticks_per_second = clock_ticks()?;
    let entries = fs::read_dir("/proc").map_err(|e| LabError::io("listing /proc", e))?;
    let total = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|entry| {
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            let (group, ticks) = parse_stat(&stat)?;
            (group == pgid).then(|| {
                on_cpu(&entry.path()).unwrap_or_else(|| {
                    Duration::from_secs_f64(ticks as f64 / ticks_per_second as f64)
                })
            })
        })
        .sum();
    Ok(total)
}

/// The time every thread of the process at `/proc/PID` has spent on a CPU
/// (first field of each `task/TID/schedstat`); `None` if the kernel does
/// not keep it.
fn on_cpu(process: &Path) -> Option<Duration> {
    let mut nanos = 0u64;
    for task in fs::read_dir(process.join("task"))
        .ok()?
        .filter_map(Result::ok)
    {
        let schedstat = fs::read_to_string(task.path().join("schedstat")).ok()?;
        nanos += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_command_name() {
        let stat = "42 (a (b) c) S 1 40 40 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 4 0 1 2 3";
        assert_eq!(parse_stat(stat), Some((40, 10)));
        assert_eq!(parse_stat("42 (x) S 1"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let pgid = nix::unistd::getpgrp().as_raw().unsigned_abs();
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {}
        assert!(group_cpu_time(pgid).unwrap() > Duration::ZERO);
    }
}

//! A process's CPU time as the kernel accounts it in `/proc/PID/stat`:
//! user and system time of all its threads, plus that of the children it
//! has waited for (ldirectord's `ipvsadm` calls, were there any).

use std::time::Duration;

/// The kernel's clock ticks per second (`USER_HZ`).
fn ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|hz| u64::try_from(hz).ok())
        .filter(|&h| h > 0)
        .unwrap_or(100)
}

/// utime + stime + cutime + cstime of a `/proc/PID/stat` line.
fn parse_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14.
    fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum()
}

/// The CPU time process `pid` and its waited-for children used so far.
pub fn cpu_time(pid: u32) -> Result<Duration, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let ticks = parse_stat(&stat).ok_or_else(|| format!("cannot read {path}: {stat:?}"))?;
    let hz = ticks_per_second();
    Ok(Duration::from_secs(ticks / hz) + Duration::from_secs(ticks % hz) / hz as u32)
}

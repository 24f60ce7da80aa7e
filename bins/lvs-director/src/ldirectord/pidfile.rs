//! ldirectord's pid file, `/var/run/ldirectord.CONFIGNAME.pid` by default:
//! written by the daemon once it runs, removed when it ends, and trusted
//! only when the process it names is still a director (its command line
//! mentions ldirectord or lvs-director), so a stale file from a crash does
//! not stop a start.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use nix::sys::signal::kill;
use nix::unistd::Pid;

/// The directory of ldirectord's pid files.
pub const RUN_DIR: &str = "/var/run";

/// ldirectord's pid file for a configuration named `name`.
pub fn default_path(name: &str) -> PathBuf {
    Path::new(RUN_DIR).join(format!("ldirectord.{name}.pid"))
}

/// What the pid file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidState {
    /// No pid file.
    Absent,
    /// A pid file naming a running director.
    Running(i32),
    /// A pid file naming no running director.
    Stale(i32),
}

/// Whether process `pid` runs and is a director.
fn is_director(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        let text = String::from_utf8_lossy(&cmdline);
        text.contains("ldirectord") || text.contains("lvs-director")
    })
}

/// Reads the pid file at `path`.
pub fn state(path: &Path) -> PidState {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(_) => return PidState::Absent,
    };
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 0 && is_director(pid) => PidState::Running(pid),
        Ok(pid) => PidState::Stale(pid),
        Err(_) => PidState::Stale(0),
    }
}

/// Writes this process's id to `path` (aside, then renamed into place).
pub fn write(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("pid.new");
    std::fs::write(&partial, format!("{}\n", std::process::id()))?;
    std::fs::rename(&partial, path)
}

/// Removes `path` if it names this process.
pub fn remove_own(path: &Path) {
    let ours = std::fs::read_to_string(path)
        .is_ok_and(|text| text.trim() == std::process::id().to_string());
    if ours {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove {}: {e}", path.display()),
        }
    }
}

/// Whether process `pid` still exists.
pub fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok() && is_director(pid)
}

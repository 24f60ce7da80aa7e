//! Network namespaces as `ip netns` names under /run/netns: create, enter
//! (per thread, with setns), kill everything inside, delete; the privilege
//! check; and removal of leftovers from lab processes that died.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Once;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::command::ip;
use crate::names::{owner_pid, NETNS_PREFIX};
use crate::LabError;

/// Where `ip netns` keeps its named namespaces.
const NETNS_DIR: &str = "/run/netns";

/// Capability numbers from linux/capability.h.
const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;

/// The file that names namespace `name`.
pub(crate) fn path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_DIR).join(name)
}

/// Fails with [`LabError::NotPermitted`] unless this process may create and
/// enter network namespaces (CAP_SYS_ADMIN and CAP_NET_ADMIN).
pub(crate) fn check_privileges() -> Result<(), LabError> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| LabError::io("reading /proc/self/status", e))?;
    let missing = missing_capabilities(&status)?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LabError::NotPermitted {
            detail: format!("missing {}", missing.join(" and ")),
        })
    }
}

/// The capabilities the lab needs that the `CapEff` line of a
/// /proc/PID/status text lacks.
fn missing_capabilities(status: &str) -> Result<Vec<&'static str>, LabError> {
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| LabError::Parse {
            command: "read /proc/self/status".to_string(),
            reason: "no readable CapEff line".to_string(),
        })?;
    Ok([
        (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
        (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
    ]
    .into_iter()
    .filter(|(bit, _)| effective & (1u64 << bit) == 0)
    .map(|(_, name)| name)
    .collect())
}

/// Creates namespace `name` with its loopback up.
pub(crate) fn create(name: &str) -> Result<(), LabError> {
    ip(&["netns", "add", name])?;
    ip(&["-n", name, "link", "set", "lo", "up"])?;
    Ok(())
}

/// Opens the namespace file of `name` (a handle for setns).
pub(crate) fn open(name: &str) -> Result<File, LabError> {
    File::open(path(name)).map_err(|source| LabError::Enter {
        netns: name.to_string(),
        source,
    })
}

/// Moves the calling thread into the namespace behind `file` for good.
pub(crate) fn enter_file(name: &str, file: &File) -> Result<(), LabError> {
    setns(file, CloneFlags::CLONE_NEWNET).map_err(|errno| LabError::Enter {
        netns: name.to_string(),
        source: errno.into(),
    })
}

/// Moves the calling thread into namespace `name` for good.
pub(crate) fn enter(name: &str) -> Result<(), LabError> {
    enter_file(name, &open(name)?)
}

/// The identity of a namespace: device and inode of its nsfs file.
pub(crate) type NamespaceId = (u64, u64);

/// The identity of the namespace behind `path` (`/run/netns/NAME`,
/// `/proc/PID/ns/mnt`…), if it can be read.
pub(crate) fn namespace_id(path: &Path) -> Option<NamespaceId> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The processes (other than this one, whose threads may have entered
/// it) living in namespace `id` of kind `kind` (`net`, `mnt`…, as named
/// under /proc/PID/ns).
pub(crate) fn processes_in(kind: &str, id: NamespaceId) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own = std::process::id() as i32;
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid > 0 && *pid != own)
        .filter(|pid| namespace_id(Path::new(&format!("/proc/{pid}/ns/{kind}"))) == Some(id))
        .collect()
}

/// Sends SIGKILL to every process living in namespace `id` of kind
/// `kind` (see [`processes_in`]). Returns how many were signalled.
pub(crate) fn kill_processes_in(kind: &str, id: NamespaceId) -> usize {
    processes_in(kind, id)
        .into_iter()
        .filter(|pid| kill(Pid::from_raw(*pid), Signal::SIGKILL).is_ok())
        .count()
}

/// Sends SIGKILL to every process living in network namespace `id`.
fn kill_processes(id: NamespaceId) -> usize {
    kill_processes_in("net", id)
}

/// Kills everything in namespace `name` and deletes it. A namespace that is
/// already gone is not an error.
pub(crate) fn destroy(name: &str) -> Result<(), LabError> {
    let file = path(name);
    let Some(id) = namespace_id(&file) else {
        return Ok(());
    };
    kill_processes(id);
    let deleted = match ip(&["netns", "delete", name]) {
        Err(_) if !file.exists() => Ok(()),
        other => other.map(drop),
    };
    // A process that was entering (`ip netns exec`) during the first sweep.
    kill_processes(id);
    deleted
}

/// Names of all namespaces created by the lab (of any process).
pub(crate) fn list_lab_namespaces() -> Result<Vec<String>, LabError> {
    let entries = match std::fs::read_dir(NETNS_DIR) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LabError::io(format!("listing {NETNS_DIR}"), e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.starts_with(NETNS_PREFIX))
        .collect();
    names.sort();
    Ok(names)
}

/// Whether process `pid` still exists.
fn process_alive(pid: i32) -> bool {
    !matches!(kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// Once per process: destroys lab namespaces whose creating process is gone
/// (a test binary killed before its labs were dropped).
pub(crate) fn remove_stale_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let names = match list_lab_namespaces() {
            Ok(names) => names,
            Err(e) => {
                log::warn!("cannot look for stale lab namespaces: {e}");
                return;
            }
        };
        for name in names {
            let Some(pid) = owner_pid(&name) else {
                continue;
            };
            if pid == std::process::id() as i32 || process_alive(pid) {
                continue;
            }
            // Another process may be removing the same leftovers.
            if let Err(e) = destroy(&name) {
                log::warn!("cannot remove stale lab namespace {name}: {e}");
            } else {
                log::info!("removed stale lab namespace {name} of dead process {pid}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_cap_eff() {
        let root = "Name:\tx\nCapInh:\t0\nCapEff:\t000001ffffffffff\n";
        assert!(missing_capabilities(root).unwrap().is_empty());
        let user = "CapEff:\t0000000000000000\n";
        assert_eq!(
            missing_capabilities(user).unwrap(),
            ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
        );
        let net_admin_only = format!("CapEff:\t{:016x}\n", 1u64 << CAP_NET_ADMIN);
        assert_eq!(
            missing_capabilities(&net_admin_only).unwrap(),
            ["CAP_SYS_ADMIN"]
        );
        assert!(missing_capabilities("CapEff:\tzz\n").is_err());
        assert!(missing_capabilities("").is_err());
    }
}

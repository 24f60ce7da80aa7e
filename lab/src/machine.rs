//! A host as a machine of its own: besides its network namespace, a mount
//! namespace (with empty directories where a real machine has files of its
//! own: `/run`, a daemon's logs and state) and a UTS namespace (its own
//! hostname). Programs that keep pid files, logs and state at fixed paths
//! — a Debian init script run unchanged, resource-agents' OCF agents — then
//! run on two hosts at once without seeing each other's files.
//!
//! How, with util-linux only (on every machine):
//!
//! 1. a holder process, `ip netns exec NETNS unshare --mount --uts
//!    --propagation private sleep infinity`, makes the namespaces (a copy
//!    of the host's mounts, `/sys` as `ip netns exec` remounts it for the
//!    network namespace; private, so nothing mounted inside reaches the
//!    machine's own mounts) and keeps them for as long as the lab lives;
//! 2. `nsenter --target HOLDER --mount` mounts an empty tmpfs over each
//!    private directory, with the owner and mode the directory has, and
//!    `nsenter --target HOLDER --uts hostname NAME` sets the hostname;
//! 3. from then on every program the host runs ([`Host::command`],
//!    [`Host::run`], so [`Host::spawn`]) enters the three namespaces with
//!    `nsenter --target HOLDER --net --mount --uts`.
//!
//! The namespaces outlive the programs run in them, as a machine outlives
//! a daemon that crashed: a program started again finds the pid files and
//! state its predecessor left. Everything living in the mount namespace,
//! the holder included, is killed with the lab, whatever network namespace
//! or process group it moved to — daemons that detached (`nginx`,
//! `send_arp`) too — and then, as on every host, whatever is left in the
//! network namespace.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::command::run;
use crate::host::Host;
use crate::netns;
use crate::LabError;

/// How long the holder may take to make its namespaces.
const HOLDER_READY: Duration = Duration::from_secs(5);

impl Host {
    /// Makes this host a machine of its own: a mount and a UTS namespace
    /// beside its network namespace, hostname `hostname`, an empty tmpfs
    /// (with the directory's owner and mode) over each of `private_dirs`,
    /// which must be absolute paths of existing directories. The rest of
    /// the file system is the machine's, shared. Afterwards every program
    /// the host runs runs in all three namespaces. See the module doc.
    ///
    /// Fails if the host already is one, or if a step fails (with the
    /// failing command's stderr).
    pub fn make_machine(&self, hostname: &str, private_dirs: &[PathBuf]) -> Result<(), LabError> {
        if self.inner.machine.get().is_some() {
            return Err(LabError::InvalidArgument {
                what: format!("machine {}", self.name()),
                reason: "the host already has its own mount namespace".to_string(),
            });
        }
        let mounts = private_dirs
            .iter()
            .map(|dir| tmpfs_options(dir).map(|options| (dir, options)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut holder = std::process::Command::new("ip");
        holder
            .args(["netns", "exec", self.netns()])
            .args(["unshare", "--mount", "--uts", "--propagation", "private"])
            .args(["sleep", "infinity"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut holder = self.spawn(holder)?;
        let pid = holder.pid();
        wait_for_exec(&mut holder, pid, "sleep")?;
        let mnt = Path::new("/proc").join(pid.to_string()).join("ns/mnt");
        let id = netns::namespace_id(&mnt).ok_or_else(|| {
            LabError::io(
                format!("reading {}", mnt.display()),
                std::io::Error::other("the holder of the namespaces is gone"),
            )
        })?;
        self.lab().adopt_mount_namespace(id);
        let target = format!("--target={pid}");
        for (dir, options) in mounts {
            run(ha_process::Command::new("nsenter")
                .args([target.as_str(), "--mount", "--", "mount", "-t", "tmpfs"])
                .args(["-o", options.as_str(), "tmpfs"])
                .arg(dir))?;
        }
        run(ha_process::Command::new("nsenter").args([
            target.as_str(),
            "--uts",
            "--",
            "hostname",
            hostname,
        ]))?;
        self.inner
            .machine
            .set((pid, holder))
            .map_err(|_| LabError::InvalidArgument {
                what: format!("machine {}", self.name()),
                reason: "made twice at once".to_string(),
            })
    }

    /// Whether [`Host::make_machine`] gave this host its own mounts.
    pub fn is_machine(&self) -> bool {
        self.inner.machine.get().is_some()
    }

    /// Where `path` as this host sees it can be read from outside, without
    /// running a program: through the holder's `/proc/PID/root` on a
    /// machine (its private mounts), `path` itself on other hosts.
    pub fn machine_path(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        match self.inner.machine.get() {
            Some((holder, _)) => {
                let relative = path.strip_prefix("/").unwrap_or(path);
                PathBuf::from(format!("/proc/{holder}/root")).join(relative)
            }
            None => path.to_path_buf(),
        }
    }

    /// The contents of `path` as this host sees it (through its own mounts
    /// on a machine); `None` if it cannot be read.
    pub fn read_file(&self, path: &str) -> Option<String> {
        self.run("cat", ["--", path]).ok()
    }

    /// The names (`comm`) of the processes living in this host's network
    /// namespace, sorted, e.g. to check that a daemon is gone.
    pub fn process_names(&self) -> Result<Vec<String>, LabError> {
        let id = netns::namespace_id(&self.netns_path()).ok_or_else(|| {
            LabError::io(
                format!("reading {}", self.netns_path().display()),
                std::io::Error::other("no such namespace"),
            )
        })?;
        let mut names: Vec<String> = netns::processes_in("net", id)
            .into_iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok())
            .map(|name| name.trim_end().to_string())
            .collect();
        names.sort();
        Ok(names)
    }
}

/// The tmpfs options that give a fresh mount over `dir` the directory's
/// owner and mode.
fn tmpfs_options(dir: &Path) -> Result<String, LabError> {
    let invalid = |reason: String| LabError::InvalidArgument {
        what: format!("private directory {}", dir.display()),
        reason,
    };
    if !dir.is_absolute() {
        return Err(invalid("not an absolute path".to_string()));
    }
    let meta = std::fs::metadata(dir).map_err(|e| invalid(e.to_string()))?;
    if !meta.is_dir() {
        return Err(invalid("not a directory".to_string()));
    }
    Ok(format!(
        "mode={:04o},uid={},gid={}",
        meta.permissions().mode() & 0o7777,
        meta.uid(),
        meta.gid()
    ))
}

/// Waits until process `pid` (`child`) runs `program` (its last exec
/// done, so the namespaces it was asked to make are in place).
fn wait_for_exec(child: &mut crate::LabChild, pid: u32, program: &str) -> Result<(), LabError> {
    let exe = PathBuf::from(format!("/proc/{pid}/exe"));
    let start = Instant::now();
    loop {
        if std::fs::read_link(&exe).is_ok_and(|path| path.file_name() == Some(program.as_ref())) {
            return Ok(());
        }
        if let Some(exit) = child.try_wait()? {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.take_stderr() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            return Err(LabError::Command {
                command: "ip netns exec NETNS unshare --mount --uts --propagation private \
                          sleep infinity"
                    .to_string(),
                status: exit.to_string(),
                stderr: stderr.trim().to_string(),
            });
        }
        if start.elapsed() >= HOLDER_READY {
            return Err(LabError::Timeout {
                what: format!("{program} to run as the holder of the namespaces"),
                after: HOLDER_READY,
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

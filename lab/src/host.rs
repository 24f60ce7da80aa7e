//! A lab host: one network namespace. Runs commands and closures inside it;
//! the probes, faults and address helpers are in their own modules.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ha_process::Process;

use crate::command;
use crate::fault_state::FaultState;
use crate::netns;
use crate::process::LabChild;
use crate::shared::Shared;
use crate::LabError;

pub(crate) struct HostInner {
    name: String,
    netns: String,
    lab: Arc<Shared>,
    pub(crate) faults: Mutex<FaultState>,
    /// The process holding the host's own mount and UTS namespaces, once
    /// [`Host::make_machine`] made them (its pid, and its handle, which
    /// keeps it alive as long as the host).
    pub(crate) machine: OnceLock<(u32, LabChild)>,
}

/// A host of a [`Lab`](crate::Lab): a network namespace with `lo` up and the
/// interfaces [`Lan::connect`](crate::Lan::connect) gave it. Cheap to clone;
/// all clones name the same namespace. Everything it starts (processes,
/// responders, watchers) ends with the lab.
#[derive(Clone)]
pub struct Host {
    pub(crate) inner: Arc<HostInner>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("name", &self.inner.name)
            .field("netns", &self.inner.netns)
            .finish()
    }
}

impl Host {
    pub(crate) fn new(name: String, netns: String, lab: Arc<Shared>) -> Host {
        Host {
            inner: Arc::new(HostInner {
                name,
                netns,
                lab,
                faults: Mutex::new(FaultState::default()),
                machine: OnceLock::new(),
            }),
        }
    }

    /// Settings every new host gets: IPv6 duplicate address detection off
    /// for interfaces created later (when the kernel has IPv6 at all).
    pub(crate) fn prepare(&self) -> Result<(), LabError> {
        if std::path::Path::new("/proc/sys/net/ipv6").exists() {
            self.sysctl("net.ipv6.conf.default.accept_dad", "0")?;
            self.sysctl("net.ipv6.conf.all.accept_dad", "0")?;
        }
        Ok(())
    }

    pub(crate) fn lab(&self) -> &Arc<Shared> {
        &self.inner.lab
    }

    /// The host's name within its lab.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The name of the host's namespace (as `ip netns list` shows it).
    pub fn netns(&self) -> &str {
        &self.inner.netns
    }

    /// The namespace file (`/run/netns/NAME`), for `nsenter --net=PATH` or setns.
    pub fn netns_path(&self) -> PathBuf {
        netns::path(self.netns())
    }

    /// A command that runs `program` inside this host (through
    /// `ip netns exec`, which also gives it the namespace's view of /sys;
    /// on a host made a machine by [`Host::make_machine`], through
    /// `nsenter` into its network, mount and UTS namespaces, starting in
    /// `/`). Add arguments, environment and stdio as usual, then pass it to
    /// [`Host::spawn`] or run it directly.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let (tool, args) = self.entry();
        let mut cmd = Command::new(tool);
        cmd.args(args).arg(program);
        cmd
    }

    /// The program and arguments that run a program inside this host.
    fn entry(&self) -> (&'static str, Vec<String>) {
        match self.inner.machine.get() {
            Some((holder, _)) => (
                "nsenter",
                vec![
                    format!("--target={holder}"),
                    "--net".to_string(),
                    "--mount".to_string(),
                    "--uts".to_string(),
                    "--".to_string(),
                ],
            ),
            None => (
                "ip",
                vec![
                    "netns".to_string(),
                    "exec".to_string(),
                    self.netns().to_string(),
                ],
            ),
        }
    }

    /// Starts `cmd` (made by [`Host::command`]) in its own process group and
    /// hands back a handle; the process is SIGKILLed when the handle or the
    /// lab is dropped, whichever comes first.
    pub fn spawn(&self, mut cmd: Command) -> Result<LabChild, LabError> {
        let process = match Process::spawn(&mut cmd) {
            Ok(process) => Arc::new(process.with_grace(Duration::ZERO)),
            Err(ha_process::Error::Spawn { command, source }) => {
                return Err(LabError::Spawn { command, source })
            }
            Err(other) => return Err(other.into()),
        };
        self.lab().adopt_child(Arc::clone(&process));
        Ok(LabChild::new(process))
    }

    /// [`Host::spawn`]s `cmd` with no input, its stdout and stderr appended
    /// to the file `output` (a daemon's log in a test bed).
    pub fn spawn_logged(&self, mut cmd: Command, output: &Path) -> Result<LabChild, LabError> {
        let open_error = |e| LabError::io(output.display().to_string(), e);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(output)
            .map_err(open_error)?;
        let log2 = log.try_clone().map_err(open_error)?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        self.spawn(cmd)
    }

    /// Runs `program ARGS...` inside this host to completion and returns its
    /// stdout; a non-zero exit is an error carrying its stderr.
    pub fn run<I, S>(&self, program: &str, args: I) -> Result<String, LabError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        command::run(self.tool(program).args(args))
    }

    /// [`Host::command`] as an [`ha_process::Command`], for the lab's own
    /// runs to completion.
    pub(crate) fn tool(&self, program: impl AsRef<OsStr>) -> ha_process::Command {
        let (tool, args) = self.entry();
        let mut cmd = ha_process::Command::new(tool);
        cmd.args(args).arg(program);
        cmd
    }

    /// Runs `ip -n NETNS ARGS...` (e.g. `["route", "add", ...]`) and returns its stdout.
    pub fn ip(&self, args: &[&str]) -> Result<String, LabError> {
        command::run(
            ha_process::Command::new("ip")
                .args(["-n", self.netns()])
                .args(args),
        )
    }

    /// Runs `f` on a new thread that has entered this host's namespace and
    /// returns its result: sockets `f` creates belong to the host (and stay
    /// there when used from other threads later). A panic in `f` is passed on
    /// to the caller.
    ///
    /// For async code, build a current-thread tokio runtime inside `f` and
    /// `block_on` the future there: every socket it opens (netlink included)
    /// is then the host's.
    pub fn run_in<F, T>(&self, f: F) -> Result<T, LabError>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        let file = netns::open(self.netns())?;
        let name = self.netns();
        std::thread::scope(|scope| {
            let worker = scope.spawn(move || {
                netns::enter_file(name, &file)?;
                drop(file);
                Ok(f())
            });
            match worker.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Moves the calling thread into this host's namespace for good (for
    /// example in a tokio runtime's `on_thread_start`). Prefer
    /// [`Host::run_in`], which leaves the caller where it is.
    pub fn enter_this_thread(&self) -> Result<(), LabError> {
        netns::enter(self.netns())
    }

    /// Sets kernel parameter `key` (`net.ipv4.conf.all.arp_accept`, or the
    /// path form `net/ipv4/conf/eth0.100/arp_accept`) to `value` in this
    /// host's namespace.
    pub fn sysctl(&self, key: &str, value: &str) -> Result<(), LabError> {
        let relative = if key.contains('/') {
            key.trim_start_matches('/').to_string()
        } else {
            key.replace('.', "/")
        };
        if relative
            .split('/')
            .any(|part| part.is_empty() || part == "..")
        {
            return Err(LabError::InvalidName {
                name: key.to_string(),
                reason: "not a sysctl key".to_string(),
            });
        }
        let path = PathBuf::from("/proc/sys").join(relative);
        self.run_in(|| std::fs::write(&path, value))?
            .map_err(|e| LabError::io(format!("setting {key}={value} in {}", self.netns()), e))
    }
}

//! The peer: ldirectord 4.12 (`/usr/sbin/ldirectord`, Perl) on the same
//! kind of file, in the lab host, as the daemon it normally is (no `-d`:
//! debug output would inflate its cost).
//!
//! The machine has no IPVS, and ldirectord will not run when ipvsadm
//! fails. So it runs in a mount namespace of its own where a stand-in
//! shell script is bind-mounted over the real `ipvsadm`: the stand-in
//! records its arguments and exits 0 without touching any kernel table.
//! This is acceptable for measuring the cost of checking only; ldirectord
//! calls ipvsadm at start-up and on changes of health, which none of the
//! measured window has (the number of calls in the window is reported).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ha_lab::Host;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// ldirectord itself.
pub const LDIRECTORD: &str = "/usr/sbin/ldirectord";

/// Where ldirectord looks for ipvsadm (it takes the first that exists).
const IPVSADM_PATHS: [&str; 2] = ["/sbin/ipvsadm", "/usr/sbin/ipvsadm"];

/// How long ldirectord may take to start or stop.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running ldirectord daemon; dropping it stops it (SIGTERM, then SIGKILL).
pub struct Ldirectord {
    pid: u32,
    pid_file: PathBuf,
    calls_log: PathBuf,
    errors: PathBuf,
}

/// The stand-in for ipvsadm: appends its arguments to `log`, exits 0.
fn stand_in(log: &Path) -> String {
    format!(
        "#!/bin/sh\n# ipvsadm stand-in of the check_cost benchmark: records, changes nothing.\n\
         printf '%s\\n' \"$*\" >> '{}'\nexit 0\n",
        log.display()
    )
}

/// The ipvsadm files to cover: each of [`IPVSADM_PATHS`] that exists,
/// once per real file.
fn ipvsadm_targets() -> Result<Vec<PathBuf>, String> {
    let mut targets: Vec<PathBuf> = IPVSADM_PATHS
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        return Err("ipvsadm is not installed: ldirectord refuses to start without it".into());
    }
    Ok(targets)
}

impl Ldirectord {
    /// Starts ldirectord on `config` in `host`, with its stand-in ipvsadm
    /// and logs in `dir`, and waits until its daemon runs.
    pub fn start(host: &Host, config: &Path, dir: &Path) -> Result<Ldirectord, String> {
        let name = config
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{} has no file name", config.display()))?;
        let calls_log = dir.join("ipvsadm-calls.log");
        let fake = dir.join("ipvsadm");
        let errors = dir.join("ldirectord.stderr");
        std::fs::write(&fake, stand_in(&calls_log))
            .and_then(|()| std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)))
            .map_err(|e| format!("cannot write {}: {e}", fake.display()))?;
        let mut script = String::from("set -e\n");
        for target in ipvsadm_targets()? {
            script.push_str(&format!("mount --bind \"$1\" '{}'\n", target.display()));
        }
        script.push_str(&format!("exec {LDIRECTORD} \"$2\" start\n"));
        let stderr = std::fs::File::create(&errors)
            .map_err(|e| format!("cannot create {}: {e}", errors.display()))?;
        let mut command = host.command("unshare");
        command
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
                "sh",
            ])
            .arg(&fake)
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let starter = host
            .spawn(command)
            .map_err(|e| format!("cannot start ldirectord: {e}"))?;
        let status = starter
            .wait_timeout(PATIENCE)
            .map_err(|e| e.to_string())?
            .ok_or("ldirectord start did not return")?;
        let pid_file = PathBuf::from(format!("/var/run/ldirectord.{name}.pid"));
        let mut started = Ldirectord {
            pid: 0,
            pid_file,
            calls_log,
            errors,
        };
        if !status.success() {
            return Err(format!(
                "ldirectord start failed ({status}): {}",
                started.stderr()
            ));
        }
        started.pid = started.wait_for_pid()?;
        Ok(started)
    }

    /// Reads the daemon's pid from its pid file, once it is there and
    /// names a running ldirectord.
    fn wait_for_pid(&self) -> Result<u32, String> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let pid = std::fs::read_to_string(&self.pid_file)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok());
            if let Some(pid) = pid.filter(|&p| is_ldirectord(p)) {
                return Ok(pid);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "no ldirectord daemon in {}: {}",
            self.pid_file.display(),
            self.stderr()
        ))
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the daemon still runs.
    pub fn is_running(&self) -> bool {
        is_ldirectord(self.pid)
    }

    /// How many times ipvsadm (the stand-in) has been called so far.
    pub fn ipvsadm_calls(&self) -> usize {
        std::fs::read_to_string(&self.calls_log)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    /// What ldirectord wrote on its standard error.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.errors).unwrap_or_default()
    }
}

/// Whether `pid` is an ldirectord process.
fn is_ldirectord(pid: u32) -> bool {
    pid > 0
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|cmdline| cmdline.windows(10).any(|w| w == b"ldirectord"))
            .unwrap_or(false)
}

impl Drop for Ldirectord {
    fn drop(&mut self) {
        let Ok(raw) = i32::try_from(self.pid) else {
            return;
        };
        if !is_ldirectord(self.pid) {
            return;
        }
        let _ = kill(Pid::from_raw(raw), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while is_ldirectord(self.pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if is_ldirectord(self.pid) {
            let _ = kill(Pid::from_raw(raw), Signal::SIGKILL);
            let _ = std::fs::remove_file(&self.pid_file);
        }
    }
}

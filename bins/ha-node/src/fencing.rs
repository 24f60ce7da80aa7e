//! ha.cf's fencing device on this host: checked, described for
//! `check-config`, and run for the membership driver when a dead peer must
//! be reset before its groups are taken over.
//!
//! heartbeat links cluster-glue's STONITH library; the node runs
//! cluster-glue's `stonith` command instead, with the same device types
//! and parameters:
//!
//! - `stonith TYPE FILE`: `stonith -t TYPE -F FILE -T reset NODE`;
//! - `stonith_host HOST|* TYPE PARAMS...`: `stonith -t TYPE -p "PARAMS"
//!   -T reset NODE`;
//! - `stonith_command PROGRAM ARGS...` (ours): `PROGRAM ARGS... NODE`.
//!
//! Exit 0 means the node is reset. Each run leads a process group of its
//! own (ha-process); at [`FENCE_TIMEOUT`] the group is ended and the run
//! counts as failed, to be retried as any failure. A missing `stonith`
//! program (package cluster-glue), a device type it does not know, a
//! missing configuration file or a `stonith_command` that is not executable
//! is an error at check-config and start.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use ha_conf::ConfigError;
use ha_membership::config::hacf::{FenceDevice, FenceMethod};
use ha_membership::config::HaConfig;
use ha_membership::driver::Fencer;
use ha_process::{Command, Output};

/// How long one fence may run before its process group is ended (and the
/// fence counts as failed, to be retried).
pub const FENCE_TIMEOUT: Duration = Duration::from_secs(60);

/// The grace between SIGTERM and SIGKILL of a fence that timed out.
const GRACE: Duration = Duration::from_secs(2);

/// Where cluster-glue's `stonith` is looked for besides `PATH`.
const STONITH_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// How one fence is run: the program and its arguments, the node's name
/// appended.
#[derive(Debug, Clone)]
pub struct FenceCommand {
    program: PathBuf,
    args: Vec<String>,
    /// The device, for the log.
    device: String,
    /// How long one run may take.
    timeout: Duration,
}

impl FenceCommand {
    /// The command for `device`; cluster-glue's `stonith` is looked up for
    /// `stonith` and `stonith_host` (an error naming the package if absent).
    pub fn of(device: &FenceDevice) -> Result<Self, String> {
        match &device.method {
            FenceMethod::Command { program, args } => Ok(FenceCommand {
                program: program.clone(),
                args: args.clone(),
                device: device.to_string(),
                timeout: FENCE_TIMEOUT,
            }),
            FenceMethod::File { device_type, file } => Ok(FenceCommand {
                program: stonith_program()?,
                args: vec![
                    "-t".into(),
                    device_type.clone(),
                    "-F".into(),
                    file.display().to_string(),
                    "-T".into(),
                    "reset".into(),
                ],
                device: device_type.clone(),
                timeout: FENCE_TIMEOUT,
            }),
            FenceMethod::Params {
                device_type,
                params,
                ..
            } => Ok(FenceCommand {
                program: stonith_program()?,
                args: vec![
                    "-t".into(),
                    device_type.clone(),
                    "-p".into(),
                    params.clone(),
                    "-T".into(),
                    "reset".into(),
                ],
                device: device_type.clone(),
                timeout: FENCE_TIMEOUT,
            }),
        }
    }

    /// The command line for `node`, for the operator.
    pub fn line(&self, node: &str) -> String {
        let mut line = self.program.display().to_string();
        for arg in self.args.iter().map(String::as_str).chain([node]) {
            if arg.contains(char::is_whitespace) || arg.is_empty() {
                line.push_str(&format!(" \"{arg}\""));
            } else {
                line.push(' ');
                line.push_str(arg);
            }
        }
        line
    }
}

#[async_trait]
impl Fencer for FenceCommand {
    fn describe(&self) -> String {
        self.device.clone()
    }

    async fn fence(&self, node: &str) -> Result<(), String> {
        let outcome = Command::new(&self.program)
            .args(&self.args)
            .arg(node)
            .timeout(self.timeout)
            .grace(GRACE)
            .tag(format!("STONITH {node}"))
            .stdout(Output::Log)
            .stderr(Output::Log)
            .run()
            .await
            .map_err(|e| format!("`{}`: {e}", self.line(node)))?;
        if outcome.success() {
            return Ok(());
        }
        let last = outcome
            .tail
            .last()
            .map(|l| format!(" ({})", l.text))
            .unwrap_or_default();
        Err(format!("`{}`: {outcome}{last}", self.line(node)))
    }
}

/// cluster-glue's `stonith` program, from `PATH` or the usual directories.
pub fn stonith_program() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(STONITH_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join("stonith"))
        .find(|p| executable(p).is_ok())
        .ok_or_else(|| {
            "cluster-glue's `stonith` command is not installed (looked in PATH and /usr/sbin); \
             install the package cluster-glue, or fence with stonith_command"
                .to_string()
        })
}

/// Whether `program` is a file this host may execute.
fn executable(program: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(program).map_err(|e| format!("{}: {e}", program.display()))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("{} is not an executable file", program.display()));
    }
    Ok(())
}

/// The device types cluster-glue's `stonith -L` lists.
fn stonith_types(stonith: &Path) -> Result<Vec<String>, String> {
    let outcome = Command::new(stonith)
        .arg("-L")
        .timeout(Duration::from_secs(10))
        .tag("stonith -L")
        .stdout(Output::Capture)
        .stderr(Output::Discard)
        .log_level(log::Level::Debug)
        .run_blocking()
        .map_err(|e| e.to_string())?;
    if !outcome.success() {
        return Err(format!("`{} -L`: {outcome}", stonith.display()));
    }
    Ok(String::from_utf8_lossy(&outcome.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect())
}

/// The errors about node `node`'s fencing device on this host.
pub fn check(ha: &HaConfig, node: &str) -> Vec<ConfigError> {
    let Some(device) = ha.fence_device_for(node) else {
        return Vec::new();
    };
    let error = |message: String| ConfigError {
        location: device.location.clone(),
        message,
    };
    let command = match FenceCommand::of(device) {
        Ok(command) => command,
        Err(message) => return vec![error(message)],
    };
    let mut errors = Vec::new();
    match &device.method {
        FenceMethod::Command { program, .. } => {
            if let Err(message) = executable(program) {
                errors.push(error(format!("stonith_command: {message}")));
            }
        }
        FenceMethod::File { file, .. } => {
            if !file.is_file() {
                errors.push(error(format!(
                    "stonith: the configuration file {} does not exist",
                    file.display()
                )));
            }
        }
        FenceMethod::Params { .. } => {}
    }
    if let Some(device_type) = device.device_type() {
        match stonith_types(&command.program) {
            Ok(types) if !types.iter().any(|t| t == device_type) => errors.push(error(format!(
                "invalid STONITH type '{device_type}': `stonith -L` does not list it"
            ))),
            Ok(_) => {}
            Err(message) => errors.push(error(format!("cannot list the STONITH types: {message}"))),
        }
    }
    errors
}

/// How fencing will run on node `node`, for `check-config` (`None`: no
/// device applies to it).
pub fn describe(ha: &HaConfig, node: &str) -> Option<String> {
    let device = ha.fence_device_for(node)?;
    let how = match FenceCommand::of(device) {
        Ok(command) => format!(
            "runs `{}` before taking over the resource groups of a dead node that held any \
             (or was never heard); exit 0 = reset; a failure or a run past {} s is retried \
             every 5 s, the groups staying down meanwhile",
            command.line("NODE"),
            FENCE_TIMEOUT.as_secs()
        ),
        Err(message) => message,
    };
    Some(format!("{}: fencing ({device}): {how}", device.location))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("fence");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ha-node-fence-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn the_node_name_comes_last_and_exit_0_is_a_reset() {
        let dir = scratch("args");
        let record = dir.join("args");
        let program = script(
            &dir,
            &format!("#!/bin/sh\necho \"$@\" > {}\nexit 0\n", record.display()),
        );
        let command = FenceCommand {
            program,
            args: vec!["-x".into(), "two words".into()],
            device: "test".into(),
            timeout: Duration::from_secs(10),
        };
        command.fence("node-a").await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&record).unwrap(),
            "-x two words node-a\n"
        );
        assert!(command.line("node-a").ends_with(" -x \"two words\" node-a"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_fence_past_its_timeout_fails_and_its_process_group_is_ended() {
        let dir = scratch("timeout");
        let pid_file = dir.join("child");
        let program = script(
            &dir,
            &format!(
                "#!/bin/sh\nsleep 30 &\necho $! > {}\nwait\n",
                pid_file.display()
            ),
        );
        let command = FenceCommand {
            program,
            args: Vec::new(),
            device: "test".into(),
            timeout: Duration::from_millis(300),
        };
        let started = std::time::Instant::now();
        let error = command.fence("node-a").await.unwrap_err();
        assert!(error.contains("timed out"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let child: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The background sleep went with the group (gone, or a zombie
        // waiting for whoever reaps orphans) once the kill has been
        // delivered, which a loaded machine may take a moment to do.
        let running = || {
            let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let alive = state
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'));
            alive.then_some(state)
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while running().is_some() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Some(state) = running() {
            panic!("the fence's child {child} outlived the timeout by 2 s: {state}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn heartbeats_devices_run_cluster_glues_stonith() {
        let ha = ha_membership::config::parse_ha_cf(&ha_conf::Source::new(
            "ha.cf",
            "bcast lo\nnode a b\nstonith_host * null a b\n",
        ))
        .unwrap();
        let device = ha.fence_device_for("a").unwrap();
        let Ok(command) = FenceCommand::of(device) else {
            return; // cluster-glue is not installed here
        };
        assert!(command
            .line("a")
            .ends_with("stonith -t null -p \"a b\" -T reset a"));
    }
}

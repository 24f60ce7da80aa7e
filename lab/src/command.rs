//! Running the external tools the lab is built with (`ip`, `nft`, `sysctl`):
//! through ha-process, to completion, exit status checked, stderr captured
//! into the error, stdout returned.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::sync::Mutex;

use ha_process::{Command, Output};

use crate::LabError;

/// The Debian package providing `program`, for "not installed" errors.
fn package_of(program: &OsStr) -> &'static str {
    match program.to_str() {
        Some("ip") => "iproute2",
        Some("nft") => "nftables",
        Some("sysctl") => "procps",
        _ => "unknown",
    }
}

fn spawn_error(cmd: &Command, source: io::Error) -> LabError {
    if source.kind() == io::ErrorKind::NotFound {
        LabError::ToolMissing {
            tool: cmd.get_program().to_string_lossy().into_owned(),
            package: package_of(cmd.get_program()).to_string(),
            source,
        }
    } else {
        LabError::Spawn {
            command: cmd.to_string(),
            source,
        }
    }
}

/// Runs `cmd` to completion, feeding it `input` on stdin, and returns its
/// stdout; a non-zero exit becomes [`LabError::Command`] with its stderr.
/// Output lines go to the log at debug level, tagged with the program.
pub(crate) fn run_with_input(cmd: &mut Command, input: Option<&str>) -> Result<String, LabError> {
    if let Some(text) = input {
        cmd.input(text);
    }
    let tag = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdout(Output::Capture)
        .stderr(Output::Capture)
        .tag(tag)
        .log_level(log::Level::Debug)
        .keep_lines(0);
    let outcome = cmd.run_blocking().map_err(|e| match e {
        ha_process::Error::Spawn { source, .. } => spawn_error(cmd, source),
        other => LabError::from(other),
    })?;
    if !outcome.success() {
        return Err(LabError::Command {
            command: cmd.to_string(),
            status: outcome.exit.to_string(),
            stderr: String::from_utf8_lossy(&outcome.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&outcome.stdout).into_owned())
}

/// Runs `cmd` to completion and returns its stdout (see [`run_with_input`]).
pub(crate) fn run(cmd: &mut Command) -> Result<String, LabError> {
    run_with_input(cmd, None)
}

/// Fails with [`LabError::ToolMissing`] unless `program` is an executable
/// file in a `PATH` directory. Answers are remembered for the process.
pub(crate) fn require_tool(program: &str) -> Result<(), LabError> {
    static FOUND: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());
    let mut found = FOUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let present = *found
        .entry(program.to_string())
        .or_insert_with(|| in_path(program));
    if present {
        Ok(())
    } else {
        Err(LabError::ToolMissing {
            tool: program.to_string(),
            package: package_of(OsStr::new(program)).to_string(),
            source: io::Error::new(io::ErrorKind::NotFound, "not in PATH"),
        })
    }
}

pub(crate) fn in_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path).any(|dir| {
        let candidate = Path::new(&dir).join(program);
        std::fs::metadata(candidate)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Runs `ip ARGS...` in the root namespace's view (use `-n NS` to target one).
pub(crate) fn ip<S: AsRef<OsStr>>(args: &[S]) -> Result<String, LabError> {
    run(Command::new("ip").args(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_name_their_package() {
        assert!(require_tool("sh").is_ok());
        match require_tool("ha-lab-no-such-tool") {
            Err(LabError::ToolMissing { tool, .. }) => assert_eq!(tool, "ha-lab-no-such-tool"),
            other => panic!("expected ToolMissing, got {other:?}"),
        }
        assert_eq!(package_of(OsStr::new("nft")), "nftables");
    }

    #[test]
    fn failures_carry_the_command_and_stderr() {
        let error = run(Command::new("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        match error {
            LabError::Command {
                command,
                status,
                stderr,
            } => {
                assert_eq!(command, "sh -c echo oops >&2; exit 3");
                assert_eq!(status, "exit code 3");
                assert_eq!(stderr, "oops");
            }
            other => panic!("expected a command error, got {other:?}"),
        }
        let input = run_with_input(&mut Command::new("cat"), Some("fed")).unwrap();
        assert_eq!(input, "fed");
        match run(&mut Command::new("ha-lab-no-such-tool")) {
            Err(LabError::ToolMissing { tool, .. }) => assert_eq!(tool, "ha-lab-no-such-tool"),
            other => panic!("expected ToolMissing, got {other:?}"),
        }
    }
}

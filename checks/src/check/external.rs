//! The external and external-perl checks (ldirectord's `check_external`):
//! `checkcommand` runs with four arguments — the virtual server (address
//! or firewall mark), the virtual port, the real server, the real port —
//! and exit status 0 means up. The command is executed directly, not
//! through a shell, as Perl's `exec LIST` does. external-perl runs the
//! script with `perl` (same arguments and exit convention; ldirectord
//! evaluates it in-process instead).
//!
//! The command gets its own process group. When `checktimeout` passes, the
//! whole group is sent SIGTERM and, if anything of it is still there a
//! second later, SIGKILL; the check itself returns at the timeout.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// How long a timed-out command's group has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(1);

/// The command line ldirectord would run: program and arguments.
pub(crate) fn command_line(spec: &CheckSpec, perl: bool) -> Vec<String> {
    let a = &spec.external_args;
    let mut line = Vec::with_capacity(6);
    if perl {
        line.push("perl".to_string());
    }
    line.push(spec.check_command.clone());
    line.extend([
        a.virtual_server.clone(),
        a.virtual_port.clone(),
        a.real_server.clone(),
        a.real_port.clone(),
    ]);
    line
}

/// Ends a timed-out command's process group, in the background.
fn terminate(mut child: Child) {
    let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return;
    };
    let group = Pid::from_raw(pid);
    let _ = killpg(group, Signal::SIGTERM);
    tokio::spawn(async move {
        let _ = tokio::time::timeout(GRACE, child.wait()).await;
        // The group outlives its leader while any member is alive.
        let _ = killpg(group, Signal::SIGKILL);
        let _ = child.wait().await;
    });
}

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec, perl: bool) -> CheckResult {
    let line = command_line(spec, perl);
    let (program, args) = line
        .split_first()
        .ok_or(CheckError::Answer("no command".into()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CheckError::Answer(format!("cannot run {program}: {e}")))?;
    match tokio::time::timeout(spec.check_timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(format!("{program} exited 0")),
        Ok(Ok(status)) => Err(CheckError::Answer(match status.code() {
            Some(code) => format!("{program} exited {code}"),
            None => format!("{program} ended by {status}"),
        })),
        Ok(Err(e)) => Err(CheckError::io("waiting for the command")(e)),
        Err(_) => {
            terminate(child);
            Err(CheckError::Answer(format!(
                "{program} still running after {:?}: terminated",
                spec.check_timeout
            )))
        }
    }
}

//! The external and external-perl checks (ldirectord's `check_external`):
//! `checkcommand` runs with four arguments — the virtual server (address
//! or firewall mark), the virtual port, the real server, the real port —
//! and exit status 0 means up. The command is executed directly, not
//! through a shell, as Perl's `exec LIST` does. external-perl runs the
//! script with `perl` (same arguments and exit convention; ldirectord
//! evaluates it in-process instead).
//!
//! The command runs through ha-process, in a process group of its own, its
//! output discarded. When `checktimeout` passes the check returns at once
//! and drops the run, which ends the whole group in the background:
//! SIGTERM and, if anything of it is still there a second later, SIGKILL.

use std::time::Duration;

use ha_process::{Command, Exit, Output};

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

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec, perl: bool) -> CheckResult {
    let line = command_line(spec, perl);
    let (program, args) = line
        .split_first()
        .ok_or(CheckError::Answer("no command".into()))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .grace(GRACE)
        .stdout(Output::Discard)
        .stderr(Output::Discard);
    // Dropping the run at the timeout ends its group in the background.
    let outcome = match tokio::time::timeout(spec.check_timeout, command.run()).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(ha_process::Error::Spawn { source, .. })) => {
            return Err(CheckError::Answer(format!(
                "cannot run {program}: {source}"
            )))
        }
        Ok(Err(e)) => return Err(CheckError::Answer(e.to_string())),
        Err(_) => {
            return Err(CheckError::Answer(format!(
                "{program} still running after {:?}: terminated",
                spec.check_timeout
            )))
        }
    };
    match outcome.exit {
        Exit::Code(0) => Ok(format!("{program} exited 0")),
        Exit::Code(code) => Err(CheckError::Answer(format!("{program} exited {code}"))),
        signal @ Exit::Signal(_) => Err(CheckError::Answer(format!("{program} {signal}"))),
    }
}

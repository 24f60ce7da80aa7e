//! One action of a script resource, run through ha-process: the program,
//! the resource's arguments, then the action (`SCRIPT ARGS... ACTION`, as
//! heartbeat's ResourceManager calls it), under the action's time limit —
//! at the limit the program's whole process group is ended — with its
//! output logged under the resource's name and its stdout kept for the
//! classes that read it.
//!
//! It also says what is at a path where a script may be ([`Probe`]), for
//! the resolver and the classes' validate.
//!
//! What an exit code means is each class's own business; this module only
//! runs and reports, and turns a run that did not end with an exit code
//! (timed out, killed by a signal, not startable) into an [`AgentError`].

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ha_process::{Command, Exit, Outcome, Output};

use crate::agent::{AgentError, AgentErrorKind, Health};

/// A script found for a haresources name (a heartbeat `resource.d` script
/// or an init script): where it is, and the `::` arguments passed before
/// the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSpec {
    /// The script.
    pub path: PathBuf,
    /// The `::` arguments, passed before the action.
    pub args: Vec<String>,
}

impl ScriptSpec {
    /// One line on how it runs, `what` naming its class.
    pub fn describe_as(&self, what: &str) -> String {
        let mut text = format!("{what} {}", self.path.display());
        if !self.args.is_empty() {
            text.push_str(" with arguments ");
            text.push_str(&self.args.join(" "));
        }
        text
    }
}

/// A stop that failed counts as done when the status then says the
/// resource is stopped (heartbeat's "reboot narrowly avoided"): `stopped`
/// is the stop's result, `status` asks the status; `why` ends the warning.
pub(crate) async fn stop_unless_stopped(
    stopped: Result<(), AgentError>,
    status: impl std::future::Future<Output = Result<Health, AgentError>>,
    why: &str,
) -> Result<(), AgentError> {
    let Err(error) = stopped else {
        return Ok(());
    };
    match status.await {
        Ok(Health::Stopped) => {
            log::warn!("{error}, but its status says it is stopped; taken as stopped ({why})");
            Ok(())
        }
        _ => Err(error),
    }
}

/// A script and what every call of it carries.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    /// The resource as written in haresources: the log tag and error name.
    pub resource: String,
    /// The program.
    pub program: PathBuf,
    /// Arguments before the action.
    pub args: Vec<String>,
    /// Environment variables set for every action.
    pub env: Vec<(String, String)>,
    /// The last output lines of the last run, for status.
    pub tail: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// A finished action that ended with an exit code.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The exit code.
    pub code: i32,
    /// What it wrote on stdout (invalid UTF-8 replaced).
    pub stdout: String,
    /// Its last output line, for messages.
    pub last_line: Option<String>,
}

impl Finished {
    /// ` (last output: '…')` when it wrote anything, for messages: at most
    /// [`MESSAGE_OUTPUT`] characters of its last line, control characters
    /// other than tabs shown as `\u{…}`.
    pub fn last_output(&self) -> String {
        self.last_line
            .as_deref()
            .map(|line| format!(" (last output: '{}')", printable(line)))
            .unwrap_or_default()
    }
}

/// The most characters of an output line an error message carries.
pub(crate) const MESSAGE_OUTPUT: usize = 200;

/// `line` cut to [`MESSAGE_OUTPUT`] characters (then `…`), its control
/// characters escaped, for one-line messages.
fn printable(line: &str) -> String {
    let mut out = String::new();
    for (count, c) in line.chars().enumerate() {
        if count == MESSAGE_OUTPUT {
            out.push('…');
            break;
        }
        if c.is_control() && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

impl Script {
    /// The script of `spec` for the resource written `resource`, with no
    /// environment of its own.
    pub(crate) fn of(resource: &str, spec: &ScriptSpec) -> Script {
        Script {
            resource: resource.to_string(),
            program: spec.path.clone(),
            args: spec.args.clone(),
            env: Vec::new(),
            tail: std::sync::Arc::default(),
        }
    }

    /// The last output lines of the last run, oldest first.
    pub fn last_lines(&self) -> Vec<String> {
        match self.tail.lock() {
            Ok(lines) => lines.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// An error of this resource.
    pub fn error(&self, kind: AgentErrorKind) -> AgentError {
        AgentError::new(self.resource.clone(), kind)
    }

    /// A [`AgentErrorKind::Failed`] error of this resource.
    pub fn failed(&self, message: impl Into<String>) -> AgentError {
        self.error(AgentErrorKind::Failed(message.into()))
    }

    /// The command of `action`, with the extra environment `env`.
    pub fn command(&self, action: &str, limit: Duration, env: &[(String, String)]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .arg(action)
            .timeout(limit)
            .tag(format!("{} {action}", self.resource))
            .stdout(Output::Capture);
        for (key, value) in self.env.iter().chain(env) {
            command.env(key, value);
        }
        command
    }

    /// Runs `action` to its end or its time limit.
    pub async fn run(
        &self,
        action: &str,
        limit: Duration,
        env: &[(String, String)],
    ) -> Result<Finished, AgentError> {
        let outcome = self
            .command(action, limit, env)
            .run()
            .await
            .map_err(|e| self.failed(format!("{action}: {e}")))?;
        self.finished(action, limit, outcome)
    }

    /// An outcome with an exit code as [`Finished`]; anything else as the
    /// error it is.
    pub fn finished(
        &self,
        action: &str,
        limit: Duration,
        outcome: Outcome,
    ) -> Result<Finished, AgentError> {
        let last_line = outcome.tail.last().map(|line| line.text.clone());
        let lines: Vec<String> = outcome.tail.iter().map(|line| line.text.clone()).collect();
        match self.tail.lock() {
            Ok(mut tail) => *tail = lines,
            Err(poisoned) => *poisoned.into_inner() = lines,
        }
        if outcome.timed_out {
            return Err(self.failed(format!(
                "{action} timed out after {limit:?}; its process group was killed"
            )));
        }
        match outcome.exit {
            Exit::Code(code) => Ok(Finished {
                code,
                stdout: String::from_utf8_lossy(&outcome.stdout).into_owned(),
                last_line,
            }),
            Exit::Signal(_) => Err(self.failed(format!("{action}: {}", outcome.exit))),
        }
    }
}

/// `<?xml…>` meta-data for a script class that has none of its own.
pub(crate) fn plain_meta_data(name: &str, class: &str, program: &Path) -> String {
    format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="{name}" version="heartbeat-rs">
<version>1.0</version>
<longdesc lang="en">{class} {program}, run by heartbeat-rs.</longdesc>
<shortdesc lang="en">{class}</shortdesc>
<parameters/>
<actions>
<action name="start" timeout="20s"/>
<action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
"#,
        program = program.display()
    )
}

/// What is at a path where a script may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Nothing (or nothing this process may look at).
    Missing,
    /// Something that is not a regular file (after symbolic links).
    NotAFile,
    /// A regular file without an execute bit.
    NotExecutable,
    /// An executable regular file: heartbeat's `[ -f P -a -x P ]`.
    Executable,
}

impl Probe {
    /// Looks at `path`.
    pub fn of(path: &Path) -> Probe {
        match std::fs::metadata(path) {
            Err(_) => Probe::Missing,
            Ok(meta) if !meta.is_file() => Probe::NotAFile,
            Ok(meta) if meta.permissions().mode() & 0o111 == 0 => Probe::NotExecutable,
            Ok(_) => Probe::Executable,
        }
    }

    /// How a message names what is at `path`, e.g. `no /etc/init.d/httpd`.
    pub fn explain(self, path: &Path) -> String {
        let path = path.display();
        match self {
            Probe::Missing => format!("no {path}"),
            Probe::NotAFile => format!("{path} is not a regular file"),
            Probe::NotExecutable => format!("{path} is not executable"),
            Probe::Executable => format!("{path} is executable"),
        }
    }
}

/// `Ok` when `path` is an executable regular file; else what it is.
pub(crate) fn check_executable(path: &Path) -> Result<(), String> {
    match Probe::of(path) {
        Probe::Executable => Ok(()),
        other => Err(other.explain(path)),
    }
}

/// What a status output says, read by heartbeat's ResourceManager rule
/// (`we_own_resource`): its shell `case` on the output of `SCRIPT ARGS status`
/// tries, in order, `*[Nn][Oo][Tt]\ *[Rr]unning*` (not running),
/// `*[Rr]unning*|*OK*` (running), and takes anything else as not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusText {
    /// `not` and a blank, later `running` or `Running`.
    NotRunning,
    /// `running`, `Running` or `OK`.
    Running,
    /// Neither.
    Other,
}

/// Reads a status output by heartbeat's rule (see [`StatusText`]).
pub(crate) fn status_text(output: &str) -> StatusText {
    let running_at = |text: &str| text.find("running").or_else(|| text.find("Running"));
    let not_running = output.char_indices().any(|(i, _)| {
        let rest = &output[i..];
        rest.len() >= 4
            && rest.is_char_boundary(4)
            && rest[..4].eq_ignore_ascii_case("not ")
            && running_at(&rest[4..]).is_some()
    });
    if not_running {
        StatusText::NotRunning
    } else if running_at(output).is_some() || output.contains("OK") {
        StatusText::Running
    } else {
        StatusText::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_follows_heartbeats_case_patterns() {
        for (text, expected) in [
            ("httpd (pid 42) is running...", StatusText::Running),
            ("Running", StatusText::Running),
            ("status OK", StatusText::Running),
            ("httpd is not running", StatusText::NotRunning),
            ("NOT currently Running", StatusText::NotRunning),
            ("Not\nrunning", StatusText::Running),
            ("stopped", StatusText::Other),
            ("RUNNING", StatusText::Other),
            ("ok", StatusText::Other),
            ("", StatusText::Other),
            ("é not running ü", StatusText::NotRunning),
        ] {
            assert_eq!(status_text(text), expected, "{text:?}");
        }
    }
}

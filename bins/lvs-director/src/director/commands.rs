//! The commands ldirectord runs: `fallbackcommand` (with `start` when every
//! real server of a virtual service is down, `stop` when one is back, then
//! `VIP:PORT` and the protocol) and `callback` (with the configuration's
//! path, after the file changed on disk). Each runs through `/bin/sh -c`
//! as Perl's `system` runs a command line, one at a time in the order
//! asked, in a task of its own: the check loop never waits for them.
//!
//! Unlike ldirectord, which waits for `system` however long it takes, a
//! command gets [`COMMAND_TIMEOUT`]: then its whole process group is ended
//! (SIGTERM, then SIGKILL after ha-process's default grace), so one hung
//! command cannot hold back every later one. Commands run through
//! ha-process: what they write goes to the log, each line tagged
//! `fallbackcommand` or `callback`.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ha_ipvs::ServiceKey;
use ha_process::Outcome;
use tokio::sync::mpsc;

/// How long a `fallbackcommand` or `callback` may run before its process
/// group is ended (SIGTERM, then SIGKILL [`ha_process::DEFAULT_GRACE`] later).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// One command line to run, and which directive asked for it.
#[derive(Debug)]
struct Job {
    directive: &'static str,
    line: String,
}

/// Queues commands for the runner task.
#[derive(Debug, Clone)]
pub struct Commands {
    queue: mpsc::UnboundedSender<Job>,
}

/// How ldirectord names a virtual service to its fallback command:
/// `VIP:PORT PROTOCOL` (IPv6 in brackets), or `MARK fwm`.
pub fn fallback_arguments(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => {
            let addr = match addr {
                IpAddr::V4(a) => a.to_string(),
                IpAddr::V6(a) => format!("[{a}]"),
            };
            format!("{addr}:{port} {}", protocol.name().to_ascii_lowercase())
        }
        ServiceKey::FirewallMark { mark, .. } => format!("{mark} fwm"),
    }
}

/// Runs `line` with `/bin/sh -c`, its output logged with the directive's
/// name, ended after `timeout`.
async fn run_line(
    directive: &str,
    line: &str,
    timeout: Duration,
) -> Result<Outcome, ha_process::Error> {
    ha_process::Command::new("/bin/sh")
        .arg("-c")
        .arg(line)
        .timeout(timeout)
        .tag(directive)
        .run()
        .await
}

async fn run_one(job: Job) {
    log::debug!("running: {}", job.line);
    match run_line(job.directive, &job.line, COMMAND_TIMEOUT).await {
        Ok(outcome) if outcome.success() => {}
        Ok(outcome) => log::warn!("system({}) failed: {outcome}", job.line),
        Err(e) => log::warn!("system({}) failed: {e}", job.line),
    }
}

impl Commands {
    /// Starts the runner task (on the current tokio runtime).
    pub fn start() -> Commands {
        let (queue, mut receiver) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = receiver.recv().await {
                run_one(job).await;
            }
        });
        Commands { queue }
    }

    /// `fallbackcommand`: `COMMAND start|stop VIP:PORT PROTOCOL`.
    pub fn fallback(&self, command: &str, active: bool, key: &ServiceKey) {
        let state = if active { "start" } else { "stop" };
        let line = format!("{command} {state} {}", fallback_arguments(key));
        let _ = self.queue.send(Job {
            directive: "fallbackcommand",
            line,
        });
    }

    /// `callback`: `CALLBACK CONFIG`, if the callback is an executable file
    /// (as ldirectord checks with `-x`).
    pub fn callback(&self, callback: &str, config: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let executable = std::fs::metadata(callback)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false);
        if executable {
            let _ = self.queue.send(Job {
                directive: "callback",
                line: format!("{callback} {}", config.display()),
            });
        } else {
            log::warn!("callback {callback} is not an executable file: not run");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_ipvs::{AddressFamily, Protocol};

    #[test]
    fn virtual_services_are_named_as_ldirectord_names_them() {
        let tcp = ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port: 80,
        };
        let udp6 = ServiceKey::Address {
            protocol: Protocol::Udp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53,
        };
        let fwm = ServiceKey::FirewallMark {
            af: AddressFamily::Inet,
            mark: 5,
        };
        assert_eq!(fallback_arguments(&tcp), "192.0.2.1:80 tcp");
        assert_eq!(fallback_arguments(&udp6), "[2001:db8::1]:53 udp");
        assert_eq!(fallback_arguments(&fwm), "5 fwm");
    }

    #[tokio::test]
    async fn command_lines_run_through_the_shell() {
        let outcome = run_line(
            "callback",
            "test \"$(echo a b)\" = 'a b' && exit 3",
            COMMAND_TIMEOUT,
        )
        .await
        .unwrap();
        assert_eq!(outcome.exit, ha_process::Exit::Code(3));
    }

    #[tokio::test]
    async fn a_hung_command_is_ended_at_its_timeout() {
        let started = std::time::Instant::now();
        let outcome = run_line("fallbackcommand", "sleep 30", Duration::from_millis(200))
            .await
            .unwrap();
        assert!(outcome.timed_out, "{outcome}");
        assert!(started.elapsed() < Duration::from_secs(5), "{outcome}");
    }
}

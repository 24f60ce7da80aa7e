//! The commands ldirectord runs: `fallbackcommand` (with `start` when every
//! real server of a virtual service is down, `stop` when one is back, then
//! `VIP:PORT` and the protocol) and `callback` (with the configuration's
//! path, after the file changed on disk). Each runs through `/bin/sh -c`
//! as Perl's `system` runs a command line, one at a time in the order
//! asked, in a task of its own: the check loop never waits for them.

use std::net::IpAddr;
use std::path::Path;

use ha_ipvs::ServiceKey;
use tokio::sync::mpsc;

/// Queues commands for the runner task.
#[derive(Debug, Clone)]
pub struct Commands {
    queue: mpsc::UnboundedSender<String>,
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

async fn run_one(line: String) {
    log::debug!("running: {line}");
    match tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .stdin(std::process::Stdio::null())
        .status()
        .await
    {
        Ok(status) if status.success() => {}
        Ok(status) => log::warn!("system({line}) failed: {status}"),
        Err(e) => log::warn!("system({line}) failed: {e}"),
    }
}

impl Commands {
    /// Starts the runner task (on the current tokio runtime).
    pub fn start() -> Commands {
        let (queue, mut receiver) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(line) = receiver.recv().await {
                run_one(line).await;
            }
        });
        Commands { queue }
    }

    /// `fallbackcommand`: `COMMAND start|stop VIP:PORT PROTOCOL`.
    pub fn fallback(&self, command: &str, active: bool, key: &ServiceKey) {
        let state = if active { "start" } else { "stop" };
        let line = format!("{command} {state} {}", fallback_arguments(key));
        let _ = self.queue.send(line);
    }

    /// `callback`: `CALLBACK CONFIG`, if the callback is an executable file
    /// (as ldirectord checks with `-x`).
    pub fn callback(&self, callback: &str, config: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let executable = std::fs::metadata(callback)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false);
        if executable {
            let _ = self.queue.send(format!("{callback} {}", config.display()));
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
}

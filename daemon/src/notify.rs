//! systemd's notification protocol (`sd_notify`): a `Type=notify` service
//! tells its manager, over the datagram socket `NOTIFY_SOCKET` names, when
//! it is ready (`READY=1`), reloading (`RELOADING=1`) or stopping
//! (`STOPPING=1`), what it is doing (`STATUS=...`), and that it is alive
//! (`WATCHDOG=1`, every half of `WATCHDOG_USEC` when the unit sets
//! `WatchdogSec=`).
//!
//! [`Notifier::from_env`] reads the variables once, at the start of
//! `main`, and removes them, so that nothing the daemon runs (agents,
//! scripts) speaks for it. Without `NOTIFY_SOCKET` every call does
//! nothing. A send never waits: the socket is non-blocking, and a
//! notification the manager cannot take now is dropped (and logged at
//! debug level), so the loops that call it are never held up.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::time::Duration;

/// The variable naming the manager's socket.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// The variable giving the watchdog timeout, in microseconds.
pub const WATCHDOG_USEC: &str = "WATCHDOG_USEC";
/// The variable naming the process the watchdog timeout is for.
pub const WATCHDOG_PID: &str = "WATCHDOG_PID";

/// Speaks to the service manager; cheap to clone, and every clone sends
/// on the same socket.
#[derive(Clone, Default)]
pub struct Notifier {
    target: Option<Arc<Target>>,
    watchdog: Option<Duration>,
}

/// The manager's socket and ours.
struct Target {
    socket: UnixDatagram,
    address: SocketAddr,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("enabled", &self.is_enabled())
            .field("watchdog", &self.watchdog)
            .finish()
    }
}

impl Notifier {
    /// A notifier that sends nothing (no manager asked for notifications).
    pub fn disabled() -> Self {
        Notifier::default()
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` and
    /// removes them from the environment. Call it at the start of `main`,
    /// before any other thread runs (the environment is process-wide). A
    /// socket that cannot be used is logged and leaves the notifier
    /// disabled: the daemon runs on, as it would without a manager.
    pub fn from_env() -> Self {
        let socket = std::env::var_os(NOTIFY_SOCKET);
        let usec = std::env::var(WATCHDOG_USEC).ok();
        let pid = std::env::var(WATCHDOG_PID).ok();
        for name in [NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID] {
            std::env::remove_var(name);
        }
        let Some(socket) = socket else {
            return Notifier::disabled();
        };
        let watchdog = watchdog_period(usec.as_deref(), pid.as_deref(), std::process::id());
        match Notifier::to(&socket.to_string_lossy(), watchdog) {
            Ok(notifier) => notifier,
            Err(error) => {
                log::warn!(
                    "{NOTIFY_SOCKET}={}: {error}: the service manager will not hear from \
                     this daemon",
                    socket.to_string_lossy()
                );
                Notifier::disabled()
            }
        }
    }

    /// A notifier sending to the socket at `path` (`@name`: an abstract
    /// socket), with a watchdog every `watchdog` if given.
    pub fn to(path: &str, watchdog: Option<Duration>) -> io::Result<Self> {
        let address = match path.strip_prefix('@') {
            Some(name) => abstract_address(name.as_bytes())?,
            None if path.starts_with('/') => SocketAddr::from_pathname(path)?,
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not an absolute path nor an abstract socket (@name)",
                ))
            }
        };
        let socket = UnixDatagram::unbound()?;
        socket.set_nonblocking(true)?;
        Ok(Notifier {
            target: Some(Arc::new(Target { socket, address })),
            watchdog,
        })
    }

    /// Whether a manager listens (`NOTIFY_SOCKET` was set and usable).
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// How often to send `WATCHDOG=1`: half the unit's `WatchdogSec`;
    /// `None` when the unit has no watchdog (or it is for another process).
    pub fn watchdog_period(&self) -> Option<Duration> {
        self.target.as_ref().and(self.watchdog)
    }

    /// `READY=1` with `MAINPID=` (this process: right for the process
    /// the manager started, and what a daemon that forked must say) and the
    /// status line if one is given.
    pub fn ready(&self, status: Option<&str>) {
        let ready = format!("READY=1\nMAINPID={}", std::process::id());
        match status {
            Some(status) => self.send(&format!("{ready}\nSTATUS={}", one_line(status))),
            None => self.send(&ready),
        }
    }

    /// `RELOADING=1` with the monotonic time, as `Type=notify-reload`
    /// wants it; follow it with [`Notifier::ready`] once the reload is done.
    pub fn reloading(&self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}",
            monotonic_usec().unwrap_or(0)
        ));
    }

    /// `STOPPING=1`.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    /// `STATUS=...`: what the daemon is doing, one line.
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", one_line(status)));
    }

    /// `WATCHDOG=1`: alive. Call it from the loop whose life it vouches for.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// Sends one datagram; a failure is logged at debug level and dropped.
    fn send(&self, message: &str) {
        let Some(target) = &self.target else {
            return;
        };
        if let Err(error) = target
            .socket
            .send_to_addr(message.as_bytes(), &target.address)
        {
            log::debug!("{NOTIFY_SOCKET}: cannot send {message:?}: {error}");
        }
    }
}

/// An abstract socket address (Linux).
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

/// Half of `WATCHDOG_USEC`, unless `WATCHDOG_PID` names another process
/// than `own_pid` or the timeout is missing, zero or not a number.
pub fn watchdog_period(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok()? != own_pid {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// A status on one line: the protocol is one `NAME=value` per line.
fn one_line(text: &str) -> String {
    text.replace('\n', " ")
}

/// CLOCK_MONOTONIC in microseconds, the clock the manager compares with.
fn monotonic_usec() -> Option<u64> {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    let secs = u64::try_from(now.tv_sec()).ok()?;
    let nanos = u64::try_from(now.tv_nsec()).ok()?;
    Some(secs * 1_000_000 + nanos / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(test: &str) -> (UnixDatagram, std::path::PathBuf) {
        let path =
            std::env::temp_dir().join(format!("ha-daemon-notify-{test}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (socket, path)
    }

    fn receive(socket: &UnixDatagram) -> String {
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn each_notification_is_one_datagram_in_sd_notify_form() {
        let (socket, path) = bound("form");
        let notifier = Notifier::to(path.to_str().unwrap(), None).unwrap();
        notifier.ready(Some("active,\nholds 1 of 1 groups"));
        notifier.status("dead peer");
        notifier.watchdog();
        notifier.reloading();
        notifier.stopping();
        notifier.ready(None);
        let pid = std::process::id();
        assert_eq!(
            receive(&socket),
            format!("READY=1\nMAINPID={pid}\nSTATUS=active, holds 1 of 1 groups")
        );
        assert_eq!(receive(&socket), "STATUS=dead peer");
        assert_eq!(receive(&socket), "WATCHDOG=1");
        let reloading = receive(&socket);
        let usec: u64 = reloading
            .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
            .unwrap()
            .parse()
            .unwrap();
        assert!(usec > 0, "{reloading}");
        assert_eq!(receive(&socket), "STOPPING=1");
        assert_eq!(receive(&socket), format!("READY=1\nMAINPID={pid}"));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn an_abstract_socket_is_reached_by_its_at_name() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("ha-daemon-notify-abstract-{}", std::process::id());
        let socket =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Notifier::to(&format!("@{name}"), None).unwrap().watchdog();
        assert_eq!(receive(&socket), "WATCHDOG=1");
    }

    #[test]
    fn a_relative_path_is_refused_and_a_disabled_notifier_sends_nothing() {
        assert!(Notifier::to("run/notify", None).is_err());
        let disabled = Notifier::disabled();
        assert!(!disabled.is_enabled());
        assert_eq!(disabled.watchdog_period(), None);
        disabled.ready(None);
    }

    #[test]
    fn a_manager_that_does_not_read_never_blocks_the_sender() {
        let (_socket, path) = bound("full");
        let notifier = Notifier::to(path.to_str().unwrap(), None).unwrap();
        let started = std::time::Instant::now();
        for _ in 0..10_000 {
            notifier.watchdog();
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn the_watchdog_period_is_half_the_timeout_for_this_process_only() {
        assert_eq!(
            watchdog_period(Some("4000000"), None, 7),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            watchdog_period(Some("400000"), Some("7"), 7),
            Some(Duration::from_millis(200))
        );
        assert_eq!(watchdog_period(Some("400000"), Some("8"), 7), None);
        assert_eq!(watchdog_period(Some("0"), None, 7), None);
        assert_eq!(watchdog_period(Some("soon"), None, 7), None);
        assert_eq!(watchdog_period(None, Some("7"), 7), None);
    }
}

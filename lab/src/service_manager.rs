//! A service manager's notification socket, as systemd binds one for a
//! `Type=notify` unit: a real Unix datagram socket whose path a test puts
//! in a daemon's `NOTIFY_SOCKET`, read by a thread of its own that keeps
//! every datagram with the time it came.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::LabError;

/// Every datagram received, with when.
type Received = Arc<Mutex<Vec<(Instant, String)>>>;

/// The socket and its reader; dropping it stops the reader and removes the
/// socket file.
pub struct NotifySocket {
    path: PathBuf,
    received: Received,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl NotifySocket {
    /// Binds a datagram socket at `path` (replacing a stale file) and
    /// starts reading it.
    pub fn bind(path: &Path) -> Result<Self, LabError> {
        let _ = std::fs::remove_file(path);
        let io = |e| LabError::io(path.display().to_string(), e);
        let socket = UnixDatagram::bind(path).map_err(io)?;
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .map_err(io)?;
        let received: Received = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (received.clone(), stop.clone());
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !stopped.load(Ordering::SeqCst) {
                if let Ok(n) = socket.recv(&mut buf) {
                    let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default());
                    if let Ok(mut seen) = seen.lock() {
                        seen.push((Instant::now(), text.into_owned()));
                    }
                }
            }
        });
        Ok(NotifySocket {
            path: path.to_path_buf(),
            received,
            stop,
            reader: Some(reader),
        })
    }

    /// The socket's path, for `NOTIFY_SOCKET`.
    pub fn path(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }

    /// The datagrams received so far, with when, oldest first.
    pub fn all(&self) -> Vec<(Instant, String)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// When the first datagram holding the line `line` (`READY=1`) came.
    pub fn first(&self, line: &str) -> Option<Instant> {
        self.all()
            .into_iter()
            .find(|(_, text)| text.lines().any(|l| l == line))
            .map(|(at, _)| at)
    }

    /// The datagram holding the line `line` that came first, whole.
    pub fn first_text(&self, line: &str) -> Option<String> {
        self.all()
            .into_iter()
            .find(|(_, text)| text.lines().any(|l| l == line))
            .map(|(_, text)| text)
    }

    /// When each datagram that is exactly `WATCHDOG=1` came, within
    /// [`from`, `to`).
    pub fn watchdogs(&self, from: Instant, to: Instant) -> Vec<Instant> {
        self.all()
            .into_iter()
            .filter(|(at, text)| text == "WATCHDOG=1" && *at >= from && *at < to)
            .map(|(at, _)| at)
            .collect()
    }

    /// Every `STATUS=` value received, oldest first.
    pub fn statuses(&self) -> Vec<String> {
        self.all()
            .iter()
            .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
            .filter_map(|l| l.strip_prefix("STATUS=").map(str::to_string))
            .collect()
    }

    /// Every line but `WATCHDOG=1`, oldest first (the story a test reads).
    pub fn lines(&self) -> Vec<String> {
        self.all()
            .iter()
            .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|l| l != "WATCHDOG=1")
            .collect()
    }

    /// Waits up to `timeout` for a status line containing `text`.
    pub fn wait_status(&self, text: &str, timeout: Duration) -> bool {
        crate::poll::until(timeout, || self.statuses().iter().any(|s| s.contains(text))).is_some()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        if let Ok(mut received) = self.received.lock() {
            received.clear();
        }
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

//! A null-modem cable between two pseudo-terminals, at a chosen baud.
//!
//! Each end is a PTY whose slave a node opens as its serial device; a relay
//! thread per direction copies the bytes from one master to the other no
//! faster than a real line would carry them (baud / 10 bytes a second, 8N1).
//! Cutting the cable stops the copying (what is written meanwhile is lost,
//! as on a pulled cable); restoring it starts it again.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::error::LabError;

/// Two PTYs joined by a relay at a fixed rate.
pub struct SerialLine {
    paths: [String; 2],
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    _slaves: [OwnedFd; 2],
    relays: Vec<thread::JoinHandle<()>>,
}

impl SerialLine {
    /// A line at `baud` between two new PTYs.
    pub fn new(baud: u32) -> Result<SerialLine, LabError> {
        let pty = || {
            nix::pty::openpty(None, None)
                .map_err(|e| LabError::io("openpty", std::io::Error::from(e)))
        };
        let (a, b) = (pty()?, pty()?);
        // Raw until a node sets its line up: no echo of what arrives.
        for slave in [&a.slave, &b.slave] {
            let raw = nix::sys::termios::tcgetattr(slave).map(|mut t| {
                nix::sys::termios::cfmakeraw(&mut t);
                t
            });
            if let Ok(t) = raw {
                let _ = nix::sys::termios::tcsetattr(slave, nix::sys::termios::SetArg::TCSANOW, &t);
            }
        }
        let path = |fd: &OwnedFd| {
            std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .map(|p| p.display().to_string())
                .map_err(|e| LabError::io("the PTY's path", e))
        };
        let paths = [path(&a.slave)?, path(&b.slave)?];
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (a_master, b_master) = (Arc::new(a.master), Arc::new(b.master));
        let bytes_per_second = u64::from(baud / 10).max(1);
        let mut relays = Vec::new();
        for (from, to) in [(a_master.clone(), b_master.clone()), (b_master, a_master)] {
            let (cut, stop) = (cut.clone(), stop.clone());
            relays.push(
                thread::Builder::new()
                    .name("serial-relay".into())
                    .spawn(move || relay(&from, &to, bytes_per_second, &cut, &stop))
                    .map_err(|e| LabError::io("start the relay", e))?,
            );
        }
        Ok(SerialLine {
            paths,
            cut,
            stop,
            // Kept open so that the PTYs stay while the nodes come and go.
            _slaves: [a.slave, b.slave],
            relays,
        })
    }

    /// The device paths of the two ends (`/dev/pts/N`).
    pub fn paths(&self) -> &[String; 2] {
        &self.paths
    }

    /// Pulls the cable: nothing crosses until [`SerialLine::restore`].
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    /// Plugs the cable back in.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for SerialLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for relay in self.relays.drain(..) {
            let _ = relay.join();
        }
    }
}

/// Copies `from` to `to` at `bytes_per_second`, dropping bytes while cut.
fn relay(from: &OwnedFd, to: &OwnedFd, bytes_per_second: u64, cut: &AtomicBool, stop: &AtomicBool) {
    let mut buf = [0u8; 64];
    let started = Instant::now();
    let mut sent: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        let mut fds = [PollFd::new(from.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(100u16)) {
            Ok(n) if n > 0 => {}
            _ => continue,
        }
        // A slave not open yet reads as EIO: wait for the node.
        let Ok(n) = nix::unistd::read(from.as_fd(), &mut buf) else {
            thread::sleep(Duration::from_millis(50));
            continue;
        };
        if n == 0 || cut.load(Ordering::SeqCst) {
            continue;
        }
        // Never ahead of the line's rate since the start (or a pause).
        let now = started.elapsed();
        let earliest = Duration::from_micros(sent * 1_000_000 / bytes_per_second);
        if earliest + Duration::from_millis(200) < now {
            sent = now.as_micros() as u64 * bytes_per_second / 1_000_000;
        }
        for byte in buf.iter().take(n) {
            let due = Duration::from_micros(sent * 1_000_000 / bytes_per_second);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                thread::sleep(wait);
            }
            let _ = nix::unistd::write(to.as_fd(), std::slice::from_ref(byte));
            sent += 1;
        }
    }
}

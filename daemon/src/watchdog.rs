//! heartbeat's `watchdog DEVICE`: a kernel watchdog kept alive by the loop
//! that must stay alive, so that a hung node reboots.
//!
//! As heartbeat 3.0.6 does (`hb_init_watchdog`, `hb_tickle_watchdog`,
//! `hb_close_watchdog` in heartbeat.c): the device is opened write-only
//! (close-on-exec), its timeout set to deadtime + 10 ms rounded up to whole
//! seconds (`WDIOC_SETTIMEOUT`; a file that is no watchdog, such as a FIFO,
//! refuses it and keeps its own), then one byte (`\0`) is written at once
//! and at every kick; a failed write closes the device. A clean stop writes
//! the magic character `V` before closing, which tells a driver built
//! without `nowayout` to disarm; a daemon that dies or hangs writes nothing
//! more, and the kernel reboots the host when the timeout passes. A device
//! that cannot be opened is an error line, and the daemon runs without it,
//! as heartbeat does.
//!
//! heartbeat kicks when its own heartbeat comes back to it; here the
//! membership loop kicks each time it sends a heartbeat, every keepalive.
//!
//! The loop runs at a realtime priority and must never wait, while a write
//! to a device can (a driver behind a slow bus, a FIFO whose reader
//! stalls) and so can the open (a FIFO without a reader). So the device is
//! owned by a thread of its own, and the loop only signals it: [`Kick::kick`]
//! is a `try_send` on a channel of one slot, which never blocks, allocates
//! nothing, and coalesces kicks the thread has not taken yet. The writes
//! still depend on the loop: no kick, no write. A node frozen or hung
//! stops the kicks, a thread stuck on the device stops the writes; either
//! way the kernel's timer runs out. The thread runs at the loop's
//! SCHED_FIFO priority when given one, so that a busy host does not delay
//! a write the loop asked for.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use ha_process::sched;
use tokio::sync::oneshot;

/// What is written at each kick.
const KEEPALIVE: &[u8] = b"\0";

/// What a clean stop writes before closing: the "magic close" that tells a
/// driver built without `nowayout` to disarm.
const MAGIC_CLOSE: &[u8] = b"V";

/// How long [`Watchdog::close`] waits for the thread to write the magic
/// close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The timeout heartbeat gives the device: deadtime + 10 ms, rounded up to
/// whole seconds.
pub fn device_timeout(deadtime: Duration) -> u32 {
    let millis = deadtime.as_millis().saturating_add(10);
    u32::try_from(millis.div_ceil(1000)).unwrap_or(u32::MAX)
}

/// Asks the watchdog thread to write a keep-alive; never blocks.
#[derive(Debug, Clone)]
pub struct Kick(SyncSender<()>);

impl Kick {
    /// Asks for one keep-alive write. A kick the thread has not taken yet
    /// stands for this one too.
    pub fn kick(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// The watchdog thread; [`Watchdog::close`] ends it cleanly. Dropped
/// without a close, it leaves the device without the magic close, as a
/// crash would.
#[derive(Debug)]
pub struct Watchdog {
    path: PathBuf,
    closing: Arc<AtomicBool>,
    wake: SyncSender<()>,
    done: oneshot::Receiver<()>,
}

impl Watchdog {
    /// Starts the thread that opens `path`, sets its timeout to `timeout_s`
    /// seconds and writes a first keep-alive; returns at once (the open
    /// may wait for a FIFO's reader). `priority`: the SCHED_FIFO priority
    /// of the thread, if any.
    pub fn start(path: &Path, timeout_s: u32, priority: Option<u8>) -> io::Result<(Self, Kick)> {
        let (wake, kicks) = mpsc::sync_channel(1);
        let (done_tx, done) = oneshot::channel();
        let closing = Arc::new(AtomicBool::new(false));
        let device = Device {
            path: path.to_path_buf(),
            timeout_s,
            closing: Arc::clone(&closing),
        };
        std::thread::Builder::new()
            .name("watchdog".to_string())
            .spawn(move || {
                if let Some(priority) = priority {
                    if let Err(e) = sched::set_fifo(i32::from(priority)) {
                        log::warn!(
                            "watchdog: the kernel refused SCHED_FIFO priority {priority} for \
                             the watchdog thread ({e}); it runs at normal priority"
                        );
                    }
                }
                device.run(&kicks);
                let _ = done_tx.send(());
            })?;
        let kick = Kick(wake.clone());
        let watchdog = Watchdog {
            path: path.to_path_buf(),
            closing,
            wake,
            done,
        };
        Ok((watchdog, kick))
    }

    /// Writes the magic close and closes the device (a clean stop); waits
    /// up to two seconds for the thread to do it.
    pub async fn close(self) {
        self.closing.store(true, Ordering::SeqCst);
        let _ = self.wake.try_send(());
        if tokio::time::timeout(CLOSE_WAIT, self.done).await.is_err() {
            log::warn!(
                "watchdog {}: not closed within {} s (the device does not answer)",
                self.path.display(),
                CLOSE_WAIT.as_secs()
            );
        }
    }
}

/// The thread's side: the device and what it is told.
struct Device {
    path: PathBuf,
    timeout_s: u32,
    closing: Arc<AtomicBool>,
}

impl Device {
    /// Opens the device and writes at each kick until closed.
    fn run(self, kicks: &Receiver<()>) {
        let path = self.path.display().to_string();
        // std opens with O_CLOEXEC: no program the node starts inherits it.
        let mut file = match File::options().write(true).open(&self.path) {
            Ok(file) => file,
            Err(e) => {
                log::error!("cannot open watchdog device {path}: {e}; running without it");
                return;
            }
        };
        log::info!("using watchdog device {path}");
        match set_timeout(&file, self.timeout_s) {
            Ok(()) => log::info!("watchdog {path}: timeout set to {} s", self.timeout_s),
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOTTY) => {
                log::info!("watchdog {path}: not a watchdog device, its timeout is left as it is")
            }
            Err(e) => log::warn!(
                "watchdog {path}: cannot set the timeout to {} s: {e}",
                self.timeout_s
            ),
        }
        if !self.write(&mut file, KEEPALIVE) {
            return;
        }
        // Ends when the owner is dropped without a close: no magic close.
        while kicks.recv().is_ok() {
            if self.closing.load(Ordering::SeqCst) {
                if self.write(&mut file, MAGIC_CLOSE) {
                    log::info!("watchdog {path}: closed (magic close written)");
                }
                return;
            }
            if !self.write(&mut file, KEEPALIVE) {
                return;
            }
        }
    }

    /// Writes one byte; false (logged) if it failed, and the device is
    /// then closed, as heartbeat closes it.
    fn write(&self, file: &mut File, byte: &[u8]) -> bool {
        match file.write_all(byte) {
            Ok(()) => true,
            Err(e) => {
                log::error!(
                    "watchdog write failure: closing {}: {e}",
                    self.path.display()
                );
                false
            }
        }
    }
}

nix::ioctl_readwrite!(
    /// `WDIOC_SETTIMEOUT`, `_IOWR('W', 6, int)` in `<linux/watchdog.h>`.
    wdioc_settimeout,
    b'W',
    6,
    nix::libc::c_int
);

/// `ioctl(WDIOC_SETTIMEOUT)`: the device's timeout in seconds.
#[allow(unsafe_code)]
fn set_timeout(file: &File, seconds: u32) -> io::Result<()> {
    let mut value = nix::libc::c_int::try_from(seconds).unwrap_or(nix::libc::c_int::MAX);
    // SAFETY: the descriptor is open for as long as `file` is borrowed, and
    // the kernel reads and writes one c_int through the pointer, which
    // points to a live local of that type.
    unsafe { wdioc_settimeout(file.as_raw_fd(), &mut value) }
        .map(drop)
        .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    #[test]
    fn the_timeout_is_deadtime_and_10ms_in_whole_seconds() {
        assert_eq!(device_timeout(Duration::from_millis(500)), 1);
        assert_eq!(device_timeout(Duration::from_millis(990)), 1);
        assert_eq!(device_timeout(Duration::from_millis(991)), 2);
        assert_eq!(device_timeout(Duration::from_secs(30)), 31);
    }

    #[tokio::test]
    async fn kicks_write_a_byte_each_and_close_writes_v() {
        let dir = std::env::temp_dir().join(format!("ha-watchdog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("watchdog");
        let _ = std::fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Open the reading end first, without waiting for the writer.
        let mut reader = File::options()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        let (watchdog, kick) = Watchdog::start(&fifo, 1, None).unwrap();
        let mut seen = Vec::new();
        let read_until = |seen: &mut Vec<u8>, reader: &mut File, want: usize| {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while seen.len() < want && std::time::Instant::now() < deadline {
                let mut buf = [0u8; 16];
                match reader.read(&mut buf) {
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        read_until(&mut seen, &mut reader, 1);
        assert_eq!(seen, b"\0", "the first keep-alive at open");
        for _ in 0..3 {
            kick.kick();
            let want = seen.len() + 1;
            read_until(&mut seen, &mut reader, want);
        }
        assert_eq!(seen, b"\0\0\0\0");
        watchdog.close().await;
        read_until(&mut seen, &mut reader, 5);
        assert_eq!(seen, b"\0\0\0\0V");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

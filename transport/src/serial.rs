//! The serial medium: heartbeat's `serial DEVICE` over a null-modem cable.
//!
//! A serial line is a byte stream, so messages are framed as heartbeat
//! frames them ([`frame`]: its classic text between `>>>` and `<<<` lines,
//! which is the only form its serial plugin writes, so this medium asks for
//! it through [`Medium::message_format`]). The line is set up as heartbeat's
//! `ttysetup` does ([`line`]): 8N1, CLOCAL, CREAD, CRTSCTS, raw, ISTRIP and
//! IGNCR on input, at the `baud` of ha.cf ([`baud`]). The device is locked
//! with a UUCP lock file first, as heartbeat does ([`lock`]).
//!
//! The membership loop never waits on the line: a reader thread decodes the
//! bytes and queues whole frames; a writer thread takes the frames to send
//! from a short queue and writes them in heartbeat's fragments with its
//! pauses, each write given up after half a second as heartbeat's alarm
//! does (a line whose far end holds CTS low). A frame that finds the queue
//! full is dropped and the link reported down, so a slow line costs
//! heartbeats, never the loop's time.

pub mod baud;
pub mod frame;
pub mod line;
pub mod lock;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::TransportError;
use crate::medium::{DownReason, LinkState, Medium, MessageFormat, MAX_DATAGRAM_LEN};
use crate::spec::MediumSpec;
use lock::DeviceLock;

/// Frames waiting to be written; more are dropped. At 9600 baud a status
/// message takes about a third of a second, so a few make a long queue.
const SEND_QUEUE: usize = 8;

/// Frames read but not yet taken by the node.
const RECEIVE_QUEUE: usize = 64;

/// The address a serial frame is reported to come from: the line has none.
pub const LINE_ADDRESS: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// How long the reader and writer wait at most before looking whether the
/// medium was dropped.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// One serial line to the peer.
pub struct SerialMedium {
    device: String,
    baud: u32,
    to_line: mpsc::Sender<Vec<u8>>,
    from_line: tokio::sync::Mutex<mpsc::Receiver<Vec<u8>>>,
    state: Arc<Mutex<LinkState>>,
    stop: Arc<AtomicBool>,
    _lock: Option<DeviceLock>,
}

impl std::fmt::Debug for SerialMedium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialMedium")
            .field("device", &self.device)
            .field("baud", &self.baud)
            .finish_non_exhaustive()
    }
}

impl SerialMedium {
    /// Opens the serial medium `spec` names: locks the device in
    /// [`lock::LOCK_DIR`], opens and sets up the line, starts its reader and
    /// writer threads. Must be called from within a tokio runtime.
    pub async fn open(spec: &MediumSpec) -> Result<SerialMedium, TransportError> {
        SerialMedium::open_with_lock_dir(spec, Some(Path::new(lock::LOCK_DIR))).await
    }

    /// As [`SerialMedium::open`], with the lock file in `lock_dir`, or none.
    pub async fn open_with_lock_dir(
        spec: &MediumSpec,
        lock_dir: Option<&Path>,
    ) -> Result<SerialMedium, TransportError> {
        let MediumSpec::Serial { device, baud } = spec else {
            return Err(TransportError::WrongKind {
                medium: spec.short_name(),
                wanted: "serial",
            });
        };
        let fail = |action: &str, source: io::Error| TransportError::Socket {
            medium: spec.short_name(),
            action: action.to_owned(),
            source,
        };
        let lock = match lock_dir {
            Some(dir) => {
                Some(DeviceLock::acquire(dir, device).map_err(|e| fail("lock the line", e))?)
            }
            None => None,
        };
        let fd = line::open(device, *baud).map_err(|e| fail("open the line", e))?;
        let fd = Arc::new(fd);
        let (to_line, outgoing) = mpsc::channel(SEND_QUEUE);
        let (incoming, from_line) = mpsc::channel(RECEIVE_QUEUE);
        let state = Arc::new(Mutex::new(LinkState::Up));
        let stop = Arc::new(AtomicBool::new(false));
        let name = spec.short_name();
        {
            let (fd, stop, name) = (fd.clone(), stop.clone(), name.clone());
            thread::Builder::new()
                .name("serial-read".into())
                .spawn(move || read_loop(&fd, &incoming, &stop, &name))
                .map_err(|e| fail("start the reader", e))?;
        }
        {
            let (state, stop, baud) = (state.clone(), stop.clone(), *baud);
            thread::Builder::new()
                .name("serial-write".into())
                .spawn(move || write_loop(&fd, outgoing, &state, &stop, baud, &name))
                .map_err(|e| fail("start the writer", e))?;
        }
        log::info!("Starting serial heartbeat on tty {device} ({baud} baud)");
        Ok(SerialMedium {
            device: device.clone(),
            baud: *baud,
            to_line,
            from_line: tokio::sync::Mutex::new(from_line),
            state,
            stop,
            _lock: lock,
        })
    }

    fn set_state(&self, state: LinkState) {
        if let Ok(mut current) = self.state.lock() {
            *current = state;
        }
    }
}

impl Drop for SerialMedium {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl Medium for SerialMedium {
    fn describe(&self) -> String {
        format!("serial {}", self.device)
    }

    fn message_format(&self) -> MessageFormat {
        MessageFormat::Classic
    }

    async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        if datagram.len() > MAX_DATAGRAM_LEN || !frame::is_frame(datagram) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a serial line carries heartbeat's classic messages only (>>> ... <<<)",
            ));
        }
        match self.to_line.try_send(datagram.to_vec()) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                let error = io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "the line is behind: {SEND_QUEUE} messages wait to be written at {} baud",
                        self.baud
                    ),
                );
                self.set_state(LinkState::Down(DownReason::send_failed(&error)));
                Err(error)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the line's writer has stopped",
            )),
        }
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut from_line = self.from_line.lock().await;
        match from_line.recv().await {
            Some(frame) => Ok((copy(&frame, buf), LINE_ADDRESS)),
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the line's reader has stopped",
            )),
        }
    }

    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        let Ok(mut from_line) = self.from_line.try_lock() else {
            return Ok(None);
        };
        match from_line.try_recv() {
            Ok(frame) => Ok(Some((copy(&frame, buf), LINE_ADDRESS))),
            Err(_) => Ok(None),
        }
    }

    fn link(&self) -> LinkState {
        self.state
            .lock()
            .map(|state| state.clone())
            .unwrap_or(LinkState::Up)
    }
}

/// Copies `frame` into `buf`, truncated to it; its length.
fn copy(frame: &[u8], buf: &mut [u8]) -> usize {
    let len = frame.len().min(buf.len());
    if let (Some(to), Some(from)) = (buf.get_mut(..len), frame.get(..len)) {
        to.copy_from_slice(from);
    }
    len
}

/// Reads the line until the medium is dropped, queueing each frame.
fn read_loop(fd: &OwnedFd, frames: &mpsc::Sender<Vec<u8>>, stop: &AtomicBool, name: &str) {
    let mut decoder = frame::Decoder::new();
    let mut buf = [0u8; 4096];
    let mut errors = 0u32;
    while !stop.load(Ordering::Relaxed) && !frames.is_closed() {
        match line::read(fd.as_fd(), &mut buf, POLL_INTERVAL) {
            Ok(0) => {}
            Ok(n) => {
                errors = 0;
                decoder.feed(buf.get(..n).unwrap_or_default(), &mut |frame| {
                    if frames.try_send(frame.to_vec()).is_err() {
                        log::debug!("{name}: a frame was dropped: the node is behind");
                    }
                });
            }
            Err(error) => {
                // A line whose far end went away (a PTY's master closed)
                // fails every read: say so now and then, and wait.
                errors += 1;
                if errors % 40 == 1 {
                    log::warn!("{name}: cannot read the line: {error}");
                }
                thread::sleep(POLL_INTERVAL);
            }
        }
    }
}

/// Writes queued frames to the line, in heartbeat's fragments and pauses.
fn write_loop(
    fd: &OwnedFd,
    mut frames: mpsc::Receiver<Vec<u8>>,
    state: &Mutex<LinkState>,
    stop: &AtomicBool,
    baud: u32,
    name: &str,
) {
    let pause = baud::fragment_delay(baud);
    let mut warned = false;
    while let Some(frame) = frames.blocking_recv() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let mut result = Ok(());
        let count = frame::fragments(&frame).count();
        for (i, fragment) in frame::fragments(&frame).enumerate() {
            result = line::write_all(fd.as_fd(), fragment, line::WRITE_TIMEOUT);
            if result.is_err() {
                break;
            }
            if i + 1 < count {
                thread::sleep(pause);
            }
        }
        let new_state = match result {
            Ok(()) => {
                warned = false;
                LinkState::Up
            }
            Err(error) => {
                line::flush(fd.as_fd());
                if !warned {
                    log::warn!(
                        "{name}: TTY write timeout or failure (no connection or bad cable?): {error}"
                    );
                    warned = true;
                }
                LinkState::Down(DownReason::send_failed(&error))
            }
        };
        if let Ok(mut current) = state.lock() {
            *current = new_state;
        }
    }
}

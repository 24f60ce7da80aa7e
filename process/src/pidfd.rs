//! The kernel's handle on a process (a pidfd, Linux 5.3 and later): it
//! becomes readable when the process ends. Waiting on it rather than on
//! `waitpid` leaves the process unreaped, so its pid (and group id) stay
//! ours until we choose to reap it, and needs no loop: tokio's reactor
//! watches it in async code, `poll(2)` in blocking code.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A pidfd: readable once its process has ended.
#[derive(Debug)]
pub(crate) struct PidFd(OwnedFd);

impl PidFd {
    /// Opens the pidfd of `pid`, which must be an unreaped child of ours
    /// (so that the pid cannot name another process yet).
    pub(crate) fn open(pid: u32) -> io::Result<PidFd> {
        let pid = libc::pid_t::try_from(pid)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
        // SAFETY: pidfd_open(2) takes a pid and flags and returns a new file
        // descriptor or -1; it touches no memory of ours. Neither std
        // (stably) nor nix wraps it.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = RawFd::try_from(fd)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "descriptor out of range"))?;
        // SAFETY: the kernel just returned `fd`, open and owned by nobody else.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Blocks until the process has ended or `timeout` has passed (`None`:
    /// no limit); true if it ended.
    pub(crate) fn ended_within(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            let wait = match deadline {
                None => PollTimeout::NONE,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    // Whole milliseconds, rounded up so as not to wake early.
                    let ms = left.as_nanos().div_ceil(1_000_000);
                    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, wait) {
                Ok(0) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(false);
                    }
                }
                Ok(_) => return Ok(true),
                Err(Errno::EINTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
    }

    /// Waits (on the current tokio runtime's reactor) until the process has
    /// ended.
    pub(crate) async fn ended(&self) -> io::Result<()> {
        // Registering outside a runtime would panic.
        tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let fd = self.0.try_clone()?;
        // SAFETY: the AsyncFd owns `fd`, an open descriptor that stays open
        // and the same until the AsyncFd is dropped (an OwnedFd's raw fd
        // never changes). tokio offers no safe constructor any more.
        let watched = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(io::Error::from)?;
        let _ready = watched.readable().await?;
        Ok(())
    }
}

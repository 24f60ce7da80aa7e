//! Opening a serial device the way heartbeat's `ttysetup` leaves it, and
//! reading and writing it with timeouts.
//!
//! The device is opened by the `serialport` crate (8 data bits, no parity,
//! one stop bit, RTS/CTS flow control, raw, CLOCAL and CREAD, the baud
//! rate), then given heartbeat's remaining settings: input with INPCK,
//! ISTRIP, IGNCR and BRKINT and without IGNBRK, IXON/IXOFF/IXANY, ICRNL or
//! PARMRK; no output processing; no ICANON, ECHO or ISIG; VMIN 1, VTIME 1.
//! Both queues are flushed and a break is sent, which heartbeat does "to
//! cause the other guy to flush his I/O". The descriptor is left
//! non-blocking: reads and writes wait with `poll`, so that a write the far
//! end holds back (CTS low) is given up after [`WRITE_TIMEOUT`], as
//! heartbeat gives it up after its 500 ms alarm.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, ControlFlags, InputFlags, LocalFlags, OutputFlags, SetArg};

use super::baud;

/// How long one write may wait for the line (heartbeat's `setmsalarm(500)`).
pub const WRITE_TIMEOUT: Duration = Duration::from_millis(500);

/// Opens `device` at `baud` with heartbeat's line settings.
pub fn open(device: &str, baud: u32) -> io::Result<OwnedFd> {
    let speed = baud::speed(baud).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{baud} baud is not a rate heartbeat accepts"),
        )
    })?;
    let port = serialport::new(device, baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::Hardware)
        .open_native()
        .map_err(io::Error::from)?;
    let raw = port.into_raw_fd();
    // SAFETY: `raw` was just released by the port, which no longer owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    setup(fd.as_fd(), speed)?;
    Ok(fd)
}

/// heartbeat's `ttysetup`, then its flush and break.
fn setup(fd: BorrowedFd<'_>, speed: termios::BaudRate) -> io::Result<()> {
    let mut ti = termios::tcgetattr(fd)?;
    ti.input_flags &= !(InputFlags::IGNBRK
        | InputFlags::IUCLC
        | InputFlags::IXANY
        | InputFlags::IXOFF
        | InputFlags::IXON
        | InputFlags::ICRNL
        | InputFlags::PARMRK);
    ti.input_flags |=
        InputFlags::INPCK | InputFlags::ISTRIP | InputFlags::IGNCR | InputFlags::BRKINT;
    ti.output_flags &= !OutputFlags::OPOST;
    ti.control_flags &= !(ControlFlags::CSIZE | ControlFlags::PARENB);
    ti.control_flags |=
        ControlFlags::CS8 | ControlFlags::CREAD | ControlFlags::CLOCAL | ControlFlags::CRTSCTS;
    ti.local_flags &= !(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
    ti.control_chars[termios::SpecialCharacterIndices::VMIN as usize] = 1;
    ti.control_chars[termios::SpecialCharacterIndices::VTIME as usize] = 1;
    termios::cfsetspeed(&mut ti, speed)?;
    termios::tcsetattr(fd, SetArg::TCSANOW, &ti)?;
    termios::tcflush(fd, termios::FlushArg::TCIOFLUSH)?;
    // A pseudo-terminal has no break to send; a real line does.
    let _ = termios::tcsendbreak(fd, 0);
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Waits up to `timeout` for bytes and reads what is there: 0 when none
/// came. An error for a line that fails (hung up, gone).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
    if !wait(fd, PollFlags::POLLIN, timeout)? {
        return Ok(0);
    }
    match nix::unistd::read(fd, buf) {
        Ok(0) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "end of file on the line",
        )),
        Ok(n) => Ok(n),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Ok(0),
        Err(errno) => Err(errno.into()),
    }
}

/// Writes all of `bytes`, giving up when the line takes none for `timeout`.
pub fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8], timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if !wait(fd, PollFlags::POLLOUT, left)? {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the line took no data for {} ms", timeout.as_millis()),
            ));
        }
        match nix::unistd::write(fd, bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

/// Drops whatever waits in both directions, as heartbeat does after a
/// write timeout.
pub fn flush(fd: BorrowedFd<'_>) {
    let _ = termios::tcflush(fd, termios::FlushArg::TCIOFLUSH);
}

/// Whether `fd` became ready for `events` within `timeout`.
fn wait(fd: BorrowedFd<'_>, events: PollFlags, timeout: Duration) -> io::Result<bool> {
    let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd, events)];
    match poll(&mut fds, PollTimeout::from(millis)) {
        Ok(0) => Ok(false),
        Ok(_) => {
            let revents = fds[0].revents().unwrap_or(PollFlags::empty());
            if revents.intersects(PollFlags::POLLERR | PollFlags::POLLNVAL)
                || (revents.contains(PollFlags::POLLHUP) && !revents.intersects(events))
            {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    format!("the line hung up (fd {})", fd.as_raw_fd()),
                ));
            }
            Ok(true)
        }
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(errno) => Err(errno.into()),
    }
}

//! The UUCP lock file heartbeat takes on a serial device.
//!
//! heartbeat locks its line before opening it (cluster-glue's `st_ttylock`),
//! so that getty, a modem program or a second heartbeat keeps off it: the
//! lock is `/var/lock/LCK..NAME`, NAME being the device path after `/dev/`
//! with everything but letters and digits left out (`/dev/ttyS0` →
//! `LCK..ttyS0`, `/dev/pts/3` → `LCK..pts3`), holding the owner's PID as ten
//! right-aligned digits and a newline (the HDB UUCP format the FHS asks
//! for). A lock whose process is gone, or whose content is no PID, is stale
//! and taken over. The lock is written to a temporary file first and linked
//! into place, so it never exists half-written. Dropping the lock removes it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where heartbeat keeps device locks (HA_VARLOCKDIR).
pub const LOCK_DIR: &str = "/var/lock";

/// A held lock on a device; dropped, it is removed.
#[derive(Debug)]
pub struct DeviceLock {
    path: PathBuf,
}

/// The lock file's name for `device`, as cluster-glue's `raw_device`
/// makes it: the path after its first five bytes (`/dev/`), letters and
/// digits only.
pub fn lock_name(device: &str) -> String {
    let rest = device.get(5..).unwrap_or_default();
    let raw: String = rest.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("LCK..{raw}")
}

impl DeviceLock {
    /// Locks `device` in `dir`, or says who holds it.
    pub fn acquire(dir: &Path, device: &str) -> io::Result<DeviceLock> {
        let path = dir.join(lock_name(device));
        let me = std::process::id();
        if let Ok(content) = fs::read_to_string(&path) {
            if let Ok(pid) = content.trim().parse::<u32>() {
                if pid > 1 && pid != me && process_exists(pid) {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("{device} is locked by process {pid} ({})", path.display()),
                    ));
                }
            }
            // Stale or unreadable: take it over, as heartbeat does.
            let _ = fs::remove_file(&path);
        }
        let raw = lock_name(device);
        let temporary = dir.join(format!("tmp{me}-{}", raw.get(5..).unwrap_or_default()));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        let linked = file
            .write_all(format!("{me:>10}\n").as_bytes())
            .and_then(|()| fs::hard_link(&temporary, &path));
        let _ = fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(DeviceLock { path }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{device} was locked meanwhile ({})", path.display()),
            )),
            Err(e) => Err(e),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DeviceLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether a process of this PID exists (kill 0 says anything but ESRCH).
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(errno) => errno != nix::errno::Errno::ESRCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ha-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_follow_cluster_glue() {
        assert_eq!(lock_name("/dev/ttyS0"), "LCK..ttyS0");
        assert_eq!(lock_name("/dev/pts/3"), "LCK..pts3");
        assert_eq!(
            lock_name("/dev/serial/by-id/usb-FTDI_x-if00"),
            "LCK..serialbyidusbFTDIxif00"
        );
    }

    #[test]
    fn a_lock_holds_the_pid_and_goes_with_its_holder() {
        let dir = scratch("hold");
        let lock = DeviceLock::acquire(&dir, "/dev/ttyS7").unwrap();
        let content = fs::read_to_string(lock.path()).unwrap();
        assert_eq!(content, format!("{:>10}\n", std::process::id()));
        assert_eq!(content.len(), 11);
        let path = lock.path().to_path_buf();
        drop(lock);
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_live_holder_keeps_it_and_a_dead_one_loses_it() {
        let dir = scratch("busy");
        let path = dir.join("LCK..ttyS8");
        // PID 1 is alive but heartbeat treats it as no owner; use our parent.
        let parent = nix::unistd::getppid().as_raw();
        fs::write(&path, format!("{parent:>10}\n")).unwrap();
        let error = DeviceLock::acquire(&dir, "/dev/ttyS8").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        assert!(error.to_string().contains(&parent.to_string()), "{error}");
        fs::write(&path, "  99999999\n").unwrap();
        let lock = DeviceLock::acquire(&dir, "/dev/ttyS8").unwrap();
        drop(lock);
        fs::write(&path, "garbage").unwrap();
        drop(DeviceLock::acquire(&dir, "/dev/ttyS8").unwrap());
        fs::remove_dir_all(dir).unwrap();
    }
}

//! The VM cache directory: where downloaded packages are unpacked and the
//! boot image is kept, shared by every test process of a workspace and
//! guarded by a lock file so that two processes never fill it at once.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::LabError;

/// Environment variable naming another cache directory.
pub const CACHE_ENV: &str = "HA_VM_CACHE";

/// The cache directory for the workspace at `workspace`: `$HA_VM_CACHE` if
/// set and not empty (relative to the workspace unless absolute), else
/// `WORKSPACE/target/vm-cache`.
pub fn cache_dir(workspace: &Path) -> PathBuf {
    cache_dir_from(workspace, std::env::var_os(CACHE_ENV).map(PathBuf::from))
}

fn cache_dir_from(workspace: &Path, configured: Option<PathBuf>) -> PathBuf {
    match configured {
        Some(dir) if !dir.as_os_str().is_empty() => workspace.join(dir),
        _ => workspace.join("target").join("vm-cache"),
    }
}

/// An exclusive hold on a cache directory, released when dropped.
pub(crate) struct CacheLock {
    _lock: Flock<File>,
}

impl CacheLock {
    /// Creates `dir` if needed and waits until this process alone holds
    /// its lock file.
    pub(crate) fn acquire(dir: &Path) -> Result<CacheLock, LabError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LabError::io(format!("creating VM cache {}", dir.display()), e))?;
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LabError::io(format!("opening {}", path.display()), e))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| {
            LabError::io(format!("locking {}", path.display()), errno.into())
        })?;
        Ok(CacheLock { _lock: lock })
    }
}

/// Removes `dir` and everything in it; a missing `dir` is fine.
pub(crate) fn remove_dir_if_present(dir: &Path) -> Result<(), LabError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LabError::io(format!("removing {}", dir.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn the_cache_is_under_target_unless_configured() {
        let ws = Path::new("/ws");
        assert_eq!(cache_dir_from(ws, None), Path::new("/ws/target/vm-cache"));
        assert_eq!(
            cache_dir_from(ws, Some("".into())),
            Path::new("/ws/target/vm-cache")
        );
        assert_eq!(cache_dir_from(ws, Some("/c".into())), Path::new("/c"));
        assert_eq!(cache_dir_from(ws, Some("c/d".into())), Path::new("/ws/c/d"));
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_released() {
        let dir = std::env::temp_dir().join(format!("ha-vm-lock-{}", std::process::id()));
        let first = CacheLock::acquire(&dir).unwrap();
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (dir, entered) = (dir.clone(), Arc::clone(&entered));
            std::thread::spawn(move || {
                let _second = CacheLock::acquire(&dir).unwrap();
                entered.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(!entered.load(Ordering::SeqCst), "second holder got in");
        drop(first);
        waiter.join().unwrap();
        assert!(entered.load(Ordering::SeqCst));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

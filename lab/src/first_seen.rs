//! The moment something first became true, noticed by a background thread
//! that checks it every millisecond or two: a line appended to a daemon's
//! log, files appearing on a machine. For timings finer than the 10 ms
//! of the beds' `wait_until`, without running a program per check.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the watchers of this module check by default.
pub const FIRST_SEEN_EVERY: Duration = Duration::from_millis(1);

#[derive(Default)]
struct Seen {
    at: Mutex<Option<Instant>>,
    changed: Condvar,
    stopped: AtomicBool,
}

fn lock(seen: &Seen) -> MutexGuard<'_, Option<Instant>> {
    seen.at
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A background check, run every `every` until it first holds; stops
/// when dropped.
pub struct FirstSeen {
    seen: Arc<Seen>,
    thread: Option<JoinHandle<()>>,
}

impl FirstSeen {
    /// Checks `check` every `every` from now on, in a thread of its own,
    /// and keeps the instant it first held.
    pub fn watch(every: Duration, mut check: impl FnMut() -> bool + Send + 'static) -> FirstSeen {
        let seen = Arc::new(Seen::default());
        let shared = Arc::clone(&seen);
        let thread = std::thread::spawn(move || {
            while !shared.stopped.load(Ordering::SeqCst) {
                if check() {
                    let now = Instant::now();
                    *lock(&shared) = Some(now);
                    shared.changed.notify_all();
                    return;
                }
                std::thread::sleep(every);
            }
        });
        FirstSeen {
            seen,
            thread: Some(thread),
        }
    }

    /// When a line for which `wanted` holds is first appended to the file
    /// at `path` (lines already there when this is called do not count; a
    /// file that does not exist yet is read from its start once it does).
    pub fn log_line(
        path: PathBuf,
        every: Duration,
        wanted: impl Fn(&str) -> bool + Send + 'static,
    ) -> FirstSeen {
        let mut tail = Tail::at_end(path);
        FirstSeen::watch(every, move || tail.new_lines().iter().any(|l| wanted(l)))
    }

    /// When every one of `paths` first exists at once.
    pub fn files(paths: Vec<PathBuf>, every: Duration) -> FirstSeen {
        FirstSeen::watch(every, move || paths.iter().all(|p| p.exists()))
    }

    /// When the check first held, if it has.
    pub fn seen(&self) -> Option<Instant> {
        *lock(&self.seen)
    }

    /// Waits up to `timeout` for the check to hold; when it first did.
    pub fn wait(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut at = lock(&self.seen);
        loop {
            if let Some(at) = *at {
                return Some(at);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            at = match self.seen.changed.wait_timeout(at, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Drop for FirstSeen {
    fn drop(&mut self) {
        self.seen.stopped.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The lines appended to a file since the last look.
struct Tail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl Tail {
    /// From the file's current end (its start if it does not exist).
    fn at_end(path: PathBuf) -> Tail {
        let offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Tail {
            path,
            offset,
            partial: Vec::new(),
        }
    }

    /// The whole lines appended since the last call (a file that shrank is
    /// read again from its start).
    fn new_lines(&mut self) -> Vec<String> {
        let Ok(mut file) = File::open(&self.path) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            self.offset = 0;
            self.partial.clear();
        }
        if len == self.offset || file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut added = Vec::new();
        if file.read_to_end(&mut added).is_err() {
            return Vec::new();
        }
        self.offset += added.len() as u64;
        self.partial.extend_from_slice(&added);
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let complete: Vec<u8> = self.partial.drain(..=last_newline).collect();
        String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::io::Write;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ha-lab-first-seen-{}-{name}", std::process::id()))
    }

    #[test]
    fn only_lines_appended_after_the_start_count() {
        let path = scratch("log");
        std::fs::write(&path, "node node-a: is dead\n").unwrap();
        let seen = FirstSeen::log_line(path.clone(), FIRST_SEEN_EVERY, |l| l.contains("dead"));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(seen.seen(), None);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        // Half a line is not a line yet.
        file.write_all(b"other line\nnode node-a: is de").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(seen.seen(), None);
        let before = Instant::now();
        file.write_all(b"ad\n").unwrap();
        let at = seen.wait(Duration::from_secs(5)).unwrap();
        assert!(at >= before);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn files_are_seen_when_all_exist() {
        let (one, two) = (scratch("one"), scratch("two"));
        let seen = FirstSeen::files(vec![one.clone(), two.clone()], FIRST_SEEN_EVERY);
        std::fs::write(&one, "").unwrap();
        assert_eq!(seen.wait(Duration::from_millis(30)), None);
        std::fs::write(&two, "").unwrap();
        assert!(seen.wait(Duration::from_secs(5)).is_some());
        std::fs::remove_file(&one).unwrap();
        std::fs::remove_file(&two).unwrap();
    }
}

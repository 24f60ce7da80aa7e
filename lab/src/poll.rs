//! Waiting for a condition in a test bed: the one polling loop the beds'
//! `wait_until` methods share.

use std::time::{Duration, Instant};

/// How often a condition is checked again.
pub const POLL_EVERY: Duration = Duration::from_millis(10);

/// Checks `check` every [`POLL_EVERY`] until it holds or `timeout` has
/// passed; when it held, if it did.
pub fn until(timeout: Duration, mut check: impl FnMut() -> bool) -> Option<Instant> {
    let end = Instant::now() + timeout;
    loop {
        if check() {
            return Some(Instant::now());
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(POLL_EVERY);
    }
}

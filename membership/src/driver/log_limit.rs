//! Rate-limited warnings: one line per source, then a count every interval.
//!
//! A peer with the wrong key sends a bad packet every keepalive; logging each
//! would flood the log. The first problem from a source is logged at once;
//! later ones are counted and summarised at most once per [`INTERVAL`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The shortest time between two lines about the same source.
pub const INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct SourceState {
    last_logged: Instant,
    suppressed: u64,
}

/// Per-source rate limiting of warning lines.
#[derive(Debug, Default)]
pub struct LogLimiter {
    sources: HashMap<String, SourceState>,
}

impl LogLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs `line()` as a warning unless `source` was logged less than
    /// [`INTERVAL`] ago; returns whether a line was written.
    pub fn warn(&mut self, source: String, now: Instant, line: impl FnOnce() -> String) -> bool {
        match self.sources.get_mut(&source) {
            Some(state) if now.saturating_duration_since(state.last_logged) < INTERVAL => {
                state.suppressed += 1;
                false
            }
            Some(state) => {
                let suppressed = std::mem::take(&mut state.suppressed);
                state.last_logged = now;
                log::warn!(
                    "{} ({suppressed} more like it since the last report)",
                    line()
                );
                true
            }
            None => {
                self.sources.insert(
                    source,
                    SourceState {
                        last_logged: now,
                        suppressed: 0,
                    },
                );
                log::warn!("{}", line());
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_source_per_interval() {
        let mut limiter = LogLimiter::new();
        let t0 = Instant::now();
        let a = |limiter: &mut LogLimiter, t| limiter.warn("a".into(), t, || "x".into());
        assert!(a(&mut limiter, t0));
        assert!(!a(&mut limiter, t0 + Duration::from_secs(1)));
        assert!(!a(&mut limiter, t0 + Duration::from_secs(9)));
        assert!(limiter.warn("b".into(), t0, || "y".into()));
        assert!(a(&mut limiter, t0 + Duration::from_secs(10)));
        assert!(!a(&mut limiter, t0 + Duration::from_secs(11)));
    }
}

//! Monitor failures of one resource, each counting for a while
//! (Pacemaker's fail count with its failure-timeout): clock-free, the
//! caller says when.

use std::time::Duration;

use tokio::time::Instant;

/// When each failure that still counts happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailCount {
    failures: Vec<Instant>,
}

impl FailCount {
    /// Notes a failure at `now`; returns the count, expired ones dropped.
    pub fn record(&mut self, now: Instant, expiry: Option<Duration>) -> u32 {
        self.failures.push(now);
        self.count(now, expiry)
    }

    /// Drops failures older than `expiry` (`None`: none expire) and counts
    /// the rest.
    pub fn count(&mut self, now: Instant, expiry: Option<Duration>) -> u32 {
        if let Some(expiry) = expiry {
            self.failures
                .retain(|at| now.saturating_duration_since(*at) < expiry);
        }
        u32::try_from(self.failures.len()).unwrap_or(u32::MAX)
    }

    /// Forgets every failure (an operator's cleanup).
    pub fn clear(&mut self) {
        self.failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_until_they_expire_or_are_cleared() {
        let mut count = FailCount::default();
        let t0 = Instant::now();
        let minute = Some(Duration::from_secs(60));
        assert_eq!(count.record(t0, minute), 1);
        assert_eq!(count.record(t0 + Duration::from_secs(30), minute), 2);
        assert_eq!(count.count(t0 + Duration::from_secs(60), minute), 1);
        assert_eq!(count.count(t0 + Duration::from_secs(90), minute), 0);
        assert_eq!(count.record(t0, None), 1);
        assert_eq!(count.count(t0 + Duration::from_secs(9_999), None), 1);
        count.clear();
        assert_eq!(count.count(t0, None), 0);
    }
}

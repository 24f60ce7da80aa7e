//! The health of one real server as its results come in, with
//! ldirectord's rules: the first result decides (until then the server is
//! `Unknown`, which ldirectord treats as down); a healthy server goes
//! down after `failurecount` consecutive failures (a forced failure, such
//! as a maintenance file, takes it down at once); one success brings it up
//! and resets the count.

use std::time::Instant;

use crate::check::CheckOutcome;

/// What the checks last decided about a real server: whether it is to
/// receive traffic. The scheduler reports it and the reconciler acts on it
/// ([`crate::reconcile::Health`] is this type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Health {
    /// Not decided yet (no check since the director started or since the
    /// real server entered the configuration): the reconciler judges it by
    /// the kernel's table.
    #[default]
    Unknown,
    /// Passing its checks: it gets its weight.
    Up,
    /// Failed `failurecount` checks in a row (or was never up): weight 0
    /// or removed.
    Down,
}

impl Health {
    /// `up`, `down` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// What is known of one real server, for status displays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RealStatus {
    /// Current health.
    pub health: Health,
    /// The latest check's outcome (its latency included).
    pub last: Option<CheckOutcome>,
    /// When the latest check finished (monotonic).
    pub last_at: Option<Instant>,
    /// Consecutive failed checks (0 after a success).
    pub failures: u32,
    /// Checks run so far.
    pub checks: u64,
    /// Checks that failed so far.
    pub failed_checks: u64,
}

impl RealStatus {
    /// Records one outcome; returns the new health when it changed.
    /// `failure_count` 0 counts as 1.
    pub fn record(
        &mut self,
        outcome: CheckOutcome,
        at: Instant,
        failure_count: u32,
        forced: bool,
    ) -> Option<Health> {
        self.checks += 1;
        self.last_at = Some(at);
        let healthy = outcome.healthy;
        self.last = Some(outcome);
        let next = if healthy {
            self.failures = 0;
            Health::Up
        } else {
            self.failures = self.failures.saturating_add(1);
            self.failed_checks += 1;
            match self.health {
                Health::Up if !forced && self.failures < failure_count.max(1) => Health::Up,
                _ => Health::Down,
            }
        };
        (next != self.health).then(|| {
            self.health = next;
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(healthy: bool) -> CheckOutcome {
        CheckOutcome {
            healthy,
            latency: Duration::from_millis(1),
            detail: String::new(),
        }
    }

    fn run(results: &[bool], failure_count: u32) -> Vec<Option<Health>> {
        let mut status = RealStatus::default();
        let now = Instant::now();
        results
            .iter()
            .map(|&ok| status.record(outcome(ok), now, failure_count, false))
            .collect()
    }

    #[test]
    fn first_result_decides() {
        assert_eq!(run(&[true], 3), vec![Some(Health::Up)]);
        assert_eq!(run(&[false], 3), vec![Some(Health::Down)]);
    }

    #[test]
    fn failurecount_consecutive_failures_take_an_up_server_down() {
        use Health::*;
        assert_eq!(
            run(&[true, false, false, true, false, false, false, false], 3),
            vec![Some(Up), None, None, None, None, None, Some(Down), None]
        );
        assert_eq!(
            run(&[true, false, true], 1),
            vec![Some(Up), Some(Down), Some(Up)]
        );
        assert_eq!(run(&[true, false], 0), vec![Some(Up), Some(Down)]);
    }

    #[test]
    fn counts_failures_and_forced_failures_skip_the_count() {
        let mut status = RealStatus::default();
        let now = Instant::now();
        status.record(outcome(true), now, 5, false);
        status.record(outcome(false), now, 5, false);
        assert_eq!(status.failures, 1);
        assert_eq!(status.health, Health::Up);
        assert_eq!(
            status.record(outcome(false), now, 5, true),
            Some(Health::Down)
        );
        assert_eq!(status.failures, 2);
        assert_eq!(status.checks, 3);
        assert_eq!(
            status.record(outcome(true), now, 5, false),
            Some(Health::Up)
        );
        assert_eq!(status.failures, 0);
    }
}

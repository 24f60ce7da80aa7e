//! This node's own stalls, and what they mean for judging peers' silence.
//!
//! The machine asks to be called at least once per keepalive (its own
//! heartbeat is always due). When a call comes more than half a keepalive
//! after the instant the machine asked for, the node itself was not running
//! — its host was paused, its process starved or frozen — and for that time
//! it could hear nothing: a peer's silence across it is no evidence that
//! the peer is gone, and the peer's heartbeats sent just after the node
//! resumed have not arrived yet. So after a stall no peer is declared dead
//! before a grace has passed since the node resumed (half a deadtime, and
//! at least two keepalives, at most a deadtime). Stalls that follow one
//! another within the grace extend it, but never past a deadtime after the
//! first of them resumed: a node starved for good still judges its peers.

use std::time::{Duration, Instant};

/// Stalls of this node seen lately.
#[derive(Debug, Clone, Default)]
pub struct Stalls {
    /// When the first stall of the current run of stalls ended, and when
    /// the latest one did.
    window: Option<(Instant, Instant)>,
}

/// How late a call may come before it counts as a stall.
pub fn threshold(keepalive: Duration) -> Duration {
    (keepalive / 2).max(Duration::from_millis(1))
}

/// How long after resuming the node waits before declaring a peer dead.
pub fn grace(keepalive: Duration, deadtime: Duration) -> Duration {
    (deadtime / 2).max(keepalive * 2).min(deadtime)
}

impl Stalls {
    /// Notes a call at `now` for a machine that asked to be called by
    /// `due`; returns how late the call is if that makes a stall.
    pub fn observe(
        &mut self,
        due: Option<Instant>,
        now: Instant,
        keepalive: Duration,
        deadtime: Duration,
    ) -> Option<Duration> {
        let late = now.saturating_duration_since(due?);
        if late <= threshold(keepalive) {
            return None;
        }
        let grace = grace(keepalive, deadtime);
        self.window = Some(match self.window {
            Some((first, last)) if now <= last + grace => (first, now),
            _ => (now, now),
        });
        Some(late)
    }

    /// When a peer otherwise dead at `dead_at` may be declared dead.
    pub fn defer(&self, dead_at: Instant, keepalive: Duration, deadtime: Duration) -> Instant {
        match self.window {
            Some((first, last)) => {
                let until = (last + grace(keepalive, deadtime)).min(first + deadtime);
                dead_at.max(until)
            }
            None => dead_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const KEEPALIVE: Duration = Duration::from_millis(10);
    const DEADTIME: Duration = Duration::from_millis(50);

    #[test]
    fn a_call_on_time_is_no_stall_and_defers_nothing() {
        let t0 = Instant::now();
        let mut stalls = Stalls::default();
        assert_eq!(
            stalls.observe(Some(t0), t0 + 5 * MS, KEEPALIVE, DEADTIME),
            None
        );
        assert_eq!(
            stalls.observe(None, t0 + 90 * MS, KEEPALIVE, DEADTIME),
            None
        );
        assert_eq!(stalls.defer(t0, KEEPALIVE, DEADTIME), t0);
    }

    #[test]
    fn after_a_stall_death_waits_for_the_grace() {
        let t0 = Instant::now();
        let mut stalls = Stalls::default();
        assert_eq!(
            stalls.observe(Some(t0 + 31 * MS), t0 + 60 * MS, KEEPALIVE, DEADTIME),
            Some(29 * MS)
        );
        // Due at 50: waits until 60 + 25.
        assert_eq!(
            stalls.defer(t0 + 50 * MS, KEEPALIVE, DEADTIME),
            t0 + 85 * MS
        );
        // A death due later than the grace is not moved.
        assert_eq!(
            stalls.defer(t0 + 100 * MS, KEEPALIVE, DEADTIME),
            t0 + 100 * MS
        );
    }

    #[test]
    fn stalls_in_a_row_never_defer_past_a_deadtime_after_the_first() {
        let t0 = Instant::now();
        let mut stalls = Stalls::default();
        let mut now = t0;
        for _ in 0..20 {
            let due = now;
            now = due + 20 * MS;
            assert!(stalls
                .observe(Some(due), now, KEEPALIVE, DEADTIME)
                .is_some());
        }
        let first = t0 + 20 * MS;
        assert_eq!(stalls.defer(t0, KEEPALIVE, DEADTIME), first + DEADTIME);
    }

    #[test]
    fn the_grace_is_half_a_deadtime_within_two_keepalives_and_a_deadtime() {
        assert_eq!(grace(10 * MS, 50 * MS), 25 * MS);
        assert_eq!(grace(10 * MS, 30 * MS), 20 * MS);
        assert_eq!(grace(10 * MS, 15 * MS), 15 * MS);
        assert_eq!(grace(2000 * MS, 30_000 * MS), 15_000 * MS);
    }
}

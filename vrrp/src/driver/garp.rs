//! When a master announces its addresses again, as keepalived 2.2.7 does
//! (vrrp.c, `vrrp_state_become_master` and the `garp_*` timers):
//!
//! 1. On becoming master: `garp_master_repeat` announcements of every
//!    address at once (gratuitous ARP for IPv4, unsolicited neighbour
//!    advertisements for IPv6), `vrrp_garp_interval` /
//!    `vrrp_gna_interval` apart.
//! 2. `garp_master_delay` later (0: never), the same burst again, for
//!    neighbours that missed the first one.
//! 3. Every `garp_master_refresh` while master (0: never),
//!    `garp_master_refresh_repeat` announcements.
//!
//! Leaving master cancels what is pending. Pure: the driver passes the
//! time in and sends the bursts [`GarpTimers::due`] hands back.

use std::time::{Duration, Instant};

use crate::config::VrrpInstance;

/// One instance's announcement settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpPlan {
    /// `garp_master_delay`: the second burst after becoming master.
    pub delay: Duration,
    /// `garp_master_repeat`: announcements per burst.
    pub repeat: u32,
    /// `garp_master_refresh`: the period of refreshes while master.
    pub refresh: Duration,
    /// `garp_master_refresh_repeat`: announcements per refresh.
    pub refresh_repeat: u32,
}

impl GarpPlan {
    /// The settings of a keepalived.conf instance (global defaults already
    /// applied by the parser).
    pub fn of(instance: &VrrpInstance) -> GarpPlan {
        GarpPlan {
            delay: instance.garp_master_delay,
            repeat: instance.garp_master_repeat,
            refresh: instance.garp_master_refresh,
            refresh_repeat: instance.garp_master_refresh_repeat,
        }
    }
}

/// The pending delayed burst and refresh of one instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GarpTimers {
    delayed_at: Option<Instant>,
    refresh_at: Option<Instant>,
}

impl GarpTimers {
    /// The instance became master at `now`: the size of the burst to send
    /// at once; the delayed burst and the refreshes are scheduled.
    pub fn became_master(&mut self, plan: &GarpPlan, now: Instant) -> u32 {
        self.delayed_at = (!plan.delay.is_zero()).then(|| now + plan.delay);
        self.refresh_at = (!plan.refresh.is_zero()).then(|| now + plan.refresh);
        plan.repeat
    }

    /// The instance left master: nothing more is sent.
    pub fn left_master(&mut self) {
        *self = GarpTimers::default();
    }

    /// When [`GarpTimers::due`] has something next.
    pub fn next(&self) -> Option<Instant> {
        match (self.delayed_at, self.refresh_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The announcements due at `now` (0: none); the refresh is
    /// rescheduled one period on.
    pub fn due(&mut self, plan: &GarpPlan, now: Instant) -> u32 {
        let mut count = 0;
        if self.delayed_at.is_some_and(|at| at <= now) {
            self.delayed_at = None;
            count += plan.repeat;
        }
        if let Some(at) = self.refresh_at.filter(|at| *at <= now) {
            // Catch up without a burst per missed period.
            let mut next = at + plan.refresh;
            while next <= now {
                next += plan.refresh;
            }
            self.refresh_at = Some(next);
            count += plan.refresh_repeat;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(delay: u64, refresh: u64) -> GarpPlan {
        GarpPlan {
            delay: Duration::from_secs(delay),
            repeat: 5,
            refresh: Duration::from_secs(refresh),
            refresh_repeat: 2,
        }
    }

    #[test]
    fn a_burst_at_once_and_another_after_the_delay() {
        let p = plan(5, 0);
        let t0 = Instant::now();
        let mut timers = GarpTimers::default();
        assert_eq!(timers.became_master(&p, t0), 5);
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(5)));
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(4)), 0);
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(5)), 5);
        assert_eq!(timers.next(), None);
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(60)), 0);
    }

    #[test]
    fn refreshes_every_period_while_master_and_stop_when_leaving() {
        let p = plan(0, 10);
        let t0 = Instant::now();
        let mut timers = GarpTimers::default();
        timers.became_master(&p, t0);
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(10)), 2);
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(20)));
        // Late by two periods: one refresh, the next one period after.
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(41)), 2);
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(50)));
        timers.left_master();
        assert_eq!(timers.next(), None);
        assert_eq!(timers.due(&p, t0 + Duration::from_secs(100)), 0);
    }

    #[test]
    fn no_delay_no_refresh_means_one_burst() {
        let p = plan(0, 0);
        let mut timers = GarpTimers::default();
        assert_eq!(timers.became_master(&p, Instant::now()), 5);
        assert_eq!(timers.next(), None);
    }
}

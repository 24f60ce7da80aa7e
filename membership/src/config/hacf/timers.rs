//! The liveness timers of ha.cf, their defaults and how they must relate.
//!
//! Defaults are heartbeat 3.0.6's: keepalive 1 s, deadtime 30 s, warntime
//! half the deadtime, and initdead the deadtime when that is over 10 s,
//! 12 s when it is under 6 s, else twice the deadtime.
//!
//! heartbeat refuses a deadtime that is not more than twice the keepalive,
//! and an initdead below the deadtime; so do we. heartbeat takes any
//! positive warntime (`set_warntime_ms`, config.c). A warntime not below the
//! deadtime is a warning here and runs as heartbeat runs it: a node is
//! declared dead before its heartbeat could be late, so no late heartbeat
//! is ever reported. A warntime not above the keepalive is refused, since it
//! would report every heartbeat as late. Short timers are fine (keepalive 100ms with
//! deadtime 500ms is valid); heartbeat's "initdead should be >= 10 s" is
//! advice, not a rule.
//!
//! Ours: a keepalive below [`MIN_KEEPALIVE`] is refused (the loop does not
//! keep a shorter interval reliably), and a deadtime that leaves fewer than
//! [`SAFE_MARGIN`] keepalives of margin after the heartbeat that is due is a
//! warning: a short burst of loss or delay would then be a false takeover.

use std::time::Duration;

use ha_conf::{ConfigError, ConfigWarning, Line, Source};

use super::setting::Setting;
use crate::config::time::describe_time;

/// heartbeat's default keepalive.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(1);

/// heartbeat's default deadtime.
pub const DEFAULT_DEADTIME: Duration = Duration::from_secs(30);

/// The shortest keepalive ha-node accepts: the membership loop keeps a 10 ms
/// schedule within 1 %; below 5 ms the scheduler's own latency is a large
/// part of every interval.
pub const MIN_KEEPALIVE: Duration = Duration::from_millis(5);

/// The margin, in keepalives, that deadtime should leave after the
/// heartbeat that is due (deadtime ≥ (1 + SAFE_MARGIN) × keepalive).
pub const SAFE_MARGIN: u32 = 3;

/// The timer directives as read from the file.
#[derive(Debug, Default)]
pub(super) struct TimerLines<'s> {
    pub keepalive: Setting<'s, Duration>,
    pub warntime: Setting<'s, Duration>,
    pub deadtime: Setting<'s, Duration>,
    pub initdead: Setting<'s, Duration>,
}

/// The timers in effect, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timers {
    pub keepalive: Duration,
    pub warntime: Duration,
    pub deadtime: Duration,
    pub initdead: Duration,
}

/// The default warntime: half the deadtime, rounded up to a whole millisecond
/// (heartbeat rounds down; rounding up keeps it above the keepalive).
pub(super) fn default_warntime(deadtime: Duration) -> Duration {
    let millis = u64::try_from(deadtime.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(millis.div_ceil(2))
}

/// The default initdead, computed from the deadtime as heartbeat does.
pub(super) fn default_initdead(deadtime: Duration) -> Duration {
    if deadtime > Duration::from_secs(10) {
        deadtime
    } else if deadtime < Duration::from_secs(6) {
        Duration::from_secs(12)
    } else {
        deadtime * 2
    }
}

impl<'s> TimerLines<'s> {
    /// The timers in effect; complaints about how they relate go to `errors`,
    /// each at the line of the directive to change.
    ///
    /// When a timer's own value was refused, the relations are not checked:
    /// the first complaint says all there is to say. Advice (a thin margin)
    /// goes to `warnings`.
    pub fn resolve(
        &self,
        source: &Source,
        errors: &mut Vec<ConfigError>,
        warnings: &mut Vec<ConfigWarning>,
    ) -> Timers {
        let keepalive = *self.keepalive.value().unwrap_or(&DEFAULT_KEEPALIVE);
        let deadtime = *self.deadtime.value().unwrap_or(&DEFAULT_DEADTIME);
        let warntime = self.warntime.value().copied();
        let initdead = self.initdead.value().copied();
        let timers = Timers {
            keepalive,
            deadtime,
            warntime: warntime.unwrap_or_else(|| default_warntime(deadtime)),
            initdead: initdead.unwrap_or_else(|| default_initdead(deadtime)),
        };
        let any_invalid = [
            &self.keepalive,
            &self.warntime,
            &self.deadtime,
            &self.initdead,
        ]
        .iter()
        .any(|setting| setting.is_invalid());
        if !any_invalid {
            errors.extend(self.check_keepalive(&timers));
            errors.extend(self.check_deadtime(source, &timers));
            errors.extend(self.check_warntime(&timers));
            warnings.extend(self.check_warntime_below_deadtime(&timers));
            errors.extend(self.check_initdead(&timers));
            if errors.is_empty() {
                warnings.extend(self.check_margin(source, &timers));
            }
        }
        timers
    }

    /// A keepalive the loop cannot keep is refused.
    fn check_keepalive(&self, t: &Timers) -> Option<ConfigError> {
        let line = self.keepalive.line()?;
        (t.keepalive < MIN_KEEPALIVE).then(|| {
            line.error(format!(
                "keepalive ({}) is below {}, the shortest interval ha-node keeps",
                describe_time(t.keepalive),
                describe_time(MIN_KEEPALIVE)
            ))
        })
    }

    /// Fewer than [`SAFE_MARGIN`] keepalives between the heartbeat that is
    /// due and the deadtime is a warning, at the deadtime's line (or the
    /// keepalive's, or the file's).
    fn check_margin(&self, source: &Source, t: &Timers) -> Option<ConfigWarning> {
        if t.deadtime >= t.keepalive * (1 + SAFE_MARGIN) {
            return None;
        }
        let margin =
            t.deadtime.saturating_sub(t.keepalive).as_secs_f64() / t.keepalive.as_secs_f64();
        let text = format!(
            "deadtime ({}) leaves {margin:.1} keepalives ({}) of margin after the heartbeat \
             that is due: a short burst of loss or delay is a false takeover; {SAFE_MARGIN} or \
             more (deadtime of at least {}) is safer",
            describe_time(t.deadtime),
            describe_time(t.keepalive),
            describe_time(t.keepalive * (1 + SAFE_MARGIN))
        );
        Some(match (self.deadtime.line(), self.keepalive.line()) {
            (Some(line), _) | (None, Some(line)) => line.warning(text),
            (None, None) => ConfigWarning {
                location: source.error(String::new()).location,
                message: text,
            },
        })
    }

    /// deadtime must be more than twice the keepalive (heartbeat's rule).
    fn check_deadtime(&self, source: &Source, t: &Timers) -> Option<ConfigError> {
        if t.deadtime > t.keepalive * 2 {
            return None;
        }
        let (keepalive, deadtime) = (describe_time(t.keepalive), describe_time(t.deadtime));
        let error = match (self.deadtime.line(), self.keepalive.line()) {
            (Some(line), _) => line.error(format!(
                "deadtime ({deadtime}) must be more than twice keepalive ({keepalive})"
            )),
            (None, Some(line)) => line.error(format!(
                "keepalive ({keepalive}) must be less than half of deadtime \
                 ({deadtime} by default)"
            )),
            (None, None) => source.error(format!(
                "deadtime ({deadtime}) must be more than twice keepalive ({keepalive})"
            )),
        };
        Some(error)
    }

    /// A given warntime must be greater than the keepalive.
    fn check_warntime(&self, t: &Timers) -> Option<ConfigError> {
        let line: Line<'_> = self.warntime.line()?;
        let warntime = describe_time(t.warntime);
        if t.warntime <= t.keepalive {
            let keepalive = describe_time(t.keepalive);
            return Some(line.error(format!(
                "warntime ({warntime}) must be greater than keepalive ({keepalive})"
            )));
        }
        None
    }

    /// A given warntime not below the deadtime never fires: a warning.
    fn check_warntime_below_deadtime(&self, t: &Timers) -> Option<ConfigWarning> {
        let line: Line<'_> = self.warntime.line()?;
        (t.warntime >= t.deadtime).then(|| {
            line.warning(format!(
                "warntime ({}) is not less than deadtime ({}): a node is declared dead \
                 before its heartbeat is reported late, so no late heartbeat is reported",
                describe_time(t.warntime),
                describe_time(t.deadtime)
            ))
        })
    }

    /// A given initdead must be at least the deadtime (heartbeat's rule).
    fn check_initdead(&self, t: &Timers) -> Option<ConfigError> {
        let line = self.initdead.line()?;
        if t.initdead >= t.deadtime {
            return None;
        }
        Some(line.error(format!(
            "initdead ({}) must be at least deadtime ({})",
            describe_time(t.initdead),
            describe_time(t.deadtime)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_heartbeat() {
        assert_eq!(
            default_warntime(Duration::from_secs(30)),
            Duration::from_secs(15)
        );
        assert_eq!(
            default_warntime(Duration::from_millis(501)),
            Duration::from_millis(251)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(11)),
            Duration::from_secs(11)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(10)),
            Duration::from_secs(20)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(6)),
            Duration::from_secs(12)
        );
        assert_eq!(
            default_initdead(Duration::from_millis(5999)),
            Duration::from_secs(12)
        );
        assert_eq!(
            default_initdead(Duration::from_millis(500)),
            Duration::from_secs(12)
        );
    }

    #[test]
    fn defaulted_timers_always_relate_properly() {
        // Whatever deadtime passes the keepalive rule, the defaults derived
        // from it pass the warntime and initdead rules.
        for keepalive_ms in 1..40u64 {
            for deadtime_ms in (2 * keepalive_ms + 1)..(2 * keepalive_ms + 40) {
                let deadtime = Duration::from_millis(deadtime_ms);
                let warntime = default_warntime(deadtime);
                assert!(warntime > Duration::from_millis(keepalive_ms));
                assert!(warntime < deadtime);
                assert!(default_initdead(deadtime) >= deadtime);
            }
        }
    }
}

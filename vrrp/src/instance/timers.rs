//! The protocol's timers, as pure functions of the version, the priority
//! and the master's advertisement interval.
//!
//! - VRRPv3 (RFC 5798 §6.1): Skew_Time = ((256 - Priority) ×
//!   Master_Adver_Interval) / 256, Master_Down_Interval = 3 ×
//!   Master_Adver_Interval + Skew_Time, where Master_Adver_Interval is
//!   the interval the master advertises.
//! - VRRPv2 (RFC 3768 §6.1): Skew_Time = (256 - Priority) / 256 seconds,
//!   Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time.
//!
//! keepalived 2.2.7 computes the same (`VRRP_TIMER_SKEW` and
//! `VRRP_MS_DOWN_TIMER`, include/vrrp.h:433-436, in microseconds: for v3
//! `(pri × centiseconds × 625) / 16`).

use std::time::Duration;

use crate::packet::Version;

/// How many adverts a backup misses before the master is declared down.
pub const DOWN_ADVERTS: u32 = 3;

/// The skew time of a router of `priority` under a master advertising
/// every `master_interval`.
pub fn skew_time(version: Version, priority: u8, master_interval: Duration) -> Duration {
    let weight = 256 - u32::from(priority);
    match version {
        Version::V3 => master_interval * weight / 256,
        Version::V2 => Duration::from_secs(1) * weight / 256,
    }
}

/// The master-down interval of a router of `priority` under a master
/// advertising every `master_interval`.
pub fn master_down_interval(version: Version, priority: u8, master_interval: Duration) -> Duration {
    master_interval * DOWN_ADVERTS + skew_time(version, priority, master_interval)
}

/// How long a router configured `state MASTER` (below priority 255)
/// waits as backup at start-up for a better master: one interval and the
/// smallest skew (keepalived, vrrp_scheduler.c:247-249).
pub fn start_as_master_wait(version: Version, interval: Duration) -> Duration {
    interval + skew_time(version, 255, interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_values() {
        let second = Duration::from_secs(1);
        // RFC 5798: priority 100, 1 s: skew 156/256 s, down 3.609375 s.
        assert_eq!(
            skew_time(Version::V3, 100, second),
            Duration::from_micros(609_375)
        );
        assert_eq!(
            master_down_interval(Version::V3, 100, second),
            Duration::from_micros(3_609_375)
        );
        // v3 scales with the master's interval; v2 does not.
        let tenth = Duration::from_millis(100);
        assert_eq!(
            skew_time(Version::V3, 100, tenth),
            Duration::from_micros(60_937) + Duration::from_nanos(500)
        );
        assert_eq!(
            skew_time(Version::V2, 100, tenth),
            Duration::from_micros(609_375)
        );
        assert_eq!(
            skew_time(Version::V3, 255, second),
            Duration::from_micros(3_906) + Duration::from_nanos(250)
        );
        assert_eq!(
            start_as_master_wait(Version::V2, second),
            Duration::from_micros(1_003_906) + Duration::from_nanos(250)
        );
    }
}

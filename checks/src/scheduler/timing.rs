//! When checks run: the first check of each real server at a random phase
//! within its interval (so that thousands of servers configured at once do
//! not fire together), and each later one an interval after the previous
//! one started, moved by a small random jitter — but never before the
//! previous check has finished.

use std::time::{Duration, Instant};

use ha_net::rng::Rng;

/// The delay before a job's first check: uniform over `[0, interval)` when
/// spreading, else none.
pub fn first_delay(rng: &mut Rng, interval: Duration, spread: bool) -> Duration {
    if spread {
        interval.mul_f64(rng.next_f64())
    } else {
        Duration::ZERO
    }
}

/// The start of the next check: `started + interval`, moved by up to
/// ± `jitter` × interval, and not before `finished`.
pub fn next_start(
    rng: &mut Rng,
    started: Instant,
    finished: Instant,
    interval: Duration,
    jitter: f64,
) -> Instant {
    let jitter = jitter.clamp(0.0, 0.5);
    let swing = interval.mul_f64(jitter);
    let offset = swing.mul_f64(rng.next_f64() * 2.0);
    let base = started + interval;
    let planned = base.checked_sub(swing).map_or(base, |early| early + offset);
    planned.max(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_delays_cover_the_interval() {
        let mut rng = Rng::seeded(7);
        let interval = Duration::from_secs(10);
        let delays: Vec<Duration> = (0..1000)
            .map(|_| first_delay(&mut rng, interval, true))
            .collect();
        assert!(delays.iter().all(|d| *d < interval));
        let early = delays
            .iter()
            .filter(|d| **d < Duration::from_secs(5))
            .count();
        assert!((400..600).contains(&early), "{early}");
        assert_eq!(first_delay(&mut rng, interval, false), Duration::ZERO);
    }

    #[test]
    fn next_start_stays_within_the_jitter_and_after_the_finish() {
        let mut rng = Rng::seeded(3);
        let start = Instant::now();
        let interval = Duration::from_secs(1);
        let mut min = Duration::MAX;
        let mut max = Duration::ZERO;
        for _ in 0..1000 {
            let next = next_start(&mut rng, start, start, interval, 0.1) - start;
            min = min.min(next);
            max = max.max(next);
        }
        assert!(
            min >= Duration::from_millis(900) && min < Duration::from_millis(920),
            "{min:?}"
        );
        assert!(
            max <= Duration::from_millis(1100) && max > Duration::from_millis(1080),
            "{max:?}"
        );
        let late = start + Duration::from_secs(5);
        assert_eq!(next_start(&mut rng, start, late, interval, 0.1), late);
        assert_eq!(
            next_start(&mut rng, start, start, interval, 0.0),
            start + interval
        );
    }
}

//! How a simulated link treats the datagrams it carries: how many it loses
//! and how long each takes.

use std::time::Duration;

use ha_net::rng::Rng;

/// The behaviour of one direction of a simulated link.
///
/// The default is a perfect link: no loss, no delay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    loss: f64,
    min_delay: Duration,
    max_delay: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig::perfect()
    }
}

impl LinkConfig {
    /// A link that loses nothing and delivers at once.
    pub const fn perfect() -> Self {
        LinkConfig {
            loss: 0.0,
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The same link losing each datagram with probability `loss`, clamped
    /// to `0.0..=1.0` (NaN counts as 0: no loss).
    pub fn with_loss(self, loss: f64) -> Self {
        let loss = if loss.is_nan() {
            0.0
        } else {
            loss.clamp(0.0, 1.0)
        };
        LinkConfig { loss, ..self }
    }

    /// The same link delaying each datagram by a uniformly drawn time between
    /// the two bounds, inclusive (given in either order).
    pub fn with_delay(self, a: Duration, b: Duration) -> Self {
        LinkConfig {
            min_delay: a.min(b),
            max_delay: a.max(b),
            ..self
        }
    }

    /// The probability of losing a datagram.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// The shortest and the longest delay.
    pub fn delay_range(&self) -> (Duration, Duration) {
        (self.min_delay, self.max_delay)
    }

    /// Draws the fate of one datagram: `None` if lost, else its delay.
    pub(crate) fn draw(&self, rng: &mut Rng) -> Option<Duration> {
        // Always draw both numbers so one link's settings do not shift the
        // sequence another link sees.
        let lost = rng.next_f64() < self.loss;
        let span = self.max_delay - self.min_delay;
        let span_nanos = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        let extra = Duration::from_nanos(rng.up_to(span_nanos));
        (!lost).then(|| self.min_delay + extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_clamped_and_delays_are_ordered() {
        let link = LinkConfig::perfect()
            .with_loss(1.5)
            .with_delay(Duration::from_millis(9), Duration::from_millis(2));
        assert_eq!(link.loss(), 1.0);
        assert_eq!(
            link.delay_range(),
            (Duration::from_millis(2), Duration::from_millis(9))
        );
        assert_eq!(LinkConfig::perfect().with_loss(-1.0).loss(), 0.0);
        assert_eq!(LinkConfig::perfect().with_loss(f64::NAN).loss(), 0.0);
    }

    #[test]
    fn certain_loss_loses_everything_and_no_loss_nothing() {
        let mut rng = Rng::seeded(5);
        let lossy = LinkConfig::perfect().with_loss(1.0);
        let perfect = LinkConfig::perfect();
        for _ in 0..1000 {
            assert_eq!(lossy.draw(&mut rng), None);
            assert_eq!(perfect.draw(&mut rng), Some(Duration::ZERO));
        }
    }
}

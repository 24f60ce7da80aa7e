//! A tiny pseudo-random generator (SplitMix64) for jitter and protocol
//! identifiers. Not for secrets. Seeded from the standard library's
//! per-process random hash keys, so no extra dependency is needed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator with an unpredictable seed.
    pub fn new() -> Rng {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        Rng::seeded(hasher.finish())
    }

    /// A generator with a fixed seed (reproducible sequences in tests).
    pub fn seeded(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number uniformly spread over `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Default for Rng {
    fn default() -> Rng {
        Rng::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_over_the_unit_interval() {
        let mut rng = Rng::seeded(1);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            buckets[(x * 10.0) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&b| (800..1200).contains(&b)),
            "{buckets:?}"
        );
        assert_ne!(Rng::new().next_u64(), Rng::new().next_u64());
    }
}

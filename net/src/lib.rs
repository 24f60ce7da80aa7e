//! Host networking primitives, at the bottom of the workspace: no other
//! crate of ours below it.
//!
//! - [`rng`]: a seeded pseudo-random generator (SplitMix64) for jitter,
//!   identifiers and simulations.

pub mod rng;

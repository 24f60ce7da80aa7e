//! Criterion benchmarks of the suite; see `benches/`.

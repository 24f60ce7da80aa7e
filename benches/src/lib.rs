//! Shared pieces of the suite's benchmarks (the benchmarks themselves are
//! in `benches/`): what the check-cost benchmark's engine process reports
//! about a measuring window, and how latency percentiles are taken.

#![forbid(unsafe_code)]

pub mod check_report;

#![no_main]
//! Fuzz target: bytes through the parser of `/proc/net/ip_vs_stats`.
//!
//! Parsing may refuse the text but must never panic, and a text it accepts
//! must write back to totals that read the same.

use ha_ipvs::proc_stats;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(stats) = proc_stats::parse(&text, "fuzz") {
        assert_eq!(proc_stats::parse(&stats.to_string(), "fuzz"), Ok(stats));
    }
});

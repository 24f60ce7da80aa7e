#![no_main]
//! Fuzz target: ha_cf (to be written).
use libfuzzer_sys::fuzz_target;
fuzz_target!(|_data: &[u8]| {});

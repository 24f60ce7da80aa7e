#![no_main]
//! Fuzz target: haresources (to be written).
use libfuzzer_sys::fuzz_target;
fuzz_target!(|_data: &[u8]| {});

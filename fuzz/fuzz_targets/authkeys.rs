#![no_main]
//! Fuzz target: authkeys parsing.
//!
//! Any bytes (read as UTF-8, invalid sequences replaced) must be parsed or
//! refused without a panic, and whatever parses must render to text that
//! parses back to the same keys.

use ha_conf::Source;
use ha_membership::config::{parse_authkeys, render_authkeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(keys) = parse_authkeys(&Source::new("authkeys", text)) {
        let rendered = Source::new("authkeys", render_authkeys(&keys));
        assert_eq!(parse_authkeys(&rendered), Ok(keys));
    }
});

#![no_main]
//! Fuzz target: ha.cf parsing.
//!
//! Any bytes (read as UTF-8, invalid sequences replaced) must be parsed or
//! refused without a panic, and whatever parses must render to text that
//! parses back to the same configuration.

use ha_conf::Source;
use ha_membership::config::parse_ha_cf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(config) = parse_ha_cf(&Source::new("ha.cf", text)) {
        let rendered = Source::new("ha.cf", config.render());
        assert_eq!(parse_ha_cf(&rendered), Ok(config));
    }
});

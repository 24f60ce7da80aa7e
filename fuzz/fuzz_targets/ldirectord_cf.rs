#![no_main]
//! Fuzz target: ldirectord.cf parsing.
//!
//! Any bytes (read as UTF-8, invalid sequences replaced) must be parsed or
//! refused without a panic, and whatever parses must render to text that
//! parses back to the same configuration, with nothing to apply between
//! the two.

use ha_checks::config::{diff, parse};
use ha_conf::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(config) = parse(&Source::new("ldirectord.cf", text)) {
        let rendered = config.render();
        let again = parse(&Source::new("ldirectord.cf", rendered.clone()));
        assert_eq!(again.as_ref().ok(), Some(&config), "rendered:\n{rendered}");
        if let Ok(again) = again {
            assert!(diff(&config, &again).is_empty());
        }
    }
});

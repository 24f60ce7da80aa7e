#![no_main]
//! Fuzz target: keepalived.conf parsing.
//!
//! Any bytes (read as UTF-8, invalid sequences replaced) must be parsed or
//! refused without a panic, and whatever parses must render to text that
//! parses back to the same configuration. Includes are refused (the text
//! has no directory), so the target reads no file.

use ha_conf::Source;
use ha_vrrp::config::{parse_with, NoIncludes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(conf) = parse_with(&Source::new("keepalived.conf", text), &mut NoIncludes) {
        let rendered = Source::new("keepalived.conf", conf.render());
        assert_eq!(parse_with(&rendered, &mut NoIncludes), Ok(conf));
    }
});

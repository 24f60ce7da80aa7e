#![no_main]
//! Fuzz target: the monitoring file. Any text parses to a model or to
//! located errors without panicking; what parses renders to text that
//! parses the same way, and checking it against a haresources file never
//! panics either.
use ha_conf::Source;
use ha_resources::haresources::parse_haresources;
use ha_resources::monitoring::parse_monitoring;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_monitoring(&Source::new("monitoring", text)) {
        Ok(parsed) => {
            let haresources = parse_haresources(&Source::new("haresources", "n 10.0.0.1 httpd\n"))
                .expect("haresources parses");
            let _ = parsed.check_resources(&haresources);
            for line in &parsed.resources {
                let _ = parsed.plan(&line.resource);
            }
            let again = parse_monitoring(&Source::new("monitoring", parsed.render()))
                .expect("rendered monitoring parses");
            assert_eq!(again.defaults, parsed.defaults);
            let words = |m: &ha_resources::monitoring::Monitoring| -> Vec<_> {
                m.resources.iter().map(|r| (r.resource.clone(), r.settings)).collect()
            };
            assert_eq!(words(&again), words(&parsed));
        }
        Err(errors) => {
            assert!(!errors.errors().is_empty());
            assert!(errors.errors().iter().all(|e| e.location.line >= 1));
        }
    }
});

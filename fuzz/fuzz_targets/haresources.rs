#![no_main]
//! Fuzz target: haresources. Any text parses to a model or to located
//! errors without panicking; what parses renders to text that parses the
//! same way, and the resolver (over directories that do not exist) and the
//! node check never panic either.
use ha_conf::Source;
use ha_resources::haresources::parse_haresources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_haresources(&Source::new("haresources", text)) {
        Ok(parsed) => {
            let nowhere = std::path::Path::new("/nonexistent/ha-fuzz");
            let resolver = ha_resources::Resolver {
                config_dir: nowhere.join("ha.d"),
                init_dir: nowhere.join("init.d"),
                ocf_root: nowhere.join("ocf"),
                director: nowhere.join("lvs-director"),
                ipvsadm: nowhere.join("ipvsadm"),
            };
            let _ = resolver.resolve_all(&parsed);
            let _ = parsed.check_nodes(&["node1".to_string()]);
            let again = parse_haresources(&Source::new("haresources", parsed.render()))
                .expect("rendered haresources parses");
            let words = |h: &ha_resources::Haresources| -> Vec<(String, String)> {
                h.groups.iter().map(|g| (g.preferred_node.clone(), g.id())).collect()
            };
            assert_eq!(words(&again), words(&parsed));
        }
        Err(errors) => {
            assert!(!errors.errors().is_empty());
            assert!(errors.errors().iter().all(|e| e.location.line >= 1));
        }
    }
});

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::haresources::parse_haresources;
use proptest::prelude::*;

fn parse(text: &str) -> Result<Monitoring, String> {
    parse_monitoring(&Source::new("monitoring", text)).map_err(|e| e.to_string())
}

#[test]
fn a_default_line_and_resource_lines_give_each_resource_its_plan() {
    let parsed = parse(
        "# monitoring\n\
         default interval=10s timeout=20s migration-threshold=2 failure-timeout=60s\n\
         \n\
         IPaddr::10.0.0.1/24/eth0 interval=500ms\n\
         httpd \\\n  timeout=5 # continued\n\
         ocf:heartbeat:Dummy interval=meta-data failure-timeout=0\n",
    )
    .unwrap();
    assert_eq!(
        parsed.plan("IPaddr::10.0.0.1/24/eth0"),
        Some(Plan {
            interval: Interval::Every(Duration::from_millis(500)),
            timeout: Duration::from_secs(20),
            migration_threshold: 2,
            failure_timeout: Some(Duration::from_secs(60)),
        })
    );
    let httpd = parsed.plan("httpd").unwrap();
    assert_eq!(httpd.interval, Interval::Every(Duration::from_secs(10)));
    assert_eq!(httpd.timeout, Duration::from_secs(5));
    assert_eq!(parsed.resources[1].location.line, 5);
    let dummy = parsed.plan("ocf:heartbeat:Dummy").unwrap();
    assert_eq!(dummy.interval, Interval::MetaData);
    assert_eq!(dummy.failure_timeout, None);
    assert_eq!(parsed.plan("10.0.0.9"), None);
}

#[test]
fn an_ocf_resource_with_parameters_is_a_resource_word() {
    let word = "ocf:heartbeat:IPaddr2::ip=10.0.0.2::cidr_netmask=24";
    let parsed = parse(&format!("default interval=1s\n{word}\n")).unwrap();
    assert_eq!(
        parsed.plan(word).map(|p| p.interval),
        Some(Interval::Every(Duration::from_secs(1)))
    );
}

#[test]
fn built_in_defaults_fill_what_no_line_sets() {
    let parsed = parse("httpd interval=3s\n").unwrap();
    assert_eq!(
        parsed.plan("httpd"),
        Some(Plan {
            interval: Interval::Every(Duration::from_secs(3)),
            timeout: DEFAULT_TIMEOUT,
            migration_threshold: DEFAULT_MIGRATION_THRESHOLD,
            failure_timeout: Some(DEFAULT_FAILURE_TIMEOUT),
        })
    );
}

#[test]
fn bad_keys_values_and_lines_are_refused_at_their_line() {
    let errors = parse(
        "default interval=10x\n\
         httpd speed=3\n\
         httpd timeout=0\n\
         interval=3s\n\
         httpd migration-threshold=many interval\n",
    )
    .unwrap_err();
    assert_eq!(
        errors,
        "monitoring:1: interval: '10x' is no duration: unknown unit 'x' (ms, s, m, h)\n\
         monitoring:2: unknown key 'speed' (expected interval, timeout, migration-threshold, \
         failure-timeout)\n\
         monitoring:3: timeout: must be above 0\n\
         monitoring:4: 'interval=3s': a line starts with 'default' or a resource word of \
         haresources\n\
         monitoring:5: migration-threshold: 'many' is no count (0, 1, 2…)\n\
         monitoring:5: 'interval': expected KEY=VALUE"
    );
}

#[test]
fn a_word_haresources_lacks_or_a_resource_without_interval_is_refused() {
    let haresources = parse_haresources(&Source::new(
        "haresources",
        "node-a 10.0.0.1 httpd\nnode-b IPaddr::10.0.0.2/24/eth0\n",
    ))
    .unwrap();
    let monitoring = parse_monitoring(&Source::new(
        "monitoring",
        "httpd interval=2s\nIPaddr::10.0.0.2/24\n10.0.0.1 timeout=3s\n",
    ))
    .unwrap();
    assert_eq!(
        monitoring
            .check_resources(&haresources)
            .unwrap_err()
            .to_string(),
        "monitoring:2: 'IPaddr::10.0.0.2/24' is no resource of haresources (write it exactly \
         as there)\n\
         monitoring:3: '10.0.0.1' has no interval (set interval= on it or on the default line)"
    );
}

#[test]
fn durations_read_in_every_unit_and_render_back() {
    assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert!(parse_duration("s").is_err());
    assert!(parse_duration("99999999999999999999").is_err());
    assert_eq!(render_duration(Duration::from_millis(1500)), "1500ms");
    assert_eq!(render_duration(Duration::from_secs(3)), "3s");
}

fn duration() -> impl Strategy<Value = Duration> {
    (1u64..10_000_000).prop_map(Duration::from_millis)
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        proptest::option::of(prop_oneof![
            duration().prop_map(Interval::Every),
            Just(Interval::MetaData)
        ]),
        proptest::option::of(duration()),
        proptest::option::of(0u32..100),
        proptest::option::of(duration()),
    )
        .prop_map(
            |(interval, timeout, migration_threshold, failure_timeout)| Settings {
                interval,
                timeout,
                migration_threshold,
                failure_timeout,
            },
        )
}

proptest! {
    #[test]
    fn what_renders_parses_back_the_same(
        defaults in settings(),
        lines in proptest::collection::vec(("[a-zA-Z0-9:/._-]{1,20}", settings()), 0..6),
    ) {
        let model = Monitoring {
            defaults,
            resources: lines
                .into_iter()
                .filter(|(word, _)| word != "default")
                .map(|(resource, settings)| ResourceMonitoring {
                    location: Location { path: std::sync::Arc::from(std::path::Path::new("monitoring")), line: 0 },
                    resource,
                    settings,
                })
                .collect(),
        };
        let parsed = parse_monitoring(&Source::new("monitoring", model.render())).unwrap();
        prop_assert_eq!(parsed.defaults, model.defaults);
        let words = |m: &Monitoring| -> Vec<(String, Settings)> {
            m.resources.iter().map(|r| (r.resource.clone(), r.settings)).collect()
        };
        prop_assert_eq!(words(&parsed), words(&model));
    }

    #[test]
    fn any_text_parses_or_is_refused_at_a_line(text in "[ -~\n\\\\=#]{0,200}") {
        if let Err(errors) = parse_monitoring(&Source::new("monitoring", text)) {
            prop_assert!(errors.errors().iter().all(|e| e.location.line >= 1));
        }
    }
}

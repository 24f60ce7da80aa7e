//! Unit and property tests of the haresources parser.

use super::*;
use proptest::prelude::*;

fn parse(text: &str) -> Result<Haresources, ConfigErrors> {
    parse_haresources(&Source::new("/etc/ha.d/haresources", text))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(parsed) => panic!("expected errors, parsed {parsed:?}"),
        Err(errors) => errors.errors().iter().map(ToString::to_string).collect(),
    }
}

/// The name and arguments of a resource.
fn split(resource: &ResourceSpec) -> (&str, Vec<&str>) {
    (
        resource.name.as_str(),
        resource.args.iter().map(String::as_str).collect(),
    )
}

#[test]
fn seed_line_splits_name_and_arguments() {
    let parsed =
        parse("# comment\nusvr-124 IPaddr::192.168.3.233/24/eth0 nginx\n").expect("parses");
    assert_eq!(parsed.groups.len(), 1);
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "usvr-124");
    assert_eq!(group.location.line, 2);
    assert_eq!(group.id(), "IPaddr::192.168.3.233/24/eth0 nginx");
    assert_eq!(
        split(&group.resources[0]),
        ("IPaddr", vec!["192.168.3.233/24/eth0"])
    );
    assert_eq!(split(&group.resources[1]), ("nginx", vec![]));
}

#[test]
fn seed_lvs_line_keeps_every_name_for_the_resolver() {
    let text = "\n#\nha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n";
    let parsed = parse(text).expect("parses");
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "ha-master");
    let names: Vec<&str> = group.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["IPaddr", "ipvsadm", "ldirectord"]);
    assert!(group.resources.iter().all(|r| r.location.line == 3));
}

#[test]
fn bare_address_is_ipaddr_and_arguments_split_on_double_colons() {
    let parsed = parse(
        "NODE1 10.0.0.5/255.255.255.0/eth1:3/10.0.0.255 Filesystem::/dev/sda1::/data1::ext2\n",
    )
    .expect("parses");
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "node1", "node names are lowercased");
    assert_eq!(
        split(&group.resources[0]),
        ("IPaddr", vec!["10.0.0.5/255.255.255.0/eth1:3/10.0.0.255"])
    );
    assert_eq!(
        group.resources[0].text,
        "10.0.0.5/255.255.255.0/eth1:3/10.0.0.255"
    );
    assert_eq!(
        split(&group.resources[1]),
        ("Filesystem", vec!["/dev/sda1", "/data1", "ext2"])
    );
    let more =
        parse("n 10.0.0.10::eth0 ocf:heartbeat:Dummy::state=/run/d::fake=a=b\n").expect("parses");
    assert_eq!(
        split(&more.groups[0].resources[0]),
        ("IPaddr", vec!["10.0.0.10", "eth0"]),
        "heartbeat reads a bare address with arguments as IPaddr::WORD"
    );
    assert_eq!(
        split(&more.groups[0].resources[1]),
        ("ocf:heartbeat:Dummy", vec!["state=/run/d", "fake=a=b"])
    );
}

#[test]
fn continuation_joins_lines_and_locates_each_resource() {
    let text = "node1 10.0.0.1 \\\n   httpd \\\n\tmysql # db\nnode2 10.0.0.2\n";
    let parsed = parse(text).expect("parses");
    assert_eq!(parsed.groups.len(), 2);
    let first = &parsed.groups[0];
    assert_eq!(first.id(), "10.0.0.1 httpd mysql");
    let lines: Vec<u32> = first.resources.iter().map(|r| r.location.line).collect();
    assert_eq!(lines, [1, 2, 3]);
    assert_eq!(parsed.groups[1].location.line, 4);
}

#[test]
fn continuation_joins_without_a_blank_like_heartbeat() {
    let parsed = parse("n http\\\nd\n").expect("parses");
    assert_eq!(parsed.groups[0].id(), "httpd");
}

#[test]
fn comment_backslash_does_not_continue() {
    let parsed = parse("n 10.0.0.1 # not continued \\\nm 10.0.0.2\n").expect("parses");
    assert_eq!(parsed.groups.len(), 2);
}

#[test]
fn every_error_names_file_line_and_expectation() {
    let text = [
        "k",                      // 1
        "IPaddr::10.0.0.9 httpd", // 2
        "l bad/name",             // 3
        "m x::::y",               // 4
        "q 10.0.0.12 \\ ",        // 5
        "r 10.0.0.13::",          // 6
        "s .hidden",              // 7
        "t ::x",                  // 8
    ]
    .join("\n");
    let found = errors(&text);
    let expected = [
        "/etc/ha.d/haresources:1: node 'k' has no resources; expected NODE RESOURCE [RESOURCE...]",
        "/etc/ha.d/haresources:2: 'IPaddr::10.0.0.9' looks like a resource, but a line starts with the name of the node that prefers the group: NODE RESOURCE...",
        "/etc/ha.d/haresources:3: 'bad/name' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
        "/etc/ha.d/haresources:4: 'x::::y' has an empty argument; arguments are separated by a single '::'",
        "/etc/ha.d/haresources:5: '\\' continues a line only as its very last character; remove the blanks (or comment) after it, or the '\\' itself",
        "/etc/ha.d/haresources:5: '\\' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
        "/etc/ha.d/haresources:6: '10.0.0.13::' has an empty argument; arguments are separated by a single '::'",
        "/etc/ha.d/haresources:7: '.hidden' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
        "/etc/ha.d/haresources:8: '' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
    ];
    // The continuation complaint is raised while joining, before the words
    // are read, so it comes first; compare as sets of lines.
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected_sorted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected_sorted.sort();
    assert_eq!(found_sorted, expected_sorted);
}

#[test]
fn argument_values_are_not_judged_here() {
    // What IPaddr makes of its argument is the resolver's business.
    let parsed = parse("a IPaddr::10.0.0.1/33\nb IPaddr\nc IPaddr2::x::y\n").expect("parses");
    let words: Vec<(&str, Vec<&str>)> = parsed
        .groups
        .iter()
        .map(|g| split(&g.resources[0]))
        .collect();
    assert_eq!(
        words,
        [
            ("IPaddr", vec!["10.0.0.1/33"]),
            ("IPaddr", vec![]),
            ("IPaddr2", vec!["x", "y"])
        ]
    );
}

#[test]
fn unfinished_continuation_at_end_of_file() {
    assert_eq!(
        errors("n 10.0.0.1 \\"),
        ["/etc/ha.d/haresources:1: the last line ends with '\\' but no line follows to continue it"]
    );
}

#[test]
fn duplicate_groups_and_shared_first_resource() {
    // Two resources managing one address are the resolver's to find.
    let text = "a 10.0.0.1 httpd\nb 10.0.0.1 httpd\nc 10.0.0.1 mysql\nd 10.0.0.2 IPaddr2::10.0.0.3\ne 10.0.0.4 IPaddr::10.0.0.3/24\n";
    assert_eq!(
        errors(text),
        [
            "/etc/ha.d/haresources:2: duplicate resource group: the same resources as on line 1",
            "/etc/ha.d/haresources:3: '10.0.0.1' already starts the group on line 1; heartbeat names a group by its first resource, so it must be unique",
        ]
    );
}

#[test]
fn preferred_nodes_must_be_cluster_nodes() {
    let parsed = parse("Alpha 10.0.0.1\ngamma 10.0.0.2\n").expect("parses");
    let nodes = vec!["alpha".to_string(), "BETA".to_string()];
    assert_eq!(
        parsed.check_nodes(&nodes).expect_err("gamma unknown").to_string(),
        "/etc/ha.d/haresources:2: preferred node 'gamma' is not a node of the cluster (ha.cf names: alpha, BETA)"
    );
    let both = vec!["ALPHA".to_string(), "gamma".to_string()];
    assert_eq!(parsed.check_nodes(&both), Ok(()));
}

#[test]
fn group_lookup_by_id() {
    let parsed = parse("a 10.0.0.1 httpd\nb IPaddr2::10.0.0.2/24\n").expect("parses");
    assert_eq!(
        parsed
            .group("IPaddr2::10.0.0.2/24")
            .map(|g| g.location.line),
        Some(2)
    );
    assert!(parsed.group("10.0.0.1").is_none());
}

#[test]
fn empty_and_comment_only_files_have_no_groups() {
    assert_eq!(parse("").expect("empty").groups, vec![]);
    assert_eq!(
        parse("# only\n   \n\t# more\n").expect("comments").groups,
        vec![]
    );
}

#[test]
fn isip_pattern_matches_heartbeat() {
    for yes in ["1.2.3.4", "10.0.0.1/24/eth0", "1a.2b.3c.4d", "9.9.9.9x"] {
        assert!(word::looks_like_ip(yes), "{yes}");
    }
    for no in ["a1.2.3.4", "1.2.3", "1.2.3.x", "httpd", "1..2.3"] {
        assert!(!word::looks_like_ip(no), "{no}");
    }
}

// ---- property tests ----

/// Resource words with the name and arguments the parser gives them.
fn resource_strategy() -> impl Strategy<Value = (String, (String, Vec<String>))> {
    let bare_ip = (
        (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254),
        prop::option::of(1u8..=32),
        prop::option::of("[a-z]{1,4}[0-9]{0,2}"),
    )
        .prop_map(|((a, b, c, d), prefix, interface)| {
            let mut text = format!("{a}.{b}.{c}.{d}");
            if let Some(prefix) = prefix {
                text.push_str(&format!("/{prefix}"));
                if let Some(interface) = interface {
                    text.push_str(&format!("/{interface}"));
                }
            }
            (text.clone(), ("IPaddr".to_string(), vec![text]))
        });
    let script = (
        "[a-zA-Z][a-zA-Z0-9_:-]{0,8}",
        prop::collection::vec("[a-zA-Z0-9/_.=-]{1,8}", 0..3),
    )
        .prop_map(|(name, args)| {
            let mut text = name.clone();
            for arg in &args {
                text.push_str("::");
                text.push_str(arg);
            }
            (text, (name, args))
        })
        .prop_filter("'::' inside a name splits it", |(_, (name, _))| {
            !name.contains("::") && !name.ends_with(':')
        });
    prop_oneof![bare_ip, script]
}

type Shape = Vec<(String, Vec<(String, (String, Vec<String>))>)>;

fn groups_strategy() -> impl Strategy<Value = Shape> {
    prop::collection::vec(
        (
            "[a-z][a-z0-9-]{0,8}",
            prop::collection::vec(resource_strategy(), 1..5),
        ),
        0..6,
    )
}

/// Drops locations, which render does not try to reproduce.
fn shape(haresources: &Haresources) -> Shape {
    haresources
        .groups
        .iter()
        .map(|g| {
            let resources = g
                .resources
                .iter()
                .map(|r| (r.text.clone(), (r.name.clone(), r.args.clone())))
                .collect();
            (g.preferred_node.clone(), resources)
        })
        .collect()
}

proptest! {
    #[test]
    fn render_then_parse_round_trips(groups in groups_strategy()) {
        // Unique first resources are required; keep the first of each.
        let mut seen_first = std::collections::HashSet::new();
        let mut kept = Vec::new();
        for (node, resources) in groups {
            if !seen_first.insert(resources[0].0.clone()) {
                continue;
            }
            kept.push((node, resources));
        }
        let source = Source::new("haresources", "");
        let model = Haresources {
            groups: kept.iter().map(|(node, resources)| GroupSpec {
                location: source.error("").location,
                preferred_node: node.clone(),
                resources: resources.iter().map(|(text, (name, args))| ResourceSpec {
                    location: source.error("").location,
                    text: text.clone(),
                    name: name.clone(),
                    args: args.clone(),
                }).collect(),
            }).collect(),
        };
        let text = model.render();
        let parsed = parse_haresources(&Source::new("haresources", text.clone()));
        prop_assert!(parsed.is_ok(), "{text:?}: {parsed:?}");
        let parsed = parsed.unwrap_or(Haresources { groups: vec![] });
        prop_assert_eq!(shape(&parsed), kept);
        for (line, group) in parsed.groups.iter().enumerate() {
            prop_assert_eq!(group.location.line as usize, line + 1);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,300}") {
        let _ = parse_haresources(&Source::new("f", text));
    }

    #[test]
    fn haresources_like_text_never_panics(
        lines in prop::collection::vec("[a-z0-9 .:/\\\\#+-]{0,40}", 0..8)
    ) {
        let text = lines.join("\n");
        if let Ok(parsed) = parse_haresources(&Source::new("f", text)) {
            // Whatever parses renders to text that parses the same way.
            let again = parse_haresources(&Source::new("f", parsed.render()));
            prop_assert_eq!(again.map(|h| shape(&h)).ok(), Some(shape(&parsed)));
        }
    }
}

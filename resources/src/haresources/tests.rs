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

fn ip(style: IpAddrStyle, address: [u8; 4]) -> IpAddrSpec {
    IpAddrSpec {
        style,
        address: Ipv4Addr::from(address),
        prefix: None,
        interface: None,
        label: None,
        broadcast: None,
    }
}

#[test]
fn seed_line_with_prefix_and_interface() {
    let parsed =
        parse("# comment\nusvr-124 IPaddr::192.168.3.233/24/eth0 nginx\n").expect("parses");
    assert_eq!(parsed.groups.len(), 1);
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "usvr-124");
    assert_eq!(group.location.line, 2);
    assert_eq!(group.id(), "IPaddr::192.168.3.233/24/eth0 nginx");
    assert_eq!(
        group.resources[0].kind,
        ResourceKind::IpAddr(IpAddrSpec {
            prefix: Some(24),
            interface: Some("eth0".into()),
            ..ip(IpAddrStyle::IPaddr, [192, 168, 3, 233])
        })
    );
    assert_eq!(
        group.resources[1].kind,
        ResourceKind::Unsupported {
            type_name: "nginx".into(),
            args: vec![]
        }
    );
}

#[test]
fn seed_lvs_line_and_check_supported_names_each_script() {
    let text = "\n#\nha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n";
    let parsed = parse(text).expect("parses");
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "ha-master");
    assert_eq!(
        group.resources[0].kind,
        ResourceKind::IpAddr(ip(IpAddrStyle::IPaddr, [172, 16, 60, 111]))
    );
    let refused: Vec<String> = parsed
        .check_supported()
        .expect_err("ipvsadm and ldirectord have no agent")
        .errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        refused,
        [
            "/etc/ha.d/haresources:3: resource type 'ipvsadm' is not supported yet",
            "/etc/ha.d/haresources:3: resource type 'ldirectord' is not supported yet",
        ]
    );
}

#[test]
fn check_supported_names_nginx_and_accepts_ip_only_files() {
    let parsed = parse("usvr-124 IPaddr::192.168.3.233/24/eth0 nginx\n").expect("parses");
    let refused = parsed.check_supported().expect_err("nginx refused");
    assert_eq!(
        refused.to_string(),
        "/etc/ha.d/haresources:1: resource type 'nginx' is not supported yet"
    );
    let ok = parse("a 10.0.0.1 IPaddr2::10.0.0.2/24/eth0:web\n").expect("parses");
    assert_eq!(ok.check_supported(), Ok(()));
    let hint = parse("a ipaddr::10.0.0.1\n").expect("parses");
    assert!(hint
        .check_supported()
        .expect_err("lowercase type refused")
        .to_string()
        .ends_with("resource type 'ipaddr' is not supported yet (did you mean 'IPaddr'?)"));
}

#[test]
fn bare_address_is_ipaddr_with_all_fields() {
    let parsed = parse(
        "NODE1 10.0.0.5/255.255.255.0/eth1:3/10.0.0.255 Filesystem::/dev/sda1::/data1::ext2\n",
    )
    .expect("parses");
    let group = &parsed.groups[0];
    assert_eq!(group.preferred_node, "node1", "node names are lowercased");
    assert_eq!(
        group.resources[0].kind,
        ResourceKind::IpAddr(IpAddrSpec {
            prefix: Some(24),
            interface: Some("eth1".into()),
            label: Some("3".into()),
            broadcast: Some(Ipv4Addr::new(10, 0, 0, 255)),
            ..ip(IpAddrStyle::IPaddr, [10, 0, 0, 5])
        })
    );
    assert_eq!(
        group.resources[1].kind,
        ResourceKind::Unsupported {
            type_name: "Filesystem".into(),
            args: vec!["/dev/sda1".into(), "/data1".into(), "ext2".into()]
        }
    );
}

#[test]
fn third_field_starting_with_a_digit_is_the_broadcast() {
    let parsed = parse("n IPaddr2::135.9.8.7/24/135.9.8.210\n").expect("parses");
    assert_eq!(
        parsed.groups[0].resources[0].kind,
        ResourceKind::IpAddr(IpAddrSpec {
            prefix: Some(24),
            broadcast: Some(Ipv4Addr::new(135, 9, 8, 210)),
            ..ip(IpAddrStyle::IPaddr2, [135, 9, 8, 7])
        })
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
        "a IPaddr::10.0.0.1/33",                        // 1
        "b IPaddr::10.0.0.2/255.0.255.0",               // 2
        "c IPaddr::300.1.1.1",                          // 3
        "d IPaddr",                                     // 4
        "e IPaddr2::10.0.0.3::eth0",                    // 5
        "f IPaddr::10.0.0.4/24/eth0/10.0.0.x",          // 6
        "g IPaddr::10.0.0.5/24/eth0/10.0.0.255/extra",  // 7
        "h IPaddr::10.0.0.6//eth0",                     // 8
        "i IPaddr2::10.0.0.7/24/averyveryverylongname", // 9
        "j IPaddr2::10.0.0.8/24/eth0:labeltoolong",     // 10
        "k",                                            // 11
        "IPaddr::10.0.0.9 httpd",                       // 12
        "l bad/name",                                   // 13
        "m x::::y",                                     // 14
        "n 10.0.0.10::eth0",                            // 15
        "o IPaddr::224.0.0.1",                          // 16
        "p IPaddr2::10.0.0.11/24/eth0/+",               // 17
        "q 10.0.0.12 \\ ",                              // 18
        "r IPaddr::0.1.2.3",                            // 19
        "s IPaddr::10.0.0.13/0",                        // 20
    ]
    .join("\n");
    let found = errors(&text);
    let expected = [
        "/etc/ha.d/haresources:1: IPaddr: prefix length '33' is out of range; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0",
        "/etc/ha.d/haresources:2: IPaddr: netmask 255.0.255.0 is not a contiguous mask of 1-32 bits; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0",
        "/etc/ha.d/haresources:3: IPaddr: '300.1.1.1' is not an IPv4 address; expected a dotted quad such as 192.168.1.10",
        "/etc/ha.d/haresources:4: IPaddr needs an address: IPaddr::ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]",
        "/etc/ha.d/haresources:5: IPaddr2 takes one argument, ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]], not 2 separated by '::'",
        "/etc/ha.d/haresources:6: IPaddr: broadcast '10.0.0.x' is not an IPv4 address; expected e.g. 192.168.1.255",
        "/etc/ha.d/haresources:7: IPaddr argument '10.0.0.5/24/eth0/10.0.0.255/extra' has an unexpected field 'extra'; expected ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]",
        "/etc/ha.d/haresources:8: IPaddr argument '10.0.0.6//eth0' has an empty field 2; expected ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]",
        "/etc/ha.d/haresources:9: IPaddr2: 'averyveryverylongname' is not an interface name; expected at most 15 characters without '/' or ':', such as eth0",
        "/etc/ha.d/haresources:10: IPaddr2: address label 'eth0:labeltoolong' is longer than 15 characters",
        "/etc/ha.d/haresources:11: node 'k' has no resources; expected NODE RESOURCE [RESOURCE...]",
        "/etc/ha.d/haresources:12: 'IPaddr::10.0.0.9' looks like a resource, but a line starts with the name of the node that prefers the group: NODE RESOURCE...",
        "/etc/ha.d/haresources:13: 'bad/name' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
        "/etc/ha.d/haresources:14: 'x::::y' has an empty argument; arguments are separated by a single '::'",
        "/etc/ha.d/haresources:15: '10.0.0.10::eth0' starts like an IP address, which heartbeat reads as IPaddr::10.0.0.10::eth0, but IPaddr takes a single argument",
        "/etc/ha.d/haresources:16: IPaddr: 224.0.0.1 cannot be a service address; expected a unicast IPv4 address",
        "/etc/ha.d/haresources:17: IPaddr2: the broadcast symbol '+' is not supported; give the broadcast address, or leave it out to have it computed from the prefix",
        "/etc/ha.d/haresources:18: '\\' continues a line only as its very last character; remove the blanks (or comment) after it, or the '\\' itself",
        "/etc/ha.d/haresources:18: '\\' is not a resource script name; expected NAME, NAME::ARG[::ARG...] or an IP address",
        "/etc/ha.d/haresources:19: IPaddr: 0.1.2.3 cannot be a service address; expected a unicast IPv4 address",
        "/etc/ha.d/haresources:20: IPaddr: prefix length '0' is out of range; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0",
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
fn unfinished_continuation_at_end_of_file() {
    assert_eq!(
        errors("n 10.0.0.1 \\"),
        ["/etc/ha.d/haresources:1: the last line ends with '\\' but no line follows to continue it"]
    );
}

#[test]
fn duplicate_groups_and_shared_first_resource_and_address() {
    let text = "a 10.0.0.1 httpd\nb 10.0.0.1 httpd\nc 10.0.0.1 mysql\nd 10.0.0.2 IPaddr2::10.0.0.3\ne 10.0.0.4 IPaddr::10.0.0.3/24\n";
    assert_eq!(
        errors(text),
        [
            "/etc/ha.d/haresources:2: duplicate resource group: the same resources as on line 1",
            "/etc/ha.d/haresources:2: address 10.0.0.1 is already managed by the resource on line 1",
            "/etc/ha.d/haresources:3: '10.0.0.1' already starts the group on line 1; heartbeat names a group by its first resource, so it must be unique",
            "/etc/ha.d/haresources:3: address 10.0.0.1 is already managed by the resource on line 1",
            "/etc/ha.d/haresources:5: address 10.0.0.3 is already managed by the resource on line 4",
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
        assert!(token::looks_like_ip(yes), "{yes}");
    }
    for no in ["a1.2.3.4", "1.2.3", "1.2.3.x", "httpd", "1..2.3"] {
        assert!(!token::looks_like_ip(no), "{no}");
    }
}

// ---- property tests ----

/// Specs as the parser produces them; the text is derived from the kind.
fn resource_strategy() -> impl Strategy<Value = (String, ResourceKind)> {
    let interface = prop::option::of("[a-z]{1,4}[0-9]{0,2}");
    let ip_spec = (
        prop::bool::ANY,
        (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254),
        prop::option::of(1u8..=32),
        interface,
        prop::option::of("[a-z0-9]{1,4}"),
        prop::option::of(any::<[u8; 4]>()),
        prop::bool::ANY,
    )
        .prop_map(
            |(two, (a, b, c, d), prefix, interface, label, broadcast, bare)| {
                let style = if two {
                    IpAddrStyle::IPaddr2
                } else {
                    IpAddrStyle::IPaddr
                };
                // Later fields exist only after a prefix; a label only after an interface.
                let interface = prefix.and(interface);
                let spec = IpAddrSpec {
                    style,
                    address: Ipv4Addr::new(a, b, c, d),
                    prefix,
                    label: interface.as_ref().and(label),
                    interface,
                    broadcast: prefix.and(broadcast.map(Ipv4Addr::from)),
                };
                let text = if bare && style == IpAddrStyle::IPaddr {
                    spec.to_arg()
                } else {
                    format!("{style}::{}", spec.to_arg())
                };
                (text, ResourceKind::IpAddr(spec))
            },
        );
    let script = (
        "[a-z][a-z0-9_-]{0,8}",
        prop::collection::vec("[a-zA-Z0-9/_.=-]{1,8}", 0..3),
    )
        .prop_map(|(type_name, args)| {
            let mut text = type_name.clone();
            for arg in &args {
                text.push_str("::");
                text.push_str(arg);
            }
            (text, ResourceKind::Unsupported { type_name, args })
        });
    prop_oneof![ip_spec, script]
}

fn groups_strategy() -> impl Strategy<Value = Vec<(String, Vec<(String, ResourceKind)>)>> {
    prop::collection::vec(
        (
            "[a-z][a-z0-9-]{0,8}",
            prop::collection::vec(resource_strategy(), 1..5),
        ),
        0..6,
    )
}

/// Drops locations, which render does not try to reproduce.
fn shape(haresources: &Haresources) -> Vec<(String, Vec<(String, ResourceKind)>)> {
    haresources
        .groups
        .iter()
        .map(|g| {
            let resources = g
                .resources
                .iter()
                .map(|r| (r.text.clone(), r.kind.clone()))
                .collect();
            (g.preferred_node.clone(), resources)
        })
        .collect()
}

proptest! {
    #[test]
    fn render_then_parse_round_trips(groups in groups_strategy()) {
        // Unique first resources and addresses are required; keep the first of each.
        let mut seen_first = std::collections::HashSet::new();
        let mut seen_address = std::collections::HashSet::new();
        let mut kept = Vec::new();
        for (node, resources) in groups {
            let addresses: Vec<Ipv4Addr> = resources.iter().filter_map(|(_, k)| match k {
                ResourceKind::IpAddr(spec) => Some(spec.address),
                ResourceKind::Unsupported { .. } => None,
            }).collect();
            let distinct: std::collections::HashSet<_> = addresses.iter().collect();
            if distinct.len() != addresses.len()
                || addresses.iter().any(|a| seen_address.contains(a))
                || seen_first.contains(&resources[0].0)
            {
                continue;
            }
            seen_first.insert(resources[0].0.clone());
            seen_address.extend(addresses);
            kept.push((node, resources));
        }
        let source = Source::new("haresources", "");
        let model = Haresources {
            groups: kept.iter().map(|(node, resources)| GroupSpec {
                location: source.error("").location,
                preferred_node: node.clone(),
                resources: resources.iter().map(|(text, kind)| ResourceSpec {
                    location: source.error("").location,
                    text: text.clone(),
                    kind: kind.clone(),
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

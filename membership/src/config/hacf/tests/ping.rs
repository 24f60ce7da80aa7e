//! Ping nodes, deadping and ipfail.

use super::*;

const BASE: &str = "keepalive 1\ndeadtime 10\nauto_failback on\nbcast eth0\nnode alpha beta\n";

fn check(text: &str) -> (HaConfig, Vec<String>) {
    match check_ha_cf(&Source::new("/etc/ha.d/ha.cf", text), &|_| true) {
        Ok((config, warnings)) => (config, warnings.iter().map(|w| w.to_string()).collect()),
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

#[test]
fn ping_and_ping_group_declare_ping_nodes_in_file_order() {
    let config = config(&format!(
        "{BASE}ping 10.0.0.1, 2001:db8::1\nping_group uplink 10.1.0.1 10.1.0.2\n"
    ));
    let nodes: Vec<(&str, usize, bool)> = config
        .ping_nodes
        .iter()
        .map(|n| (n.name.as_str(), n.addresses.len(), n.group))
        .collect();
    assert_eq!(
        nodes,
        [
            ("10.0.0.1", 1, false),
            ("2001:db8::1", 1, false),
            ("uplink", 2, true)
        ]
    );
    assert!(!config.ipfail);
}

#[test]
fn deadping_defaults_to_deadtime_and_must_exceed_twice_keepalive() {
    assert_eq!(config(BASE).deadping, secs(10));
    assert_eq!(
        config(&format!("{BASE}deadping 2500ms\n")).deadping,
        ms(2500)
    );
    assert_eq!(
        errors(&format!("{BASE}deadping 2\n")),
        ["/etc/ha.d/ha.cf:6: deadping (2s) must be more than twice keepalive (1s)"]
    );
    assert_eq!(
        errors(&format!("{BASE}deadping soon\n")),
        ["/etc/ha.d/ha.cf:6: deadping: expected a time such as 2, 1.5 or 500ms, found 'soon'"]
    );
    assert_eq!(
        errors(&format!("{BASE}deadping 5\ndeadping 6\n")),
        ["/etc/ha.d/ha.cf:7: deadping is already set at line 6"]
    );
}

#[test]
fn malformed_ping_lines_are_refused_at_their_line() {
    assert_eq!(
        errors(&format!(
            "{BASE}ping\nping router.lan\nping_group g1\nping_group\n\
             ping 10.0.0.1\nping 10.0.0.1\nping_group alpha 10.0.0.9\n"
        )),
        [
            "/etc/ha.d/ha.cf:6: ping: expected one or more addresses to ping, found nothing",
            "/etc/ha.d/ha.cf:7: ping: expected an IPv4 or IPv6 address, found 'router.lan' \
             (host names are not resolved: write the address)",
            "/etc/ha.d/ha.cf:8: ping_group g1: expected one or more addresses after the group \
             name, found nothing",
            "/etc/ha.d/ha.cf:9: ping_group: expected a group name and one or more addresses, \
             found nothing",
            "/etc/ha.d/ha.cf:11: ping node '10.0.0.1' is already listed at line 10",
            "/etc/ha.d/ha.cf:12: ping node 'alpha' has the name of the cluster node at line 5",
        ]
    );
}

#[test]
fn respawning_ipfail_turns_the_built_in_ipfail_on() {
    let (config, warnings) = check(&format!(
        "{BASE}ping 10.0.0.1\nrespawn hacluster /usr/lib64/heartbeat/ipfail\n\
         apiauth ipfail gid=haclient uid=hacluster\n"
    ));
    assert!(config.ipfail);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (config, warnings) = check(&format!(
        "{BASE}respawn hacluster /usr/lib/heartbeat/ipfail\n"
    ));
    assert!(config.ipfail);
    assert_eq!(
        warnings,
        [
            "/etc/ha.d/ha.cf:6: warning: ipfail without ping nodes does nothing: add a ping or \
          ping_group line"
        ]
    );
}

#[test]
fn other_respawn_lines_do_not_turn_ipfail_on() {
    let config = config(&format!(
        "{BASE}respawn hacluster /usr/lib/heartbeat/dopd\napiauth dopd gid=haclient\n"
    ));
    assert!(!config.ipfail);
    assert_eq!(config.respawns.len(), 1);
    assert_eq!(
        errors(&format!("{BASE}respawn hacluster\n")),
        [
            "/etc/ha.d/ha.cf:6: respawn: expected USER /FULL/PATH/PROGRAM [ARGS...], found only \
          'hacluster' (no program)"
        ]
    );
}

#[test]
fn ipfail_refuses_auto_failback_legacy_as_heartbeats_does() {
    let text = "bcast eth0\nnode alpha beta\nping 10.0.0.1\n\
                respawn hacluster /usr/lib/heartbeat/ipfail\n";
    assert_eq!(
        errors(text),
        [
            "/etc/ha.d/ha.cf:4: ipfail needs auto_failback on or off: with legacy (the default) \
          heartbeat's ipfail exits at start"
        ]
    );
    assert!(config(&format!("auto_failback off\n{text}")).ipfail);
    // A second ipfail line changes nothing: neither is run.
    let twice = config(&format!(
        "{text}respawn root /opt/ipfail\nauto_failback on\n"
    ));
    assert!(twice.ipfail);
    assert!(twice.respawns.iter().all(|r| r.is_ipfail()));
}

#[test]
fn ping_weight_weighs_a_ping_node_and_turns_the_rule_on() {
    let weighed = config(&format!(
        "{BASE}ping 10.0.0.1\nping_group uplink 10.1.0.1 10.1.0.2\nping_weight uplink 5\n"
    ));
    let weights: Vec<(&str, u32)> = weighed
        .ping_nodes
        .iter()
        .map(|n| (n.name.as_str(), n.weight))
        .collect();
    assert_eq!(weights, [("10.0.0.1", 1), ("uplink", 5)]);
    assert!(weighed.ipfail, "a weight turns ipfail's rule on");
    // A weight may come before the ping line that names the node.
    let later = config(&format!("{BASE}ping_weight 10.0.0.1 3\nping 10.0.0.1\n"));
    assert_eq!(later.ping_nodes[0].weight, 3);
}

#[test]
fn malformed_ping_weight_lines_are_refused_at_their_line() {
    assert_eq!(
        errors(&format!(
            "{BASE}ping 10.0.0.1\nping_weight 10.0.0.1\nping_weight 10.0.0.1 0\n\
             ping_weight 10.0.0.1 heavy\nping_weight 10.0.0.2 2\nping_weight 10.0.0.1 2\n\
             ping_weight 10.0.0.1 4\n"
        )),
        [
            "/etc/ha.d/ha.cf:7: ping_weight: expected a ping node's name and a weight (e.g. \
             `ping_weight 10.0.0.1 5`), found 1 words",
            "/etc/ha.d/ha.cf:8: ping_weight 10.0.0.1: expected a weight from 1 to 1000, found '0'",
            "/etc/ha.d/ha.cf:9: ping_weight 10.0.0.1: expected a weight from 1 to 1000, found \
             'heavy'",
            "/etc/ha.d/ha.cf:10: ping_weight: no ping node is named '10.0.0.2' (ping, ping6 and \
             ping_group lines name them: an address as written, or the group's name)",
            "/etc/ha.d/ha.cf:12: ping_weight: ping node '10.0.0.1' is already weighed at line 11",
        ]
    );
    let legacy = BASE.replace("auto_failback on\n", "");
    assert_eq!(
        errors(&format!("{legacy}ping 10.0.0.1\nping_weight 10.0.0.1 2\n")),
        [
            "/etc/ha.d/ha.cf:6: ping_weight needs auto_failback on or off, as ipfail does: with \
          legacy (the default) groups would not come back once the counts balance"
        ]
    );
}

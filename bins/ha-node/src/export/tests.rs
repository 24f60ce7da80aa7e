//! The translation of the seeds' files and of hand-made cases; a property
//! test that every haresources file the parser takes exports.

// Unit tests: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ha_conf::Source;
use proptest::prelude::*;

use super::model::{AgentName, Configuration, Monitor, Primitive};
use super::translate::{translate, Inputs, PREFERENCE, STICKY};
use super::{cib, crmsh, Files};

const SEED_001_HA_CF: &str =
    include_str!("../../../../membership/src/config/testdata/seed001_ha.cf");
const SEED_002_HA_CF: &str =
    include_str!("../../../../membership/src/config/testdata/seed002_ha.cf");
const SEED_003_HA_CF: &str =
    include_str!("../../../../membership/src/config/testdata/seed003_ha.cf");

/// Seed 003's groups as its document lists them (webserver on admin1,
/// mysql on admin2), with the node names of its ha.cf.
const SEED_003_HARESOURCES: &str = "\
admin1.tuchao.com IPaddr::192.168.18.222/24 Filesystem::192.168.18.203:/http::/var/www/html::nfs httpd
admin2.tuchao.com IPaddr::192.168.18.220/24 Filesystem::192.168.18.203:/mysqldata::/mydata::nfs mysqld
";

/// What the fakes of this machine answer.
#[derive(Default)]
struct Machine {
    resource_d: &'static [&'static str],
    fence_agents: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
}

/// Parses the three files (paths under /etc/ha.d) and translates them on
/// `machine`.
fn export_on(
    machine: &Machine,
    ha_cf: &str,
    haresources: &str,
    monitoring: Option<&str>,
) -> Configuration {
    let monitoring = monitoring.map(|text| Source::new("/etc/ha.d/monitoring", text));
    let files = Files::parse(
        &Source::new("/etc/ha.d/ha.cf", ha_cf),
        &Source::new("/etc/ha.d/haresources", haresources),
        monitoring.as_ref(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    translate(&Inputs {
        ha: &files.ha,
        ha_cf: &files.ha_cf,
        resources: &files.resources,
        monitoring: &files.monitoring,
        crm: files
            .crm
            .as_ref()
            .map(|(at, line)| (at.as_str(), line.as_str())),
        config_dir: Path::new("/etc/ha.d"),
        resource_d_script: &|name| machine.resource_d.contains(&name),
        fence_agent_installed: &|agent| machine.fence_agents.contains(&agent),
        read_file: &|path| {
            machine
                .files
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, text)| (*text).to_owned())
                .ok_or_else(|| "No such file or directory".to_owned())
        },
    })
}

fn export(ha_cf: &str, haresources: &str, monitoring: Option<&str>) -> Configuration {
    export_on(&Machine::default(), ha_cf, haresources, monitoring)
}

/// A two-node ha.cf with `extra` lines.
fn ha_cf(extra: &str) -> String {
    format!("bcast eth0\nnode a\nnode b\n{extra}")
}

fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn plain(id: &str, agent: AgentName, list: &[(&str, &str)]) -> Primitive {
    Primitive {
        id: id.into(),
        agent,
        params: params(list),
        monitor: None,
        meta: Vec::new(),
    }
}

#[test]
fn seed_003_two_groups_on_their_preferred_nodes() {
    let config = export(
        &format!("crm respawn\n{SEED_003_HA_CF}"),
        SEED_003_HARESOURCES,
        None,
    );
    let groups: Vec<(&str, &str, &str)> = config
        .groups
        .iter()
        .map(|g| {
            (
                g.id.as_str(),
                g.preferred_node.as_str(),
                g.location_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("group-1", "admin1.tuchao.com", "group-1-prefers-node"),
            ("group-2", "admin2.tuchao.com", "group-2-prefers-node"),
        ]
    );
    let heartbeat = |kind| AgentName::ocf("heartbeat", kind);
    assert_eq!(
        config.groups[0].members,
        [
            plain(
                "ip-192.168.18.222",
                heartbeat("IPaddr2"),
                &[("ip", "192.168.18.222"), ("cidr_netmask", "24")]
            ),
            plain(
                "filesystem",
                heartbeat("Filesystem"),
                &[
                    ("device", "192.168.18.203:/http"),
                    ("directory", "/var/www/html"),
                    ("fstype", "nfs")
                ]
            ),
            plain("httpd", AgentName::lsb("httpd"), &[]),
        ]
    );
    assert_eq!(
        config.groups[1].members,
        [
            plain(
                "ip-192.168.18.220",
                heartbeat("IPaddr2"),
                &[("ip", "192.168.18.220"), ("cidr_netmask", "24")]
            ),
            plain(
                "filesystem-2",
                heartbeat("Filesystem"),
                &[
                    ("device", "192.168.18.203:/mysqldata"),
                    ("directory", "/mydata"),
                    ("fstype", "nfs")
                ]
            ),
            plain("mysqld", AgentName::lsb("mysqld"), &[]),
        ]
    );
    assert_eq!(
        config.groups[1].source,
        "/etc/ha.d/haresources:2: admin2.tuchao.com IPaddr::192.168.18.220/24 \
         Filesystem::192.168.18.203:/mysqldata::/mydata::nfs mysqld"
    );
    // auto_failback on; no ping nodes, no fencing.
    assert_eq!(config.stickiness, 0);
    assert_eq!(config.ping, None);
    assert!(!config.stonith_enabled);
    assert_eq!(
        config.warnings,
        [
            "/etc/ha.d/ha.cf:1: warning: crm respawn: with the CRM on, heartbeat did not read \
             haresources: the resources it ran are in the CRM's CIB \
             (/var/lib/heartbeat/crm/cib.xml, or /var/lib/pacemaker/cib/cib.xml), which \
             Pacemaker takes as it is (cibadmin -u, to upgrade its syntax); this export is of haresources",
            "/etc/ha.d/ha.cf: warning: the nodes (admin1.tuchao.com, admin2.tuchao.com), media \
             and timers (deadtime 30s) belong in corosync.conf, which this does not write",
            "/etc/ha.d/ha.cf: warning: compression: Corosync does not compress; not carried over",
        ]
    );
    let script = crmsh::render(&config, "/etc/ha.d");
    for line in [
        "group group-1 ip-192.168.18.222 filesystem httpd \\",
        "location group-1-prefers-node group-1 100: admin1.tuchao.com",
        "location group-2-prefers-node group-2 100: admin2.tuchao.com",
        "rsc_defaults resource-stickiness=0",
        "property stonith-enabled=false",
        "# WARNING: /etc/ha.d/ha.cf: warning: compression: Corosync does not compress; not \
         carried over",
    ] {
        assert!(script.lines().any(|l| l == line), "{line}\n{script}");
    }
    let xml = cib::render(&config, "/etc/ha.d");
    assert!(
        xml.contains(
            "<rsc_location id=\"group-2-prefers-node\" rsc=\"group-2\" \
             node=\"admin2.tuchao.com\" score=\"100\"/>"
        ),
        "{xml}"
    );
}

#[test]
fn seed_002_pings_its_group_and_follows_it_as_ipfail() {
    let config = export(
        SEED_002_HA_CF,
        "ha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n",
        None,
    );
    let group = &config.groups[0];
    assert_eq!(group.preferred_node, "ha-master");
    assert_eq!(
        group.members,
        [
            plain(
                "ip-172.16.60.111",
                AgentName::ocf("heartbeat", "IPaddr2"),
                &[("ip", "172.16.60.111")]
            ),
            plain("ipvsadm", AgentName::lsb("ipvsadm"), &[]),
            plain(
                "ldirectord",
                AgentName::ocf("heartbeat", "ldirectord"),
                &[("configfile", "/etc/ha.d/ldirectord.cf")]
            ),
        ]
    );
    let ping = config.ping.as_ref().expect("a ping clone");
    assert_eq!(
        ping.primitive.params,
        params(&[
            ("host_list", "172.16.60.204 172.16.60.205"),
            ("multiplier", "1000"),
            ("dampen", "5s"),
        ])
    );
    assert_eq!(ping.primitive.agent, AgentName::ocf("pacemaker", "ping"));
    assert!(ping.rule, "seed 002 respawns ipfail");
    assert_eq!(
        group.ping_rule_id.as_deref(),
        Some("group-1-on-connected-node")
    );
    let script = crmsh::render(&config, "/etc/ha.d");
    assert!(
        script.contains("location group-1-on-connected-node group-1 rule pingd: defined pingd\n"),
        "{script}"
    );
    assert!(script.contains("clone ping-clone ping\n"), "{script}");
    assert_eq!(config.stickiness, 0, "auto_failback on");
    // The group counts as one ping node in heartbeat; ipfail's respawn and
    // apiauth lines are carried by the rule, not warned about.
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("ping_group group1: heartbeat counts the group as one")),
        "{:?}",
        config.warnings
    );
    assert!(
        !config.warnings.iter().any(|w| w.contains("ipfail")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn seed_001_keeps_its_interface_and_runs_legacy_failback_as_on() {
    let config = export(
        SEED_001_HA_CF,
        "server10 IPaddr::172.25.60.100/24/eth0 httpd ldirectord\n",
        None,
    );
    assert_eq!(config.groups.len(), 1);
    assert_eq!(config.groups[0].preferred_node, "server10");
    assert_eq!(
        config.groups[0].members[0].params,
        params(&[
            ("ip", "172.25.60.100"),
            ("cidr_netmask", "24"),
            ("nic", "eth0")
        ])
    );
    assert_eq!(config.groups[0].members[1].agent, AgentName::lsb("httpd"));
    assert_eq!(config.stickiness, 0);
    assert!(config.stickiness_reason.contains("legacy"));
}

#[test]
fn auto_failback_off_outweighs_the_preferred_node() {
    let config = export(&ha_cf("auto_failback off\n"), "a 10.0.0.1\n", None);
    assert_eq!(config.stickiness, STICKY);
    assert_eq!(config.preference, PREFERENCE);
}

#[test]
fn monitoring_becomes_an_operation_and_meta_attributes() {
    let monitoring = "default timeout=30s migration-threshold=2 failure-timeout=90s\n\
                      IPaddr::10.0.0.1/24 interval=5s\n\
                      httpd interval=meta-data failure-timeout=0\n";
    let config = export(
        &ha_cf(""),
        "a IPaddr::10.0.0.1/24 httpd Delay\n",
        Some(monitoring),
    );
    let members = &config.groups[0].members;
    assert_eq!(
        members[0].monitor,
        Some(Monitor {
            interval: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(30),
        })
    );
    assert_eq!(
        members[0].meta,
        params(&[("migration-threshold", "2"), ("failure-timeout", "90s")])
    );
    // Until a cleanup: no failure-timeout (Pacemaker's default, 0).
    assert_eq!(members[1].meta, params(&[("migration-threshold", "2")]));
    assert_eq!(
        members[1].monitor.map(|m| m.interval),
        Some(super::resources::META_DATA_FALLBACK)
    );
    assert!(
        config.warnings.iter().any(|w| w.starts_with(
            "/etc/ha.d/haresources:1: warning: httpd: interval=meta-data is written as \
             interval=10s"
        )),
        "{:?}",
        config.warnings
    );
    // Not in the monitoring file: not monitored, as heartbeat.
    assert_eq!(members[2].monitor, None);
    assert_eq!(members[2].agent, AgentName::ocf("heartbeat", "Delay"));
    let script = crmsh::render(&config, "/etc/ha.d");
    assert!(
        script.contains(
            "    op monitor interval=5s timeout=30s \\\n    meta migration-threshold=2 \
             failure-timeout=90s\n"
        ),
        "{script}"
    );
}

#[test]
fn each_kind_of_resource_word() {
    let machine = Machine {
        resource_d: &["mine"],
        ..Machine::default()
    };
    let config = export_on(
        &machine,
        &ha_cf(""),
        "a IPaddr2::10.0.0.1/24/eth1:web/10.0.0.255 ocf:heartbeat:Dummy::state=/run/x \
         apache::/etc/apache2/apache2.conf ldirectord::lvs.cf mine web::extra\n\
         b drbddisk::r0 OCF::Dummy::one LVSSyncDaemonSwap::master IPv6addr::2001:db8:0:0:0:0:0:1/64\n",
        None,
    );
    let members = &config.groups[0].members;
    assert_eq!(
        members[0].params,
        params(&[
            ("ip", "10.0.0.1"),
            ("cidr_netmask", "24"),
            ("nic", "eth1"),
            ("iflabel", "web"),
            ("broadcast", "10.0.0.255"),
        ])
    );
    assert_eq!(
        members[1],
        plain(
            "dummy",
            AgentName::ocf("heartbeat", "Dummy"),
            &[("state", "/run/x")]
        )
    );
    assert_eq!(
        members[2],
        plain(
            "apache",
            AgentName::ocf("heartbeat", "apache"),
            &[("configfile", "/etc/apache2/apache2.conf")]
        )
    );
    assert_eq!(
        members[3].params,
        params(&[("configfile", "/etc/ha.d/lvs.cf")])
    );
    assert_eq!(members[4].agent, AgentName::lsb("mine"));
    assert_eq!(members[5].agent, AgentName::lsb("web"));
    // The second group keeps only what has a Pacemaker form.
    assert_eq!(config.groups[1].members.len(), 1);
    assert_eq!(
        config.groups[1].members[0].agent,
        AgentName::ocf("heartbeat", "IPv6addr")
    );
    let expect = [
        "/etc/ha.d/haresources:1: warning: mine: heartbeat ran /etc/ha.d/resource.d/mine",
        "/etc/ha.d/haresources:1: warning: web::extra: an init script takes no arguments in \
         Pacemaker; 'extra' dropped",
        "/etc/ha.d/haresources:2: warning: drbddisk::r0: not carried over: DRBD runs in \
         Pacemaker as a promotable clone",
        "/etc/ha.d/haresources:2: warning: OCF::Dummy::one: not carried over: heartbeat's \
         OCF::TYPE::INSTANCE form",
        "/etc/ha.d/haresources:2: warning: LVSSyncDaemonSwap::master: not carried over",
    ];
    for start in expect {
        assert!(
            config.warnings.iter().any(|w| w.starts_with(start)),
            "{start}\n{:#?}",
            config.warnings
        );
    }
}

#[test]
fn a_group_with_nothing_to_carry_is_not_written() {
    let config = export(&ha_cf(""), "a drbddisk::r0\nb 10.0.0.9\n", None);
    assert_eq!(config.groups.len(), 1);
    assert_eq!(config.groups[0].id, "group-2");
    assert!(config.warnings.iter().any(|w| w.starts_with(
        "/etc/ha.d/haresources:1: warning: none of this group's resources is carried over"
    )));
}

#[test]
fn ids_are_unique_and_valid() {
    let config = export(
        &ha_cf(""),
        "a 10.0.0.1 httpd 1st\nb 10.0.0.2 httpd group-1\n",
        None,
    );
    let ids: Vec<&str> = config
        .groups
        .iter()
        .flat_map(|g| {
            std::iter::once(g.id.as_str())
                .chain(std::iter::once(g.location_id.as_str()))
                .chain(g.members.iter().map(|m| m.id.as_str()))
        })
        .collect();
    assert_eq!(
        ids,
        [
            "group-1",
            "group-1-prefers-node",
            "ip-10.0.0.1",
            "httpd",
            "r-1st",
            "group-2",
            "group-2-prefers-node",
            "ip-10.0.0.2",
            "httpd-2",
            "group-1-2",
        ]
    );
}

#[test]
fn fencing_lines_with_a_fence_agent_become_devices() {
    let machine = Machine {
        fence_agents: &["fence_apc"],
        files: &[("/etc/ha.d/apc.cfg", "10.0.0.7 apc secret\n")],
        ..Machine::default()
    };
    let config = export_on(
        &machine,
        &ha_cf(
            "stonith_host b baytech 10.0.0.3 login pw\n\
             stonith apcmaster /etc/ha.d/apc.cfg\n\
             stonith_host a ipmilan b 10.0.0.8 623 md5 admin root pw\n",
        ),
        "a 10.0.0.1\n",
        None,
    );
    // heartbeat keeps one device per node, the last line that applies to
    // it: b's stonith_host line is replaced by the `stonith` line, which
    // a's stonith_host line replaces for a.
    let devices: Vec<(&str, &AgentName, Option<&str>)> = config
        .fencing
        .iter()
        .map(|f| {
            (
                f.primitive.id.as_str(),
                &f.primitive.agent,
                f.only_on.as_ref().map(|(node, _)| node.as_str()),
            )
        })
        .collect();
    assert_eq!(
        devices,
        [
            ("fence-apcmaster", &AgentName::stonith("fence_apc"), None),
            (
                "fence-ipmilan",
                &AgentName::stonith("fence_ipmilan"),
                Some("a")
            ),
        ]
    );
    assert_eq!(
        config.fencing[1].primitive.params,
        params(&[
            ("pcmk_host_list", "b"),
            ("ip", "10.0.0.8"),
            ("ipport", "623"),
            ("auth", "md5"),
            ("privlvl", "admin"),
            ("username", "root"),
            ("password", "pw"),
        ])
    );
    assert_eq!(
        config.fencing[0].primitive.params,
        params(&[
            ("ip", "10.0.0.7"),
            ("username", "apc"),
            ("password", "secret")
        ])
    );
    assert!(config.stonith_enabled);
    let warnings = config.warnings.join("\n");
    assert!(
        warnings.contains(
            "/etc/ha.d/ha.cf:4: warning: a later fencing line replaces this one for every node"
        ),
        "{warnings}"
    );
    assert!(
        warnings
            .contains("/etc/ha.d/ha.cf:6: warning: fence_ipmilan is not installed on this machine"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("fence_apc is not installed"),
        "{warnings}"
    );
    let script = crmsh::render(&config, "/etc/ha.d");
    assert!(
        script
            .contains("location fence-ipmilan-only-on-node fence-ipmilan rule -inf: #uname ne a\n"),
        "{script}"
    );
}

#[test]
fn a_fencing_plugin_without_a_fence_agent_is_a_warning() {
    let config = export(
        &ha_cf("stonith_host * baytech 10.0.0.3 mylogin mysecretpassword\n"),
        "a 10.0.0.1\n",
        None,
    );
    assert!(config.fencing.is_empty());
    assert!(!config.stonith_enabled);
    assert!(config.warnings.iter().any(|w| w
        == "/etc/ha.d/ha.cf:4: warning: no fence agent does the job of cluster-glue's baytech: \
            not carried over; configure a fence_* agent by hand"));
}

#[test]
fn values_are_quoted_and_escaped() {
    let config = export(&ha_cf(""), "a ocf:heartbeat:Dummy::fake=a<b&\"c\"\n", None);
    let script = crmsh::render(&config, "/etc/ha.d");
    assert!(script.contains("params fake=\"a<b&\\\"c\\\"\""), "{script}");
    let xml = cib::render(&config, "/etc/ha.d");
    assert!(
        xml.contains("name=\"fake\" value=\"a&lt;b&amp;&quot;c&quot;\""),
        "{xml}"
    );
}

#[test]
fn a_crm_line_is_set_aside_keeping_line_numbers() {
    let source = Source::new("/etc/ha.d/ha.cf", "crm respawn\n  pacemaker on\nnode a\n");
    assert_eq!(super::without_crm_line(&source).text(), "\n\nnode a\n");
    assert_eq!(
        super::crm_turned_on(&source),
        Some(("/etc/ha.d/ha.cf:1".to_owned(), "crm respawn".to_owned()))
    );
    let off = Source::new("/etc/ha.d/ha.cf", "node a\ncrm off # natively\n");
    assert_eq!(super::without_crm_line(&off).text(), "node a\n\n");
    assert_eq!(super::crm_turned_on(&off), None);
    // Without a crm line the seeds export without the CIB warning.
    let config = export(SEED_001_HA_CF, "server10 10.0.0.1\n", None);
    assert!(!config.warnings.iter().any(|w| w.contains("CRM")));
    let errors = Files::parse(
        &Source::new("/etc/ha.d/ha.cf", "crm respawn\nbcast eth0\nnode a\n"),
        &Source::new("/etc/ha.d/haresources", "b 10.0.0.1\n"),
        None,
    )
    .err()
    .expect("an unknown node");
    assert!(
        errors.errors()[0]
            .to_string()
            .starts_with("/etc/ha.d/haresources:1:"),
        "{errors:?}"
    );
}

/// A resource word: known forms, their wrong forms, and anything else.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "(IPaddr|IPaddr2)::[0-9./a-z:]{0,24}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,2})?",
        "(Filesystem|apache|IPv6addr|Delay|MailTo|portblock|drbddisk|LVSSyncDaemonSwap)(::[a-z0-9/:.=]{0,10}){0,5}",
        "ocf:[a-z]{0,6}:[A-Za-z]{0,6}(::[a-z=\"<&]{0,8}){0,3}",
        "OCF::[A-Za-z]{1,6}::[a-z]{1,4}",
        "ldirectord(::[a-z./]{1,10}){0,2}",
        "[A-Za-z0-9_.<>&\"-]{1,12}",
    ]
}

proptest! {
    #[test]
    fn every_parsed_haresources_exports(
        lines in prop::collection::vec(
            (prop_oneof![Just("a"), Just("b")], prop::collection::vec(word(), 1..6)),
            1..5,
        ),
        failback in prop_oneof![Just("on"), Just("off"), Just("legacy")],
    ) {
        let text: String = lines
            .iter()
            .map(|(node, words)| format!("{node} {}\n", words.join(" ")))
            .collect();
        let parsed = Files::parse(
            &Source::new("/etc/ha.d/ha.cf", ha_cf(&format!("auto_failback {failback}\nping 10.0.0.254\nrespawn hacluster /usr/lib/heartbeat/ipfail\n"))),
            &Source::new("/etc/ha.d/haresources", text),
            None,
        );
        let Ok(files) = parsed else {
            return Ok(());
        };
        let config = translate(&Inputs {
            ha: &files.ha,
            ha_cf: &files.ha_cf,
            resources: &files.resources,
            monitoring: &files.monitoring,
            crm: files.crm.as_ref().map(|(at, line)| (at.as_str(), line.as_str())),
            config_dir: Path::new("/etc/ha.d"),
            resource_d_script: &|_| false,
            fence_agent_installed: &|_| false,
            read_file: &|_| Err("none".into()),
        });
        let script = crmsh::render(&config, "/etc/ha.d");
        let xml = cib::render(&config, "/etc/ha.d");
        for group in &config.groups {
            let in_script = format!("group {} ", group.id);
            let in_xml = format!("<group id=\"{}\"", group.id);
            prop_assert!(script.contains(&in_script), "{}", script);
            prop_assert!(xml.contains(&in_xml), "{}", xml);
        }
        // crmsh keeps comments as XML comments.
        for line in script.lines().filter(|l| l.starts_with('#')) {
            prop_assert!(!line.contains("--") && !line.ends_with('-'), "{}", line);
        }
        // Every id is claimed once.
        let mut ids: Vec<&str> = config
            .groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.id.as_str()).chain([g.id.as_str()]))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), count);
    }
}

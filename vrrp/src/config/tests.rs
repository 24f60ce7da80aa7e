use std::net::IpAddr;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::packet::Version;

fn parse(text: &str) -> Result<KeepalivedConf, ConfigErrors> {
    parse_with(&Source::new("keepalived.conf", text), &mut NoIncludes)
}

fn errors(text: &str) -> String {
    parse(text).expect_err("refused").to_string()
}

const MINIMAL: &str = "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n}\n";

#[test]
fn seed_004_master_and_backup_parse_unchanged() {
    for (text, router_id, state, priority) in [
        (
            include_str!("testdata/seed004_master.conf"),
            "wyl01",
            StartState::Master,
            100,
        ),
        (
            include_str!("testdata/seed004_backup.conf"),
            "wyl02",
            StartState::Backup,
            99,
        ),
    ] {
        let conf = parse(text).expect("the seed's file parses");
        let g = &conf.global;
        assert_eq!(g.router_id.as_deref(), Some(router_id));
        assert_eq!(g.notification_email, ["1335234172@qq.com"]);
        assert_eq!(
            g.notification_email_from.as_deref(),
            Some("Alexandre.Cassen@firewall.loc")
        );
        assert_eq!(
            g.smtp_server,
            Some(SmtpServer {
                host: "127.0.0.1".into(),
                port: 25
            })
        );
        assert_eq!(g.smtp_connect_timeout, Duration::from_secs(30));
        let [i] = conf.instances.as_slice() else {
            panic!("one instance")
        };
        assert_eq!(i.name, "VI_1");
        assert_eq!(i.state, Some(state));
        assert_eq!(i.interface, "eth0");
        assert_eq!(i.virtual_router_id, 55);
        assert_eq!(i.priority, priority);
        assert_eq!(i.advert_int, Duration::from_secs(1));
        assert_eq!(i.version, Version::V2);
        assert_eq!(
            i.authentication,
            Some(Authentication {
                pass: "1111".into()
            })
        );
        assert_eq!(
            i.virtual_ipaddress,
            [VirtualAddress {
                address: "192.168.1.100".parse().expect("address"),
                prefix_len: Some(24),
                brd: None,
                dev: Some("eth0".into()),
                scope: None,
                label: Some("eth0:1".into()),
            }]
        );
        assert_eq!(i.garp_master_delay, Duration::from_secs(5));
        assert!(i.accept_mode(g.vrrp_strict));
        assert_eq!(parse(&conf.render()), Ok(conf));
    }
}

#[test]
fn unknown_and_unimplemented_keywords_are_refused_by_name_at_their_line() {
    let text = "global_defs {\n  router_id a\n  lvs_flush\n  bogus 1\n}\n\
                vrrp_instance V {\n interface eth0\n virtual_router_id 5\n use_vmac\n frobnicate\n}\n\
                virtual_server 10.0.0.1 80 {\n}\nnonsense\n";
    assert_eq!(
        errors(text),
        "keepalived.conf:3: global_defs: 'lvs_flush' is not supported yet\n\
         keepalived.conf:4: global_defs: unknown keyword 'bogus'\n\
         keepalived.conf:9: vrrp_instance: 'use_vmac' is not supported yet\n\
         keepalived.conf:10: vrrp_instance: unknown keyword 'frobnicate'\n\
         keepalived.conf:12: 'virtual_server' is not supported yet\n\
         keepalived.conf:14: unknown keyword 'nonsense'"
    );
}

#[test]
fn values_out_of_keepalived_ranges_are_refused() {
    for (line, expected) in [
        (
            "priority 0",
            "priority: expected a whole number from 1 to 255, found '0'",
        ),
        ("priority 256", "from 1 to 255, found '256'"),
        ("advert_int 0", "advert_int: expected seconds"),
        ("advert_int 1.5", "VRRPv2 advertises whole seconds"),
        (
            "state master",
            "state: expected MASTER or BACKUP, found 'master'",
        ),
        (
            "preempt_delay 1001",
            "preempt_delay: expected seconds from 0 to 1000",
        ),
        ("garp_master_repeat 0", "from 1 to"),
        ("version 4", "version: expected a whole number from 2 to 3"),
        ("priority 100 200", "expected one value, found also '200'"),
        (
            "authentication {\n auth_type PASS\n auth_pass 123456789\n}",
            "expected 1 to 8 characters",
        ),
        (
            "authentication {\n auth_type AH\n auth_pass 1\n}",
            "'AH' is not supported yet",
        ),
        (
            "authentication {\n auth_pass 1\n}",
            "expected 'auth_type PASS'",
        ),
        (
            "virtual_ipaddress {\n 10.0.0.1/33\n}",
            "prefix length '33' is not 0 to 32",
        ),
        (
            "virtual_ipaddress {\n 10.0.0.300\n}",
            "expected ADDRESS[/LENGTH]",
        ),
        (
            "virtual_ipaddress {\n 10.0.0.1 dev\n}",
            "'dev' expects a value",
        ),
        (
            "virtual_ipaddress {\n 10.0.0.1 home\n}",
            "'home' is not supported yet",
        ),
        (
            "virtual_ipaddress {\n 10.0.0.1\n fe80::1\n}",
            "must all be of one family",
        ),
        ("track_interface {\n eth1 weight 254\n}", "from -253 to 253"),
        (
            "priority 10\n priority 20",
            "'priority' written twice in this block (first at line 2)",
        ),
        (
            "unicast_peer {\n 10.0.0.2 min_ttl 3\n}",
            "'min_ttl' is not supported yet",
        ),
    ] {
        let text =
            format!("vrrp_instance V {{\n {line}\n interface eth0\n virtual_router_id 5\n}}\n");
        let refused = errors(&text);
        assert!(
            refused.starts_with("keepalived.conf:") && refused.contains(expected),
            "{line:?}: {refused}"
        );
    }
}

#[test]
fn contradictions_keepalived_corrects_are_refused() {
    for (lines, expected) in [
        ("state MASTER\n nopreempt", "nopreempt needs 'state BACKUP'"),
        (
            "priority 255\n nopreempt",
            "nopreempt cannot be used with priority 255",
        ),
        (
            "nopreempt\n preempt_delay 5",
            "preempt_delay cannot be used with nopreempt",
        ),
        (
            "version 2\n virtual_ipaddress {\n fe80::1\n }",
            "version 2 cannot carry IPv6",
        ),
        (
            "version 3\n advert_int 0.005",
            "advert_int: expected seconds from",
        ),
        (
            "version 3\n advert_int 41",
            "VRRPv3 advertises centiseconds",
        ),
        (
            "version 3\n authentication {\n auth_type PASS\n auth_pass x\n }",
            "VRRPv3 has no authentication",
        ),
        (
            "track_script {\n nosuch\n }",
            "track_script 'nosuch' names no vrrp_script",
        ),
    ] {
        let text =
            format!("vrrp_instance V {{\n {lines}\n interface eth0\n virtual_router_id 5\n}}\n");
        let refused = errors(&text);
        assert!(refused.contains(expected), "{lines:?}: {refused}");
    }
    assert!(errors("vrrp_instance V {\n}\n").contains("expected an 'interface' line"));
    let two = format!("{MINIMAL}{}", MINIMAL.replace("V {", "W {"));
    assert!(errors(&two).contains("virtual_router_id 5 on eth0 is already used by vrrp_instance V"));
    let twice = format!("{MINIMAL}{MINIMAL}");
    assert!(errors(&twice).contains("vrrp_instance V defined twice (first at keepalived.conf:1)"));
    let group = format!("{MINIMAL}vrrp_sync_group G {{\n group {{\n V\n X\n }}\n}}\n");
    assert!(errors(&group).contains("'X' names no vrrp_instance"));
}

#[test]
fn braces_quotes_and_comments_follow_keepalived() {
    assert_eq!(
        errors("vrrp_instance V {\n interface eth0\n"),
        "keepalived.conf:1: this '{' is not closed by a '}'\n\
         keepalived.conf:1: vrrp_instance V: expected a 'virtual_router_id' line"
    );
    assert_eq!(
        errors("}\n"),
        "keepalived.conf:1: unexpected '}': no block is open"
    );
    assert!(errors("global_defs {\n router_id \"abc\n}\n")
        .contains("keepalived.conf:2: unmatched quote"));
    let conf = parse(
        "vrrp_instance V{ # comment\n interface eth0 ! another\n virtual_router_id 5\n\
         notify_master \"/usr/local/bin/vip up\" root wheel\n}\n",
    )
    .expect("parses");
    let i = &conf.instances[0];
    assert_eq!(
        i.notify.master,
        Some(Command {
            command: "/usr/local/bin/vip up".into(),
            user: Some(ScriptUser {
                user: "root".into(),
                group: Some("wheel".into())
            }),
        })
    );
    assert!(errors("$VIP=10.0.0.1\n").contains("parameter definitions"));
}

#[test]
fn everything_implemented_parses_and_round_trips() {
    let text = r#"
global_defs {
  router_id lb1
  notification_email {
    ops@example.com
    noc@example.com
  }
  notification_email_from lb1@example.com
  smtp_server mail.example.com 2525
  smtp_connect_timeout 10
  script_user keepalived_script users
  enable_script_security
  vrrp_version 3
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.000001
  vrrp_strict
}
vrrp_script chk_nginx {
  script "/usr/bin/pgrep -x nginx"
  interval 2
  timeout 3
  weight -20 reverse
  rise 2
  fall 3
  user nobody nogroup
}
vrrp_instance VI_6 {
  interface eth1
  virtual_router_id 60
  priority 255
  advert_int 0.25
  virtual_ipaddress {
    fe80::60/64
    2001:db8::60/64 dev eth1 scope global
  }
  virtual_ipaddress_excluded {
    2001:db8::61
  }
  track_interface {
    eth2
    eth3 weight -10
  }
  track_script {
    chk_nginx weight 5
  }
  notify "/etc/keepalived/notify.sh"
  notify_backup /bin/backup
  smtp_alert
  accept
  unicast_src_ip 2001:db8::1
  unicast_peer {
    2001:db8::2
  }
  garp_master_delay 1
  garp_master_repeat 2
  garp_master_refresh 30
  garp_master_refresh_repeat 4
}
vrrp_instance VI_4 {
  state BACKUP
  interface eth1
  virtual_router_id 61
  version 2
  nopreempt
  no_accept
  virtual_ipaddress {
    10.0.0.61/24 brd 10.0.0.255 dev eth1 scope global label eth1:vip
  }
}
vrrp_sync_group G1 {
  group {
    VI_6
    VI_4
  }
  notify_master "/bin/echo master"
  smtp_alert false
}
"#;
    let conf = parse(text).expect("parses");
    assert_eq!(conf.global.vrrp_version, Version::V3);
    assert_eq!(conf.global.vrrp_garp_interval, Duration::from_millis(1));
    assert_eq!(conf.scripts[0].weight, -20);
    assert!(conf.scripts[0].weight_reverse);
    let v6 = &conf.instances[0];
    assert_eq!(v6.version, Version::V3);
    assert_eq!(v6.advert_int, Duration::from_millis(250));
    assert_eq!(
        v6.unicast_peer,
        ["2001:db8::2".parse::<IpAddr>().expect("address")]
    );
    assert_eq!(v6.garp_master_refresh, Duration::from_secs(30));
    assert_eq!(
        v6.notify.backup.as_ref().map(|c| c.command.as_str()),
        Some("/bin/backup")
    );
    let v4 = &conf.instances[1];
    assert_eq!(v4.version, Version::V2);
    assert_eq!(
        v4.garp_master_delay,
        Duration::from_secs(2),
        "the global default"
    );
    assert!(!v4.accept_mode(true));
    assert_eq!(conf.sync_groups[0].group, ["VI_6", "VI_4"]);
    assert_eq!(parse(&conf.render()), Ok(conf));
}

#[test]
fn includes_expand_globs_relative_to_the_including_file() {
    let dir = std::env::temp_dir().join(format!("ha-vrrp-include-{}", std::process::id()));
    let sub = dir.join("conf.d");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(
        dir.join("keepalived.conf"),
        "global_defs {\n router_id x\n}\ninclude conf.d/*.conf\n",
    )
    .expect("write");
    std::fs::write(
        sub.join("b.conf"),
        MINIMAL.replace("V {", "B {").replace(" 5", " 6"),
    )
    .expect("write");
    std::fs::write(sub.join("a.conf"), MINIMAL.replace("V {", "A {")).expect("write");
    std::fs::write(sub.join("c.conf"), "include ../conf.d/c.conf\n").expect("write");
    let refused = load_keepalived_conf(&dir.join("keepalived.conf")).expect_err("loops");
    assert!(refused
        .to_string()
        .contains("c.conf:1: include: more than 16 nested includes"));
    std::fs::write(
        sub.join("c.conf"),
        "vrrp_instance C {\n interface eth0\n}\n",
    )
    .expect("write");
    let refused = load_keepalived_conf(&dir.join("keepalived.conf")).expect_err("refused");
    assert_eq!(
        refused.to_string(),
        format!(
            "{}:1: vrrp_instance C: expected a 'virtual_router_id' line",
            sub.join("c.conf").display()
        )
    );
    std::fs::remove_file(sub.join("c.conf")).expect("rm");
    let conf = load_keepalived_conf(&dir.join("keepalived.conf")).expect("parses");
    let names: Vec<&str> = conf.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.:-]{0,10}"
}

fn free_text() -> impl Strategy<Value = String> {
    "[ -!#-~]{1,20}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn arb_vip(v6: bool) -> impl Strategy<Value = VirtualAddress> {
    let address = if v6 {
        any::<[u8; 16]>().prop_map(IpAddr::from).boxed()
    } else {
        any::<[u8; 4]>().prop_map(IpAddr::from).boxed()
    };
    let max = if v6 { 128u8 } else { 32 };
    (
        address,
        prop::option::of(0..=max),
        prop::option::of(name()),
        prop::option::of(prop_oneof![Just("link".to_string()), Just("7".to_string())]),
        prop::option::of(name()),
        prop::option::of(any::<[u8; 4]>()),
    )
        .prop_map(
            move |(address, prefix_len, dev, scope, label, brd)| VirtualAddress {
                address,
                prefix_len,
                brd: if v6 { None } else { brd.map(IpAddr::from) },
                dev,
                scope,
                label,
            },
        )
}

fn arb_instance(index: usize) -> impl Strategy<Value = VrrpInstance> {
    (
        any::<bool>(),
        1u8..=255,
        any::<u8>(),
        1u16..=255,
        any::<bool>(),
    )
        .prop_flat_map(move |(v6, vrid, priority, interval, strict_flags)| {
            (
                Just((v6, vrid, priority, interval, strict_flags)),
                prop::collection::vec(arb_vip(v6), 0..3),
                prop::option::of("[a-z0-9]{1,8}"),
                prop::option::of(free_text()),
                prop::option::of(any::<bool>()),
            )
        })
        .prop_map(
            move |((v6, vrid, priority, interval, flag), vips, pass, notify, accept)| {
                let priority = priority.max(1);
                let version = if v6 || flag { Version::V3 } else { Version::V2 };
                let advert_int = match version {
                    Version::V2 => Duration::from_secs(u64::from(interval)),
                    Version::V3 => Duration::from_millis(10 * u64::from(interval.min(4095))),
                };
                let state = match (priority, flag) {
                    (255, _) | (_, true) => Some(StartState::Master),
                    _ => Some(StartState::Backup),
                };
                let nopreempt = state == Some(StartState::Backup) && priority % 2 == 0;
                let family_ok = vips.first().map(|a| a.address.is_ipv6()) == Some(v6);
                VrrpInstance {
                    name: format!("VI_{index}"),
                    state,
                    interface: format!("eth{index}"),
                    virtual_router_id: vrid,
                    priority,
                    advert_int,
                    version,
                    authentication: match (version, pass) {
                        (Version::V2, Some(pass)) => Some(Authentication { pass }),
                        _ => None,
                    },
                    virtual_ipaddress: if family_ok { vips } else { Vec::new() },
                    virtual_ipaddress_excluded: Vec::new(),
                    track_interface: vec![Tracked {
                        name: "eth9".into(),
                        weight: Some(-5),
                        reverse: flag,
                    }],
                    track_script: Vec::new(),
                    notify: Notify {
                        master: notify.map(|command| Command {
                            command,
                            user: None,
                        }),
                        ..Notify::default()
                    },
                    smtp_alert: Some(flag),
                    nopreempt,
                    preempt_delay: if nopreempt || state == Some(StartState::Master) {
                        Duration::ZERO
                    } else {
                        Duration::from_micros(u64::from(vrid) * 1001)
                    },
                    accept,
                    unicast_src_ip: None,
                    unicast_peer: Vec::new(),
                    garp_master_delay: Duration::from_secs(u64::from(vrid)),
                    garp_master_repeat: u32::from(vrid),
                    garp_master_refresh: Duration::from_secs(3),
                    garp_master_refresh_repeat: 1,
                }
            },
        )
}

fn arb_conf() -> impl Strategy<Value = KeepalivedConf> {
    (
        prop::option::of(name()),
        prop::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.org", 0..3),
        arb_instance(0),
        arb_instance(1),
        any::<bool>(),
        1u32..100,
    )
        .prop_map(|(router_id, emails, a, b, strict, timeout)| {
            let global = GlobalDefs {
                router_id,
                notification_email: emails,
                smtp_connect_timeout: Duration::from_secs(u64::from(timeout)),
                vrrp_strict: strict,
                script_user: Some(ScriptUser {
                    user: "nobody".into(),
                    group: None,
                }),
                ..GlobalDefs::default()
            };
            let script = VrrpScript {
                name: "chk".into(),
                script: "/bin/true".into(),
                interval: Duration::from_secs(u64::from(timeout)),
                timeout: None,
                weight: -2,
                weight_reverse: false,
                rise: timeout,
                fall: 1,
                user: None,
            };
            let mut a = a;
            a.track_script = vec![Tracked {
                name: "chk".into(),
                weight: None,
                reverse: false,
            }];
            KeepalivedConf {
                global,
                scripts: vec![script],
                sync_groups: vec![SyncGroup {
                    name: "G".into(),
                    group: vec![a.name.clone(), b.name.clone()],
                    notify: Notify::default(),
                    smtp_alert: None,
                }],
                instances: vec![a, b],
            }
        })
}

proptest! {
    #[test]
    fn model_to_text_to_model(conf in arb_conf()) {
        let text = conf.render();
        prop_assert_eq!(parse(&text), Ok(conf), "{}", text);
    }

    #[test]
    fn any_text_parses_or_is_refused_at_a_line_and_what_parses_round_trips(
        text in "[ -~\n{}\"#!]{0,300}",
    ) {
        match parse(&text) {
            Ok(conf) => prop_assert_eq!(parse(&conf.render()), Ok(conf)),
            Err(errors) => {
                for e in errors.errors() {
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn one_changed_word_of_a_seed_file_parses_or_is_refused(
        index in 0usize..60,
        replacement in "[a-z0-9{}\"!#./:_-]{0,8}",
    ) {
        let text = include_str!("testdata/seed004_master.conf");
        let mut words: Vec<String> = text.split(' ').map(String::from).collect();
        let i = index % words.len();
        words[i] = replacement;
        if let Ok(conf) = parse(&words.join(" ")) {
            prop_assert_eq!(parse(&conf.render()), Ok(conf));
        }
    }
}

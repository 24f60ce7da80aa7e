//! The resolver's order and messages, over scratch directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ha_conf::Source;

use super::*;
use crate::haresources::parse_haresources;

/// `ha.d`, `init.d` and `ocf` directories of their own, removed on drop.
struct Dirs {
    root: PathBuf,
    resolver: Resolver,
}

impl Dirs {
    fn new(name: &str) -> Dirs {
        let root = std::env::temp_dir().join(format!(
            "ha-resources-resolve-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        let resolver = Resolver {
            config_dir: root.join("ha.d"),
            init_dir: root.join("init.d"),
            ocf_root: root.join("ocf"),
            director: root.join("sbin/lvs-director"),
            ipvsadm: root.join("sbin/ipvsadm"),
        };
        for dir in [
            resolver.resource_dir(),
            resolver.init_dir.clone(),
            resolver.ocf_root.join("resource.d/test"),
            resolver.ocf_root.join("resource.d/heartbeat"),
        ] {
            fs::create_dir_all(dir).expect("create a scratch directory");
        }
        Dirs { root, resolver }
    }

    /// Writes a script at `path` with `mode`.
    fn script(&self, path: &Path, mode: u32) -> PathBuf {
        fs::write(path, "#!/bin/sh\nexit 0\n").expect("write a script");
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        path.to_path_buf()
    }

    fn resource_d(&self, name: &str, mode: u32) -> PathBuf {
        self.script(&self.resolver.resource_dir().join(name), mode)
    }

    fn init_d(&self, name: &str, mode: u32) -> PathBuf {
        self.script(&self.resolver.init_dir.join(name), mode)
    }

    /// How the only resource of `node WORD` resolves.
    fn resolve(&self, word: &str) -> Result<Resolved, String> {
        let parsed = parse_haresources(&Source::new("haresources", format!("node {word}\n")))
            .expect("the word parses");
        self.resolver
            .resolve(&parsed.groups[0].resources[0])
            .map_err(|e| e.to_string())
    }

    fn describe(&self, word: &str) -> String {
        match self.resolve(word) {
            Ok(resolved) => resolved.describe(),
            Err(error) => panic!("{word} does not resolve: {error}"),
        }
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

#[test]
fn defaults_are_heartbeats_directories() {
    let resolver = Resolver::default();
    assert_eq!(resolver.config_dir, Path::new("/etc/ha.d"));
    assert_eq!(resolver.init_dir, Path::new("/etc/init.d"));
    assert_eq!(resolver.ocf_root, Path::new("/usr/lib/ocf"));
    assert_eq!(resolver.resource_dir(), Path::new("/etc/ha.d/resource.d"));
    assert_eq!(
        Resolver::with_config_dir("/tmp/x").resource_dir(),
        Path::new("/tmp/x/resource.d")
    );
}

#[test]
fn native_beats_resource_d_beats_init_d() {
    let dirs = Dirs::new("order");
    for name in ["IPaddr2", "httpd", "Filesystem"] {
        dirs.resource_d(name, 0o755);
        dirs.init_d(name, 0o755);
    }
    dirs.init_d("sshd", 0o755);
    let filesystem = dirs.script(
        &dirs
            .resolver
            .ocf_root
            .join("resource.d/heartbeat/Filesystem"),
        0o755,
    );
    assert_eq!(
        dirs.describe("IPaddr2::10.0.0.2/24/eth0"),
        "native IPaddr2: 10.0.0.2/24 on eth0"
    );
    let resource_d = dirs.resolver.resource_dir();
    assert_eq!(
        dirs.describe("httpd"),
        format!(
            "heartbeat resource script {}",
            resource_d.join("httpd").display()
        )
    );
    // heartbeat's own names run their OCF agent, even with heartbeat's
    // wrapper still in resource.d.
    assert_eq!(
        dirs.describe("Filesystem::/dev/sda1::/data1::ext2"),
        format!(
            "OCF agent {} (device=/dev/sda1, directory=/data1, fstype=ext2)",
            filesystem.display()
        )
    );
    assert_eq!(
        dirs.describe("sshd::a"),
        format!(
            "LSB init script {} with arguments a",
            dirs.resolver.init_dir.join("sshd").display()
        )
    );
}

#[test]
fn native_descriptions() {
    let dirs = Dirs::new("native");
    assert_eq!(
        dirs.describe("10.0.0.5"),
        "native IPaddr: 10.0.0.5 (interface and prefix from the subnet that holds it)"
    );
    assert_eq!(
        dirs.describe("IPaddr::10.0.0.5/24"),
        "native IPaddr: 10.0.0.5/24 (interface from the subnet that holds it)"
    );
    assert_eq!(
        dirs.describe("IPaddr2::10.0.0.5/255.255.255.0/eth1:web/10.0.0.255"),
        "native IPaddr2: 10.0.0.5/24 on eth1:web, broadcast 10.0.0.255"
    );
}

#[test]
fn a_script_that_is_not_executable_is_passed_over_as_heartbeat_does() {
    let dirs = Dirs::new("passed-over");
    dirs.resource_d("httpd", 0o644);
    let init = dirs.init_d("httpd", 0o755);
    assert_eq!(
        dirs.describe("httpd"),
        format!("LSB init script {}", init.display())
    );
}

#[test]
fn not_found_and_not_executable_are_told_apart() {
    let dirs = Dirs::new("missing");
    let script = dirs.resolver.resource_dir().join("httpd");
    let init = dirs.resolver.init_dir.join("httpd");
    assert_eq!(
        dirs.resolve("httpd"),
        Err(format!(
            "haresources:1: resource 'httpd': no native agent, no {}, no {}",
            script.display(),
            init.display()
        ))
    );
    dirs.resource_d("httpd", 0o644);
    dirs.init_d("httpd", 0o600);
    assert_eq!(
        dirs.resolve("httpd::x"),
        Err(format!(
            "haresources:1: resource 'httpd': no native agent, {} is not executable, {} is not executable",
            script.display(),
            init.display()
        ))
    );
    fs::create_dir(dirs.resolver.init_dir.join("dir")).expect("mkdir");
    assert_eq!(
        dirs.resolve("dir"),
        Err(format!(
            "haresources:1: resource 'dir': no native agent, no {}, {} is not a regular file",
            dirs.resolver.resource_dir().join("dir").display(),
            dirs.resolver.init_dir.join("dir").display()
        ))
    );
    let hint = dirs
        .resolve("ipaddr2::10.0.0.1")
        .expect_err("no such script");
    assert!(hint.ends_with("(did you mean 'IPaddr2'?)"), "{hint}");
}

#[test]
fn ipaddr_arguments_are_read_by_the_native_parser() {
    let dirs = Dirs::new("ipaddr-args");
    let cases = [
        ("IPaddr::10.0.0.1/33", "IPaddr: prefix length '33' is out of range; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0"),
        ("IPaddr::10.0.0.2/255.0.255.0", "IPaddr: netmask 255.0.255.0 is not a contiguous mask of 1-32 bits; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0"),
        ("IPaddr::300.1.1.1", "IPaddr: '300.1.1.1' is not an IPv4 address; expected a dotted quad such as 192.168.1.10"),
        ("IPaddr", "IPaddr needs an address: IPaddr::ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]"),
        ("IPaddr2::10.0.0.3::eth0", "IPaddr2 takes one argument, ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]], not 2 separated by '::'"),
        ("10.0.0.10::eth0", "IPaddr takes one argument, ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]], not 2 separated by '::'"),
        ("IPaddr::10.0.0.4/24/eth0/10.0.0.x", "IPaddr: broadcast '10.0.0.x' is not an IPv4 address; expected e.g. 192.168.1.255"),
        ("IPaddr::10.0.0.5/24/eth0/10.0.0.255/extra", "IPaddr argument '10.0.0.5/24/eth0/10.0.0.255/extra' has an unexpected field 'extra'; expected ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]"),
        ("IPaddr::10.0.0.6//eth0", "IPaddr argument '10.0.0.6//eth0' has an empty field 2; expected ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]"),
        ("IPaddr2::10.0.0.7/24/averyveryverylongname", "IPaddr2: 'averyveryverylongname' is not an interface name; expected at most 15 characters without '/' or ':', such as eth0"),
        ("IPaddr2::10.0.0.8/24/eth0:labeltoolong", "IPaddr2: address label 'eth0:labeltoolong' is longer than 15 characters"),
        ("IPaddr::224.0.0.1", "IPaddr: 224.0.0.1 cannot be a service address; expected a unicast IPv4 address"),
        ("IPaddr2::10.0.0.11/24/eth0/+", "IPaddr2: the broadcast symbol '+' is not supported; give the broadcast address, or leave it out to have it computed from the prefix"),
        ("IPaddr::0.1.2.3", "IPaddr: 0.1.2.3 cannot be a service address; expected a unicast IPv4 address"),
        ("IPaddr::10.0.0.13/0", "IPaddr: prefix length '0' is out of range; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0"),
    ];
    for (word, message) in cases {
        assert_eq!(
            dirs.resolve(word),
            Err(format!("haresources:1: {message}")),
            "{word}"
        );
    }
    // A script named like a native agent does not take its place.
    dirs.resource_d("IPaddr", 0o755);
    assert!(dirs.resolve("IPaddr::10.0.0.1/33").is_err());
}

#[test]
fn ocf_agents_by_provider_and_type_with_parameters() {
    let dirs = Dirs::new("ocf");
    let agent = dirs.script(
        &dirs.resolver.ocf_root.join("resource.d/test/Recorder"),
        0o755,
    );
    assert_eq!(
        dirs.resolve("ocf:test:Recorder::state=/run/x::ip=10.0.0.1/24"),
        Ok(Resolved::Ocf(OcfResource {
            ocf_root: dirs.resolver.ocf_root.clone(),
            provider: "test".into(),
            agent_type: "Recorder".into(),
            params: vec![
                ("state".into(), "/run/x".into()),
                ("ip".into(), "10.0.0.1/24".into())
            ],
        }))
    );
    assert_eq!(
        dirs.describe("ocf:test:Recorder::state=/run/x::ip=10.0.0.1/24"),
        format!(
            "OCF agent {} (state=/run/x, ip=10.0.0.1/24)",
            agent.display()
        )
    );
    assert_eq!(
        dirs.describe("ocf:test:Recorder"),
        format!("OCF agent {}", agent.display())
    );
    let missing = dirs.resolver.ocf_root.join("resource.d/heartbeat/Dummy");
    for (word, message) in [
        (
            "ocf:heartbeat:Dummy",
            format!("resource 'ocf:heartbeat:Dummy': no OCF agent {} (resource-agents installs it)", missing.display()),
        ),
        (
            "ocf:test",
            "resource 'ocf:test': expected ocf:PROVIDER:TYPE[::name=value...], e.g. ocf:heartbeat:Dummy::state=/run/dummy.state".into(),
        ),
        (
            "ocf:test:Recorder:x",
            "resource 'ocf:test:Recorder:x': expected ocf:PROVIDER:TYPE[::name=value...], e.g. ocf:heartbeat:Dummy::state=/run/dummy.state".into(),
        ),
        (
            "ocf:test:Recorder::state",
            "resource 'ocf:test:Recorder': parameter 'state' is not name=value".into(),
        ),
        (
            "ocf:test:Recorder::1x=y",
            "resource 'ocf:test:Recorder': parameter name '1x' is not valid; expected letters, digits and '_', not starting with a digit".into(),
        ),
        (
            "ocf:test:Recorder::a=1::a=2",
            "resource 'ocf:test:Recorder': parameter 'a' is given twice".into(),
        ),
    ] {
        assert_eq!(dirs.resolve(word), Err(format!("haresources:1: {message}")), "{word}");
    }
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(
        dirs.resolve("ocf:test:Recorder"),
        Err(format!(
            "haresources:1: resource 'ocf:test:Recorder': OCF agent {} is not executable",
            agent.display()
        ))
    );
}

#[test]
fn resolve_all_reports_every_resource_and_shared_addresses_by_line() {
    let dirs = Dirs::new("all");
    dirs.init_d("httpd", 0o755);
    let text = "a 10.0.0.1 httpd\nb 10.0.0.2 IPaddr2::10.0.0.3\nc 10.0.0.4 IPaddr::10.0.0.3/24 mysql\nd IPaddr::10.0.0.1/33\ne IPv6addr::2001:db8:0:0:0:0:0:10/64/eth0\nf IPv6addr::2001:db8:0:0:0:0:0:10\n";
    let parsed = parse_haresources(&Source::new("haresources", text)).expect("parses");
    let errors: Vec<String> = dirs
        .resolver
        .resolve_all(&parsed)
        .expect_err("mysql is missing, 10.0.0.3 is shared")
        .errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "haresources:3: address 10.0.0.3 is already managed by the resource on line 2".to_string(),
            format!(
                "haresources:3: resource 'mysql': no native agent, no {}, no {}",
                dirs.resolver.resource_dir().join("mysql").display(),
                dirs.resolver.init_dir.join("mysql").display()
            ),
            "haresources:4: IPaddr: prefix length '33' is out of range; expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0".to_string(),
            "haresources:6: address 2001:db8::10 is already managed by the resource on line 5".to_string(),
        ]
    );
    let good =
        parse_haresources(&Source::new("haresources", "a 10.0.0.1 httpd\n")).expect("parses");
    let resolved = dirs.resolver.resolve_all(&good).expect("resolves");
    let lines: Vec<String> = resolved[0]
        .resources()
        .map(|(spec, how)| format!("{}: {}", spec.text, how.describe()))
        .collect();
    assert_eq!(
        lines,
        [
            "10.0.0.1: native IPaddr: 10.0.0.1 (interface and prefix from the subnet that holds it)".to_string(),
            format!("httpd: LSB init script {}", dirs.resolver.init_dir.join("httpd").display()),
        ]
    );
}

#[test]
fn heartbeats_names_without_their_agent_or_with_wrong_arguments_say_so() {
    let dirs = Dirs::new("legacy");
    let agent = dirs.resolver.ocf_root.join("resource.d/heartbeat/apache");
    assert_eq!(
        dirs.resolve("apache::/etc/apache2/apache2.conf"),
        Err(format!(
            "haresources:1: resource 'apache': no OCF agent {} (resource-agents installs it)",
            agent.display()
        ))
    );
    assert_eq!(
        dirs.resolve("Filesystem::/dev/sdb1"),
        Err("haresources:1: resource 'Filesystem': expected \
             Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]], as heartbeat's Filesystem \
             takes (1 argument given)"
            .into())
    );
}

#[test]
fn heartbeats_ocf_wrapper_reads_the_instance_file() {
    let dirs = Dirs::new("ocf-wrapper");
    let agent = dirs.script(
        &dirs.resolver.ocf_root.join("resource.d/test/Recorder"),
        0o755,
    );
    let conf = dirs.resolver.config_dir.join("conf/OCF/Recorder");
    fs::create_dir_all(&conf).expect("conf dir");
    fs::write(
        conf.join("web"),
        "# the web state\nOCF_RESKEY_state=/run/web.state\nOCF_RESKEY_delay='2'\n",
    )
    .expect("instance file");
    assert_eq!(
        dirs.describe("OCF::Recorder::web"),
        format!(
            "OCF agent {} (state=/run/web.state, delay=2)",
            agent.display()
        )
    );
    fs::write(conf.join("bad"), "OCF_RESKEY_state=/run/x\nstate=$HOME\n").expect("write");
    assert_eq!(
        dirs.resolve("OCF::Recorder::bad"),
        Err(format!(
            "haresources:1: resource 'OCF::Recorder::bad': {}:2: 'state' is not an \
             OCF_RESKEY_ parameter (the agent reads only those); write OCF_RESKEY_state=...",
            conf.join("bad").display()
        ))
    );
    let missing = dirs
        .resolve("OCF::Recorder::none")
        .expect_err("no instance file");
    assert!(
        missing.contains("cannot read its parameters from"),
        "{missing}"
    );
    let missing_agent = dirs.resolve("OCF::Nothing::web").expect_err("no agent");
    assert!(missing_agent.contains("cannot read") || missing_agent.contains("no OCF agent"));
    assert!(dirs
        .resolve("OCF::Recorder")
        .expect_err("no instance")
        .contains("expected OCF::TYPE::INSTANCE"));
}

#[test]
fn ldirectord_is_a_script_if_there_is_one_else_lvs_director() {
    let dirs = Dirs::new("ldirectord");
    let director = dirs.resolver.director.clone();
    let missing = dirs.resolve("ldirectord").expect_err("no director");
    assert!(
        missing.ends_with(&format!(
            "and lvs-director, which serves it: no {}",
            director.display()
        )),
        "{missing}"
    );
    fs::create_dir_all(director.parent().expect("a parent")).expect("sbin");
    dirs.script(&director, 0o755);
    let config_dir = dirs.resolver.config_dir.clone();
    assert_eq!(
        dirs.describe("ldirectord"),
        format!(
            "ldirectord's command line, served by {} with arguments {}",
            director.display(),
            config_dir.join("ldirectord.cf").display()
        )
    );
    assert_eq!(
        dirs.describe("ldirectord::www.cf"),
        format!(
            "ldirectord's command line, served by {} with arguments {}",
            director.display(),
            config_dir.join("www.cf").display()
        )
    );
    // A script of that name wins, as in heartbeat.
    let init = dirs.init_d("ldirectord", 0o755);
    assert_eq!(
        dirs.describe("ldirectord"),
        format!("LSB init script {}", init.display())
    );
}

#[test]
fn drbddisk_runs_drbd_utils_script_else_names_the_package() {
    let dirs = Dirs::new("drbddisk");
    let missing = dirs.resolve("drbddisk::r0").expect_err("no drbd-utils");
    let script = dirs.resolver.resource_dir().join("drbddisk");
    assert_eq!(
        missing,
        format!(
            "haresources:1: resource 'drbddisk': no {}, no {}: drbd-utils installs {}; \
             install drbd-utils",
            script.display(),
            dirs.resolver.init_dir.join("drbddisk").display(),
            script.display()
        )
    );
    // drbd-utils' OCF agent alone cannot serve it, and the message says why.
    let linbit = dirs.resolver.ocf_root.join("resource.d/linbit");
    fs::create_dir_all(&linbit).expect("linbit provider");
    dirs.script(&linbit.join("drbd"), 0o755);
    let missing = dirs
        .resolve("drbdupper::r0")
        .expect_err("no drbd-utils script");
    assert!(
        missing
            .ends_with("its start leaves the device Secondary and only a promote makes it Primary"),
        "{missing}"
    );
    dirs.resource_d("drbddisk", 0o755);
    assert_eq!(
        dirs.describe("drbddisk::r0"),
        format!(
            "heartbeat resource script {} with arguments r0",
            script.display()
        )
    );
    assert_eq!(
        dirs.describe("drbddisk"),
        format!("heartbeat resource script {}", script.display())
    );
    // The script being there does not make a wrong form right.
    let wrong = dirs.resolve("drbddisk::r0::r1").expect_err("two resources");
    assert!(
        wrong.starts_with("haresources:1: resource 'drbddisk': expected drbddisk[::RESOURCE]"),
        "{wrong}"
    );
}

#[test]
fn lvs_sync_daemon_swap_is_a_script_if_there_is_one_else_ipvsadm() {
    let dirs = Dirs::new("lvssync");
    let ipvsadm = dirs.resolver.ipvsadm.clone();
    let missing = dirs
        .resolve("LVSSyncDaemonSwap::master")
        .expect_err("no ipvsadm");
    assert!(
        missing.starts_with("haresources:1: resource 'LVSSyncDaemonSwap': no ")
            && missing.ends_with(&format!(
                "and ipvsadm, which serves it: no {}; install ipvsadm",
                ipvsadm.display()
            )),
        "{missing}"
    );
    fs::create_dir_all(ipvsadm.parent().expect("sbin")).expect("sbin");
    dirs.script(&ipvsadm, 0o755);
    assert_eq!(
        dirs.describe("LVSSyncDaemonSwap::master"),
        format!(
            "IPVS sync daemon swap served by {}: start runs the master sync daemon \
             (stopping the backup one), stop runs the backup one",
            ipvsadm.display()
        )
    );
    assert!(matches!(
        dirs.resolve("LVSSyncDaemonSwap::backup"),
        Ok(Resolved::IpvsSync(spec)) if spec.state == crate::class::ipvs_sync::SyncState::Backup
    ));
    let wrong = dirs
        .resolve("LVSSyncDaemonSwap::primary")
        .expect_err("not a sync state");
    assert_eq!(
        wrong,
        "haresources:1: resource 'LVSSyncDaemonSwap': expected LVSSyncDaemonSwap::master or \
         LVSSyncDaemonSwap::backup, as heartbeat's script takes (given: primary)"
    );
    // heartbeat's own script, where it was kept, runs as before.
    let script = dirs.resource_d("LVSSyncDaemonSwap", 0o755);
    assert_eq!(
        dirs.describe("LVSSyncDaemonSwap::master"),
        format!(
            "heartbeat resource script {} with arguments master",
            script.display()
        )
    );
}

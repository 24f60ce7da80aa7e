//! End to end: `ha-node check-config` on malformed ha.cf, authkeys and
//! haresources files exits 1 and prints every problem as `FILE:LINE: message`
//! (or `FILE: message` for a whole-file problem); a valid set exits 0 and
//! says how each resource will run.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

/// A valid ha.cf for node-a and node-b (8 lines; appended lines start at 9);
/// its medium is on `lo`, which every host has.
const HA_CF: &str = "keepalive 100ms
warntime 300ms
deadtime 500ms
initdead 2
udpport 694
bcast lo
auto_failback on
node node-a node-b
";

/// A valid authkeys.
const AUTHKEYS: &str = "auth 1\n1 sha1 lab-cluster-secret\n";

/// A valid haresources.
const HARESOURCES: &str = "node-a IPaddr::10.77.0.100/24/eth0\n";

/// A configuration directory of its own, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

/// What `check-config` did.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Scratch {
    /// A directory holding the valid files, unique to this test process and `name`.
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "ha-node-check-config-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["resource.d", "init.d", "ocf/resource.d/test"] {
            fs::create_dir_all(dir.join(sub)).expect("create the scratch directories");
        }
        let scratch = Scratch { dir };
        scratch.write("ha.cf", HA_CF);
        scratch.write("authkeys", AUTHKEYS);
        scratch.write("haresources", HARESOURCES);
        scratch
    }

    /// Replaces `file` with `text` (authkeys gets mode 0600).
    fn write(&self, file: &str, text: &str) {
        let path = self.dir.join(file);
        fs::write(&path, text).expect("write a config file");
        if file == "authkeys" {
            self.chmod(file, 0o600);
        }
    }

    /// Writes an executable script `file` (e.g. `init.d/httpd`).
    fn script(&self, file: &str) {
        self.write(file, "#!/bin/sh\nexit 0\n");
        self.chmod(file, 0o755);
    }

    fn chmod(&self, file: &str, mode: u32) {
        fs::set_permissions(self.dir.join(file), fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// The path of `file` as check-config prints it.
    fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }

    /// `ha-node check-config --config-dir DIR --node NODE`, init scripts
    /// and OCF agents looked for in DIR/init.d and DIR/ocf.
    fn check(&self, node: &str) -> Outcome {
        let output = Command::new(BINARY)
            .arg("check-config")
            .arg("--config-dir")
            .arg(&self.dir)
            .arg("--node")
            .arg(node)
            .arg("--init-dir")
            .arg(self.dir.join("init.d"))
            .arg("--ocf-root")
            .arg(self.dir.join("ocf"))
            .arg("--director")
            .arg(self.dir.join("sbin/lvs-director"))
            .arg("--ipvsadm")
            .arg(self.dir.join("sbin/ipvsadm"))
            .output()
            .expect("run ha-node check-config");
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs check-config for node-a and insists on exit 1 and exactly `expected` on stderr.
    fn expect_errors(&self, expected: &[String]) {
        self.expect_errors_for("node-a", expected);
    }

    fn expect_errors_for(&self, node: &str, expected: &[String]) {
        let outcome = self.check(node);
        let lines: Vec<&str> = outcome.stderr.lines().collect();
        assert_eq!(
            lines, expected,
            "stderr of check-config (exit {:?})",
            outcome.code
        );
        assert_eq!(
            outcome.code,
            Some(1),
            "exit code; stderr:\n{}",
            outcome.stderr
        );
        assert_eq!(outcome.stdout, "", "nothing on stdout when the check fails");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_valid_configuration_exits_0_and_says_ok() {
    let scratch = Scratch::new("valid");
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(
        outcome.stdout,
        format!(
            "{}:1: IPaddr::10.77.0.100/24/eth0: native IPaddr: 10.77.0.100/24 on eth0\n\
             {}: configuration OK for node node-a\n",
            scratch.path("haresources"),
            scratch.dir.display()
        )
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn media_on_interfaces_this_host_lacks_are_warned_about_and_still_exit_0() {
    let scratch = Scratch::new("interfaces");
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}bcast nosuchif0\nucast nosuchif1 10.0.0.2\nmcast lo 239.0.0.1 694 1 0\n"),
    );
    let ha_cf = scratch.path("ha.cf");
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(
        outcome.stderr.lines().collect::<Vec<_>>(),
        [
            format!("{ha_cf}:9: warning: bcast: interface 'nosuchif0' does not exist on this host"),
            format!(
                "{ha_cf}:10: warning: ucast: interface 'nosuchif1' does not exist on this host"
            ),
        ]
    );
    assert!(
        outcome.stdout.ends_with(&format!(
            "{}: configuration OK for node node-a\n",
            scratch.dir.display()
        )),
        "{}",
        outcome.stdout
    );
}

#[test]
fn compression_is_accepted_with_heartbeats_meaning() {
    let scratch = Scratch::new("compression");
    // Seed 003's lines: the threshold is noted, since heartbeat only uses
    // it with traditional compression.
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}compression     bz2\ncompression_threshold 2\n"),
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(
        outcome.stderr,
        format!(
            "{}:10: warning: compression_threshold takes effect only with \
             'traditional_compression on' (as in heartbeat): without it, only messages \
             of 256 KiB or more are compressed\n",
            scratch.path("ha.cf")
        )
    );
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}compression zlib\ncompression_threshold 1\ntraditional_compression on\n"),
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}compression lzo\ncompression_threshold 0\n"),
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[
        format!("{ha_cf}:9: compression: expected a compression method: zlib or bz2, found 'lzo'"),
        format!(
            "{ha_cf}:10: compression_threshold: 0 is out of range \
             (expected a size in KiB from 1 to 2097151)"
        ),
    ]);
}

#[test]
fn an_unknown_directive_is_refused_with_a_hint_when_one_fits() {
    let scratch = Scratch::new("unknown");
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}frobnicate on\nlogfle /var/log/ha-log\n"),
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[
        format!("{ha_cf}:9: unknown directive 'frobnicate'"),
        format!("{ha_cf}:10: unknown directive 'logfle'; did you mean 'logfile'?"),
    ]);
}

#[test]
fn directives_heartbeat_knows_but_we_do_not_implement_are_refused_by_name() {
    let scratch = Scratch::new("unsupported");
    scratch.write(
        "ha.cf",
        &format!(
            "{HA_CF}hbaping fc-card-name\nhopfudge 2\n\
             failfast hb\ncrm yes\n"
        ),
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[
        format!("{ha_cf}:9: directive 'hbaping' is not supported yet"),
        format!("{ha_cf}:10: directive 'hopfudge' is not supported yet"),
        format!("{ha_cf}:11: directive 'failfast' is not supported yet"),
        format!(
            "{ha_cf}:12: crm yes: the cluster resource manager (Pacemaker) is not \
             supported yet; only 'crm off' is accepted"
        ),
    ]);
}

#[test]
fn bad_time_values_say_what_a_time_looks_like() {
    let scratch = Scratch::new("time");
    scratch.write(
        "ha.cf",
        "keepalive 2s\ndeadtime 0\ninitdead 10 s\nbcast eth0\nnode node-a node-b\n",
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[
        format!("{ha_cf}:1: keepalive: expected a time such as 2, 1.5 or 500ms, found '2s'"),
        format!("{ha_cf}:2: deadtime must be greater than 0"),
        format!("{ha_cf}:3: initdead: expected one value, found 2: '10 s'"),
    ]);
}

#[test]
fn deadtime_must_be_more_than_twice_keepalive() {
    let scratch = Scratch::new("deadtime");
    scratch.write(
        "ha.cf",
        "keepalive 1\ndeadtime 2\nbcast eth0\nnode node-a node-b\n",
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[format!(
        "{ha_cf}:2: deadtime (2s) must be more than twice keepalive (1s)"
    )]);

    // Without a deadtime line the complaint is on the keepalive line.
    scratch.write("ha.cf", "keepalive 20\nbcast eth0\nnode node-a node-b\n");
    scratch.expect_errors(&[format!(
        "{ha_cf}:1: keepalive (20s) must be less than half of deadtime (30s by default)"
    )]);
}

#[test]
fn warntime_must_exceed_keepalive_and_warns_from_deadtime_on() {
    let scratch = Scratch::new("warntime");
    let ha_cf = scratch.path("ha.cf");
    scratch.write("ha.cf", &HA_CF.replace("warntime 300ms", "warntime 100ms"));
    scratch.expect_errors(&[format!(
        "{ha_cf}:2: warntime (100ms) must be greater than keepalive (100ms)"
    )]);
    // heartbeat takes it; we do too, with a warning.
    scratch.write("ha.cf", &HA_CF.replace("warntime 300ms", "warntime 500ms"));
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(&format!(
            "{ha_cf}:2: warning: warntime (500ms) is not less than deadtime (500ms)"
        )),
        "{}",
        outcome.stderr
    );
}

/// One malformed ha.cf per value with a fixed domain: exit 1 and the exact
/// message at the line of the value.
#[test]
fn every_value_with_a_fixed_domain_is_checked_at_its_line() {
    let scratch = Scratch::new("domains");
    let ha_cf = scratch.path("ha.cf");
    let replaced = |from: &str, to: &str| HA_CF.replace(from, to);
    let appended = |line: &str| format!("{HA_CF}{line}\n");
    let cases = [
        (
            replaced("initdead 2", "initdead 400ms"),
            "4: initdead (400ms) must be at least deadtime (500ms)",
        ),
        (
            replaced("udpport 694", "udpport 0"),
            "5: udpport: expected a port number from 1 to 65535, found '0'",
        ),
        (
            replaced("udpport 694", "udpport 65536"),
            "5: udpport: expected a port number from 1 to 65535, found '65536'",
        ),
        (
            appended("mcast lo 10.0.0.1 694 1 0"),
            "9: mcast: expected a multicast group from 224.0.0.0 to 239.255.255.255, \
             found '10.0.0.1'",
        ),
        (
            appended("mcast lo 239.0.0.1 0 1 0"),
            "9: mcast: expected a port number from 1 to 65535, found '0'",
        ),
        (
            appended("mcast lo 239.0.0.1 694 256 0"),
            "9: mcast: expected a TTL from 1 to 255, found '256'",
        ),
        (
            appended("mcast lo 239.0.0.1 694 0 0"),
            "9: mcast: a TTL of 0 never leaves this host; use 1 for the local network",
        ),
        (
            appended("mcast lo 239.0.0.1 694 1 2"),
            "9: mcast: expected loop 0 or 1, found '2'",
        ),
        (
            appended("ucast lo 2001:db8::2"),
            "9: ucast: '2001:db8::2' is an IPv6 address; IPv6 peers go on ucast6 lines \
             (ucast6 lo 2001:db8::2)",
        ),
    ];
    for (text, message) in cases {
        scratch.write("ha.cf", &text);
        scratch.expect_errors(&[format!("{ha_cf}:{message}")]);
    }
}

#[test]
fn the_local_node_must_be_in_the_node_list() {
    let scratch = Scratch::new("local");
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors_for(
        "node-c",
        &[format!(
            "{ha_cf}: this node 'node-c' is not listed in a node line (listed: node-a, \
             node-b); nodes are named as `uname -n` prints them"
        )],
    );
}

#[test]
fn authkeys_readable_by_others_is_refused_with_the_fix() {
    let scratch = Scratch::new("mode");
    scratch.chmod("authkeys", 0o644);
    let authkeys = scratch.path("authkeys");
    scratch.expect_errors(&[format!(
        "{authkeys}: permissions 0644 let group or others read or write the keys; \
         `chmod 600 {authkeys}` fixes it"
    )]);
}

#[test]
fn auth_must_name_a_key_of_the_file() {
    let scratch = Scratch::new("auth");
    scratch.write("authkeys", "auth 2\n1 sha1 lab-cluster-secret\n");
    let authkeys = scratch.path("authkeys");
    scratch.expect_errors(&[format!(
        "{authkeys}:1: auth 2: key 2 is not defined in this file (defined: 1)"
    )]);
}

#[test]
fn an_unknown_method_is_refused() {
    let scratch = Scratch::new("method");
    scratch.write("authkeys", "auth 1\n1 sha512 secret\n2 SHA1 secret\n");
    let authkeys = scratch.path("authkeys");
    scratch.expect_errors(&[
        format!("{authkeys}:2: key 1: unknown method 'sha512'; expected crc, md5, sha1 or sha256"),
        format!(
            "{authkeys}:3: key 2: unknown method 'SHA1'; expected crc, md5, sha1 or sha256 \
             (did you mean 'sha1'?)"
        ),
    ]);
}

#[test]
fn resources_without_a_script_are_refused_by_name_and_place() {
    // Seed 002's cluster: its haresources line, its node names.
    let scratch = Scratch::new("seed002");
    scratch.write(
        "ha.cf",
        &HA_CF.replace("node node-a node-b", "node ha-master\nnode ha-slave"),
    );
    scratch.write(
        "haresources",
        "ha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n",
    );
    scratch.write("init.d/ldirectord", "#!/bin/sh\n");
    let haresources = scratch.path("haresources");
    let (resource_d, init_d) = (scratch.path("resource.d"), scratch.path("init.d"));
    scratch.expect_errors_for(
        "ha-master",
        &[
            format!(
                "{haresources}:1: resource 'ipvsadm': no native agent, no {resource_d}/ipvsadm, \
                 no {init_d}/ipvsadm"
            ),
            format!(
                "{haresources}:1: resource 'ldirectord': no {resource_d}/ldirectord, \
                 {init_d}/ldirectord is not executable, and lvs-director, which serves it: \
                 no {}",
                scratch.path("sbin/lvs-director")
            ),
        ],
    );
}

#[test]
fn each_resource_is_said_how_it_will_run() {
    let scratch = Scratch::new("classes");
    // heartbeat's own wrapper in resource.d is passed over for the agent.
    scratch.script("resource.d/Filesystem");
    fs::create_dir_all(scratch.dir.join("ocf/resource.d/heartbeat")).expect("mkdir");
    scratch.script("ocf/resource.d/heartbeat/Filesystem");
    scratch.script("init.d/httpd");
    scratch.script("resource.d/IPaddr2");
    scratch.script("ocf/resource.d/test/Recorder");
    scratch.write(
        "haresources",
        "node-a IPaddr2::10.77.0.100/24/eth0 \\\n\
         \tFilesystem::/dev/sda1::/data1::ext2 \\\n\
         \thttpd\n\
         node-b ocf:test:Recorder::state=/tmp/r\n",
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    let haresources = scratch.path("haresources");
    assert_eq!(
        outcome.stdout.lines().collect::<Vec<_>>(),
        [
            format!(
                "{haresources}:1: IPaddr2::10.77.0.100/24/eth0: native IPaddr2: \
                 10.77.0.100/24 on eth0"
            ),
            format!(
                "{haresources}:2: Filesystem::/dev/sda1::/data1::ext2: OCF agent {} \
                 (device=/dev/sda1, directory=/data1, fstype=ext2)",
                scratch.path("ocf/resource.d/heartbeat/Filesystem")
            ),
            format!(
                "{haresources}:3: httpd: LSB init script {}",
                scratch.path("init.d/httpd")
            ),
            format!(
                "{haresources}:4: ocf:test:Recorder::state=/tmp/r: OCF agent {} (state=/tmp/r)",
                scratch.path("ocf/resource.d/test/Recorder")
            ),
            format!(
                "{}: configuration OK for node node-a",
                scratch.dir.display()
            ),
        ]
    );
}

#[test]
fn ipsrcaddr_sendarp_delay_and_ipv6addr_run_natively_and_other_parameters_fall_back() {
    let scratch = Scratch::new("native-four");
    fs::create_dir_all(scratch.dir.join("ocf/resource.d/heartbeat")).expect("mkdir");
    scratch.script("ocf/resource.d/heartbeat/IPsrcaddr");
    scratch.write(
        "haresources",
        "node-a IPsrcaddr::10.77.0.100 SendArp::10.77.0.100/eth1 \\\n\
         \tDelay Delay::2.5::1 IPv6addr::2001:db8:0:0:0:0:0:10/64/eth0 IPv6addr::2001:db8:0:0:0:0:0:11\n\
         node-b ocf:heartbeat:Delay::startdelay=1::mondelay=0 \\\n\
         \tocf:heartbeat:SendArp::ip=10.77.0.101::nic=eth0::background=false \\\n\
         \tocf:heartbeat:IPsrcaddr::ipaddress=10.77.0.101::destination=0.0.0.0/0\n",
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    let haresources = scratch.path("haresources");
    let expected = [
        "1: IPsrcaddr::10.77.0.100: native IPsrcaddr: 10.77.0.100 as the default route's source"
            .to_string(),
        "1: SendArp::10.77.0.100/eth1: native SendArp: gratuitous ARP for 10.77.0.100 on eth1, \
         5 × 200 ms"
            .to_string(),
        "2: Delay: native Delay: start 10 s, stop 30 s, monitor 30 s".to_string(),
        "2: Delay::2.5::1: native Delay: start 2.5 s, stop 1 s, monitor 30 s".to_string(),
        "2: IPv6addr::2001:db8:0:0:0:0:0:10/64/eth0: native IPv6addr: 2001:db8::10/64 on eth0".to_string(),
        "2: IPv6addr::2001:db8:0:0:0:0:0:11: native IPv6addr: 2001:db8::11 (interface and prefix from \
         the address of the same prefix)"
            .to_string(),
        "3: ocf:heartbeat:Delay::startdelay=1::mondelay=0: native Delay: start 1 s, stop 30 s, \
         monitor 0 s"
            .to_string(),
        "4: ocf:heartbeat:SendArp::ip=10.77.0.101::nic=eth0::background=false: native SendArp: \
         gratuitous ARP for 10.77.0.101 on eth0, 5 × 200 ms, start waits for all"
            .to_string(),
        format!(
            "5: ocf:heartbeat:IPsrcaddr::ipaddress=10.77.0.101::destination=0.0.0.0/0: OCF agent \
             {} (ipaddress=10.77.0.101, destination=0.0.0.0/0)",
            scratch.path("ocf/resource.d/heartbeat/IPsrcaddr")
        ),
    ];
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    for line in &expected {
        let full = format!("{haresources}:{line}");
        assert!(
            lines.contains(&full.as_str()),
            "{full}\nnot in:\n{}",
            outcome.stdout
        );
    }
    scratch.write("haresources", "node-a SendArp::10.77.0.100 Delay::x\n");
    scratch.expect_errors(&[
        format!(
            "{haresources}:1: SendArp argument '10.77.0.100' has no interface; expected \
             SendArp::ADDRESS/INTERFACE"
        ),
        format!(
            "{haresources}:1: Delay: startdelay 'x' is not a number; expected seconds such as \
             10 or 2.5"
        ),
    ]);
}

#[test]
fn a_bad_ipaddr_argument_says_what_was_expected() {
    let scratch = Scratch::new("ipaddr");
    scratch.write(
        "haresources",
        "node-a IPaddr::10.77.0.300/24/eth0\nnode-b IPaddr2::10.77.0.101/33\n",
    );
    let haresources = scratch.path("haresources");
    scratch.expect_errors(&[
        format!(
            "{haresources}:1: IPaddr: '10.77.0.300' is not an IPv4 address; expected \
             a dotted quad such as 192.168.1.10"
        ),
        format!(
            "{haresources}:2: IPaddr2: prefix length '33' is out of range; expected a \
             prefix length 1-32 or a dotted netmask such as 255.255.255.0"
        ),
    ]);
}

#[test]
fn a_preferred_node_missing_from_ha_cf_is_refused() {
    let scratch = Scratch::new("preferred");
    scratch.write("haresources", "node-c IPaddr::10.77.0.100/24/eth0\n");
    let haresources = scratch.path("haresources");
    scratch.expect_errors(&[format!(
        "{haresources}:1: preferred node 'node-c' is not a node of the cluster \
         (ha.cf names: node-a, node-b)"
    )]);
}

#[test]
fn errors_in_all_three_files_are_printed_together() {
    let scratch = Scratch::new("all");
    scratch.write("ha.cf", &format!("{HA_CF}frobnicate on\n"));
    scratch.write("authkeys", "auth 2\n1 sha1 lab-cluster-secret\n");
    scratch.chmod("authkeys", 0o644);
    scratch.write("haresources", "node-a IPaddr::10.77.0.100/33/eth0\n");
    let (ha_cf, authkeys, haresources) = (
        scratch.path("ha.cf"),
        scratch.path("authkeys"),
        scratch.path("haresources"),
    );
    scratch.expect_errors(&[
        format!("{ha_cf}:9: unknown directive 'frobnicate'"),
        format!(
            "{authkeys}: permissions 0644 let group or others read or write the keys; \
             `chmod 600 {authkeys}` fixes it"
        ),
        format!("{authkeys}:1: auth 2: key 2 is not defined in this file (defined: 1)"),
        format!(
            "{haresources}:1: IPaddr: prefix length '33' is out of range; expected a \
             prefix length 1-32 or a dotted netmask such as 255.255.255.0"
        ),
    ]);
}

#[test]
fn respawn_apiauth_and_watchdog_are_described_and_warned_about() {
    let scratch = Scratch::new("clients");
    scratch.write(
        "ha.cf",
        &format!(
            "{HA_CF}respawn root /bin/sleep 1000\n\
             respawn hacluster /usr/lib64/heartbeat/ipfail\n\
             apiauth ipfail gid=haclient uid=hacluster\n\
             apiauth ping gid=nosuchgroup-x uid=root,nosuchuser-x\n\
             watchdog /nonexistent/watchdog\n"
        ),
    );
    let ha_cf = scratch.path("ha.cf");
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(
        outcome.stderr.lines().collect::<Vec<_>>(),
        [
            format!(
                "{ha_cf}: warning: watchdog: /nonexistent/watchdog does not exist on this \
                 host; the node will run without a watchdog"
            ),
            format!(
                "{ha_cf}:10: warning: ipfail without ping nodes does nothing: add a ping or \
                 ping_group line"
            ),
            format!(
                "{ha_cf}:12: warning: apiauth ping: heartbeat's client API is not served, so \
                 the client 'ping' cannot connect (only ipfail is served, built in)"
            ),
            format!("{ha_cf}:12: warning: apiauth ping: user 'nosuchuser-x' does not exist"),
            format!("{ha_cf}:12: warning: apiauth ping: group 'nosuchgroup-x' does not exist"),
        ]
    );
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", outcome.stdout);
    assert_eq!(
        lines[1],
        format!(
            "{ha_cf}:9: respawn sleep: runs `/bin/sleep 1000` as root (uid 0, gid 0) with the \
             node, in its own process group, its output logged as 'sleep'; restarted when it \
             exits, except with code 100, 1 s after a run shorter than 30 s and not after 11 \
             such runs in a row; stopped with the node (SIGTERM, SIGKILL after 5 s)"
        )
    );
    assert_eq!(
        lines[2],
        format!("{ha_cf}:10: respawn ipfail: not run: ha-node's built-in ipfail does its work")
    );
    assert_eq!(
        lines[3],
        format!(
            "{ha_cf}: watchdog /nonexistent/watchdog: written every keepalive (100 ms) by the \
             membership loop, timeout 1 s, closed with 'V' when the node stops"
        )
    );
}

#[test]
fn respawn_users_and_programs_must_exist_and_lines_must_be_well_formed() {
    let scratch = Scratch::new("clients-bad");
    scratch.write(
        "ha.cf",
        &format!(
            "{HA_CF}respawn nosuchuser-x /bin/true\n\
             respawn root /nonexistent/prog\n\
             respawn root\n\
             apiauth ipfail\n\
             watchdog\n"
        ),
    );
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[
        format!(
            "{ha_cf}:11: respawn: expected USER /FULL/PATH/PROGRAM [ARGS...], found only \
             'root' (no program)"
        ),
        format!(
            "{ha_cf}:12: apiauth ipfail: expected a uid= or gid= list (syntax: apiauth \
             CLIENT uid=USER[,USER...] and/or gid=GROUP[,GROUP...])"
        ),
        format!("{ha_cf}:13: watchdog: expected a file name, found nothing"),
    ]);
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}respawn nosuchuser-x /bin/true\nrespawn root /nonexistent/prog\n"),
    );
    scratch.expect_errors(&[
        format!("{ha_cf}:9: respawn: user 'nosuchuser-x' does not exist on this host"),
        format!("{ha_cf}:10: respawn: /nonexistent/prog: No such file or directory (os error 2)"),
    ]);
}

#[test]
fn a_keepalive_the_serial_line_cannot_carry_is_refused_with_the_figures() {
    let scratch = Scratch::new("serial-capacity");
    scratch.write(
        "ha.cf",
        "baud 9600\nkeepalive 100ms\nwarntime 300ms\ndeadtime 500ms\ninitdead 2\n\
         serial /dev/ttyS0\nnode node-a node-b\n",
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(1), "stderr:\n{}", outcome.stderr);
    let expected = format!(
        "{}: the serial line cannot carry a keepalive of 100 ms: at 9600 baud the line \
         carries 960 bytes/s; 2 nodes × 1 status of ~",
        scratch.path("ha.cf")
    );
    assert!(outcome.stderr.starts_with(&expected), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(" bytes every 100 ms needs "),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("raise keepalive or baud"));

    // At 115200 baud the same keepalive fits.
    scratch.write(
        "ha.cf",
        "baud 115200\nkeepalive 100ms\nwarntime 300ms\ndeadtime 500ms\ninitdead 2\n\
         serial /dev/ttyS0\nnode node-a node-b\n",
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
}

#[test]
fn check_config_says_how_fencing_will_run() {
    let scratch = Scratch::new("devices");
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(
        !outcome.stdout.contains(": fencing ("),
        "{}",
        outcome.stdout
    );
    scratch.script("fence");
    let fence = scratch.path("fence");
    scratch.write(
        "ha.cf",
        &format!(
            "{HA_CF}stonith_host node-b null node-a node-b\nstonith_command {fence} -q\n\
             stonith_host node-a null node-a node-b\n"
        ),
    );
    let ha_cf = scratch.path("ha.cf");
    let a = scratch.check("node-a");
    assert_eq!(a.code, Some(0), "{}", a.stderr);
    assert!(
        a.stdout.contains(&format!(
            "{ha_cf}:11: fencing (stonith_host node-a null node-a node-b): runs \
             `/usr/sbin/stonith -t null -p \"node-a node-b\" -T reset NODE`"
        )),
        "{}",
        a.stdout
    );
    // The last line that applies to node-b is the command.
    let b = scratch.check("node-b");
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    assert!(
        b.stdout.contains(&format!(
            "{ha_cf}:10: fencing (stonith_command {fence} -q): runs `{fence} -q NODE`"
        )),
        "{}",
        b.stdout
    );
}

#[test]
fn a_fencing_device_this_host_cannot_run_is_an_error_at_its_line() {
    let scratch = Scratch::new("badfencing");
    scratch.write("ha.cf", &format!("{HA_CF}stonith_host * nosuchdevice x\n"));
    let ha_cf = scratch.path("ha.cf");
    scratch.expect_errors(&[format!(
        "{ha_cf}:9: invalid STONITH type 'nosuchdevice': `stonith -L` does not list it"
    )]);
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}stonith null /nonexistent/null.cfg\n"),
    );
    scratch.expect_errors(&[format!(
        "{ha_cf}:9: stonith: the configuration file /nonexistent/null.cfg does not exist"
    )]);
    scratch.write(
        "ha.cf",
        &format!("{HA_CF}stonith_command /nonexistent/fence\n"),
    );
    scratch.expect_errors(&[format!(
        "{ha_cf}:9: stonith_command: /nonexistent/fence: No such file or directory (os error 2)"
    )]);
    scratch.write("ha.cf", &format!("{HA_CF}stonith external/ssh\n"));
    scratch.expect_errors(&[format!(
        "{ha_cf}:9: stonith: expected TYPE CONFIGFILE (e.g. external/ssh /etc/ha.d/stonith.cfg), \
         found only 'external/ssh' (no configuration file)"
    )]);
}

/// Links resource-agents' heartbeat agents and their shell functions
/// (Debian's `/usr/lib/ocf`) into the scratch OCF root.
fn link_resource_agents(scratch: &Scratch) {
    let real = Path::new("/usr/lib/ocf");
    assert!(
        real.join("resource.d/heartbeat/IPaddr2").is_file(),
        "install resource-agents (the README's test command does)"
    );
    std::os::unix::fs::symlink(
        real.join("resource.d/heartbeat"),
        scratch.dir.join("ocf/resource.d/heartbeat"),
    )
    .expect("link the agents");
    std::os::unix::fs::symlink(real.join("lib"), scratch.dir.join("ocf/lib"))
        .expect("link the shell functions");
}

#[test]
fn ocf_agents_refuse_a_missing_required_parameter_and_a_failed_validate_all() {
    let scratch = Scratch::new("ocf-validate");
    link_resource_agents(&scratch);
    let haresources = scratch.path("haresources");
    // IPaddr2 is served natively, and refused as such without ip=.
    scratch.write(
        "haresources",
        "node-a ocf:heartbeat:IPaddr2::cidr_netmask=24\n",
    );
    scratch.expect_errors(&[format!(
        "{haresources}:1: ocf:heartbeat:IPaddr2 needs ip=ADDRESS (its one required parameter)"
    )]);
    let state = scratch.path("dummy.state");
    scratch.write(
        "haresources",
        &format!(
            "node-a ocf:heartbeat:Filesystem::device=/dev/sdz1::fstype=ext4\n\
             node-b ocf:heartbeat:Dummy::state={state}\n\
             node-b ocf:heartbeat:IPsrcaddr::ipaddress=not-an-ip::destination=0.0.0.0/0\n\
             node-b ocf:heartbeat:Dummy::state=/nonexistent/dir/state\n"
        ),
    );
    let agents = scratch.path("ocf/resource.d/heartbeat");
    let began = std::time::Instant::now();
    scratch.expect_errors(&[
        format!(
            "{haresources}:1: resource 'ocf:heartbeat:Filesystem::device=/dev/sdz1::fstype=ext4': \
             required parameter 'directory' is not set ({agents}/Filesystem marks it \
             required=\"1\"; write \
             ocf:heartbeat:Filesystem::device=/dev/sdz1::fstype=ext4::directory=VALUE)"
        ),
        format!(
            "{haresources}:3: resource \
             'ocf:heartbeat:IPsrcaddr::ipaddress=not-an-ip::destination=0.0.0.0/0': \
             validate-all failed: not configured: Invalid IP address [not-an-ip]"
        ),
        format!(
            "{haresources}:4: resource 'ocf:heartbeat:Dummy::state=/nonexistent/dir/state': \
             validate-all failed: invalid arguments: State file \"/nonexistent/dir/state\" is \
             not writable"
        ),
    ]);
    eprintln!(
        "check-config with 4 resource-agents resources: {} ms",
        began.elapsed().as_millis()
    );
    // The good ones alone pass, said how they run.
    scratch.write(
        "haresources",
        &format!(
            "node-a ocf:heartbeat:Dummy\n\
             node-b ocf:heartbeat:Dummy::state={state}\n"
        ),
    );
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    assert!(
        outcome.stdout.contains(&format!(
            "{haresources}:2: ocf:heartbeat:Dummy::state={state}: OCF agent"
        )),
        "{}",
        outcome.stdout
    );
}

#[test]
fn a_validate_all_failure_this_host_may_cause_is_a_warning_and_runs_without_check_level() {
    let scratch = Scratch::new("ocf-warning");
    scratch.write(
        "ocf/resource.d/test/Picky",
        "#!/bin/sh\n\
         case \"$1\" in\n\
         meta-data) echo '<resource-agent><parameters><parameter name=\"x\" required=\"0\"/>\
         </parameters></resource-agent>'; exit 0;;\n\
         validate-all) echo \"ocf-exit-reason:no frobnicator here (level=$OCF_CHECK_LEVEL, \
         x=$OCF_RESKEY_x, root=$OCF_ROOT)\" >&2; exit 5;;\n\
         esac\nexit 0\n",
    );
    scratch.chmod("ocf/resource.d/test/Picky", 0o755);
    scratch.write("haresources", "node-a ocf:test:Picky::x=1\n");
    let output = Command::new(BINARY)
        .env("OCF_CHECK_LEVEL", "10")
        .arg("check-config")
        .arg("--config-dir")
        .arg(&scratch.dir)
        .arg("--node")
        .arg("node-a")
        .arg("--ocf-root")
        .arg(scratch.dir.join("ocf"))
        .output()
        .expect("run check-config");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "{}:1: warning: resource 'ocf:test:Picky::x=1': validate-all failed: not \
             installed: no frobnicator here (level=, x=1, root={})",
            scratch.path("haresources"),
            scratch.path("ocf")
        )
    );
}

#[test]
fn drbddisk_needs_drbd_utils_and_lvs_sync_daemon_swap_ipvsadm() {
    let scratch = Scratch::new("packaged");
    scratch.write(
        "haresources",
        "node-a drbddisk::r0 LVSSyncDaemonSwap::master\nnode-b drbdupper\n",
    );
    let (haresources, resource_d, init_d) = (
        scratch.path("haresources"),
        scratch.path("resource.d"),
        scratch.path("init.d"),
    );
    scratch.expect_errors(&[
        format!(
            "{haresources}:1: resource 'drbddisk': no {resource_d}/drbddisk, no \
             {init_d}/drbddisk: drbd-utils installs {resource_d}/drbddisk; install drbd-utils"
        ),
        format!(
            "{haresources}:1: resource 'LVSSyncDaemonSwap': no {resource_d}/LVSSyncDaemonSwap, \
             no {init_d}/LVSSyncDaemonSwap, and ipvsadm, which serves it: no {}; install ipvsadm",
            scratch.path("sbin/ipvsadm")
        ),
        format!(
            "{haresources}:2: resource 'drbdupper': expected drbdupper::RESOURCE (a resource \
             name, not 'all'), as drbd-utils' script takes (given: no argument)"
        ),
    ]);

    scratch.write(
        "haresources",
        "node-a drbddisk::r0 LVSSyncDaemonSwap::master\n",
    );
    scratch.script("resource.d/drbddisk");
    fs::create_dir_all(scratch.dir.join("sbin")).expect("mkdir");
    scratch.script("sbin/ipvsadm");
    let outcome = scratch.check("node-a");
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert_eq!(
        outcome.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            format!(
                "{haresources}:1: drbddisk::r0: heartbeat resource script {resource_d}/drbddisk \
                 with arguments r0"
            ),
            format!(
                "{haresources}:1: LVSSyncDaemonSwap::master: IPVS sync daemon swap served by \
                 {}: start runs the master sync daemon (stopping the backup one), stop runs \
                 the backup one",
                scratch.path("sbin/ipvsadm")
            ),
        ]
    );
}

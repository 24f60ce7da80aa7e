//! Seed 004's two keepalived.conf files (a MASTER at priority 100 and a
//! BACKUP at 99, VRID 55, VRRPv2 with PASS, the virtual IP with `label
//! eth0:1`), unchanged but for the addresses, run on the lab's two nodes
//! (node-a 10.77.0.1, node-b 10.77.0.2 on eth0, a client at 10.77.0.10,
//! "who am I" responders on TCP 8080):
//!
//! 1. A pair of `ha-node vrrp run`: the MASTER holds the address with its
//!    label (as `ip addr` shows it); SIGTERM sends priority 0 and the
//!    address moves to the BACKUP; started again, the MASTER preempts.
//! 2. Ours MASTER beside keepalived 2.2.7 BACKUP, and 3. keepalived MASTER
//!    beside ours BACKUP (started through a link named `keepalived` with
//!    the real keepalived's command line): kill -9 of the master, the other takes the
//!    address and the client is served by it; neither side logs a
//!    complaint about the other's packets.
//!
//! Also: the same pair as VRRPv3 over IPv6 at 100 ms; check-config and
//! `keepalived -t` on the seed files and broken copies; notify scripts.
//!
//! Needs root and Debian's keepalived; the namespaces are removed even
//! after a panic. Each step prints its time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ha_lab::cluster::Node;
use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};
use ha_lab::{LabChild, Signal};

/// Seed 004's MASTER file, its 192.168.1.100 the lab's 10.77.0.100.
const SEED_MASTER: &str = "! Configuration File for keepalived
global_defs {
notification_email {
1335234172@qq.com
}
notification_email_from Alexandre.Cassen@firewall.loc
smtp_server 127.0.0.1
smtp_connect_timeout 30
router_id wyl01
}
vrrp_instance VI_1 {
state MASTER
interface eth0
virtual_router_id 55
priority 100
advert_int 1
authentication {
auth_type PASS
auth_pass 1111
}
virtual_ipaddress {
10.77.0.100/24 dev eth0 label eth0:1
}
}
";

/// The BACKUP file: the seed's three changes.
fn seed_backup() -> String {
    SEED_MASTER
        .replace("router_id wyl01", "router_id wyl02")
        .replace("state MASTER", "state BACKUP")
        .replace("priority 100", "priority 99")
}

fn seed(node: Node) -> String {
    match node {
        Node::A => SEED_MASTER.to_string(),
        Node::B => seed_backup(),
    }
}

/// What keepalived 2.2.7 logs about a packet it does not like.
const KEEPALIVED_COMPLAINTS: &[&str] = &[
    "invalid",
    "Invalid",
    "mismatch",
    "bogus",
    "Bogus",
    "received an invalid",
    "wrong",
    "ignoring",
];

/// Our `ha-node vrrp run` on one node.
struct Ours {
    child: Option<LabChild>,
    dir: PathBuf,
}

impl Ours {
    fn dir(pair: &KeepalivedPair, node: Node) -> PathBuf {
        let dir = pair.node_dir(node).join("ours");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn start(pair: &KeepalivedPair, node: Node) -> Ours {
        Ours::start_with(pair, node, &seed(node))
    }

    fn start_with(pair: &KeepalivedPair, node: Node, text: &str) -> Ours {
        let dir = Ours::dir(pair, node);
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, text).unwrap();
        let mut cmd = pair.host(node).command(env!("CARGO_BIN_EXE_ha-node"));
        cmd.args(["vrrp", "run", "-f"])
            .arg(&conf)
            .arg("--pid-file")
            .arg(dir.join("pid"))
            .arg("--socket")
            .arg(dir.join("sock"));
        Ours::spawn(pair, node, cmd, dir)
    }

    /// Started through a link named `keepalived`, with the command line
    /// the lab gives the real keepalived.
    fn start_as_keepalived(pair: &KeepalivedPair, node: Node) -> Ours {
        let dir = Ours::dir(pair, node);
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, seed(node)).unwrap();
        let link = dir.join("keepalived");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ha-node"), &link).unwrap();
        let mut cmd = pair.host(node).command(&link);
        cmd.args([
            "--dont-fork",
            "--log-console",
            "--log-detail",
            "--no-syslog",
            "--vrrp",
        ])
        .arg("--use-file")
        .arg(&conf)
        .arg("--pid")
        .arg(dir.join("keepalived.pid"))
        .arg("--vrrp_pid")
        .arg(dir.join("vrrp.pid"))
        .arg("--checkers_pid")
        .arg(dir.join("checkers.pid"))
        .arg("--bfd_pid")
        .arg(dir.join("bfd.pid"))
        .env("HA_NODE_VRRP_SOCKET", dir.join("sock"));
        let ours = Ours::spawn(pair, node, cmd, dir.clone());
        assert!(
            wait(Duration::from_secs(5), || dir.join("vrrp.pid").exists()).is_some(),
            "{}",
            ours.log()
        );
        ours
    }

    fn spawn(pair: &KeepalivedPair, node: Node, cmd: std::process::Command, dir: PathBuf) -> Ours {
        let child = pair
            .host(node)
            .spawn_logged(cmd, &dir.join("output.log"))
            .unwrap();
        Ours {
            child: Some(child),
            dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("output.log")).unwrap_or_default()
    }

    fn status(&self, pair: &KeepalivedPair, node: Node) -> serde_json::Value {
        let text = pair
            .host(node)
            .run(
                env!("CARGO_BIN_EXE_ha-node"),
                [
                    "vrrp",
                    "status",
                    "--json",
                    "--socket",
                    self.dir.join("sock").to_str().unwrap(),
                ],
            )
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn terminate(&mut self) {
        let child = self.child.take().unwrap();
        child.signal(Signal::SIGTERM).unwrap();
        assert!(
            child
                .wait_timeout(Duration::from_secs(15))
                .unwrap()
                .is_some(),
            "ours did not stop: {}",
            self.log()
        );
    }

    fn kill(&mut self) {
        let child = self.child.take().unwrap();
        child.signal_group(Signal::SIGKILL).unwrap();
        child.wait().unwrap();
    }
}

/// Whether `node` shows the virtual IP with label eth0:1 in `ip addr`.
fn holds_labelled(pair: &KeepalivedPair, node: Node) -> bool {
    let text = pair
        .host(node)
        .ip(&["-o", "-4", "addr", "show", "dev", "eth0", "label", "eth0:1"])
        .unwrap_or_default();
    text.contains("inet 10.77.0.100/24 ") && text.contains("eth0:1")
}

fn holds(pair: &KeepalivedPair, node: Node) -> bool {
    pair.holds_vip(node).unwrap_or(false)
}

fn wait(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn served_by(pair: &KeepalivedPair, node: Node) -> bool {
    let vip: SocketAddr = pair.vip();
    pair.client()
        .probe_tcp(vip, Duration::from_millis(300))
        .ok()
        .flatten()
        .as_deref()
        == Some(node.reply())
}

fn lab(tag: &str) -> KeepalivedPair {
    let spec = KeepalivedSpec {
        vrrp_version: 2,
        virtual_router_id: 55,
        ..KeepalivedSpec::new("1")
    };
    let pair = KeepalivedPair::new(tag, spec).expect("lab (root and keepalived needed)");
    for node in Node::BOTH {
        std::fs::write(pair.config_path(node), seed(node)).unwrap();
    }
    pair
}

#[test]
fn the_seed_pair_of_ours_holds_hands_over_and_preempts() {
    let pair = lab("vs1");
    // The MASTER first, as the seed starts them (two routers started at
    // once race their master-down timers, 3.609 s and 3.613 s).
    let mut a = Ours::start(&pair, Node::A);
    let took = wait(Duration::from_secs(10), || holds_labelled(&pair, Node::A))
        .unwrap_or_else(|| panic!("A never held the VIP:\n{}", a.log()));
    println!("MASTER held 10.77.0.100 label eth0:1 {took:?} after start");
    let b = Ours::start(&pair, Node::B);
    let shown = pair
        .host(Node::A)
        .ip(&["addr", "show", "dev", "eth0"])
        .unwrap();
    assert!(
        shown.contains("inet 10.77.0.100/24") && shown.contains("eth0:1"),
        "{shown}"
    );
    assert!(wait(Duration::from_secs(5), || served_by(&pair, Node::A)).is_some());
    std::thread::sleep(Duration::from_secs(3));
    assert!(!holds(&pair, Node::B), "{}", b.log());
    let seen = b.status(&pair, Node::B);
    let vi = &seen["instances"][0];
    assert_eq!(vi["state"], "BACKUP", "{seen}");
    assert_eq!(vi["master"], "10.77.0.1", "{seen}");
    assert_eq!(vi["configured_priority"], 99, "{seen}");
    assert!(vi["adverts_received"].as_u64().unwrap() >= 2, "{seen}");

    // SIGTERM: priority 0; the BACKUP takes over within its skew time.
    let stopped = Instant::now();
    a.terminate();
    let moved = wait(Duration::from_secs(10), || holds_labelled(&pair, Node::B))
        .unwrap_or_else(|| panic!("B never took over:\n{}", b.log()));
    println!(
        "BACKUP held the VIP {moved:?} after SIGTERM (terminate took {:?})",
        stopped.elapsed() - moved
    );
    assert!(
        !holds(&pair, Node::A),
        "A kept the VIP after SIGTERM:\n{}",
        a.log()
    );
    assert!(
        a.log().contains("Entering STOP STATE") || a.log().contains("STOP"),
        "{}",
        a.log()
    );
    assert!(wait(Duration::from_secs(5), || served_by(&pair, Node::B)).is_some());
    let seen = b.status(&pair, Node::B);
    assert_eq!(seen["instances"][0]["state"], "MASTER", "{seen}");
    assert_eq!(seen["instances"][0]["priority_zero_received"], 1, "{seen}");

    // Started again, the MASTER (100 > 99) preempts.
    let restarted = Instant::now();
    let a2 = Ours::start(&pair, Node::A);
    let back = wait(Duration::from_secs(10), || {
        holds_labelled(&pair, Node::A) && !holds(&pair, Node::B)
    })
    .unwrap_or_else(|| panic!("A did not preempt:\n{}\n{}", a2.log(), b.log()));
    println!(
        "MASTER preempted {back:?} after its restart ({:?})",
        restarted.elapsed()
    );
    assert!(wait(Duration::from_secs(5), || served_by(&pair, Node::A)).is_some());
    let seen = b.status(&pair, Node::B);
    let vi = &seen["instances"][0];
    println!("BACKUP's counters: {vi}");
    assert_eq!(vi["state"], "BACKUP");
    assert_eq!(vi["master"], "10.77.0.1", "{seen}");
    assert_eq!(vi["drops"]["auth_failure"], 0, "{seen}");
    for log in [a.log(), a2.log(), b.log()] {
        assert!(!log.contains("dropped a"), "{log}");
    }
}

/// Ours on `ours_node` with the seed file of that node, keepalived on the
/// other; kill -9 of the MASTER (node-a).
fn mixed(tag: &str, ours_node: Node) {
    let mut pair = lab(tag);
    let ka_node = ours_node.other();
    // The MASTER first, as the seed starts them: both starting within a
    // few milliseconds would race their master-down timers (keepalived
    // 2.2.7, like ours, waits the whole interval even as `state MASTER`).
    let mut ours = None;
    let started = Instant::now();
    for node in [Node::A, Node::B] {
        if node == ours_node && node == Node::B {
            ours = Some(Ours::start_as_keepalived(&pair, node));
        } else if node == ours_node {
            ours = Some(Ours::start(&pair, node));
        } else {
            pair.start(node).unwrap();
        }
        if node == Node::A {
            assert!(
                wait(Duration::from_secs(10), || holds_labelled(&pair, Node::A)).is_some(),
                "A never held the VIP:\n{}",
                pair.output(Node::A)
            );
            println!(
                "{tag}: MASTER held the VIP {:?} after start",
                started.elapsed()
            );
        }
    }
    let mut ours = ours.unwrap();
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        !holds(&pair, Node::B),
        "{}\n{}",
        ours.log(),
        pair.output(ka_node)
    );
    assert!(holds_labelled(&pair, Node::A));
    assert!(wait(Duration::from_secs(5), || served_by(&pair, Node::A)).is_some());
    if ka_node == Node::B {
        assert!(
            pair.output(Node::B).contains("Entering BACKUP STATE"),
            "{}",
            pair.output(Node::B)
        );
        assert_eq!(pair.master_entries(Node::B), 0, "{}", pair.output(Node::B));
    } else {
        let seen = ours.status(&pair, Node::B);
        assert_eq!(seen["instances"][0]["state"], "BACKUP", "{seen}");
        assert_eq!(seen["instances"][0]["master"], "10.77.0.1", "{seen}");
    }

    // kill -9 of the MASTER: the BACKUP takes the address, the client is served by it.
    let killed = Instant::now();
    if ours_node == Node::A {
        ours.kill();
    } else {
        pair.kill(Node::A).unwrap();
    }
    let moved = wait(Duration::from_secs(10), || holds(&pair, Node::B)).unwrap_or_else(|| {
        panic!(
            "B never took over:\n{}\n{}",
            ours.log(),
            pair.output(ka_node)
        )
    });
    let served = wait(Duration::from_secs(10), || served_by(&pair, Node::B))
        .unwrap_or_else(|| panic!("the client was not served by B"));
    println!(
        "{tag}: BACKUP held the VIP {moved:?} after kill -9, client served by it {:?} after",
        killed.elapsed().min(moved + served)
    );
    assert!(holds_labelled(&pair, Node::B));
    assert!(moved < Duration::from_secs(6), "{moved:?}");
    if ours_node == Node::B {
        let seen = ours.status(&pair, Node::B);
        let vi = &seen["instances"][0];
        println!("{tag}: our counters: {vi}");
        assert_eq!(vi["state"], "MASTER", "{seen}");
        assert_eq!(vi["became_master"], 1, "{seen}");
        assert!(vi["adverts_received"].as_u64().unwrap() >= 4, "{seen}");
        let drops = vi["drops"].as_object().unwrap();
        assert_eq!(drops.len(), 6, "{seen}");
        assert!(drops.values().all(|n| n == 0), "{seen}");
        assert_eq!(seen["sockets"][0]["undecodable"], 0, "{seen}");
    } else {
        assert_eq!(pair.master_entries(Node::B), 1, "{}", pair.output(Node::B));
    }
    if ours_node == Node::A {
        // Restarted, ours first removes what the killed run left, then
        // preempts keepalived (100 > 99).
        assert!(
            holds(&pair, Node::A),
            "kill -9 left the VIP, as a crash does"
        );
        ours = Ours::start(&pair, Node::A);
        let back = wait(Duration::from_secs(10), || {
            holds_labelled(&pair, Node::A) && !holds(&pair, Node::B)
        })
        .unwrap_or_else(|| panic!("{}\n{}", ours.log(), pair.output(Node::B)));
        println!("{tag}: restarted MASTER preempted keepalived {back:?} after its start");
        assert!(
            ours.log().contains("removed 10.77.0.100 from eth0"),
            "{}",
            ours.log()
        );
        assert!(wait(Duration::from_secs(5), || served_by(&pair, Node::A)).is_some());
    }
    let theirs = pair.output(ka_node);
    for complaint in KEEPALIVED_COMPLAINTS {
        assert!(
            !theirs.contains(complaint),
            "keepalived complained ({complaint}):\n{theirs}"
        );
    }
    assert!(!ours.log().contains("dropped a"), "{}", ours.log());
    println!("{tag}: ours:\n{}\nkeepalived:\n{}", ours.log(), theirs);
    let pid_file = ours.dir.join(if ours_node == Node::B {
        "vrrp.pid"
    } else {
        "pid"
    });
    ours.terminate();
    assert!(!pid_file.exists(), "the pid file stayed");
}

#[test]
fn ours_master_keepalived_backup_fail_over_on_kill() {
    mixed("vs2", Node::A);
}

#[test]
fn keepalived_master_ours_backup_fail_over_on_kill() {
    mixed("vs3", Node::B);
}

/// `ha-node vrrp check-config` (and `keepalived -t` through the link) on
/// the seed files and broken copies, inside a node (its eth0 exists):
/// exit 0 and OK, or exit 1 (5 as keepalived) with the exact FILE:LINE
/// lines; real keepalived 2.2.7 agrees on which files are broken.
#[test]
fn check_config_on_the_seed_files_and_broken_copies() {
    let pair = lab("vs4");
    let dir = Ours::dir(&pair, Node::A);
    let link = dir.join("keepalived");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ha-node"), &link).unwrap();
    let run = |program: &std::path::Path, args: &[&str]| {
        let out = pair
            .host(Node::A)
            .command(program)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ours = std::path::Path::new(env!("CARGO_BIN_EXE_ha-node"));
    let theirs = std::path::Path::new(ha_lab::keepalived::DEFAULT_BINARY);
    let script = "vrrp_script chk {\nscript \"/bin/true\"\n}\n";
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        ("master.conf", SEED_MASTER.to_string(), vec![]),
        ("backup.conf", seed_backup(), vec![]),
        (
            "priority.conf",
            SEED_MASTER.replace("priority 100", "priority 300"),
            vec!["{F}:15: priority: expected a whole number from 1 to 255, found '300'".into()],
        ),
        (
            "interface.conf",
            SEED_MASTER.replace("interface eth0", "interface eth9"),
            vec![
                "{F}:11: vrrp_instance VI_1: expected an 'interface' line".into(),
                "{F}:13: interface: 'eth9' does not exist on this host".into(),
            ],
        ),
        (
            "track.conf",
            format!(
                "{script}{}",
                SEED_MASTER.replace("advert_int 1\n", "advert_int 1\ntrack_script {\nchk\n}\n")
            ),
            vec!["{F}:20: track_script: not implemented by the VRRP driver yet".into()],
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &text).unwrap();
        let file = path.to_str().unwrap();
        let expected: Vec<String> = expected.iter().map(|l| l.replace("{F}", file)).collect();
        let (code, stdout, stderr) = run(ours, &["vrrp", "check-config", "-f", file]);
        let (link_code, _, link_stderr) = run(&link, &["-t", "-f", file]);
        let (their_code, _, their_stderr) = run(theirs, &["-t", "-f", file]);
        if expected.is_empty() {
            assert_eq!(code, Some(0), "{name}: {stderr}");
            assert_eq!(
                stdout,
                format!("{file}: configuration OK, 1 VRRP instance\n")
            );
            assert_eq!(link_code, Some(0), "{name}: {link_stderr}");
            assert_eq!(their_code, Some(0), "{name}: keepalived: {their_stderr}");
        } else {
            assert_eq!(code, Some(1), "{name}");
            assert_eq!(stderr.lines().collect::<Vec<_>>(), expected, "{name}");
            assert_eq!(link_code, Some(5), "{name}");
            assert_eq!(link_stderr, stderr, "{name}");
            // The track_script file is keepalived's language: only we refuse it.
            if name != "track.conf" {
                assert_eq!(their_code, Some(5), "{name}: keepalived: {their_stderr}");
            }
        }
    }
}

/// The seed MASTER with notify scripts (real programs, through
/// ha-process): `notify` gets keepalived's four arguments on each change
/// and on stop; `notify_master` runs on becoming master; a
/// `notify_backup` that hangs holds up neither.
#[test]
fn notify_scripts_run_with_keepalived_arguments() {
    let pair = lab("vs5");
    let dir = Ours::dir(&pair, Node::A);
    let record = dir.join("notify.log");
    let script = dir.join("notify.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$*\" >> {}\n", record.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let marker = dir.join("became-master");
    let text = SEED_MASTER.replace(
        "advert_int 1\n",
        &format!(
            "advert_int 1\nnotify {}\nnotify_master \"/usr/bin/touch {}\"\nnotify_backup \"/bin/sleep 600\"\n",
            script.display(),
            marker.display()
        ),
    );
    let mut ours = Ours::start_with(&pair, Node::A, &text);
    let started = Instant::now();
    let read = || std::fs::read_to_string(&record).unwrap_or_default();
    assert!(
        wait(Duration::from_secs(10), || read().contains("MASTER")).is_some(),
        "{}\n{}",
        read(),
        ours.log()
    );
    assert!(
        wait(Duration::from_secs(5), || marker.exists()).is_some(),
        "{}",
        ours.log()
    );
    assert!(holds_labelled(&pair, Node::A));
    let stopping = Instant::now();
    ours.terminate();
    // The hung notify_backup neither delayed the rest nor the stop.
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    println!(
        "notify: started to stopped {:?}, stop {:?}",
        started.elapsed(),
        stopping.elapsed()
    );
    assert_eq!(
        read(),
        "INSTANCE VI_1 BACKUP 100\nINSTANCE VI_1 MASTER 100\nINSTANCE VI_1 STOP 100\n",
        "{}",
        ours.log()
    );
    assert!(!holds(&pair, Node::A));
}

/// The seed pair as VRRPv3 over IPv6 at 100 ms, adverts from the
/// link-local address (the address line has no label: the kernel keeps
/// labels for IPv4 only): the MASTER holds 2001:db8:77::100, SIGTERM
/// moves it, the restarted MASTER preempts.
#[test]
fn the_seed_pair_over_ipv6_with_vrrp_v3() {
    let pair = lab("vs6");
    for node in Node::BOTH {
        let ready = wait(Duration::from_secs(10), || {
            let text = pair
                .host(node)
                .ip(&["-6", "addr", "show", "dev", "eth0", "scope", "link"])
                .unwrap_or_default();
            text.contains("inet6 fe80") && !text.contains("tentative")
        });
        assert!(ready.is_some(), "no link-local address on {node:?}");
    }
    let v6 = |node: Node| {
        seed(node)
            .replace("advert_int 1\n", "advert_int 0.1\nversion 3\n")
            .replace("authentication {\nauth_type PASS\nauth_pass 1111\n}\n", "")
            .replace(
                "10.77.0.100/24 dev eth0 label eth0:1",
                "2001:db8:77::100/64 dev eth0",
            )
    };
    let holds6 = |node: Node| {
        pair.host(node)
            .ip(&["-6", "addr", "show", "dev", "eth0"])
            .unwrap_or_default()
            .contains("2001:db8:77::100/64")
    };
    let mut a = Ours::start_with(&pair, Node::A, &v6(Node::A));
    assert!(
        wait(Duration::from_secs(5), || holds6(Node::A)).is_some(),
        "{}",
        a.log()
    );
    let b = Ours::start_with(&pair, Node::B, &v6(Node::B));
    std::thread::sleep(Duration::from_secs(1));
    assert!(!holds6(Node::B), "{}", b.log());
    let seen = b.status(&pair, Node::B);
    assert_eq!(seen["instances"][0]["state"], "BACKUP", "{seen}");
    assert!(
        seen["instances"][0]["master"]
            .as_str()
            .is_some_and(|m| m.starts_with("fe80::")),
        "{seen}"
    );
    a.terminate();
    let moved = wait(Duration::from_secs(5), || {
        holds6(Node::B) && !holds6(Node::A)
    })
    .unwrap_or_else(|| panic!("{}\n{}", a.log(), b.log()));
    println!("v6: BACKUP held the VIP {moved:?} after SIGTERM's end");
    let a2 = Ours::start_with(&pair, Node::A, &v6(Node::A));
    let back = wait(Duration::from_secs(5), || {
        holds6(Node::A) && !holds6(Node::B)
    })
    .unwrap_or_else(|| panic!("{}\n{}", a2.log(), b.log()));
    println!("v6: MASTER preempted {back:?} after its restart");
    let seen = b.status(&pair, Node::B);
    let vi = &seen["instances"][0];
    assert!(
        vi["drops"].as_object().unwrap().values().all(|n| n == 0),
        "{seen}"
    );
    assert_eq!(seen["sockets"][0]["undecodable"], 0, "{seen}");
}

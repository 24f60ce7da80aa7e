//! Resources with real agents, end to end: two nodes, each a machine of
//! its own (private /run, nginx's log, state and web root; its own
//! hostname), hold one group of an address (native IPaddr2), resource-
//! agents' `ocf:heartbeat:Dummy`, Debian's `/etc/init.d/nginx` run
//! unchanged, a `resource.d` script with `::` arguments, and resource-
//! agents' own IPaddr2 (`arp_bg` is not served natively). A client reads
//! nginx's page through the address. kill -9 of the owner moves the group
//! in order, and it comes back (the other node stopping it in reverse)
//! with auto_failback; a failed start leaves the preferred node nothing
//! of the group; what an agent's monitor finds gone is started again.
//!
//! What happened is read from the agents' own records, never from the
//! node's log: the `record` script's log (each start and stop with the
//! time and what it saw of the others: the address, Dummy's state file,
//! nginx's port, the second address), Dummy's state file, nginx's pid file
//! and access log, send_arp's pid file, and `ip addr` in the node's
//! namespace.
//!
//! Needs root and the Debian packages `resource-agents` and `nginx-light`
//! installed (the README's test command installs them).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{cluster, outputs, status, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::Host;

/// The virtual IP's web server.
const WEB: ([u8; 4], u16) = ([10, 77, 0, 100], 80);

/// The group of the failover test: every class of agent, in this order.
const GROUP: &str = "node-a IPaddr2::10.77.0.100/24/eth0 \
    ocf:heartbeat:Dummy::state=/run/dummy.state nginx record::one::two \
    ocf:heartbeat:IPaddr2::ip=10.77.0.101::cidr_netmask=24::nic=eth0::arp_bg=true\n";

/// A heartbeat resource script recording each start and stop in `record.log` of its ha.d (with its
/// arguments, the wall clock and what it sees of the resources before and
/// after it in the group); its state
/// is a file in the node's private /run.
const RECORD: &str = r#"#!/bin/sh
log="$(dirname "$0")/../record.log"
state=/run/record.state
seen() {
  ip -o addr show dev eth0 | grep -q " 10.77.0.100/" && vip=yes || vip=no
  [ -e /run/dummy.state ] && dummy=yes || dummy=no
  [ -n "$(ss -Htln 'sport = :80')" ] && nginx=yes || nginx=no
  ip -o addr show dev eth0 | grep -q " 10.77.0.101/" && ip2=yes || ip2=no
  echo "vip=$vip dummy=$dummy nginx=$nginx ip2=$ip2"
}
last=""
for arg in "$@"; do last="$arg"; done
case "$last" in
  start) echo "$* $(date +%s.%N) $(seen)" >> "$log"; touch "$state"; exit 0;;
  stop) echo "$* $(date +%s.%N) $(seen)" >> "$log"; rm -f "$state"; exit 0;;
  status) if [ -e "$state" ]; then echo running; else echo stopped; fi; exit 0;;
esac
exit 1
"#;

/// A heartbeat resource script whose start fails on node-a and works on
/// node-b, recording its calls in `fails.log` of its ha.d.
const FAILS: &str = r#"#!/bin/sh
log="$(dirname "$0")/../fails.log"
state=/run/fails.state
case "$1" in
  start) echo "start $(hostname)" >> "$log"
         if [ "$(hostname)" = node-a ]; then echo "cannot start here" >&2; exit 1; fi
         touch "$state"; exit 0;;
  stop) echo "stop $(hostname)" >> "$log"; rm -f "$state"; exit 0;;
  status) if [ -e "$state" ]; then echo running; else echo stopped; fi; exit 0;;
esac
exit 1
"#;

/// The files the agents keep at fixed paths, private to each node.
fn private_dirs() -> Vec<PathBuf> {
    ["/run", "/var/log/nginx", "/var/lib/nginx", "/var/www/html"]
        .iter()
        .map(PathBuf::from)
        .collect()
}

fn require_packages() {
    for (path, package) in [
        ("/etc/init.d/nginx", "nginx-light"),
        ("/usr/sbin/nginx", "nginx-light"),
        ("/usr/lib/ocf/resource.d/heartbeat/Dummy", "resource-agents"),
        (
            "/usr/lib/ocf/resource.d/heartbeat/IPaddr2",
            "resource-agents",
        ),
        ("/usr/libexec/heartbeat/send_arp", "resource-agents"),
    ] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: install the Debian package {package} (see the README's test command)"
        );
    }
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A cluster of two machines holding `haresources`, with `scripts` in
/// each node's resource.d and each node's web page saying its letter.
fn real_cluster(tag: &str, haresources: &str, scripts: &[(&str, &str)]) -> TwoNodeCluster {
    monitored_real_cluster(tag, haresources, scripts, None)
}

/// [`real_cluster`] with a monitoring file.
fn monitored_real_cluster(
    tag: &str,
    haresources: &str,
    scripts: &[(&str, &str)],
    monitoring: Option<&str>,
) -> TwoNodeCluster {
    require_packages();
    let mut spec = ClusterSpec::fast(BINARY);
    spec.haresources = haresources.into();
    spec.monitoring = monitoring.map(str::to_string);
    spec.private_mounts = Some(private_dirs());
    let cluster = cluster(tag, spec);
    for node in Node::BOTH {
        let dir = cluster.config_dir(node).join("resource.d");
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in scripts {
            executable(&dir.join(name), text);
        }
        let host = cluster.host(node);
        assert_eq!(
            host.run("hostname", [] as [&str; 0]).unwrap().trim(),
            node.name()
        );
        host.run(
            "sh",
            [
                "-c",
                &format!("echo {} > /var/www/html/index.html", node.reply()),
            ],
        )
        .unwrap();
    }
    cluster
}

fn web() -> SocketAddr {
    SocketAddr::from(WEB)
}

/// What nginx serves the client on the address, if anything.
fn page(cluster: &TwoNodeCluster) -> Option<String> {
    cluster
        .client()
        .probe_http(web(), "/", 500 * MS)
        .ok()
        .flatten()
}

/// Both nodes' output and what their agents left, for failure messages.
fn evidence(cluster: &TwoNodeCluster) -> String {
    let mut text = outputs(cluster);
    for node in Node::BOTH {
        let host = cluster.host(node);
        text.push_str(&format!(
            "\n--- {} records ---\n{}{}nginx error.log:\n{}",
            node.name(),
            read(&cluster.config_dir(node).join("record.log")),
            read(&cluster.config_dir(node).join("fails.log")),
            host.read_file("/var/log/nginx/error.log")
                .unwrap_or_default()
        ));
    }
    text
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The `record` script's lines on `node`.
fn records(cluster: &TwoNodeCluster, node: Node) -> Vec<Record> {
    read(&cluster.config_dir(node).join("record.log"))
        .lines()
        .map(Record::parse)
        .collect()
}

/// One line of the `record` script.
#[derive(Debug, Clone, PartialEq)]
struct Record {
    /// Its arguments and action, e.g. `one two start`.
    call: String,
    /// The wall clock, in seconds.
    at: f64,
    /// What it saw, e.g. `vip=yes dummy=yes nginx=yes ip2=no`.
    seen: String,
}

impl Record {
    fn parse(line: &str) -> Record {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 8, "record line {line:?}");
        Record {
            call: words[..3].join(" "),
            at: words[3].parse().unwrap(),
            seen: words[4..].join(" "),
        }
    }
}

/// The modification time of `path` in `host`'s view, in wall-clock seconds.
fn mtime(host: &Host, path: &str) -> Option<f64> {
    host.run("stat", ["-c", "%.9Y", path])
        .ok()
        .and_then(|text| text.trim().parse().ok())
}

/// Whether `host` has `address` on its interfaces (per `ip addr`).
fn has(host: &Host, address: [u8; 4]) -> bool {
    host.has_address(address.into()).unwrap_or(false)
}

/// The exit code of `/etc/init.d/nginx status` on `host` (0 running, 3 not).
fn nginx_status(host: &Host) -> String {
    match host.run("/etc/init.d/nginx", ["status"]) {
        Ok(_) => "running".to_string(),
        Err(error) => error.to_string(),
    }
}

/// Waits until `node` says the group runs there (all of it started).
fn wait_running(cluster: &TwoNodeCluster, node: Node) {
    let running = cluster.wait_until(Duration::from_secs(20), |c| {
        status(c, node).is_some_and(|s| s["groups"][0]["local_state"] == "running")
    });
    assert!(
        running.is_some(),
        "the group never ran on {}\n{}",
        node.name(),
        evidence(cluster)
    );
}

/// Checks that `node` runs the whole group, started in order, after `since`
/// (wall clock), from the agents' own records; returns the record's start.
fn check_started_in_order(cluster: &TwoNodeCluster, node: Node, since: f64) -> Record {
    wait_running(cluster, node);
    let host = cluster.host(node);
    let start = records(cluster, node)
        .into_iter()
        .rfind(|r| r.call == "one two start")
        .unwrap_or_else(|| {
            panic!(
                "no start recorded on {}\n{}",
                node.name(),
                evidence(cluster)
            )
        });
    assert!(start.at > since, "{start:?} is older than {since}");
    // Before the record script: the address, Dummy and nginx; after it,
    // resource-agents' IPaddr2.
    assert_eq!(
        start.seen, "vip=yes dummy=yes nginx=yes ip2=no",
        "{start:?}"
    );
    let dummy = mtime(host, "/run/dummy.state").expect("Dummy's state file");
    let nginx = mtime(host, "/run/nginx.pid").expect("nginx's pid file");
    let send_arp = mtime(host, "/run/resource-agents/send_arp-10.77.0.101")
        .expect("send_arp's pid file of resource-agents' IPaddr2");
    eprintln!(
        "{} started: Dummy state +0 ms, nginx pid file +{:.0} ms, record +{:.0} ms, \
         IPaddr2's send_arp +{:.0} ms",
        node.name(),
        (nginx - dummy) * 1000.0,
        (start.at - dummy) * 1000.0,
        (send_arp - dummy) * 1000.0
    );
    assert!(since < dummy, "Dummy's state file predates the start");
    assert!(
        dummy < start.at && start.at < send_arp,
        "Dummy {dummy}, record {}, send_arp {send_arp}",
        start.at
    );
    // nginx writes its pid file once detached, possibly just after its
    // init script returned: it listened before (seen by the record), and
    // its pid file is at least newer than Dummy's state.
    assert!(dummy < nginx, "Dummy {dummy}, nginx {nginx}");
    assert!(has(host, [10, 77, 0, 100]) && has(host, [10, 77, 0, 101]));
    assert_eq!(nginx_status(host), "running");
    start
}

/// Checks that `node` holds nothing of the group, from its agents' records
/// and its namespaces.
fn check_holds_nothing(cluster: &TwoNodeCluster, node: Node) {
    let host = cluster.host(node);
    let what = evidence(cluster);
    assert!(!has(host, [10, 77, 0, 100]), "address left\n{what}");
    assert!(!has(host, [10, 77, 0, 101]), "second address left\n{what}");
    assert!(
        host.read_file("/run/dummy.state").is_none(),
        "Dummy still has its state file\n{what}"
    );
    assert!(
        host.read_file("/run/nginx.pid").is_none(),
        "nginx's pid file left\n{what}"
    );
    let status = nginx_status(host);
    assert!(status.contains("exit code 3"), "nginx status: {status}");
    let processes = host.process_names().unwrap();
    assert!(
        !processes.iter().any(|p| p == "nginx"),
        "nginx still runs on {}: {processes:?}",
        node.name()
    );
}

fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn the_group_of_real_agents_moves_in_order_on_kill_9_and_comes_back_with_auto_failback() {
    let mut cluster = real_cluster("hn-real", GROUP, &[("record", RECORD)]);
    let check = cluster.status_json(Node::A);
    assert!(check.is_err(), "no node runs yet");
    let begun = wall_clock();
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    let watcher = cluster
        .client()
        .watch_http(web(), "/", 20 * MS)
        .expect("client watcher");
    watcher
        .wait_for_reply("A", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the client never read A's page\n{}", evidence(&cluster)));
    check_started_in_order(&cluster, Node::A, begun);
    assert!(
        cluster
            .wait_until(Duration::from_secs(10), |c| {
                c.state_seen(Node::B, Node::A).as_deref() == Some("active")
            })
            .is_some(),
        "node-b never saw node-a\n{}",
        evidence(&cluster)
    );
    check_holds_nothing(&cluster, Node::B);
    let served_a = cluster
        .host(Node::A)
        .read_file("/var/log/nginx/access.log")
        .unwrap_or_default();
    assert!(
        served_a.contains("10.77.0.10 ") && served_a.contains("\"GET / HTTP/1.0\" 200"),
        "node-a's nginx did not log the client: {served_a}"
    );

    // kill -9 of the owner: node-b takes the whole group, in order.
    let before_kill = wall_clock();
    let killed = Instant::now();
    cluster.kill(Node::A).expect("kill -9 node-a");
    let served_b = watcher
        .wait_for_reply_after(killed, "B", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the client never read B's page\n{}", evidence(&cluster)));
    let failover = served_b.duration_since(killed);
    let start_b = check_started_in_order(&cluster, Node::B, before_kill);
    let log_b = cluster
        .host(Node::B)
        .read_file("/var/log/nginx/access.log")
        .unwrap_or_default();
    assert!(
        log_b.contains("10.77.0.10 ") && log_b.contains("\"GET / HTTP/1.0\" 200"),
        "node-b's nginx did not log the client: {log_b}"
    );
    // The killed node released nothing: its nginx still runs there.
    assert_eq!(nginx_status(cluster.host(Node::A)), "running");

    // node-a comes back: it clears what it left, node-b stops the group in
    // reverse, node-a starts it again.
    let before_restart = wall_clock();
    let restarted = Instant::now();
    cluster.start(Node::A).expect("restart node-a");
    let served_a = watcher
        .wait_for_reply_after(restarted, "A", Duration::from_secs(30))
        .unwrap_or_else(|| {
            panic!(
                "the client never read A's page again\n{}",
                evidence(&cluster)
            )
        });
    let failback = served_a.duration_since(restarted);
    assert!(
        cluster
            .wait_until(Duration::from_secs(10), |c| !has(
                c.host(Node::B),
                [10, 77, 0, 100]
            ))
            .is_some(),
        "node-b kept the address\n{}",
        evidence(&cluster)
    );
    let stop_b = records(&cluster, Node::B)
        .into_iter()
        .rfind(|r| r.call == "one two stop")
        .unwrap();
    assert!(stop_b.at > start_b.at && stop_b.at > before_restart);
    // In reverse: resource-agents' IPaddr2 already gone; nginx, Dummy and
    // the address still there.
    assert_eq!(
        stop_b.seen, "vip=yes dummy=yes nginx=yes ip2=no",
        "{stop_b:?}"
    );
    let start_a = check_started_in_order(&cluster, Node::A, before_restart);
    assert!(
        start_a.at > stop_b.at,
        "node-a started before node-b stopped"
    );
    check_holds_nothing(&cluster, Node::B);
    // The restarted node-a stopped what the killed one left before it took
    // anything (its record: a stop after the kill, before the new start).
    let calls_a: Vec<String> = records(&cluster, Node::A)
        .into_iter()
        .filter(|r| r.at > before_restart)
        .map(|r| r.call)
        .collect();
    assert_eq!(calls_a, ["one two stop", "one two start"], "{calls_a:?}");
    let status_b = status(&cluster, Node::B).expect("status of node-b");
    assert_eq!(status_b["groups"][0]["owner"], "node-a");
    eprintln!(
        "real agents: kill -9 -> client served by B after {} ms; restart of node-a -> served by A after {} ms",
        failover.as_millis(),
        failback.as_millis()
    );
}

#[test]
fn a_failed_start_on_the_preferred_node_leaves_it_nothing_and_the_peer_serves() {
    let haresources = "node-a IPaddr2::10.77.0.100/24/eth0 \
        ocf:heartbeat:Dummy::state=/run/dummy.state nginx fails\n";
    let mut cluster = real_cluster("hn-realfail", haresources, &[("fails", FAILS)]);
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    let served = cluster.wait_until(Duration::from_secs(30), |c| page(c).as_deref() == Some("B"));
    assert!(
        served.is_some(),
        "the client never read B's page\n{}",
        evidence(&cluster)
    );
    // node-a tried, failed, and undid the rest of the group.
    let calls_a = read(&cluster.config_dir(Node::A).join("fails.log"));
    assert!(calls_a.contains("start node-a"), "{calls_a}");
    check_holds_nothing(&cluster, Node::A);
    let status_a = status(&cluster, Node::A).expect("status of node-a");
    assert_eq!(
        status_a["groups"][0]["local_state"], "failed",
        "{status_a:#}"
    );
    assert_eq!(status_a["groups"][0]["owner"], "node-b", "{status_a:#}");
    // node-b runs it all.
    let host_b = cluster.host(Node::B);
    assert!(has(host_b, [10, 77, 0, 100]));
    assert!(host_b.read_file("/run/dummy.state").is_some());
    assert_eq!(nginx_status(host_b), "running");
    assert!(host_b.read_file("/run/fails.state").is_some());
    // And it stays that way.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(page(&cluster).as_deref(), Some("B"));
    check_holds_nothing(&cluster, Node::A);
}

#[test]
fn what_the_real_agents_monitors_find_gone_is_started_again_in_place() {
    // nginx and resource-agents' IPaddr2 checked every second; five
    // failures before the group would move.
    let mut cluster = monitored_real_cluster(
        "hn-realmon",
        GROUP,
        &[("record", RECORD)],
        Some(
            "default interval=1s timeout=20s migration-threshold=5\n\
             nginx\n\
             ocf:heartbeat:IPaddr2::ip=10.77.0.101::cidr_netmask=24::nic=eth0::arp_bg=true\n",
        ),
    );
    let begun = wall_clock();
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    check_started_in_order(&cluster, Node::A, begun);
    let host_a = cluster.host(Node::A);

    // resource-agents' IPaddr2, the last resource, finds its address gone
    // (monitor: 7, not running): it alone is started again, and sends its
    // ARP rounds again; the resources before it are left alone.
    let removed = wall_clock();
    host_a
        .ip(&["addr", "del", "10.77.0.101/24", "dev", "eth0"])
        .expect("remove the second address by hand");
    let back = cluster.wait_until(Duration::from_secs(15), |c| {
        has(c.host(Node::A), [10, 77, 0, 101])
    });
    assert!(
        back.is_some(),
        "address not restored\n{}",
        evidence(&cluster)
    );
    wait_running(&cluster, Node::A);
    assert!(
        records(&cluster, Node::A).iter().all(|r| r.at < removed),
        "a resource before the failed one was touched: {:?}",
        records(&cluster, Node::A)
    );
    assert_eq!(fail_count(&cluster, "arp_bg=true"), 1);

    // nginx crashes, master and workers (status: 1, dead with its pid
    // file left): the resources after it are stopped in reverse, nginx is
    // started again (a new pid file), then they are started again. (A
    // master killed alone leaves its workers on port 80, and the init
    // script cannot start it again: no fault a cluster manager can repair.)
    let pid = host_a.read_file("/run/nginx.pid").expect("nginx pid file");
    let pid = pid.trim();
    let killed = wall_clock();
    host_a
        .run(
            "sh",
            [
                "-c",
                &format!("kill -STOP {pid} && pkill -9 -P {pid}; kill -9 {pid}"),
            ],
        )
        .expect("kill nginx");
    let back = cluster.wait_until(Duration::from_secs(20), |c| {
        mtime(c.host(Node::A), "/run/nginx.pid").is_some_and(|t| t > killed)
            && page(c).as_deref() == Some("A")
    });
    assert!(
        back.is_some(),
        "nginx not started again\n{}",
        evidence(&cluster)
    );
    // The in-place restart goes on past nginx: wait for the resources after
    // it, the record script and resource-agents' IPaddr2 (its address back).
    let restarted = cluster.wait_until(Duration::from_secs(20), |c| {
        records(c, Node::A)
            .iter()
            .any(|r| r.at > killed && r.call == "one two start")
            && has(c.host(Node::A), [10, 77, 0, 101])
    });
    assert!(
        restarted.is_some(),
        "the resources after nginx were not started again\n{}",
        evidence(&cluster)
    );
    let since: Vec<Record> = records(&cluster, Node::A)
        .into_iter()
        .filter(|r| r.at > killed)
        .collect();
    let calls: Vec<&str> = since.iter().map(|r| r.call.as_str()).collect();
    assert_eq!(calls, ["one two stop", "one two start"], "{since:?}");
    // Started again after nginx, before resource-agents' IPaddr2.
    assert_eq!(
        since[1].seen, "vip=yes dummy=yes nginx=yes ip2=no",
        "{since:?}"
    );
    let pid_written = mtime(host_a, "/run/nginx.pid").expect("nginx pid file");
    assert!(pid_written < since[1].at, "record started before nginx");
    assert_eq!(nginx_status(host_a), "running");
    assert_eq!(fail_count(&cluster, "nginx"), 1);
    check_holds_nothing(&cluster, Node::B);
}

/// node-a's fail count of the resource whose haresources word ends with `word_end`.
fn fail_count(cluster: &TwoNodeCluster, word_end: &str) -> u64 {
    let status = status(cluster, Node::A).expect("status of node-a");
    status["groups"][0]["resources"]
        .as_array()
        .and_then(|list| {
            list.iter().find(|r| {
                r["resource"]
                    .as_str()
                    .is_some_and(|w| w.ends_with(word_end))
            })
        })
        .and_then(|r| r["fail_count"].as_u64())
        .unwrap_or_else(|| panic!("no fail count for {word_end}: {status:#}"))
}

/// The group of the probe tests: an address and Debian's nginx init script.
const WEB_GROUP: &str = "node-a IPaddr2::10.77.0.100/24/eth0 nginx\n";

/// node-b's line for `nginx` in `ha-node status`.
fn nginx_line(cluster: &TwoNodeCluster, node: Node) -> serde_json::Value {
    let status = status(cluster, node).expect("status");
    status["groups"][0]["resources"][1].clone()
}

#[test]
fn nginx_started_behind_the_back_of_the_node_not_holding_it_is_found_and_stopped() {
    // nginx monitored every second: node-b, which does not hold the group,
    // probes it every second.
    let mut cluster = monitored_real_cluster(
        "hn-probe",
        WEB_GROUP,
        &[],
        Some("nginx interval=1s timeout=20s\n"),
    );
    cluster.start(Node::A).expect("start node-a");
    cluster.start(Node::B).expect("start node-b");
    wait_running(&cluster, Node::A);
    assert!(
        cluster
            .wait_until(Duration::from_secs(10), |c| {
                c.state_seen(Node::B, Node::A).as_deref() == Some("active")
            })
            .is_some(),
        "node-b never saw node-a\n{}",
        evidence(&cluster)
    );
    let host_b = cluster.host(Node::B);
    assert!(nginx_status(host_b).contains("exit code 3"));

    // An operator starts nginx on node-b with Debian's own script.
    host_b
        .run("/etc/init.d/nginx", ["start"])
        .expect("start nginx by hand");
    let started = Instant::now();
    assert_eq!(nginx_status(host_b), "running");
    assert!(host_b.read_file("/run/nginx.pid").is_some());
    // node-b's next probe finds it and stops it: the init script's status
    // says so, and the pid file is gone.
    let stopped = cluster.wait_until(Duration::from_secs(20), |c| {
        let host = c.host(Node::B);
        nginx_status(host).contains("exit code 3") && host.read_file("/run/nginx.pid").is_none()
    });
    assert!(
        stopped.is_some(),
        "node-b left nginx running\n{}",
        evidence(&cluster)
    );
    let found_in = started.elapsed();
    // Its workers end with it.
    let stopped = cluster.wait_until(Duration::from_secs(10), |c| {
        !c.host(Node::B)
            .process_names()
            .unwrap()
            .iter()
            .any(|p| p == "nginx")
    });
    assert!(stopped.is_some(), "an nginx process is left on node-b");
    // Nothing moved: node-a still serves, node-b holds nothing.
    assert_eq!(page(&cluster).as_deref(), Some("A"));
    assert!(!has(host_b, [10, 77, 0, 100]));
    let status_b = status(&cluster, Node::B).expect("status of node-b");
    assert_eq!(status_b["groups"][0]["owner"], "node-a", "{status_b:#}");
    assert_eq!(status_b["groups"][0]["local_state"], "stopped");
    // Its status line: probed since, found stopped.
    let probed = cluster.wait_until(Duration::from_secs(5), |c| {
        let line = nginx_line(c, Node::B);
        line["last_action"] == "probe" && line["probed"] == "stopped"
    });
    let line = nginx_line(&cluster, Node::B);
    assert!(probed.is_some(), "{line:#}");
    assert_eq!(nginx_status(cluster.host(Node::A)), "running");
    eprintln!(
        "probe: nginx started by hand on the node not holding it, stopped after {} ms; \
         an LSB status probe takes {} ms",
        found_in.as_millis(),
        line["last_duration_ms"]
    );
}

#[test]
fn an_owner_restarted_with_nginx_still_running_keeps_it_and_serves() {
    // node-b never runs: node-a holds the group alone (after initdead).
    let mut cluster = real_cluster("hn-probeown", WEB_GROUP, &[]);
    cluster.start(Node::A).expect("start node-a");
    let watcher = cluster
        .client()
        .watch_http(web(), "/", 20 * MS)
        .expect("client watcher");
    watcher
        .wait_for_reply("A", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the client never read A's page\n{}", evidence(&cluster)));
    let host_a = cluster.host(Node::A);
    let pid = host_a.read_file("/run/nginx.pid").expect("nginx pid file");
    let written = mtime(host_a, "/run/nginx.pid").expect("nginx pid file");

    // kill -9 of the node: nginx runs on, and so does the address.
    cluster.kill(Node::A).expect("kill -9 node-a");
    assert_eq!(nginx_status(cluster.host(Node::A)), "running");
    let restarted = Instant::now();
    cluster.start(Node::A).expect("restart node-a");
    wait_running(&cluster, Node::A);
    let running_after = restarted.elapsed();
    let host_a = cluster.host(Node::A);
    // The same nginx: not started a second time.
    assert_eq!(
        host_a.read_file("/run/nginx.pid").as_deref(),
        Some(pid.as_str()),
        "{}",
        evidence(&cluster)
    );
    assert_eq!(mtime(host_a, "/run/nginx.pid"), Some(written));
    assert_eq!(nginx_status(host_a), "running");
    let line = nginx_line(&cluster, Node::A);
    assert_eq!(line["probed"], "running", "{line:#}");
    assert_eq!(line["last_action"], "probe", "{line:#}");
    assert_eq!(line["state"], "running", "{line:#}");
    // And it serves clients.
    let served = watcher
        .wait_for_reply_after(Instant::now(), "A", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the client is not served\n{}", evidence(&cluster)));
    let access = host_a
        .read_file("/var/log/nginx/access.log")
        .unwrap_or_default();
    assert!(
        access.contains("10.77.0.10 ") && access.contains("\"GET / HTTP/1.0\" 200"),
        "{access}"
    );
    eprintln!(
        "probe: restarted owner ran the group after {} ms (initdead 2 s) with the same nginx (pid {}, its probe {} ms), client served {} ms after the restart",
        running_after.as_millis(),
        pid.trim(),
        line["last_duration_ms"],
        served.duration_since(restarted).as_millis()
    );
}

/// A heartbeat resource script, `counter::NAME`, whose state is a file in
/// the node's private /run and which writes each `status` call, with its
/// name and the wall clock, to `counter.log` of its ha.d.
const COUNTER: &str = r#"#!/bin/sh
log="$(dirname "$0")/../counter.log"
state="/run/counter-$1.state"
case "$2" in
  start) touch "$state"; exit 0;;
  stop) rm -f "$state"; exit 0;;
  status) echo "$1 $(date +%s.%N)" >> "$log"
          if [ -e "$state" ]; then echo running; else echo stopped; fi; exit 0;;
esac
exit 1
"#;

#[test]
fn each_resource_is_monitored_at_its_own_interval_by_its_own_record() {
    let mut cluster = monitored_real_cluster(
        "hn-realint",
        "node-a counter::fast counter::slow\n",
        &[("counter", COUNTER)],
        Some("counter::fast interval=1s\ncounter::slow interval=4s\n"),
    );
    cluster.start(Node::A).expect("start node-a");
    wait_running(&cluster, Node::A);
    let from = wall_clock();
    std::thread::sleep(Duration::from_secs(16));
    let to = wall_clock();
    let log = read(&cluster.config_dir(Node::A).join("counter.log"));
    let count = |name: &str| {
        log.lines()
            .filter_map(|line| line.split_once(' '))
            .filter(|(who, at)| {
                *who == name && at.parse::<f64>().is_ok_and(|at| at > from && at <= to)
            })
            .count()
    };
    let (fast, slow) = (count("fast"), count("slow"));
    eprintln!(
        "monitors in 16 s of real agents: counter::fast (1 s) {fast}, counter::slow (4 s) {slow}"
    );
    // 16 and 4, give or take what a loaded machine delays.
    assert!((12..=17).contains(&fast), "{fast}\n{log}");
    assert!((3..=5).contains(&slow), "{slow}\n{log}");
    assert!(fast >= 3 * slow, "{fast}:{slow}\n{log}");
}

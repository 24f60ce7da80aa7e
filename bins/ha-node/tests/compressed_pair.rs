//! End to end, compressed messages between real heartbeat 3.0.6 (node-a)
//! and `ha-node` (node-b): both read seed 003's compression lines, with
//! heartbeat's traditional compression on and the smallest threshold
//! (`compression bz2`, `compression_threshold 1`,
//! `traditional_compression on`), so that every message over 1 KiB goes
//! compressed whole.
//!
//! A 2-node cluster's own messages are small (a status is about 250
//! bytes), so the test makes two big ones: ha-node holds 40 resource
//! groups with long names, which its status lists (over 1 KiB), and
//! heartbeat is handed a 2 KiB message through its FIFO (as its
//! `ha_clustermsg` shell function does), which it sends to the cluster.
//! The client host listens on the heartbeat port and decodes what each
//! node broadcasts. It must see both nodes' big messages compressed with
//! bz2, heartbeat must keep node-b active on compressed statuses alone for
//! many deadtimes, and ha-node must reject nothing.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::net::{IpAddr, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{state_seen, status, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::heartbeat;
use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::wire::{decode, encode, WireMessage};

/// heartbeat's node.
const HB: Node = Node::A;
/// ha-node's node.
const HA: Node = Node::B;
const PORT: u16 = 694;
const GROUPS: usize = 40;
const SETTLE: Duration = Duration::from_secs(20);
/// How long the pair runs on compressed messages: 10 deadtimes.
const OBSERVE: Duration = Duration::from_secs(5);

/// A service that always starts, stops and answers "running".
const SERVICE: &str = "#!/bin/sh\ncase \"$1\" in status) echo running;; esac\nexit 0\n";

fn group_name(n: usize) -> String {
    format!("compression-probe-service-{n:02}")
}

/// `ClusterSpec::fast`'s key.
fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"lab-cluster-secret")
}

fn compressed_pair(tag: &str) -> TwoNodeCluster {
    assert!(
        heartbeat::installed(),
        "heartbeat 3.0.6 is not installed: apt-get install heartbeat (see the README)"
    );
    let mut spec = ClusterSpec::fast(BINARY);
    spec.private_mounts = Some(heartbeat::private_dirs());
    spec.haresources = (0..GROUPS)
        .map(|n| format!("{} {}\n", HA.name(), group_name(n)))
        .collect();
    spec.extra_ha_cf = vec![
        "compression bz2".into(),
        "compression_threshold 1".into(),
        "traditional_compression on".into(),
    ];
    let cluster = common::cluster(tag, spec);
    let ha_cf = cluster.config_dir(HA).join("ha.cf");
    let mut text = fs::read_to_string(&ha_cf).unwrap();
    text.push_str("use_logd no\nlogfacility none\ncrm off\n");
    fs::write(&ha_cf, text).unwrap();
    let scripts = cluster.config_dir(HA).join("resource.d");
    fs::create_dir_all(&scripts).unwrap();
    for n in 0..GROUPS {
        let path = scripts.join(group_name(n));
        fs::write(&path, SERVICE).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    cluster
}

fn logs(cluster: &TwoNodeCluster) -> String {
    let tail = |text: String| {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    format!(
        "--- heartbeat (node-a) log:\n{}\n--- ha-node (node-b) log:\n{}\n--- outputs:\n{}\n{}",
        tail(cluster.heartbeat_log(HB)),
        tail(cluster.log(HA)),
        tail(cluster.output(HB)),
        tail(cluster.output(HA)),
    )
}

fn wait(cluster: &TwoNodeCluster, what: &str, check: impl FnMut(&TwoNodeCluster) -> bool) {
    if cluster.wait_until(SETTLE, check).is_none() {
        panic!("{what}: not within {SETTLE:?}\n{}", logs(cluster));
    }
}

/// How many of ha-node's groups it runs itself.
fn running_groups(cluster: &TwoNodeCluster) -> usize {
    status(cluster, HA)
        .and_then(|s| {
            s["groups"].as_array().map(|groups| {
                groups
                    .iter()
                    .filter(|g| g["local_state"] == "running")
                    .count()
            })
        })
        .unwrap_or(0)
}

/// Each side sees the other active.
fn pair_up(cluster: &TwoNodeCluster) -> bool {
    state_seen(cluster, HA, HB).as_deref() == Some("active")
        && cluster
            .cl_status(HB, &["nodestatus", HA.name()])
            .is_ok_and(|s| s.trim() == "active")
}

/// What the client heard from one node: every datagram, and how many came
/// compressed.
#[derive(Default)]
struct Heard {
    messages: Vec<WireMessage>,
    compressed: Vec<(usize, String)>,
    undecodable: Vec<String>,
}

/// Every datagram heard for `period`, by sender address (heartbeat sends
/// from a port of its own, not 694).
fn listen(socket: &UdpSocket, period: Duration) -> BTreeMap<IpAddr, Heard> {
    let mut heard: BTreeMap<IpAddr, Heard> = BTreeMap::new();
    let mut buf = vec![0u8; 65536];
    let end = Instant::now() + period;
    while Instant::now() < end {
        let Ok((len, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let datagram = &buf[..len];
        let entry = heard.entry(from.ip()).or_default();
        let shown = String::from_utf8_lossy(datagram);
        if shown.contains("(1)_compressed_payload=") {
            let method = shown
                .split("(0)_compression_algorithm=")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .unwrap_or("?")
                .to_owned();
            entry.compressed.push((len, method));
        }
        match decode(datagram, &keys()) {
            Ok(msg) => entry.messages.push(msg),
            Err(error) => entry.undecodable.push(error.to_string()),
        }
    }
    heard
}

#[test]
fn heartbeat_and_ha_node_exchange_bz2_compressed_messages() {
    let mut cluster = compressed_pair("hn-compress");

    // ha-node first: after initdead it runs its 40 groups.
    cluster.start(HA).unwrap();
    wait(&cluster, "ha-node runs its groups", |c| {
        running_groups(c) == GROUPS
    });
    cluster.start_heartbeat(HB).unwrap();
    wait(&cluster, "heartbeat and ha-node see each other", pair_up);
    // Listening from now on: the settled pair only.
    let socket = cluster
        .client()
        .run_in(|| UdpSocket::bind(("0.0.0.0", PORT)))
        .expect("enter the client's namespace")
        .expect("bind UDP 694 on the client");
    socket.set_read_timeout(Some(50 * MS)).unwrap();

    // A 2 KiB message handed to heartbeat, which sends it to the cluster:
    // eight fields, as heartbeat's FIFO reader takes lines of at most 512
    // bytes (cluster-glue's MAXMSGLINE).
    let probe: Vec<String> = (0..8)
        .map(|n| {
            (0..256)
                .map(|i| char::from(b'a' + ((i + n) % 26) as u8))
                .collect()
        })
        .collect();
    let mut text = String::from(">>>\nt=compression-probe\n");
    for (n, chunk) in probe.iter().enumerate() {
        text.push_str(&format!("probe{n}={chunk}\n"));
    }
    text.push_str("<<<\n");
    let fifo = cluster.heartbeat_dir(HB).join("varlib/fifo");
    let mut writer = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(text.as_bytes()).unwrap();
    drop(writer);

    // Both stay up, on compressed statuses from ha-node, for 10 deadtimes.
    let started = Instant::now();
    let heard = listen(&socket, OBSERVE);
    assert!(
        pair_up(&cluster),
        "the pair broke on compressed messages\n{}",
        logs(&cluster)
    );
    eprintln!("observed {:?}", started.elapsed());

    let hb: IpAddr = HB.address().parse().unwrap();
    let ha: IpAddr = HA.address().parse().unwrap();
    let senders: Vec<&IpAddr> = heard.keys().collect();
    let from_hb = heard
        .get(&hb)
        .unwrap_or_else(|| panic!("nothing heard from heartbeat (heard {senders:?})"));
    let from_ha = heard
        .get(&ha)
        .unwrap_or_else(|| panic!("nothing heard from ha-node (heard {senders:?})"));
    for (who, from) in [("heartbeat", from_hb), ("ha-node", from_ha)] {
        assert!(
            from.undecodable.is_empty(),
            "{who}: {:?}\n{}",
            from.undecodable,
            logs(&cluster)
        );
    }

    // heartbeat compressed its big message with bz2, and it decodes here.
    let probe_msg = from_hb
        .messages
        .iter()
        .find(|m| m.string("t") == Some("compression-probe"))
        .unwrap_or_else(|| panic!("heartbeat's probe was not heard\n{}", logs(&cluster)));
    for (n, chunk) in probe.iter().enumerate() {
        assert_eq!(probe_msg.string(&format!("probe{n}")), Some(chunk.as_str()));
    }
    assert_eq!(probe_msg.string("src"), Some(HB.name()));
    assert!(
        !from_hb.compressed.is_empty() && from_hb.compressed.iter().all(|(_, m)| m == "bz2"),
        "{:?}",
        from_hb.compressed
    );
    // ha-node's statuses list its 40 groups and travel compressed; the
    // pair stayed up, so heartbeat read every one.
    let statuses: Vec<&WireMessage> = from_ha
        .messages
        .iter()
        .filter(|m| m.string("t") == Some("status"))
        .collect();
    assert!(statuses.len() >= 20, "{} statuses", statuses.len());
    let held = statuses[0].string("rsc_held").unwrap_or_default();
    assert_eq!(held.lines().count(), GROUPS, "{held}");
    assert!(
        from_ha.compressed.len() >= statuses.len()
            && from_ha.compressed.iter().all(|(_, m)| m == "bz2"),
        "{} of {} statuses compressed: {:?}",
        from_ha.compressed.len(),
        statuses.len(),
        from_ha.compressed
    );
    let ha_log = cluster.log(HA);
    assert!(
        !ha_log.contains("rejected"),
        "ha-node rejected packets\n{}",
        logs(&cluster)
    );
    let hb_log = cluster.heartbeat_log(HB);
    for trouble in [
        "decompress",
        "compress method",
        "netstring authentication failed",
        "node-b: is dead",
    ] {
        assert!(
            !hb_log.contains(trouble),
            "heartbeat logged '{trouble}'\n{}",
            logs(&cluster)
        );
    }
    let (hb_size, _) = from_hb.compressed[0];
    let (ha_size, _) = from_ha.compressed[0];
    let plain = encode(statuses[0], &keys()).unwrap().len();
    eprintln!(
        "heard {} datagrams from heartbeat ({} compressed, its 2 KiB probe in {hb_size} bytes) \
         and {} from ha-node ({} compressed statuses of {GROUPS} groups, {ha_size} bytes each, \
         {plain} bytes uncompressed)",
        from_hb.messages.len(),
        from_hb.compressed.len(),
        from_ha.messages.len(),
        from_ha.compressed.len(),
    );
    cluster.stop_heartbeat(HB, SETTLE).unwrap();
}

//! End to end: a valid packet captured and replayed later is rejected.
//!
//! The client host listens on UDP 694 and records the heartbeats node-b
//! broadcasts while the cluster is healthy. Those datagrams are genuine:
//! signed with the cluster's key, and accepted by node-a when first sent.
//! Sent again to node-a (unicast and broadcast), they must change nothing:
//! not while node-b is dead (a replayed "active" status would otherwise
//! bring it back to life in node-a's view), and not after node-b restarted
//! in a new generation (the old generation is refused and logged).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::{
    cluster, holds_throughout, holds_vip, outputs, start_both, state_seen, view_of, BINARY, MS,
};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// The heartbeat port of `ClusterSpec::fast`.
const PORT: u16 = 694;

/// How long replays are sent in each phase, and how often.
const REPLAY_FOR: Duration = Duration::from_secs(2);
const REPLAY_EVERY: Duration = Duration::from_millis(100);

/// A UDP socket in the client's namespace on the heartbeat port: it hears
/// the nodes' broadcasts and can send to them.
fn client_socket(cluster: &TwoNodeCluster) -> UdpSocket {
    let socket = cluster
        .client()
        .run_in(|| UdpSocket::bind(("0.0.0.0", PORT)))
        .expect("enter the client's namespace")
        .expect("bind UDP 694 on the client");
    socket.set_broadcast(true).expect("SO_BROADCAST");
    socket
        .set_read_timeout(Some(50 * MS))
        .expect("read timeout");
    socket
}

/// Records, for `period`, the datagrams `node` sends.
fn capture_from(socket: &UdpSocket, node: Node, period: Duration) -> Vec<Vec<u8>> {
    let source: SocketAddr = format!("{}:{PORT}", node.address())
        .parse()
        .expect("node address");
    let mut captured = Vec::new();
    let mut buf = vec![0u8; 65536];
    let end = Instant::now() + period;
    while Instant::now() < end {
        if let Ok((len, from)) = socket.recv_from(&mut buf) {
            if from == source {
                captured.push(buf[..len].to_vec());
            }
        }
    }
    captured
}

/// Sends every captured datagram to node-a, unicast and broadcast, plus a
/// copy with one byte changed (which node-a must log as a bad packet: the
/// proof that what this client sends reaches node-a at all).
fn replay(socket: &UdpSocket, datagrams: &[Vec<u8>]) {
    let destinations = [
        format!("{}:{PORT}", Node::A.address()),
        format!("10.77.0.255:{PORT}"),
    ];
    for destination in &destinations {
        for datagram in datagrams {
            socket
                .send_to(datagram, destination)
                .expect("send a replayed datagram");
        }
    }
    if let Some(first) = datagrams.first() {
        let mut forged = first.clone();
        let middle = forged.len() / 2;
        forged[middle] ^= 0x01;
        socket
            .send_to(&forged, &destinations[0])
            .expect("send a forged datagram");
    }
}

/// Replays `datagrams` every [`REPLAY_EVERY`] for [`REPLAY_FOR`], checking
/// `check` after each round; fails on the first check that does not hold.
fn replay_while(
    cluster: &TwoNodeCluster,
    socket: &UdpSocket,
    datagrams: &[Vec<u8>],
    mut check: impl FnMut() -> Result<(), String>,
) {
    let rounds = holds_throughout(REPLAY_FOR, REPLAY_EVERY, || {
        replay(socket, datagrams);
        // Give node-a a moment to act on the round before looking.
        std::thread::sleep(20 * MS);
        check()
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", outputs(cluster)));
    assert!(rounds >= 10, "only {rounds} replay rounds in 2 s");
}

/// node-a's log from byte `from` on.
fn log_since(cluster: &TwoNodeCluster, from: usize) -> String {
    cluster
        .log(Node::A)
        .get(from..)
        .unwrap_or_default()
        .to_string()
}

/// The lines of `log` saying node-b changed state (`node node-b: dead -> active`).
fn state_changes_of_b(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("node node-b: ") && l.contains(" -> "))
        .collect()
}

#[test]
fn captured_heartbeats_replayed_later_are_rejected() {
    let mut cluster = cluster("hn-replay", ClusterSpec::fast(BINARY));
    start_both(&mut cluster);
    let socket = client_socket(&cluster);
    let (state, old_generation) = view_of(&cluster, Node::A, Node::B).expect("node-a's status");
    assert_eq!(state, "active");

    // Record about ten of node-b's heartbeats ("I am active").
    let captured = capture_from(&socket, Node::B, Duration::from_millis(1200));
    assert!(
        captured.len() >= 5,
        "captured only {} datagrams from node-b in 1.2 s",
        captured.len()
    );
    assert!(
        captured
            .iter()
            .all(|d| String::from_utf8_lossy(d).contains("node-b")),
        "a captured datagram does not name node-b"
    );

    // Phase one: node-b crashes; its replayed heartbeats must not revive it.
    cluster.kill(Node::B).expect("kill -9 node-b");
    cluster
        .wait_until(Duration::from_secs(3), |c| {
            state_seen(c, Node::A, Node::B).as_deref() == Some("dead")
        })
        .unwrap_or_else(|| panic!("node-a never saw node-b dead\n{}", outputs(&cluster)));
    let log_before = cluster.log(Node::A).len();
    replay_while(&cluster, &socket, &captured, || {
        match state_seen(&cluster, Node::A, Node::B).as_deref() {
            Some("dead") => {}
            other => return Err(format!("node-a sees node-b as {other:?}, not dead")),
        }
        if !holds_vip(&cluster, Node::A) {
            return Err("node-a lost the VIP".into());
        }
        Ok(())
    });
    let log = log_since(&cluster, log_before);
    assert!(
        log.contains("rejected a packet from 10.77.0.10:694"),
        "node-a never logged the forged copy: the replays did not reach it\n{log}"
    );
    assert!(
        log.contains("rejected a replayed message from node node-b: already received"),
        "node-a did not report replays of a dead node's messages:\n{log}"
    );
    assert!(
        state_changes_of_b(&log).is_empty() && !log.contains("node node-b heard again"),
        "a replay changed node-a's view of node-b:\n{log}"
    );

    // Phase two: node-b restarts in a new generation; the old one is refused.
    cluster.start(Node::B).expect("restart node-b");
    let back = cluster.wait_until(Duration::from_secs(10), |c| {
        matches!(view_of(c, Node::A, Node::B), Some((s, g)) if s == "active" && g > old_generation)
    });
    assert!(
        back.is_some(),
        "node-a never saw node-b back in a new generation\n{}",
        outputs(&cluster)
    );
    let (_, new_generation) = view_of(&cluster, Node::A, Node::B).expect("node-a's status");
    let log_before = cluster.log(Node::A).len();
    replay_while(&cluster, &socket, &captured, || {
        match view_of(&cluster, Node::A, Node::B) {
            Some((state, generation)) if state == "active" && generation == new_generation => {}
            other => {
                return Err(format!(
                    "node-a sees node-b as {other:?}, not (active, {new_generation})"
                ))
            }
        }
        if !holds_vip(&cluster, Node::A) {
            return Err("node-a lost the VIP".into());
        }
        if holds_vip(&cluster, Node::B) {
            return Err("node-b holds the VIP too".into());
        }
        Ok(())
    });
    let log = log_since(&cluster, log_before);
    assert!(
        log.contains(
            "rejected a replayed message from node node-b: \
             from an earlier generation of the sender (StaleGeneration)"
        ),
        "node-a did not report the replay:\n{log}"
    );
    assert!(
        state_changes_of_b(&log).is_empty() && !log.contains("node node-b is in generation"),
        "the replay changed node-a's view of node-b:\n{log}"
    );
    assert!(
        !log.contains("resource group"),
        "the replay moved the resource group:\n{log}"
    );
}

//! ipfail with real processes: a router on the LAN holds the ping address;
//! cutting only the owner's ICMP to it (the heartbeat link stays up) moves
//! the group to the peer within deadping + deadtime, and the client is
//! served by the peer; restoring it brings the group back (auto_failback
//! on). Cutting both nodes off the router moves nothing.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::sched::append_ha_cf;
use common::{cluster, holds_throughout, served_by, start_both, status, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

const ROUTER: &str = "10.77.0.254";

/// keepalive 100 ms, deadtime 500 ms, deadping 500 ms, auto_failback on,
/// a ping node on a router host of the LAN, ipfail on both nodes.
fn ping_cluster(tag: &str) -> (TwoNodeCluster, ha_lab::Host) {
    ping_cluster_with(tag, "on")
}

/// The same with `auto_failback` as given.
fn ping_cluster_with(tag: &str, auto_failback: &str) -> (TwoNodeCluster, ha_lab::Host) {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.auto_failback = auto_failback.into();
    let cluster = cluster(tag, spec);
    let router = cluster.lab().host("r").expect("router host");
    cluster
        .lab()
        .connect(&router, "eth0", &format!("{ROUTER}/24"))
        .expect("router on the LAN");
    for node in Node::BOTH {
        append_ha_cf(
            &cluster,
            node,
            &format!(
                "deadping 500ms\nping {ROUTER}\nrespawn hacluster /usr/lib/heartbeat/ipfail\n\
                 apiauth ipfail gid=haclient uid=hacluster"
            ),
        );
    }
    (cluster, router)
}

fn router() -> IpAddr {
    ROUTER.parse().unwrap()
}

/// Waits until `condition` holds; how long it took.
fn wait(what: &str, limit: Duration, condition: impl Fn() -> bool) -> Duration {
    let began = Instant::now();
    while !condition() {
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(10 * MS);
    }
    began.elapsed()
}

/// The ping nodes `node` sees up, as its status says.
fn ping_count(cluster: &TwoNodeCluster, node: Node) -> Option<u64> {
    let status = status(cluster, node)?;
    status["nodes"][0]["ping_nodes_up"].as_u64()
}

#[test]
fn the_owner_cut_off_from_the_ping_node_hands_over_and_gets_the_group_back() {
    let (mut cluster, _router) = ping_cluster("hn-ipfail");
    start_both(&mut cluster);
    wait("node-a holds the address", 10 * 1000 * MS, || {
        served_by(&cluster, Node::A)
    });
    wait("both count the ping node", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(1) && ping_count(&cluster, Node::B) == Some(1)
    });
    let st = status(&cluster, Node::A).unwrap();
    assert_eq!(st["ping_nodes"][0]["name"], ROUTER);
    assert_eq!(st["ping_nodes"][0]["state"], "up");

    cluster
        .host(Node::A)
        .block_icmp(router())
        .expect("cut node-a's ICMP");
    let moved = wait("the client is served by node-b", 5 * 1000 * MS, || {
        served_by(&cluster, Node::B)
    });
    assert!(cluster.holds_vip(Node::B).unwrap());
    assert!(!cluster.holds_vip(Node::A).unwrap());
    let log_a = cluster.log(Node::A);
    assert!(log_a.contains("(ping-nodes)"), "{log_a}");
    // deadping 500 ms + the hold (2 keepalives) + the release and start.
    assert!(moved <= 1500 * MS, "moved after {moved:?}");

    cluster
        .host(Node::A)
        .unblock_icmp(router())
        .expect("restore");
    let back = wait(
        "the client is served by node-a again",
        5 * 1000 * MS,
        || served_by(&cluster, Node::A),
    );
    assert!(cluster.holds_vip(Node::A).unwrap());
    assert!(!cluster.holds_vip(Node::B).unwrap());
    eprintln!(
        "ipfail: owner cut off from its ping node -> client served by the peer after {} ms \
         (deadping 500 ms, deadtime 500 ms, keepalive 100 ms); restored -> served by the \
         owner again after {} ms",
        moved.as_millis(),
        back.as_millis()
    );
}

/// With auto_failback off, the group handed over for the ping node stays
/// with the peer once the owner's uplink is back.
#[test]
fn without_auto_failback_the_group_stays_with_the_peer() {
    let (mut cluster, _router) = ping_cluster_with("hn-ipfail3", "off");
    start_both(&mut cluster);
    wait("node-a holds the address", 10 * 1000 * MS, || {
        served_by(&cluster, Node::A)
    });
    wait("both count the ping node", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(1) && ping_count(&cluster, Node::B) == Some(1)
    });
    cluster.host(Node::A).block_icmp(router()).unwrap();
    let moved = wait("the client is served by node-b", 5 * 1000 * MS, || {
        served_by(&cluster, Node::B)
    });
    cluster.host(Node::A).unblock_icmp(router()).unwrap();
    wait("node-a counts the ping node again", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(1)
    });
    // Ten times ipfail's hold (2 keepalives) after the counts balanced.
    let kept = holds_throughout(2 * 1000 * MS, 20 * MS, || {
        if cluster.holds_vip(Node::B).unwrap_or(false)
            && !cluster.holds_vip(Node::A).unwrap_or(true)
        {
            Ok(())
        } else {
            Err("the address left node-b".into())
        }
    })
    .unwrap_or_else(|e| panic!("auto_failback off: {e}\n{}", cluster.log(Node::A)));
    assert!(served_by(&cluster, Node::B));
    eprintln!(
        "ipfail, auto_failback off: served by node-b after {} ms; uplink back, node-b kept \
         the group through {kept} checks over 2 s",
        moved.as_millis()
    );
}

#[test]
fn cutting_both_nodes_off_the_ping_node_moves_nothing() {
    let (mut cluster, _router) = ping_cluster("hn-ipfail2");
    start_both(&mut cluster);
    wait("node-a holds the address", 10 * 1000 * MS, || {
        served_by(&cluster, Node::A)
    });
    wait("both count the ping node", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(1) && ping_count(&cluster, Node::B) == Some(1)
    });
    cluster.host(Node::A).block_icmp(router()).unwrap();
    cluster.host(Node::B).block_icmp(router()).unwrap();
    let both_dead = wait("both see the ping node dead", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(0) && ping_count(&cluster, Node::B) == Some(0)
    });
    std::thread::sleep(1500 * MS);
    assert!(cluster.holds_vip(Node::A).unwrap());
    assert!(!cluster.holds_vip(Node::B).unwrap());
    let log_b = cluster.log(Node::B);
    assert!(!log_b.contains("acquiring resource group"), "{log_b}");
    cluster.host(Node::A).unblock_icmp(router()).unwrap();
    cluster.host(Node::B).unblock_icmp(router()).unwrap();
    std::thread::sleep(1000 * MS);
    assert!(cluster.holds_vip(Node::A).unwrap());
    assert!(!cluster.log(Node::B).contains("acquiring resource group"));
    eprintln!(
        "ipfail: both nodes cut off from the ping node: both saw it dead after {} ms; \
         nothing moved in the 1.5 s after, nor when it came back",
        both_dead.as_millis()
    );
}

/// Our `ping_weight`, without ipfail's respawn line: two ping nodes on the
/// router, the uplink weighing 5 and a second address 1. node-a loses the
/// uplink and node-b the light one: equal counts (1 and 1) would move
/// nothing, but weighed it is 1 against 5, so node-a hands the group over;
/// both restored, it comes back.
#[test]
fn weighed_ping_nodes_move_the_group_without_ipfail() {
    const LIGHT: &str = "10.77.0.253";
    let spec = ClusterSpec::fast(BINARY);
    let mut cluster = cluster("hn-pingw", spec);
    let router_host = cluster.lab().host("r").expect("router host");
    cluster
        .lab()
        .connect(&router_host, "eth0", &format!("{ROUTER}/24"))
        .expect("router on the LAN");
    router_host
        .add_address("eth0", &format!("{LIGHT}/24"))
        .expect("a second router address");
    for node in Node::BOTH {
        append_ha_cf(
            &cluster,
            node,
            &format!("deadping 500ms\nping {ROUTER} {LIGHT}\nping_weight {ROUTER} 5"),
        );
    }
    start_both(&mut cluster);
    wait("node-a holds the address", 10 * 1000 * MS, || {
        served_by(&cluster, Node::A)
    });
    wait("both weigh their ping nodes at 6", 5 * 1000 * MS, || {
        ping_count(&cluster, Node::A) == Some(6) && ping_count(&cluster, Node::B) == Some(6)
    });
    cluster.host(Node::A).block_icmp(router()).unwrap();
    cluster
        .host(Node::B)
        .block_icmp(LIGHT.parse().unwrap())
        .unwrap();
    let moved = wait("the client is served by node-b", 5 * 1000 * MS, || {
        served_by(&cluster, Node::B)
    });
    assert_eq!(ping_count(&cluster, Node::A), Some(1));
    assert_eq!(ping_count(&cluster, Node::B), Some(5));
    assert!(!cluster.holds_vip(Node::A).unwrap());
    assert!(cluster.log(Node::A).contains("(ping-nodes)"));
    cluster.host(Node::A).unblock_icmp(router()).unwrap();
    cluster
        .host(Node::B)
        .unblock_icmp(LIGHT.parse().unwrap())
        .unwrap();
    let back = wait("node-a serves again", 5 * 1000 * MS, || {
        served_by(&cluster, Node::A)
    });
    eprintln!(
        "ping_weight: node-a at 1, node-b at 5 -> served by node-b after {} ms; both back at 6 \
         -> served by node-a after {} ms",
        moved.as_millis(),
        back.as_millis()
    );
}

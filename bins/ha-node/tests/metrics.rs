//! `--metrics-listen` and ha.cf's `metrics_listen`: two real `ha-node`
//! processes in network namespaces serve `/metrics`; scraped before and
//! after a kill -9 of the owner, the survivor's figures move as the
//! failover did, and `promtool check metrics` (Prometheus' own linter,
//! when installed) accepts the text. Heartbeats signed with another secret
//! count as rejections for their authentication.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::{cluster, outputs, served_by, start_both, BINARY};
use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};

/// Where each node serves its metrics, inside its own namespace.
const METRICS: &str = "127.0.0.1:9694";

/// The samples of one scrape: `name{labels}` (as written) to value.
type Samples = BTreeMap<String, f64>;

/// `GET /metrics` from inside `node`'s namespace: the status line and
/// body, or why not.
fn try_scrape(cluster: &TwoNodeCluster, node: Node) -> Result<(String, String), String> {
    let addr: SocketAddr = METRICS.parse().unwrap();
    let reply = cluster
        .host(node)
        .run_in(move || -> std::io::Result<String> {
            let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")?;
            let mut reply = String::new();
            stream.read_to_string(&mut reply)?;
            Ok(reply)
        })
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("scrape of {}: {e}", node.name()))?;
    let (head, body) = reply.split_once("\r\n\r\n").ok_or("not an HTTP reply")?;
    Ok((head.to_string(), body.to_string()))
}

/// [`try_scrape`], failing the test when the node does not answer.
fn scrape_text(cluster: &TwoNodeCluster, node: Node) -> (String, String) {
    try_scrape(cluster, node).unwrap_or_else(|e| panic!("{e}\n{}", outputs(cluster)))
}

/// The samples of a scrape's body.
fn samples(body: &str) -> Samples {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

fn value(samples: &Samples, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("no sample {key} in\n{samples:#?}"))
}

/// Runs `promtool check metrics` on `body`: `None` when promtool is not
/// installed (Debian's `prometheus` package has it).
fn promtool(body: &str, dir: &Path) -> Option<(bool, String)> {
    let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let path = dir.join("scrape.txt");
    std::fs::write(&path, body).unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{promtool} check metrics < {}", path.display()))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.success(), text))
}

#[test]
fn metrics_follow_a_kill_9_failover_and_pass_promtool() {
    let mut spec = ClusterSpec::fast(BINARY);
    spec.run_args = vec!["--metrics-listen".into(), METRICS.into()];
    let mut cluster = cluster("hn-metr", spec);
    start_both(&mut cluster);
    let group = "IPaddr::10.77.0.100/24/eth0";

    let (head, body) = scrape_text(&cluster, Node::B);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let before = samples(&body);
    assert_eq!(
        value(
            &before,
            r#"ha_node_node_state{node="node-a",state="active"}"#
        ),
        1.0
    );
    assert_eq!(
        value(&before, r#"ha_node_node_state{node="node-a",state="dead"}"#),
        0.0
    );
    assert_eq!(
        value(
            &before,
            &format!(r#"ha_node_group_owner{{group="{group}",node="node-a"}}"#)
        ),
        1.0
    );
    assert_eq!(
        value(
            &before,
            &format!(r#"ha_node_group_state{{group="{group}",state="stopped"}}"#)
        ),
        1.0
    );
    assert_eq!(
        value(&before, r#"ha_node_takeovers_total{cause="peer-dead"}"#),
        0.0
    );
    assert_eq!(
        value(&before, r#"ha_node_medium_up{medium="bcast eth0"}"#),
        1.0
    );
    let link = r#"{medium="bcast eth0",node="node-a"}"#;
    let received_before = value(&before, &format!("ha_node_messages_received_total{link}"));
    assert!(received_before > 0.0, "{body}");
    assert!(
        value(
            &before,
            r#"ha_node_messages_sent_total{medium="bcast eth0"}"#
        ) > 0.0
    );
    let gaps_before = value(
        &before,
        &format!("ha_node_heartbeat_interarrival_seconds_count{link}"),
    );
    assert!(gaps_before > 0.0, "{body}");
    // keepalive 100 ms: nearly every gap is at most 250 ms.
    let within = value(
        &before,
        r#"ha_node_heartbeat_interarrival_seconds_bucket{medium="bcast eth0",node="node-a",le="0.25"}"#,
    );
    assert!(
        within >= 0.9 * gaps_before,
        "{within} of {gaps_before} gaps <= 250 ms\n{body}"
    );
    // The owner's own view: it runs the group, after one initial takeover.
    let (_, owner_body) = scrape_text(&cluster, Node::A);
    let owner = samples(&owner_body);
    assert_eq!(
        value(
            &owner,
            &format!(r#"ha_node_group_state{{group="{group}",state="running"}}"#)
        ),
        1.0
    );
    assert_eq!(
        value(&owner, r#"ha_node_takeovers_total{cause="initial"}"#),
        1.0
    );

    cluster.kill(Node::A).expect("kill -9 node-a");
    let took_over = cluster.wait_until(Duration::from_secs(5), |c| {
        served_by(c, Node::B)
            && samples(&scrape_text(c, Node::B).1).get(&format!(
                r#"ha_node_group_state{{group="{group}",state="running"}}"#
            )) == Some(&1.0)
    });
    assert!(
        took_over.is_some(),
        "node-b never took over\n{}",
        outputs(&cluster)
    );

    let asked = std::time::Instant::now();
    let (_, body) = scrape_text(&cluster, Node::B);
    eprintln!(
        "--- node-b after the failover (scrape took {} µs, {} bytes) ---\n{body}",
        asked.elapsed().as_micros(),
        body.len()
    );
    let after = samples(&body);
    assert_eq!(
        value(&after, r#"ha_node_node_state{node="node-a",state="dead"}"#),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"ha_node_node_state{node="node-a",state="active"}"#
        ),
        0.0
    );
    assert_eq!(
        value(
            &after,
            r#"ha_node_node_state{node="node-b",state="active"}"#
        ),
        1.0
    );
    assert_eq!(
        value(&after, r#"ha_node_takeovers_total{cause="peer-dead"}"#),
        1.0
    );
    let takeovers: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with("ha_node_takeovers_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(takeovers, 1.0, "{body}");
    assert_eq!(
        value(
            &after,
            &format!(r#"ha_node_group_owner{{group="{group}",node="node-b"}}"#)
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            &format!(r#"ha_node_group_owner{{group="{group}",node="node-a"}}"#)
        ),
        0.0
    );
    assert!(
        value(
            &after,
            r#"ha_node_peer_longest_silence_seconds{node="node-a"}"#
        ) >= 0.5
    );
    assert!(value(&after, &format!("ha_node_messages_received_total{link}")) >= received_before);
    // The silence after the kill is still going on: not a gap yet.
    assert!(
        value(
            &after,
            &format!("ha_node_heartbeat_interarrival_seconds_count{link}")
        ) >= gaps_before
    );
    assert_eq!(
        value(&after, r#"ha_node_messages_rejected_total{cause="auth"}"#),
        0.0
    );

    let dir = cluster.node_dir(Node::B);
    match promtool(&body, &dir) {
        Some((ok, text)) => assert!(ok, "promtool check metrics:\n{text}\n{body}"),
        None => eprintln!(
            "SKIPPED promtool check metrics: promtool is not installed \
             (Debian's prometheus package provides it)"
        ),
    }
}

#[test]
fn heartbeats_signed_with_another_secret_count_as_auth_rejections() {
    let mut spec = ClusterSpec::fast(BINARY);
    // This time from ha.cf's own directive.
    spec.extra_ha_cf = vec![format!("metrics_listen {METRICS}")];
    spec.authkeys = [
        "auth 1\n1 sha1 secret-of-a\n".into(),
        "auth 1\n1 sha1 secret-of-b\n".into(),
    ];
    let mut cluster = cluster("hn-mauth", spec);
    cluster.start(Node::A).expect("start a");
    cluster.start(Node::B).expect("start b");
    let rejected = |c: &TwoNodeCluster| {
        try_scrape(c, Node::B)
            .ok()
            .and_then(|(_, body)| {
                samples(&body)
                    .get(r#"ha_node_messages_rejected_total{cause="auth"}"#)
                    .copied()
            })
            .unwrap_or(0.0)
    };
    // keepalive 100 ms: node-a's heartbeats arrive ten a second.
    let seen = cluster.wait_until(Duration::from_secs(5), |c| rejected(c) >= 10.0);
    assert!(
        seen.is_some(),
        "{}\n{}",
        rejected(&cluster),
        outputs(&cluster)
    );
    let (_, body) = scrape_text(&cluster, Node::B);
    let now = samples(&body);
    eprintln!(
        "node-b rejected {} of node-a's datagrams for their authentication",
        value(&now, r#"ha_node_messages_rejected_total{cause="auth"}"#)
    );
    assert_eq!(
        value(
            &now,
            r#"ha_node_messages_received_total{medium="bcast eth0",node="node-a"}"#
        ),
        0.0
    );
    assert_eq!(
        value(
            &now,
            r#"ha_node_messages_rejected_total{cause="malformed"}"#
        ),
        0.0
    );
}

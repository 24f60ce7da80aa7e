//! Property tests of the cluster state machine on the simulated network.
//!
//! The simulated cluster of `ha_membership::harness` (machines exchanging
//! real, signed heartbeat datagrams over a simulated network) while proptest
//! throws random schedules at it: loss, delay, partitions, crashes, restarts
//! and graceful shutdowns, with resource starts and stops taking random
//! time. Two properties are checked:
//!
//! - safety, at every release: a node only stops a group it runs when it is
//!   shutting down, when auto_failback returns the group to its live
//!   preferred node, or when another node really holds the group too;
//! - convergence: once the network is healed and quiet, exactly one live
//!   node runs each group, and every live node agrees which one.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::harness::{Cluster, Entry, Setup, What};
use ha_membership::machine::{ActionKind, ReleaseReason};
use ha_transport::sim::LinkConfig;
use proptest::prelude::*;

const MS: Duration = Duration::from_millis(1);
const KEEPALIVE: Duration = Duration::from_millis(100);
const DEADTIME: Duration = Duration::from_millis(500);
const INITDEAD: Duration = Duration::from_millis(1000);

/// One step of a schedule: a fault (or repair) and how long it lasts.
#[derive(Debug, Clone)]
enum Fault {
    Calm,
    Loss(f64),
    Delay(u64),
    Partition(Vec<bool>),
    Crash(usize),
    Restart(usize),
    Shutdown(usize),
}

fn fault(nodes: usize) -> impl Strategy<Value = Fault> {
    prop_oneof![
        2 => Just(Fault::Calm),
        2 => (0.05f64..0.9).prop_map(Fault::Loss),
        2 => (1u64..400).prop_map(Fault::Delay),
        2 => proptest::collection::vec(any::<bool>(), nodes).prop_map(Fault::Partition),
        2 => (0..nodes).prop_map(Fault::Crash),
        3 => (0..nodes).prop_map(Fault::Restart),
        1 => (0..nodes).prop_map(Fault::Shutdown),
    ]
}

#[derive(Debug, Clone)]
struct Scenario {
    nodes: usize,
    preferred: Vec<usize>,
    auto_failback: bool,
    seed: u64,
    resource_delay_ms: u64,
    steps: Vec<(Fault, u64)>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (2usize..=3)
        .prop_flat_map(|nodes| {
            (
                Just(nodes),
                proptest::collection::vec(0..nodes, 1..=2),
                any::<bool>(),
                any::<u64>(),
                0u64..300,
                proptest::collection::vec((fault(nodes), 50u64..2500), 1..12),
            )
        })
        .prop_map(
            |(nodes, preferred, auto_failback, seed, resource_delay_ms, steps)| Scenario {
                nodes,
                preferred,
                auto_failback,
                seed,
                resource_delay_ms,
                steps,
            },
        )
}

fn name(i: usize) -> String {
    format!("node-{i}")
}

fn group_id(g: usize) -> String {
    format!("IPaddr::10.0.0.{}/24/eth0", 100 + g)
}

/// The cluster of a scenario, every node started, with the safety check
/// watching every release.
fn cluster(scenario: &Scenario) -> Cluster {
    let names: Vec<String> = (0..scenario.nodes).map(name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut setup = Setup::new(&names);
    for (g, &p) in scenario.preferred.iter().enumerate() {
        setup = setup.group(&group_id(g), &name(p));
    }
    setup.keepalive = KEEPALIVE;
    setup.warntime = 300 * MS;
    setup.deadtime = DEADTIME;
    setup.initdead = INITDEAD;
    setup.auto_failback = scenario.auto_failback;
    setup.seed = scenario.seed;
    setup.action_delay = Duration::from_millis(scenario.resource_delay_ms);
    setup.keys = AuthKeys::single(AuthMethod::Sha1, b"property");
    let mut cluster = Cluster::new(setup);
    let scenario = scenario.clone();
    cluster.check_each(move |cluster, entry| release_has_cause(&scenario, cluster, entry));
    cluster.start_all();
    cluster
}

/// Whether node `j` is running now or went down less than deadtime ago
/// (its peers may rightly still count on it).
fn recently_up(cluster: &Cluster, j: usize) -> bool {
    cluster.is_running(j)
        || cluster
            .down_since(j)
            .is_some_and(|t| cluster.elapsed().saturating_sub(t) < DEADTIME)
}

/// Whether node `j` holds `group`, or held it when it went down so
/// recently that its peers may still count it as the holder.
fn holds_or_held_recently(cluster: &Cluster, j: usize, group: &str) -> bool {
    match cluster.group_state(j, group) {
        Some(state) => state.is_held(),
        None => {
            cluster.held_when_down(j).iter().any(|g| g == group)
                && cluster
                    .down_since(j)
                    .is_some_and(|t| cluster.elapsed().saturating_sub(t) < DEADTIME + 400 * MS)
        }
    }
}

/// Safety: a release has one of the reasons a node may have.
fn release_has_cause(scenario: &Scenario, cluster: &Cluster, entry: &Entry) -> Result<(), String> {
    let What::Asked {
        group,
        kind: ActionKind::Stop(reason),
        ..
    } = &entry.what
    else {
        return Ok(());
    };
    let i = entry.node;
    let g = (0..scenario.preferred.len())
        .position(|g| group_id(g) == *group)
        .expect("known group");
    let preferred = scenario.preferred[g];
    let ok = match reason {
        ReleaseReason::Shutdown => cluster.is_shutting_down(i),
        ReleaseReason::Failback => {
            scenario.auto_failback && preferred != i && recently_up(cluster, preferred)
        }
        // No scenario asks for a standby or takeover.
        ReleaseReason::Standby => false,
        ReleaseReason::Conflict => (0..scenario.nodes)
            .filter(|&j| j != i)
            .any(|j| holds_or_held_recently(cluster, j, group)),
        // These scenarios have no ping nodes.
        ReleaseReason::PingNodes => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("released {group} for {reason:?} without cause"))
    }
}

fn apply(cluster: &mut Cluster, fault: &Fault) {
    cluster.heal();
    cluster.set_links(LinkConfig::perfect());
    match fault {
        Fault::Calm => {}
        Fault::Loss(p) => cluster.set_links(LinkConfig::perfect().with_loss(*p)),
        Fault::Delay(ms) => cluster.set_links(
            LinkConfig::perfect().with_delay(Duration::ZERO, Duration::from_millis(*ms)),
        ),
        Fault::Partition(sides) => {
            let (a, b): (Vec<usize>, Vec<usize>) = (0..sides.len()).partition(|&i| sides[i]);
            cluster.partition(&a, &b);
        }
        Fault::Crash(i) => cluster.crash(*i),
        Fault::Restart(i) => cluster.start(*i),
        Fault::Shutdown(i) => cluster.shutdown(*i),
    }
}

/// Convergence: once everything is quiet, one live node runs each group,
/// every live node agrees which, and auto_failback has been honoured.
fn converged(scenario: &Scenario, cluster: &Cluster) -> Result<(), String> {
    let live: Vec<usize> = (0..scenario.nodes)
        .filter(|&i| cluster.is_running(i))
        .collect();
    if live.is_empty() {
        return Ok(());
    }
    for g in 0..scenario.preferred.len() {
        let id = group_id(g);
        let runners = cluster.owners(&id);
        if runners.len() != 1 {
            return Err(format!("{id} runs on {runners:?} (live {live:?})"));
        }
        for &i in &live {
            let seen = cluster.owner_seen(i, &id);
            if seen != Some(name(runners[0])) {
                return Err(format!(
                    "{} sees {id} owned by {seen:?}, runs on {}",
                    name(i),
                    name(runners[0])
                ));
            }
        }
        let preferred = scenario.preferred[g];
        if scenario.auto_failback && live.contains(&preferred) && runners[0] != preferred {
            return Err(format!(
                "{id}: auto_failback on, preferred {} live, runs on {}",
                name(preferred),
                name(runners[0])
            ));
        }
    }
    Ok(())
}

fn run(scenario: Scenario) -> Result<(), TestCaseError> {
    let mut cluster = cluster(&scenario);
    for (fault, ms) in &scenario.steps {
        apply(&mut cluster, fault);
        cluster.advance(Duration::from_millis(*ms));
    }
    // Settle: heal the network; a node left shutting down finishes first.
    apply(&mut cluster, &Fault::Calm);
    cluster
        .advance(INITDEAD + 4 * DEADTIME + Duration::from_millis(3 * scenario.resource_delay_ms));
    prop_assert!(
        cluster.violations().is_empty(),
        "{:#?}\n{}",
        cluster.violations(),
        cluster.transcript()
    );
    if let Err(problem) = converged(&scenario, &cluster) {
        return Err(TestCaseError::fail(format!(
            "{problem}\n{}",
            cluster.transcript()
        )));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn one_owner_per_group_after_any_schedule(scenario in scenario()) {
        run(scenario)?;
    }
}

#[test]
fn a_crashed_owner_is_replaced_and_the_preferred_node_gets_its_group_back() {
    let scenario = Scenario {
        nodes: 2,
        preferred: vec![0],
        auto_failback: true,
        seed: 7,
        resource_delay_ms: 20,
        steps: vec![
            (Fault::Calm, 1500),
            (Fault::Crash(0), 1500),
            (Fault::Restart(0), 2000),
        ],
    };
    run(scenario).expect("converges");
}

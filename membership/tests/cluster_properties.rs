//! Property tests of the cluster state machine on the simulated network.
//!
//! Several [`Machine`]s exchange real, signed heartbeat datagrams over
//! [`SimNetwork`] while proptest throws random schedules at them: loss,
//! delay, partitions, crashes, restarts and graceful shutdowns, with resource
//! starts and stops taking random time. Two properties are checked:
//!
//! - safety, at every release: a node only stops a group it runs when it is
//!   shutting down, when auto_failback returns the group to its live
//!   preferred node, or when another node really holds the group too;
//! - convergence: once the network is healed and quiet, exactly one live
//!   node runs each group, and every live node agrees which one.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ha_membership::auth::{AuthKey, AuthKeys, AuthMethod};
use ha_membership::machine::{
    ActionId, ActionKind, ActionOutcome, Config, Event, GroupConfig, LocalGroupState, Machine,
    Output, ReleaseReason,
};
use ha_membership::message::Message;
use ha_membership::wire;
use ha_transport::sim::{LinkConfig, NodeId, SimNetwork};
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

/// A running node: its machine and its resource actions in progress.
struct Running {
    machine: Machine,
    pending: Vec<(Instant, ActionId)>,
    shutting_down: bool,
}

struct Sim {
    scenario: Scenario,
    now: Instant,
    net: SimNetwork,
    ids: Vec<NodeId>,
    nodes: Vec<Option<Running>>,
    generations: Vec<u64>,
    /// Per node: the peer generations it has "persisted".
    known: Vec<BTreeMap<String, u64>>,
    /// Per node: when it last crashed or stopped.
    down_since: Vec<Option<Instant>>,
    /// Per node: the groups it held when it went down.
    held_when_down: Vec<Vec<String>>,
    keys: AuthKeys,
    violations: Vec<String>,
}

impl Sim {
    fn new(scenario: Scenario) -> Self {
        let mut net = SimNetwork::new(scenario.seed);
        let ids = (0..scenario.nodes)
            .map(|i| net.add_node(&name(i)))
            .collect();
        let keys = AuthKeys {
            active: 1,
            keys: [(
                1,
                AuthKey {
                    method: AuthMethod::Sha1,
                    secret: b"property".to_vec(),
                },
            )]
            .into(),
        };
        let n = scenario.nodes;
        let mut sim = Sim {
            scenario,
            now: Instant::now(),
            net,
            ids,
            nodes: (0..n).map(|_| None).collect(),
            generations: vec![0; n],
            known: vec![BTreeMap::new(); n],
            down_since: vec![None; n],
            held_when_down: vec![Vec::new(); n],
            keys,
            violations: Vec::new(),
        };
        for i in 0..n {
            sim.start(i);
        }
        sim
    }

    fn config(&self, i: usize) -> Config {
        Config {
            local: name(i),
            uuid: [i as u8; 16],
            nodes: (0..self.scenario.nodes).map(name).collect(),
            keepalive: KEEPALIVE,
            warntime: 300 * MS,
            deadtime: DEADTIME,
            initdead: INITDEAD,
            auto_failback: self.scenario.auto_failback,
            monitor_interval: None,
            groups: self
                .scenario
                .preferred
                .iter()
                .enumerate()
                .map(|(g, &p)| GroupConfig {
                    id: group_id(g),
                    preferred: name(p),
                })
                .collect(),
        }
    }

    fn start(&mut self, i: usize) {
        if self.nodes[i].is_some() {
            return;
        }
        self.generations[i] += 1;
        let machine = Machine::new(
            self.config(i),
            self.generations[i],
            &self.known[i],
            self.now,
        );
        self.nodes[i] = Some(Running {
            machine,
            pending: Vec::new(),
            shutting_down: false,
        });
        self.down_since[i] = None;
        self.net.attach(self.ids[i]);
        self.drain(i);
    }

    fn crash(&mut self, i: usize) {
        if let Some(running) = self.nodes[i].take() {
            self.down_since[i] = Some(self.now);
            self.held_when_down[i] = running
                .machine
                .groups()
                .into_iter()
                .filter(|g| g.local_state.is_held())
                .map(|g| g.id)
                .collect();
        }
        self.net.detach(self.ids[i]);
    }

    /// Whether node `j` is running now or went down less than deadtime ago
    /// (its peers may rightly still count on it).
    fn recently_up(&self, j: usize) -> bool {
        self.nodes[j].is_some()
            || self.down_since[j].is_some_and(|t| self.now.saturating_duration_since(t) < DEADTIME)
    }

    /// Whether node `j` holds `group`, or held it when it went down so
    /// recently that its peers may still count it as the holder.
    fn holds_or_held_recently(&self, j: usize, group: &str) -> bool {
        match &self.nodes[j] {
            Some(running) => running.machine.local_group_state(group).is_held(),
            None => {
                self.held_when_down[j].iter().any(|g| g == group)
                    && self.down_since[j].is_some_and(|t| {
                        self.now.saturating_duration_since(t) < DEADTIME + 400 * MS
                    })
            }
        }
    }

    /// Checks that a release has one of the reasons a node may have.
    fn check_release(&mut self, i: usize, group: &str, reason: ReleaseReason) {
        let g = (0..self.scenario.preferred.len())
            .position(|g| group_id(g) == group)
            .expect("known group");
        let preferred = self.scenario.preferred[g];
        let ok = match reason {
            ReleaseReason::Shutdown => self.nodes[i].as_ref().is_some_and(|r| r.shutting_down),
            ReleaseReason::Failback => {
                self.scenario.auto_failback && preferred != i && self.recently_up(preferred)
            }
            ReleaseReason::Conflict => (0..self.scenario.nodes)
                .filter(|&j| j != i)
                .any(|j| self.holds_or_held_recently(j, group)),
        };
        if !ok {
            self.violations.push(format!(
                "at {:?}: {} released {group} for {reason:?} without cause",
                self.now,
                name(i)
            ));
        }
    }

    /// Carries out everything node `i` asked for.
    fn drain(&mut self, i: usize) {
        let delay = Duration::from_millis(self.scenario.resource_delay_ms);
        loop {
            let Some(running) = self.nodes[i].as_mut() else {
                return;
            };
            let Some(output) = running.machine.poll_output() else {
                return;
            };
            match output {
                Output::Send(message) => self.send(i, &message),
                Output::Action { id, group, kind } => {
                    running.pending.push((self.now + delay, id));
                    if let ActionKind::Stop(reason) = kind {
                        self.check_release(i, &group, reason);
                    }
                }
                Output::Event(Event::PeerRestarted { node, generation }) => {
                    self.known[i].insert(node, generation);
                }
                Output::Event(Event::ShutdownComplete) => {
                    self.crash(i);
                    return;
                }
                Output::Event(_) => {}
            }
        }
    }

    fn send(&mut self, i: usize, message: &Message) {
        let wire = message.to_wire(0, 3).expect("typed messages map to fields");
        let datagram = wire::encode(&wire, &self.keys).expect("key 1 exists");
        self.net.send(self.ids[i], &datagram, self.now);
    }

    fn next_event(&self) -> Option<Instant> {
        let machines = self.nodes.iter().flatten().flat_map(|r| {
            r.machine
                .poll_timeout()
                .into_iter()
                .chain(r.pending.iter().map(|(t, _)| *t))
        });
        machines.chain(self.net.next_delivery_time()).min()
    }

    /// Runs everything due up to `until`.
    fn run_until(&mut self, until: Instant) {
        while let Some(t) = self.next_event().filter(|&t| t <= until) {
            self.now = self.now.max(t);
            for (to, _, datagram) in self.net.deliver_due(self.now) {
                let i = to.0;
                let decoded = wire::decode(&datagram, &self.keys)
                    .and_then(|w| Message::from_wire(&w))
                    .expect("the simulated network does not corrupt");
                if let Some(running) = self.nodes[i].as_mut() {
                    running.machine.handle_message(self.now, decoded);
                }
                self.drain(i);
            }
            for i in 0..self.nodes.len() {
                let Some(running) = self.nodes[i].as_mut() else {
                    continue;
                };
                let now = self.now;
                let (due, later): (Vec<_>, Vec<_>) =
                    running.pending.drain(..).partition(|(t, _)| *t <= now);
                running.pending = later;
                for (_, id) in due {
                    running
                        .machine
                        .handle_action_result(now, id, ActionOutcome::Succeeded);
                }
                if running.machine.poll_timeout().is_some_and(|t| t <= now) {
                    running.machine.handle_timeout(now);
                }
                self.drain(i);
            }
        }
        self.now = until;
    }

    fn apply(&mut self, fault: &Fault) {
        self.net.heal();
        self.net.set_default_link(LinkConfig::perfect());
        match fault {
            Fault::Calm => {}
            Fault::Loss(p) => self
                .net
                .set_default_link(LinkConfig::perfect().with_loss(*p)),
            Fault::Delay(ms) => self.net.set_default_link(
                LinkConfig::perfect().with_delay(Duration::ZERO, Duration::from_millis(*ms)),
            ),
            Fault::Partition(sides) => {
                let (a, b): (Vec<_>, Vec<_>) = self.ids.iter().partition(|id| sides[id.0]);
                self.net.partition(&a, &b);
            }
            Fault::Crash(i) => self.crash(*i),
            Fault::Restart(i) => self.start(*i),
            Fault::Shutdown(i) => {
                if let Some(running) = self.nodes[*i].as_mut() {
                    running.shutting_down = true;
                    running.machine.shutdown(self.now);
                }
                self.drain(*i);
            }
        }
    }

    /// Group owners once everything is quiet: (group, runners, owners seen).
    fn converged(&self) -> Result<(), String> {
        for g in 0..self.scenario.preferred.len() {
            let id = group_id(g);
            let runners: Vec<usize> = (0..self.scenario.nodes)
                .filter(|&i| {
                    self.nodes[i].as_ref().is_some_and(|r| {
                        r.machine.local_group_state(&id) == LocalGroupState::Running
                    })
                })
                .collect();
            let live: Vec<usize> = (0..self.scenario.nodes)
                .filter(|&i| self.nodes[i].is_some())
                .collect();
            if live.is_empty() {
                continue;
            }
            if runners.len() != 1 {
                return Err(format!("{id} runs on {runners:?} (live {live:?})"));
            }
            for &i in &live {
                let machine = &self.nodes[i].as_ref().expect("live").machine;
                let seen = machine
                    .groups()
                    .into_iter()
                    .find(|s| s.id == id)
                    .and_then(|s| s.owner);
                if seen != Some(name(runners[0])) {
                    return Err(format!(
                        "{} sees {id} owned by {seen:?}, runs on {}",
                        name(i),
                        name(runners[0])
                    ));
                }
            }
            let preferred = self.scenario.preferred[g];
            if self.scenario.auto_failback && live.contains(&preferred) && runners[0] != preferred {
                return Err(format!(
                    "{id}: auto_failback on, preferred {} live, runs on {}",
                    name(preferred),
                    name(runners[0])
                ));
            }
        }
        Ok(())
    }
}

fn run(scenario: Scenario) -> Result<(), TestCaseError> {
    let mut sim = Sim::new(scenario.clone());
    for (fault, ms) in &scenario.steps {
        sim.apply(fault);
        let until = sim.now + Duration::from_millis(*ms);
        sim.run_until(until);
    }
    // Settle: heal the network; a node left shutting down finishes first.
    sim.apply(&Fault::Calm);
    let until =
        sim.now + INITDEAD + 4 * DEADTIME + Duration::from_millis(3 * scenario.resource_delay_ms);
    sim.run_until(until);
    prop_assert!(sim.violations.is_empty(), "{:#?}", sim.violations);
    if let Err(problem) = sim.converged() {
        return Err(TestCaseError::fail(problem));
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

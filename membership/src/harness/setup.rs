//! What a simulated cluster is made of: its nodes, groups, timing, keys,
//! network seed and how long actions take.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::auth::{AuthKeys, AuthMethod};
use crate::machine::{Config, GroupConfig, ResourceMonitor};

/// The configuration of a simulated cluster, shared by every node (each
/// node's [`Config`] differs only in its name and UUID).
///
/// [`Setup::new`] gives heartbeat-like timing scaled down for tests:
/// keepalive 100 ms, warntime 300 ms, deadtime 500 ms, initdead 1 s,
/// auto_failback on, no monitoring, perfect links (seed 0), sha1 keys,
/// actions answered at once, no ping nodes (deadping 500 ms) and no
/// fencing.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Node names, in ha.cf order; the harness numbers them from 0.
    pub nodes: Vec<String>,
    /// The resource groups.
    pub groups: Vec<GroupConfig>,
    /// Interval between heartbeats.
    pub keepalive: Duration,
    /// Silence after which a peer's heartbeat is reported late.
    pub warntime: Duration,
    /// Silence after which a peer is declared dead.
    pub deadtime: Duration,
    /// At start-up, how long a peer not yet heard has before it is dead.
    pub initdead: Duration,
    /// Whether groups return to their preferred node.
    pub auto_failback: bool,
    /// How often running groups are monitored (`None`: never).
    pub monitor_interval: Option<Duration>,
    /// Resources monitored one by one, each at its own interval.
    pub resource_monitors: Vec<ResourceMonitor>,
    /// Fixes every random choice of the simulated network.
    pub seed: u64,
    /// The authkeys every node signs and verifies with.
    pub keys: AuthKeys,
    /// How long an action takes before its outcome is given to the machine.
    pub action_delay: Duration,
    /// The ping nodes, which answer every node every keepalive unless the
    /// harness cuts a node off from one ([`super::Cluster::set_ping_reachable`]).
    pub ping_nodes: Vec<String>,
    /// Silence after which a ping node is declared dead.
    pub deadping: Duration,
    /// Ping node weights other than 1.
    pub ping_weights: BTreeMap<String, u32>,
    /// Whether ipfail's rule applies.
    pub ipfail: bool,
    /// Whether a fencing device is configured (fences are answered like
    /// actions, of type [`super::ActionType::Fence`]).
    pub fencing: bool,
}

impl Setup {
    /// A cluster of these nodes, with no groups and the defaults above.
    pub fn new(nodes: &[&str]) -> Self {
        let keys = AuthKeys::single(AuthMethod::Sha1, b"harness");
        Setup {
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
            groups: Vec::new(),
            keepalive: Duration::from_millis(100),
            warntime: Duration::from_millis(300),
            deadtime: Duration::from_millis(500),
            initdead: Duration::from_millis(1000),
            auto_failback: true,
            monitor_interval: None,
            resource_monitors: Vec::new(),
            seed: 0,
            keys,
            action_delay: Duration::ZERO,
            ping_nodes: Vec::new(),
            deadping: Duration::from_millis(500),
            ping_weights: BTreeMap::new(),
            ipfail: false,
            fencing: false,
        }
    }

    /// The same setup with one more ping node, and ipfail on.
    pub fn ping_node(mut self, name: &str) -> Self {
        self.ping_nodes.push(name.to_string());
        self.ipfail = true;
        self
    }

    /// The same setup with a fencing device configured.
    pub fn fencing(mut self) -> Self {
        self.fencing = true;
        self
    }

    /// The same setup with one more group, preferring `preferred`.
    pub fn group(mut self, id: &str, preferred: &str) -> Self {
        self.groups.push(GroupConfig {
            id: id.to_string(),
            preferred: preferred.to_string(),
        });
        self
    }

    /// The machine configuration of node `index`.
    ///
    /// # Panics
    ///
    /// If there is no such node.
    pub fn config(&self, index: usize) -> Config {
        let Some(local) = self.nodes.get(index) else {
            panic!(
                "node {index} does not exist: the setup has {}",
                self.nodes.len()
            )
        };
        Config {
            local: local.clone(),
            uuid: [u8::try_from(index + 1).unwrap_or(u8::MAX); 16],
            nodes: self.nodes.clone(),
            keepalive: self.keepalive,
            warntime: self.warntime,
            deadtime: self.deadtime,
            initdead: self.initdead,
            auto_failback: self.auto_failback,
            monitor_interval: self.monitor_interval,
            resource_monitors: self.resource_monitors.clone(),
            groups: self.groups.clone(),
            ping_nodes: self.ping_nodes.clone(),
            ping_weights: self.ping_weights.clone(),
            deadping: self.deadping,
            ipfail: self.ipfail,
            fencing: self.fencing,
        }
    }
}

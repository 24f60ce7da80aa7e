//! The simulated network itself: nodes, links, partitions and the datagrams
//! in flight, advanced only by the clock the caller passes in.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ha_net::rng::Rng;

use super::link::LinkConfig;

/// A node of the simulated network, numbered from 0 in the order added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}

/// One datagram handed over: `(to, from, datagram)`.
pub type Delivery = (NodeId, NodeId, Vec<u8>);

/// A deterministic in-memory network: every attached node hears every other
/// attached node (like a broadcast LAN), through links that lose and delay
/// datagrams as configured, unless a partition separates them.
///
/// Nothing happens on its own: [`SimNetwork::send`] queues copies due at
/// `now` plus a drawn delay, and [`SimNetwork::deliver_due`] hands over the
/// ones due by the time given. The same seed and the same calls always give
/// the same deliveries in the same order.
#[derive(Debug)]
pub struct SimNetwork {
    rng: Rng,
    nodes: Vec<SimNode>,
    default_link: LinkConfig,
    links: BTreeMap<(NodeId, NodeId), LinkConfig>,
    cuts: Vec<(BTreeSet<NodeId>, BTreeSet<NodeId>)>,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    sent: u64,
}

#[derive(Debug)]
struct SimNode {
    name: String,
    attached: bool,
}

/// A copy of a datagram on its way to one node.
#[derive(Debug)]
struct InFlight {
    due: Instant,
    /// Order of queueing, to break ties between copies due at once.
    sequence: u64,
    from: NodeId,
    to: NodeId,
    datagram: Arc<[u8]>,
}

impl InFlight {
    fn key(&self) -> (Instant, u64) {
        (self.due, self.sequence)
    }
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for InFlight {}

impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl SimNetwork {
    /// An empty network whose random choices are fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SimNetwork {
            rng: Rng::seeded(seed),
            nodes: Vec::new(),
            default_link: LinkConfig::perfect(),
            links: BTreeMap::new(),
            cuts: Vec::new(),
            in_flight: BinaryHeap::new(),
            sent: 0,
        }
    }

    /// Adds an attached node and returns its id.
    pub fn add_node(&mut self, name: &str) -> NodeId {
        self.nodes.push(SimNode {
            name: name.to_owned(),
            attached: true,
        });
        NodeId(self.nodes.len() - 1)
    }

    /// The name a node was added with.
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        self.nodes.get(node.0).map(|n| n.name.as_str())
    }

    /// The ids of all nodes, attached or not, in order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len()).map(NodeId)
    }

    /// Sets how links behave unless [`SimNetwork::set_link`] says otherwise.
    pub fn set_default_link(&mut self, link: LinkConfig) {
        self.default_link = link;
    }

    /// Sets how the link from `from` to `to` behaves (one direction only).
    pub fn set_link(&mut self, from: NodeId, to: NodeId, link: LinkConfig) {
        self.links.insert((from, to), link);
    }

    /// How the link from `from` to `to` behaves.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.links
            .get(&(from, to))
            .copied()
            .unwrap_or(self.default_link)
    }

    /// Cuts every link between a node of `a` and a node of `b`, both ways,
    /// until [`SimNetwork::heal`]. Partitions add up. Datagrams already in
    /// flight across the cut are lost when they fall due.
    pub fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
        self.cuts
            .push((a.iter().copied().collect(), b.iter().copied().collect()));
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.cuts.clear();
    }

    /// Whether a partition separates `from` and `to`.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts.iter().any(|(a, b)| {
            (a.contains(&from) && b.contains(&to)) || (b.contains(&from) && a.contains(&to))
        })
    }

    /// Crashes a node: what it has in flight, and what is in flight to it, is
    /// lost, and it neither sends nor receives until [`SimNetwork::attach`].
    pub fn detach(&mut self, node: NodeId) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.attached = false;
        }
        self.in_flight
            .retain(|Reverse(copy)| copy.from != node && copy.to != node);
    }

    /// Restarts a detached node: it sends and receives again.
    pub fn attach(&mut self, node: NodeId) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.attached = true;
        }
    }

    /// Whether a node exists and is attached.
    pub fn is_attached(&self, node: NodeId) -> bool {
        self.nodes.get(node.0).is_some_and(|n| n.attached)
    }

    /// Sends `datagram` from `from` to every other attached node at time
    /// `now`; returns how many copies are on their way (lost ones and ones
    /// into a partition are not). A detached or unknown sender sends nothing.
    pub fn send(&mut self, from: NodeId, datagram: &[u8], now: Instant) -> usize {
        if !self.is_attached(from) {
            return 0;
        }
        let datagram: Arc<[u8]> = Arc::from(datagram);
        let targets: Vec<NodeId> = self
            .nodes()
            .filter(|&to| to != from && self.is_attached(to))
            .collect();
        targets
            .into_iter()
            .filter(|&to| self.enqueue(from, to, Arc::clone(&datagram), now))
            .count()
    }

    /// Sends `datagram` from `from` to `to` only (a unicast link); returns
    /// whether it is on its way.
    pub fn send_to(&mut self, from: NodeId, to: NodeId, datagram: &[u8], now: Instant) -> bool {
        if from == to || !self.is_attached(from) || !self.is_attached(to) {
            return false;
        }
        self.enqueue(from, to, Arc::from(datagram), now)
    }

    /// When the next datagram in flight falls due, if any.
    pub fn next_delivery_time(&self) -> Option<Instant> {
        self.in_flight.peek().map(|Reverse(copy)| copy.due)
    }

    /// How many copies are in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Hands over every datagram due at or before `now`, earliest first (ties
    /// in the order they were sent), except those a partition now cuts off.
    pub fn deliver_due(&mut self, now: Instant) -> Vec<Delivery> {
        let mut delivered = Vec::new();
        while self
            .in_flight
            .peek()
            .is_some_and(|Reverse(copy)| copy.due <= now)
        {
            let Some(Reverse(copy)) = self.in_flight.pop() else {
                break;
            };
            if !self.is_cut(copy.from, copy.to) {
                delivered.push((copy.to, copy.from, copy.datagram.to_vec()));
            }
        }
        delivered
    }

    /// Draws the fate of one copy and queues it if it survives.
    fn enqueue(&mut self, from: NodeId, to: NodeId, datagram: Arc<[u8]>, now: Instant) -> bool {
        let link = self.link(from, to);
        let fate = link.draw(&mut self.rng);
        let Some(delay) = fate else {
            return false;
        };
        if self.is_cut(from, to) {
            return false;
        }
        let sequence = self.sent;
        self.sent += 1;
        self.in_flight.push(Reverse(InFlight {
            due: now + delay,
            sequence,
            from,
            to,
            datagram,
        }));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn three_nodes(seed: u64) -> (SimNetwork, [NodeId; 3]) {
        let mut net = SimNetwork::new(seed);
        let nodes = [net.add_node("a"), net.add_node("b"), net.add_node("c")];
        (net, nodes)
    }

    #[test]
    fn a_perfect_network_delivers_to_everyone_else_at_once() {
        let (mut net, [a, b, c]) = three_nodes(1);
        let t0 = Instant::now();
        assert_eq!(net.send(a, b"hello", t0), 2);
        assert_eq!(net.next_delivery_time(), Some(t0));
        let delivered = net.deliver_due(t0);
        assert_eq!(
            delivered,
            vec![(b, a, b"hello".to_vec()), (c, a, b"hello".to_vec())]
        );
        assert_eq!(net.next_delivery_time(), None);
        assert_eq!(net.node_name(c), Some("c"));
        assert_eq!(net.node_name(NodeId(9)), None);
    }

    #[test]
    fn nothing_is_delivered_before_it_is_due() {
        let (mut net, [a, b, _]) = three_nodes(1);
        let delay = Duration::from_millis(30);
        net.set_default_link(LinkConfig::perfect().with_delay(delay, delay));
        let t0 = Instant::now();
        net.send_to(a, b, b"x", t0);
        assert!(net
            .deliver_due(t0 + delay - Duration::from_nanos(1))
            .is_empty());
        assert_eq!(net.next_delivery_time(), Some(t0 + delay));
        assert_eq!(net.deliver_due(t0 + delay), vec![(b, a, b"x".to_vec())]);
    }

    #[test]
    fn a_per_link_setting_overrides_the_default_in_one_direction() {
        let (mut net, [a, b, c]) = three_nodes(1);
        net.set_link(a, b, LinkConfig::perfect().with_loss(1.0));
        let t0 = Instant::now();
        assert_eq!(net.send(a, b"1", t0), 1);
        assert_eq!(net.send(b, b"2", t0), 2);
        let delivered = net.deliver_due(t0);
        let pairs: Vec<_> = delivered.iter().map(|(to, from, _)| (*from, *to)).collect();
        assert_eq!(pairs, vec![(a, c), (b, a), (b, c)]);
    }

    #[test]
    fn a_partition_cuts_both_ways_and_heals() {
        let (mut net, [a, b, c]) = three_nodes(1);
        net.partition(&[a], &[b, c]);
        let t0 = Instant::now();
        assert_eq!(net.send(a, b"lonely", t0), 0);
        assert_eq!(net.send(b, b"pair", t0), 1);
        assert_eq!(net.deliver_due(t0), vec![(c, b, b"pair".to_vec())]);
        net.heal();
        assert_eq!(net.send(a, b"back", t0), 2);
    }

    #[test]
    fn datagrams_in_flight_when_a_partition_starts_are_lost() {
        let (mut net, [a, b, _]) = three_nodes(1);
        let delay = Duration::from_millis(10);
        net.set_default_link(LinkConfig::perfect().with_delay(delay, delay));
        let t0 = Instant::now();
        assert!(net.send_to(a, b, b"late", t0));
        net.partition(&[a], &[b]);
        assert!(net.deliver_due(t0 + delay).is_empty());
    }

    #[test]
    fn a_detached_node_loses_its_traffic_until_attached_again() {
        let (mut net, [a, b, c]) = three_nodes(1);
        let delay = Duration::from_millis(10);
        net.set_default_link(LinkConfig::perfect().with_delay(delay, delay));
        let t0 = Instant::now();
        net.send(a, b"to all", t0);
        net.send(b, b"from b", t0);
        net.detach(b);
        assert!(!net.is_attached(b));
        assert_eq!(net.send(b, b"ghost", t0), 0);
        assert_eq!(net.send(c, b"c", t0), 1);
        let delivered = net.deliver_due(t0 + delay);
        assert_eq!(
            delivered,
            vec![(c, a, b"to all".to_vec()), (a, c, b"c".to_vec())]
        );
        net.attach(b);
        assert_eq!(net.send(b, b"again", t0), 2);
    }

    #[test]
    fn unknown_nodes_send_and_receive_nothing() {
        let (mut net, [a, ..]) = three_nodes(1);
        let t0 = Instant::now();
        assert_eq!(net.send(NodeId(7), b"?", t0), 0);
        assert!(!net.send_to(a, NodeId(7), b"?", t0));
        assert!(!net.send_to(a, a, b"self", t0));
        net.detach(NodeId(7));
        net.attach(NodeId(7));
        assert_eq!(net.in_flight(), 0);
    }
}

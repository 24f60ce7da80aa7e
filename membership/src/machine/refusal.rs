//! Fast detection of a peer whose process died while its host lives.
//!
//! When a peer's process is gone but its host is up, the host answers each
//! unicast heartbeat sent to it with an ICMP port unreachable, which a
//! `ucast` medium reports as a refusal (the address the heartbeat went to).
//! That can be known long before deadtime runs out. One refusal is no proof
//! (a stray ICMP, a process restarting), so the rule is:
//!
//! 1. A refusal counts only when it is about an address the peer is heard
//!    from: the source of its latest message on some medium. A refusal to
//!    an address no live peer is heard from (a peer heard from another of
//!    its addresses, or never heard) is ignored, and reported once per
//!    medium and address: fast detection is off there, deadtime applies.
//! 2. The first counted refusal since the peer was last heard opens a
//!    suspicion: a heartbeat is sent at once, and again every
//!    [`probe_interval`] (half a keepalive, at least 5 ms), [`PROBES`]
//!    heartbeats in all, to draw more refusals or an answer.
//! 3. Any message accepted from the peer, on any medium, ends the
//!    suspicion and forgets its refusals.
//! 4. The peer is declared dead when at least [`CONFIRMING_REFUSALS`]
//!    refusals have counted since it was last heard and it has been silent
//!    for at least [`confirming_silence`] (two keepalives: a live peer
//!    sends one every keepalive, so it would have been heard) — and, as for
//!    deadtime, not while this node is within the grace after a stall of
//!    its own (the `stall` module).
//!
//! A frozen process (SIGSTOP, a paused VM) keeps its port bound, so its
//! host refuses nothing: only deadtime declares it dead. Hosts limit the
//! ICMP errors they send to one destination (Linux: a burst of 6, then one
//! a second), so the rule needs no more than the burst.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Refusals since the peer was last heard that confirm its process is gone.
pub const CONFIRMING_REFUSALS: u32 = 3;

/// Heartbeats sent to probe a suspected peer, the first at once.
pub const PROBES: u32 = 4;

/// The time between two probes: half a keepalive, at least 5 ms.
pub fn probe_interval(keepalive: Duration) -> Duration {
    (keepalive / 2).max(Duration::from_millis(5))
}

/// The least silence of a refusing peer before it is declared dead.
pub fn confirming_silence(keepalive: Duration) -> Duration {
    keepalive * 2
}

/// A peer whose port refused heartbeats since it was last heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Suspicion {
    /// Refusals counted.
    refusals: u32,
    /// When the next probe is due; `None` once every probe is sent.
    next_probe: Option<Instant>,
    /// Probes still to send.
    probes_left: u32,
}

/// What a refusal means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It counts against `node`; `first`: it opened a suspicion (probe now).
    Counted {
        /// The peer.
        node: String,
        /// Whether the suspicion is new.
        first: bool,
    },
    /// No live peer is heard from the address; `report`: no peer at all
    /// is, and this is the first time for this medium and address.
    Ignored {
        /// Whether to tell the operator.
        report: bool,
    },
}

/// Where each peer is heard from, and the peers suspected.
#[derive(Debug, Clone, Default)]
pub struct Refusals {
    /// The source of each peer's latest message, per medium.
    sources: BTreeMap<String, BTreeMap<usize, IpAddr>>,
    suspicions: BTreeMap<String, Suspicion>,
    /// Medium and address of refusals ignored and reported.
    reported: BTreeSet<(usize, IpAddr)>,
}

impl Refusals {
    /// A message from `node` arrived on `medium` from `source`.
    pub fn source(&mut self, node: &str, medium: usize, source: IpAddr) {
        self.sources
            .entry(node.to_string())
            .or_default()
            .insert(medium, source);
    }

    /// `node` was heard: whatever it was suspected of is forgotten.
    pub fn heard(&mut self, node: &str) {
        self.suspicions.remove(node);
    }

    /// `node` is dead (or gone): nothing more to probe.
    pub fn forget(&mut self, node: &str) {
        self.suspicions.remove(node);
    }

    /// The live peers and the addresses each is heard from.
    pub fn heard_from<'a>(
        &'a self,
        live: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, IpAddr)> + 'a {
        self.sources
            .iter()
            .filter(move |(node, _)| live(node))
            .flat_map(|(node, by_medium)| by_medium.values().map(move |a| (node.as_str(), *a)))
    }

    /// A datagram sent on `medium` to `to` was refused at `now`; `live`
    /// says which peers are live.
    pub fn refused(
        &mut self,
        now: Instant,
        medium: usize,
        to: IpAddr,
        live: impl Fn(&str) -> bool,
    ) -> Verdict {
        let heard_there = |node: &&str| {
            self.sources
                .get(*node)
                .is_some_and(|by_medium| by_medium.values().any(|a| *a == to))
        };
        let node = self.sources.keys().map(String::as_str).find(heard_there);
        let node = match node {
            Some(node) if live(node) => node.to_string(),
            // A peer already dead or gone: its silence is known.
            Some(_) => return Verdict::Ignored { report: false },
            None => {
                return Verdict::Ignored {
                    report: self.reported.insert((medium, to)),
                }
            }
        };
        let mut first = false;
        let suspicion = self.suspicions.entry(node.clone()).or_insert_with(|| {
            first = true;
            Suspicion {
                refusals: 0,
                next_probe: Some(now),
                probes_left: PROBES,
            }
        });
        suspicion.refusals = suspicion.refusals.saturating_add(1);
        Verdict::Counted { node, first }
    }

    /// Takes the probes due at `now`: true if a heartbeat must go out.
    pub fn take_probes(&mut self, now: Instant, keepalive: Duration) -> bool {
        let mut due = false;
        for suspicion in self.suspicions.values_mut() {
            if suspicion.next_probe.is_some_and(|at| at <= now) {
                due = true;
                suspicion.probes_left = suspicion.probes_left.saturating_sub(1);
                suspicion.next_probe =
                    (suspicion.probes_left > 0).then(|| now + probe_interval(keepalive));
            }
        }
        due
    }

    /// When the next probe is due.
    pub fn next_probe(&self) -> Option<Instant> {
        self.suspicions.values().filter_map(|s| s.next_probe).min()
    }

    /// If `node` is to be declared dead for its refusals, from when, given
    /// when it was last heard; and how many refusals it drew.
    pub fn confirmed_at(
        &self,
        node: &str,
        last_heard: Option<Instant>,
        keepalive: Duration,
    ) -> Option<(Instant, u32)> {
        let suspicion = self.suspicions.get(node)?;
        if suspicion.refusals < CONFIRMING_REFUSALS {
            return None;
        }
        Some((
            last_heard? + confirming_silence(keepalive),
            suspicion.refusals,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const KEEPALIVE: Duration = Duration::from_millis(100);

    fn addr(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn refusals_count_only_for_an_address_a_live_peer_is_heard_from() {
        let t0 = Instant::now();
        let mut r = Refusals::default();
        r.source("b", 0, addr("10.0.0.3"));
        let verdict = r.refused(t0, 0, addr("10.0.0.2"), |_| true);
        assert_eq!(verdict, Verdict::Ignored { report: true });
        let again = r.refused(t0, 0, addr("10.0.0.2"), |_| true);
        assert_eq!(again, Verdict::Ignored { report: false });
        let dead = r.refused(t0, 0, addr("10.0.0.3"), |_| false);
        assert_eq!(dead, Verdict::Ignored { report: false });
        let counted = r.refused(t0, 1, addr("10.0.0.3"), |_| true);
        assert_eq!(
            counted,
            Verdict::Counted {
                node: "b".into(),
                first: true
            }
        );
    }

    #[test]
    fn probes_go_out_at_once_then_every_half_keepalive() {
        let t0 = Instant::now();
        let mut r = Refusals::default();
        r.source("b", 0, addr("10.0.0.2"));
        r.refused(t0, 0, addr("10.0.0.2"), |_| true);
        let mut sent = Vec::new();
        let mut now = t0;
        while let Some(at) = r.next_probe() {
            now = at.max(now);
            assert!(r.take_probes(now, KEEPALIVE));
            sent.push(now.duration_since(t0));
        }
        assert_eq!(sent, [Duration::ZERO, 50 * MS, 100 * MS, 150 * MS]);
        r.heard("b");
        assert_eq!(r.confirmed_at("b", Some(t0), KEEPALIVE), None);
    }

    #[test]
    fn three_refusals_confirm_after_two_keepalives_of_silence() {
        let t0 = Instant::now();
        let mut r = Refusals::default();
        r.source("b", 0, addr("10.0.0.2"));
        for _ in 0..2 {
            r.refused(t0, 0, addr("10.0.0.2"), |_| true);
        }
        assert_eq!(r.confirmed_at("b", Some(t0), KEEPALIVE), None);
        r.refused(t0, 0, addr("10.0.0.2"), |_| true);
        assert_eq!(
            r.confirmed_at("b", Some(t0), KEEPALIVE),
            Some((t0 + 200 * MS, 3))
        );
    }
}

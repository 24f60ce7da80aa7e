//! heartbeat 3.0.6's resource negotiation, spoken with a peer that runs it.
//!
//! ha-node peers list what they hold in every status; a heartbeat node does
//! not (its statuses lack `rsc_lists=1`). It tells its peer what it holds
//! in resource reports instead, and hands groups over in a three-phase
//! exchange. What heartbeat does (hb_resource.c, with `auto_failback` on or
//! off, its nice_failback):
//!
//! - When its communication comes up it sends `t=starting` and holds
//!   nothing yet; a peer answers with a report. A report (`t=resource`)
//!   says what its sender holds as the sender sees it (`rsc_hold`: `none`,
//!   `local`: the groups whose preferred node it is, `foreign`, `all`),
//!   `rtype=full` when it replaces the last one, and `isstable=1` once the
//!   sender has finished acquiring. A starting heartbeat that gets a stable
//!   report acquires its own groups unless the peer holds them; without
//!   one it waits 10 s (`RQSTDELAY`).
//! - A hand-over: the giver sends `t=ask_resources info=me` for a set; the
//!   taker answers `info=other` (only when both are stable); the giver
//!   releases, says `info=done`; the taker acquires and says `info=done`.
//!   The giver's report during the exchange already leaves the set out
//!   (`isstable=0`), before its stop scripts have run.
//! - With auto_failback on, the node holding its peer's groups after a
//!   takeover hands them back that way once both are stable; the preferred
//!   node never takes them by itself.
//!
//! So here, with a heartbeat peer:
//! - its holdings come from its reports; a report that is not stable only
//!   adds groups, and what it leaves out is taken as released at its
//!   `info=done`, a stable report, or its `shutdone`;
//! - until it has reported in its current generation, this node starts no
//!   group (it may hold any); after 10 s it starts its own preferred
//!   groups, as heartbeat does. A `t=starting` from it is a report of
//!   nothing;
//! - this node sends `t=starting` when it first hears a heartbeat peer's
//!   generation, answers its `starting` with a report, and reports again
//!   whenever what it holds or its stability changes;
//! - a release for failback or standby waits for the peer's `info=other`
//!   (asked with `info=me`, again every 2 s), then `info=done` follows the
//!   releases; groups the peer hands over are started at its `info=done`,
//!   and this node says `info=done` once they run — at once when the set
//!   holds no group here, since heartbeat takes no other standby request
//!   for an hour until that `done` comes;
//! - during a hand-over this node agreed to, only the peer's `info=done`
//!   frees what it gives: heartbeat answers a report of ours that finds
//!   it unstable with a report marked stable even while its stop scripts
//!   still run;
//! - while a hand-over runs, a new `info=me` from the peer is ignored, as
//!   heartbeat ignores it (its own `hb_standby` during its auto_failback
//!   included): heartbeat would take an `info=other` to it as the answer
//!   to the request it runs;
//! - heartbeat holds kinds of group, not groups, also a kind with no group
//!   in it, and logs "No one owns foreign resources!" or "Both machines
//!   own foreign resources!" when not exactly one node holds each kind.
//!   A kind with no group here is held as heartbeat would hold it: from
//!   the peer's first stable report, whatever the peer does not hold;
//!   then given with this node's standby or failback or as soon as the
//!   peer says it holds it, taken with the peer's standby or failback;
//! - this node's own standby ends the peer's standby for those groups (the
//!   peer takes them once it agrees);
//! - heartbeat fails back only when it sees its peer's report turn
//!   stable; a node back while heartbeat still takes its groups over
//!   misses that moment, so with auto_failback on this node reminds a
//!   heartbeat peer holding its groups (an unstable report, then a stable
//!   one, every 2 s) until it hands them back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::cause::LetGo;
use super::handover::ResourceSet;
pub use super::holding::Holding;
use super::peer::Peer;
use super::types::{LocalGroupState, Output};
use crate::message::Message;

/// heartbeat's `RQSTDELAY`: how long a node waits for its peer's report
/// before it acquires its own preferred groups anyway.
pub const REPORT_WAIT: Duration = Duration::from_secs(10);

/// How often a hand-over request the heartbeat peer has not agreed to is
/// sent again.
pub const ASK_AGAIN: Duration = Duration::from_secs(2);

/// Why this node asked a heartbeat peer to take groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AskFor {
    /// auto_failback: the peer's own groups, back to it.
    Failback,
    /// The operator's standby (here or the peer's takeover).
    Standby,
}

/// A hand-over this node asked a heartbeat peer to agree to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask {
    pub set: ResourceSet,
    pub why: AskFor,
    pub at: Instant,
    pub agreed: bool,
}

/// This node's side of the negotiation.
#[derive(Debug, Default)]
pub(super) struct Negotiation {
    /// The last report sent (what, stable); `None`: one is owed.
    last_sent: Option<(Holding, bool)>,
    /// The hand-over this node asked for, until its `info=done` is sent.
    pub asked: Option<Ask>,
    /// The heartbeat peer's own standby (`info=me`) this node agreed to
    /// (`info=other`): the set as the peer named it, until its `info=done`
    /// (which names the set again).
    agreed_to: Option<String>,
    /// A hand-over to this node: the set as the heartbeat peer named it,
    /// once it said `info=done`; this node says `info=done` once it has
    /// started what it takes of it — at once when the set holds no group
    /// (heartbeat waits for that `done` an hour before it takes another
    /// standby request).
    acquiring: Option<String>,
    /// The kinds of group with no group in them that this node holds in
    /// heartbeat's eyes (see `own_holding`); `None` until the heartbeat
    /// peer has reported.
    empty_claims: Option<Holding>,
    /// Since when this node has waited for a heartbeat peer's
    /// auto_failback of its groups, or last reminded it.
    failback_wait: Option<Instant>,
}

/// `holding` with the kinds in `set` (as this node names them) added or
/// taken away.
fn with_set(holding: Holding, set: ResourceSet, held: bool) -> Holding {
    let (local, foreign) = match set {
        ResourceSet::All => (true, true),
        ResourceSet::Local => (true, false),
        ResourceSet::Foreign => (false, true),
    };
    Holding {
        local: if local { held } else { holding.local },
        foreign: if foreign { held } else { holding.foreign },
    }
}

impl super::Machine {
    /// Whether any active peer runs heartbeat (before it is active, its
    /// communication is not up: it holds nothing and reads no report).
    pub(super) fn heartbeat_peer_live(&self) -> bool {
        self.peers.iter().any(Peer::negotiates)
    }

    /// A status of the peer at `index` that does not list what it holds:
    /// it runs heartbeat. The first time in a generation, asks what it
    /// holds (`t=starting`).
    pub(super) fn heartbeat_peer_heard(&mut self, index: usize, now: Instant) {
        let peer = &mut self.peers[index];
        peer.speaks_heartbeat = true;
        if !peer.negotiates() {
            return;
        }
        let generation = peer.window.generation();
        if peer.asked_generation.is_some_and(|(g, _)| g == generation) {
            return;
        }
        peer.asked_generation = Some((generation, now));
        peer.reported = None;
        peer.reported_stable = false;
        let header = self.header();
        self.outputs
            .push_back(Output::Send(Message::Starting(header)));
        self.negotiation.last_sent = None;
        self.negotiation.empty_claims = None;
    }

    /// The heartbeat peer at `index` reported `holding` (`stable`: its
    /// `isstable`, if said). `starting` is a report of nothing, unstable,
    /// and asks for this node's.
    pub(super) fn heartbeat_peer_report(
        &mut self,
        index: usize,
        holding: Holding,
        stable: Option<bool>,
    ) {
        let peer = &mut self.peers[index];
        if !peer.speaks_heartbeat {
            return;
        }
        let stable = stable.unwrap_or(peer.reported_stable);
        peer.reported = Some(holding);
        peer.reported_stable = stable;
        // heartbeat says it is stable whenever it answers a report of
        // ours, also while its standby's stop scripts run: during a
        // hand-over this node agreed to, only its `info=done` releases.
        let released = stable && self.negotiation.agreed_to.is_none();
        self.apply_heartbeat_holding(index, released);
    }

    /// The heartbeat peer at `index` said `t=starting`.
    pub(super) fn heartbeat_peer_starting(&mut self, index: usize) {
        if !self.peers[index].speaks_heartbeat {
            return;
        }
        self.negotiation.empty_claims = None;
        self.heartbeat_peer_report(index, Holding::default(), Some(false));
        self.negotiation.last_sent = None;
        self.send_report();
    }

    /// Sets what the heartbeat peer at `index` holds from its last report:
    /// everything it covers, and, unless `released` (a stable report or
    /// its `info=done`), what it held before as well.
    fn apply_heartbeat_holding(&mut self, index: usize, released: bool) {
        let peer = &self.peers[index];
        let holding = peer.reported.unwrap_or_default();
        let covered: BTreeSet<String> = self
            .config
            .groups
            .iter()
            .filter(|g| holding.covers(&g.preferred, &peer.name))
            .map(|g| g.id.clone())
            .collect();
        let held: BTreeSet<String> = if released {
            covered.clone()
        } else {
            covered.union(&peer.held).cloned().collect()
        };
        let name = peer.name.clone();
        for group in peer.held.difference(&held) {
            let how = if peer.standby.contains(group) {
                LetGo::StoodBy
            } else {
                LetGo::Released
            };
            self.vacancies.let_go(&name, group, how);
        }
        for group in &held {
            self.vacancies.held(group);
        }
        let peer = &mut self.peers[index];
        // A node that takes groups back no longer stands by for them.
        for group in &covered {
            peer.standby.remove(group);
        }
        peer.held = held;
    }

    /// The heartbeat peer at `index` sent `t=ask_resources` with `info`
    /// other than `me` for `resources`: `other` agrees to this node's
    /// request; `done` ends its releases (what it left out of its reports
    /// is free) or its acquisitions.
    pub(super) fn heartbeat_peer_handover(&mut self, index: usize, resources: &str, info: &str) {
        if !self.peers[index].speaks_heartbeat {
            return;
        }
        match info {
            "other" => {
                if let Some(ask) = &mut self.negotiation.asked {
                    ask.agreed = true;
                }
            }
            "done" => {
                self.apply_heartbeat_holding(index, true);
                if self.negotiation.asked.is_none() && self.negotiation.agreed_to.take().is_some() {
                    self.negotiation.acquiring = Some(resources.to_string());
                }
            }
            _ => {}
        }
    }

    /// Whether a release for `reason` waits for the heartbeat peer's
    /// agreement; asks for it (again, every [`ASK_AGAIN`]) when it does.
    pub(super) fn release_waits(&mut self, why: AskFor, set: ResourceSet, now: Instant) -> bool {
        if !self.heartbeat_peer_live() {
            return false;
        }
        match &mut self.negotiation.asked {
            Some(ask) if ask.agreed => false,
            Some(ask) => {
                if now.saturating_duration_since(ask.at) >= ASK_AGAIN {
                    ask.at = now;
                    let set = ask.set;
                    self.send_ask_resources(set, "me");
                }
                true
            }
            None => {
                // heartbeat agrees only once it is stable itself.
                let peer_stable = self
                    .peers
                    .iter()
                    .any(|p| p.negotiates() && p.reported_stable);
                if peer_stable && self.report_is_stable() {
                    self.negotiation.agreed_to = None;
                    self.negotiation.asked = Some(Ask {
                        set,
                        why,
                        at: now,
                        agreed: false,
                    });
                    self.send_report();
                    self.send_ask_resources(set, "me");
                }
                true
            }
        }
    }

    /// Notes a standby this node asked for itself (its `info=me` is sent):
    /// a heartbeat peer that stood by for any of the groups (an earlier
    /// `hb_standby` there) no longer does, as it takes them once it agrees.
    pub(super) fn asked_standby(&mut self, set: ResourceSet, now: Instant) {
        if self.heartbeat_peer_live() {
            self.negotiation.asked = Some(Ask {
                set,
                why: AskFor::Standby,
                at: now,
                agreed: false,
            });
            self.negotiation.agreed_to = None;
            let groups: Vec<String> = self
                .config
                .groups
                .iter()
                .filter(|g| set.covers(&g.preferred, &self.config.local))
                .map(|g| g.id.clone())
                .collect();
            for peer in self.peers.iter_mut().filter(|p| p.speaks_heartbeat) {
                for group in &groups {
                    peer.standby.remove(group);
                }
            }
        }
    }

    /// Whether a hand-over with the peer at `index`, if it runs heartbeat,
    /// is under way (asked, agreed to, or being taken): heartbeat ignores
    /// a new `info=me` meanwhile ("Standby in progress- new request …
    /// ignored"), its own included, and so does this node, whose
    /// `info=other` heartbeat would take as the answer to the request it
    /// is running.
    pub(super) fn heartbeat_exchange_running(&self, index: usize) -> bool {
        self.peers[index].speaks_heartbeat
            && (self.negotiation.asked.is_some()
                || self.negotiation.agreed_to.is_some()
                || self.negotiation.acquiring.is_some())
    }

    /// This node agreed (`info=other`) to the standby of the peer at
    /// `index` for `resources` (as the peer named them): if it runs
    /// heartbeat, it waits for this node's `info=done` once it has said
    /// its own.
    pub(super) fn agreed_to_standby(&mut self, index: usize, resources: &str) {
        if self.peers[index].speaks_heartbeat {
            self.negotiation.agreed_to = Some(resources.to_string());
        }
    }

    /// Whether a live heartbeat peer has not reported yet, so that this
    /// node may start `group` (preferred by `preferred`) only after
    /// [`REPORT_WAIT`], and only its own. A heartbeat that is up but not
    /// yet active may be about to take over (its initdead passed without
    /// hearing this node): nothing starts before it is active and has
    /// reported.
    pub(super) fn start_waits_for_report(&self, preferred: &str, now: Instant) -> bool {
        // A peer heard only through other messages has not said whether
        // it lists what it holds.
        if self
            .peers
            .iter()
            .any(|p| p.is_live() && p.newest_status.is_none())
        {
            return true;
        }
        self.peers
            .iter()
            .filter(|p| p.is_live() && p.speaks_heartbeat && p.reported.is_none())
            .any(|p| {
                let waited = p
                    .asked_generation
                    .is_some_and(|(_, at)| now.saturating_duration_since(at) >= REPORT_WAIT);
                !(waited && preferred == self.config.local)
            })
    }

    /// Whether this node's report says it is stable: no group starting or
    /// stopping here, and no heartbeat peer's report awaited.
    fn report_is_stable(&self) -> bool {
        let settling = self.groups.values().any(|state| {
            matches!(
                state,
                LocalGroupState::Starting | LocalGroupState::Stopping(_)
            )
        });
        let awaiting = self
            .peers
            .iter()
            .any(|p| p.negotiates() && p.reported.is_none());
        !settling && !awaiting && self.state == crate::message::NodeState::Active
    }

    /// What this node holds in heartbeat's words. heartbeat holds a kind
    /// of group (`local`, `foreign`) rather than groups, also when there
    /// is none of that kind, and checks that one node holds each kind
    /// ("No one owns foreign resources!", "Both machines own foreign
    /// resources!" otherwise). A kind with no group here is held as
    /// heartbeat would hold it: from the peer's first stable report,
    /// whatever it does not hold; then given with a standby or failback of
    /// this node, or as soon as the peer says it holds it, and taken with
    /// the peer's standby or failback.
    fn own_holding(&mut self) -> Holding {
        let mut holding = Holding::of(&self.config.groups, &self.config.local, |g| {
            self.groups.get(g).is_some_and(|s| s.is_held())
        });
        let negotiating = || self.peers.iter().filter(|p| p.negotiates());
        if negotiating().any(|p| p.reported.is_none()) {
            return holding;
        }
        // The peer's report says it from its side: its `foreign` is our
        // `local`, and the other way round.
        let peer = negotiating()
            .filter_map(|p| p.reported)
            .fold(Holding::default(), |all, r| Holding {
                local: all.local || r.local,
                foreign: all.foreign || r.foreign,
            });
        let claims = match self.negotiation.empty_claims {
            // Whatever the peer holds, this node does not.
            Some(claims) => Holding {
                local: claims.local && !peer.foreign,
                foreign: claims.foreign && !peer.local,
            },
            // First, what a settled peer does not hold.
            None if negotiating().all(|p| p.reported_stable) => Holding {
                local: !peer.foreign,
                foreign: !peer.local,
            },
            None => return holding,
        };
        self.negotiation.empty_claims = Some(claims);
        let local = &self.config.local;
        if !self.config.groups.iter().any(|g| &g.preferred == local) {
            holding.local = claims.local;
        }
        if !self.config.groups.iter().any(|g| &g.preferred != local) {
            holding.foreign = claims.foreign;
        }
        holding
    }

    /// This node gave `set` (its words) to the heartbeat peer, or took
    /// `set` from it: the empty kinds in it go or come with it.
    fn empty_kinds_moved(&mut self, set: ResourceSet, taken: bool) {
        if let Some(claims) = self.negotiation.empty_claims {
            self.negotiation.empty_claims = Some(with_set(claims, set, taken));
        }
    }

    /// Sends this node's report (`t=resource … rtype=full`).
    fn send_report(&mut self) {
        let holding = self.own_holding();
        let stable = self.report_is_stable();
        self.negotiation.last_sent = Some((holding, stable));
        let header = self.header();
        self.outputs.push_back(Output::Send(Message::Resources {
            header,
            held: holding.as_str().to_string(),
            full: true,
            stable: Some(stable),
            info: None,
        }));
    }

    /// heartbeat gives a group back to its preferred node (auto_failback)
    /// only when that node's report turns stable while it holds the group
    /// as `foreign`; a node that comes back while heartbeat is still
    /// taking its groups over (its "T_STARTING received during takeover")
    /// turns stable before heartbeat's takeover ends, and heartbeat then
    /// never hands them back. So, with auto_failback on, while a settled
    /// heartbeat peer holds a group preferred by this node (not one this
    /// node stands by for) and no hand-over runs, this node reports itself
    /// unstable and stable again every [`ASK_AGAIN`]: each is heartbeat's
    /// cue ("remote resource transition completed").
    fn remind_failback(&mut self, now: Instant) {
        let local = &self.config.local;
        let waiting = self.config.auto_failback
            && self.negotiation.asked.is_none()
            && self.negotiation.agreed_to.is_none()
            && self.negotiation.acquiring.is_none()
            && self.report_is_stable()
            && self.peers.iter().any(|p| {
                p.negotiates()
                    && p.reported_stable
                    && self.config.groups.iter().any(|g| {
                        &g.preferred == local
                            && p.held.contains(&g.id)
                            && !self.standby.contains(&g.id)
                    })
            });
        if !waiting {
            self.negotiation.failback_wait = None;
            return;
        }
        let since = *self.negotiation.failback_wait.get_or_insert(now);
        if now.saturating_duration_since(since) < ASK_AGAIN {
            return;
        }
        self.negotiation.failback_wait = Some(now);
        let held = self.own_holding().as_str().to_string();
        let header = self.header();
        self.outputs.push_back(Output::Send(Message::Resources {
            header,
            held,
            full: true,
            stable: Some(false),
            info: None,
        }));
        self.send_report();
    }

    /// After every input, with a heartbeat peer: reports what changed, and
    /// says `info=done` for hand-overs whose releases or acquisitions are
    /// over.
    pub(super) fn negotiate(&mut self, now: Instant) {
        if !self.heartbeat_peer_live() {
            self.negotiation = Negotiation::default();
            return;
        }
        if let Some(ask) = self.negotiation.asked {
            if ask.agreed && ask.why == AskFor::Failback {
                let holding = self.config.groups.iter().any(|g| {
                    g.preferred != self.config.local
                        && self.groups.get(&g.id).is_some_and(|s| s.is_held())
                });
                if !holding {
                    self.negotiation.asked = None;
                    self.empty_kinds_moved(ask.set, false);
                    self.send_ask_resources(ask.set, "done");
                }
            }
        }
        if let Some(word) = &self.negotiation.acquiring {
            let starting = self
                .groups
                .values()
                .any(|s| *s == LocalGroupState::Starting);
            if !starting {
                let word = word.clone();
                self.negotiation.acquiring = None;
                if let Some(set) = ResourceSet::parse(&word) {
                    self.empty_kinds_moved(set.mirrored(), true);
                }
                let header = self.header();
                self.outputs.push_back(Output::Send(Message::AskResources {
                    header,
                    resources: word,
                    info: "done".to_string(),
                }));
            }
        }
        let holding = self.own_holding();
        if self.negotiation.last_sent != Some((holding, self.report_is_stable())) {
            self.send_report();
        }
        self.remind_failback(now);
    }

    /// A standby's `info=done` has been sent for `set`: the request is
    /// over, and the empty kinds in `set` are given too.
    pub(super) fn standby_reported_done(&mut self, set: ResourceSet) {
        self.empty_kinds_moved(set, false);
        if self
            .negotiation
            .asked
            .is_some_and(|ask| ask.why == AskFor::Standby)
        {
            self.negotiation.asked = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_read_and_update_as_heartbeat_does() {
        for word in ["none", "local", "foreign", "all"] {
            assert_eq!(Holding::parse(word).unwrap().as_str(), word);
        }
        assert_eq!(Holding::parse("some"), None);
        let local = Holding::parse("local").unwrap();
        let foreign = Holding::parse("foreign").unwrap();
        assert_eq!(local.updated_by(foreign).as_str(), "all");
        assert_eq!(local.updated_by(Holding::default()).as_str(), "none");
        assert!(local.covers("a", "a") && !local.covers("b", "a"));
        assert!(foreign.covers("b", "a") && !foreign.covers("a", "a"));
    }
}

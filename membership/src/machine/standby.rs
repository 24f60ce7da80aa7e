//! Operator hand-overs: heartbeat's `hb_standby` and `hb_takeover`.
//!
//! What heartbeat 3.0.6 does (heartbeat/lib/hb_standby.in,
//! heartbeat/lib/hb_takeover.in, heartbeat/rc.d/hb_takeover.in,
//! `ask_for_resources` and `go_standby` in heartbeat/hb_resource.c):
//!
//! - `hb_standby [all|foreign|local|failback]` (default `all`; `failback`
//!   is read as `foreign`) sends `t=ask_resources rsc_hold=SET info=me`:
//!   the node gives up SET and the other node acquires it. `local` is the
//!   groups whose preferred node (first word of the haresources line) is
//!   the sender, `foreign` the others, `all` both.
//! - `hb_takeover [all|foreign|local|failback]` sends `t=hb_takeover
//!   rsc_hold=SET`; on the other node it runs `hb_standby` with SET seen
//!   from there: `all` stays `all`, `local` becomes `foreign` and `foreign`
//!   becomes `local`; `failback` matches none of the script's cases, so
//!   that `hb_standby` runs without an argument, which is `all`.
//! - A standby is a hand-over, not a lasting mode: auto_failback does not
//!   undo it; the groups stay with the node that took them until another
//!   standby or takeover, or until that node leaves.
//!
//! Here a node that goes standby for a group *stands by* for it: it
//! releases the group ([`ReleaseReason::Standby`]) as
//! soon as another active node that neither failed nor stands by for it
//! can take it, and no such node takes it back by failback; the taker
//! starts it with [`StartCause::Standby`] at once, on the status that no
//! longer lists it — one message after the stop, no deadtime. Every status
//! lists the groups its sender stands by for (`rsc_standby`), so a lost
//! message costs one keepalive, not the hand-over. A node stands by for a
//! group until it takes it over itself, a peer goes standby for it, or no
//! peer is left alive (a lone node serves everything).
//!
//! [`ReleaseReason::Standby`]: super::ReleaseReason::Standby
//! [`StartCause::Standby`]: super::StartCause::Standby

use std::collections::BTreeSet;
use std::time::Instant;

use super::handover::{Handover, HandoverRefused, ResourceSet, Which};
use super::types::{Event, GroupConfig, Output};
use crate::message::{Message, NodeState};

/// The groups of `groups` in `set` as `node` sees it.
fn in_set<'a>(
    set: ResourceSet,
    groups: &'a [GroupConfig],
    node: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    groups
        .iter()
        .filter(move |g| set.covers(&g.preferred, node))
        .map(|g| g.id.as_str())
}

/// The groups this node stands by for.
#[derive(Debug, Default)]
pub(super) struct Standby {
    groups: BTreeSet<String>,
}

impl Standby {
    /// Whether this node stands by for `group`.
    pub(super) fn contains(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// Stands by for `groups` too.
    pub(super) fn add<'a>(&mut self, groups: impl Iterator<Item = &'a str>) {
        self.groups.extend(groups.map(str::to_string));
    }

    /// Stops standing by for `groups`.
    pub(super) fn remove<'a>(&mut self, groups: impl Iterator<Item = &'a str>) {
        for group in groups {
            self.groups.remove(group);
        }
    }

    /// Stops standing by for anything (no peer is left to serve).
    pub(super) fn clear(&mut self) {
        self.groups.clear();
    }

    /// The groups, sorted (for the status message).
    pub(super) fn list(&self) -> Vec<String> {
        self.groups.iter().cloned().collect()
    }
}

impl super::Machine {
    /// The operator's `hb_standby WHICH`: this node stands by for the set
    /// and releases what it holds of it to an active peer, at once.
    /// Refused while this node is not active or is shutting down, and when
    /// no peer is active to take the groups.
    pub fn standby(&mut self, now: Instant, which: Which) -> Result<Handover, HandoverRefused> {
        self.note_call(now);
        let peers = self.handover_peers("take the groups over")?;
        let set = which.for_standby();
        let groups: Vec<String> = in_set(set, &self.config.groups, &self.config.local)
            .map(str::to_string)
            .collect();
        let moving = groups
            .iter()
            .filter(|g| self.local_group_state(g).is_held())
            .cloned()
            .collect();
        self.stand_by(set, groups, None, now);
        self.update(now);
        Ok(Handover { set, moving, peers })
    }

    /// The operator's `hb_takeover WHICH`: this node stops standing by for
    /// the set and asks its peers to hand over what they hold of it
    /// (`t=hb_takeover`), which they do at once. Refused as
    /// [`super::Machine::standby`] is.
    pub fn takeover(&mut self, now: Instant, which: Which) -> Result<Handover, HandoverRefused> {
        self.note_call(now);
        let peers = self.handover_peers("hand the groups over")?;
        let set = which.for_takeover();
        let groups: Vec<String> = in_set(set, &self.config.groups, &self.config.local)
            .map(str::to_string)
            .collect();
        let moving = groups
            .iter()
            .filter(|g| {
                self.peers
                    .iter()
                    .any(|p| p.is_live() && p.held.contains(*g))
            })
            .cloned()
            .collect();
        self.standby.remove(groups.iter().map(String::as_str));
        for peer in &mut self.peers {
            for group in &groups {
                peer.standby.remove(group);
            }
        }
        // The request first: a status that no longer stands by would have
        // the groups preferred here come back by failback instead.
        let header = self.header();
        self.outputs.push_back(Output::Send(Message::Takeover {
            header,
            resources: which.as_str().to_string(),
        }));
        self.send_status();
        self.update(now);
        Ok(Handover { set, moving, peers })
    }

    /// The active peers, or why a hand-over is refused.
    fn handover_peers(&self, verb: &'static str) -> Result<Vec<String>, HandoverRefused> {
        if self.shutting_down {
            return Err(HandoverRefused::ShuttingDown);
        }
        if self.state != NodeState::Active {
            return Err(HandoverRefused::NotActive { state: self.state });
        }
        let active: Vec<String> = self
            .peers
            .iter()
            .filter(|p| p.state == NodeState::Active)
            .map(|p| p.name.clone())
            .collect();
        if active.is_empty() {
            let states = self
                .peers
                .iter()
                .map(|p| format!("{} is {}", p.name, p.state))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(HandoverRefused::NoActivePeer { verb, states });
        }
        Ok(active)
    }

    /// Stands by for `groups` (the set `set`), tells the peers as
    /// heartbeat's hb_standby does (`t=ask_resources info=me`), and reports it.
    fn stand_by(
        &mut self,
        set: ResourceSet,
        groups: Vec<String>,
        asked_by: Option<String>,
        now: Instant,
    ) {
        self.standby.add(groups.iter().map(String::as_str));
        self.standby_done = Some(set);
        self.send_ask_resources(set, "me");
        self.asked_standby(set, now);
        self.event(Event::StandingBy {
            set,
            groups,
            asked_by,
        });
        self.send_status();
    }

    pub(super) fn send_ask_resources(&mut self, set: ResourceSet, info: &str) {
        let header = self.header();
        self.outputs.push_back(Output::Send(Message::AskResources {
            header,
            resources: set.as_str().to_string(),
            info: info.to_string(),
        }));
    }

    /// The peer at `index` sent `t=ask_resources`: with `info=me` it goes
    /// standby for `resources` as it sees them. Its status will list the
    /// groups too; this takes them at once, and answers `info=other` as a
    /// heartbeat peer expects. Other phases need nothing here.
    pub(super) fn peer_standby(&mut self, index: usize, resources: &str, info: &str) {
        let Some(set) = ResourceSet::parse(resources) else {
            return;
        };
        if info != "me" || self.shutting_down || self.heartbeat_exchange_running(index) {
            return;
        }
        let peer = &self.peers[index];
        let groups: Vec<String> = in_set(set, &self.config.groups, &peer.name)
            .map(str::to_string)
            .collect();
        self.standby.remove(groups.iter().map(String::as_str));
        self.peers[index].standby.extend(groups);
        self.send_ask_resources(set, "other");
        self.agreed_to_standby(index, resources);
    }

    /// The peer at `index` sent `t=hb_takeover`: this node goes standby for
    /// the set it asks for, seen from here, as heartbeat's
    /// rc.d/hb_takeover runs hb_standby.
    pub(super) fn peer_takeover(&mut self, index: usize, resources: &str, now: Instant) {
        let Some(which) = Which::parse(resources) else {
            return;
        };
        if self.shutting_down || self.state != NodeState::Active {
            return;
        }
        let set = which.for_takeover().mirrored();
        let groups: Vec<String> = in_set(set, &self.config.groups, &self.config.local)
            .map(str::to_string)
            .collect();
        let peer = &mut self.peers[index];
        for group in &groups {
            peer.standby.remove(group);
        }
        let asker = peer.name.clone();
        self.stand_by(set, groups, Some(asker), now);
    }

    /// Tells the peers a standby's releases are done (`t=ask_resources
    /// info=done`, which a heartbeat peer waits for) once none of the
    /// groups this node stands by for is held here.
    pub(super) fn report_standby_done(&mut self) {
        let Some(set) = self.standby_done else {
            return;
        };
        let holding = self
            .groups
            .iter()
            .any(|(group, state)| state.is_held() && self.standby.contains(group));
        if !holding {
            self.standby_done = None;
            self.send_ask_resources(set, "done");
            self.standby_reported_done(set);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<GroupConfig> {
        ["a", "b", "a"]
            .iter()
            .enumerate()
            .map(|(i, preferred)| GroupConfig {
                id: format!("g{i}"),
                preferred: preferred.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_words_mean_what_heartbeats_scripts_make_of_them() {
        assert_eq!(Which::parse("failback"), Some(Which::Failback));
        assert_eq!(Which::parse("none"), None);
        assert_eq!(Which::Failback.for_standby(), ResourceSet::Foreign);
        assert_eq!(Which::Failback.for_takeover(), ResourceSet::All);
        assert_eq!(Which::Local.for_takeover().mirrored(), ResourceSet::Foreign);
        assert_eq!(ResourceSet::parse("foreign"), Some(ResourceSet::Foreign));
    }

    #[test]
    fn local_and_foreign_follow_the_preferred_node() {
        let groups = groups();
        let of = |set: ResourceSet, node| in_set(set, &groups, node).collect::<Vec<_>>();
        assert_eq!(of(ResourceSet::Local, "a"), ["g0", "g2"]);
        assert_eq!(of(ResourceSet::Foreign, "a"), ["g1"]);
        assert_eq!(of(ResourceSet::All, "b"), ["g0", "g1", "g2"]);
        assert_eq!(
            of(ResourceSet::Local, "a"),
            of(ResourceSet::Local.mirrored(), "b")
        );
    }
}

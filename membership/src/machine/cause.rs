//! Why a group is free: how its last holder let it go, as this node saw
//! it, so that a start here can say why it happens ([`StartCause`]).
//!
//! A peer lets a group go in one of five ways: it releases it while alive
//! (its status stops listing it), it hands it over on an operator's
//! standby or takeover (its status stops listing it and lists it as stood
//! by for), it fails it (its status lists it as failed), it shuts down, or
//! it dies (declared dead, or back in a new generation without it). A graceful shutdown releases first and says
//! goodbye after, so a release is upgraded to a shutdown when the goodbye
//! of the same peer follows. A live holder releases a group otherwise only
//! for a conflict (another holder remains), a failback (to the preferred
//! node), a shortage of ping nodes (ipfail: this node sees the holder
//! short) or a shutdown; so a release that is not a failback to this node is
//! the first half of a shutdown whose goodbye has not arrived yet.

use std::collections::BTreeMap;

use super::types::StartCause;

/// How a holder let a group go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LetGo {
    /// Released while alive.
    Released,
    /// Handed over: released while standing by for it.
    StoodBy,
    /// Failed to start or restart it.
    Failed,
    /// Shut down.
    ShutDown,
    /// Died (or restarted).
    Died,
    /// Released while short of ping nodes (ipfail).
    PingNodes,
}

/// The last holder of each group nobody holds, and how it let go.
#[derive(Debug, Default)]
pub(super) struct Vacancies {
    groups: BTreeMap<String, (String, LetGo)>,
}

impl Vacancies {
    /// `group` is held again (by a peer, or about to be by this node).
    pub(super) fn held(&mut self, group: &str) {
        self.groups.remove(group);
    }

    /// `holder` let `group` go.
    pub(super) fn let_go(&mut self, holder: &str, group: &str, how: LetGo) {
        self.groups
            .insert(group.to_string(), (holder.to_string(), how));
    }

    /// `holder` said goodbye: what it released just before is a hand-over.
    pub(super) fn shut_down(&mut self, holder: &str) {
        for (last, how) in self.groups.values_mut() {
            if last == holder && *how == LetGo::Released {
                *how = LetGo::ShutDown;
            }
        }
    }

    /// Why this node starts `group` now; `failback_here`: auto_failback is
    /// on and this node is the group's preferred node. Forgets the vacancy.
    pub(super) fn take(&mut self, group: &str, failback_here: bool) -> StartCause {
        let cause = match self.groups.get(group).map(|(_, how)| *how) {
            None => StartCause::Initial,
            Some(LetGo::Died) => StartCause::PeerDead,
            Some(LetGo::ShutDown) => StartCause::PeerShutdown,
            Some(LetGo::Failed) => StartCause::PeerFailed,
            Some(LetGo::StoodBy) => StartCause::Standby,
            Some(LetGo::PingNodes) => StartCause::PingNodes,
            Some(LetGo::Released) if failback_here => StartCause::Failback,
            Some(LetGo::Released) => StartCause::PeerShutdown,
        };
        self.held(group);
        cause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_never_held_is_an_initial_start() {
        let mut v = Vacancies::default();
        assert_eq!(v.take("g", true), StartCause::Initial);
    }

    #[test]
    fn a_release_followed_by_a_goodbye_is_a_shutdown() {
        let mut v = Vacancies::default();
        v.let_go("b", "g", LetGo::Released);
        v.shut_down("c");
        v.shut_down("b");
        assert_eq!(v.take("g", true), StartCause::PeerShutdown);
        // Taken: the next start, with nothing new seen, is initial.
        assert_eq!(v.take("g", true), StartCause::Initial);
    }

    #[test]
    fn a_release_to_the_preferred_node_is_a_failback() {
        let mut v = Vacancies::default();
        v.let_go("b", "g", LetGo::Released);
        assert_eq!(v.take("g", true), StartCause::Failback);
        v.let_go("b", "g", LetGo::Released);
        assert_eq!(v.take("g", false), StartCause::PeerShutdown);
    }

    #[test]
    fn death_failure_and_a_new_holder() {
        let mut v = Vacancies::default();
        v.let_go("b", "g", LetGo::Died);
        v.let_go("b", "h", LetGo::Failed);
        v.let_go("b", "i", LetGo::Died);
        v.held("i");
        // A dead holder's goodbye changes nothing.
        v.shut_down("b");
        assert_eq!(v.take("g", false), StartCause::PeerDead);
        assert_eq!(v.take("h", false), StartCause::PeerFailed);
        assert_eq!(v.take("i", false), StartCause::Initial);
    }
}

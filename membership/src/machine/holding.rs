//! What a node holds in heartbeat's words (`rsc_hold`: `none`, `local`,
//! `foreign`, `all`), as heartbeat 3.0.6's resource reports say it.

use super::types::GroupConfig;

/// What a node holds, as heartbeat's `rsc_hold` says it, from that node's
/// point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holding {
    /// Groups whose preferred node it is.
    pub local: bool,
    /// The other groups.
    pub foreign: bool,
}

impl Holding {
    /// Parses `none`, `local`, `foreign` or `all`.
    pub fn parse(word: &str) -> Option<Self> {
        let (local, foreign) = match word {
            "none" => (false, false),
            "local" => (true, false),
            "foreign" => (false, true),
            "all" => (true, true),
            _ => return None,
        };
        Some(Holding { local, foreign })
    }

    /// heartbeat's word.
    pub fn as_str(self) -> &'static str {
        match (self.local, self.foreign) {
            (false, false) => "none",
            (true, false) => "local",
            (false, true) => "foreign",
            (true, true) => "all",
        }
    }

    /// A report that is not `rtype=full` added to this one (heartbeat's
    /// `HB_UPD_RSC`: `none` clears, anything else adds).
    pub fn updated_by(self, report: Holding) -> Holding {
        if report == Holding::default() {
            report
        } else {
            Holding {
                local: self.local || report.local,
                foreign: self.foreign || report.foreign,
            }
        }
    }

    /// Whether `node` holding this holds a group preferred by `preferred`.
    pub fn covers(self, preferred: &str, node: &str) -> bool {
        if preferred == node {
            self.local
        } else {
            self.foreign
        }
    }

    /// What `node` holds, read from the states of its groups.
    pub fn of<'a>(
        groups: &[GroupConfig],
        node: &str,
        mut held: impl FnMut(&str) -> bool + 'a,
    ) -> Holding {
        let mut holding = Holding::default();
        for group in groups.iter().filter(|g| held(&g.id)) {
            if group.preferred == node {
                holding.local = true;
            } else {
                holding.foreign = true;
            }
        }
        holding
    }
}

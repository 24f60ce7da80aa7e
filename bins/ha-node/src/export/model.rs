//! What the export writes, independent of its two renderings: primitives
//! grouped as haresources groups them, the constraints that place them, and
//! the cluster-wide settings. [`crate::export::crmsh`] and
//! [`crate::export::cib`] render the same [`Configuration`].

use std::collections::HashSet;
use std::time::Duration;

/// A resource agent as Pacemaker names it: `CLASS[:PROVIDER]:TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentName {
    /// `ocf`, `lsb` or `stonith`.
    pub class: &'static str,
    /// The OCF provider (`heartbeat`, `pacemaker`, ...); none for the others.
    pub provider: Option<String>,
    /// The agent's type (`IPaddr2`, `httpd`, `fence_ipmilan`, ...).
    pub kind: String,
}

impl AgentName {
    /// An OCF agent.
    pub fn ocf(provider: &str, kind: &str) -> Self {
        AgentName {
            class: "ocf",
            provider: Some(provider.to_owned()),
            kind: kind.to_owned(),
        }
    }

    /// An LSB init script.
    pub fn lsb(name: &str) -> Self {
        AgentName {
            class: "lsb",
            provider: None,
            kind: name.to_owned(),
        }
    }

    /// A fence agent.
    pub fn stonith(name: &str) -> Self {
        AgentName {
            class: "stonith",
            provider: None,
            kind: name.to_owned(),
        }
    }
}

impl std::fmt::Display for AgentName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.provider {
            Some(provider) => write!(f, "{}:{}:{}", self.class, provider, self.kind),
            None => write!(f, "{}:{}", self.class, self.kind),
        }
    }
}

/// Named parameters (instance or meta attributes), in order.
pub type Params = Vec<(String, String)>;

/// A recurring monitor operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitor {
    /// How often.
    pub interval: Duration,
    /// The limit on one monitor.
    pub timeout: Duration,
}

/// One Pacemaker primitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Primitive {
    /// Its id, unique in the configuration.
    pub id: String,
    /// The agent it runs.
    pub agent: AgentName,
    /// Instance attributes, in order.
    pub params: Params,
    /// Its recurring monitor, if the monitoring file asks for one.
    pub monitor: Option<Monitor>,
    /// Meta attributes (`migration-threshold`, `failure-timeout`).
    pub meta: Params,
}

/// A haresources line as a Pacemaker group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its id.
    pub id: String,
    /// The haresources line it comes from (`FILE:LINE: NODE WORDS...`).
    pub source: String,
    /// The preferred node (haresources' first word).
    pub preferred_node: String,
    /// The id of its location constraint on the preferred node.
    pub location_id: String,
    /// The id of its location rule on `pingd`, when there is one.
    pub ping_rule_id: Option<String>,
    /// Its resources in start order.
    pub members: Vec<Primitive>,
}

/// ha.cf's ping nodes as an `ocf:pacemaker:ping` clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingClone {
    /// The ping primitive (its `host_list` every address pinged).
    pub primitive: Primitive,
    /// The clone's id.
    pub clone_id: String,
    /// Whether the groups follow connectivity (heartbeat's ipfail): a
    /// location rule scoring each node by its `pingd` attribute.
    pub rule: bool,
}

/// A fencing device, placed where ha.cf's line lets it be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The stonith primitive.
    pub primitive: Primitive,
    /// The only node that uses it (`stonith_host NODE ...`) and the id of
    /// the constraint keeping it there; none: any node.
    pub only_on: Option<(String, String)>,
}

/// The whole exported configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The groups, in haresources order.
    pub groups: Vec<Group>,
    /// The score of a group's location on its preferred node.
    pub preference: u32,
    /// `resource-stickiness` of every resource (rsc_defaults).
    pub stickiness: u32,
    /// Why that stickiness (a comment line).
    pub stickiness_reason: String,
    /// The ping clone, if ha.cf pings.
    pub ping: Option<PingClone>,
    /// The fencing devices.
    pub fencing: Vec<Fence>,
    /// Pacemaker's `stonith-enabled`: off when no device is exported.
    pub stonith_enabled: bool,
    /// Each thing that could not be carried over, as `FILE[:LINE]: warning: ...`.
    pub warnings: Vec<String>,
}

/// The score of the `pingd` attribute per ping node reachable.
pub const PING_MULTIPLIER: u32 = 1000;
/// The attribute ocf:pacemaker:ping sets.
pub const PING_ATTRIBUTE: &str = "pingd";

/// Hands out ids that are valid XML ids (an NCName: a letter or `_`
/// first, then letters, digits, `_`, `-`, `.`) and unique in a
/// configuration, suffixing `-2`, `-3`, ... on a repeat.
#[derive(Debug, Default)]
pub struct Ids {
    taken: HashSet<String>,
}

impl Ids {
    /// A fresh id made from `wanted`.
    pub fn claim(&mut self, wanted: &str) -> String {
        let mut base: String = wanted
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            base.insert_str(0, "r-");
        }
        let mut id = base.clone();
        let mut n = 2;
        while !self.taken.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// A duration as Pacemaker reads it: whole seconds as `Ns`, else `Nms`.
pub fn duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Text safe as a comment in both renderings: crmsh keeps a script's
/// comments as XML comments, which may not hold `--` nor end with `-`.
pub fn comment(text: &str) -> String {
    let mut out = text.replace("--", "- -");
    while out.contains("--") {
        out = out.replace("--", "- -");
    }
    if out.ends_with('-') {
        out.push(' ');
    }
    out
}

//! ha.cf's fencing lines as Pacemaker fence devices.
//!
//! heartbeat drives cluster-glue's STONITH plugins (`stonith_host` gives a
//! plugin type and its parameters in the plugin's order; `stonith` names a
//! file holding the same words). Pacemaker drives fence-agents' `fence_*`
//! programs. [`matching_agent`] knows the plugins that have a fence agent
//! doing the same job and how their positional parameters map onto the
//! agent's named ones; any other plugin is a warning.

use super::model::Params;

/// A cluster-glue plugin with a matching fence agent.
struct Match {
    /// The cluster-glue type, as ha.cf writes it.
    plugin: &'static str,
    /// The fence agent.
    agent: &'static str,
    /// The plugin's positional parameters, as the agent names them (`None`:
    /// not carried over).
    params: &'static [Option<&'static str>],
}

/// external/ipmi's `interface` (`lan` or `lanplus`), fence_ipmilan's
/// `lanplus` flag.
const INTERFACE: &str = "interface";

/// The plugins with a fence agent (cluster-glue's `stonith -t TYPE -n`
/// lists each plugin's parameters in this order).
const MATCHES: &[Match] = &[
    Match {
        plugin: "apcmaster",
        agent: "fence_apc",
        params: &[Some("ip"), Some("username"), Some("password")],
    },
    Match {
        plugin: "apcmastersnmp",
        agent: "fence_apc_snmp",
        params: &[Some("ip"), Some("ipport"), Some("community")],
    },
    Match {
        plugin: "wti_nps",
        agent: "fence_wti",
        params: &[Some("ip"), Some("password")],
    },
    Match {
        plugin: "ipmilan",
        agent: "fence_ipmilan",
        params: &[
            Some("pcmk_host_list"),
            Some("ip"),
            Some("ipport"),
            Some("auth"),
            Some("privlvl"),
            Some("username"),
            Some("password"),
        ],
    },
    Match {
        plugin: "external/ipmi",
        agent: "fence_ipmilan",
        params: &[
            Some("pcmk_host_list"),
            Some("ip"),
            Some("username"),
            Some("password"),
            Some(INTERFACE),
        ],
    },
    Match {
        plugin: "external/drac5",
        agent: "fence_drac5",
        params: &[
            Some("pcmk_host_list"),
            Some("ip"),
            Some("username"),
            Some("password"),
        ],
    },
];

/// A plugin's device as a fence agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceAgent {
    /// The fence agent.
    pub agent: &'static str,
    /// Its parameters.
    pub params: Params,
    /// What of the plugin's parameters was left behind.
    pub left: Vec<String>,
}

/// The fence agent for `plugin` with `words` (the plugin's parameters in
/// order) as named parameters, and what was left behind; `None` when no
/// fence agent does the plugin's job.
pub fn matching_agent(plugin: &str, words: &[&str]) -> Option<FenceAgent> {
    let found = MATCHES.iter().find(|m| m.plugin == plugin)?;
    let mut params = Vec::new();
    let mut left = Vec::new();
    for (index, word) in words.iter().enumerate() {
        match found.params.get(index) {
            Some(Some(INTERFACE)) => match *word {
                "lanplus" => params.push(("lanplus".to_owned(), "1".to_owned())),
                "lan" => {}
                _ => left.push(format!("interface '{word}' (lan or lanplus)")),
            },
            Some(Some(name)) => params.push(((*name).to_owned(), (*word).to_owned())),
            _ => left.push(format!("parameter {} ('{word}')", index + 1)),
        }
    }
    if words.len() < found.params.len() {
        left.push(format!(
            "{} of {}'s {} parameters missing",
            found.params.len() - words.len(),
            plugin,
            found.params.len()
        ));
    }
    Some(FenceAgent {
        agent: found.agent,
        params,
        left,
    })
}

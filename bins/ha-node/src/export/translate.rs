//! ha.cf + haresources + the monitoring file → a [`Configuration`].
//!
//! - Each haresources line is a group of primitives
//!   ([`super::resources`]) with a location constraint of score
//!   [`PREFERENCE`] on its preferred node.
//! - `auto_failback` becomes `resource-stickiness`: `on` (and `legacy`,
//!   which heartbeat runs as `on` between nodes that all know
//!   auto_failback) is 0, so a group returns to its preferred node as soon
//!   as that node is back; `off` is [`STICKY`], more than the preference,
//!   so a group stays where it runs until that node fails. Pacemaker adds
//!   up a group's members' stickiness, so a longer group holds on harder,
//!   never less.
//! - The ping nodes become an `ocf:pacemaker:ping` clone pinging every
//!   address; with ipfail (heartbeat's only user of ping nodes for
//!   placement) each group gets a rule scoring each node by its `pingd`
//!   attribute: [`PING_MULTIPLIER`] per reachable address, far above
//!   preference and stickiness, so a group runs where more ping nodes
//!   answer, as ipfail moves it.
//! - The fencing lines become fence devices ([`super::fence`]).
//! - What has no place in Pacemaker's configuration (media, timers,
//!   compression, respawned programs, the watchdog...) is a warning.

use std::path::Path;

use ha_membership::config::hacf::FenceMethod;
use ha_membership::config::{AutoFailback, HaConfig};
use ha_resources::haresources::Haresources;
use ha_resources::monitoring::Monitoring;

use super::fence::{matching_agent, FenceAgent};
use super::model::{
    duration, AgentName, Configuration, Fence, Group, Ids, Monitor, PingClone, Primitive,
    PING_MULTIPLIER,
};
use super::resources::{primitive, Context};

/// The score of a group's location on its preferred node.
pub const PREFERENCE: u32 = 100;
/// `resource-stickiness` for `auto_failback off`: above [`PREFERENCE`].
pub const STICKY: u32 = 200;
const _: () = assert!(STICKY > PREFERENCE);

/// Everything the translation reads.
pub struct Inputs<'a> {
    /// ha.cf, parsed (its `crm` line set aside).
    pub ha: &'a HaConfig,
    /// Where ha.cf is, for warnings about it as a whole.
    pub ha_cf: &'a Path,
    /// haresources, parsed.
    pub resources: &'a Haresources,
    /// The monitoring file, parsed (empty when there is none).
    pub monitoring: &'a Monitoring,
    /// ha.cf's line turning heartbeat's CRM on, if any: `FILE:LINE` and
    /// its text.
    pub crm: Option<(&'a str, &'a str)>,
    /// heartbeat's configuration directory on the nodes.
    pub config_dir: &'a Path,
    /// Whether `CONFIG_DIR/resource.d/NAME` is an executable script.
    pub resource_d_script: &'a dyn Fn(&str) -> bool,
    /// Whether a fence agent is installed on this machine.
    pub fence_agent_installed: &'a dyn Fn(&str) -> bool,
    /// Reads a `stonith` line's configuration file.
    pub read_file: &'a dyn Fn(&Path) -> Result<String, String>,
}

/// The Pacemaker configuration of `inputs`, with a warning for each thing
/// not carried over.
pub fn translate(inputs: &Inputs<'_>) -> Configuration {
    let mut ids = Ids::default();
    let mut warnings = Vec::new();
    if let Some((at, line)) = inputs.crm {
        // heartbeat with its CRM on hands resources to the CRM, which keeps
        // them in its CIB and leaves haresources unread.
        warnings.push(format!(
            "{at}: warning: {line}: with the CRM on, heartbeat did not read haresources: the \
             resources it ran are in the CRM's CIB (/var/lib/heartbeat/crm/cib.xml, or \
             /var/lib/pacemaker/cib/cib.xml), which Pacemaker takes as it is (cibadmin \
             -u, to upgrade its syntax); this export is of haresources"
        ));
    }
    let context = Context {
        config_dir: inputs.config_dir,
        monitoring: inputs.monitoring,
        resource_d_script: inputs.resource_d_script,
    };
    let mut groups = Vec::new();
    for (index, spec) in inputs.resources.groups.iter().enumerate() {
        let members: Vec<Primitive> = spec
            .resources
            .iter()
            .filter_map(|resource| primitive(resource, &context, &mut ids, &mut warnings))
            .collect();
        let words: Vec<&str> = spec.resources.iter().map(|r| r.text.as_str()).collect();
        if members.is_empty() {
            warnings.push(format!(
                "{}: warning: none of this group's resources is carried over: no group written",
                spec.location
            ));
            continue;
        }
        groups.push(Group {
            id: ids.claim(&format!("group-{}", index + 1)),
            source: format!(
                "{}: {} {}",
                spec.location,
                spec.preferred_node,
                words.join(" ")
            ),
            preferred_node: spec.preferred_node.clone(),
            location_id: String::new(),
            ping_rule_id: None,
            members,
        });
    }
    let (stickiness, stickiness_reason) = match inputs.ha.auto_failback {
        AutoFailback::On => (
            0,
            "auto_failback on: a group returns to its preferred node".into(),
        ),
        AutoFailback::Legacy => (
            0,
            "auto_failback legacy (heartbeat's default), run as on: a group returns to its \
             preferred node"
                .into(),
        ),
        AutoFailback::Off => (
            STICKY,
            format!(
                "auto_failback off: a group stays where it runs (stickiness {STICKY} per \
                 resource outweighs the preferred node's {PREFERENCE})"
            ),
        ),
    };
    let ping = ping_clone(inputs, &mut ids, &mut warnings);
    let fencing = fences(inputs, &mut ids, &mut warnings);
    for group in &mut groups {
        group.location_id = ids.claim(&format!("{}-prefers-node", group.id));
        if ping.as_ref().is_some_and(|p| p.rule) {
            group.ping_rule_id = Some(ids.claim(&format!("{}-on-connected-node", group.id)));
        }
    }
    warnings.extend(not_carried(inputs));
    Configuration {
        groups,
        preference: PREFERENCE,
        stickiness,
        stickiness_reason,
        ping,
        stonith_enabled: !fencing.is_empty(),
        fencing,
        warnings,
    }
}

/// The ping clone of ha.cf's `ping` and `ping_group` lines.
fn ping_clone(inputs: &Inputs<'_>, ids: &mut Ids, warnings: &mut Vec<String>) -> Option<PingClone> {
    let ha = inputs.ha;
    if ha.ping_nodes.is_empty() {
        return None;
    }
    let file = inputs.ha_cf.display();
    let mut hosts = Vec::new();
    for node in &ha.ping_nodes {
        if node.group && node.addresses.len() > 1 {
            warnings.push(format!(
                "{file}: warning: ping_group {}: heartbeat counts the group as one ping node, \
                 up while any address answers; ocf:pacemaker:ping counts each address",
                node.name
            ));
        }
        if node.weight != 1 {
            warnings.push(format!(
                "{file}: warning: ping node {}: ping_weight {} not carried over \
                 (ocf:pacemaker:ping weighs every address alike)",
                node.name, node.weight
            ));
        }
        hosts.extend(node.addresses.iter().map(ToString::to_string));
    }
    let primitive = Primitive {
        id: ids.claim("ping"),
        agent: AgentName::ocf("pacemaker", "ping"),
        params: vec![
            ("host_list".into(), hosts.join(" ")),
            ("multiplier".into(), PING_MULTIPLIER.to_string()),
            ("dampen".into(), duration(ha.deadping)),
        ],
        // ocf:pacemaker:ping's meta-data recommends these.
        monitor: Some(Monitor {
            interval: std::time::Duration::from_secs(10),
            timeout: std::time::Duration::from_secs(60),
        }),
        meta: Vec::new(),
    };
    Some(PingClone {
        clone_id: ids.claim("ping-clone"),
        primitive,
        rule: ha.ipfail,
    })
}

/// The fence devices of ha.cf's fencing lines.
fn fences(inputs: &Inputs<'_>, ids: &mut Ids, warnings: &mut Vec<String>) -> Vec<Fence> {
    let ha = inputs.ha;
    let mut fences = Vec::new();
    for device in &ha.fencing {
        let at = &device.location;
        let used = ha.nodes.iter().any(|node| {
            ha.fence_device_for(node)
                .is_some_and(|d| std::ptr::eq(d, device))
        });
        if !used {
            warnings.push(format!(
                "{at}: warning: a later fencing line replaces this one for every node (heartbeat \
                 keeps one device per node): not carried over"
            ));
            continue;
        }
        let (plugin, words, only_on) = match &device.method {
            FenceMethod::Command { program, .. } => {
                warnings.push(format!(
                    "{at}: warning: stonith_command {}: Pacemaker runs fence agents only; \
                     configure a fence_* agent by hand",
                    program.display()
                ));
                continue;
            }
            FenceMethod::File { device_type, file } => match (inputs.read_file)(file) {
                Ok(text) => (
                    device_type.as_str(),
                    text.split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                    None,
                ),
                Err(error) => {
                    warnings.push(format!(
                        "{at}: warning: stonith {device_type}: cannot read {}: {error}; not \
                         carried over",
                        file.display()
                    ));
                    continue;
                }
            },
            FenceMethod::Params {
                host,
                device_type,
                params,
            } => (
                device_type.as_str(),
                params.split_whitespace().map(str::to_owned).collect(),
                host.clone(),
            ),
        };
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(FenceAgent {
            agent,
            params,
            left,
        }) = matching_agent(plugin, &words)
        else {
            warnings.push(format!(
                "{at}: warning: no fence agent does the job of cluster-glue's {plugin}: not \
                 carried over; configure a fence_* agent by hand"
            ));
            continue;
        };
        if !left.is_empty() {
            warnings.push(format!(
                "{at}: warning: {plugin} as {agent}: {} not carried over",
                left.join(", ")
            ));
        }
        if !(inputs.fence_agent_installed)(agent) {
            warnings.push(format!(
                "{at}: warning: {agent} is not installed on this machine; Pacemaker needs it \
                 on every node (Debian: fence-agents)"
            ));
        }
        let id = ids.claim(&format!("fence-{}", plugin.replace('/', "-")));
        let only_on = only_on.map(|node| (node, ids.claim(&format!("{id}-only-on-node"))));
        fences.push(Fence {
            primitive: Primitive {
                id,
                agent: AgentName::stonith(agent),
                params,
                monitor: None,
                meta: Vec::new(),
            },
            only_on,
        });
    }
    fences
}

/// Warnings for ha.cf's settings with no place in Pacemaker's configuration.
fn not_carried(inputs: &Inputs<'_>) -> Vec<String> {
    let ha = inputs.ha;
    let file = inputs.ha_cf.display();
    let mut warnings = vec![format!(
        "{file}: warning: the nodes ({}), media and timers (deadtime {}) belong in \
         corosync.conf, which this does not write",
        ha.nodes.join(", "),
        duration(ha.deadtime)
    )];
    if ha.compression != Default::default() {
        warnings.push(format!(
            "{file}: warning: compression: Corosync does not compress; not carried over"
        ));
    }
    for respawn in ha.respawns.iter().filter(|r| !r.is_ipfail()) {
        warnings.push(format!(
            "{}: warning: respawn {}: Pacemaker respawns no programs; run it as a systemd \
             service or a cluster resource",
            respawn.location,
            respawn.program.display()
        ));
    }
    for apiauth in ha.apiauth.iter().filter(|a| !a.is_ipfail()) {
        warnings.push(format!(
            "{}: warning: apiauth {}: heartbeat's API has no Pacemaker counterpart",
            apiauth.location, apiauth.client
        ));
    }
    if let Some(watchdog) = &ha.watchdog {
        warnings.push(format!(
            "{file}: warning: watchdog {}: Pacemaker's watchdog is sbd's; not carried over",
            watchdog.display()
        ));
    }
    warnings
}

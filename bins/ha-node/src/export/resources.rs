//! One haresources resource word as a Pacemaker primitive.
//!
//! The agent follows what ha-node's resolver runs, without looking at the
//! exporting machine's init scripts (the configuration is for the cluster's
//! nodes, not this one):
//!
//! - `IPaddr`/`IPaddr2` (and a bare address): `ocf:heartbeat:IPaddr2` with
//!   `ip`, `cidr_netmask`, `nic`, `iflabel`, `broadcast` from heartbeat's
//!   `ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]` (IPaddr2 finds what is left
//!   out, as heartbeat's IPaddr did).
//! - heartbeat's `resource.d` names (`Filesystem`, `apache`, `IPv6addr`,
//!   ...): the resource-agents agent the wrapper runs, with the wrapper's
//!   mapping of positional arguments ([`ha_resources::resolve::wrapper_agent`]).
//! - `ocf:PROVIDER:TYPE::name=value...`: as written.
//! - `ldirectord[::CONFIG]`: `ocf:heartbeat:ldirectord` with `configfile`.
//! - anything else: `lsb:NAME`, the init script heartbeat fell back to.
//!
//! What has no Pacemaker form (drbd's scripts, `LVSSyncDaemonSwap`,
//! heartbeat's `OCF::TYPE::INSTANCE` files, `resource.d` scripts of the
//! user's own) is a warning at the word's FILE:LINE.

use std::path::Path;
use std::time::Duration;

use ha_resources::monitoring::{Interval, Monitoring};
use ha_resources::resolve::wrapper_agent;
use ha_resources::{IpAddrSpec, IpAddrStyle, ResourceSpec};

use super::model::{duration, AgentName, Ids, Monitor, Params, Primitive};

/// The monitor interval written when the monitoring file asks for the OCF
/// agent's recommendation, which only the agent's meta-data knows.
pub const META_DATA_FALLBACK: Duration = Duration::from_secs(10);

/// What the translation of a word needs besides the word.
pub struct Context<'a> {
    /// heartbeat's configuration directory on the nodes.
    pub config_dir: &'a Path,
    /// The monitoring file (empty when there is none).
    pub monitoring: &'a Monitoring,
    /// Whether `CONFIG_DIR/resource.d/NAME` is an executable script.
    pub resource_d_script: &'a dyn Fn(&str) -> bool,
}

/// The primitive for `spec`, or `None` (with a warning pushed) when it has
/// no Pacemaker form.
pub fn primitive(
    spec: &ResourceSpec,
    context: &Context<'_>,
    ids: &mut Ids,
    warnings: &mut Vec<String>,
) -> Option<Primitive> {
    let mut warn =
        |message: String| warnings.push(format!("{}: warning: {message}", spec.location));
    let (wanted_id, agent, params) = match agent_of(spec, context, &mut warn) {
        Ok(found) => found,
        Err(message) => {
            warn(format!("{}: not carried over: {message}", spec.text));
            return None;
        }
    };
    let mut primitive = Primitive {
        id: ids.claim(&wanted_id),
        agent,
        params,
        monitor: None,
        meta: Vec::new(),
    };
    if let Some(plan) = context.monitoring.plan(&spec.text) {
        let interval = match plan.interval {
            Interval::Every(every) => every,
            Interval::MetaData => {
                warn(format!(
                    "{}: interval=meta-data is written as interval={}: set the interval the \
                     agent's meta-data recommends (crm ra info {})",
                    spec.text,
                    duration(META_DATA_FALLBACK),
                    primitive.agent
                ));
                META_DATA_FALLBACK
            }
        };
        primitive.monitor = Some(Monitor {
            interval,
            timeout: plan.timeout,
        });
        primitive.meta.push((
            "migration-threshold".into(),
            plan.migration_threshold.to_string(),
        ));
        if let Some(expiry) = plan.failure_timeout {
            primitive
                .meta
                .push(("failure-timeout".into(), duration(expiry)));
        }
    }
    Some(primitive)
}

/// The wanted id, agent and parameters of `spec`; `Err` says why it has
/// none. `warn` takes what is carried over with a loss.
fn agent_of(
    spec: &ResourceSpec,
    context: &Context<'_>,
    warn: &mut dyn FnMut(String),
) -> Result<(String, AgentName, Params), String> {
    let name = spec.name.as_str();
    let args = spec.args.as_slice();
    if let Some(style) = IpAddrStyle::from_name(name) {
        let address = IpAddrSpec::from_args(style, args)?;
        let mut params = vec![("ip".to_owned(), address.address.to_string())];
        if let Some(prefix) = address.prefix {
            params.push(("cidr_netmask".into(), prefix.to_string()));
        }
        if let Some(interface) = &address.interface {
            params.push(("nic".into(), interface.clone()));
        }
        if let Some(label) = &address.label {
            params.push(("iflabel".into(), label.clone()));
        }
        if let Some(broadcast) = address.broadcast {
            params.push(("broadcast".into(), broadcast.to_string()));
        }
        let id = format!("ip-{}", address.address);
        return Ok((id, AgentName::ocf("heartbeat", "IPaddr2"), params));
    }
    if let Some(mapped) = wrapper_agent(name, args) {
        let mapped = mapped?;
        let id = mapped.agent_type.to_ascii_lowercase();
        return Ok((
            id,
            AgentName::ocf("heartbeat", mapped.agent_type),
            mapped.params,
        ));
    }
    if let Some(rest) = name.strip_prefix("ocf:") {
        let Some((provider, kind)) = rest.split_once(':') else {
            return Err("expected ocf:PROVIDER:TYPE".into());
        };
        if provider.is_empty() || kind.is_empty() || kind.contains(':') {
            return Err("expected ocf:PROVIDER:TYPE".into());
        }
        let mut params = Vec::new();
        for arg in args {
            match arg.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    params.push((key.to_owned(), value.to_owned()));
                }
                _ => return Err(format!("argument '{arg}' is not name=value")),
            }
        }
        return Ok((
            kind.to_ascii_lowercase(),
            AgentName::ocf(provider, kind),
            params,
        ));
    }
    match name {
        "OCF" => {
            return Err(format!(
                "heartbeat's OCF::TYPE::INSTANCE form keeps its parameters in {}/conf/OCF; \
                 write it as ocf:heartbeat:TYPE::name=value... in haresources, or by hand \
                 in Pacemaker",
                context.config_dir.display()
            ))
        }
        "drbddisk" | "drbdupper" => {
            return Err(
                "DRBD runs in Pacemaker as a promotable clone of ocf:linbit:drbd, colocated \
                 with and ordered before the group: write it by hand"
                    .into(),
            )
        }
        "LVSSyncDaemonSwap" => {
            return Err(
                "Pacemaker has no agent that swaps the IPVS sync daemons; run them with \
                 lvs-director's ipvs command from a resource of your own"
                    .into(),
            )
        }
        "ldirectord" => {
            let file = args.first().map_or("ldirectord.cf", String::as_str);
            let path = context.config_dir.join(file);
            if args.len() > 1 {
                warn(format!(
                    "{}: only the first argument (the configuration) is carried over",
                    spec.text
                ));
            }
            return Ok((
                "ldirectord".into(),
                AgentName::ocf("heartbeat", "ldirectord"),
                vec![("configfile".into(), path.display().to_string())],
            ));
        }
        _ => {}
    }
    if (context.resource_d_script)(name) {
        warn(format!(
            "{}: heartbeat ran {}/resource.d/{name}; Pacemaker has no class for heartbeat's \
             resource scripts: it is written as lsb:{name}, which needs an init script of that \
             name on every node",
            spec.text,
            context.config_dir.display()
        ));
    }
    if !args.is_empty() {
        warn(format!(
            "{}: an init script takes no arguments in Pacemaker; {} dropped",
            spec.text,
            args.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok((name.to_owned(), AgentName::lsb(name), Vec::new()))
}

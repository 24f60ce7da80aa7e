//! From haresources to runnable groups: each resource resolved (the
//! `resolve` module), then made an agent by its class's table
//! ([`Resolved::agent`]), the agents put in a [`Group`].

use std::sync::Arc;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics};

use crate::agent::Agent;
use crate::class::ocf_meta::MetaData;
use crate::group::{ActionTimeouts, Group, MonitorPlan};
use crate::haresources::{GroupSpec, ResourceSpec};
use crate::monitoring::{render_duration, Interval, Monitoring};
use crate::resolve::{Resolved, ResolvedGroup, Resolver};

/// The agent for one resource; a resource that cannot run is an error at
/// its line.
pub fn build_agent(
    spec: &ResourceSpec,
    resolver: &Resolver,
    timeouts: ActionTimeouts,
) -> Result<Arc<dyn Agent>, ConfigError> {
    resolver
        .resolve(spec)
        .map(|resolved| resolved.agent(&spec.text, timeouts))
}

/// The runnable group of a haresources line, with every resource that
/// cannot run reported.
pub fn build_group(
    spec: &GroupSpec,
    resolver: &Resolver,
    timeouts: ActionTimeouts,
) -> Result<Group, ConfigErrors> {
    let mut diagnostics = Diagnostics::new();
    let agents: Vec<Arc<dyn Agent>> = spec
        .resources
        .iter()
        .filter_map(|resource| diagnostics.take(build_agent(resource, resolver, timeouts)))
        .collect();
    diagnostics.finish(Group::new(spec.id(), agents).with_timeouts(timeouts))
}

/// The group of an already resolved haresources line, each resource
/// monitored as `monitoring` says (its monitor limited by its own timeout)
/// and described in status by how it runs. An OCF or native resource's
/// actions are limited by its agent's meta-data timeouts ([`advised_timeouts`]), the
/// monitoring file's monitor timeout first.
pub fn monitored_group_of(
    resolved: &ResolvedGroup,
    timeouts: ActionTimeouts,
    monitoring: &Monitoring,
) -> Group {
    let mut agents = Vec::new();
    let mut plans = Vec::new();
    let mut how = Vec::new();
    let mut limits = Vec::new();
    for (spec, resolved) in resolved.resources() {
        let plan = monitoring.plan(&spec.text);
        let advised = match resolved {
            Resolved::Ocf(_) | Resolved::Native(_) => advised_timeouts(
                &MetaData::parse(&resolved.agent(&spec.text, timeouts).meta_data()),
                timeouts,
            ),
            _ => timeouts,
        };
        let timeouts = ActionTimeouts {
            monitor: plan.map_or(advised.monitor, |p| p.timeout),
            ..advised
        };
        limits.push(Some(timeouts));
        let agent = resolved.agent(&spec.text, timeouts);
        plans.push(plan.map(|plan| MonitorPlan {
            interval: match plan.interval {
                Interval::Every(every) => every,
                Interval::MetaData => meta_data_interval(&spec.text, &agent.meta_data()),
            },
            timeout: plan.timeout,
            migration_threshold: plan.migration_threshold,
            failure_timeout: plan.failure_timeout,
        }));
        how.push(resolved.describe());
        agents.push(agent);
    }
    Group::new(resolved.spec.id(), agents)
        .with_timeouts(timeouts)
        .with_monitoring(plans)
        .with_descriptions(how)
        .with_resource_timeouts(limits)
}

/// The limits an agent's meta-data advises (`<action name="start"
/// timeout="90s">`), each action it says nothing of keeping `fallback`'s.
pub fn advised_timeouts(meta: &MetaData, fallback: ActionTimeouts) -> ActionTimeouts {
    ActionTimeouts {
        start: meta.timeout("start").unwrap_or(fallback.start),
        stop: meta.timeout("stop").unwrap_or(fallback.stop),
        monitor: meta.timeout("monitor").unwrap_or(fallback.monitor),
        validate: meta.timeout("validate-all").unwrap_or(fallback.validate),
    }
}

/// The interval an agent's meta-data recommends for its monitor, or
/// [`FALLBACK_INTERVAL`] (with a warning) when it recommends none.
fn meta_data_interval(resource: &str, xml: &str) -> std::time::Duration {
    match recommended_monitor_interval(xml) {
        Some(interval) => interval,
        None => {
            log::warn!(
                "{resource}: its meta-data recommends no monitor interval; monitoring every {}",
                render_duration(FALLBACK_INTERVAL)
            );
            FALLBACK_INTERVAL
        }
    }
}

/// The interval for `interval=meta-data` when the agent recommends none.
pub const FALLBACK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// The `interval` of the first `<action name="monitor" …>` of OCF
/// meta-data with a non-zero one (`10s`, `10`, `1m`, `500ms`).
pub fn recommended_monitor_interval(xml: &str) -> Option<std::time::Duration> {
    MetaData::parse(xml).monitor_interval()
}

/// The group of an already resolved haresources line.
pub fn group_of(resolved: &ResolvedGroup, timeouts: ActionTimeouts) -> Group {
    let agents = resolved
        .resources()
        .map(|(spec, how): (&ResourceSpec, &Resolved)| how.agent(&spec.text, timeouts))
        .collect();
    Group::new(resolved.spec.id(), agents).with_timeouts(timeouts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haresources::parse_haresources;
    use ha_conf::Source;

    fn empty_dirs() -> Resolver {
        let nowhere =
            std::env::temp_dir().join(format!("ha-resources-build-{}", std::process::id()));
        Resolver {
            config_dir: nowhere.join("ha.d"),
            init_dir: nowhere.join("init.d"),
            ocf_root: nowhere.join("ocf"),
            director: nowhere.join("lvs-director"),
            ipvsadm: nowhere.join("ipvsadm"),
        }
    }

    #[test]
    fn the_monitor_interval_is_read_from_ocf_meta_data() {
        let xml = r#"<actions>
            <action name="start" timeout="20s" />
            <action name="monitor" depth="0" timeout="20" interval="0" role="Slave"/>
            <action name='monitor' depth="0" timeout="20s" interval='10s' />
            <action name="meta-data" timeout="5s" />
        </actions>"#;
        assert_eq!(
            recommended_monitor_interval(xml),
            Some(std::time::Duration::from_secs(10))
        );
        assert_eq!(recommended_monitor_interval("<resource-agent/>"), None);
        assert_eq!(meta_data_interval("r", ""), FALLBACK_INTERVAL);
    }

    #[test]
    fn meta_data_timeouts_are_the_limits_of_the_actions_it_names() {
        let meta = MetaData::parse(
            r#"<actions><action name="start" timeout="90s"/><action name="stop" timeout="2m"/>
            <action name="monitor" timeout="bogus" interval="10s"/></actions>"#,
        );
        let fallback = ActionTimeouts::default();
        let advised = advised_timeouts(&meta, fallback);
        assert_eq!(advised.start, std::time::Duration::from_secs(90));
        assert_eq!(advised.stop, std::time::Duration::from_secs(120));
        assert_eq!(advised.monitor, fallback.monitor);
        assert_eq!(advised.validate, fallback.validate);
    }

    #[test]
    fn builds_ip_agents_and_refuses_others_by_line() {
        let resolver = empty_dirs();
        let source = Source::new(
            "hares",
            "n 10.0.0.1 \\\n IPaddr2::10.0.0.2/24/eth0 \\\n httpd\n",
        );
        let parsed = parse_haresources(&source).expect("parses");
        let group = &parsed.groups[0];
        let timeouts = ActionTimeouts::default();
        let agent = build_agent(&group.resources[1], &resolver, timeouts).expect("IPaddr2 builds");
        assert_eq!(agent.describe(), "IPaddr2::10.0.0.2/24/eth0");
        let expected = format!(
            "hares:3: resource 'httpd': no native agent, no {}, no {}",
            resolver.config_dir.join("resource.d/httpd").display(),
            resolver.init_dir.join("httpd").display()
        );
        let refused = build_agent(&group.resources[2], &resolver, timeouts)
            .err()
            .map(|e| e.to_string());
        assert_eq!(refused.as_deref(), Some(expected.as_str()));
        let errors = build_group(group, &resolver, timeouts)
            .err()
            .map(|e| e.to_string());
        assert_eq!(errors.as_deref(), Some(expected.as_str()));
        let only_ips = Source::new("hares", "n 10.0.0.1 IPaddr2::10.0.0.2/24/eth0\n");
        let parsed = parse_haresources(&only_ips).expect("parses");
        let built = build_group(&parsed.groups[0], &resolver, timeouts).expect("builds");
        assert_eq!(built.id(), "10.0.0.1 IPaddr2::10.0.0.2/24/eth0");
        let names: Vec<String> = built.resources().iter().map(|a| a.describe()).collect();
        assert_eq!(names, ["10.0.0.1", "IPaddr2::10.0.0.2/24/eth0"]);
        let resolved = resolver.resolve_all(&parsed).expect("resolves");
        let group = group_of(&resolved[0], timeouts);
        assert_eq!(group.id(), built.id());
        assert_eq!(group.resources().len(), 2);
    }
}

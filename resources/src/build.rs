//! From haresources to runnable groups: each resource resolved (the
//! `resolve` module), then made an agent by its class's table
//! ([`Resolved::agent`]), the agents put in a [`Group`].

use std::sync::Arc;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics};

use crate::agent::Agent;
use crate::group::{ActionTimeouts, Group};
use crate::haresources::{GroupSpec, ResourceSpec};
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
        }
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

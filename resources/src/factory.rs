//! Turns haresources specs into agents and groups, refusing resource types
//! that have no agent yet.

use std::sync::Arc;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics};

use crate::agent::Agent;
use crate::group::{ActionTimeouts, Group};
use crate::haresources::{GroupSpec, ResourceKind, ResourceSpec};
use crate::ipaddr::IpAddrAgent;

/// The agent for one resource; an unsupported type is an error at its line.
pub fn build_agent(spec: &ResourceSpec) -> Result<Arc<dyn Agent>, ConfigError> {
    match &spec.kind {
        ResourceKind::IpAddr(ip) => Ok(Arc::new(IpAddrAgent::new(spec.text.clone(), ip.clone()))),
        ResourceKind::Unsupported { type_name, .. } => Err(ConfigError {
            location: spec.location.clone(),
            message: format!("resource type '{type_name}' is not supported yet"),
        }),
    }
}

/// The runnable group of a haresources line, with every unsupported
/// resource reported.
pub fn build_group(spec: &GroupSpec, timeouts: ActionTimeouts) -> Result<Group, ConfigErrors> {
    let mut diagnostics = Diagnostics::new();
    let agents: Vec<Arc<dyn Agent>> = spec
        .resources
        .iter()
        .filter_map(|resource| diagnostics.take(build_agent(resource)))
        .collect();
    diagnostics.finish(Group::new(spec.id(), agents).with_timeouts(timeouts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haresources::parse_haresources;
    use ha_conf::Source;

    #[test]
    fn builds_ip_agents_and_refuses_others_by_line() {
        let source = Source::new(
            "hares",
            "n 10.0.0.1 \\\n IPaddr2::10.0.0.2/24/eth0 \\\n httpd\n",
        );
        let parsed = parse_haresources(&source).expect("parses");
        let group = &parsed.groups[0];
        let agent = build_agent(&group.resources[1]).expect("IPaddr2 is supported");
        assert_eq!(agent.describe(), "IPaddr2::10.0.0.2/24/eth0");
        let refused = build_agent(&group.resources[2])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            refused.as_deref(),
            Some("hares:3: resource type 'httpd' is not supported yet")
        );
        let errors = build_group(group, ActionTimeouts::default())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            errors.as_deref(),
            Some("hares:3: resource type 'httpd' is not supported yet")
        );
        let only_ips = Source::new("hares", "n 10.0.0.1 IPaddr2::10.0.0.2/24/eth0\n");
        let parsed = parse_haresources(&only_ips).expect("parses");
        let built = build_group(&parsed.groups[0], ActionTimeouts::default()).expect("builds");
        assert_eq!(built.id(), "10.0.0.1 IPaddr2::10.0.0.2/24/eth0");
        let names: Vec<String> = built.resources().iter().map(|a| a.describe()).collect();
        assert_eq!(names, ["10.0.0.1", "IPaddr2::10.0.0.2/24/eth0"]);
    }
}

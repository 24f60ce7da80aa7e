//! Loads a node's configuration: ha.cf, authkeys and haresources together,
//! each resource resolved to how it will run, and our monitoring file
//! (absent: nothing is monitored, as in heartbeat).
//!
//! Every problem in every file is collected, so `check-config` can list them
//! all at once, each with its FILE:LINE. Media on interfaces this host lacks
//! are warnings, looked up here ([`interface_exists`]) so that the parsers
//! stay free of I/O; so are the users, programs and devices of `respawn`,
//! `apiauth` and `watchdog` ([`crate::clients`]), and the fencing device
//! this node uses ([`crate::fencing`]). A keepalive whose
//! heartbeats a serial line cannot carry at its baud is an error, with the
//! figures.

use std::path::Path;

use ha_conf::{ConfigError, ConfigErrors, ConfigWarning, Source};
use ha_membership::auth::AuthKeys;
use ha_membership::config::{capacity, check_ha_cf, load_authkeys, HaConfig};
use ha_resources::haresources::{parse_haresources, Haresources};
use ha_resources::monitoring::{self, parse_monitoring, Monitoring};
use ha_resources::{ResolvedGroup, Resolver};

use crate::clients;
use crate::fencing;

/// A node's whole configuration.
#[derive(Debug)]
pub struct NodeConfig {
    /// This node's name.
    pub node: String,
    /// ha.cf.
    pub ha: HaConfig,
    /// authkeys.
    pub keys: AuthKeys,
    /// haresources.
    pub resources: Haresources,
    /// Its groups, each resource with how it runs.
    pub resolved: Vec<ResolvedGroup>,
    /// The monitoring file (empty when there is none).
    pub monitoring: Monitoring,
    /// What deserves a look but does not stop the node (media on
    /// interfaces this host lacks, API clients not served...), in file
    /// order.
    pub warnings: Vec<ConfigWarning>,
}

/// Whether this host (in this network namespace) has an interface of this
/// name.
pub fn interface_exists(name: &str) -> bool {
    nix::net::if_::if_nametoindex(name).is_ok()
}

/// This machine's node name, as `uname -n` prints it.
pub fn local_node_name() -> Result<String, String> {
    nix::unistd::gethostname()
        .map_err(|e| format!("cannot read the host name: {e}"))?
        .into_string()
        .map_err(|_| "the host name is not valid UTF-8".to_string())
}

/// Moves the complaints of `result` into `errors`, keeping its value.
fn keep<T>(errors: &mut Vec<ConfigError>, result: Result<T, ConfigErrors>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            errors.extend(e.errors().iter().cloned());
            None
        }
    }
}

/// Reads and checks the three files of `dir` for node `node`, resolving
/// the resources with `resolver` (whose configuration directory is `dir`).
pub fn load(dir: &Path, node: &str, resolver: &Resolver) -> Result<NodeConfig, ConfigErrors> {
    // heartbeat compares node names without regard to ASCII case, and the
    // parsers lower the names they read.
    let node = &node.to_ascii_lowercase();
    let mut errors: Vec<ConfigError> = Vec::new();
    let read = |name: &str| Source::read(dir.join(name)).map_err(ConfigErrors::from);
    let ha_cf = dir.join("ha.cf");
    let checked = read("ha.cf").and_then(|s| check_ha_cf(&s, &interface_exists));
    let (ha, mut warnings) = match keep(&mut errors, checked) {
        Some((ha, warnings)) => (Some(ha), warnings),
        None => (None, Vec::new()),
    };
    if let Some(ha) = &ha {
        let (client_errors, client_warnings) = clients::check(ha, &ha_cf);
        errors.extend(client_errors);
        warnings.extend(client_warnings);
        warnings.sort_by_key(|w| w.location.line);
    }
    let keys = keep(&mut errors, load_authkeys(&dir.join("authkeys")));
    let resources = keep(
        &mut errors,
        read("haresources").and_then(|s| parse_haresources(&s)),
    );
    let resolved = resources
        .as_ref()
        .and_then(|resources| keep(&mut errors, resolver.resolve_all(resources)));
    let monitoring_file = dir.join(monitoring::FILE_NAME);
    let monitoring = if monitoring_file.exists() {
        keep(
            &mut errors,
            read(monitoring::FILE_NAME).and_then(|s| parse_monitoring(&s)),
        )
    } else {
        Some(Monitoring::default())
    };
    if let (Some(monitoring), Some(resources)) = (&monitoring, &resources) {
        keep(&mut errors, monitoring.check_resources(resources));
    }
    if let Some(ha) = &ha {
        keep(
            &mut errors,
            ha.check_local_node(node, &ha_cf)
                .map_err(ConfigErrors::from),
        );
        errors.extend(fencing::check(ha, node));
        if let Some(resources) = &resources {
            keep(&mut errors, resources.check_nodes(&ha.nodes));
        }
        if let Some(keys) = &keys {
            let groups: Vec<String> = resources
                .iter()
                .flat_map(|r| r.groups.iter().map(|g| g.id()))
                .collect();
            let bytes = capacity::status_bytes(ha, node, &groups, keys);
            if let Some(load) = capacity::LineLoad::of(ha, bytes) {
                if !load.fits() {
                    errors.push(ConfigError::file(
                        &ha_cf,
                        format!(
                            "the serial line cannot carry a keepalive of {} ms: {load}; \
                             raise keepalive or baud",
                            ha.keepalive.as_millis()
                        ),
                    ));
                }
            }
        }
    }
    match (
        ConfigErrors::from_vec(errors),
        ha,
        keys,
        resources,
        resolved,
        monitoring,
    ) {
        (None, Some(ha), Some(keys), Some(resources), Some(resolved), Some(monitoring)) => {
            Ok(NodeConfig {
                node: node.to_string(),
                ha,
                keys,
                resources,
                resolved,
                monitoring,
                warnings,
            })
        }
        (Some(errors), ..) => Err(errors),
        (None, ..) => Err(ConfigError::file(dir, "configuration incomplete").into()),
    }
}

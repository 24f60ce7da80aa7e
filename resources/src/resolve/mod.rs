//! How each haresources name will run, found the way heartbeat 3.0.6's
//! ResourceManager finds it, with our native agents and OCF form first.
//!
//! For a resource `NAME::ARG::ARG…` (see [`crate::haresources`] for how a
//! word splits), [`Resolver::resolve`] tries in order:
//!
//! 1. A name served natively — `IPaddr`, `IPaddr2` (a bare IP address is
//!    `IPaddr`), `IPv6addr`, `IPsrcaddr`, `SendArp`, `Delay`, and their
//!    `ocf:heartbeat:` form when every parameter is one the native agent
//!    knows — with its arguments read by the native class's parser.
//! 2. One of the other names heartbeat ships a `resource.d` wrapper for
//!    (`Filesystem`, `apache`, `Delay`, …; the `legacy` module): the
//!    resource-agents OCF agent the wrapper would run, with the wrapper's
//!    mapping of positional arguments to parameters. A user needs none of
//!    heartbeat's shell files; a wrapper still in `resource.d` is not run.
//! 3. `ocf:PROVIDER:TYPE::name=value…`: the OCF agent
//!    `OCF_ROOT/resource.d/PROVIDER/TYPE`, which must be an executable
//!    file; and heartbeat's wrapper form `OCF::TYPE::INSTANCE`, with its
//!    parameters in `CONFIG_DIR/conf/OCF/TYPE/INSTANCE` (the `ocf_conf`
//!    module).
//! 4. `CONFIG_DIR/resource.d/NAME`: a heartbeat resource script.
//! 5. `INIT_DIR/NAME`: an LSB init script.
//! 6. `ldirectord`, when neither script exists: lvs-director, called with
//!    ldirectord's command line on `CONFIG_DIR/ldirectord.cf` (or the
//!    configuration named by its argument), read as an LSB script.
//! 7. `LVSSyncDaemonSwap::master|backup`, when neither script exists:
//!    ipvsadm swapping the IPVS sync daemons; `drbddisk` and `drbdupper`,
//!    when drbd-utils' scripts are not in `resource.d`: an error naming
//!    drbd-utils (the `packaged` module, which also checks these names'
//!    arguments before step 4).
//!
//! Steps 3 and 4 take what heartbeat's `scriptpath` takes — an executable
//! regular file — so a `resource.d` file that is not executable is passed
//! over for the init script, as heartbeat does. When nothing fits, the
//! error names every place looked at and what is there:
//! `FILE:LINE: resource 'NAME': no native agent, no /etc/ha.d/resource.d/NAME,
//! no /etc/init.d/NAME` (or `… is not executable`, `… is not a regular file`).
//!
//! [`Resolver::resolve_all`] resolves a whole file and checks what only the
//! resolved file shows: no address managed by two native IP resources
//! (IPaddr, IPaddr2, IPv6addr).

mod legacy;
mod ocf_conf;
mod packaged;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics, Location};

use crate::class::heartbeat::HeartbeatScript;
use crate::class::lsb::InitScript;
use crate::class::native::NativeSpec;
use crate::class::ocf::OcfResource;
pub use crate::class::Resolved;
use crate::class::{Probe, ScriptSpec};
use crate::haresources::{GroupSpec, Haresources, ResourceSpec};

pub use legacy::Mapped as WrapperAgent;

/// The resource-agents OCF agent (provider `heartbeat`) and parameters that
/// heartbeat's `resource.d` wrapper `name` would run with `args`: `None` if
/// heartbeat ships no wrapper of that name (or it runs natively here:
/// `IPaddr`, `IPaddr2`), `Some(Err)` with the expected form when the
/// arguments do not fit the wrapper's.
pub fn wrapper_agent(name: &str, args: &[String]) -> Option<Result<WrapperAgent, String>> {
    legacy::lookup(name, args)
}

/// Where the resolver looks for scripts and agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolver {
    /// heartbeat's configuration directory; scripts in its `resource.d`.
    pub config_dir: PathBuf,
    /// The init scripts' directory.
    pub init_dir: PathBuf,
    /// `OCF_ROOT`; agents in its `resource.d/PROVIDER/`.
    pub ocf_root: PathBuf,
    /// lvs-director, which serves `ldirectord` when no script does.
    pub director: PathBuf,
    /// ipvsadm, which serves `LVSSyncDaemonSwap` when no script does.
    pub ipvsadm: PathBuf,
}

/// heartbeat's configuration directory.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/ha.d";
/// Where init scripts are.
pub const DEFAULT_INIT_DIR: &str = "/etc/init.d";
/// `OCF_ROOT` as resource-agents installs it.
pub const DEFAULT_OCF_ROOT: &str = "/usr/lib/ocf";
/// lvs-director as the package installs it.
pub const DEFAULT_DIRECTOR: &str = "/usr/sbin/lvs-director";
/// ipvsadm as Debian's package installs it.
pub use crate::class::ipvs_sync::DEFAULT_IPVSADM;
/// The configuration `ldirectord` reads when its resource names none.
const LDIRECTORD_CONFIG: &str = "ldirectord.cf";

impl Default for Resolver {
    /// `/etc/ha.d`, `/etc/init.d`, `/usr/lib/ocf`, `/usr/sbin/lvs-director`,
    /// `/usr/sbin/ipvsadm`.
    fn default() -> Self {
        Resolver {
            config_dir: DEFAULT_CONFIG_DIR.into(),
            init_dir: DEFAULT_INIT_DIR.into(),
            ocf_root: DEFAULT_OCF_ROOT.into(),
            director: DEFAULT_DIRECTOR.into(),
            ipvsadm: DEFAULT_IPVSADM.into(),
        }
    }
}

/// A group of haresources with how each of its resources runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedGroup {
    /// The group as parsed.
    pub spec: GroupSpec,
    /// How each resource runs, in the order of `spec.resources`.
    pub resolved: Vec<Resolved>,
}

impl ResolvedGroup {
    /// Each resource with how it runs, in start order.
    pub fn resources(&self) -> impl Iterator<Item = (&ResourceSpec, &Resolved)> {
        self.spec.resources.iter().zip(&self.resolved)
    }
}

impl Resolver {
    /// The default directories with another configuration directory.
    pub fn with_config_dir(config_dir: impl Into<PathBuf>) -> Self {
        Resolver {
            config_dir: config_dir.into(),
            ..Resolver::default()
        }
    }

    /// `CONFIG_DIR/resource.d`.
    pub fn resource_dir(&self) -> PathBuf {
        self.config_dir.join("resource.d")
    }

    /// How `spec` will run, or why it cannot, at its FILE:LINE.
    pub fn resolve(&self, spec: &ResourceSpec) -> Result<Resolved, ConfigError> {
        let error = |message: String| ConfigError {
            location: spec.location.clone(),
            message,
        };
        if let Some(native) = NativeSpec::lookup(&spec.name, &spec.args) {
            return native.map(Resolved::Native).map_err(error);
        }
        if let Some(mapped) = legacy::lookup(&spec.name, &spec.args) {
            return mapped
                .and_then(|mapped| {
                    self.ocf_agent(
                        &spec.name,
                        OcfResource {
                            ocf_root: self.ocf_root.clone(),
                            provider: "heartbeat".into(),
                            agent_type: mapped.agent_type.into(),
                            params: mapped.params,
                        },
                    )
                })
                .map_err(error);
        }
        if spec.name == "OCF" {
            return ocf_conf::resolve(&self.config_dir, &self.ocf_root, spec)
                .and_then(|resource| self.ocf_agent(&spec.text, resource))
                .map_err(error);
        }
        if let Some(rest) = spec.name.strip_prefix("ocf:") {
            return self.resolve_ocf(spec, rest).map_err(error);
        }
        let packaged = packaged::lookup(&spec.name, &spec.args)
            .transpose()
            .map_err(error)?;
        let script = self.resource_dir().join(&spec.name);
        let script_probe = Probe::of(&script);
        if script_probe == Probe::Executable {
            return Ok(Resolved::Heartbeat(HeartbeatScript {
                path: script,
                args: spec.args.clone(),
            }));
        }
        let init = self.init_dir.join(&spec.name);
        let init_probe = Probe::of(&init);
        if init_probe == Probe::Executable {
            return Ok(Resolved::Lsb(InitScript {
                path: init,
                args: spec.args.clone(),
            }));
        }
        if let Some(packaged) = packaged {
            return packaged::without_script(
                &spec.name,
                packaged,
                [(&script, script_probe), (&init, init_probe)],
                &self.ocf_root,
                &self.ipvsadm,
            )
            .map_err(error);
        }
        if spec.name == "ldirectord" {
            return self
                .ldirectord(spec, [(&script, script_probe), (&init, init_probe)])
                .map_err(error);
        }
        let hint = NativeSpec::NAMES
            .iter()
            .copied()
            .chain(legacy::names())
            .find(|native| native.eq_ignore_ascii_case(&spec.name))
            .map(|native| format!(" (did you mean '{native}'?)"))
            .unwrap_or_default();
        Err(error(format!(
            "resource '{}': no native agent, {}, {}{hint}",
            spec.name,
            script_probe.explain(&script),
            init_probe.explain(&init)
        )))
    }

    /// `ocf:PROVIDER:TYPE` with `name=value` arguments; `rest` is the name
    /// after `ocf:`.
    fn resolve_ocf(&self, spec: &ResourceSpec, rest: &str) -> Result<Resolved, String> {
        let name = &spec.name;
        let valid_part =
            |part: &str| !part.is_empty() && !part.starts_with('.') && !part.contains(':');
        let (provider, agent_type) = match rest.split_once(':') {
            Some((provider, agent_type)) if valid_part(provider) && valid_part(agent_type) => {
                (provider, agent_type)
            }
            _ => {
                return Err(format!(
                    "resource '{name}': expected ocf:PROVIDER:TYPE[::name=value...], \
                     e.g. ocf:heartbeat:Dummy::state=/run/dummy.state"
                ))
            }
        };
        let mut params: Vec<(String, String)> = Vec::new();
        for arg in &spec.args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(format!(
                    "resource '{name}': parameter '{arg}' is not name=value"
                ));
            };
            let valid_key = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_key {
                return Err(format!(
                    "resource '{name}': parameter name '{key}' is not valid; expected \
                     letters, digits and '_', not starting with a digit"
                ));
            }
            if params.iter().any(|(seen, _)| seen == key) {
                return Err(format!(
                    "resource '{name}': parameter '{key}' is given twice"
                ));
            }
            params.push((key.to_string(), value.to_string()));
        }
        let resource = OcfResource {
            ocf_root: self.ocf_root.clone(),
            provider: provider.to_string(),
            agent_type: agent_type.to_string(),
            params,
        };
        self.ocf_agent(name, resource)
    }

    /// `resource` if its agent is an executable file.
    fn ocf_agent(&self, name: &str, resource: OcfResource) -> Result<Resolved, String> {
        let path = resource.path();
        match Probe::of(&path) {
            Probe::Executable => Ok(Resolved::Ocf(resource)),
            Probe::Missing => Err(format!(
                "resource '{name}': no OCF agent {}{}",
                path.display(),
                if resource.provider == "heartbeat" {
                    " (resource-agents installs it)"
                } else {
                    ""
                }
            )),
            other => Err(format!(
                "resource '{name}': OCF agent {}",
                other.explain(&path)
            )),
        }
    }

    /// `ldirectord[::CONFIG]` served by lvs-director; `looked` are the
    /// scripts looked for first, with what is there.
    fn ldirectord(
        &self,
        spec: &ResourceSpec,
        looked: [(&PathBuf, Probe); 2],
    ) -> Result<Resolved, String> {
        let config = match spec.args.as_slice() {
            [] => self.config_dir.join(LDIRECTORD_CONFIG),
            [name] => self.config_dir.join(name),
            _ => {
                return Err(format!(
                    "resource '{}': expected ldirectord[::CONFIG_FILE]",
                    spec.text
                ))
            }
        };
        let probe = Probe::of(&self.director);
        if probe != Probe::Executable {
            let [(script, script_probe), (init, init_probe)] = looked;
            return Err(format!(
                "resource 'ldirectord': {}, {}, and lvs-director, which serves it: {}",
                script_probe.explain(script),
                init_probe.explain(init),
                probe.explain(&self.director)
            ));
        }
        Ok(Resolved::Director(ScriptSpec {
            path: self.director.clone(),
            args: vec![config.display().to_string()],
        }))
    }

    /// Resolves every resource of a file; every problem is reported at
    /// its line, including an address managed by two IP resources.
    pub fn resolve_all(
        &self,
        haresources: &Haresources,
    ) -> Result<Vec<ResolvedGroup>, ConfigErrors> {
        let mut diagnostics = Diagnostics::new();
        let mut groups = Vec::new();
        let mut addresses: HashMap<IpAddr, Location> = HashMap::new();
        for group in &haresources.groups {
            let mut resolved = Vec::new();
            for resource in &group.resources {
                let Some(found) = diagnostics.take(self.resolve(resource)) else {
                    continue;
                };
                let managed = match &found {
                    Resolved::Native(NativeSpec::IpAddr(ip)) => Some(IpAddr::V4(ip.address)),
                    Resolved::Native(NativeSpec::Ipv6Addr(ip)) => Some(IpAddr::V6(ip.address)),
                    _ => None,
                };
                if let Some(address) = managed {
                    if let Some(earlier) = addresses.get(&address) {
                        diagnostics.push(ConfigError {
                            location: resource.location.clone(),
                            message: format!(
                                "address {address} is already managed by the resource on line {}",
                                earlier.line
                            ),
                        });
                    } else {
                        addresses.insert(address, resource.location.clone());
                    }
                }
                resolved.push(found);
            }
            groups.push(ResolvedGroup {
                spec: group.clone(),
                resolved,
            });
        }
        diagnostics.finish(groups)
    }
}

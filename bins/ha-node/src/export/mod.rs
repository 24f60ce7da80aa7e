//! `ha-node export pacemaker`: a heartbeat user's ha.cf, haresources and
//! monitoring file carried over to Pacemaker, the cluster manager past two
//! nodes, as a crmsh script (default) or a whole CIB (`--cib`).
//!
//! - [`translate`]: the files → a [`model::Configuration`] (groups,
//!   constraints, stickiness, ping clone, fence devices, warnings);
//!   [`resources`] does one haresources word, [`fence`] one fencing line.
//! - [`crmsh`] and [`cib`]: its two renderings.
//!
//! The configuration goes to stdout; each thing not carried over is a
//! `FILE[:LINE]: warning:` line on stderr (and a comment in the output).
//! ha.cf's `crm`/`pacemaker` line, which `run` and `check-config` refuse,
//! is what leads here, so it is set aside before ha.cf is read.

pub mod cib;
pub mod crmsh;
pub mod fence;
pub mod model;
pub mod resources;
#[cfg(test)]
mod tests;
pub mod translate;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ha_conf::{ConfigError, ConfigErrors, Source};
use ha_membership::config::{parse_ha_cf, HaConfig};
use ha_resources::haresources::{parse_haresources, Haresources};
use ha_resources::monitoring::{self, parse_monitoring, Monitoring};

use model::Configuration;
use translate::{translate, Inputs};

/// What `ha-node export` writes.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// A Pacemaker configuration from ha.cf, haresources and the monitoring
    /// file: a crmsh script (`crm configure load update FILE`) or, with
    /// --cib, a whole CIB (`cibadmin --replace --xml-file FILE`).
    Pacemaker {
        /// Directory holding ha.cf, haresources and the monitoring file.
        #[arg(long, default_value = "/etc/ha.d")]
        config_dir: PathBuf,
        /// Write the CIB XML instead of a crmsh script.
        #[arg(long)]
        cib: bool,
    },
}

/// Where fence-agents installs its agents.
const FENCE_AGENT_DIR: &str = "/usr/sbin";

/// Runs `ha-node export ...`.
pub fn run(command: ExportCommand) -> ExitCode {
    let ExportCommand::Pacemaker { config_dir, cib } = command;
    // Paths written into the configuration (ldirectord's) are absolute.
    let config_dir = std::fs::canonicalize(&config_dir).unwrap_or(config_dir);
    let files = match Files::load(&config_dir) {
        Ok(files) => files,
        Err(errors) => {
            for error in errors.errors() {
                eprintln!("{error}");
            }
            return ExitCode::from(1);
        }
    };
    let config = files.translate(&config_dir);
    for warning in &config.warnings {
        eprintln!("{warning}");
    }
    let origin = config_dir.display().to_string();
    if cib {
        print!("{}", cib::render(&config, &origin));
    } else {
        print!("{}", crmsh::render(&config, &origin));
    }
    ExitCode::SUCCESS
}

/// The files an export reads, parsed and checked against each other.
pub struct Files {
    /// ha.cf, its `crm` line set aside.
    pub ha: HaConfig,
    /// Where ha.cf is.
    pub ha_cf: PathBuf,
    /// haresources.
    pub resources: Haresources,
    /// The monitoring file (empty when there is none).
    pub monitoring: Monitoring,
    /// ha.cf's line turning heartbeat's CRM on, if any: `FILE:LINE` and
    /// its text.
    pub crm: Option<(String, String)>,
}

impl Files {
    /// Reads ha.cf, haresources and the monitoring file of `dir`; every
    /// problem with its FILE:LINE.
    pub fn load(dir: &Path) -> Result<Files, ConfigErrors> {
        let read = |name: &str| Source::read(dir.join(name)).map_err(ConfigErrors::from);
        let ha_cf = read("ha.cf")?;
        let haresources = read("haresources")?;
        let monitoring = if dir.join(monitoring::FILE_NAME).exists() {
            Some(read(monitoring::FILE_NAME)?)
        } else {
            None
        };
        Files::parse(&ha_cf, &haresources, monitoring.as_ref())
    }

    /// Parses the files' sources and checks them against each other.
    pub fn parse(
        ha_cf: &Source,
        haresources: &Source,
        monitoring: Option<&Source>,
    ) -> Result<Files, ConfigErrors> {
        let mut errors: Vec<ConfigError> = Vec::new();
        let ha = keep(&mut errors, parse_ha_cf(&without_crm_line(ha_cf)));
        let resources = keep(&mut errors, parse_haresources(haresources));
        let monitoring = match monitoring {
            Some(source) => keep(&mut errors, parse_monitoring(source)),
            None => Some(Monitoring::default()),
        };
        if let (Some(ha), Some(resources)) = (&ha, &resources) {
            keep(&mut errors, resources.check_nodes(&ha.nodes));
        }
        if let (Some(monitoring), Some(resources)) = (&monitoring, &resources) {
            keep(&mut errors, monitoring.check_resources(resources));
        }
        match (ha, resources, monitoring, ConfigErrors::from_vec(errors)) {
            (Some(ha), Some(resources), Some(monitoring), None) => Ok(Files {
                ha,
                ha_cf: ha_cf.path().to_owned(),
                resources,
                monitoring,
                crm: crm_turned_on(ha_cf),
            }),
            (_, _, _, Some(errors)) => Err(errors),
            // Each parser that gave no value gave an error.
            _ => Err(ConfigErrors::from(ha_cf.error("cannot be read"))),
        }
    }

    /// The Pacemaker configuration, for nodes whose heartbeat directory is
    /// `config_dir`; this machine is asked which `resource.d` scripts and
    /// fence agents exist.
    pub fn translate(&self, config_dir: &Path) -> Configuration {
        let resource_d = config_dir.join("resource.d");
        translate(&Inputs {
            ha: &self.ha,
            ha_cf: &self.ha_cf,
            resources: &self.resources,
            monitoring: &self.monitoring,
            crm: self
                .crm
                .as_ref()
                .map(|(at, line)| (at.as_str(), line.as_str())),
            config_dir,
            resource_d_script: &|name| is_executable(&resource_d.join(name)),
            fence_agent_installed: &|agent| Path::new(FENCE_AGENT_DIR).join(agent).is_file(),
            read_file: &|path| std::fs::read_to_string(path).map_err(|e| e.to_string()),
        })
    }
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

/// ha.cf with its `crm`/`pacemaker` lines blanked (line numbers kept).
pub fn without_crm_line(source: &Source) -> Source {
    let text: Vec<&str> = source
        .text()
        .split('\n')
        .map(|line| if crm_word(line).is_some() { "" } else { line })
        .collect();
    Source::new(source.path(), text.join("\n"))
}

/// The first `crm`/`pacemaker` line of ha.cf that turns the CRM on: its
/// `FILE:LINE` and its text.
pub fn crm_turned_on(source: &Source) -> Option<(String, String)> {
    source
        .text()
        .split('\n')
        .enumerate()
        .find_map(|(index, line)| {
            let value = crm_word(line)?;
            let off = ["off", "no", "false", "n", "0"]
                .iter()
                .any(|word| word.eq_ignore_ascii_case(value));
            (!off).then(|| {
                (
                    format!("{}:{}", source.path().display(), index + 1),
                    line.split('#').next().unwrap_or_default().trim().to_owned(),
                )
            })
        })
}

/// The value of a `crm`/`pacemaker` line (empty when it has none).
fn crm_word(line: &str) -> Option<&str> {
    let mut words = line
        .split('#')
        .next()
        .unwrap_or_default()
        .split_whitespace();
    match words.next() {
        Some("crm" | "pacemaker") => Some(words.next().unwrap_or_default()),
        _ => None,
    }
}

/// Whether `path` is a regular file someone may execute.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

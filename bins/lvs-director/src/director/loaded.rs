//! A configuration loaded for running: ldirectord.cf parsed, turned into
//! the reconciler's spec and one check job per real server, every problem
//! reported with its `FILE:LINE`. `check-config` runs the same load.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ha_checks::check::from_config::spec_for;
use ha_checks::config::{self, DirectorConfig, Origin, DEFAULT_CHECK_INTERVAL};
use ha_checks::reconcile::{director_spec, DirectorSpec, RealKey};
use ha_checks::scheduler::{maintenance_files, Job};
use ha_conf::{ConfigError, ConfigErrors, Source};

/// A configuration ready to run.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file it came from.
    pub path: PathBuf,
    /// The file's text when it was read.
    pub text: String,
    /// The parsed file.
    pub config: DirectorConfig,
    /// What the reconciler works from.
    pub spec: Arc<DirectorSpec>,
    /// One check per real server of each virtual service.
    pub jobs: Vec<Job<RealKey>>,
}

/// An address as ldirectord writes it in file names: IPv6 in brackets.
fn written(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

fn located(origin: &Origin, path: &Path, message: String) -> ConfigError {
    match origin.location() {
        Some(location) => ConfigError {
            location: location.clone(),
            message,
        },
        None => ConfigError::file(path, message),
    }
}

/// Reads and checks `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigErrors> {
    let source = Source::read(path)?;
    let config = config::parse(&source)?;
    let mut errors: Vec<ConfigError> = Vec::new();
    let spec = match director_spec(&config) {
        Ok(spec) => Some(spec),
        Err(e) => {
            errors.extend(e.errors().iter().cloned());
            None
        }
    };
    let mut jobs = Vec::new();
    for virtual_service in &config.virtual_services {
        let settings = config.settings(virtual_service);
        for real in &virtual_service.reals {
            match spec_for(virtual_service, real, &settings) {
                Ok(check) => {
                    let key = RealKey {
                        service: virtual_service.key,
                        real: virtual_service.destination_key(real),
                    };
                    let mut job =
                        Job::new(key, check, settings.check_interval, settings.failure_count);
                    if let Some(dir) = &config.global.maintenance_dir {
                        job.maintenance = maintenance_files(dir, &written(real.addr), real.port);
                    }
                    jobs.push(job);
                }
                Err(message) => errors.push(located(&real.origin, path, message)),
            }
        }
    }
    match (ConfigErrors::from_vec(errors), spec) {
        (None, Some(spec)) => Ok(Loaded {
            path: path.to_path_buf(),
            text: source.text().to_string(),
            config,
            spec: Arc::new(spec),
            jobs,
        }),
        (Some(errors), _) => Err(errors),
        (None, None) => Err(ConfigError::file(path, "configuration incomplete").into()),
    }
}

impl Loaded {
    /// How often the file is looked at for changes: the global
    /// `checkinterval`, as ldirectord looks once per round of checks.
    pub fn poll_interval(&self) -> Duration {
        self.config
            .global
            .defaults
            .check_interval
            .unwrap_or(DEFAULT_CHECK_INTERVAL)
            .max(Duration::from_millis(100))
    }

    /// The file's name, as ldirectord's log lines and pid file name it.
    pub fn name(&self) -> String {
        config_name(&self.path)
    }
}

/// The file name of a configuration path (`ldirectord.cf`).
pub fn config_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ldirectord".to_string())
}

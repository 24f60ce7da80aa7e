//! Logging as ha.cf asks: `logfile`, `debugfile`, `logfacility`, and stderr.
//!
//! Info and above go to stderr (for the service manager), to `logfile`,
//! and to syslog when `logfacility` names a facility (`logfacility none`
//! is heartbeat's way of saying no syslog); everything including
//! debug goes to `debugfile`. The logger, files, syslog and timestamps are
//! ha-daemon's.

use std::path::Path;

use ha_daemon::logging::{self, utc_timestamp, LogError, LogFile, LogSinks, Precision, Syslog};
use log::Level;

/// Where log lines go.
#[derive(Default)]
pub struct Sinks {
    logfile: Option<LogFile>,
    debugfile: Option<LogFile>,
    syslog: Option<Syslog>,
    node: String,
}

impl Sinks {
    /// Stderr only (before the configuration is read).
    pub fn stderr_only() -> Self {
        Sinks::default()
    }

    /// Stderr plus what ha.cf names; a file that cannot be opened is an error.
    pub fn configured(
        node: &str,
        logfile: Option<&Path>,
        debugfile: Option<&Path>,
        facility: Option<&str>,
    ) -> Result<Self, LogError> {
        let syslog = match facility {
            Some("none") | None => None,
            Some(name) => Syslog::connect(name)?,
        };
        Ok(Sinks {
            logfile: logfile.map(LogFile::held_open).transpose()?,
            debugfile: debugfile.map(LogFile::held_open).transpose()?,
            syslog,
            node: node.to_string(),
        })
    }
}

impl LogSinks for Sinks {
    fn write(&self, level: Level, message: &str) {
        let line = format!(
            "{} ha-node[{}]: {}: {message}\n",
            utc_timestamp(Precision::Millis),
            std::process::id(),
            level.as_str().to_lowercase()
        );
        if level <= Level::Info {
            logging::write_stderr(&line);
            if let Some(file) = &self.logfile {
                file.write_line(&line);
            }
            if let Some(syslog) = &self.syslog {
                syslog.send("ha-node", level, &format!("{}: {message}", self.node));
            }
        }
        if let Some(file) = &self.debugfile {
            file.write_line(&line);
        }
    }
}

/// Installs the logger (stderr only until [`configure`]).
pub fn init() {
    logging::init(Box::new(Sinks::stderr_only()));
}

/// Switches to the sinks ha.cf names.
pub fn configure(sinks: Sinks) {
    logging::configure(Box::new(sinks));
}

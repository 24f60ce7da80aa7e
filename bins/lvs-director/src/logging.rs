//! Logging as ldirectord does it: `logfile="/path"` appends one line per
//! message, `[TIME|CONFIG|PID] message`, opening the file for each line so
//! that log rotation needs no signal; a `logfile` value without a leading
//! `/` is a syslog facility (lines tagged `ldirectord`). In the foreground
//! every line also goes to stderr. Debug lines only with `--debug`. The
//! logger, files, syslog and timestamps are ha-daemon's.

use ha_checks::config::LogTarget;
use ha_daemon::logging::{self, utc_timestamp, LogFile, LogSinks, Precision, Syslog};
use log::Level;

/// Where log lines go.
#[derive(Default)]
pub struct Sinks {
    stderr: bool,
    file: Option<LogFile>,
    syslog: Option<Syslog>,
    name: String,
    debug: bool,
}

impl Sinks {
    /// Stderr only, as before a configuration is read.
    pub fn stderr_only() -> Self {
        Sinks {
            stderr: true,
            name: "lvs-director".into(),
            ..Sinks::default()
        }
    }

    /// What `logfile` names, plus stderr when `stderr` (in the foreground).
    /// `name` is the configuration's file name, as in ldirectord's lines;
    /// `debug` also writes debug lines.
    pub fn configured(
        target: &LogTarget,
        name: &str,
        stderr: bool,
        debug: bool,
    ) -> Result<Self, String> {
        let mut sinks = Sinks {
            stderr,
            name: name.to_string(),
            debug,
            ..Sinks::default()
        };
        match target {
            LogTarget::File(path) => {
                sinks.file = Some(LogFile::reopened_per_line(path).map_err(|e| e.to_string())?);
            }
            LogTarget::Syslog(facility) => {
                sinks.syslog = Syslog::connect(facility).map_err(|e| e.to_string())?;
            }
        }
        Ok(sinks)
    }
}

impl LogSinks for Sinks {
    fn write(&self, level: Level, message: &str) {
        if level == Level::Debug && !self.debug {
            return;
        }
        let pid = std::process::id();
        if self.stderr {
            let time = utc_timestamp(Precision::Seconds);
            logging::write_stderr(&format!("{time} lvs-director[{pid}]: {message}\n"));
        }
        if let Some(file) = &self.file {
            let time = utc_timestamp(Precision::Seconds);
            file.write_line(&format!("[{time}|{}|{pid}] {message}\n", self.name));
        }
        if let Some(syslog) = &self.syslog {
            syslog.send("ldirectord", level, message);
        }
    }
}

/// Installs the logger (stderr only until [`configure`]).
pub fn init() {
    logging::init(Box::new(Sinks::stderr_only()));
}

/// Switches to other sinks.
pub fn configure(sinks: Sinks) {
    logging::configure(Box::new(sinks));
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_facility_ldirectord_cf_accepts_has_a_code() {
        for name in ha_checks::config::SYSLOG_FACILITIES {
            assert!(ha_daemon::logging::facility_code(name).is_some(), "{name}");
        }
    }
}

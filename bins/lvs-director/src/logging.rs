//! Logging as ldirectord does it: `logfile="/path"` appends one line per
//! message, `[TIME|CONFIG|PID] message`, opening the file for each line so
//! that log rotation needs no signal; a `logfile` value without a leading
//! `/` is a syslog facility. In the foreground every line also goes to
//! stderr. Timestamps are wall-clock UTC, for people only: no decision
//! ever reads them.
//!
//! (ha-node has a logger of the same shape for ha.cf's directives; the
//! facility table and the UTC formatting could move to a shared crate.)

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ha_checks::config::LogTarget;
use log::{Level, LevelFilter, Log, Metadata, Record};

/// Where log lines go.
#[derive(Default)]
pub struct Sinks {
    stderr: bool,
    file: Option<PathBuf>,
    syslog: Option<(UnixDatagram, u8)>,
    name: String,
    debug: bool,
}

/// The syslog facility number of a facility name, as syslog.conf spells it.
pub fn facility_code(name: &str) -> Option<u8> {
    let code = match name {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => return None,
    };
    Some(code)
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
                append(path, "")
                    .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
                sinks.file = Some(path.clone());
            }
            LogTarget::Syslog(facility) => {
                let code = facility_code(facility)
                    .ok_or_else(|| format!("unknown syslog facility '{facility}'"))?;
                // No syslog daemon is not fatal: stderr still works.
                sinks.syslog = UnixDatagram::unbound()
                    .and_then(|s| s.connect("/dev/log").map(|()| s))
                    .ok()
                    .map(|s| (s, code));
            }
        }
        Ok(sinks)
    }
}

/// Appends `text` to `path` (creating it and its directory).
fn append(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

struct Logger {
    sinks: RwLock<Sinks>,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Installs the logger (stderr only until [`configure`]).
pub fn init() {
    let logger = LOGGER.get_or_init(|| Logger {
        sinks: RwLock::new(Sinks::stderr_only()),
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// Switches to other sinks.
pub fn configure(sinks: Sinks) {
    if let Some(logger) = LOGGER.get() {
        if let Ok(mut current) = logger.sinks.write() {
            *current = sinks;
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Debug
    }

    fn log(&self, record: &Record) {
        let Ok(sinks) = self.sinks.read() else {
            return;
        };
        let level = record.level();
        if level == Level::Debug && !sinks.debug {
            return;
        }
        let message = record.args().to_string();
        let pid = std::process::id();
        if sinks.stderr {
            let line = format!("{} lvs-director[{pid}]: {message}\n", utc_timestamp());
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        if let Some(path) = &sinks.file {
            let line = format!("[{}|{}|{pid}] {message}\n", utc_timestamp(), sinks.name);
            let _ = append(path, &line);
        }
        if let Some((socket, facility)) = &sinks.syslog {
            let severity = match level {
                Level::Error => 3,
                Level::Warn => 4,
                Level::Info => 6,
                _ => 7,
            };
            let datagram = format!(
                "<{}>ldirectord[{pid}]: {message}",
                u16::from(*facility) * 8 + severity
            );
            let _ = socket.send(datagram.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// `YYYY-MM-DDTHH:MM:SSZ` for the current wall-clock time.
fn utc_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
    }

    #[test]
    fn facilities_map_like_syslog() {
        assert_eq!(facility_code("local0"), Some(16));
        assert_eq!(facility_code("daemon"), Some(3));
        assert_eq!(facility_code("bogus"), None);
        for name in ha_checks::config::SYSLOG_FACILITIES {
            assert!(facility_code(name).is_some(), "{name}");
        }
    }
}

//! Logging as ha.cf asks: `logfile`, `debugfile`, `logfacility`, and stderr.
//!
//! Every line goes to stderr (for the service manager); info and above also
//! to `logfile` and to syslog when `logfacility` names a facility; everything
//! including debug to `debugfile`. Log timestamps are wall-clock UTC, for
//! people only: no decision ever reads them.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Where log lines go.
#[derive(Default)]
pub struct Sinks {
    logfile: Option<Mutex<File>>,
    debugfile: Option<Mutex<File>>,
    syslog: Option<(UnixDatagram, u8)>,
    node: String,
}

/// Opens a log file for appending, creating it (and its directory).
fn open_append(path: &Path) -> std::io::Result<Mutex<File>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(Mutex::new)
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
    ) -> Result<Self, String> {
        let open = |path: Option<&Path>| {
            path.map(|p| {
                open_append(p).map_err(|e| format!("cannot open log file {}: {e}", p.display()))
            })
            .transpose()
        };
        let syslog = match facility {
            None => None,
            Some(name) => {
                let code = facility_code(name)
                    .ok_or_else(|| format!("unknown syslog facility '{name}'"))?;
                // No syslog daemon is not fatal: the other sinks still work.
                UnixDatagram::unbound()
                    .and_then(|s| s.connect("/dev/log").map(|()| s))
                    .ok()
                    .map(|s| (s, code))
            }
        };
        Ok(Sinks {
            logfile: open(logfile)?,
            debugfile: open(debugfile)?,
            syslog,
            node: node.to_string(),
        })
    }
}

/// The logger installed for the process.
struct Logger {
    sinks: std::sync::RwLock<Sinks>,
}

static LOGGER: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

/// Installs the logger (stderr only until [`configure`]).
pub fn init() {
    let logger = LOGGER.get_or_init(|| Logger {
        sinks: std::sync::RwLock::new(Sinks::stderr_only()),
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// Switches to the sinks ha.cf names.
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
        let message = record.args().to_string();
        let line = format!(
            "{} ha-node[{}]: {}: {message}\n",
            utc_timestamp(),
            std::process::id(),
            level.as_str().to_lowercase()
        );
        if level <= Level::Info {
            let _ = std::io::stderr().write_all(line.as_bytes());
            if let Some(file) = &sinks.logfile {
                if let Ok(mut file) = file.lock() {
                    let _ = file.write_all(line.as_bytes());
                }
            }
            if let Some((socket, facility)) = &sinks.syslog {
                let severity = match level {
                    Level::Error => 3,
                    Level::Warn => 4,
                    _ => 6,
                };
                let node = &sinks.node;
                let datagram = format!(
                    "<{}>ha-node[{}]: {node}: {message}",
                    u16::from(*facility) * 8 + severity,
                    std::process::id()
                );
                let _ = socket.send(datagram.as_bytes());
            }
        }
        if let Some(file) = &sinks.debugfile {
            if let Ok(mut file) = file.lock() {
                let _ = file.write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for the current wall-clock time.
fn utc_timestamp() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_millis()
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
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn facilities_map_like_syslog() {
        assert_eq!(facility_code("local0"), Some(16));
        assert_eq!(facility_code("daemon"), Some(3));
        assert_eq!(facility_code("bogus"), None);
    }
}

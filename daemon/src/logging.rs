//! The process's logger and the pieces its sinks are built from.
//!
//! A binary says where each message goes and how its line reads by
//! implementing [`LogSinks`]; [`init`] installs the logger once (before
//! the configuration is read), [`configure`] swaps the sinks once it has
//! been. A thread that must never wait on a file or a lock held at normal
//! priority (a realtime loop) calls [`defer_this_thread`]: its lines are
//! queued for a writer thread. The pieces: [`LogFile`] (held open, or opened again for each line),
//! [`Syslog`] (datagrams to `/dev/log`), [`facility_code`], [`write_stderr`]
//! and [`utc_timestamp`]. Timestamps are wall-clock UTC, for people only:
//! no decision ever reads them.

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Where a binary's log messages go: it formats each line and writes it to
/// its own destinations. Errors writing a line are dropped: logging never
/// stops a daemon.
pub trait LogSinks: Send + Sync {
    /// Writes `message`, logged at `level`, wherever it belongs.
    fn write(&self, level: Level, message: &str);
}

/// Why sinks could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A log file could not be opened for appending.
    #[error("cannot open log file {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A syslog facility name syslog.conf does not know.
    #[error("unknown syslog facility '{0}'")]
    UnknownFacility(String),
}

/// The logger installed for the process.
struct Logger {
    sinks: RwLock<Box<dyn LogSinks>>,
    /// The queue to the writer thread, once a thread has deferred its
    /// lines (`None` if the writer thread could not be started).
    deferred: OnceLock<Option<SyncSender<Deferred>>>,
}

/// What the writer thread is handed.
enum Deferred {
    /// A line to write.
    Line(Level, String),
    /// Say when every line queued before has been written.
    Flush(SyncSender<()>),
}

/// How many lines may wait for the writer thread; more are dropped.
const DEFERRED_QUEUE: usize = 1024;

/// How long [`Log::flush`] waits for the writer thread.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

thread_local! {
    /// Whether the calling thread hands its lines to the writer thread.
    static DEFERS: Cell<bool> = const { Cell::new(false) };
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Installs the logger with `sinks`, for every level down to debug. Only the
/// first call installs; later ones leave the logger as it is (use
/// [`configure`] to change the sinks).
pub fn init(sinks: Box<dyn LogSinks>) {
    let logger = LOGGER.get_or_init(|| Logger {
        sinks: RwLock::new(sinks),
        deferred: OnceLock::new(),
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// Switches the installed logger to `sinks` (nothing before [`init`]).
pub fn configure(sinks: Box<dyn LogSinks>) {
    if let Some(logger) = LOGGER.get() {
        if let Ok(mut current) = logger.sinks.write() {
            *current = sinks;
        }
    }
}

/// From now on the calling thread hands its log lines to a writer thread
/// (started on first use) instead of writing them itself, so that it never
/// waits on a file, a pipe, syslog or a sink's lock that a thread of normal
/// priority holds. Lines that find [`DEFERRED_QUEUE`] lines waiting are
/// dropped. `log::logger().flush()` waits until the queue is written.
/// Nothing happens before [`init`], or if the writer cannot be started.
pub fn defer_this_thread() {
    if writer().is_some() {
        DEFERS.with(|defers| defers.set(true));
    }
}

/// The queue to the writer thread, started on first use.
fn writer() -> Option<&'static SyncSender<Deferred>> {
    let logger: &'static Logger = LOGGER.get()?;
    logger
        .deferred
        .get_or_init(|| {
            let (queue, lines) = mpsc::sync_channel(DEFERRED_QUEUE);
            std::thread::Builder::new()
                .name("log-writer".to_string())
                .spawn(move || {
                    for item in lines {
                        match item {
                            Deferred::Line(level, message) => logger.write(level, &message),
                            Deferred::Flush(done) => {
                                let _ = done.send(());
                            }
                        }
                    }
                })
                .ok()
                .map(|_| queue)
        })
        .as_ref()
}

impl Logger {
    /// Writes one line to the sinks, in place.
    fn write(&self, level: Level, message: &str) {
        if let Ok(sinks) = self.sinks.read() {
            sinks.write(level, message);
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Debug
    }

    fn log(&self, record: &Record) {
        let message = record.args().to_string();
        if DEFERS.with(Cell::get) {
            if let Some(Some(queue)) = self.deferred.get() {
                let _ = queue.try_send(Deferred::Line(record.level(), message));
                return;
            }
        }
        self.write(record.level(), &message);
    }

    /// Waits (up to a second) until every deferred line has been written.
    fn flush(&self) {
        if let Some(Some(queue)) = self.deferred.get() {
            let (done, written) = mpsc::sync_channel(1);
            if queue.send(Deferred::Flush(done)).is_ok() {
                let _ = written.recv_timeout(FLUSH_WAIT);
            }
        }
    }
}

/// Writes `line` (with its newline) to stderr.
pub fn write_stderr(line: &str) {
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A log file lines are appended to, created with its directory.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    /// The open file, or `None` when it is opened again for each line.
    held: Option<Mutex<File>>,
}

/// Opens `path` for appending, creating it and its directory.
fn open_append(path: &Path) -> Result<File, LogError> {
    let open = || {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        OpenOptions::new().create(true).append(true).open(path)
    };
    open().map_err(|source| LogError::Open {
        path: path.to_path_buf(),
        source,
    })
}

impl LogFile {
    /// Opens `path` now and keeps it open (heartbeat's `logfile`,
    /// `debugfile`).
    pub fn held_open(path: &Path) -> Result<Self, LogError> {
        Ok(LogFile {
            path: path.to_path_buf(),
            held: Some(Mutex::new(open_append(path)?)),
        })
    }

    /// Checks now that `path` can be appended to, then opens it again for
    /// each line, so that log rotation needs no signal (ldirectord's way).
    pub fn reopened_per_line(path: &Path) -> Result<Self, LogError> {
        open_append(path)?;
        Ok(LogFile {
            path: path.to_path_buf(),
            held: None,
        })
    }

    /// Appends `line` (with its newline).
    pub fn write_line(&self, line: &str) {
        match &self.held {
            Some(file) => {
                if let Ok(mut file) = file.lock() {
                    let _ = file.write_all(line.as_bytes());
                }
            }
            None => {
                if let Ok(mut file) = open_append(&self.path) {
                    let _ = file.write_all(line.as_bytes());
                }
            }
        }
    }
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

/// The syslog severity of a log level: err, warning, info, debug.
pub fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// A connection to the local syslog daemon (`/dev/log`) for one facility.
#[derive(Debug)]
pub struct Syslog {
    socket: UnixDatagram,
    facility: u8,
}

impl Syslog {
    /// Connects for `facility` (a name as syslog.conf spells it). An unknown
    /// name is an error; no syslog daemon listening is `Ok(None)`, so that
    /// the other sinks still work.
    pub fn connect(facility: &str) -> Result<Option<Self>, LogError> {
        let facility = facility_code(facility)
            .ok_or_else(|| LogError::UnknownFacility(facility.to_string()))?;
        Ok(UnixDatagram::unbound()
            .and_then(|s| s.connect("/dev/log").map(|()| s))
            .ok()
            .map(|socket| Syslog { socket, facility }))
    }

    /// Sends `<PRI>tag[PID]: message` at `level`'s severity.
    pub fn send(&self, tag: &str, level: Level, message: &str) {
        let datagram = format!(
            "<{}>{tag}[{}]: {message}",
            u16::from(self.facility) * 8 + u16::from(severity(level)),
            std::process::id()
        );
        let _ = self.socket.send(datagram.as_bytes());
    }
}

/// How finely [`utc_timestamp`] writes the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    Seconds,
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    Millis,
}

/// The current wall-clock time in UTC, ISO 8601 at `precision`.
pub fn utc_timestamp(precision: Precision) -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_utc(since_epoch, precision)
}

/// The UTC time `since_epoch` after 1970-01-01T00:00:00Z, ISO 8601.
fn format_utc(since_epoch: Duration, precision: Precision) -> String {
    let secs = since_epoch.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    match precision {
        Precision::Seconds => {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
        }
        Precision::Millis => format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}Z",
            since_epoch.subsec_millis()
        ),
    }
}

/// The proleptic Gregorian date (year, month, day) of a day count since
/// 1970-01-01.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
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
    fn timestamps_at_both_precisions() {
        // 2000-02-29T23:59:58.042Z
        let t = Duration::from_millis((11_016 * 86_400 + 86_398) * 1000 + 42);
        assert_eq!(format_utc(t, Precision::Seconds), "2000-02-29T23:59:58Z");
        assert_eq!(format_utc(t, Precision::Millis), "2000-02-29T23:59:58.042Z");
    }

    #[test]
    fn facilities_map_like_syslog() {
        assert_eq!(facility_code("local0"), Some(16));
        assert_eq!(facility_code("daemon"), Some(3));
        assert_eq!(facility_code("bogus"), None);
        assert!(matches!(
            Syslog::connect("bogus"),
            Err(LogError::UnknownFacility(name)) if name == "bogus"
        ));
    }

    #[test]
    fn log_files_append_held_or_reopened() {
        let dir = std::env::temp_dir().join(format!("ha-daemon-logfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let held_path = dir.join("sub/held.log");
        let reopened_path = dir.join("reopened.log");
        let held = LogFile::held_open(&held_path).unwrap();
        let reopened = LogFile::reopened_per_line(&reopened_path).unwrap();
        // Rotated away between lines: the reopened file starts again.
        reopened.write_line("one\n");
        std::fs::rename(&reopened_path, dir.join("reopened.log.1")).unwrap();
        reopened.write_line("two\n");
        held.write_line("a\n");
        held.write_line("b\n");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&held_path), "a\nb\n");
        assert_eq!(read(&reopened_path), "two\n");
        assert_eq!(read(&dir.join("reopened.log.1")), "one\n");
        let _ = std::fs::remove_dir_all(&dir);
        let bad = LogFile::held_open(Path::new("/proc/no-such/log")).unwrap_err();
        assert!(bad
            .to_string()
            .starts_with("cannot open log file /proc/no-such/log: "));
    }
}

//! The monitoring file, `CONFIG_DIR/monitoring`: our extension of
//! haresources, which says which resources are monitored, how often, and
//! when a group gives up on this node.
//!
//! heartbeat monitors nothing, and neither do we without this file. Its
//! lines look like haresources' (`#` comments, blank lines, `\` line
//! continuations):
//!
//! ```text
//! default interval=10s timeout=20s migration-threshold=3 failure-timeout=60s
//! IPaddr::10.0.0.100/24/eth0 interval=5s
//! httpd interval=meta-data timeout=30s
//! ```
//!
//! A `default` line sets what every monitored resource inherits; every
//! other line starts with a resource word exactly as haresources writes it
//! and monitors that resource. Keys:
//!
//! - `interval=DURATION` — how often the resource is monitored, or
//!   `interval=meta-data`: the monitor interval the OCF agent recommends in
//!   its meta-data (`<action name="monitor" interval="…">`). On `default`
//!   it is only inherited: a resource is monitored only when its own line
//!   names it.
//! - `timeout=DURATION` — the limit on one monitor (default 20 s).
//! - `migration-threshold=N` — failures within `failure-timeout` after
//!   which the group leaves this node (default 3, as in the issue's
//!   example; 0: never, the resource is only restarted).
//! - `failure-timeout=DURATION` — how long a failure counts (and the group
//!   keeps away after reaching the threshold); `0`: until a cleanup
//!   (default 60 s).
//!
//! Durations are `N` (seconds), `Nms`, `Ns`, `Nm` or `Nh`. Every problem is
//! reported at its FILE:LINE; [`Monitoring::check_resources`] refuses a
//! resource word that haresources lacks.

mod duration;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics, Location, Source};

use crate::haresources::Haresources;
pub use duration::{parse_duration, render_duration};

/// The file's name in the configuration directory.
pub const FILE_NAME: &str = "monitoring";

/// How often a resource is monitored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Every so often.
    Every(Duration),
    /// As the OCF agent's meta-data recommends.
    MetaData,
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interval::Every(every) => f.write_str(&render_duration(*every)),
            Interval::MetaData => f.write_str("meta-data"),
        }
    }
}

/// The keys of one line; `None` where the line does not set one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// `interval=`.
    pub interval: Option<Interval>,
    /// `timeout=`.
    pub timeout: Option<Duration>,
    /// `migration-threshold=`.
    pub migration_threshold: Option<u32>,
    /// `failure-timeout=`.
    pub failure_timeout: Option<Duration>,
}

impl Settings {
    /// These settings, with `defaults` where these have none.
    pub fn or(self, defaults: Settings) -> Settings {
        Settings {
            interval: self.interval.or(defaults.interval),
            timeout: self.timeout.or(defaults.timeout),
            migration_threshold: self.migration_threshold.or(defaults.migration_threshold),
            failure_timeout: self.failure_timeout.or(defaults.failure_timeout),
        }
    }

    fn render(&self) -> String {
        let mut keys = Vec::new();
        if let Some(interval) = self.interval {
            keys.push(format!("interval={interval}"));
        }
        if let Some(timeout) = self.timeout {
            keys.push(format!("timeout={}", render_duration(timeout)));
        }
        if let Some(threshold) = self.migration_threshold {
            keys.push(format!("migration-threshold={threshold}"));
        }
        if let Some(expiry) = self.failure_timeout {
            keys.push(format!("failure-timeout={}", render_duration(expiry)));
        }
        keys.join(" ")
    }
}

/// One resource line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMonitoring {
    /// Where the line is.
    pub location: Location,
    /// The resource word, as haresources writes it.
    pub resource: String,
    /// Its keys.
    pub settings: Settings,
}

/// A parsed monitoring file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Monitoring {
    /// The `default` line's keys (the last one wins; none: built-in).
    pub defaults: Settings,
    /// The resource lines, in file order.
    pub resources: Vec<ResourceMonitoring>,
}

/// How one resource is monitored, every key settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// How often.
    pub interval: Interval,
    /// The limit on one monitor.
    pub timeout: Duration,
    /// Failures within `failure_timeout` that move the group (0: never).
    pub migration_threshold: u32,
    /// How long a failure counts (`None`: until a cleanup).
    pub failure_timeout: Option<Duration>,
}

/// Built-in limit on one monitor.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Built-in migration threshold.
pub const DEFAULT_MIGRATION_THRESHOLD: u32 = 3;
/// Built-in failure timeout.
pub const DEFAULT_FAILURE_TIMEOUT: Duration = Duration::from_secs(60);

impl Monitoring {
    /// The plan for `resource` (a haresources word), if it is monitored.
    pub fn plan(&self, resource: &str) -> Option<Plan> {
        let line = self
            .resources
            .iter()
            .rev()
            .find(|r| r.resource == resource)?;
        let settings = line.settings.or(self.defaults);
        Some(Plan {
            interval: settings.interval?,
            timeout: settings.timeout.unwrap_or(DEFAULT_TIMEOUT),
            migration_threshold: settings
                .migration_threshold
                .unwrap_or(DEFAULT_MIGRATION_THRESHOLD),
            failure_timeout: match settings.failure_timeout {
                Some(Duration::ZERO) => None,
                Some(expiry) => Some(expiry),
                None => Some(DEFAULT_FAILURE_TIMEOUT),
            },
        })
    }

    /// Refuses, at its line, every resource word haresources lacks, and a
    /// resource with no interval (its own or the default's).
    pub fn check_resources(&self, haresources: &Haresources) -> Result<(), ConfigErrors> {
        let mut diagnostics = Diagnostics::new();
        for line in &self.resources {
            let known = haresources
                .groups
                .iter()
                .flat_map(|g| &g.resources)
                .any(|r| r.text == line.resource);
            if !known {
                diagnostics.push(ConfigError {
                    location: line.location.clone(),
                    message: format!(
                        "'{}' is no resource of haresources (write it exactly as there)",
                        line.resource
                    ),
                });
            } else if line.settings.or(self.defaults).interval.is_none() {
                diagnostics.push(ConfigError {
                    location: line.location.clone(),
                    message: format!(
                        "'{}' has no interval (set interval= on it or on the default line)",
                        line.resource
                    ),
                });
            }
        }
        diagnostics.finish(())
    }

    /// The file's text: parsing it gives this model back (locations aside).
    pub fn render(&self) -> String {
        let mut text = String::new();
        if self.defaults != Settings::default() {
            text.push_str(&format!("default {}\n", self.defaults.render()));
        }
        for line in &self.resources {
            text.push_str(&format!("{} {}\n", line.resource, line.settings.render()));
        }
        text
    }
}

/// Parses a monitoring file; every problem is reported at its FILE:LINE.
pub fn parse_monitoring(source: &Source) -> Result<Monitoring, ConfigErrors> {
    let mut diagnostics = Diagnostics::new();
    let mut monitoring = Monitoring::default();
    let mut pending: Option<(Location, String)> = None;
    for line in source.lines() {
        let content = line.content();
        let (text, continued) = match content.strip_suffix('\\') {
            Some(head) => (head.trim_end(), true),
            None => (content, false),
        };
        let (location, mut joined) = pending
            .take()
            .unwrap_or_else(|| (line.location(), String::new()));
        if !text.is_empty() {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(text);
        }
        if continued {
            pending = Some((location, joined));
            continue;
        }
        if joined.is_empty() {
            continue;
        }
        parse_line(&location, &joined, &mut monitoring, &mut diagnostics);
    }
    if let Some((location, joined)) = pending {
        if !joined.is_empty() {
            parse_line(&location, &joined, &mut monitoring, &mut diagnostics);
        }
    }
    diagnostics.finish(monitoring)
}

fn parse_line(
    location: &Location,
    text: &str,
    monitoring: &mut Monitoring,
    diagnostics: &mut Diagnostics,
) {
    let error = |message: String| ConfigError {
        location: location.clone(),
        message,
    };
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else {
        return;
    };
    if first.ends_with('\\') {
        diagnostics.push(error(format!(
            "'{first}': a resource word of haresources does not end in '\\'"
        )));
        return;
    }
    // A setting is `key=value`; a resource word with `=` in it is an OCF
    // resource's `::name=value`, which always has `::`.
    if first.contains('=') && !first.contains("::") {
        diagnostics.push(error(format!(
            "'{first}': a line starts with 'default' or a resource word of haresources"
        )));
        return;
    }
    let mut settings = Settings::default();
    let mut failed = false;
    for word in words {
        if let Err(message) = parse_key(word, &mut settings) {
            diagnostics.push(error(message));
            failed = true;
        }
    }
    if failed {
        return;
    }
    if first == "default" {
        monitoring.defaults = settings.or(monitoring.defaults);
    } else {
        monitoring.resources.push(ResourceMonitoring {
            location: location.clone(),
            resource: first.to_string(),
            settings,
        });
    }
}

fn parse_key(word: &str, settings: &mut Settings) -> Result<(), String> {
    let Some((key, value)) = word.split_once('=') else {
        return Err(format!("'{word}': expected KEY=VALUE"));
    };
    let duration = |value: &str| {
        parse_duration(value).map_err(|e| format!("{key}: '{value}' is no duration: {e}"))
    };
    match key {
        "interval" if value == "meta-data" => settings.interval = Some(Interval::MetaData),
        "interval" => {
            let every = duration(value)?;
            if every.is_zero() {
                return Err("interval: must be above 0 (leave the resource out instead)".into());
            }
            settings.interval = Some(Interval::Every(every));
        }
        "timeout" => {
            let limit = duration(value)?;
            if limit.is_zero() {
                return Err("timeout: must be above 0".into());
            }
            settings.timeout = Some(limit);
        }
        "migration-threshold" => {
            settings.migration_threshold =
                Some(value.parse().map_err(|_| {
                    format!("migration-threshold: '{value}' is no count (0, 1, 2…)")
                })?);
        }
        "failure-timeout" => settings.failure_timeout = Some(duration(value)?),
        _ => {
            return Err(format!(
                "unknown key '{key}' (expected interval, timeout, migration-threshold, \
                 failure-timeout)"
            ))
        }
    }
    Ok(())
}

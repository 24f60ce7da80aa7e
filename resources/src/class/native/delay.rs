//! `Delay[::STARTDELAY[::STOPDELAY]]` served natively: a test resource
//! that takes time. heartbeat's wrapper sets only `startdelay` (10 s when
//! no argument is given); resource-agents' Delay supplies the rest —
//! `stopdelay` 30 s and `mondelay` 30 s (its meta-data says the stop delay
//! defaults to the start delay, its code uses 30), and `startdelay` 20 s
//! in the `ocf:heartbeat:Delay::name=value` form, which also sets
//! `mondelay`.
//!
//! - start: already running is success; else it runs from now on and the
//!   action takes `startdelay`.
//! - stop: already stopped is success; else it stops and the action takes
//!   `stopdelay`.
//! - monitor: takes `mondelay`, then says whether it runs.
//!
//! The sleeps are the action's own future, so they block nothing else and
//! the group runner's limit applies: a delay longer than the action's
//! timeout fails that action, as it does for the OCF agent (whose
//! meta-data timeouts, 30 s, this agent advertises too). Whether it runs
//! is kept in the agent; the OCF agent keeps a state file under
//! `HA_RSCTMP`, so after a daemon restart a native Delay reads as stopped
//! until started again.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::agent_impl::{running_or_stopped, NativeAgent};
use super::meta_data::{Description, Parameter, Timeouts};
use super::params;
use crate::agent::{AgentErrorKind, Health};

/// The longest delay accepted, in seconds (a day).
pub const MAX_DELAY_SECONDS: u64 = 86_400;

/// A parsed Delay resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DelaySpec {
    /// How long start takes.
    pub start: Duration,
    /// How long stop takes.
    pub stop: Duration,
    /// How long monitor takes.
    pub monitor: Duration,
}

/// heartbeat's wrapper's start delay.
const WRAPPER_START: Duration = Duration::from_secs(10);
/// resource-agents' defaults.
const OCF_START: Duration = Duration::from_secs(20);
const OCF_STOP: Duration = Duration::from_secs(30);
const OCF_MONITOR: Duration = Duration::from_secs(30);

/// The parameters served natively in the `ocf:heartbeat:Delay` form.
pub const NATIVE_PARAMS: &[&str] = &["startdelay", "stopdelay", "mondelay"];

impl DelaySpec {
    /// Reads heartbeat's `Delay[::STARTDELAY[::STOPDELAY]]` arguments.
    pub fn from_args(args: &[String]) -> Result<DelaySpec, String> {
        let mut spec = DelaySpec {
            start: WRAPPER_START,
            stop: OCF_STOP,
            monitor: OCF_MONITOR,
        };
        match args {
            [] => {}
            [start] => spec.start = parse_seconds("startdelay", start)?,
            [start, stop] => {
                spec.start = parse_seconds("startdelay", start)?;
                spec.stop = parse_seconds("stopdelay", stop)?;
            }
            _ => {
                return Err(format!(
                    "Delay takes at most two arguments, Delay[::STARTDELAY[::STOPDELAY]], not {}",
                    args.len()
                ))
            }
        }
        Ok(spec)
    }

    /// Reads the `ocf:heartbeat:Delay::name=value` form: `None` when a
    /// parameter is not one of [`NATIVE_PARAMS`].
    pub fn from_params(args: &[String]) -> Option<Result<DelaySpec, String>> {
        let params = match params::read("Delay", args, NATIVE_PARAMS)? {
            Ok(params) => params,
            Err(message) => return Some(Err(message)),
        };
        let read = |name: &str, default: Duration| {
            params
                .get(name)
                .map_or(Ok(default), |value| parse_seconds(name, value))
        };
        Some((|| {
            Ok(DelaySpec {
                start: read("startdelay", OCF_START)?,
                stop: read("stopdelay", OCF_STOP)?,
                monitor: read("mondelay", OCF_MONITOR)?,
            })
        })())
    }

    /// The positional argument list that reads back as this spec, when
    /// the monitor delay is the default (the only one that form has).
    pub fn to_args(&self) -> Vec<String> {
        vec![seconds_text(self.start), seconds_text(self.stop)]
    }

    /// e.g. `start 10 s, stop 30 s, monitor 30 s`.
    pub fn describe(&self) -> String {
        format!(
            "start {} s, stop {} s, monitor {} s",
            seconds_text(self.start),
            seconds_text(self.stop),
            seconds_text(self.monitor)
        )
    }
}

/// A delay as resource-agents' Delay accepts it: digits with at most one
/// decimal point (`sleep` takes fractions), at least one digit.
pub fn parse_seconds(name: &str, text: &str) -> Result<Duration, String> {
    let valid = text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && text.bytes().any(|b| b.is_ascii_digit());
    let expected = "expected seconds such as 10 or 2.5";
    if !valid {
        return Err(format!(
            "Delay: {name} '{text}' is not a number; {expected}"
        ));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: u64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("Delay: {name} '{text}' is too large"))?
    };
    if seconds > MAX_DELAY_SECONDS {
        return Err(format!(
            "Delay: {name} {text} is longer than a day ({MAX_DELAY_SECONDS} s)"
        ));
    }
    // Nanoseconds from the first nine decimals; more are below sleep's reach.
    let digits: String = fraction.chars().take(9).collect();
    let nanos: u32 = format!("{digits:0<9}").parse().unwrap_or(0);
    Ok(Duration::new(seconds, nanos))
}

/// Seconds as [`parse_seconds`] reads them back: `10`, `2.5`, `0.001`.
pub fn seconds_text(duration: Duration) -> String {
    let nanos = duration.subsec_nanos();
    if nanos == 0 {
        return duration.as_secs().to_string();
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}", duration.as_secs(), fraction.trim_end_matches('0'))
}

impl fmt::Display for DelaySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The agent of one Delay resource.
pub struct DelayAgent {
    resource: String,
    spec: DelaySpec,
    running: AtomicBool,
}

impl DelayAgent {
    /// An agent for `spec`, named `resource` (the word from haresources).
    pub fn new(resource: impl Into<String>, spec: DelaySpec) -> Self {
        DelayAgent {
            resource: resource.into(),
            spec,
            running: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl NativeAgent for DelayAgent {
    fn resource(&self) -> &str {
        &self.resource
    }

    async fn start_inner(&self) -> Result<(), AgentErrorKind> {
        // As the OCF agent: running from the moment the delay begins.
        if !self.running.swap(true, Ordering::SeqCst) {
            tokio::time::sleep(self.spec.start).await;
        }
        Ok(())
    }

    async fn stop_inner(&self) -> Result<(), AgentErrorKind> {
        if self.running.swap(false, Ordering::SeqCst) {
            tokio::time::sleep(self.spec.stop).await;
        }
        Ok(())
    }

    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind> {
        tokio::time::sleep(self.spec.monitor).await;
        Ok(running_or_stopped(&self.running))
    }

    fn description(&self) -> Description {
        let seconds = |name, shortdesc, value| {
            Parameter::with_default(name, shortdesc, "integer", seconds_text(value))
        };
        Description {
            name: "Delay",
            longdesc: "A test resource whose actions take time, served natively.",
            shortdesc: "Waits for a defined timespan",
            parameters: vec![
                seconds("startdelay", "Seconds start takes", self.spec.start),
                seconds("stopdelay", "Seconds stop takes", self.spec.stop),
                seconds("mondelay", "Seconds monitor takes", self.spec.monitor),
            ],
            timeouts: Timeouts {
                action: 30,
                monitor_interval: 10,
                validate: 5,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;
    use proptest::prelude::*;

    #[test]
    fn defaults_follow_the_wrapper_and_the_ocf_agent() {
        let secs = Duration::from_secs;
        let bare = DelaySpec::from_args(&[]).expect("valid");
        assert_eq!(
            (bare.start, bare.stop, bare.monitor),
            (secs(10), secs(30), secs(30))
        );
        let one = DelaySpec::from_args(&args(&["3"])).expect("valid");
        assert_eq!((one.start, one.stop), (secs(3), secs(30)));
        let two = DelaySpec::from_args(&args(&["2.5", "1"])).expect("valid");
        assert_eq!(
            (two.start, two.stop),
            (Duration::from_millis(2500), secs(1))
        );
        let ocf = DelaySpec::from_params(&args(&["mondelay=0"]))
            .expect("native")
            .expect("valid");
        assert_eq!(
            (ocf.start, ocf.stop, ocf.monitor),
            (secs(20), secs(30), secs(0))
        );
        assert!(DelaySpec::from_params(&args(&["startdelay=1", "other=2"])).is_none());
    }

    #[test]
    fn bad_delays_are_named() {
        for bad in ["", ".", "1.2.3", "-1", "ten", "86401"] {
            let error = DelaySpec::from_args(&args(&[bad])).expect_err("invalid");
            assert!(error.starts_with("Delay: startdelay"), "{bad}: {error}");
        }
        assert!(DelaySpec::from_args(&args(&["1", "2", "3"]))
            .expect_err("three")
            .contains("at most two"));
        assert!(
            DelaySpec::from_params(&args(&["stopdelay=1", "stopdelay=2"]))
                .expect("native")
                .expect_err("twice")
                .contains("given twice")
        );
    }

    proptest! {
        #[test]
        fn positional_arguments_round_trip(
            start_ms in 0u64..MAX_DELAY_SECONDS * 1000,
            stop_ms in 0u64..MAX_DELAY_SECONDS * 1000,
        ) {
            let spec = DelaySpec {
                start: Duration::from_millis(start_ms),
                stop: Duration::from_millis(stop_ms),
                monitor: OCF_MONITOR,
            };
            prop_assert_eq!(DelaySpec::from_args(&spec.to_args()), Ok(spec));
        }

        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,12}") {
            let _ = parse_seconds("startdelay", &text);
        }
    }
}

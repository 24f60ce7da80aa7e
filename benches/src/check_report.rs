//! The report the `check-engine` helper sends the check-cost benchmark at
//! the end of a measuring window: per kind of check (`connect`, `http`…)
//! how many checks ran, how many of the sampled ones failed, and the
//! latency percentiles of the sampled ones; and the CPU the helper's own
//! latency sampler used, which the benchmark leaves out of the director's
//! figure.
//!
//! On the wire it is plain text, one `key=value` line per item, ending
//! with a line `end`:
//!
//! ```text
//! sampler cpu_us=2100
//! kind name=connect checks=49871 failed=0 samples=49800 p50_us=180 p90_us=420 p99_us=1900 max_us=8000
//! end
//! ```

use std::collections::HashMap;
use std::time::Duration;

/// Latency percentiles of a set of samples (nearest-rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// How many samples they were taken from.
    pub samples: u64,
    /// The median.
    pub p50: Duration,
    /// The 90th percentile.
    pub p90: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The largest sample.
    pub max: Duration,
}

impl Percentiles {
    /// The percentiles of `samples` (sorted in place); all zero when empty.
    pub fn of(samples: &mut [Duration]) -> Percentiles {
        samples.sort_unstable();
        Percentiles {
            samples: samples.len() as u64,
            p50: nearest_rank(samples, 50),
            p90: nearest_rank(samples, 90),
            p99: nearest_rank(samples, 99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

/// The `percent`th percentile of sorted `samples` by the nearest-rank
/// method: the smallest sample with at least `percent` % of all at or below it.
pub fn nearest_rank(sorted: &[Duration], percent: u32) -> Duration {
    let n = sorted.len();
    if n == 0 {
        return Duration::ZERO;
    }
    let rank = (n * percent.min(100) as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// One kind of check in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindReport {
    /// `connect`, or the service a negotiate check speaks (`http`…).
    pub name: String,
    /// Checks completed in the window (the scheduler's counters).
    pub checks: u64,
    /// Sampled checks whose verdict was "down".
    pub failed: u64,
    /// Latency of the sampled checks.
    pub latency: Percentiles,
}

/// What one measuring window of the engine found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowReport {
    /// CPU time the latency sampler itself used in the window.
    pub sampler_cpu: Duration,
    /// Per kind of check, in name order.
    pub kinds: Vec<KindReport>,
}

/// A report line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A line is neither `sampler`, `kind` nor `end`.
    #[error("unexpected report line {0:?}")]
    UnknownLine(String),
    /// A field is missing or not a number.
    #[error("report line {line:?}: field {field} missing or not a number")]
    BadField {
        /// The line.
        line: String,
        /// The field.
        field: &'static str,
    },
    /// The lines stopped before `end`.
    #[error("the report ended without its `end` line")]
    Truncated,
}

impl WindowReport {
    /// The report as text lines, `end` included.
    pub fn render(&self) -> String {
        let mut text = format!("sampler cpu_us={}\n", self.sampler_cpu.as_micros());
        for kind in &self.kinds {
            let l = &kind.latency;
            text.push_str(&format!(
                "kind name={} checks={} failed={} samples={} p50_us={} p90_us={} p99_us={} max_us={}\n",
                kind.name,
                kind.checks,
                kind.failed,
                l.samples,
                l.p50.as_micros(),
                l.p90.as_micros(),
                l.p99.as_micros(),
                l.max.as_micros()
            ));
        }
        text.push_str("end\n");
        text
    }

    /// Reads a report from its lines, up to and including `end`.
    pub fn parse<I, S>(lines: I) -> Result<WindowReport, ReportError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut report = WindowReport::default();
        for line in lines {
            let line = line.as_ref().trim();
            let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
            let fields: HashMap<&str, &str> = rest
                .split_whitespace()
                .filter_map(|f| f.split_once('='))
                .collect();
            let number = |field: &'static str| {
                fields
                    .get(field)
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| ReportError::BadField {
                        line: line.to_string(),
                        field,
                    })
            };
            let micros = |field| number(field).map(Duration::from_micros);
            match head {
                "end" => return Ok(report),
                "sampler" => report.sampler_cpu = micros("cpu_us")?,
                "kind" => report.kinds.push(KindReport {
                    name: fields.get("name").map(|n| n.to_string()).ok_or_else(|| {
                        ReportError::BadField {
                            line: line.to_string(),
                            field: "name",
                        }
                    })?,
                    checks: number("checks")?,
                    failed: number("failed")?,
                    latency: Percentiles {
                        samples: number("samples")?,
                        p50: micros("p50_us")?,
                        p90: micros("p90_us")?,
                        p99: micros("p99_us")?,
                        max: micros("max_us")?,
                    },
                }),
                _ => return Err(ReportError::UnknownLine(line.to_string())),
            }
        }
        Err(ReportError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples = ms(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        let p = Percentiles::of(&mut samples);
        assert_eq!(p.samples, 10);
        assert_eq!(p.p50, Duration::from_millis(5));
        assert_eq!(p.p90, Duration::from_millis(9));
        assert_eq!(p.p99, Duration::from_millis(10));
        assert_eq!(p.max, Duration::from_millis(10));
        let mut hundred: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&mut hundred);
        assert_eq!(
            (p.p50, p.p90, p.p99),
            (
                Duration::from_millis(50),
                Duration::from_millis(90),
                Duration::from_millis(99)
            )
        );
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
        assert_eq!(nearest_rank(&ms(&[7]), 1), Duration::from_millis(7));
    }

    #[test]
    fn reports_read_back_as_written() {
        let report = WindowReport {
            sampler_cpu: Duration::from_micros(2100),
            kinds: vec![
                KindReport {
                    name: "connect".into(),
                    checks: 49871,
                    failed: 2,
                    latency: Percentiles::of(&mut ms(&[1, 2, 3])),
                },
                KindReport {
                    name: "http".into(),
                    checks: 7,
                    failed: 0,
                    latency: Percentiles::default(),
                },
            ],
        };
        let text = report.render();
        assert_eq!(WindowReport::parse(text.lines()), Ok(report));
    }

    #[test]
    fn broken_reports_are_errors() {
        assert_eq!(
            WindowReport::parse(["sampler cpu_us=1"]),
            Err(ReportError::Truncated)
        );
        assert!(matches!(
            WindowReport::parse(["kind name=http checks=x", "end"]),
            Err(ReportError::BadField {
                field: "checks",
                ..
            })
        ));
        assert!(matches!(
            WindowReport::parse(["hello", "end"]),
            Err(ReportError::UnknownLine(_))
        ));
    }
}

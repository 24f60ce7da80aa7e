//! Metrics in Prometheus' text exposition format (version 0.0.4), built
//! afresh from a daemon's snapshot at each scrape.
//!
//! A daemon does not keep metric objects of its own beside its state: its
//! loop already counts what it sees (for `status`), so a scrape turns the
//! latest snapshot into [`Family`] values (gauges, counters that the
//! snapshot counts, histograms with their cumulative buckets) and
//! [`Exposition::render`] writes them with the `prometheus` crate's text
//! encoder, which does the escaping and the `_bucket`/`_sum`/`_count` lines.

use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use prometheus::Encoder as _;

/// The content type of a scrape's answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Why the metrics could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the metrics: {0}")]
pub struct MetricsError(String);

/// One metric: its name, help, type and samples.
#[derive(Debug, Clone)]
pub struct Family {
    inner: MetricFamily,
}

impl Family {
    fn new(name: &str, help: &str, kind: MetricType) -> Self {
        let mut inner = MetricFamily::default();
        inner.set_name(name.to_string());
        inner.set_help(help.to_string());
        inner.set_field_type(kind);
        Family { inner }
    }

    /// A gauge: a value that goes up and down (a state is a gauge of 1 for
    /// the state it is in and 0 for the others).
    pub fn gauge(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::GAUGE)
    }

    /// A counter: a count since the daemon started, which never goes down
    /// while it runs (the name should end in `_total`).
    pub fn counter(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::COUNTER)
    }

    /// A histogram: observations counted into buckets.
    pub fn histogram(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::HISTOGRAM)
    }

    /// The metric's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Adds a sample of a gauge or counter with these labels.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let mut metric = Metric::from_label(label_pairs(labels));
        match self.inner.get_field_type() {
            MetricType::COUNTER => {
                let mut counter = Counter::default();
                counter.set_value(value);
                metric.set_counter(counter);
            }
            _ => {
                let mut gauge = Gauge::default();
                gauge.set_value(value);
                metric.set_gauge(gauge);
            }
        }
        self.inner.mut_metric().push(metric);
        self
    }

    /// Adds a histogram's sample with these labels: `buckets` are (upper
    /// bound, observations at or below it), bounds increasing; `count`
    /// is every observation (the `+Inf` bucket), `sum` their sum.
    pub fn histogram_sample(
        &mut self,
        labels: &[(&str, &str)],
        buckets: &[(f64, u64)],
        sum: f64,
        count: u64,
    ) -> &mut Self {
        let mut histogram = Histogram::default();
        histogram.set_sample_count(count);
        histogram.set_sample_sum(sum);
        histogram.set_bucket(
            buckets
                .iter()
                .map(|&(upper, cumulative)| {
                    let mut bucket = Bucket::default();
                    bucket.set_upper_bound(upper);
                    bucket.set_cumulative_count(cumulative);
                    bucket
                })
                .collect(),
        );
        let mut metric = Metric::from_label(label_pairs(labels));
        metric.set_histogram(histogram);
        self.inner.mut_metric().push(metric);
        self
    }

    /// How many samples it has.
    pub fn len(&self) -> usize {
        self.inner.get_metric().len()
    }

    /// Whether it has no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Label pairs sorted by name, as Prometheus' own clients write them.
fn label_pairs(labels: &[(&str, &str)]) -> Vec<LabelPair> {
    let mut pairs: Vec<LabelPair> = labels
        .iter()
        .map(|(name, value)| {
            let mut pair = LabelPair::default();
            pair.set_name((*name).to_string());
            pair.set_value((*value).to_string());
            pair
        })
        .collect();
    pairs.sort_by(|a, b| a.name().cmp(b.name()));
    pairs
}

/// The metrics of one scrape.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    /// No metrics yet.
    pub fn new() -> Self {
        Exposition::default()
    }

    /// Adds a metric; one without samples is left out (the format has no
    /// way to say "none").
    pub fn add(&mut self, family: Family) {
        if !family.is_empty() {
            self.families.push(family);
        }
    }

    /// The metrics added, in the order they were.
    pub fn families(&self) -> &[Family] {
        &self.families
    }

    /// The text a scrape answers.
    pub fn render(&self) -> Result<String, MetricsError> {
        let families: Vec<MetricFamily> = self.families.iter().map(|f| f.inner.clone()).collect();
        let mut buf = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&families, &mut buf)
            .map_err(|e| MetricsError(e.to_string()))?;
        String::from_utf8(buf).map_err(|e| MetricsError(e.to_string()))
    }
}

/// 1 when `current` is `state`, else 0: one sample per possible state.
pub fn state_samples(family: &mut Family, labels: &[(&str, &str)], states: &[&str], current: &str) {
    for state in states {
        let mut all = labels.to_vec();
        all.push(("state", state));
        family.sample(&all, if *state == current { 1.0 } else { 0.0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_counters_and_histograms_are_written_in_the_text_format() {
        let mut exposition = Exposition::new();
        let mut states = Family::gauge("x_node_state", "Node state.");
        state_samples(&mut states, &[("node", "a\"b")], &["up", "dead"], "dead");
        exposition.add(states);
        let mut sent = Family::counter("x_sent_total", "Sent.");
        sent.sample(&[("medium", "bcast eth0")], 12.0);
        exposition.add(sent);
        let mut gaps = Family::histogram("x_gap_seconds", "Gaps.");
        gaps.histogram_sample(&[("medium", "m")], &[(0.5, 3), (1.0, 4)], 2.25, 5);
        exposition.add(gaps);
        exposition.add(Family::gauge("x_empty", "Left out."));
        let text = exposition.render().unwrap_or_default();
        assert_eq!(
            text,
            "# HELP x_node_state Node state.\n\
             # TYPE x_node_state gauge\n\
             x_node_state{node=\"a\\\"b\",state=\"up\"} 0\n\
             x_node_state{node=\"a\\\"b\",state=\"dead\"} 1\n\
             # HELP x_sent_total Sent.\n\
             # TYPE x_sent_total counter\n\
             x_sent_total{medium=\"bcast eth0\"} 12\n\
             # HELP x_gap_seconds Gaps.\n\
             # TYPE x_gap_seconds histogram\n\
             x_gap_seconds_bucket{medium=\"m\",le=\"0.5\"} 3\n\
             x_gap_seconds_bucket{medium=\"m\",le=\"1\"} 4\n\
             x_gap_seconds_bucket{medium=\"m\",le=\"+Inf\"} 5\n\
             x_gap_seconds_sum{medium=\"m\"} 2.25\n\
             x_gap_seconds_count{medium=\"m\"} 5\n"
        );
    }
}

//! A directive that may be written at most once, with the line it came from.

use ha_conf::{ConfigError, Line};

/// The state of a once-only directive while a file is being read.
#[derive(Debug, Clone, Default)]
pub(super) enum Setting<'s, T> {
    /// Not written.
    #[default]
    Absent,
    /// Written with a good value.
    Given {
        /// The value.
        value: T,
        /// Where it was written.
        line: Line<'s>,
    },
    /// Written with a bad value (already reported).
    Invalid {
        /// Where it was written.
        line: Line<'s>,
    },
}

impl<'s, T> Setting<'s, T> {
    /// The line the directive was written on, good or bad.
    pub fn line(&self) -> Option<Line<'s>> {
        match self {
            Setting::Absent => None,
            Setting::Given { line, .. } | Setting::Invalid { line } => Some(*line),
        }
    }

    /// The value, if written and good.
    pub fn value(&self) -> Option<&T> {
        match self {
            Setting::Given { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether the directive was written with a bad value.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Setting::Invalid { .. })
    }

    /// Records one line of this directive: its value, or why it was refused.
    ///
    /// A second line for the same directive is refused and changes nothing:
    /// heartbeat would silently keep the last one, which hides mistakes.
    pub fn record(
        &mut self,
        name: &str,
        line: Line<'s>,
        value: Result<T, String>,
    ) -> Result<(), ConfigError> {
        if let Some(first) = self.line() {
            return Err(line.error(format!("{name} is already set at line {}", first.number)));
        }
        match value {
            Ok(value) => {
                *self = Setting::Given { value, line };
                Ok(())
            }
            Err(message) => {
                *self = Setting::Invalid { line };
                Err(line.error(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_conf::Source;

    #[test]
    fn a_setting_is_recorded_once() {
        let source = Source::new("ha.cf", "keepalive 2\nkeepalive x\nkeepalive 3\n");
        let lines: Vec<_> = source.lines().collect();
        let mut setting = Setting::Absent;
        assert!(setting.record("keepalive", lines[0], Ok(2)).is_ok());
        assert_eq!(setting.value(), Some(&2));
        let again = setting
            .record("keepalive", lines[2], Ok(3))
            .expect_err("second line");
        assert_eq!(
            again.to_string(),
            "ha.cf:3: keepalive is already set at line 1"
        );
        assert_eq!(setting.value(), Some(&2));
    }

    #[test]
    fn a_bad_value_is_remembered_as_invalid() {
        let source = Source::new("ha.cf", "keepalive x\n");
        let line = source.lines().next().expect("line");
        let mut setting: Setting<'_, u32> = Setting::Absent;
        let error = setting
            .record("keepalive", line, Err("bad".into()))
            .expect_err("bad value");
        assert_eq!(error.to_string(), "ha.cf:1: bad");
        assert!(setting.is_invalid());
        assert_eq!(setting.line().map(|l| l.number), Some(1));
    }
}

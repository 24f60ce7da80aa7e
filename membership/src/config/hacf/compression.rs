//! `compression`, `compression_threshold` and `traditional_compression`:
//! how heartbeat compresses the messages it sends (see
//! [`crate::wire::Compression`] for what each means on the wire).
//!
//! heartbeat's rules (config.c): `compression` names a compress plugin,
//! `zlib` by default (`set_compression` loads it and refuses the file when
//! it cannot: cluster-glue ships `zlib` and `bz2`); `compression_threshold`
//! is a whole number of KiB above 0, 2 by default (`set_compression_threshold`
//! reads it with `atoi` and multiplies by 1024); `traditional_compression`
//! is a boolean, off by default. We also refuse a threshold whose bytes do
//! not fit heartbeat's `int` and trailing characters `atoi` would skip.
//!
//! The threshold only matters with `traditional_compression on`: heartbeat
//! otherwise compresses only messages of 256 KiB or more. A threshold
//! written without it is accepted with a note saying so.

use ha_conf::{ConfigWarning, Line};

use super::setting::Setting;
use super::values;
use crate::wire::{CompressMethod, Compression, DEFAULT_THRESHOLD_KIB};

/// The largest threshold in KiB whose bytes fit heartbeat's `int`.
const MAX_THRESHOLD_KIB: u32 = (i32::MAX as u32) / 1024;

/// `compression NAME`.
pub(super) fn method(name: &str, values: &[&str]) -> Result<CompressMethod, String> {
    const EXPECTED: &str = "a compression method: zlib or bz2";
    let text = values::one(name, values, EXPECTED)?;
    CompressMethod::from_name(text)
        .ok_or_else(|| format!("{name}: expected {EXPECTED}, found '{text}'"))
}

/// `compression_threshold KIB`.
pub(super) fn threshold(name: &str, values: &[&str]) -> Result<u32, String> {
    let expected = format!("a size in KiB from 1 to {MAX_THRESHOLD_KIB}");
    let text = values::one(name, values, &expected)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{name}: expected {expected}, found '{text}'"));
    }
    match text.parse::<u32>() {
        Ok(kib) if (1..=MAX_THRESHOLD_KIB).contains(&kib) => Ok(kib),
        _ => Err(format!(
            "{name}: {text} is out of range (expected {expected})"
        )),
    }
}

/// The three directives as read from one file.
#[derive(Debug, Default)]
pub(super) struct CompressionLines<'s> {
    /// `compression`.
    pub method: Setting<'s, CompressMethod>,
    /// `compression_threshold`, in KiB.
    pub threshold: Setting<'s, u32>,
    /// `traditional_compression`.
    pub traditional: Setting<'s, bool>,
}

impl CompressionLines<'_> {
    /// The settings, heartbeat's defaults filled in, and a note when a
    /// threshold is written that cannot take effect.
    pub fn resolve(&self, warnings: &mut Vec<ConfigWarning>) -> Compression {
        let traditional = self.traditional.value().copied().unwrap_or(false);
        let kib = self
            .threshold
            .value()
            .map_or(DEFAULT_THRESHOLD_KIB, |&kib| kib as usize);
        if let (Some(line), false) = (
            self.threshold.value().and(self.threshold.line()),
            traditional,
        ) {
            warnings.push(note(line));
        }
        Compression {
            method: self.method.value().copied().unwrap_or(CompressMethod::Zlib),
            threshold: kib * 1024,
            traditional,
        }
    }
}

fn note(line: Line<'_>) -> ConfigWarning {
    line.warning(
        "compression_threshold takes effect only with 'traditional_compression on' \
         (as in heartbeat): without it, only messages of 256 KiB or more are compressed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_the_plugin_names() {
        assert_eq!(method("compression", &["bz2"]), Ok(CompressMethod::Bz2));
        assert_eq!(method("compression", &["zlib"]), Ok(CompressMethod::Zlib));
        assert_eq!(
            method("compression", &["gzip"]),
            Err("compression: expected a compression method: zlib or bz2, found 'gzip'".to_owned())
        );
        assert!(method("compression", &["BZ2"]).is_err());
        assert!(method("compression", &[]).is_err());
    }

    #[test]
    fn thresholds_are_positive_kib() {
        assert_eq!(threshold("compression_threshold", &["2"]), Ok(2));
        assert_eq!(
            threshold("compression_threshold", &["2097151"]),
            Ok(2_097_151)
        );
        for bad in ["0", "2097152", "99999999999"] {
            assert_eq!(
                threshold("compression_threshold", &[bad]),
                Err(format!(
                    "compression_threshold: {bad} is out of range \
                     (expected a size in KiB from 1 to 2097151)"
                )),
                "{bad}"
            );
        }
        for bad in ["-1", "2k", "1.5", ""] {
            assert_eq!(
                threshold("compression_threshold", &[bad]),
                Err(format!(
                    "compression_threshold: expected a size in KiB from 1 to 2097151, \
                     found '{bad}'"
                )),
                "{bad}"
            );
        }
    }
}

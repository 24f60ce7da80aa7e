//! heartbeat's time syntax: `2`, `1.5`, `500ms`, `250000us`.
//!
//! A bare number is seconds and may have a fraction; the suffixes `ms`/`msec`
//! and `us`/`usec` (any letter case) change the unit. heartbeat keeps whole
//! milliseconds, rounding half up (`1.0005` is 1001 ms, `499us` is 0 ms), and
//! so does this module. There is no `s` suffix and no space before a suffix:
//! in ha.cf a space would start a new value.

use std::time::Duration;

/// The longest time accepted, in milliseconds (about 49.7 days).
const MAX_MILLIS: u128 = u32::MAX as u128;

/// Digits beyond this many cannot be represented exactly; refuse them.
const MAX_DIGITS: usize = 30;

/// What a time value should look like, for error messages.
pub(crate) const EXPECTED_TIME: &str = "a time such as 2, 1.5 or 500ms";

/// Why a time value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// Not in heartbeat's time syntax at all.
    Syntax,
    /// Longer than [`MAX_MILLIS`].
    TooLong,
}

/// A unit as a fraction of a millisecond: `numerator / denominator`.
struct Unit {
    numerator: u128,
    denominator: u128,
}

/// Parses one value in heartbeat's time syntax, rounded to whole milliseconds.
pub(crate) fn parse_time(text: &str) -> Result<Duration, TimeError> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let unit = unit(suffix).ok_or(TimeError::Syntax)?;
    let (mantissa, scale) = decimal(number)?;
    // millis = mantissa / 10^scale * unit, rounded half up.
    let denominator = scale * unit.denominator;
    let millis = (2 * mantissa * unit.numerator + denominator) / (2 * denominator);
    if millis > MAX_MILLIS {
        return Err(TimeError::TooLong);
    }
    let millis = u64::try_from(millis).map_err(|_| TimeError::TooLong)?;
    Ok(Duration::from_millis(millis))
}

/// The unit named by a suffix (empty means seconds).
fn unit(suffix: &str) -> Option<Unit> {
    let (numerator, denominator) = match suffix.to_ascii_lowercase().as_str() {
        "" => (1000, 1),
        "ms" | "msec" => (1, 1),
        "us" | "usec" => (1, 1000),
        _ => return None,
    };
    Some(Unit {
        numerator,
        denominator,
    })
}

/// A decimal number as `mantissa / scale`, where scale is a power of ten.
fn decimal(number: &str) -> Result<(u128, u128), TimeError> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.contains('.') || whole.len() + fraction.len() == 0 {
        return Err(TimeError::Syntax);
    }
    if whole.len() + fraction.len() > MAX_DIGITS {
        return Err(TimeError::TooLong);
    }
    let mut mantissa: u128 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa * 10 + u128::from(digit - b'0');
    }
    let exponent = u32::try_from(fraction.len()).map_err(|_| TimeError::TooLong)?;
    Ok((mantissa, 10u128.pow(exponent)))
}

/// Writes a time so that [`parse_time`] reads it back: `2` or `1500ms`.
pub(crate) fn render_time(time: Duration) -> String {
    let millis = time.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{}", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

/// A time for people: `2s` or `1500ms`.
pub(crate) fn describe_time(time: Duration) -> String {
    let millis = time.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn millis(text: &str) -> Result<u128, TimeError> {
        parse_time(text).map(|d| d.as_millis())
    }

    #[test]
    fn seconds_fractions_and_suffixes() {
        assert_eq!(millis("2"), Ok(2000));
        assert_eq!(millis("1.5"), Ok(1500));
        assert_eq!(millis(".5"), Ok(500));
        assert_eq!(millis("3."), Ok(3000));
        assert_eq!(millis("500ms"), Ok(500));
        assert_eq!(millis("500MS"), Ok(500));
        assert_eq!(millis("2.5msec"), Ok(3));
        assert_eq!(millis("1000000us"), Ok(1000));
        assert_eq!(millis("1500usec"), Ok(2));
    }

    #[test]
    fn rounding_follows_heartbeat() {
        // heartbeat's own examples: 499us is 0 ms, 501us is 1 ms, 0.001 is 1 ms.
        assert_eq!(millis("499us"), Ok(0));
        assert_eq!(millis("501us"), Ok(1));
        assert_eq!(millis("0.001"), Ok(1));
        assert_eq!(millis("1.0005"), Ok(1001));
        assert_eq!(millis("0.0004"), Ok(0));
    }

    #[test]
    fn malformed_times_are_refused() {
        for text in [
            "", ".", "abc", "-1", "2s", "1.2.3", "ms", "5 ms", "2sec", "1e3", "+2",
        ] {
            assert_eq!(millis(text), Err(TimeError::Syntax), "{text:?}");
        }
    }

    #[test]
    fn absurdly_long_times_are_refused() {
        assert_eq!(millis("4294967"), Ok(4_294_967_000));
        assert_eq!(millis("4294968"), Err(TimeError::TooLong));
        assert_eq!(millis(&"9".repeat(31)), Err(TimeError::TooLong));
        assert_eq!(millis(&"9".repeat(30)), Err(TimeError::TooLong));
    }

    #[test]
    fn rendering_and_describing() {
        assert_eq!(render_time(Duration::from_secs(30)), "30");
        assert_eq!(render_time(Duration::from_millis(1500)), "1500ms");
        assert_eq!(describe_time(Duration::from_secs(30)), "30s");
        assert_eq!(describe_time(Duration::from_millis(100)), "100ms");
    }

    proptest! {
        #[test]
        fn rendered_times_read_back(ms in 0u64..=u64::from(u32::MAX)) {
            let time = Duration::from_millis(ms);
            prop_assert_eq!(parse_time(&render_time(time)), Ok(time));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = parse_time(&text);
        }
    }
}

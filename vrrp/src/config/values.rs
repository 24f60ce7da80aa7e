//! Reading keepalived.conf values: numbers in ranges, decimal seconds,
//! booleans, addresses, each refused at its line with what was expected.

use std::net::IpAddr;
use std::time::Duration;

use ha_conf::ConfigError;

use super::lexer::Word;
use super::tree::Statement;

/// The words of a statement that must have exactly one argument.
pub fn one(statement: &Statement) -> Result<&Word, ConfigError> {
    match statement.args.as_slice() {
        [value] => Ok(value),
        [] => Err(statement.error(format!("{}: expected a value", statement.name()))),
        [_, extra, ..] => Err(extra.error(format!(
            "{}: expected one value, found also '{}'",
            statement.name(),
            extra.text
        ))),
    }
}

/// A statement that takes no argument.
pub fn none(statement: &Statement) -> Result<(), ConfigError> {
    match statement.args.first() {
        None => Ok(()),
        Some(extra) => Err(extra.error(format!(
            "{}: takes no value, found '{}'",
            statement.name(),
            extra.text
        ))),
    }
}

/// An unsigned integer in `min..=max`, written in decimal as keepalived's
/// `read_unsigned` takes it (no sign, no other characters).
pub fn unsigned(word: &Word, what: &str, min: u32, max: u32) -> Result<u32, ConfigError> {
    let value = if word.text.bytes().all(|b| b.is_ascii_digit()) && !word.text.is_empty() {
        word.text.parse::<u64>().ok()
    } else {
        None
    };
    match value {
        Some(v) if (u64::from(min)..=u64::from(max)).contains(&v) => Ok(v as u32),
        _ => Err(word.error(format!(
            "{what}: expected a whole number from {min} to {max}, found '{}'",
            word.text
        ))),
    }
}

/// A signed integer in `min..=max`.
pub fn signed(word: &Word, what: &str, min: i32, max: i32) -> Result<i32, ConfigError> {
    let digits = word.text.strip_prefix(['-', '+']).unwrap_or(&word.text);
    let value = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        word.text.parse::<i64>().ok()
    } else {
        None
    };
    match value {
        Some(v) if (i64::from(min)..=i64::from(max)).contains(&v) => Ok(v as i32),
        _ => Err(word.error(format!(
            "{what}: expected a whole number from {min} to {max}, found '{}'",
            word.text
        ))),
    }
}

/// Seconds as a decimal with up to six places (keepalived's
/// `read_decimal_unsigned` with TIMER_HZ_DIGITS), from `min` to `max`.
pub fn seconds(
    word: &Word,
    what: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let bad = || {
        word.error(format!(
            "{what}: expected seconds from {} to {} (up to 6 decimal places), found '{}'",
            render_seconds(min),
            render_seconds(max),
            word.text
        ))
    };
    let (whole, fraction) = word.text.split_once('.').unwrap_or((&word.text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 6
        || whole.len() > 9
    {
        return Err(bad());
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let micros: u32 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
    let value = Duration::from_secs(secs) + Duration::from_micros(u64::from(micros));
    if value < min || value > max {
        return Err(bad());
    }
    Ok(value)
}

/// Whole seconds from `min` to `max`.
pub fn whole_seconds(word: &Word, what: &str, min: u32, max: u32) -> Result<Duration, ConfigError> {
    unsigned(word, what, min, max).map(|s| Duration::from_secs(u64::from(s)))
}

/// Seconds as keepalived.conf writes them: `1`, `0.5`, `2.000001`.
pub fn render_seconds(value: Duration) -> String {
    let micros = value.subsec_micros();
    if micros == 0 {
        value.as_secs().to_string()
    } else {
        let fraction = format!("{micros:06}");
        format!("{}.{}", value.as_secs(), fraction.trim_end_matches('0'))
    }
}

/// keepalived's `check_true_false`: true/on/yes or false/off/no.
pub fn boolean(word: &Word, what: &str) -> Result<bool, ConfigError> {
    match word.text.as_str() {
        "true" | "on" | "yes" => Ok(true),
        "false" | "off" | "no" => Ok(false),
        other => Err(word.error(format!(
            "{what}: expected true, false, on, off, yes or no, found '{other}'"
        ))),
    }
}

/// An optional boolean that defaults to true when absent.
pub fn flag(statement: &Statement) -> Result<bool, ConfigError> {
    match statement.args.as_slice() {
        [] => Ok(true),
        [value] => boolean(value, statement.name()),
        [_, extra, ..] => Err(extra.error(format!(
            "{}: expected at most one value, found also '{}'",
            statement.name(),
            extra.text
        ))),
    }
}

/// An IPv4 or IPv6 address.
pub fn address(word: &Word, what: &str) -> Result<IpAddr, ConfigError> {
    word.text.parse().map_err(|_| {
        word.error(format!(
            "{what}: expected an IPv4 or IPv6 address, found '{}'",
            word.text
        ))
    })
}

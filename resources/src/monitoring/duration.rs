//! Durations as the monitoring file writes them: `N` (seconds), `Nms`,
//! `Ns`, `Nm`, `Nh`.

use std::time::Duration;

/// Parses `N`, `Nms`, `Ns`, `Nm` or `Nh` (N a whole number).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err("expected a whole number and a unit (ms, s, m, h)".into());
    }
    let count: u64 = number.parse().map_err(|_| "number too large".to_string())?;
    let millis = match unit {
        "ms" => Some(count),
        "" | "s" => count.checked_mul(1_000),
        "m" => count.checked_mul(60_000),
        "h" => count.checked_mul(3_600_000),
        _ => return Err(format!("unknown unit '{unit}' (ms, s, m, h)")),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| "number too large".to_string())
}

/// Writes a duration so that [`parse_duration`] reads it back (to the
/// millisecond).
pub fn render_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1_000) {
        format!("{}s", millis / 1_000)
    } else {
        format!("{millis}ms")
    }
}

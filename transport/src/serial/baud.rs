//! Line speeds: the rates heartbeat accepts, its default, its pause between
//! fragments, and what a line carries per second.
//!
//! heartbeat 3.0.6 (`StringToBaud` in config.c) knows 9600, 19200, 38400,
//! 57600, 115200, 230400 and 460800 baud, and runs at 19200 when ha.cf has
//! no `baud`. Its serial plugin writes a message in fragments of
//! [`FRAGSIZE`] bytes and sleeps `FRAGSIZE / (baud / 8)` seconds after each
//! but the last (`compute_fragment_write_delay`, with `baud / 8` an integer
//! division), so that the far end's input buffer does not overflow.

use std::time::Duration;

/// The rates heartbeat 3.0.6 accepts for `baud`, in bits per second.
pub const RATES: [u32; 7] = [9600, 19200, 38400, 57600, 115_200, 230_400, 460_800];

/// heartbeat's rate when ha.cf has no `baud` line (DEFAULTBAUDRATE).
pub const DEFAULT_BAUD: u32 = 19200;

/// The most heartbeat writes to the line at once (serial.c's FRAGSIZE).
pub const FRAGSIZE: usize = 512;

/// Bits on the wire per byte at 8N1: a start bit, 8 data bits, a stop bit.
pub const BITS_PER_BYTE: u32 = 10;

/// Whether heartbeat accepts `baud`.
pub fn is_supported(baud: u32) -> bool {
    RATES.contains(&baud)
}

/// heartbeat's pause after each fragment but the last, at `baud`:
/// `(1.0 * FRAGSIZE) / (baud / 8) * 1000000` microseconds, truncated
/// (213 333 µs at 19200 baud).
pub fn fragment_delay(baud: u32) -> Duration {
    let bytes_per_second = f64::from((baud / 8).max(1));
    let micros = (FRAGSIZE as f64) / bytes_per_second * 1_000_000.0;
    Duration::from_micros(micros as u64)
}

/// What the line carries at `baud`, in bytes per second (8N1).
pub fn bytes_per_second(baud: u32) -> u32 {
    baud / BITS_PER_BYTE
}

/// The `termios` speed constant for `baud`, if heartbeat accepts it.
pub fn speed(baud: u32) -> Option<nix::sys::termios::BaudRate> {
    use nix::sys::termios::BaudRate;
    Some(match baud {
        9600 => BaudRate::B9600,
        19200 => BaudRate::B19200,
        38400 => BaudRate::B38400,
        57600 => BaudRate::B57600,
        115_200 => BaudRate::B115200,
        230_400 => BaudRate::B230400,
        460_800 => BaudRate::B460800,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_heartbeats() {
        assert_eq!(fragment_delay(19200), Duration::from_micros(213_333));
        assert_eq!(fragment_delay(9600), Duration::from_micros(426_666));
        assert_eq!(fragment_delay(115_200), Duration::from_micros(35_555));
    }

    #[test]
    fn every_rate_has_a_speed() {
        for rate in RATES {
            assert!(is_supported(rate));
            assert!(speed(rate).is_some(), "{rate}");
        }
        assert!(!is_supported(4800));
        assert_eq!(bytes_per_second(9600), 960);
    }
}

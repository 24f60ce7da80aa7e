//! The netstring framing heartbeat uses everywhere: `LEN:BYTES,`, where LEN
//! is the decimal count of BYTES.
//!
//! heartbeat's own reader tolerates oddities (any bytes between the digits and
//! the colon, "digits" below `'0'`); ours accepts only what heartbeat writes,
//! plus leading zeros in LEN.

use std::ops::Range;

use super::error::WireError;

/// Reads consecutive netstrings out of a byte string.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Added to positions in error messages (where `data` sits in the datagram).
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader of `data`, which starts at byte `base` of the datagram.
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    /// The position of the next byte, within `data`.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The position of the next byte, within the datagram.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Whether nothing is left.
    pub(crate) fn is_done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Skips `count` bytes (or to the end).
    pub(crate) fn skip(&mut self, count: usize) {
        self.pos = self.pos.saturating_add(count).min(self.data.len());
    }

    /// Skips `prefix` if the rest starts with it.
    pub(crate) fn eat(&mut self, prefix: &[u8]) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    /// Reads one netstring and returns where its content lies within `data`.
    pub(crate) fn netstring(&mut self) -> Result<Range<usize>, WireError> {
        let start = self.pos;
        let fail = |problem| WireError::Netstring {
            offset: self.base + start,
            problem,
        };
        let rest = self.rest();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (number, after) = rest.split_at(digits);
        if digits == 0 || after.first() != Some(&b':') {
            return Err(fail("expected a decimal length followed by ':'"));
        }
        let overrun = "its length runs past the end of the datagram";
        let len = parse_decimal(number).ok_or_else(|| fail(overrun))?;
        let content_start = start + digits + 1;
        let content_end = content_start
            .checked_add(len)
            .filter(|&end| end < self.data.len())
            .ok_or_else(|| fail(overrun))?;
        if self.data.get(content_end) != Some(&b',') {
            return Err(fail("not terminated by ','"));
        }
        self.pos = content_end + 1;
        Ok(content_start..content_end)
    }
}

/// The value of a run of ASCII digits, if it fits in a usize.
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |acc, &digit| {
        acc.checked_mul(10)?
            .checked_add(usize::from(digit.wrapping_sub(b'0')))
    })
}

/// How many characters `n` takes in decimal.
pub(crate) fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends `LEN:` for a netstring whose content is `len` bytes.
pub(crate) fn push_header(out: &mut Vec<u8>, len: usize) {
    push_decimal(out, len);
    out.push(b':');
}

/// The size of a whole netstring whose content is `len` bytes.
pub(crate) fn framed_len(len: usize) -> usize {
    decimal_len(len) + 1 + len + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8]) -> Result<Vec<&[u8]>, WireError> {
        let mut reader = Reader::new(data, 100);
        let mut out = Vec::new();
        while !reader.is_done() {
            let range = reader.netstring()?;
            out.push(&data[range]);
        }
        Ok(out)
    }

    #[test]
    fn reads_consecutive_netstrings() {
        assert_eq!(
            read_all(b"3:abc,0:,5:a,b:c,").unwrap(),
            vec![&b"abc"[..], b"", b"a,b:c"]
        );
        assert_eq!(read_all(b"003:abc,").unwrap(), vec![&b"abc"[..]]);
    }

    #[test]
    fn refuses_broken_framing_with_the_offset() {
        let err = |data: &[u8]| read_all(data).unwrap_err().to_string();
        assert_eq!(
            err(b"3:abc,x:"),
            "netstring at byte 106: expected a decimal length followed by ':'"
        );
        assert_eq!(
            err(b"3abc,"),
            "netstring at byte 100: expected a decimal length followed by ':'"
        );
        assert_eq!(
            err(b"4:abc,"),
            "netstring at byte 100: its length runs past the end of the datagram"
        );
        assert_eq!(
            err(b"3:abc"),
            "netstring at byte 100: its length runs past the end of the datagram"
        );
        assert_eq!(
            err(b"2:abc,"),
            "netstring at byte 100: not terminated by ','"
        );
        assert_eq!(
            err(b"99999999999999999999999999:x,"),
            "netstring at byte 100: its length runs past the end of the datagram"
        );
    }

    #[test]
    fn writes_lengths() {
        for n in [0, 7, 9, 10, 99, 100, 12345, usize::MAX] {
            let mut out = Vec::new();
            push_header(&mut out, n);
            assert_eq!(out, format!("{n}:").into_bytes());
            assert_eq!(decimal_len(n), n.to_string().len());
        }
        assert_eq!(framed_len(3), "3:abc,".len());
    }
}

//! The kernel's IPVS totals since it loaded the module, from
//! `/proc/net/ip_vs_stats` (per network namespace): connections, packets
//! and bytes of every service, those deleted since included. Generic
//! netlink has only per-service counters, which a deleted service takes
//! with it; these totals never go down, as counters must.
//!
//! The file, as the kernel writes it: two heading lines, the totals in
//! hexadecimal (`%8LX %8LX %8LX %16LX %16LX`), a blank line, a heading,
//! the rates.

use std::fmt;

/// Where the kernel publishes the totals.
pub const PATH: &str = "/proc/net/ip_vs_stats";

/// The kernel-wide IPVS counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalStats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
}

/// What was wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcStatsError {
    /// It could not be read.
    #[error("{file}: {error}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        error: String,
    },
    /// A line was not what the kernel writes.
    #[error("{file}:{line}: expected {expected}, found {found:?}")]
    Syntax {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// What the kernel writes there.
        expected: &'static str,
        /// What was there.
        found: String,
    },
}

/// Reads the totals of the calling thread's network namespace.
pub fn read() -> Result<GlobalStats, ProcStatsError> {
    let text = std::fs::read_to_string(PATH).map_err(|e| ProcStatsError::Read {
        file: PATH.to_string(),
        error: e.to_string(),
    })?;
    parse(&text, PATH)
}

/// Parses the file's text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<GlobalStats, ProcStatsError> {
    const EXPECTED: &str = "five hexadecimal totals (conns, packets in and out, bytes in and out)";
    let line = text.lines().nth(2).unwrap_or_default();
    let error = || ProcStatsError::Syntax {
        file: file.to_string(),
        line: 3,
        expected: EXPECTED,
        found: line.to_string(),
    };
    let mut fields = line.split_whitespace();
    let mut next = || -> Result<u64, ProcStatsError> {
        let field = fields.next().ok_or_else(error)?;
        u64::from_str_radix(field, 16).map_err(|_| error())
    };
    let stats = GlobalStats {
        conns: next()?,
        inpkts: next()?,
        outpkts: next()?,
        inbytes: next()?,
        outbytes: next()?,
    };
    if fields.next().is_some() {
        return Err(error());
    }
    Ok(stats)
}

impl fmt::Display for GlobalStats {
    /// The file as the kernel writes it (rates written as 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "   Total Incoming Outgoing         Incoming         Outgoing"
        )?;
        writeln!(
            f,
            "   Conns  Packets  Packets            Bytes            Bytes"
        )?;
        writeln!(
            f,
            "{:8X} {:8X} {:8X} {:16X} {:16X}\n",
            self.conns, self.inpkts, self.outpkts, self.inbytes, self.outbytes
        )?;
        writeln!(
            f,
            " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s"
        )?;
        writeln!(f, "{:8X} {:8X} {:8X} {:16X} {:16X}", 0, 0, 0, 0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_kernels_file_is_read_in_hexadecimal() {
        let text = "   Total Incoming Outgoing         Incoming         Outgoing\n   \
                    Conns  Packets  Packets            Bytes            Bytes\n      \
                    1A      2B0        0            1C3E0                0\n\n \
                    Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n       \
                    0        0        0                0                0\n";
        assert_eq!(
            parse(text, "ip_vs_stats"),
            Ok(GlobalStats {
                conns: 0x1a,
                inpkts: 0x2b0,
                outpkts: 0,
                inbytes: 0x1c3e0,
                outbytes: 0,
            })
        );
    }

    #[test]
    fn a_wrong_line_is_named() {
        let error = parse("a\nb\n1 2 zz 4 5\n", "stats").unwrap_err();
        assert_eq!(
            error.to_string(),
            "stats:3: expected five hexadecimal totals (conns, packets in and out, \
             bytes in and out), found \"1 2 zz 4 5\""
        );
        assert!(parse("a\nb\n1 2 3 4\n", "stats").is_err());
        assert!(parse("a\nb\n1 2 3 4 5 6\n", "stats").is_err());
        assert!(parse("", "stats").is_err());
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(
            conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64
        ) {
            let stats = GlobalStats { conns, inpkts, outpkts, inbytes, outbytes };
            prop_assert_eq!(parse(&stats.to_string(), "f"), Ok(stats));
        }

        #[test]
        fn any_text_is_parsed_or_refused(text in "\\PC*") {
            let _ = parse(&text, "f");
        }
    }
}

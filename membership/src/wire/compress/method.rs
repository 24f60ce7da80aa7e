//! The compression methods, cluster-glue's compress plugins `zlib` and
//! `bz2`, with heartbeat's settings and bounded decompression.

use super::MAX_MESSAGE;
use super::MAX_UNCOMPRESSED;
use crate::wire::error::WireError;

/// A compression method: one of cluster-glue's compress plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressMethod {
    /// The zlib format (RFC 1950), cluster-glue's `zlib` plugin; heartbeat's
    /// default `compression`.
    Zlib,
    /// bzip2, cluster-glue's `bz2` plugin.
    Bz2,
}

impl CompressMethod {
    /// Every method, in the order ha.cf's messages list them.
    pub const ALL: [CompressMethod; 2] = [CompressMethod::Zlib, CompressMethod::Bz2];

    /// The name ha.cf and the `_compression_algorithm` field use.
    pub fn name(self) -> &'static str {
        match self {
            CompressMethod::Zlib => "zlib",
            CompressMethod::Bz2 => "bz2",
        }
    }

    /// The method of this name, as the plugin names are spelt.
    pub fn from_name(name: &str) -> Option<CompressMethod> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// `data` compressed with this method and heartbeat's settings: zlib
    /// at its default level (6), bzip2 with 100 kB blocks and work factor 30.
    pub fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            CompressMethod::Zlib => {
                let mut engine = flate2::Compress::new(flate2::Compression::new(6), true);
                run_compressor(data, |input, output| {
                    let before = engine.total_in();
                    let status = engine
                        .compress_vec(input, output, flate2::FlushCompress::Finish)
                        .map_err(|_| ())?;
                    let used = usize::try_from(engine.total_in() - before).unwrap_or(0);
                    Ok((used, status == flate2::Status::StreamEnd))
                })
            }
            CompressMethod::Bz2 => {
                let mut engine = bzip2::Compress::new(bzip2::Compression::new(1), 30);
                run_compressor(data, |input, output| {
                    let before = engine.total_in();
                    let status = engine
                        .compress_vec(input, output, bzip2::Action::Finish)
                        .map_err(|_| ())?;
                    let used = usize::try_from(engine.total_in() - before).unwrap_or(0);
                    Ok((used, status == bzip2::Status::StreamEnd))
                })
            }
        }
    }

    /// `data` decompressed, if it is one whole stream of this method that
    /// expands to at most [`MAX_UNCOMPRESSED`] bytes. Bytes after the end of
    /// the stream are ignored, as zlib's `uncompress` and bzip2's
    /// `BZ2_bzBuffToBuffDecompress` ignore them.
    pub fn decompress(self, data: &[u8]) -> Result<Vec<u8>, WireError> {
        let bad = |problem| WireError::BadCompressed {
            method: self.name(),
            problem,
        };
        if data.len() > MAX_MESSAGE {
            return Err(bad("the payload is over 262144 bytes (heartbeat's MAXMSG)"));
        }
        match self {
            CompressMethod::Zlib => {
                let mut engine = flate2::Decompress::new(true);
                run_decompressor(data, bad, |input, output| {
                    let before = engine.total_in();
                    let status = engine
                        .decompress_vec(input, output, flate2::FlushDecompress::None)
                        .map_err(|_| ())?;
                    let used = usize::try_from(engine.total_in() - before).unwrap_or(0);
                    Ok((used, status == flate2::Status::StreamEnd))
                })
            }
            CompressMethod::Bz2 => {
                let mut engine = bzip2::Decompress::new(false);
                run_decompressor(data, bad, |input, output| {
                    let before = engine.total_in();
                    let status = engine.decompress_vec(input, output).map_err(|_| ())?;
                    let used = usize::try_from(engine.total_in() - before).unwrap_or(0);
                    Ok((used, status == bzip2::Status::StreamEnd))
                })
            }
        }
    }
}

impl std::fmt::Display for CompressMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs a compressor to the end of its stream. `step` is one call of a
/// streaming engine: it consumes some of its input, appends to the output
/// within its spare capacity, and says how much input it used and whether
/// the stream has ended; `Err` for a failure.
fn run_compressor(
    data: &[u8],
    mut step: impl FnMut(&[u8], &mut Vec<u8>) -> Result<(usize, bool), ()>,
) -> Vec<u8> {
    let mut output = Vec::with_capacity(data.len() / 2 + 64);
    let mut rest = data;
    loop {
        if output.capacity() - output.len() < 64 {
            output.reserve(output.capacity().max(256));
        }
        match step(rest, &mut output) {
            Ok((used, ended)) => {
                rest = rest.get(used..).unwrap_or_default();
                if ended {
                    return output;
                }
            }
            // Compressing a byte string in memory cannot fail; an empty
            // result would be refused by the receiver, not misread.
            Err(()) => return Vec::new(),
        }
    }
}

/// Runs a decompressor to the end of its stream (`step` as for
/// [`run_compressor`], `Err` for a corrupt stream), refusing more than
/// [`MAX_UNCOMPRESSED`] bytes of output and input that ends too soon.
fn run_decompressor(
    data: &[u8],
    bad: impl Fn(&'static str) -> WireError,
    mut step: impl FnMut(&[u8], &mut Vec<u8>) -> Result<(usize, bool), ()>,
) -> Result<Vec<u8>, WireError> {
    let mut output = Vec::with_capacity((data.len() * 4).clamp(256, MAX_UNCOMPRESSED + 1));
    let mut rest = data;
    loop {
        if output.len() == output.capacity() {
            if output.len() > MAX_UNCOMPRESSED {
                return Err(bad(
                    "it expands past 2097152 bytes (heartbeat's MAXUNCOMPRESSED)",
                ));
            }
            let room = output
                .len()
                .max(256)
                .min(MAX_UNCOMPRESSED + 1 - output.len());
            output.reserve_exact(room);
        }
        let before = output.len();
        let (used, ended) = step(rest, &mut output).map_err(|()| bad("the stream is corrupt"))?;
        rest = rest.get(used..).unwrap_or_default();
        if output.len() > MAX_UNCOMPRESSED {
            return Err(bad(
                "it expands past 2097152 bytes (heartbeat's MAXUNCOMPRESSED)",
            ));
        }
        if ended {
            return Ok(output);
        }
        if used == 0 && output.len() == before && output.len() < output.capacity() {
            return Err(bad("the stream ends before its end marker"));
        }
    }
}

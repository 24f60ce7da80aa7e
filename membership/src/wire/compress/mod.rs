//! heartbeat's whole-message compression, as cluster-glue 1.0.12 writes it.
//!
//! A compressed message is a netstring message of two fields, signed by its
//! trailer like any other:
//!
//! ```text
//! ###\n  LEN:(1)_compressed_payload=BYTES,  LEN:(0)_compression_algorithm=bz2,  %%%\n  LEN:N HEX,
//! ```
//!
//! `BYTES` is the original message, compressed whole with the named method:
//! `zlib` (the zlib format, level 6) or `bz2` (bzip2, 100 kB blocks). The
//! original is cluster-glue's unsigned wire form of the message: the classic
//! text form (`>>>\n` … `auth=N HEX\n<<<\n` and a NUL byte) under heartbeat's
//! default `msgfmt classic`, the netstring form without trailer (`###\n` …
//! `%%%\n`) under `msgfmt netstring`. The outer message keeps nothing else
//! (no `t`, `src` or `seq`), so the trailer, computed over the compressed
//! bytes and the method's name, is what authenticates it; heartbeat does not
//! check the original's own `auth` field. We check it when it is there, as
//! for any message.
//!
//! When heartbeat compresses (cluster-glue's `msg2wirefmt`): with
//! `traditional_compression on`, every message whose uncompressed size is
//! over the `compression_threshold`; in any mode, a message of
//! [`MAX_MESSAGE`] bytes or more, which could not be sent otherwise. The
//! default mode compresses only payload fields of heartbeat's clients (type
//! 4, cluster-glue's FT_COMPRESS: Pacemaker's, never heartbeat's own
//! messages), which this codec refuses like every nested message.
//!
//! A receiver decompresses whatever it can, whatever its own `compression`
//! says; a method it lacks makes the message unreadable (heartbeat logs
//! "compress method(X) is not supported in this machine" and drops it).
//! Decompression is bounded: a payload over [`MAX_MESSAGE`] bytes, or one
//! that would expand past [`MAX_UNCOMPRESSED`] bytes, is refused, as
//! heartbeat refuses it.

mod message;
mod method;
#[cfg(test)]
mod tests;

pub use message::encode_compressed;
pub(super) use message::expand;
pub use method::CompressMethod;

/// The field that holds the compressed message (cluster-glue's
/// COMPRESSED_FIELD), a binary field.
pub(crate) const PAYLOAD: &str = "_compressed_payload";

/// The field that names the method (cluster-glue's COMPRESS_NAME).
pub(crate) const ALGORITHM: &str = "_compression_algorithm";

/// heartbeat's largest message on the wire (cluster-glue's MAXMSG, 256 KiB):
/// the largest compressed payload it accepts, and the size from which it
/// compresses whatever the mode.
pub const MAX_MESSAGE: usize = 256 * 1024;

/// heartbeat's largest message in memory (cluster-glue's MAXUNCOMPRESSED,
/// 2 MiB): a payload may not decompress to more.
pub const MAX_UNCOMPRESSED: usize = 2048 * 1024;

/// How outgoing messages are compressed: ha.cf's `compression`,
/// `compression_threshold` and `traditional_compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    /// The method (`compression`, default zlib as in heartbeat).
    pub method: CompressMethod,
    /// Messages over this many bytes are compressed in traditional mode
    /// (`compression_threshold` in KiB, default 2, i.e. 2048 bytes).
    pub threshold: usize,
    /// `traditional_compression` (default off): whether messages over the
    /// threshold are compressed whole. Off, only messages of
    /// [`MAX_MESSAGE`] bytes or more are.
    pub traditional: bool,
}

/// heartbeat's `compression_threshold` when not given, in KiB.
pub const DEFAULT_THRESHOLD_KIB: usize = 2;

impl Default for Compression {
    fn default() -> Self {
        Compression {
            method: CompressMethod::Zlib,
            threshold: DEFAULT_THRESHOLD_KIB * 1024,
            traditional: false,
        }
    }
}

impl Compression {
    /// Whether a message of `size` bytes is sent compressed. `size` is the
    /// length of its netstring form without trailer (cluster-glue's
    /// `get_netstringlen`, heartbeat's measure under `msgfmt netstring`;
    /// under `msgfmt classic` it measures the classic text form instead,
    /// a few bytes longer when binary fields are base64-encoded).
    pub fn applies_to(&self, size: usize) -> bool {
        (self.traditional && size > self.threshold) || size >= MAX_MESSAGE
    }
}

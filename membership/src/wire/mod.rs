//! heartbeat 3.x's wire format: netstring messages with two authentication tokens.
//!
//! A datagram is one message: `###\n`, one netstring `LEN:(TYPE)name=value,`
//! per field, `%%%\n`, then the trailer netstring `LEN:N HEX,`. heartbeat
//! 3.0.6 sends this format whatever ha.cf's `msgfmt` says.
//!
//! - [`encode_compressed`] compresses a message whole when ha.cf's
//!   compression settings say so; [`decode`] decompresses any (see `compress`).
//! - [`encode_text`] writes heartbeat's classic text form instead, which is
//!   what its serial plugin writes on a serial line; [`decode`] reads both.
//! - [`WireMessage`] is the generic message: ordered, typed fields.
//! - [`decode`] parses and authenticates a datagram; [`encode`] signs and
//!   serializes a message (see `codec` for what is checked and how).
//! - [`Message::to_wire`](crate::message::Message::to_wire) and
//!   [`Message::from_wire`](crate::message::Message::from_wire) map the typed
//!   messages to fields and back (see `mapping` for the field meanings).

mod classic;
mod codec;
mod compress;
mod error;
mod fields;
mod mapping;
mod netstring;
mod rules;
#[cfg(test)]
mod tests;
mod text;

pub use codec::{encode, encode_with};
pub use compress::{
    encode_compressed, CompressMethod, Compression, DEFAULT_THRESHOLD_KIB, MAX_MESSAGE,
    MAX_UNCOMPRESSED,
};
pub use error::{AuthPart, WireError};
pub use fields::{Field, FieldKind, List, Value, WireMessage};
pub use mapping::forwarding_ttl;
pub use text::encode_text;

/// Parses and authenticates one datagram: a netstring message, or a classic
/// text one (`>>>\n`, see `text`), as heartbeat's `wirefmt2msg` takes both.
///
/// A netstring message's trailer must carry a valid token of a key in
/// `keys`; its `auth` field, if present, too (it is then dropped from the
/// result). A text message must carry a valid `auth` field. A compressed
/// message (see `compress`) yields the message it carries, whatever this
/// node's own `compression`. Every malformed input yields an error saying
/// what and where; none panics.
pub fn decode(datagram: &[u8], keys: &crate::auth::AuthKeys) -> Result<WireMessage, WireError> {
    let msg = if datagram.starts_with(text::START) {
        text::decode(datagram, keys)?
    } else {
        codec::decode_netstring(datagram, keys)?
    };
    compress::expand(msg, keys)
}

impl WireMessage {
    /// The classic rendering the `auth` field signs: one `name=value\n` line
    /// per field, binary values as `(1)name=BASE64`, lists as `(3)name=…`.
    pub fn classic_text(&self) -> Vec<u8> {
        classic::to_bytes(self)
    }
}

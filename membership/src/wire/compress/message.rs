//! Compressed messages: opening one that arrived, and writing one.
//!
//! The original inside a compressed message is read in either of the forms
//! cluster-glue writes there (see the parent module), and written in the
//! netstring form.

use super::{CompressMethod, Compression, ALGORITHM, PAYLOAD};
use crate::auth::AuthKeys;
use crate::wire::codec::{self, check_field_auth};
use crate::wire::error::WireError;
use crate::wire::fields::WireMessage;
use crate::wire::text;

/// `msg` itself, or the message it carries if it is a compressed one
/// (`msg` has already been authenticated).
pub(in crate::wire) fn expand(msg: WireMessage, keys: &AuthKeys) -> Result<WireMessage, WireError> {
    // heartbeat takes a message as compressed when it has a *binary*
    // payload field (cluster-glue's `is_compressed_msg`).
    let Some(payload) = msg.binary(PAYLOAD) else {
        return Ok(msg);
    };
    let name = msg
        .string(ALGORITHM)
        .ok_or(WireError::MissingField(ALGORITHM))?;
    let method = CompressMethod::from_name(name).ok_or_else(|| WireError::UnknownCompression {
        name: name.to_owned(),
    })?;
    let original = method.decompress(payload)?;
    let inner = read_original(&original, keys).map_err(|e| WireError::InCompressed(Box::new(e)))?;
    if inner.binary(PAYLOAD).is_some() {
        return Err(WireError::NestedCompression);
    }
    Ok(inner)
}

/// Reads the original message: the classic text form (with or without its
/// NUL byte) or the netstring form without a trailer. Its `auth` field is
/// checked when present; the outer trailer has authenticated it either way.
fn read_original(data: &[u8], keys: &AuthKeys) -> Result<WireMessage, WireError> {
    if data.starts_with(text::START) {
        let data = data.strip_suffix(b"\0").unwrap_or(data);
        let (msg, auth) = text::parse(data)?;
        if let Some(auth) = auth {
            check_field_auth(&msg, auth.as_bytes(), keys)?;
        }
        return Ok(msg);
    }
    let body = codec::read_body(data)?;
    let rest = data.get(body.end..).unwrap_or_default();
    if !rest.is_empty() && rest != b"\0" {
        return Err(WireError::TrailingBytes { count: rest.len() });
    }
    if let Some(auth) = body.auth {
        check_field_auth(&body.msg, auth, keys)?;
    }
    Ok(body.msg)
}

/// Serializes `msg` signed with the active key of `keys`, compressed whole
/// if `compression` says a message of its size is (see
/// [`Compression::applies_to`]), as heartbeat's `msg2wirefmt` does.
///
/// The original inside is the netstring form without trailer, which is what
/// heartbeat writes there under `msgfmt netstring` and reads under either
/// setting; unlike the classic text form it carries values that hold
/// newlines. Its size is the one compared with the threshold.
pub fn encode_compressed(
    msg: &WireMessage,
    keys: &AuthKeys,
    compression: &Compression,
) -> Result<Vec<u8>, WireError> {
    let index = keys.active;
    let key = keys.active_key().ok_or(WireError::NoActiveKey { index })?;
    let mut original = codec::unsigned_with_auth(msg, index, key);
    if !compression.applies_to(original.len()) {
        codec::push_trailer(&mut original, index, key);
        return Ok(original);
    }
    let mut outer = WireMessage::new();
    outer.push_binary(PAYLOAD, &compression.method.compress(&original))?;
    outer.push_string(ALGORITHM, compression.method.name())?;
    Ok(codec::encode_trailer_only(&outer, index, key))
}

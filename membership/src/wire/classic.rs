//! heartbeat's classic rendering of a message, which the `auth` field signs.
//!
//! One line per field, in order, without the `>>>`/`<<<` lines and without
//! the `auth` field: `name=value\n` for strings, `(1)name=BASE64\n` for binary
//! values (standard alphabet, `=` padding, no line breaks) and
//! `(3)name=LEN:ITEM,…\n` for lists (cluster-glue's `msg2string_buf`).
//!
//! The rendering is streamed into a sink, so signing allocates nothing.

use super::fields::{Value, WireMessage};

/// Feeds the classic rendering of `msg` to `sink`, piece by piece.
pub(crate) fn render(msg: &WireMessage, sink: &mut impl FnMut(&[u8])) {
    for field in msg.fields() {
        match field.value {
            Value::String(text) => {
                sink(field.name.as_bytes());
                sink(b"=");
                sink(text.as_bytes());
            }
            Value::Binary(bytes) => {
                sink(b"(1)");
                sink(field.name.as_bytes());
                sink(b"=");
                base64(bytes, sink);
            }
            Value::List(_) => {
                sink(b"(3)");
                sink(field.name.as_bytes());
                sink(b"=");
                sink(field.value.raw());
            }
        }
        sink(b"\n");
    }
}

/// The classic rendering as one byte string.
pub(crate) fn to_bytes(msg: &WireMessage) -> Vec<u8> {
    let mut out = Vec::new();
    render(msg, &mut |piece| out.extend_from_slice(piece));
    out
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, in pieces of at most 64 characters.
fn base64(data: &[u8], sink: &mut impl FnMut(&[u8])) {
    let mut out = [0u8; 64];
    for chunk in data.chunks(48) {
        let mut len = 0;
        for triple in chunk.chunks(3) {
            let b0 = triple.first().copied().unwrap_or(0);
            let b1 = triple.get(1).copied();
            let b2 = triple.get(2).copied();
            let bits =
                u32::from(b0) << 16 | u32::from(b1.unwrap_or(0)) << 8 | u32::from(b2.unwrap_or(0));
            let sextet = |shift: u32| ALPHABET[((bits >> shift) & 0x3f) as usize];
            out[len] = sextet(18);
            out[len + 1] = sextet(12);
            out[len + 2] = if b1.is_some() { sextet(6) } else { b'=' };
            out[len + 3] = if b2.is_some() { sextet(0) } else { b'=' };
            len += 4;
        }
        sink(&out[..len]);
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn encode(data: &[u8]) -> String {
        let mut out = Vec::new();
        base64(data, &mut |piece| out.extend_from_slice(piece));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn base64_matches_the_standard_engine() {
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for len in 0..data.len() {
            assert_eq!(
                encode(&data[..len]),
                base64::engine::general_purpose::STANDARD.encode(&data[..len]),
                "length {len}"
            );
        }
    }

    #[test]
    fn renders_each_type() {
        let mut msg = WireMessage::new();
        msg.push_string("t", "status").unwrap();
        msg.push_binary("srcuuid", b"E\xbed\xf2\xad\x07Cv\x81\xe3\xb4qs\xcf\xd5\x1d")
            .unwrap();
        msg.push_list("l", ["ab", "c"]).unwrap();
        assert_eq!(
            to_bytes(&msg),
            b"t=status\n(1)srcuuid=Rb5k8q0HQ3aB47Rxc8/VHQ==\n(3)l=2:ab,1:c,\n"
        );
    }
}

//! heartbeat's classic text messages, the form its serial plugin writes.
//!
//! ```text
//! >>>\n  name=value\n  (1)name=BASE64\n  (3)name=LEN:ITEM,…\n  auth=N HEX\n  <<<\n
//! ```
//!
//! The field lines are the classic rendering (`classic`) the `auth` field
//! signs in a netstring message too; the `auth` line comes last, as
//! cluster-glue's `add_msg_auth` appends it, and carries the same token.
//! There is no trailer: the `auth` field is the only signature, so it is
//! required (heartbeat's `isauthentic` refuses a text message without it).

use super::classic;
use super::codec::check_field_auth;
use super::error::{AuthPart, WireError};
use super::fields::{WireMessage, AUTH};
use super::netstring::Reader;
use crate::auth::AuthKeys;

/// The line that opens a text message (cluster-glue's MSG_START).
pub(super) const START: &[u8] = b">>>\n";

/// The line that closes a text message (cluster-glue's MSG_END).
const END: &[u8] = b"<<<\n";

/// `msg` as a text message signed with the active key of `keys`.
pub fn encode_text(msg: &WireMessage, keys: &AuthKeys) -> Result<Vec<u8>, WireError> {
    let index = keys.active;
    let key = keys.active_key().ok_or(WireError::NoActiveKey { index })?;
    let mut out = START.to_vec();
    let mut signer = key.signer();
    classic::render(msg, &mut |piece| {
        signer.update(piece);
        out.extend_from_slice(piece);
    });
    out.extend_from_slice(format!("{AUTH}={index} ").as_bytes());
    out.extend_from_slice(signer.finish().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(END);
    Ok(out)
}

/// Parses and authenticates a text message.
pub(super) fn decode(datagram: &[u8], keys: &AuthKeys) -> Result<WireMessage, WireError> {
    let (msg, auth) = parse(datagram)?;
    let auth = auth.ok_or(WireError::MissingAuth)?;
    check_field_auth(&msg, auth.as_bytes(), keys)?;
    Ok(msg)
}

/// Parses a text message into its fields and its `auth` value, if any.
pub(super) fn parse(datagram: &[u8]) -> Result<(WireMessage, Option<&str>), WireError> {
    let body = datagram
        .strip_prefix(START)
        .ok_or(WireError::NotNetstring)?
        .strip_suffix(END)
        .ok_or(WireError::MissingTextEnd)?;
    let mut msg = WireMessage::new();
    let mut auth = None;
    for (number, line) in body.split(|&b| b == b'\n').enumerate() {
        let number = number + 2;
        if line.is_empty() {
            // Only the empty piece after the last field's newline.
            if number == 2 || body.last() == Some(&b'\n') {
                continue;
            }
        }
        let bad = |problem| WireError::TextLine {
            line: number,
            problem,
        };
        let text = std::str::from_utf8(line).map_err(|_| bad("not UTF-8"))?;
        let (kind, rest) = match text.strip_prefix('(') {
            Some(rest) => {
                let (kind, rest) = rest.split_once(')').ok_or(bad("no ')' after the type"))?;
                (kind, rest)
            }
            None => ("0", text),
        };
        let (name, value) = rest.split_once('=').ok_or(bad("no '=' in the line"))?;
        if name == AUTH {
            if kind != "0" {
                return Err(WireError::BadAuthString {
                    part: AuthPart::Field,
                });
            }
            if auth.replace(value).is_some() {
                return Err(WireError::DuplicateAuth);
            }
            continue;
        }
        match kind {
            "0" => msg.push_string(name, value)?,
            "1" => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .map_err(|_| bad("a binary value that is not base64"))?;
                msg.push_binary(name, &bytes)?;
            }
            "3" => {
                let packed = value.as_bytes();
                let mut reader = Reader::new(packed, 0);
                let mut items = Vec::new();
                while !reader.is_done() {
                    let range = reader.netstring()?;
                    let item = value.get(range).ok_or(bad("a list item is not UTF-8"))?;
                    items.push(item);
                }
                msg.push_list(name, items)?;
            }
            _ => return Err(bad("a field type other than 0, 1 or 3")),
        }
    }
    Ok((msg, auth))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::auth::{AuthKey, AuthMethod};

    fn keys() -> AuthKeys {
        AuthKeys {
            active: 1,
            keys: [(
                1,
                AuthKey {
                    method: AuthMethod::Sha1,
                    secret: b"secret".to_vec(),
                },
            )]
            .into(),
        }
    }

    fn sample() -> WireMessage {
        let mut msg = WireMessage::new();
        msg.push_string("t", "status").unwrap();
        msg.push_string("src", "alpha").unwrap();
        msg.push_binary("srcuuid", &[0, 1, 2, 250]).unwrap();
        msg.push_list("rsc_held", ["web", "db"]).unwrap();
        msg
    }

    #[test]
    fn text_messages_read_back_and_match_the_netstring_form() {
        let keys = keys();
        let text = encode_text(&sample(), &keys).unwrap();
        let shown = String::from_utf8(text.clone()).unwrap();
        assert!(
            shown.starts_with(">>>\nt=status\nsrc=alpha\n(1)srcuuid=AAEC+g==\n"),
            "{shown}"
        );
        assert!(
            shown.contains("\n(3)rsc_held=3:web,2:db,\nauth=1 "),
            "{shown}"
        );
        assert!(shown.ends_with("\n<<<\n"));
        let back = super::super::decode(&text, &keys).unwrap();
        assert_eq!(back.classic_text(), sample().classic_text());
        // The auth token is the netstring form's auth field, byte for byte.
        let netstring = super::super::encode(&sample(), &keys).unwrap();
        let token = shown.lines().find(|l| l.starts_with("auth=")).unwrap();
        let field = format!("(0){token},");
        assert!(
            netstring
                .windows(field.len())
                .any(|w| w == field.as_bytes()),
            "{field}"
        );
    }

    #[test]
    fn unsigned_tampered_and_cut_messages_are_refused() {
        let keys = keys();
        let text = encode_text(&sample(), &keys).unwrap();
        let unsigned = b">>>\nt=status\n<<<\n";
        assert!(matches!(
            decode(unsigned, &keys),
            Err(WireError::MissingAuth)
        ));
        let tampered = String::from_utf8(text.clone())
            .unwrap()
            .replace("src=alpha", "src=alphb");
        assert!(matches!(
            decode(tampered.as_bytes(), &keys),
            Err(WireError::BadToken { index: 1, .. })
        ));
        assert!(matches!(
            decode(&text[..text.len() - 2], &keys),
            Err(WireError::MissingTextEnd)
        ));
        assert!(matches!(
            decode(b">>>\nno equals sign\nauth=1 00\n<<<\n", &keys),
            Err(WireError::TextLine { line: 2, .. })
        ));
    }

    proptest! {
        #[test]
        fn any_bytes_after_the_start_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut datagram = START.to_vec();
            datagram.extend_from_slice(&bytes);
            let _ = decode(&datagram, &keys());
        }
    }
}

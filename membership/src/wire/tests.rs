//! Malformed datagrams: each is refused with an error that says what and where.

use super::*;
use crate::auth::{AuthKeys, AuthMethod};

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha256, b"s3cret")
}

/// `###\n` + `fields` + `%%%\n` with a valid trailer.
fn signed(fields: &[u8]) -> Vec<u8> {
    let mut out = b"###\n".to_vec();
    out.extend_from_slice(fields);
    out.extend_from_slice(b"%%%\n");
    let token = keys().active_key().map(|k| k.token(&out)).unwrap();
    let auth = format!("1 {token}");
    out.extend_from_slice(format!("{}:{auth},", auth.len()).as_bytes());
    out
}

fn error(datagram: &[u8]) -> String {
    decode(datagram, &keys()).unwrap_err().to_string()
}

#[test]
fn a_signed_body_without_auth_field_decodes() {
    let msg = decode(&signed(b"6:(0)t=x,9:(1)b=\x00\x01\xff\n,"), &keys()).unwrap();
    assert_eq!(msg.string("t"), Some("x"));
    assert_eq!(msg.binary("b"), Some(&b"\x00\x01\xff\n"[..]));
}

#[test]
fn framing_errors() {
    assert_eq!(
        error(b"t=status\n"),
        "not a heartbeat netstring message: it does not begin with \"###\\n\""
    );
    // The classic text form is read too, and must be signed.
    assert_eq!(
        error(b">>>\nt=status\n<<<\n"),
        "no auth field: a text message must be signed"
    );
    assert_eq!(
        error(b"###\n6:(0)t=x,"),
        "no \"%%%\\n\" end marker: the datagram ends inside the message"
    );
    assert_eq!(
        error(b"###\n6:(0)t=x,%%%\n"),
        "no authentication trailer after \"%%%\\n\""
    );
    assert_eq!(
        error(b"###\n6:(0)t=x%%%\n"),
        "netstring at byte 4: not terminated by ','"
    );
    assert_eq!(
        error(b"###\n6:(0)t=x,x"),
        "netstring at byte 13: expected a decimal length followed by ':'"
    );
    assert_eq!(
        error(b"###\n4294967296000:(0)t=x,%%%\n"),
        "netstring at byte 4: its length runs past the end of the datagram"
    );
}

#[test]
fn field_errors() {
    assert_eq!(
        error(&signed(b"5:[0]t=,")),
        "field at byte 4: expected \"(TYPE)\" before the name"
    );
    assert_eq!(
        error(&signed(b"6:(x)t=a,")),
        "field at byte 4: expected \"(TYPE)\" before the name"
    );
    assert_eq!(
        error(&signed(b"6:(0)tx_,")),
        "field at byte 4: no '=' after the name"
    );
    assert_eq!(
        error(&signed(b"5:(0)=a,")),
        "field at byte 4: the name is empty"
    );
    assert_eq!(
        error(&signed(b"6:(0)\xff=a,")),
        "field at byte 4: the name is not UTF-8"
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,5:(0)t=,")),
        "field \"t\": the value is empty (heartbeat refuses empty values)"
    );
    assert_eq!(
        error(&signed(b"6:(0)t=\xc3,")),
        "field \"t\": the text is not UTF-8"
    );
    assert_eq!(
        error(&signed(b"7:(0)t=a\0,")),
        "field \"t\": the text contains a NUL byte"
    );
    assert_eq!(
        error(&signed(b"13:(2)m=###\n%%%\n,")),
        "field \"m\": type 2 (a nested message) is not supported"
    );
    assert_eq!(
        error(&signed(b"6:(4)z=x,")),
        "field \"z\": types 4 and 5 (compressed nested messages) are not supported"
    );
    assert_eq!(
        error(&signed(b"6:(7)z=x,")),
        "field \"z\": unknown field type (heartbeat defines 0 to 5)"
    );
    assert_eq!(
        error(&signed(b"8:(3)l=1:a,")),
        "field \"l\": the list is not a sequence of LEN:ITEM, netstrings"
    );
    let msg = decode(&signed(b"14:(3)l=1:a,2:bc,,"), &keys()).unwrap();
    let Some(Value::List(list)) = msg.get("l") else {
        panic!("{msg:?}")
    };
    assert_eq!(list.iter().collect::<Vec<_>>(), ["a", "bc"]);
}

#[test]
fn authentication_errors() {
    let good = signed(b"6:(0)t=x,");
    let trailer_at = 17;
    assert_eq!(&good[13..trailer_at], b"%%%\n");
    assert_eq!(&good[trailer_at..trailer_at + 5], b"66:1 ");
    let mut no_space = good.clone();
    no_space[trailer_at + 4] = b'_';
    assert_eq!(
        error(&no_space),
        "malformed authentication string in the trailer: expected \"N HEX\""
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,12:(0)auth=1 ab,13:(0)auth=1 abc,")),
        "more than one auth field"
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,12:(1)auth=1 ab,")),
        "malformed authentication string in the auth field: expected \"N HEX\""
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,13:(0)auth=1 xyz,")),
        "malformed authentication string in the auth field: expected \"N HEX\""
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,14:(0)auth=300 ab,")),
        "unknown authentication key 300 in the auth field: authkeys does not define it"
    );
    assert_eq!(
        error(&signed(b"6:(0)t=x,12:(0)auth=1 ab,")),
        "bad authentication token for key 1 in the auth field"
    );
    let mut fixed = WireMessage::new();
    fixed.push_string("t", "x").unwrap();
    let good_field = encode(&fixed, &keys()).unwrap();
    assert_eq!(decode(&good_field, &keys()).unwrap(), fixed);
}

#[test]
fn encoding_needs_the_active_key() {
    let mut keys = keys();
    keys.active = 4;
    assert_eq!(
        encode(&WireMessage::new(), &keys).unwrap_err().to_string(),
        "cannot sign: authkeys names key 4 as active (\"auth 4\") but does not define it"
    );
}

#[test]
fn an_empty_message_round_trips() {
    let datagram = encode(&WireMessage::new(), &keys()).unwrap();
    assert!(datagram.starts_with(b"###\n"));
    assert_eq!(decode(&datagram, &keys()).unwrap(), WireMessage::new());
}

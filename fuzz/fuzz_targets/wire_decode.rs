#![no_main]
//! Fuzz target: datagrams through the wire decoder and the typed mapping.
//!
//! Arbitrary bytes almost never carry a valid token, so each input is also
//! tried as a message body with a trailer computed for it: that takes the
//! fields to the parser, the auth-field check and `Message::from_wire`.
//! Whatever decodes must survive encode → decode, and whatever maps must
//! survive to_wire → from_wire.

use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::message::Message;
use ha_membership::wire::{decode, encode};
use libfuzzer_sys::fuzz_target;

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"lab-peers-secret")
}

fn check(datagram: &[u8], keys: &AuthKeys) {
    let Ok(msg) = decode(datagram, keys) else {
        return;
    };
    let again = encode(&msg, keys).expect("the active key exists");
    assert_eq!(decode(&again, keys).as_ref(), Ok(&msg));
    if let Ok(typed) = Message::from_wire(&msg) {
        let wire = typed
            .to_wire(1, 3)
            .expect("a mapped message can be sent again");
        assert_eq!(Message::from_wire(&wire).as_ref(), Ok(&typed));
    }
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    check(data, &keys);

    let fields = data.strip_prefix(b"###\n").unwrap_or(data);
    let fields = match fields.windows(4).position(|w| w == b"%%%\n") {
        Some(end) => &fields[..end],
        None => fields,
    };
    let mut body = b"###\n".to_vec();
    body.extend_from_slice(fields);
    body.extend_from_slice(b"%%%\n");
    let key = keys.active_key().expect("key 1");
    let auth = format!("1 {}", key.token(&body));
    body.extend_from_slice(format!("{}:{auth},", auth.len()).as_bytes());
    check(&body, &keys);
});

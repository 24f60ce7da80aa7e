#![no_main]
//! Fuzz target: a serial byte stream through heartbeat's frame decoder, then
//! each frame through the wire decoder (the text form).
//!
//! The stream is fed in pieces cut where the input's first byte says, and
//! must give the same frames as fed whole; every frame starts with `>>>`
//! and ends with a newline; what decodes as a message survives
//! encode_text → decode.

use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::wire::{decode, encode_text};
use ha_transport::serial::frame::Decoder;
use libfuzzer_sys::fuzz_target;

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"lab-peers-secret")
}

fn frames(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    for piece in pieces {
        decoder.feed(piece, &mut |f| out.push(f.to_vec()));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let whole = frames(&[stream]);
    let step = usize::from(step).max(1);
    let pieces: Vec<&[u8]> = stream.chunks(step).collect();
    assert_eq!(frames(&pieces), whole);
    let keys = keys();
    for frame in &whole {
        assert!(frame.starts_with(b">>>") && frame.ends_with(b"\n"));
        if let Ok(msg) = decode(frame, &keys) {
            let again = encode_text(&msg, &keys).expect("the active key exists");
            assert_eq!(decode(&again, &keys).as_ref(), Ok(&msg));
        }
    }
});

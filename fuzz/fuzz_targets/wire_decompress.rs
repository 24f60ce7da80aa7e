#![no_main]
//! Fuzz target: compressed payloads through the decompressors and the
//! decoder.
//!
//! The first byte picks the method (even: zlib, odd: bz2). The rest is
//! taken three ways: as a compressed payload (decompressed directly, then
//! inside a signed compressed message), and as the original message inside
//! a well-formed compressed one, which takes arbitrary bytes past the
//! decompressor to the inner parsers. Nothing may panic, no output may pass
//! heartbeat's bound, and whatever decodes must survive being compressed
//! again.

use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::wire::{
    decode, encode, encode_compressed, CompressMethod, Compression, WireMessage, MAX_UNCOMPRESSED,
};
use libfuzzer_sys::fuzz_target;

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"lab-peers-secret")
}

/// A signed compressed message carrying `payload` under `method`'s name.
fn compressed(payload: &[u8], method: CompressMethod, keys: &AuthKeys) -> Option<Vec<u8>> {
    let mut outer = WireMessage::new();
    outer.push_binary("_compressed_payload", payload).ok()?;
    outer
        .push_string("_compression_algorithm", method.name())
        .ok()?;
    encode(&outer, keys).ok()
}

fn check(datagram: &[u8], method: CompressMethod, keys: &AuthKeys) {
    let Ok(msg) = decode(datagram, keys) else {
        return;
    };
    let compression = Compression {
        method,
        threshold: 0,
        traditional: true,
    };
    let again = encode_compressed(&msg, keys, &compression).expect("the active key exists");
    assert_eq!(decode(&again, keys).as_ref(), Ok(&msg));
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let method = if selector % 2 == 0 {
        CompressMethod::Zlib
    } else {
        CompressMethod::Bz2
    };
    let keys = keys();
    if let Ok(out) = method.decompress(rest) {
        assert!(out.len() <= MAX_UNCOMPRESSED);
    }
    if let Some(datagram) = compressed(rest, method, &keys) {
        check(&datagram, method, &keys);
    }
    if let Some(datagram) = compressed(&method.compress(rest), method, &keys) {
        check(&datagram, method, &keys);
    }
});

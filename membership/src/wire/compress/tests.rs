//! Compressed messages: what is written, what is read back, and every way a
//! compressed datagram can be wrong.

use proptest::prelude::*;

use super::*;
use crate::auth::{AuthKeys, AuthMethod};
use crate::wire::codec::{encode_trailer_only, unsigned_with_auth};
use crate::wire::{decode, encode, encode_text, WireError, WireMessage};

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"s3cret")
}

/// A status as a node holding `groups` groups sends it.
fn status(groups: usize) -> WireMessage {
    let mut msg = WireMessage::new();
    for (name, value) in [
        ("t", "status"),
        ("st", "active"),
        ("dt", "7d0"),
        ("protocol", "1"),
        ("src", "alpha"),
    ] {
        msg.push_string(name, value).unwrap();
    }
    msg.push_binary("srcuuid", &[0xa5; 16]).unwrap();
    for (name, value) in [
        ("seq", "2a"),
        ("hg", "5f0e1c2d"),
        ("ts", "5f0e1c3a"),
        ("ttl", "3"),
    ] {
        msg.push_string(name, value).unwrap();
    }
    if groups > 0 {
        let held: Vec<String> = (0..groups).map(|n| format!("group-{n:04}")).collect();
        msg.push_string("rsc_held", &held.join("\n")).unwrap();
    }
    msg
}

fn traditional(method: CompressMethod, threshold: usize) -> Compression {
    Compression {
        method,
        threshold,
        traditional: true,
    }
}

/// A datagram carrying `payload` as a compressed message of `algorithm`,
/// signed like heartbeat signs one.
fn outer(payload: &[u8], algorithm: Option<&str>) -> Vec<u8> {
    let mut msg = WireMessage::new();
    msg.push_binary(PAYLOAD, payload).unwrap();
    if let Some(algorithm) = algorithm {
        msg.push_string(ALGORITHM, algorithm).unwrap();
    }
    let keys = keys();
    encode_trailer_only(&msg, 1, keys.active_key().unwrap())
}

fn original(msg: &WireMessage) -> Vec<u8> {
    unsigned_with_auth(msg, 1, keys().active_key().unwrap())
}

#[test]
fn a_message_over_the_threshold_travels_compressed_and_reads_back() {
    let msg = status(200);
    let plain = encode(&msg, &keys()).unwrap();
    for method in CompressMethod::ALL {
        let sent = encode_compressed(&msg, &keys(), &traditional(method, 2048)).unwrap();
        let shown = String::from_utf8_lossy(&sent);
        assert!(shown.starts_with("###\n"), "{shown}");
        assert!(shown.contains(":(1)_compressed_payload="), "{shown}");
        assert!(
            shown.contains(&format!(":(0)_compression_algorithm={method},%%%\n")),
            "{shown}"
        );
        // The outer message keeps nothing of the original, not even an
        // auth field: the trailer signs it.
        assert!(!shown.contains("(0)t="), "{shown}");
        assert!(!shown.contains("(0)auth="), "{shown}");
        assert!(
            sent.len() * 3 < plain.len(),
            "{method}: {} vs {}",
            sent.len(),
            plain.len()
        );
        assert_eq!(decode(&sent, &keys()).unwrap(), msg);
    }
}

#[test]
fn a_message_at_or_under_the_threshold_is_sent_as_it_is() {
    let msg = status(200);
    let size = original(&msg).len();
    let plain = encode(&msg, &keys()).unwrap();
    let at = traditional(CompressMethod::Bz2, size);
    assert_eq!(encode_compressed(&msg, &keys(), &at).unwrap(), plain);
    let under = traditional(CompressMethod::Bz2, size - 1);
    assert_ne!(encode_compressed(&msg, &keys(), &under).unwrap(), plain);
}

#[test]
fn without_traditional_compression_only_a_message_of_maxmsg_is_compressed() {
    let msg = status(200);
    let default = Compression::default();
    assert_eq!(default.threshold, 2048);
    assert_eq!(default.method, CompressMethod::Zlib);
    assert!(!default.traditional);
    assert_eq!(
        encode_compressed(&msg, &keys(), &default).unwrap(),
        encode(&msg, &keys()).unwrap()
    );
    assert!(!default.applies_to(MAX_MESSAGE - 1));
    assert!(default.applies_to(MAX_MESSAGE));
    let huge = status(MAX_MESSAGE / 10);
    let sent = encode_compressed(&huge, &keys(), &default).unwrap();
    assert!(original(&huge).len() >= MAX_MESSAGE);
    assert!(sent.len() * 4 < MAX_MESSAGE, "{}", sent.len());
    assert_eq!(decode(&sent, &keys()).unwrap(), huge);
}

#[test]
fn either_form_of_the_original_is_read() {
    let msg = status(3);
    // The classic text form with its NUL, as heartbeat writes it under
    // `msgfmt classic` (this one holds no newline in its values).
    let mut text = encode_text(&status(1), &keys()).unwrap();
    text.push(0);
    let datagram = outer(&CompressMethod::Zlib.compress(&text), Some("zlib"));
    assert_eq!(decode(&datagram, &keys()).unwrap(), status(1));
    // The netstring form, with and without its auth field.
    let datagram = outer(&CompressMethod::Bz2.compress(&original(&msg)), Some("bz2"));
    assert_eq!(decode(&datagram, &keys()).unwrap(), msg);
    let unsigned = crate::wire::codec::encode_trailer_only(&msg, 1, keys().active_key().unwrap());
    let end = unsigned.windows(4).position(|w| w == b"%%%\n").unwrap() + 4;
    let datagram = outer(&CompressMethod::Bz2.compress(&unsigned[..end]), Some("bz2"));
    assert_eq!(decode(&datagram, &keys()).unwrap(), msg);
}

#[test]
fn a_method_this_node_lacks_is_named() {
    let payload = CompressMethod::Zlib.compress(&original(&status(0)));
    let error = decode(&outer(&payload, Some("lzo")), &keys()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "compressed with 'lzo', which this node cannot decompress (it knows zlib and bz2)"
    );
    assert_eq!(
        decode(&outer(&payload, None), &keys()),
        Err(WireError::MissingField(ALGORITHM))
    );
    // The payload of the other method is not read as this one.
    assert!(matches!(
        decode(&outer(&payload, Some("bz2")), &keys()),
        Err(WireError::BadCompressed { method: "bz2", .. })
    ));
}

#[test]
fn corrupt_and_cut_payloads_are_refused() {
    for method in CompressMethod::ALL {
        let payload = method.compress(&original(&status(50)));
        let cut = &payload[..payload.len() / 2];
        assert_eq!(
            method.decompress(cut).unwrap_err().to_string(),
            format!("{method} payload: the stream ends before its end marker")
        );
        let mut flipped = payload.clone();
        for byte in flipped.iter_mut().skip(2).step_by(7) {
            *byte ^= 0x5a;
        }
        assert!(matches!(
            method.decompress(&flipped),
            Err(WireError::BadCompressed { .. })
        ));
        assert!(matches!(
            method.decompress(b"not compressed at all"),
            Err(WireError::BadCompressed { .. })
        ));
    }
}

#[test]
fn a_payload_that_expands_past_maxuncompressed_is_refused() {
    let zeros = vec![0u8; MAX_UNCOMPRESSED + 1];
    for method in CompressMethod::ALL {
        let bomb = method.compress(&zeros);
        assert!(bomb.len() < 16 * 1024, "{method}: {}", bomb.len());
        assert_eq!(
            method.decompress(&bomb).unwrap_err().to_string(),
            format!(
                "{method} payload: it expands past 2097152 bytes (heartbeat's MAXUNCOMPRESSED)"
            )
        );
        let fits = method.compress(&zeros[..MAX_UNCOMPRESSED]);
        assert_eq!(method.decompress(&fits).unwrap().len(), MAX_UNCOMPRESSED);
    }
    let oversized = vec![1u8; MAX_MESSAGE + 1];
    assert!(matches!(
        CompressMethod::Zlib.decompress(&oversized),
        Err(WireError::BadCompressed { .. })
    ));
}

#[test]
fn the_trailer_covers_the_compressed_bytes_and_the_inner_auth_is_checked() {
    let sent =
        encode_compressed(&status(200), &keys(), &traditional(CompressMethod::Bz2, 1)).unwrap();
    let start = sent.windows(2).position(|w| w == b"=B").unwrap() + 20;
    let mut tampered = sent.clone();
    tampered[start] ^= 1;
    assert!(matches!(
        decode(&tampered, &keys()),
        Err(WireError::BadToken { index: 1, .. })
    ));
    // An original whose auth field does not match its fields.
    let mut forged = original(&status(2));
    let at = forged.windows(5).position(|w| w == b"alpha").unwrap();
    forged[at] = b'A';
    let datagram = outer(&CompressMethod::Zlib.compress(&forged), Some("zlib"));
    assert_eq!(
        decode(&datagram, &keys()).unwrap_err().to_string(),
        "in the decompressed payload: bad authentication token for key 1 in the auth field"
    );
}

#[test]
fn garbage_inside_and_compression_twice_are_refused() {
    let datagram = outer(
        &CompressMethod::Zlib.compress(b"###\n6:(0)t=x,"),
        Some("zlib"),
    );
    assert_eq!(
        decode(&datagram, &keys()).unwrap_err().to_string(),
        "in the decompressed payload: no \"%%%\\n\" end marker: the datagram ends inside the message"
    );
    let mut trailing = original(&status(0));
    trailing.extend_from_slice(b"xy");
    let datagram = outer(&CompressMethod::Zlib.compress(&trailing), Some("zlib"));
    assert_eq!(
        decode(&datagram, &keys()),
        Err(WireError::InCompressed(Box::new(
            WireError::TrailingBytes { count: 2 }
        )))
    );
    let mut inner = WireMessage::new();
    inner.push_binary(PAYLOAD, b"x").unwrap();
    inner.push_string(ALGORITHM, "zlib").unwrap();
    let twice = outer(
        &CompressMethod::Zlib.compress(&original(&inner)),
        Some("zlib"),
    );
    assert_eq!(decode(&twice, &keys()), Err(WireError::NestedCompression));
}

#[test]
fn a_string_payload_field_is_no_compressed_message() {
    // heartbeat looks for a binary field; a string of that name is data.
    let mut msg = status(0);
    msg.push_string(PAYLOAD, "x").unwrap();
    let datagram = encode(&msg, &keys()).unwrap();
    assert_eq!(decode(&datagram, &keys()).unwrap(), msg);
}

fn message() -> impl Strategy<Value = WireMessage> {
    let field = (
        "[a-z][a-z_]{0,10}",
        prop_oneof![
            "[ -~\n]{1,40}".prop_map(|s| (0u8, s.into_bytes())),
            prop::collection::vec(any::<u8>(), 1..40).prop_map(|b| (1u8, b)),
        ],
    );
    prop::collection::vec(field, 1..40).prop_map(|fields| {
        let mut msg = WireMessage::new();
        for (name, (kind, value)) in fields {
            if name == "auth" {
                continue;
            }
            let pushed = match kind {
                0 => msg.push_string(&name, std::str::from_utf8(&value).unwrap_or("x")),
                _ => msg.push_binary(&name, &value),
            };
            pushed.unwrap();
        }
        msg
    })
}

proptest! {
    #[test]
    fn compressed_messages_decode_to_the_original(
        msg in message(),
        bz2 in any::<bool>(),
        threshold in 0usize..4096,
    ) {
        let method = if bz2 { CompressMethod::Bz2 } else { CompressMethod::Zlib };
        let sent = encode_compressed(&msg, &keys(), &traditional(method, threshold)).unwrap();
        let compressed = sent.windows(PAYLOAD.len()).any(|w| w == PAYLOAD.as_bytes());
        prop_assert_eq!(compressed, original(&msg).len() > threshold);
        prop_assert_eq!(decode(&sent, &keys()).unwrap(), msg);
    }

    #[test]
    fn any_payload_decompresses_or_is_refused(
        bytes in prop::collection::vec(any::<u8>(), 1..600),
        bz2 in any::<bool>(),
    ) {
        let method = if bz2 { CompressMethod::Bz2 } else { CompressMethod::Zlib };
        let _ = decode(&outer(&bytes, Some(method.name())), &keys());
        if let Ok(out) = method.decompress(&bytes) {
            prop_assert!(out.len() <= MAX_UNCOMPRESSED);
        }
    }
}

//! The wire codec against real heartbeat 3.0.6 packets (see tests/data).

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod wire_pcap;

use std::collections::BTreeMap;

use ha_membership::auth::{AuthKey, AuthKeys, AuthMethod};
use ha_membership::message::{Header, Message, NodeState, Status};
use ha_membership::wire::{decode, encode, AuthPart, WireError};
use wire_pcap::udp_payloads;

fn keys(active: u8, entries: &[(u8, AuthMethod, &[u8])]) -> AuthKeys {
    AuthKeys {
        active,
        keys: entries
            .iter()
            .map(|&(index, method, secret)| {
                let key = AuthKey {
                    method,
                    secret: secret.to_vec(),
                };
                (index, key)
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

/// The reference capture's authkeys: `auth 1` / `1 sha1 lab-peers-secret`.
fn lab_keys() -> AuthKeys {
    keys(1, &[(1, AuthMethod::Sha1, b"lab-peers-secret")])
}

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    position(haystack, needle).is_some()
}

/// The reference's annotated packet (hb-packet.txt): node-a's first
/// `st=active` status.
fn annotated_status() -> Vec<u8> {
    udp_payloads("hb-capture.pcap")
        .into_iter()
        .find(|p| contains(p, b":(0)t=status,") && contains(p, b"(0)st=active,"))
        .expect("an active status in the capture")
}

/// `body` (from `###\n` through `%%%\n`) with a trailer of `key` as index `index`.
fn sign(body: &[u8], index: u8, key: &AuthKey) -> Vec<u8> {
    let auth = format!("{index} {}", key.token(body));
    let mut out = body.to_vec();
    out.extend_from_slice(format!("{}:{auth},", auth.len()).as_bytes());
    out
}

/// The bytes from `###\n` through `%%%\n`.
fn body(packet: &[u8]) -> &[u8] {
    let end = position(packet, b"%%%\n").expect("an end marker") + 4;
    &packet[..end]
}

#[test]
fn every_packet_of_the_reference_capture_decodes_and_maps() {
    let keys = lab_keys();
    let packets = udp_payloads("hb-capture.pcap");
    assert!(!packets.is_empty());
    let (mut statuses, mut shutdowns) = (0, 0);
    for (i, packet) in packets.iter().enumerate() {
        let msg = decode(packet, &keys).unwrap_or_else(|e| panic!("packet {i}: {e}"));
        assert!(msg.get("auth").is_none(), "packet {i}: auth kept");
        let typed = Message::from_wire(&msg).unwrap_or_else(|e| panic!("packet {i}: {e}"));
        assert_eq!(Some(typed.header().from.as_str()), msg.string("src"));
        assert_eq!(Some(&typed.header().uuid[..]), msg.binary("srcuuid"));
        match &typed {
            Message::Status(status) => {
                statuses += 1;
                assert_eq!(Some(status.state.as_str()), msg.string("st"));
            }
            Message::Shutdown(_) => shutdowns += 1,
            Message::Other { kind, header } => {
                assert_eq!(Some(kind.as_str()), msg.string("t"));
                assert_eq!(header.seq == 0, msg.get("seq").is_none(), "packet {i}");
            }
            Message::GenerationHint { .. } => panic!("packet {i}: heartbeat sent a hint of ours"),
            Message::AskResources { .. } => assert_eq!(msg.string("t"), Some("ask_resources")),
            Message::Takeover { .. } => assert_eq!(msg.string("t"), Some("hb_takeover")),
            Message::Starting(_) => assert_eq!(msg.string("t"), Some("starting")),
            Message::Resources { held, .. } => {
                assert_eq!(msg.string("t"), Some("resource"));
                assert!(
                    ha_membership::machine::heartbeat_peer::Holding::parse(held).is_some(),
                    "packet {i}: rsc_hold={held}"
                );
            }
        }
    }
    let count = |needle: &[u8]| packets.iter().filter(|p| contains(p, needle)).count();
    assert_eq!(statuses, count(b":(0)t=status,"));
    assert_eq!(shutdowns, count(b":(0)t=shutdone,"));
    assert!(statuses > 0 && shutdowns > 0);
}

#[test]
fn re_encoding_reproduces_every_captured_packet_byte_for_byte() {
    let keys = lab_keys();
    for (i, packet) in udp_payloads("hb-capture.pcap").iter().enumerate() {
        let msg = decode(packet, &keys).unwrap();
        let again = encode(&msg, &keys).unwrap();
        assert!(
            again == *packet,
            "packet {i} differs after decode and encode"
        );
    }
}

#[test]
fn the_annotated_status_packet_is_the_typed_status_it_says() {
    let packet = annotated_status();
    assert_eq!(packet.len(), 310);
    let msg = decode(&packet, &lab_keys()).unwrap();
    assert_eq!(
        String::from_utf8(msg.classic_text()).unwrap(),
        "t=status\nst=active\ndt=fa0\nprotocol=1\nsrc=node-a\n\
         (1)srcuuid=Rb5k8q0HQ3aB47Rxc8/VHQ==\nseq=8\nhg=6b0211ff\nts=6b0211ff\n\
         ld=2.52 2.42 1.35 5/128 24580\nttl=3\n"
    );
    let expected = Message::Status(Status {
        header: Header {
            from: "node-a".to_owned(),
            uuid: *b"E\xbed\xf2\xad\x07Cv\x81\xe3\xb4qs\xcf\xd5\x1d",
            generation: 0x6b02_11ff,
            seq: 8,
        },
        state: NodeState::Active,
        deadtime_ms: 4000,
        held: vec![],
        failed: vec![],
        standby: Vec::new(),
        ping_nodes: None,
        lists_groups: false,
    });
    assert_eq!(Message::from_wire(&msg).unwrap(), expected);
}

#[test]
fn both_sha1_tokens_of_the_annotated_packet_are_recomputed() {
    let packet = annotated_status();
    let key = lab_keys().active_key().unwrap().clone();
    let msg = decode(&packet, &lab_keys()).unwrap();
    let inner = key.token(&msg.classic_text());
    let outer = key.token(body(&packet));
    assert_eq!(inner.as_str(), "6242d90e2d6e27e6a889412083a545fdef8273a4");
    assert_eq!(outer.as_str(), "9cc686995df78379e022644f4d7b776b5eb42b98");
    assert!(contains(
        &packet,
        format!("(0)auth=1 {inner},%%%\n").as_bytes()
    ));
    assert!(packet.ends_with(format!("42:1 {outer},").as_bytes()));
}

#[test]
fn a_changed_value_fails_the_trailer_token() {
    let mut packet = annotated_status();
    let at = position(&packet, b"st=active").unwrap() + 3;
    packet[at] = b'A';
    let err = decode(&packet, &lab_keys()).unwrap_err();
    assert_eq!(
        err,
        WireError::BadToken {
            index: 1,
            part: AuthPart::Trailer
        }
    );
    assert_eq!(
        err.to_string(),
        "bad authentication token for key 1 in the trailer"
    );
}

#[test]
fn a_wrong_secret_or_index_is_refused_by_name() {
    let packet = annotated_status();
    let wrong_secret = keys(1, &[(1, AuthMethod::Sha1, b"lab-peers-secreT")]);
    assert_eq!(
        decode(&packet, &wrong_secret).unwrap_err().to_string(),
        "bad authentication token for key 1 in the trailer"
    );
    let wrong_method = keys(1, &[(1, AuthMethod::Md5, b"lab-peers-secret")]);
    assert!(matches!(
        decode(&packet, &wrong_method),
        Err(WireError::BadToken { index: 1, .. })
    ));

    // The same token announced as key 2.
    let trailer = position(&packet, b"%%%\n").unwrap() + 4;
    assert_eq!(&packet[trailer..trailer + 5], b"42:1 ");
    let mut as_key_2 = packet.clone();
    as_key_2[trailer + 3] = b'2';
    assert_eq!(
        decode(&as_key_2, &lab_keys()).unwrap_err(),
        WireError::UnknownKey {
            index: 2,
            part: AuthPart::Trailer
        }
    );
    assert_eq!(
        decode(&as_key_2, &lab_keys()).unwrap_err().to_string(),
        "unknown authentication key 2 in the trailer: authkeys does not define it"
    );
    let two_keys = keys(
        1,
        &[
            (1, AuthMethod::Sha1, b"lab-peers-secret"),
            (2, AuthMethod::Sha1, b"other"),
        ],
    );
    assert_eq!(
        decode(&as_key_2, &two_keys).unwrap_err(),
        WireError::BadToken {
            index: 2,
            part: AuthPart::Trailer
        }
    );
}

#[test]
fn the_auth_field_token_is_checked_too() {
    let packet = annotated_status();
    let key = lab_keys().active_key().unwrap().clone();
    let mut tampered = body(&packet).to_vec();
    let at = position(&tampered, b"(0)auth=1 ").unwrap() + 10;
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    let resigned = sign(&tampered, 1, &key);
    assert_eq!(
        decode(&resigned, &lab_keys()).unwrap_err(),
        WireError::BadToken {
            index: 1,
            part: AuthPart::Field
        }
    );
}

#[test]
fn a_message_without_auth_field_is_accepted_as_heartbeat_accepts_it() {
    // heartbeat with `msgfmt netstring` sends no auth field, and its netstring
    // receive path checks only the trailer.
    let packet = annotated_status();
    let key = lab_keys().active_key().unwrap().clone();
    let body = body(&packet);
    let auth_start = position(body, b"50:(0)auth=").unwrap();
    let mut stripped = body[..auth_start].to_vec();
    stripped.extend_from_slice(b"%%%\n");
    let msg = decode(&sign(&stripped, 1, &key), &lab_keys()).unwrap();
    assert_eq!(msg, decode(&packet, &lab_keys()).unwrap());
}

#[test]
fn every_single_bit_flip_and_every_truncation_is_refused() {
    let packet = annotated_status();
    let keys = lab_keys();
    for at in 0..packet.len() {
        for bit in 0..8 {
            let mut flipped = packet.clone();
            flipped[at] ^= 1 << bit;
            assert!(
                decode(&flipped, &keys).is_err(),
                "flip of bit {bit} at byte {at} accepted"
            );
        }
        assert!(
            decode(&packet[..at], &keys).is_err(),
            "truncation to {at} accepted"
        );
    }
    let mut longer = packet.clone();
    longer.push(b'\n');
    assert_eq!(
        decode(&longer, &keys).unwrap_err(),
        WireError::TrailingBytes { count: 1 }
    );
}

/// The single-node captures: each decodes with its own key only, maps, and
/// re-encodes to the same bytes.
fn check_capture(file: &str, keys: &AuthKeys, wrong: &AuthKeys) {
    let packets = udp_payloads(file);
    assert!(!packets.is_empty(), "{file}");
    let mut kinds = std::collections::BTreeSet::new();
    for (i, packet) in packets.iter().enumerate() {
        let msg = decode(packet, keys).unwrap_or_else(|e| panic!("{file} packet {i}: {e}"));
        kinds.insert(msg.string("t").unwrap().to_owned());
        Message::from_wire(&msg).unwrap_or_else(|e| panic!("{file} packet {i}: {e}"));
        assert!(encode(&msg, keys).unwrap() == *packet, "{file} packet {i}");
        assert!(decode(packet, wrong).is_err(), "{file} packet {i}");
    }
    assert!(
        kinds.contains("status") && kinds.contains("shutdone"),
        "{file}: {kinds:?}"
    );
}

#[test]
fn real_md5_packets() {
    check_capture(
        "hb-md5.pcap",
        &keys(3, &[(3, AuthMethod::Md5, b"lab-md5-secret")]),
        &keys(3, &[(3, AuthMethod::Md5, b"lab-md5-secreT")]),
    );
}

#[test]
fn real_crc_packets() {
    check_capture(
        "hb-crc.pcap",
        &keys(2, &[(2, AuthMethod::Crc, b"")]),
        &keys(2, &[(2, AuthMethod::Sha1, b"")]),
    );
    // crc tokens are written without leading zeros; the capture has some.
    let short = udp_payloads("hb-crc.pcap")
        .iter()
        .filter(|p| {
            let trailer = &p[position(p, b"%%%\n").unwrap() + 4..];
            trailer.len() < "10:2 12345678,".len()
        })
        .count();
    assert!(short > 0);
}

#[test]
fn real_sha1_packets_with_a_secret_longer_than_a_block() {
    let secret = format!("{}long-key-X", "k".repeat(70));
    let good = keys(
        7,
        &[
            (1, AuthMethod::Md5, b"unused-one"),
            (7, AuthMethod::Sha1, secret.as_bytes()),
        ],
    );
    let truncated = keys(7, &[(7, AuthMethod::Sha1, &secret.as_bytes()[..64])]);
    check_capture("hb-sha1-long-key.pcap", &good, &truncated);
}

//! Property tests of the wire codec: what is encoded decodes to the same
//! message, typed messages survive the trip, and no input makes decode panic.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use ha_membership::auth::{AuthKey, AuthKeys, AuthMethod};
use ha_membership::message::{Header, Message, NodeState, Status};
use ha_membership::wire::{decode, encode, WireError, WireMessage};
use proptest::prelude::*;

fn method() -> impl Strategy<Value = AuthMethod> {
    prop_oneof![
        Just(AuthMethod::Crc),
        Just(AuthMethod::Md5),
        Just(AuthMethod::Sha1),
        Just(AuthMethod::Sha256),
    ]
}

fn auth_keys() -> impl Strategy<Value = AuthKeys> {
    (
        any::<u8>(),
        method(),
        prop::collection::vec(any::<u8>(), 0..100),
    )
        .prop_map(|(active, method, secret)| AuthKeys {
            active,
            keys: BTreeMap::from([(active, AuthKey { method, secret })]),
        })
}

fn sha1_keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"fuzz")
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_=()]{0,8}".prop_filter("a name heartbeat accepts", |name| {
        name != "auth" && !name.contains('=')
    })
}

/// Any text heartbeat can carry: non-empty, no NUL.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..24)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("no NUL", |text| !text.contains('\0'))
}

#[derive(Debug, Clone)]
enum Spec {
    String(String, String),
    Binary(String, Vec<u8>),
    List(String, Vec<String>),
}

fn wire_message() -> impl Strategy<Value = WireMessage> {
    let spec = prop_oneof![
        (field_name(), text()).prop_map(|(n, v)| Spec::String(n, v)),
        (field_name(), prop::collection::vec(any::<u8>(), 1..40))
            .prop_map(|(n, v)| Spec::Binary(n, v)),
        (field_name(), prop::collection::vec(text(), 1..4)).prop_map(|(n, v)| Spec::List(n, v)),
    ];
    prop::collection::vec(spec, 0..12).prop_map(|specs| {
        let mut msg = WireMessage::new();
        for spec in specs {
            match spec {
                Spec::String(name, value) => msg.push_string(&name, &value),
                Spec::Binary(name, value) => msg.push_binary(&name, &value),
                Spec::List(name, value) => msg.push_list(&name, &value),
            }
            .expect("the strategy only makes valid fields");
        }
        msg
    })
}

fn header() -> impl Strategy<Value = Header> {
    (
        "[a-z][a-z0-9.-]{0,15}",
        any::<[u8; 16]>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(from, uuid, generation, seq)| Header {
            from,
            uuid,
            generation,
            seq,
        })
}

fn groups() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Za-z0-9:/._ ,=-]{1,24}", 0..4)
}

fn message() -> impl Strategy<Value = Message> {
    let state = prop_oneof![
        Just(NodeState::Init),
        Just(NodeState::Up),
        Just(NodeState::Active),
        Just(NodeState::Dead),
    ];
    prop_oneof![
        (
            header(),
            state,
            any::<u64>(),
            (groups(), groups(), groups()),
            any::<Option<u32>>(),
            any::<bool>()
        )
            .prop_map(
                |(
                    header,
                    state,
                    deadtime_ms,
                    (held, failed, standby),
                    ping_nodes,
                    lists_groups,
                )| {
                    Message::Status(Status {
                        header,
                        state,
                        deadtime_ms,
                        held,
                        failed,
                        standby,
                        ping_nodes,
                        lists_groups,
                    })
                }
            ),
        header().prop_map(Message::Starting),
        (
            header(),
            "none|local|foreign|all",
            any::<bool>(),
            any::<Option<bool>>(),
            proptest::option::of("standby|shutdown|mach_down|req_our_resources\\(\\)")
        )
            .prop_map(|(header, held, full, stable, info)| Message::Resources {
                header,
                held,
                full,
                stable,
                info,
            }),
        (header(), "all|local|foreign", "me|other|done").prop_map(|(header, resources, info)| {
            Message::AskResources {
                header,
                resources,
                info,
            }
        }),
        (header(), "all|local|foreign|failback")
            .prop_map(|(header, resources)| Message::Takeover { header, resources }),
        header().prop_map(Message::Shutdown),
        (header(), "[a-z0-9-]{1,12}", any::<u64>())
            .prop_map(|(header, to, known)| { Message::GenerationHint { header, to, known } }),
        (header(), "(NS_)?[a-z_-]{1,12}")
            .prop_filter("not a mapped type", |(_, kind)| {
                ![
                    "status",
                    "shutdone",
                    "ha_genhint",
                    "ask_resources",
                    "hb_takeover",
                ]
                .contains(&kind.as_str())
            })
            .prop_map(|(header, kind)| Message::Other { header, kind }),
    ]
}

proptest! {
    #[test]
    fn encoded_messages_decode_to_themselves(msg in wire_message(), keys in auth_keys()) {
        let datagram = encode(&msg, &keys).unwrap();
        prop_assert_eq!(decode(&datagram, &keys).unwrap(), msg);
    }

    #[test]
    fn typed_messages_survive_the_wire(
        message in message(),
        wall_clock in any::<u64>(),
        ttl in any::<u32>(),
        keys in auth_keys(),
    ) {
        let wire = message.to_wire(wall_clock, ttl).unwrap();
        let datagram = encode(&wire, &keys).unwrap();
        let decoded = decode(&datagram, &keys).unwrap();
        let ttl_text = ttl.to_string();
        prop_assert_eq!(decoded.string("ttl"), Some(ttl_text.as_str()));
        prop_assert_eq!(Message::from_wire(&decoded).unwrap(), message);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let keys = sha1_keys();
        let _ = decode(&bytes, &keys);
        // Sign whatever body was given, so the field parser and the mapping
        // see it too.
        let mut body = b"###\n".to_vec();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"%%%\n");
        let key = keys.active_key().unwrap();
        let auth = format!("1 {}", key.token(&body));
        body.extend_from_slice(format!("{}:{auth},", auth.len()).as_bytes());
        if let Ok(msg) = decode(&body, &keys) {
            let _ = Message::from_wire(&msg);
        }
    }

    #[test]
    fn altered_datagrams_are_refused(
        msg in wire_message(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let keys = sha1_keys();
        let mut datagram = encode(&msg, &keys).unwrap();
        let at = at.index(datagram.len());
        datagram[at] ^= xor;
        prop_assert!(decode(&datagram, &keys).is_err());
    }
}

#[test]
fn to_wire_refuses_names_that_cannot_travel() {
    let header = Header {
        from: "node-a".to_owned(),
        uuid: [7; 16],
        generation: 1,
        seq: 1,
    };
    let status = |held: Vec<String>, from: &str| {
        Message::Status(Status {
            header: Header {
                from: from.to_owned(),
                ..header.clone()
            },
            state: NodeState::Up,
            deadtime_ms: 2000,
            held,
            failed: vec![],
            standby: Vec::new(),
            ping_nodes: None,
            lists_groups: true,
        })
    };
    let err = status(vec!["a\nb".to_owned()], "node-a")
        .to_wire(1, 3)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "field \"rsc_held\": a group name is empty or contains a newline"
    );
    assert!(status(vec![String::new()], "node-a").to_wire(1, 3).is_err());
    assert!(matches!(
        status(vec![], "").to_wire(1, 3),
        Err(WireError::FieldValue { ref name, .. }) if name == "src"
    ));
    let other = Message::Other {
        header,
        kind: "status".to_owned(),
    };
    assert!(other.to_wire(1, 3).is_err());
}

#[test]
fn status_fields_are_in_heartbeats_order_and_units() {
    let message = Message::Status(Status {
        header: Header {
            from: "node-b".to_owned(),
            uuid: [0xab; 16],
            generation: 0x6b02_1200,
            seq: 26,
        },
        state: NodeState::Active,
        deadtime_ms: 2000,
        held: vec!["ip".to_owned(), "web".to_owned()],
        failed: vec!["db".to_owned()],
        standby: Vec::new(),
        ping_nodes: Some(2),
        lists_groups: true,
    });
    let wire = message.to_wire(0, 3).unwrap();
    let text = String::from_utf8(wire.classic_text()).unwrap();
    assert_eq!(
        text,
        format!(
            "t=status\nst=active\ndt=7d0\nsrc=node-b\n(1)srcuuid={}\n\
             seq=1a\nhg=6b021200\nts=1\nrsc_held=ip\nweb\nrsc_failed=db\nnum_ping=2\nrsc_lists=1\nttl=3\n",
            "q6urq6urq6urq6urq6urqw=="
        )
    );
    let shutdown = Message::Shutdown(message.header().clone());
    let names: Vec<_> = shutdown
        .to_wire(0x6b02_1231, 3)
        .unwrap()
        .fields()
        .map(|f| f.name.to_owned())
        .collect();
    assert_eq!(
        names,
        ["t", "st", "src", "srcuuid", "seq", "hg", "ts", "ttl"]
    );
}

#[test]
fn from_wire_names_the_missing_or_malformed_field() {
    let good = Message::Status(Status {
        header: Header {
            from: "node-a".to_owned(),
            uuid: [1; 16],
            generation: 5,
            seq: 9,
        },
        state: NodeState::Up,
        deadtime_ms: 4000,
        held: vec![],
        failed: vec![],
        standby: Vec::new(),
        ping_nodes: None,
        lists_groups: true,
    })
    .to_wire(100, 3)
    .unwrap();
    let without = |name: &str| {
        let mut msg = good.clone();
        assert!(msg.remove(name));
        Message::from_wire(&msg).unwrap_err().to_string()
    };
    for name in ["t", "src", "srcuuid", "seq", "hg", "st", "dt"] {
        assert_eq!(without(name), format!("missing field \"{name}\""));
    }
    let replaced = |name: &str, value: &str| {
        let mut msg = WireMessage::new();
        for field in good.fields().filter(|f| f.name != name) {
            msg.push(field).unwrap();
        }
        msg.push_string(name, value).unwrap();
        Message::from_wire(&msg).unwrap_err().to_string()
    };
    assert_eq!(
        replaced("seq", "12g"),
        "malformed field \"seq\": expected 1 to 16 hex digits"
    );
    assert_eq!(
        replaced("hg", "11112222333344445"),
        "malformed field \"hg\": expected 1 to 16 hex digits"
    );
    assert_eq!(
        replaced("st", "sleeping"),
        "malformed field \"st\": not a node state (init, up, active, dead)"
    );
    assert_eq!(
        replaced("srcuuid", "not binary"),
        "malformed field \"srcuuid\": expected 16 raw bytes (type 1)"
    );
    assert_eq!(
        replaced("rsc_held", "a\n\nb"),
        "malformed field \"rsc_held\": an empty group name"
    );
    assert_eq!(
        replaced("num_ping", "-1"),
        "malformed field \"num_ping\": expected a decimal count"
    );
    // Neither ts nor ttl is needed; protocol is informational.
    let mut msg = good.clone();
    for name in ["ts", "ttl", "protocol"] {
        msg.remove(name);
    }
    assert!(Message::from_wire(&msg).is_ok());
}

use super::*;
use proptest::prelude::*;

/// Hex bytes as printed by tcpdump's `-x` lines or as one hex string.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b - b'A' + 10,
        })
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The IPv4 packets of the tcpdump capture: each `0x....:` block.
fn tcpdump_packets(text: &str) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("0x") {
            let (offset, bytes) = rest.split_once(':').unwrap_or(("", ""));
            if offset == "0000" {
                packets.push(Vec::new());
            }
            if let Some(last) = packets.last_mut() {
                last.extend(hex(bytes));
            }
        }
    }
    packets
}

#[test]
fn keepalived_2_2_7_v2_and_v3_adverts_from_the_reference_capture_decode() {
    let text = include_str!("testdata/keepalived-2.2.7-adverts.txt");
    let packets = tcpdump_packets(text);
    assert_eq!(packets.len(), 6);
    let mut versions = Vec::new();
    for packet in &packets {
        let (header, advert) = decode_ipv4(packet, false).expect("keepalived's advert decodes");
        assert_eq!(header.ttl, VRRP_TTL);
        assert_eq!(header.source, Ipv4Addr::new(10, 77, 0, 1));
        assert_eq!(header.destination, MULTICAST_V4);
        assert_eq!(advert.vrid, 77);
        assert_eq!(advert.priority, 100);
        assert_eq!(advert.auth, Auth::None);
        assert_eq!(
            advert.addresses,
            Addresses::V4(vec![Ipv4Addr::new(10, 77, 0, 100)])
        );
        versions.push(advert.version);
        match advert.version {
            Version::V2 => assert_eq!(advert.interval(), Duration::from_secs(1)),
            Version::V3 => assert_eq!(advert.interval(), Duration::from_millis(100)),
        }
        // Encoding what was decoded gives keepalived's bytes back.
        let mode = Checksum::PseudoHeader {
            source: IpAddr::V4(header.source),
            destination: IpAddr::V4(header.destination),
        };
        assert_eq!(advert.encode(&mode).expect("encodes"), packet[20..]);
    }
    assert_eq!(versions.iter().filter(|v| **v == Version::V2).count(), 3);
    assert_eq!(versions.iter().filter(|v| **v == Version::V3).count(), 3);
}

#[test]
fn keepalived_2_2_7_pass_authentication_and_ipv6_v3_decode() {
    let text = include_str!("testdata/keepalived-2.2.7-pass-and-ipv6.txt");
    let mut seen = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [family, source, destination, ttl, bytes] = fields[..] else {
            panic!("five fields in {line:?}");
        };
        let bytes = hex(bytes);
        let source: IpAddr = source.parse().expect("source");
        let destination: IpAddr = destination.parse().expect("destination");
        assert_eq!(ttl, "255");
        let mode = Checksum::PseudoHeader {
            source,
            destination,
        };
        let (advert, message) = if family == "v4" {
            let (header, advert) = decode_ipv4(&bytes, false).expect("decodes");
            assert_eq!(IpAddr::V4(header.source), source);
            (advert, bytes[20..].to_vec())
        } else {
            (decode(&bytes, Family::Ipv6, &mode).expect("decodes"), bytes)
        };
        match advert.version {
            Version::V2 => {
                assert_eq!(advert.vrid, 51);
                assert_eq!(advert.priority, 150);
                assert_eq!(advert.interval(), Duration::from_secs(2));
                assert_eq!(advert.auth, Auth::pass(b"1111"));
                assert_eq!(
                    advert.addresses.to_ip_addrs(),
                    ["10.88.0.100", "10.88.0.101"].map(|a| a.parse::<IpAddr>().expect("address"))
                );
            }
            Version::V3 => {
                assert_eq!(advert.vrid, 52);
                assert_eq!(advert.priority, 120);
                assert_eq!(advert.interval(), Duration::from_millis(500));
                assert_eq!(
                    advert.addresses.to_ip_addrs(),
                    ["fe80::52", "2001:db8::52"].map(|a| a.parse::<IpAddr>().expect("address"))
                );
            }
        }
        assert_eq!(advert.encode(&mode).expect("encodes"), message);
        seen += 1;
    }
    assert_eq!(seen, 2);
}

fn sample_v3() -> Advert {
    Advert {
        version: Version::V3,
        vrid: 77,
        priority: 100,
        interval: 10,
        auth: Auth::None,
        addresses: Addresses::V4(vec![Ipv4Addr::new(10, 77, 0, 100)]),
    }
}

fn pseudo() -> Checksum {
    Checksum::PseudoHeader {
        source: IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1)),
        destination: IpAddr::V4(MULTICAST_V4),
    }
}

#[test]
fn typed_errors_for_version_type_length_and_checksum() {
    let good = sample_v3().encode(&pseudo()).expect("encodes");
    assert_eq!(
        decode(&good[..5], Family::Ipv4, &pseudo()),
        Err(DecodeError::TooShort { len: 5 })
    );
    let mut bad = good.clone();
    bad[0] = 0x41;
    assert_eq!(
        decode(&bad, Family::Ipv4, &pseudo()),
        Err(DecodeError::Version(4))
    );
    bad[0] = 0x32;
    assert_eq!(
        decode(&bad, Family::Ipv4, &pseudo()),
        Err(DecodeError::Type(2))
    );
    assert_eq!(
        decode(&good[..11], Family::Ipv4, &pseudo()),
        Err(DecodeError::Length {
            expected: 12,
            actual: 11
        })
    );
    let mut bad = good.clone();
    bad[2] = 101;
    assert!(matches!(
        decode(&bad, Family::Ipv4, &pseudo()),
        Err(DecodeError::Checksum { .. })
    ));
    // The same bytes under another destination fail the pseudo-header sum,
    // and keepalived's v3_checksum_as_v2 sum differs from the RFC's.
    let unicast = Checksum::PseudoHeader {
        source: IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1)),
        destination: IpAddr::V4(Ipv4Addr::new(10, 77, 0, 2)),
    };
    assert!(decode(&good, Family::Ipv4, &unicast).is_err());
    assert!(decode(&good, Family::Ipv4, &Checksum::MessageOnly).is_err());
    let as_v2 = sample_v3().encode(&Checksum::MessageOnly).expect("encodes");
    assert_eq!(
        decode(&as_v2, Family::Ipv4, &Checksum::MessageOnly),
        Ok(sample_v3())
    );
    // VRRPv2 over IPv6 does not exist.
    let mut v2 = sample_v3();
    v2.version = Version::V2;
    v2.interval = 1;
    let bytes = v2.encode(&Checksum::MessageOnly).expect("encodes");
    assert_eq!(
        decode(&bytes, Family::Ipv6, &Checksum::MessageOnly),
        Err(DecodeError::V2OverIpv6)
    );
}

#[test]
fn ipv4_header_errors_are_typed() {
    assert!(matches!(
        decode_ipv4(&[0x45], false),
        Err(DecodeError::Ipv4(_))
    ));
    let mut packet =
        hex("45c0 0020 0001 0000 ff70 d04c 0a4d 0001 e000 0012 314d 6401 000a 7519 0a4d 0064");
    assert!(decode_ipv4(&packet, false).is_ok());
    packet[9] = 6;
    assert_eq!(decode_ipv4(&packet, false), Err(DecodeError::Protocol(6)));
    packet[9] = 112;
    packet[3] = 0x21;
    assert!(matches!(
        decode_ipv4(&packet, false),
        Err(DecodeError::Ipv4(_))
    ));
}

#[test]
fn encoding_refuses_what_the_wire_cannot_carry() {
    let mut advert = sample_v3();
    advert.interval = MAX_V3_INTERVAL + 1;
    assert!(matches!(
        advert.encode(&pseudo()),
        Err(EncodeError::Interval { .. })
    ));
    let mut advert = sample_v3();
    advert.auth = Auth::pass(b"secret");
    assert_eq!(advert.encode(&pseudo()), Err(EncodeError::AuthOnV3));
    let mut advert = sample_v3();
    advert.addresses = Addresses::V4(vec![Ipv4Addr::LOCALHOST; 256]);
    assert_eq!(
        advert.encode(&pseudo()),
        Err(EncodeError::TooManyAddresses(256))
    );
    let mut advert = sample_v3();
    advert.addresses = Addresses::V6(vec![Ipv6Addr::LOCALHOST]);
    assert_eq!(
        advert.encode(&pseudo()),
        Err(EncodeError::PseudoHeaderFamily)
    );
    advert.version = Version::V2;
    assert_eq!(advert.encode(&pseudo()), Err(EncodeError::V2OverIpv6));
    assert_eq!(Auth::pass(b"0123456789"), Auth::Pass(*b"01234567"));
}

fn arb_advert() -> impl Strategy<Value = (Advert, Checksum)> {
    let v4 = prop::collection::vec(any::<[u8; 4]>(), 0..20)
        .prop_map(|l| Addresses::V4(l.into_iter().map(Ipv4Addr::from).collect()));
    let v6 = prop::collection::vec(any::<[u8; 16]>(), 0..20)
        .prop_map(|l| Addresses::V6(l.into_iter().map(Ipv6Addr::from).collect()));
    let auth = prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Pass),
        (2u8.., any::<[u8; 8]>()).prop_map(|(kind, data)| Auth::Other { kind, data }),
    ];
    (
        any::<bool>(),
        prop_oneof![v4, v6],
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        auth,
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<bool>(),
    )
        .prop_map(
            |(v3, addresses, vrid, priority, interval, auth, s, d, message_only)| {
                let family = addresses.family();
                let v3 = v3 || family == Family::Ipv6;
                let (version, interval, auth) = if v3 {
                    (Version::V3, interval & MAX_V3_INTERVAL, Auth::None)
                } else {
                    (Version::V2, interval & 0xff, auth)
                };
                let checksum = if message_only {
                    Checksum::MessageOnly
                } else if family == Family::Ipv4 {
                    Checksum::PseudoHeader {
                        source: IpAddr::V4(Ipv4Addr::new(s[0], s[1], s[2], s[3])),
                        destination: IpAddr::V4(Ipv4Addr::new(d[0], d[1], d[2], d[3])),
                    }
                } else {
                    Checksum::PseudoHeader {
                        source: IpAddr::V6(Ipv6Addr::from(s)),
                        destination: IpAddr::V6(Ipv6Addr::from(d)),
                    }
                };
                let advert = Advert {
                    version,
                    vrid,
                    priority,
                    interval,
                    auth,
                    addresses,
                };
                (advert, checksum)
            },
        )
}

proptest! {
    #[test]
    fn every_advert_survives_encode_then_decode((advert, checksum) in arb_advert()) {
        let bytes = advert.encode(&checksum).expect("encodable by construction");
        prop_assert_eq!(bytes.len(), advert.encoded_len());
        prop_assert_eq!(decode(&bytes, advert.addresses.family(), &checksum), Ok(advert));
    }

    #[test]
    fn any_bytes_decode_or_fail_without_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..120),
        ipv6 in any::<bool>(),
    ) {
        let family = if ipv6 { Family::Ipv6 } else { Family::Ipv4 };
        if let Ok(advert) = decode(&bytes, family, &Checksum::MessageOnly) {
            let again = advert.encode(&Checksum::MessageOnly).expect("decoded adverts encode");
            prop_assert_eq!(decode(&again, family, &Checksum::MessageOnly), Ok(advert));
        }
        let _ = decode_ipv4(&bytes, ipv6);
    }

    /// A message with a valid checksum but otherwise random content
    /// (version and type forced) decodes; this reaches past the checksum.
    #[test]
    fn random_bodies_with_a_right_checksum_decode(
        body in prop::collection::vec(any::<u8>(), 0..60),
        vrid in any::<u8>(),
    ) {
        let count = body.len() / 4;
        let mut bytes = vec![0x31, vrid, 100, u8::try_from(count).unwrap_or(0), 0, 100, 0, 0];
        bytes.extend(&body[..count * 4]);
        let sum = checksum(&bytes);
        bytes[6..8].copy_from_slice(&sum.to_be_bytes());
        let advert = decode(&bytes, Family::Ipv4, &Checksum::MessageOnly);
        prop_assert!(advert.is_ok());
        prop_assert_eq!(advert.map(|a| a.addresses.len()), Ok(count));
    }
}

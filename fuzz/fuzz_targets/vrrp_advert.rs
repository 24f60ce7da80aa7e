#![no_main]
//! Fuzz target: VRRP adverts through the decoder.
//!
//! Any bytes, as an IPv4 packet and as a bare VRRP message over IPv4 and
//! IPv6, must decode or fail with a typed error, never panic; whatever
//! decodes must encode and decode back to the same advert. Each input is
//! also tried with its checksum made right, which takes it past the sum.

use ha_vrrp::packet::{decode, decode_ipv4, Checksum, Family};
use libfuzzer_sys::fuzz_target;

fn round_trip(bytes: &[u8], family: Family) {
    if let Ok(advert) = decode(bytes, family, &Checksum::MessageOnly) {
        let again = advert
            .encode(&Checksum::MessageOnly)
            .expect("a decoded advert encodes");
        assert_eq!(decode(&again, family, &Checksum::MessageOnly), Ok(advert));
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = decode_ipv4(data, false);
    let _ = decode_ipv4(data, true);
    for family in [Family::Ipv4, Family::Ipv6] {
        round_trip(data, family);
        if data.len() >= 8 {
            let mut fixed = data.to_vec();
            fixed[6] = 0;
            fixed[7] = 0;
            let sum = ha_net::checksum::checksum(&fixed);
            fixed[6..8].copy_from_slice(&sum.to_be_bytes());
            round_trip(&fixed, family);
        }
    }
});

//! The internet checksum (RFC 1071): the ones' complement of the
//! ones'-complement sum of the data's 16-bit big-endian words, as ICMP,
//! IPv4 and VRRP carry it. Data that already holds its checksum sums to 0.

/// The internet checksum of `data`; an odd last byte counts as the high
/// byte of a word whose low byte is zero.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => u32::from(u16::from_be_bytes([*hi, *lo])),
            [hi] => u32::from(u16::from_be_bytes([*hi, 0])),
            _ => 0,
        })
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_1071_example_and_an_odd_length() {
        // RFC 1071 section 3: these words sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
        assert_eq!(checksum(&[0x12]), !0x1200);
        assert_eq!(checksum(&[]), 0xffff);
    }
}

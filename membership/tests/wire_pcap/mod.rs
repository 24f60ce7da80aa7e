//! A minimal pcap reader for the wire tests: the UDP payloads of the IPv4
//! Ethernet frames in a capture file of `tests/data`.

use std::path::PathBuf;

/// The path of a file in `tests/data`.
pub fn data_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Every UDP payload in the capture, in order.
pub fn udp_payloads(name: &str) -> Vec<Vec<u8>> {
    let path = data_file(name);
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (header, mut records) = file.split_at(24);
    let magic = u32::from_le_bytes(header[..4].try_into().unwrap());
    assert!(
        magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d,
        "{}: not a little-endian pcap file",
        path.display()
    );
    let linktype = u32::from_le_bytes(header[20..24].try_into().unwrap());
    assert_eq!(linktype, 1, "{}: not Ethernet", path.display());
    let mut payloads = Vec::new();
    while !records.is_empty() {
        let captured = u32::from_le_bytes(records[8..12].try_into().unwrap()) as usize;
        let frame = &records[16..16 + captured];
        records = &records[16 + captured..];
        assert_eq!(&frame[12..14], &[0x08, 0x00], "not IPv4");
        let ip = &frame[14..];
        assert_eq!(ip[9], 17, "not UDP");
        let header_len = usize::from(ip[0] & 0x0f) * 4;
        let udp = &ip[header_len..];
        let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        payloads.push(udp[8..udp_len].to_vec());
    }
    payloads
}

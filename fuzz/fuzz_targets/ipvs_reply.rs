#![no_main]
//! Fuzz target: bytes through the IPVS netlink reply decoder.
//!
//! Each input is read twice: as raw datagram bytes (netlink framing, acks,
//! errors, dump ends) and, to reach the attribute decoders quickly, as the
//! attributes of a well-framed generic-netlink reply whose command is picked
//! by the first byte (service, real server, sync daemon, timeouts, info).
//! Decoding may fail but must never panic, and it must consume what it is
//! given: every message reports its own result.

use ha_ipvs::netlink::decode::Replies;
use ha_ipvs::AddressFamily;
use libfuzzer_sys::fuzz_target;

/// Commands the kernel answers with (`IPVS_CMD_NEW_SERVICE`, `NEW_DEST`,
/// `NEW_DAEMON`, `SET_CONFIG`, `SET_INFO`) and one it never sends.
const COMMANDS: [u8; 6] = [1, 5, 9, 12, 14, 3];

fn decode_all(bytes: &[u8]) {
    for af in [AddressFamily::Inet, AddressFamily::Inet6] {
        let mut count = 0usize;
        for message in Replies::new(bytes, af) {
            count += 1;
            // Every message header is 16 bytes: no more messages than that.
            assert!(count <= bytes.len() / 16 + 1);
            let _ = message;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    decode_all(data);
    let Some((&selector, attrs)) = data.split_first() else {
        return;
    };
    let command = COMMANDS[usize::from(selector) % COMMANDS.len()];
    let len = 20 + attrs.len();
    let Ok(len32) = u32::try_from(len) else {
        return;
    };
    let mut framed = Vec::with_capacity(len);
    framed.extend_from_slice(&len32.to_ne_bytes());
    framed.extend_from_slice(&0x1du16.to_ne_bytes());
    framed.extend_from_slice(&2u16.to_ne_bytes());
    framed.extend_from_slice(&1u32.to_ne_bytes());
    framed.extend_from_slice(&0u32.to_ne_bytes());
    framed.extend_from_slice(&[command, 1, 0, 0]);
    framed.extend_from_slice(attrs);
    decode_all(&framed);
});

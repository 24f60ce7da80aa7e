//! What compression costs a node: encoding and decoding one status
//! message of a node holding 40 resource groups (1.4 KB on the wire
//! uncompressed), plainly and compressed whole with zlib and bz2 as
//! heartbeat's traditional compression does. It also prints the sizes,
//! and those of a one-group status forced through compression.
//!
//! ```text
//! cargo bench -p ha-benches --bench wire_compression
//! ```

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ha_membership::auth::{AuthKeys, AuthMethod};
use ha_membership::wire::{
    decode, encode, encode_compressed, CompressMethod, Compression, WireMessage,
};

fn keys() -> AuthKeys {
    AuthKeys::single(AuthMethod::Sha1, b"bench-secret")
}

fn status(groups: usize) -> WireMessage {
    let mut msg = WireMessage::new();
    for (name, value) in [
        ("t", "status"),
        ("st", "active"),
        ("dt", "1f4"),
        ("src", "node-b"),
    ] {
        msg.push_string(name, value).unwrap();
    }
    msg.push_binary("srcuuid", &[0x5a; 16]).unwrap();
    for (name, value) in [("seq", "2a"), ("hg", "1"), ("ts", "6b1742c7"), ("ttl", "3")] {
        msg.push_string(name, value).unwrap();
    }
    let held: Vec<String> = (0..groups.max(1))
        .map(|n| format!("compression-probe-service-{n:02}"))
        .collect();
    msg.push_string("rsc_held", &held.join("\n")).unwrap();
    msg
}

fn traditional_at(method: CompressMethod, threshold: usize) -> Compression {
    Compression {
        method,
        threshold,
        traditional: true,
    }
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let small = status(1);
    let msg = status(40);
    let plain = encode(&msg, &keys).unwrap();
    let mut group = c.benchmark_group("status-40-groups");
    group.bench_function("encode/plain", |b| {
        b.iter(|| encode(black_box(&msg), &keys))
    });
    group.bench_function("decode/plain", |b| {
        b.iter(|| decode(black_box(&plain), &keys))
    });
    for method in CompressMethod::ALL {
        let compression = traditional_at(method, 1024);
        let sent = encode_compressed(&msg, &keys, &compression).unwrap();
        let small_sent = encode_compressed(&small, &keys, &traditional_at(method, 0)).unwrap();
        eprintln!(
            "{method}: 40 groups {} bytes -> {} bytes; 1 group {} bytes -> {} bytes",
            plain.len(),
            sent.len(),
            encode(&small, &keys).unwrap().len(),
            small_sent.len()
        );
        group.bench_function(format!("encode/{method}"), |b| {
            b.iter(|| encode_compressed(black_box(&msg), &keys, &compression))
        });
        group.bench_function(format!("decode/{method}"), |b| {
            b.iter(|| decode(black_box(&sent), &keys))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

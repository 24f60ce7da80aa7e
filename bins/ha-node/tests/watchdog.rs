//! End to end: ha.cf's `watchdog` with a FIFO in place of the device. A
//! reader sees one keep-alive byte per keepalive while the node runs; none
//! while the node is frozen (SIGSTOP, as a hung host), so a real watchdog
//! would reboot it; the bytes again once it is thawed; and heartbeat's
//! magic close `V` last when the node stops. Needs root.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{cluster, outputs, start_both, BINARY, MS};
use ha_lab::cluster::{ClusterSpec, Node};

/// What the reader saw: each byte with the time it was read.
type Seen = Arc<Mutex<Vec<(Instant, u8)>>>;

/// Reads the FIFO until told to stop, recording every byte.
fn reader(mut fifo: File, seen: Seen, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::SeqCst) {
            match fifo.read(&mut buf) {
                Ok(0) => std::thread::sleep(MS),
                Ok(n) => {
                    let now = Instant::now();
                    seen.lock()
                        .unwrap()
                        .extend(buf[..n].iter().map(|b| (now, *b)));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(MS),
                Err(e) => panic!("reading the FIFO: {e}"),
            }
        }
    })
}

/// The keep-alive bytes read between `from` and `to`.
fn keepalives(seen: &Seen, from: Instant, to: Instant) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(at, byte)| *byte == 0 && *at >= from && *at < to)
        .count()
}

#[test]
fn the_watchdog_is_written_every_keepalive_stops_when_the_node_freezes_and_closes_with_v() {
    let mut cluster = cluster("hn-watchdog", ClusterSpec::fast(BINARY));
    let fifo_path = cluster.node_dir(Node::A).join("watchdog");
    nix::unistd::mkfifo(&fifo_path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    // The reading end first, so that the node's open finds a reader.
    let fifo = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(&fifo_path)
        .unwrap();
    let seen: Seen = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let reading = reader(fifo, seen.clone(), stop.clone());
    let ha_cf = cluster.config_dir(Node::A).join("ha.cf");
    let mut text = fs::read_to_string(&ha_cf).unwrap();
    text.push_str(&format!("watchdog {}\n", fifo_path.display()));
    fs::write(&ha_cf, text).unwrap();
    start_both(&mut cluster);

    // Running: one byte per keepalive (100 ms).
    let window = Duration::from_secs(3);
    let began = Instant::now();
    std::thread::sleep(window);
    let running = keepalives(&seen, began, Instant::now());

    // Frozen: nothing (a byte the node wrote just before is let through).
    cluster.freeze(Node::A).unwrap();
    let frozen_at = Instant::now();
    std::thread::sleep(window);
    let frozen = keepalives(&seen, frozen_at + 50 * MS, Instant::now());
    cluster.thaw(Node::A).unwrap();
    let thawed_at = Instant::now();

    // Thawed: the bytes come again.
    std::thread::sleep(window);
    let thawed = keepalives(&seen, thawed_at, Instant::now());
    let first_after_thaw = seen
        .lock()
        .unwrap()
        .iter()
        .find(|(at, _)| *at >= thawed_at)
        .map(|(at, _)| at.duration_since(thawed_at));

    // A clean stop ends with the magic close.
    let node = cluster.terminate(Node::A).unwrap().expect("node-a runs");
    node.wait_timeout(Duration::from_secs(15))
        .unwrap()
        .expect("node-a stops");
    std::thread::sleep(100 * MS);
    stop.store(true, Ordering::SeqCst);
    reading.join().unwrap();
    let bytes: Vec<u8> = seen.lock().unwrap().iter().map(|(_, b)| *b).collect();

    eprintln!(
        "keep-alives in {} s: running {running}, frozen {frozen}, after thaw {thawed} \
         (first {} ms after the thaw); {} bytes in all, last {:?}",
        window.as_secs(),
        first_after_thaw.map_or(-1, |d| d.as_millis() as i64),
        bytes.len(),
        bytes.last().map(|b| *b as char)
    );
    assert!(
        (27..=33).contains(&running),
        "{running} keep-alives in 3 s at keepalive 100 ms\n{}",
        outputs(&cluster)
    );
    assert_eq!(frozen, 0, "keep-alives while frozen");
    assert!((27..=33).contains(&thawed), "{thawed} after the thaw");
    assert!(first_after_thaw.is_some_and(|d| d < 300 * MS));
    assert_eq!(bytes.last(), Some(&b'V'), "the magic close comes last");
    assert_eq!(bytes.iter().filter(|b| **b == b'V').count(), 1);
    assert!(bytes[..bytes.len() - 1].iter().all(|b| *b == 0));
    let log = cluster.log(Node::A);
    assert!(log.contains("using watchdog device"), "{log}");
    assert!(log.contains("not a watchdog device"), "{log}");
}

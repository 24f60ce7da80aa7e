//! What the namespace tests of the native agents share: running async
//! code inside a lab host, and capturing the frames a host sees.

use std::future::Future;
use std::time::{Duration, Instant};

use ha_lab::Host;
use socket2::{Domain, Protocol, Socket, Type};

/// Runs `make()`'s future on a current-thread runtime inside `host`.
pub fn block_on_in<F, Fut, T>(host: &Host, make: F) -> T
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    host.run_in(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(make())
    })
    .expect("run inside the namespace")
}

/// Frames of `ethertype` (their payload after the Ethernet header) seen in
/// `host` for `duration`, each with when it was read.
pub fn capture(host: &Host, ethertype: u16, duration: Duration) -> Vec<(Vec<u8>, Instant)> {
    host.run_in(|| {
        let protocol = Protocol::from(i32::from(ethertype.to_be()));
        let socket =
            Socket::new(Domain::PACKET, Type::DGRAM, Some(protocol)).expect("packet socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("read timeout");
        let deadline = Instant::now() + duration;
        let mut seen = Vec::new();
        let mut buffer = [std::mem::MaybeUninit::<u8>::uninit(); 256];
        while Instant::now() < deadline {
            let Ok(length) = socket.recv(&mut buffer) else {
                continue;
            };
            // SAFETY: recv initialised the first `length` bytes.
            let bytes = buffer[..length]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            seen.push((bytes, Instant::now()));
        }
        seen
    })
    .expect("capture inside the namespace")
}

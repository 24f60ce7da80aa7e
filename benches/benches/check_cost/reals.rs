//! The real servers: one TCP listener per real server, each on its own
//! loopback address (127.1.X.Y, port 80) inside the lab host, served by a
//! one-worker tokio runtime of this process. A connection that sends an
//! HTTP request gets a small page holding [`RECEIVE`]; one that sends
//! nothing (a connect check) is simply closed. Each listener counts the
//! connections it accepted and the requests it answered, and the time
//! between consecutive connections, the same way for every director.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ha_lab::Host;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The port every real server listens on.
pub const PORT: u16 = 80;

/// The path the http checks request.
pub const REQUEST: &str = "check.html";

/// What the http checks look for in the page.
pub const RECEIVE: &str = "healthy";

/// The page every request gets.
const PAGE: &str = "<html><body><p>healthy</p></body></html>\n";

/// The most real servers [`address`] can number.
pub const MAX_REALS: usize = 250 * 250;

/// How long a connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The loopback address of real server `index` (from 0).
pub fn address(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 1, (index / 250) as u8, (index % 250 + 1) as u8)
}

/// What one listener has seen so far.
#[derive(Debug, Default)]
struct Counter {
    accepted: AtomicU64,
    requests: AtomicU64,
    /// When the latest connection came, in µs after the servers started
    /// (0: none yet). Only the listener's own task writes it.
    last_accept_us: AtomicU64,
    /// The sum of the times between consecutive connections, in µs.
    interval_sum_us: AtomicU64,
    /// How many such times were summed.
    intervals: AtomicU64,
}

impl Counter {
    /// Counts a connection that came `now_us` after the servers started.
    fn accepted_at(&self, now_us: u64) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        let last = self.last_accept_us.swap(now_us.max(1), Ordering::Relaxed);
        if last != 0 {
            self.interval_sum_us
                .fetch_add(now_us.saturating_sub(last), Ordering::Relaxed);
            self.intervals.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What one listener has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// TCP connections accepted.
    pub accepted: u64,
    /// HTTP requests answered.
    pub requests: u64,
    /// The sum of the times between consecutive connections, in µs.
    pub interval_sum_us: u64,
    /// How many times between connections were summed.
    pub intervals: u64,
}

/// The running real servers; dropping them closes every listener.
pub struct Reals {
    runtime: tokio::runtime::Runtime,
    counters: Arc<Vec<Counter>>,
}

impl Reals {
    /// Starts `count` real servers in `host` (the caller's open-file limit
    /// must allow a socket each, and the connections in flight).
    pub fn start(host: &Host, count: usize) -> Result<Reals, String> {
        if count > MAX_REALS {
            return Err(format!("at most {MAX_REALS} real servers"));
        }
        let bound = host
            .run_in(|| {
                (0..count)
                    .map(|i| {
                        let listener = std::net::TcpListener::bind((address(i), PORT))?;
                        listener.set_nonblocking(true)?;
                        Ok(listener)
                    })
                    .collect::<std::io::Result<Vec<_>>>()
            })
            .map_err(|e| format!("cannot enter the lab host: {e}"))?
            .map_err(|e| format!("cannot listen on the loopback addresses: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the real servers' runtime: {e}"))?;
        let started = Instant::now();
        let counters: Arc<Vec<Counter>> =
            Arc::new((0..count).map(|_| Counter::default()).collect());
        for (index, listener) in bound.into_iter().enumerate() {
            let listener = {
                let _entered = runtime.enter();
                TcpListener::from_std(listener)
                    .map_err(|e| format!("cannot serve {}: {e}", address(index)))?
            };
            runtime.spawn(serve(listener, Arc::clone(&counters), index, started));
        }
        Ok(Reals { runtime, counters })
    }

    /// The counts of every listener, in index order.
    pub fn counts(&self) -> Vec<Counts> {
        self.counters
            .iter()
            .map(|c| Counts {
                accepted: c.accepted.load(Ordering::Relaxed),
                requests: c.requests.load(Ordering::Relaxed),
                interval_sum_us: c.interval_sum_us.load(Ordering::Relaxed),
                intervals: c.intervals.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Stops serving.
    pub fn stop(self) {
        self.runtime.shutdown_background();
    }
}

/// Accepts connections on one listener for good.
async fn serve(listener: TcpListener, counters: Arc<Vec<Counter>>, index: usize, since: Instant) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if let Some(counter) = counters.get(index) {
                    let now_us = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
                    counter.accepted_at(now_us);
                }
                let counters = Arc::clone(&counters);
                tokio::spawn(async move {
                    if let Ok(true) = tokio::time::timeout(REQUEST_TIMEOUT, answer(stream)).await {
                        if let Some(counter) = counters.get(index) {
                            counter.requests.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
            // Out of file descriptors, most likely: let connections finish.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Reads a request's head and answers it with the page; false if the
/// peer closed (or failed) before a whole head came.
async fn answer(mut stream: TcpStream) -> bool {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if head.len() > 16 * 1024 {
            return false;
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
        PAGE.len()
    );
    let sent = stream.write_all(response.as_bytes()).await.is_ok();
    let _ = stream.shutdown().await;
    sent
}

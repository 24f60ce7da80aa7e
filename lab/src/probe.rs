//! TCP "who am I" traffic for failover tests: a responder that answers every
//! connection with a fixed reply (which node am I?), a one-shot client
//! probe, and a watcher that probes on a period and keeps timestamped
//! samples, so a test can ask when the service first answered from B.
//! Probes and watchers also speak HTTP/1.0 (`GET PATH`, the body of a 200
//! answer as the reply), to ask a real web server which node it runs on.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::host::Host;
use crate::netns;
use crate::shared::{lock, Stoppable};
use crate::LabError;

/// Longest reply a probe reads.
const MAX_REPLY: u64 = 4096;

/// Shortest connect timeout a watcher uses, whatever its period.
const MIN_WATCH_TIMEOUT: Duration = Duration::from_millis(50);

/// Samples a watcher keeps; older ones are forgotten first.
const MAX_SAMPLES: usize = 1_000_000;

/// What a probe says once connected, and how it reads the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Protocol {
    /// Nothing: the whole answer, trimmed, is the reply.
    Whoami,
    /// `GET PATH HTTP/1.0`: the body of a 200 answer, trimmed, is the
    /// reply; another status answers its status line.
    Http {
        /// The path asked for, e.g. `/`.
        path: String,
    },
}

impl Protocol {
    /// What to send once connected to `addr`.
    fn request(&self, addr: SocketAddr) -> Option<String> {
        match self {
            Protocol::Whoami => None,
            Protocol::Http { path } => Some(format!(
                "GET {path} HTTP/1.0\r\nHost: {}\r\nConnection: close\r\n\r\n",
                addr.ip()
            )),
        }
    }

    /// The reply in the whole answer `answer`; `None` if it is not one.
    fn reply(&self, answer: &str) -> Option<String> {
        match self {
            Protocol::Whoami => Some(answer.trim().to_string()),
            Protocol::Http { .. } => {
                let (head, body) = answer.split_once("\r\n\r\n")?;
                let status = head.lines().next()?;
                let code = status.split_whitespace().nth(1)?;
                if !status.starts_with("HTTP/") {
                    None
                } else if code == "200" {
                    Some(body.trim().to_string())
                } else {
                    Some(status.trim().to_string())
                }
            }
        }
    }
}

/// Connects to `addr` from the calling thread's namespace, sends the
/// protocol's request and reads the answer to its end, all within
/// `timeout`. `None` if anything fails.
fn probe_once(addr: SocketAddr, timeout: Duration, protocol: &Protocol) -> Option<String> {
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    };
    let mut stream = TcpStream::connect_timeout(&addr, remaining()?).ok()?;
    if let Some(request) = protocol.request(addr) {
        stream.set_write_timeout(Some(remaining()?)).ok()?;
        stream.write_all(request.as_bytes()).ok()?;
    }
    stream.set_read_timeout(Some(remaining()?)).ok()?;
    let mut answer = Vec::new();
    stream.take(MAX_REPLY).read_to_end(&mut answer).ok()?;
    protocol.reply(&String::from_utf8_lossy(&answer))
}

struct ResponderState {
    listener: TcpListener,
    stopped: AtomicBool,
    served: AtomicU64,
}

impl Stoppable for ResponderState {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the blocked accept(), which then fails with EINVAL.
        let _ =
            nix::sys::socket::shutdown(self.listener.as_raw_fd(), nix::sys::socket::Shutdown::Both);
    }
}

impl ResponderState {
    fn serve(&self, reply: &[u8]) {
        for stream in self.listener.incoming() {
            if self.stopped.load(Ordering::SeqCst) {
                break;
            }
            match stream {
                Ok(mut stream) => {
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    if stream.write_all(reply).is_ok() {
                        self.served.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = stream.shutdown(Shutdown::Write);
                }
                // Out of descriptors or similar: back off instead of spinning.
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// A TCP server in a lab host answering every connection with a fixed line
/// (`reply` and a newline), then closing it. Stops when dropped (or when
/// its lab is dropped).
pub struct Responder {
    state: Arc<ResponderState>,
    local_addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// The address it listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many connections it has answered.
    pub fn served(&self) -> u64 {
        self.state.served.load(Ordering::Relaxed)
    }

    /// Stops listening and waits for the thread to end.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.state.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder")
            .field("local_addr", &self.local_addr)
            .field("served", &self.served())
            .finish()
    }
}

/// One probe of a [`Watcher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// When the probe started connecting.
    pub sent: Instant,
    /// When it had the whole reply (or gave up).
    pub done: Instant,
    /// The reply, trimmed; `None` if connecting or reading failed.
    pub reply: Option<String>,
}

#[derive(Default)]
struct WatchState {
    samples: Mutex<std::collections::VecDeque<Sample>>,
    added: Condvar,
    stopped: AtomicBool,
    /// Lets `stop` interrupt the sleep between probes.
    pause: Mutex<()>,
    wake: Condvar,
}

impl Stoppable for WatchState {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _guard = lock(&self.pause);
        self.wake.notify_all();
        self.added.notify_all();
    }
}

impl WatchState {
    fn run(&self, addr: SocketAddr, every: Duration, timeout: Duration, protocol: &Protocol) {
        while !self.stopped.load(Ordering::SeqCst) {
            let sent = Instant::now();
            let reply = probe_once(addr, timeout, protocol);
            let done = Instant::now();
            {
                let mut samples = lock(&self.samples);
                if samples.len() >= MAX_SAMPLES {
                    samples.pop_front();
                }
                samples.push_back(Sample { sent, done, reply });
            }
            self.added.notify_all();
            let next = sent + every;
            let mut guard = lock(&self.pause);
            loop {
                if self.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Some(left) = next.checked_duration_since(Instant::now()) else {
                    break;
                };
                guard = match self.wake.wait_timeout(guard, left) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        }
    }

    fn first_matching(&self, t0: Instant, wanted: &dyn Fn(Option<&str>) -> bool) -> Option<Sample> {
        lock(&self.samples)
            .iter()
            .find(|s| s.sent >= t0 && wanted(s.reply.as_deref()))
            .cloned()
    }
}

/// A background client probing a TCP address (who-am-I or HTTP) from
/// inside a lab host on a fixed period and recording every [`Sample`].
/// Stops when dropped.
pub struct Watcher {
    state: Arc<WatchState>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// All samples so far, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        lock(&self.state.samples).iter().cloned().collect()
    }

    /// The most recent sample.
    pub fn last(&self) -> Option<Sample> {
        lock(&self.state.samples).back().cloned()
    }

    /// The first sample started at or after `t0` for which `wanted(reply)` holds.
    pub fn first_sample_after(
        &self,
        t0: Instant,
        wanted: impl Fn(Option<&str>) -> bool,
    ) -> Option<Sample> {
        self.state.first_matching(t0, &wanted)
    }

    /// When the first probe started at or after `t0` got the reply `reply`
    /// (the instant the reply was complete).
    pub fn first_reply_after(&self, t0: Instant, reply: &str) -> Option<Instant> {
        self.first_sample_after(t0, |r| r == Some(reply))
            .map(|s| s.done)
    }

    /// When the last probe started before `t` got the reply `reply`.
    pub fn last_reply_before(&self, t: Instant, reply: &str) -> Option<Instant> {
        lock(&self.state.samples)
            .iter()
            .rev()
            .find(|s| s.sent < t && s.reply.as_deref() == Some(reply))
            .map(|s| s.done)
    }

    /// Waits up to `timeout` for a sample started at or after `t0` for which
    /// `wanted(reply)` holds.
    pub fn wait_for_sample(
        &self,
        t0: Instant,
        timeout: Duration,
        wanted: impl Fn(Option<&str>) -> bool,
    ) -> Option<Sample> {
        let deadline = Instant::now() + timeout;
        let mut samples = lock(&self.state.samples);
        loop {
            if let Some(found) = samples
                .iter()
                .find(|s| s.sent >= t0 && wanted(s.reply.as_deref()))
            {
                return Some(found.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if self.state.stopped.load(Ordering::SeqCst) {
                return None;
            }
            samples = match self.state.added.wait_timeout(samples, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Waits up to `timeout` for a probe started from now on to get `reply`;
    /// returns when that reply was complete.
    pub fn wait_for_reply(&self, reply: &str, timeout: Duration) -> Option<Instant> {
        self.wait_for_reply_after(Instant::now(), reply, timeout)
    }

    /// Waits up to `timeout` for a probe started at or after `t0` to get `reply`.
    pub fn wait_for_reply_after(
        &self,
        t0: Instant,
        reply: &str,
        timeout: Duration,
    ) -> Option<Instant> {
        self.wait_for_sample(t0, timeout, |r| r == Some(reply))
            .map(|s| s.done)
    }

    /// Stops probing and returns every sample.
    pub fn stop(mut self) -> Vec<Sample> {
        self.shut_down();
        self.samples()
    }

    fn shut_down(&mut self) {
        self.state.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("samples", &lock(&self.state.samples).len())
            .finish()
    }
}

impl Host {
    /// Starts a [`Responder`] listening on `addr` in this host, answering
    /// `reply` and a newline to every connection. Listening on the wildcard
    /// (`([0, 0, 0, 0], 8080)`) also answers on addresses added later, like a
    /// virtual IP taken over in a failover.
    pub fn serve_whoami(
        &self,
        addr: impl Into<SocketAddr>,
        reply: &str,
    ) -> Result<Responder, LabError> {
        let addr = addr.into();
        let listener = self
            .run_in(|| TcpListener::bind(addr))?
            .map_err(|e| LabError::io(format!("listening on {addr} in {}", self.netns()), e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| LabError::io("reading the responder's address", e))?;
        let state = Arc::new(ResponderState {
            listener,
            stopped: AtomicBool::new(false),
            served: AtomicU64::new(0),
        });
        let line = format!("{reply}\n").into_bytes();
        let serving = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("whoami-{}", self.name()))
            .spawn(move || serving.serve(&line))
            .map_err(|e| LabError::io("starting the responder thread", e))?;
        let task: Arc<dyn Stoppable> = state.clone();
        self.lab().adopt_background(Arc::downgrade(&task));
        Ok(Responder {
            state,
            local_addr,
            thread: Some(thread),
        })
    }

    /// Connects to `addr` from inside this host and reads the whole reply,
    /// trimmed; `Ok(None)` if nothing answered within `timeout`.
    pub fn probe_tcp(
        &self,
        addr: impl Into<SocketAddr>,
        timeout: Duration,
    ) -> Result<Option<String>, LabError> {
        let addr = addr.into();
        self.run_in(|| probe_once(addr, timeout, &Protocol::Whoami))
    }

    /// Asks `GET path` over HTTP/1.0 from inside this host: the body of a
    /// 200 answer, trimmed; the status line of another answer; `Ok(None)`
    /// if nothing answered within `timeout`.
    pub fn probe_http(
        &self,
        addr: impl Into<SocketAddr>,
        path: &str,
        timeout: Duration,
    ) -> Result<Option<String>, LabError> {
        let addr = addr.into();
        let protocol = Protocol::Http {
            path: path.to_string(),
        };
        self.run_in(|| probe_once(addr, timeout, &protocol))
    }

    /// Starts a [`Watcher`] asking `GET path` of `addr` from this host every
    /// `every` (replies as [`Host::probe_http`] gives them), each probe
    /// giving up after `every` (at least 50 ms).
    pub fn watch_http(
        &self,
        addr: impl Into<SocketAddr>,
        path: &str,
        every: Duration,
    ) -> Result<Watcher, LabError> {
        let protocol = Protocol::Http {
            path: path.to_string(),
        };
        self.watch(addr.into(), every, every.max(MIN_WATCH_TIMEOUT), protocol)
    }

    /// Starts a [`Watcher`] probing `addr` from this host every `every`, each
    /// probe giving up after `every` (at least 50 ms).
    pub fn watch_tcp(
        &self,
        addr: impl Into<SocketAddr>,
        every: Duration,
    ) -> Result<Watcher, LabError> {
        self.watch_tcp_with_timeout(addr, every, every.max(MIN_WATCH_TIMEOUT))
    }

    /// As [`Host::watch_tcp`], with each probe giving up after `timeout`.
    pub fn watch_tcp_with_timeout(
        &self,
        addr: impl Into<SocketAddr>,
        every: Duration,
        timeout: Duration,
    ) -> Result<Watcher, LabError> {
        self.watch(addr.into(), every, timeout, Protocol::Whoami)
    }

    fn watch(
        &self,
        addr: SocketAddr,
        every: Duration,
        timeout: Duration,
        protocol: Protocol,
    ) -> Result<Watcher, LabError> {
        let state = Arc::new(WatchState::default());
        let file = netns::open(self.netns())?;
        let name = self.netns().to_string();
        let (entered_tx, entered_rx) = mpsc::channel();
        let watching = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("watch-{}", self.name()))
            .spawn(move || {
                let entered = netns::enter_file(&name, &file);
                drop(file);
                let ok = entered.is_ok();
                let _ = entered_tx.send(entered);
                if ok {
                    watching.run(addr, every, timeout, &protocol);
                }
            })
            .map_err(|e| LabError::io("starting the watcher thread", e))?;
        let mut watcher = Watcher {
            state,
            thread: Some(thread),
        };
        match entered_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                watcher.shut_down();
                return Err(LabError::io(
                    "starting the watcher thread",
                    std::io::Error::other("the thread ended before entering the namespace"),
                ));
            }
        }
        let task: Arc<dyn Stoppable> = watcher.state.clone();
        self.lab().adopt_background(Arc::downgrade(&task));
        Ok(watcher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_replies_are_the_body_of_a_200_or_the_status_line() {
        let http = Protocol::Http {
            path: "/".to_string(),
        };
        let addr = SocketAddr::from(([10, 77, 0, 100], 80));
        assert_eq!(
            http.request(addr).as_deref(),
            Some("GET / HTTP/1.0\r\nHost: 10.77.0.100\r\nConnection: close\r\n\r\n")
        );
        let ok = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\n\r\nA\n";
        assert_eq!(http.reply(ok).as_deref(), Some("A"));
        let missing = "HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n<html>";
        assert_eq!(
            http.reply(missing).as_deref(),
            Some("HTTP/1.1 404 Not Found")
        );
        assert_eq!(http.reply("A\n"), None);
        assert_eq!(http.reply("SSH-2.0\r\n\r\n"), None);
        assert_eq!(Protocol::Whoami.request(addr), None);
        assert_eq!(Protocol::Whoami.reply(" B\n").as_deref(), Some("B"));
    }
}

//! Shared test bed of the check tests: a lab with a `server` host and a
//! `director` host on one LAN (IPv4 and IPv6), listeners opened inside the
//! server's namespace, and checks run from inside the director's — each
//! test's servers and checks then share one tokio runtime on the
//! director's thread, while every socket stays in its own namespace.

#![allow(dead_code)]

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ha_checks::check::{CheckOutcome, CheckSpec, Service};
use ha_lab::{Host, Lab};

/// The server's IPv4 address.
pub const SERVER_V4: [u8; 4] = [10, 61, 0, 1];
/// The server's IPv6 address.
pub const SERVER_V6: &str = "fd61::1";

/// How a test server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers as a healthy server does.
    Healthy,
    /// Answers, but not what a healthy server answers.
    Wrong,
    /// Accepts and never answers.
    Silent,
    /// Answers healthily after this delay.
    Slow(Duration),
}

impl Behaviour {
    /// Waits as the behaviour says before answering; `false` means never answer.
    pub async fn before_answer(self) -> bool {
        match self {
            Behaviour::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                false
            }
            Behaviour::Slow(delay) => {
                tokio::time::sleep(delay).await;
                true
            }
            _ => true,
        }
    }
}

/// A lab with a server and a director.
pub struct Bed {
    /// The lab (kept alive).
    pub lab: Lab,
    /// The real server.
    pub server: Host,
    /// Where the checks run.
    pub director: Host,
}

impl Bed {
    /// Builds the lab.
    pub fn new(tag: &str) -> Bed {
        let lab = Lab::new(tag).expect("lab (tests need root)");
        let server = lab.host("server").unwrap();
        let director = lab.host("director").unwrap();
        lab.connect(&server, "eth0", "10.61.0.1/24").unwrap();
        lab.connect(&director, "eth0", "10.61.0.2/24").unwrap();
        server.add_address("eth0", "fd61::1/64").unwrap();
        director.add_address("eth0", "fd61::2/64").unwrap();
        Bed {
            lab,
            server,
            director,
        }
    }

    /// The server's address and `port`.
    pub fn server_addr(&self, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::from(SERVER_V4), port)
    }

    /// A TCP listener on the server, port `port`.
    pub fn listen_tcp(&self, port: u16) -> std::net::TcpListener {
        let addr = self.server_addr(port);
        let listener = self
            .server
            .run_in(move || std::net::TcpListener::bind(addr))
            .unwrap()
            .unwrap();
        listener.set_nonblocking(true).unwrap();
        listener
    }

    /// A UDP socket on the server, port `port`.
    pub fn bind_udp(&self, port: u16) -> std::net::UdpSocket {
        let addr = self.server_addr(port);
        let socket = self
            .server
            .run_in(move || std::net::UdpSocket::bind(addr))
            .unwrap()
            .unwrap();
        socket.set_nonblocking(true).unwrap();
        socket
    }

    /// Runs `body` in a fresh runtime on a thread inside the director.
    pub fn on_director<F, Fut, T>(&self, body: F) -> T
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = T>,
        T: Send,
    {
        self.director
            .run_in(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(body())
            })
            .unwrap()
    }
}

/// A spec for `service` on `target` with a short negotiate timeout.
pub fn spec(service: Service, target: SocketAddr, timeout: Duration) -> CheckSpec {
    let mut spec = CheckSpec::new(service, target);
    spec.negotiate_timeout = timeout;
    spec.check_timeout = timeout;
    spec
}

/// The timeout the slow cases are measured against, and the delays just
/// inside and just outside it.
pub const TIMEOUT: Duration = Duration::from_millis(1000);
/// A delay just inside [`TIMEOUT`].
pub const INSIDE: Duration = Duration::from_millis(600);
/// A delay just outside [`TIMEOUT`].
pub const OUTSIDE: Duration = Duration::from_millis(1400);

/// Asserts that `outcome` is up.
#[track_caller]
pub fn assert_up(outcome: &CheckOutcome) {
    assert!(outcome.healthy, "expected up: {outcome:?}");
}

/// Asserts that `outcome` is down, and its detail mentions `needle`.
#[track_caller]
pub fn assert_down(outcome: &CheckOutcome, needle: &str) {
    assert!(!outcome.healthy, "expected down: {outcome:?}");
    assert!(
        outcome.detail.contains(needle),
        "detail {:?} lacks {needle:?}",
        outcome.detail
    );
}

/// Serves every connection of `listener` with `serve` (one task each).
pub fn serve_tcp<F, Fut>(listener: std::net::TcpListener, behaviour: Behaviour, serve: F)
where
    F: Fn(tokio::net::TcpStream, Behaviour) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, behaviour));
        }
    });
}

/// Runs the six standard cases of a TCP service — healthy, closed port,
/// silent, wrong answer, slow inside and slow outside the timeout — with
/// `serve` as the server and `adjust` completing each spec.
pub fn six_cases<F, Fut>(
    tag: &str,
    service: Service,
    serve: F,
    adjust: impl Fn(&mut CheckSpec) + Send + Sync,
    wrong_detail: &str,
) where
    F: Fn(tokio::net::TcpStream, Behaviour) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    six_cases_prepared(tag, service, serve, adjust, wrong_detail, |_| {});
}

/// [`six_cases`], with `prepare` run on the bed first (the cases' control
/// ports are 7001 to 7005, in the order healthy, silent, wrong, inside,
/// outside; 7006 stays closed).
pub fn six_cases_prepared<F, Fut>(
    tag: &str,
    service: Service,
    serve: F,
    adjust: impl Fn(&mut CheckSpec) + Send + Sync,
    wrong_detail: &str,
    prepare: impl FnOnce(&Bed),
) where
    F: Fn(tokio::net::TcpStream, Behaviour) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let bed = Bed::new(tag);
    prepare(&bed);
    let cases = [
        (Behaviour::Healthy, 7001),
        (Behaviour::Silent, 7002),
        (Behaviour::Wrong, 7003),
        (Behaviour::Slow(INSIDE), 7004),
        (Behaviour::Slow(OUTSIDE), 7005),
    ];
    let listeners: Vec<_> = cases
        .iter()
        .map(|(b, port)| (*b, bed.listen_tcp(*port), bed.server_addr(*port)))
        .collect();
    let closed = bed.server_addr(7006);
    let outcomes = bed.on_director(|| async {
        let mut specs = Vec::new();
        for (behaviour, listener, addr) in listeners {
            serve_tcp(listener, behaviour, serve.clone());
            let mut s = spec(service, addr, TIMEOUT);
            adjust(&mut s);
            specs.push(s);
        }
        let mut s = spec(service, closed, TIMEOUT);
        adjust(&mut s);
        specs.push(s);
        run_all(specs).await
    });
    let [healthy, silent, wrong, inside, outside, closed] = outcomes.as_slice() else {
        panic!("six outcomes expected");
    };
    assert_up(healthy);
    assert_down(silent, "no verdict within");
    assert!(
        silent.latency >= TIMEOUT && silent.latency < TIMEOUT * 2,
        "{silent:?}"
    );
    assert_down(wrong, wrong_detail);
    assert_up(inside);
    assert_down(outside, "no verdict within");
    assert_down(closed, "refused");
}

/// Runs every spec at once; the outcomes in the specs' order.
pub async fn run_all(specs: Vec<CheckSpec>) -> Vec<CheckOutcome> {
    let mut set = tokio::task::JoinSet::new();
    for (index, spec) in specs.into_iter().enumerate() {
        set.spawn(async move { (index, ha_checks::check::run(&spec).await) });
    }
    let mut outcomes: Vec<(usize, CheckOutcome)> = set.join_all().await;
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

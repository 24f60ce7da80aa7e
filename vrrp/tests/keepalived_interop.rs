//! Our codec, state machine and socket against keepalived 2.2.7 on a real
//! link: node-a runs keepalived, node-b runs our instance (in the test
//! process, its raw socket opened in node-b's namespace), both reading
//! the same keepalived.conf instance (VRRPv2 with PASS authentication,
//! VRRPv3 at 100 ms, and VRRPv3 over IPv6 from the link-local address).
//!
//! 1. We start alone at priority 200 and become master; keepalived
//!    (`state MASTER`, priority 150) then starts and stays BACKUP: it
//!    accepted our adverts (checksum, password, addresses, interval). A
//!    keepalived that dropped them would have entered MASTER.
//! 2. We shut down (priority 0): keepalived takes over at once.
//! 3. We start again at priority 100: we stay backup, counting
//!    keepalived's adverts with no drops; keepalived is killed and we
//!    take over after our master-down interval.
//!
//! Needs root and Debian's `keepalived`; the namespaces are removed even
//! after a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ha_conf::Source;
use ha_lab::cluster::Node;
use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};
use ha_vrrp::config::{parse_with, NoIncludes};
use ha_vrrp::instance::Received;
use ha_vrrp::instance::{timers, Config, Instance, Output, State};
use ha_vrrp::network::{Ipv4Socket, Ipv6Socket, NetworkError};
use ha_vrrp::packet::{Advert, DecodeError, MULTICAST_V4, MULTICAST_V6};

const NODE_B: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// Our socket, of either family.
enum Sock {
    V4(Ipv4Socket),
    V6(Ipv6Socket),
}

impl Sock {
    fn send(&self, advert: &Advert) -> Result<(), NetworkError> {
        match self {
            Sock::V4(s) => s.send(advert, MULTICAST_V4),
            Sock::V6(s) => s.send(advert, MULTICAST_V6),
        }
    }

    fn recv(&self, wait: Duration) -> Result<Option<Result<Received, DecodeError>>, NetworkError> {
        match self {
            Sock::V4(s) => s.recv(wait),
            Sock::V6(s) => s.recv(wait),
        }
    }
}

fn keepalived_conf(version: u8, advert_int: &str, auth: bool, vip: &str) -> String {
    let authentication = if auth {
        "  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  router_id node-a\n  vrrp_version {version}\n  script_user root\n  \
         enable_script_security\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 77\n  \
         priority 150\n  advert_int {advert_int}\n{authentication}  virtual_ipaddress {{\n    \
         {vip} dev eth0\n  }}\n}}\n"
    )
}

/// Our instance on a thread, until told to stop.
struct Ours {
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<(Instant, State)>>>,
    worker: Option<thread::JoinHandle<(Sock, Instance)>>,
}

impl Ours {
    fn start(socket: Sock, config: Config) -> Ours {
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (s, l) = (stop.clone(), log.clone());
        let worker = thread::spawn(move || {
            let mut instance = Instance::new(config, Instant::now());
            loop {
                while let Some(output) = instance.poll_output() {
                    match output {
                        Output::SendAdvert(advert) => socket.send(&advert).unwrap(),
                        Output::StateChanged { to, .. } => {
                            l.lock().unwrap().push((Instant::now(), to))
                        }
                        Output::AddAddresses { .. } | Output::RemoveAddresses(_) => {}
                    }
                }
                if s.load(Ordering::SeqCst) {
                    return (socket, instance);
                }
                let now = Instant::now();
                let wait = instance
                    .poll_timeout()
                    .map_or(Duration::from_millis(20), |t| {
                        t.saturating_duration_since(now)
                    })
                    .min(Duration::from_millis(20));
                if let Some(Ok(received)) = socket.recv(wait).unwrap() {
                    if received.advert.vrid == instance.config().vrid {
                        let _ = instance.handle_advert(Instant::now(), &received);
                    }
                }
                instance.handle_timeout(Instant::now());
            }
        });
        Ours {
            stop,
            log,
            worker: Some(worker),
        }
    }

    fn state(&self) -> Option<State> {
        self.log.lock().unwrap().last().map(|(_, s)| *s)
    }

    fn became(&self, state: State) -> Option<Instant> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(_, s)| *s == state)
            .map(|(t, _)| *t)
    }

    /// Stops the thread; with `shutdown`, the instance says priority 0.
    fn stop(mut self, shutdown: bool) -> Instance {
        self.stop.store(true, Ordering::SeqCst);
        let (socket, mut instance) = self.worker.take().unwrap().join().unwrap();
        if shutdown {
            instance.shutdown(Instant::now());
            while let Some(output) = instance.poll_output() {
                if let Output::SendAdvert(advert) = output {
                    socket.send(&advert).unwrap();
                }
            }
        }
        instance
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Our socket, opened in node-b's namespace (it stays there), sending
/// from `source`.
fn open(pair: &KeepalivedPair, source: IpAddr) -> Sock {
    pair.host(Node::B)
        .run_in(|| match source {
            IpAddr::V4(v4) => Ipv4Socket::open("eth0", v4, false).map(Sock::V4),
            IpAddr::V6(v6) => Ipv6Socket::open("eth0", v6).map(Sock::V6),
        })
        .unwrap()
        .unwrap()
}

/// A node's link-local address once duplicate address detection is done.
fn link_local(pair: &KeepalivedPair, node: Node) -> Ipv6Addr {
    let mut found = None;
    let ready = wait_for(Duration::from_secs(10), || {
        let text = pair
            .host(node)
            .ip(&["-6", "addr", "show", "dev", "eth0", "scope", "link"])
            .unwrap();
        found = text
            .lines()
            .find(|l| l.contains("inet6 fe80") && !l.contains("tentative"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|a| a.split('/').next())
            .and_then(|a| a.parse().ok());
        found.is_some()
    });
    assert!(ready, "no link-local address on {node:?}");
    found.unwrap()
}

fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if check() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    check()
}

fn interoperate(tag: &str, version: u8, advert_int: &str, auth: bool, ipv6: bool) {
    let spec = KeepalivedSpec {
        vrrp_version: version,
        ..KeepalivedSpec::new(advert_int)
    };
    let mut pair = KeepalivedPair::new(tag, spec).expect("lab (root and keepalived needed)");
    let (vip, ours_address) = if ipv6 {
        let _ = link_local(&pair, Node::A);
        (
            "2001:db8:77::100/64",
            IpAddr::V6(link_local(&pair, Node::B)),
        )
    } else {
        ("10.77.0.100/24", IpAddr::V4(NODE_B))
    };
    let text = keepalived_conf(version, advert_int, auth, vip);
    std::fs::write(pair.config_path(Node::A), &text).unwrap();
    let conf = parse_with(&Source::new("keepalived.conf", text), &mut NoIncludes).unwrap();
    let ours_config = |priority: u8| {
        let mut config = Config::from_conf(&conf.instances[0], &conf.global, ours_address);
        config.priority = priority;
        config.start = ha_vrrp::config::StartState::Backup;
        config
    };
    let interval = conf.instances[0].advert_int;

    // 1. We are master at 200; keepalived at 150 must stay backup.
    let ours = Ours::start(open(&pair, ours_address), ours_config(200));
    assert!(wait_for(interval * 5, || ours.state() == Some(State::Master)));
    pair.start(Node::A).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || pair
            .output(Node::A)
            .contains("Entering BACKUP STATE")),
        "keepalived: {}",
        pair.output(Node::A)
    );
    thread::sleep(interval * 10);
    assert_eq!(pair.master_entries(Node::A), 0, "{}", pair.output(Node::A));
    assert!(
        !pair.output(Node::A).contains("Invalid"),
        "{}",
        pair.output(Node::A)
    );
    assert_eq!(ours.state(), Some(State::Master));

    // 2. Our priority-0 goodbye: keepalived takes over within its skew.
    let stopped = Instant::now();
    let first = ours.stop(true);
    assert_eq!(first.state(), State::Initialize);
    assert!(
        wait_for(Duration::from_secs(10), || pair.master_entries(Node::A)
            == 1),
        "{}",
        pair.output(Node::A)
    );
    let handover = stopped.elapsed();
    println!("{tag}: keepalived took over {handover:?} after our priority 0");
    assert!(handover < interval * 3, "{handover:?}");

    // 3. We come back at 100: backup, hearing keepalived without a drop.
    let ours = Ours::start(open(&pair, ours_address), ours_config(100));
    thread::sleep(interval * 8);
    assert_eq!(ours.state(), Some(State::Backup));
    let killed = Instant::now();
    pair.kill(Node::A).unwrap();
    assert!(wait_for(Duration::from_secs(10), || ours.state()
        == Some(State::Master)));
    let took = ours.became(State::Master).unwrap() - killed;
    let instance = ours.stop(false);
    let stats = instance.stats();
    println!("{tag}: we took over {took:?} after the kill; {stats:?}");
    assert!(stats.adverts_received >= 5, "{stats:?}");
    assert_eq!(
        stats.ttl_errors
            + stats.version_errors
            + stats.auth_failures
            + stats.auth_type_mismatches
            + stats.address_list_errors
            + stats.interval_errors,
        0,
        "{stats:?}"
    );
    let down = timers::master_down_interval(instance.config().version, 100, interval);
    assert!(
        took <= down + interval,
        "{took:?} > {down:?} + one interval"
    );
}

#[test]
fn vrrp_v2_with_pass_authentication_interoperates_with_keepalived() {
    interoperate("vr2", 2, "1", true, false);
}

#[test]
fn vrrp_v3_at_100ms_interoperates_with_keepalived() {
    interoperate("vr3", 3, "0.1", false, false);
}

#[test]
fn vrrp_v3_over_ipv6_interoperates_with_keepalived() {
    interoperate("vr6", 3, "0.1", false, true);
}

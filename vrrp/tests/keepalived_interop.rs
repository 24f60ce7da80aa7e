//! Our codec, state machine and socket against keepalived 2.2.7 on a real
//! link: node-a runs keepalived, node-b runs our instance (in the test
//! process, its raw socket opened in node-b's namespace), both reading
//! the same keepalived.conf instance (VRRPv2 with PASS authentication,
//! and VRRPv3 at 100 ms).
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

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ha_conf::Source;
use ha_lab::cluster::Node;
use ha_lab::keepalived::{KeepalivedPair, KeepalivedSpec};
use ha_vrrp::config::{parse_with, NoIncludes};
use ha_vrrp::instance::{timers, Config, Instance, Output, State};
use ha_vrrp::network::Ipv4Socket;
use ha_vrrp::packet::MULTICAST_V4;

const NODE_B: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

fn keepalived_conf(version: u8, advert_int: &str, auth: bool) -> String {
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
         10.77.0.100/24 dev eth0\n  }}\n}}\n"
    )
}

/// Our instance on a thread, until told to stop.
struct Ours {
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<(Instant, State)>>>,
    worker: Option<thread::JoinHandle<(Ipv4Socket, Instance)>>,
}

impl Ours {
    fn start(socket: Ipv4Socket, config: Config) -> Ours {
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (s, l) = (stop.clone(), log.clone());
        let worker = thread::spawn(move || {
            let mut instance = Instance::new(config, Instant::now());
            loop {
                while let Some(output) = instance.poll_output() {
                    match output {
                        Output::SendAdvert(advert) => socket.send(&advert, MULTICAST_V4).unwrap(),
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
                    socket.send(&advert, MULTICAST_V4).unwrap();
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

/// Our socket, opened in node-b's namespace (it stays there).
fn open(pair: &KeepalivedPair) -> Ipv4Socket {
    pair.host(Node::B)
        .run_in(|| Ipv4Socket::open("eth0", NODE_B, false))
        .unwrap()
        .unwrap()
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

fn interoperate(tag: &str, version: u8, advert_int: &str, auth: bool) {
    let spec = KeepalivedSpec {
        vrrp_version: version,
        ..KeepalivedSpec::new(advert_int)
    };
    let mut pair = KeepalivedPair::new(tag, spec).expect("lab (root and keepalived needed)");
    let text = keepalived_conf(version, advert_int, auth);
    std::fs::write(pair.config_path(Node::A), &text).unwrap();
    let conf = parse_with(&Source::new("keepalived.conf", text), &mut NoIncludes).unwrap();
    let ours_config = |priority: u8| {
        let mut config = Config::from_conf(&conf.instances[0], &conf.global, IpAddr::V4(NODE_B));
        config.priority = priority;
        config.start = ha_vrrp::config::StartState::Backup;
        config
    };
    let interval = conf.instances[0].advert_int;

    // 1. We are master at 200; keepalived at 150 must stay backup.
    let ours = Ours::start(open(&pair), ours_config(200));
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
    println!("v{version}: keepalived took over {handover:?} after our priority 0");
    assert!(handover < interval * 3, "{handover:?}");

    // 3. We come back at 100: backup, hearing keepalived without a drop.
    let ours = Ours::start(open(&pair), ours_config(100));
    thread::sleep(interval * 8);
    assert_eq!(ours.state(), Some(State::Backup));
    let killed = Instant::now();
    pair.kill(Node::A).unwrap();
    assert!(wait_for(Duration::from_secs(10), || ours.state()
        == Some(State::Master)));
    let took = ours.became(State::Master).unwrap() - killed;
    let instance = ours.stop(false);
    let stats = instance.stats();
    println!("v{version}: we took over {took:?} after the kill; {stats:?}");
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
    interoperate("vr2", 2, "1", true);
}

#[test]
fn vrrp_v3_at_100ms_interoperates_with_keepalived() {
    interoperate("vr3", 3, "0.1", false);
}

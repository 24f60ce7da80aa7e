//! The driver under tokio's paused clock, with a recording host and
//! socket: what it sends, adds, announces and runs, and when.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ha_conf::Source;
use tokio::sync::mpsc;

use super::host::Host;
use super::notify::Script;
use super::plan::{plan, InterfaceInfo, Vip};
use super::*;
use crate::config::{parse_with, NoIncludes};
use crate::instance::Received;
use crate::packet::{Auth, PRIORITY_STOP};

type Log = Arc<Mutex<Vec<(Duration, String)>>>;

struct Recorder {
    log: Log,
    start: tokio::time::Instant,
}

impl Recorder {
    fn note(&self, what: String) {
        self.log.lock().unwrap().push((self.start.elapsed(), what));
    }
}

#[async_trait::async_trait]
impl Host for Recorder {
    async fn add_address(&self, vip: &Vip) -> Result<(), String> {
        self.note(format!(
            "add {}/{} {} {}",
            vip.address,
            vip.prefix,
            vip.interface,
            vip.label.clone().unwrap_or_default()
        ));
        Ok(())
    }
    async fn remove_address(&self, vip: &Vip) -> Result<(), String> {
        self.note(format!("remove {}", vip.address));
        Ok(())
    }
    async fn announce(&self, vip: &Vip, count: u32, _: Duration) -> Result<(), String> {
        self.note(format!("announce {} x{count}", vip.address));
        Ok(())
    }
    async fn run_script(&self, script: &Script, timeout: Duration) -> Result<(), String> {
        self.note(format!("run {}", script.argv.join(" ")));
        if script.argv[0] == "/hang" {
            tokio::time::sleep(timeout).await;
            self.note("ended /hang".to_string());
        }
        Ok(())
    }
}

struct Sink {
    log: Log,
    start: tokio::time::Instant,
}

impl AdvertSink for Sink {
    fn send(&self, advert: &Advert, to: IpAddr) -> Result<(), NetworkError> {
        self.log.lock().unwrap().push((
            self.start.elapsed(),
            format!("advert {} to {to}", advert.priority),
        ));
        Ok(())
    }
}

const SEED_MASTER: &str = "! Configuration File for keepalived
global_defs {
notification_email {
1335234172@qq.com
}
notification_email_from Alexandre.Cassen@firewall.loc
smtp_server 127.0.0.1
smtp_connect_timeout 30
router_id wyl01
}
vrrp_instance VI_1 {
state MASTER
interface eth0
virtual_router_id 55
priority 100
advert_int 1
authentication {
auth_type PASS
auth_pass 1111
}
virtual_ipaddress {
192.168.1.100/24 dev eth0 label eth0:1
}
notify_master \"/etc/keepalived/to-master.sh now\"
notify /etc/keepalived/notify.sh
}
";

const OURS: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 105);

struct Bed {
    log: Log,
    inbound: mpsc::UnboundedSender<Inbound>,
    stop: tokio::sync::oneshot::Sender<()>,
    driver: JoinHandle<Status>,
    status: Arc<Mutex<Status>>,
}

fn start(text: &str) -> Bed {
    let conf = parse_with(&Source::new("keepalived.conf", text), &mut NoIncludes).unwrap();
    let plan = plan(&conf, &|name| {
        (name == "eth0").then_some(InterfaceInfo {
            primary_v4: Some(OURS),
            link_local: None,
        })
    })
    .unwrap();
    let log: Log = Arc::default();
    let t0 = tokio::time::Instant::now();
    let host = Arc::new(Recorder {
        log: log.clone(),
        start: t0,
    });
    let sinks: Vec<Box<dyn AdvertSink>> = vec![Box::new(Sink {
        log: log.clone(),
        start: t0,
    })];
    let (tx, rx) = mpsc::unbounded_channel();
    let driver = Driver::new(plan, sinks, rx, host, Options::default());
    let status = driver.status_handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let driver = tokio::spawn(driver.run(async {
        let _ = stopped.await;
    }));
    Bed {
        log,
        inbound: tx,
        stop,
        driver,
        status,
    }
}

fn lines(log: &Log, prefix: &str) -> Vec<Duration> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(_, l)| l.starts_with(prefix))
        .map(|(t, _)| *t)
        .collect()
}

fn advert_from(source: Ipv4Addr, priority: u8) -> Inbound {
    Inbound {
        socket: 0,
        packet: Ok(Received {
            source: IpAddr::V4(source),
            ttl: 255,
            advert: Advert {
                version: crate::packet::Version::V2,
                vrid: 55,
                priority,
                interval: 1,
                auth: Auth::pass(b"1111"),
                addresses: crate::packet::Addresses::V4(vec![Ipv4Addr::new(192, 168, 1, 100)]),
            },
        }),
    }
}

#[tokio::test(start_paused = true)]
async fn the_seed_master_takes_the_address_with_its_label_and_announces_twice() {
    let bed = start(SEED_MASTER);
    tokio::time::sleep(Duration::from_secs(12)).await;
    let log = bed.log.lock().unwrap().clone();
    let text: Vec<String> = log.iter().map(|(t, l)| format!("{t:?} {l}")).collect();
    // state MASTER below 255: the master-down interval first, as
    // keepalived 2.2.7 (3 s and a skew of 156/256 s).
    let adds = lines(&bed.log, "add 192.168.1.100/24 eth0 eth0:1");
    assert_eq!(adds.len(), 1, "{text:#?}");
    let down = crate::instance::timers::master_down_interval(
        crate::packet::Version::V2,
        100,
        Duration::from_secs(1),
    );
    assert!(
        adds[0] >= down && adds[0] < down + Duration::from_millis(2),
        "{text:#?}"
    );
    // garp_master_repeat (5) at once, again after garp_master_delay (5 s).
    let bursts = lines(&bed.log, "announce 192.168.1.100 x5");
    assert_eq!(bursts.len(), 2, "{text:#?}");
    assert_eq!(bursts[1] - bursts[0], Duration::from_secs(5), "{text:#?}");
    // An advert every second from then on.
    let adverts = lines(&bed.log, "advert 100 to 224.0.0.18");
    assert!((8..=9).contains(&adverts.len()), "{text:#?}");
    assert_eq!(
        lines(&bed.log, "run /etc/keepalived/to-master.sh now").len(),
        1,
        "{text:#?}"
    );
    assert_eq!(
        lines(
            &bed.log,
            "run /etc/keepalived/notify.sh INSTANCE VI_1 MASTER 100"
        )
        .len(),
        1,
        "{text:#?}"
    );
    let status = bed.status.lock().unwrap().clone();
    assert_eq!(status.instances[0].state, "MASTER");
    assert_eq!(status.instances[0].master, Some(IpAddr::V4(OURS)));
    assert_eq!(status.instances[0].adverts_sent, adverts.len() as u64);

    // SIGTERM: priority 0, the address removed, notify STOP.
    bed.stop.send(()).unwrap();
    let last = bed.driver.await.unwrap();
    assert_eq!(last.instances[0].state, "INIT");
    assert_eq!(
        lines(&bed.log, &format!("advert {PRIORITY_STOP} ")).len(),
        1
    );
    // Once at start-up (what a killed run left), once at the stop.
    let removals = lines(&bed.log, "remove 192.168.1.100");
    assert_eq!(removals.len(), 2);
    assert_eq!(removals[0], Duration::ZERO);
    assert_eq!(
        lines(
            &bed.log,
            "run /etc/keepalived/notify.sh INSTANCE VI_1 STOP 100"
        )
        .len(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_backup_follows_a_better_master_then_takes_over_after_master_down() {
    let text = SEED_MASTER
        .replace("state MASTER", "state BACKUP")
        .replace("priority 100", "priority 99");
    let bed = start(&text);
    let peer = Ipv4Addr::new(192, 168, 1, 106);
    // A master at 150 (and one advert with a wrong password, counted).
    for _ in 0..5 {
        bed.inbound.send(advert_from(peer, 150)).unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut wrong = advert_from(peer, 150);
    if let Ok(r) = &mut wrong.packet {
        r.advert.auth = Auth::pass(b"2222");
    }
    bed.inbound.send(wrong).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let status = bed.status.lock().unwrap().clone();
    assert_eq!(status.instances[0].state, "BACKUP");
    assert_eq!(status.instances[0].master, Some(IpAddr::V4(peer)));
    assert_eq!(status.instances[0].adverts_received, 5);
    assert_eq!(status.instances[0].drops.auth_failure, 1);
    assert!(lines(&bed.log, "add ").is_empty());
    // The master goes silent at ~4 s: master down is 3 s + (256-99)/256 s.
    let silent = Duration::from_secs(4);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let adds = lines(&bed.log, "add 192.168.1.100/24 eth0 eth0:1");
    assert_eq!(adds.len(), 1);
    let down = crate::instance::timers::master_down_interval(
        crate::packet::Version::V2,
        99,
        Duration::from_secs(1),
    );
    // tokio's timers round up to the millisecond.
    let late = adds[0] - (silent + down);
    assert!(
        late < Duration::from_millis(2),
        "{:?} after {:?}",
        adds[0],
        silent + down
    );
    bed.stop.send(()).unwrap();
    bed.driver.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_hung_notify_script_holds_up_no_other() {
    let text = SEED_MASTER.replace("state MASTER", "state BACKUP").replace(
        "notify_master \"/etc/keepalived/to-master.sh now\"",
        "notify_backup /hang",
    );
    let bed = start(&text);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let log = bed.log.lock().unwrap().clone();
    let at = |what: &str| {
        log.iter()
            .find(|(_, l)| l == what)
            .map(|(t, _)| *t)
            .unwrap_or_else(|| panic!("no {what}: {log:#?}"))
    };
    assert_eq!(at("run /hang"), Duration::ZERO);
    assert_eq!(
        at("run /etc/keepalived/notify.sh INSTANCE VI_1 BACKUP 100"),
        Duration::ZERO
    );
    // Master after the master-down interval, its notify at once, while
    // /hang still runs (ended at its timeout, 30 s).
    let master = at("run /etc/keepalived/notify.sh INSTANCE VI_1 MASTER 100");
    assert!(
        master > Duration::from_secs(3) && master < Duration::from_secs(4),
        "{log:#?}"
    );
    assert!(!log.iter().any(|(_, l)| l == "ended /hang"), "{log:#?}");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        lines(&bed.log, "ended /hang"),
        [Options::default().notify_timeout]
    );
    bed.stop.send(()).unwrap();
    bed.driver.await.unwrap();
}

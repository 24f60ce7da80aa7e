//! The driver under tokio's paused clock: two nodes on an in-process LAN,
//! groups run by a recorder. The driver only carries out what the machine
//! decides; these tests check that it does, in time and in order.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use ha_transport::sim::ChannelNetwork;

use super::*;
use crate::auth::{AuthKey, AuthMethod};
use crate::machine::{Config, GroupConfig, ResourceMonitor, StartCause};

const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";
const MS: Duration = Duration::from_millis(1);

/// Every call, with the paused clock's time since the test began.
#[derive(Default)]
struct Recorder {
    started: Mutex<Option<tokio::time::Instant>>,
    calls: Mutex<Vec<(String, Duration)>>,
    fail_monitors: Mutex<usize>,
    /// Probes, kept apart from the calls: when each came.
    probes: Mutex<Vec<Duration>>,
    /// Probes still to fail.
    fail_probes: Mutex<usize>,
}

impl Recorder {
    fn record(&self, what: &str) {
        let began = *self
            .started
            .lock()
            .expect("lock")
            .get_or_insert_with(tokio::time::Instant::now);
        self.calls
            .lock()
            .expect("lock")
            .push((what.to_string(), began.elapsed()));
    }

    fn since_start(&self) -> Duration {
        self.started
            .lock()
            .expect("lock")
            .get_or_insert_with(tokio::time::Instant::now)
            .elapsed()
    }

    fn calls(&self) -> Vec<(String, Duration)> {
        self.calls.lock().expect("lock").clone()
    }

    fn count(&self, what: &str) -> usize {
        self.calls().iter().filter(|(w, _)| w == what).count()
    }
}

#[async_trait]
impl GroupControl for Recorder {
    async fn start(&self, _group: &str) -> Result<(), String> {
        self.record("start");
        // An agent that takes a while: the loop must go on meanwhile.
        tokio::time::sleep(50 * MS).await;
        Ok(())
    }

    async fn stop(&self, _group: &str) -> Result<(), String> {
        self.record("stop");
        Ok(())
    }

    async fn announce(&self, _group: &str) -> Result<(), String> {
        self.record("announce");
        Ok(())
    }

    async fn probe(&self, _group: &str) -> Result<(), String> {
        let at = self.since_start();
        self.probes.lock().expect("lock").push(at);
        let mut failing = self.fail_probes.lock().expect("lock");
        if *failing > 0 {
            *failing -= 1;
            return Err("probe of nginx timed out after 20s".into());
        }
        Ok(())
    }

    async fn check_resource(&self, _group: &str, resource: usize) -> ActionOutcome {
        self.record(&format!("monitor {resource}"));
        // A monitor that takes a while: the next one waits for its answer.
        tokio::time::sleep(10 * MS).await;
        ActionOutcome::Succeeded
    }

    async fn monitor(&self, _group: &str) -> Result<(), String> {
        self.record("monitor");
        let mut failing = self.fail_monitors.lock().expect("lock");
        if *failing > 0 {
            *failing -= 1;
            return Err("not running".into());
        }
        Ok(())
    }
}

struct NoStore;

impl GenerationStore for NoStore {
    fn save_peer_generation(&self, _node: &str, _generation: u64) -> std::io::Result<()> {
        Ok(())
    }

    fn save_own_generation(&self, _generation: u64) -> std::io::Result<()> {
        Ok(())
    }
}

fn keys() -> AuthKeys {
    AuthKeys {
        active: 1,
        keys: [(
            1,
            AuthKey {
                method: AuthMethod::Sha1,
                secret: b"driver tests".to_vec(),
            },
        )]
        .into(),
    }
}

struct Node {
    recorder: Arc<Recorder>,
    handle: DriverHandle,
    task: tokio::task::JoinHandle<()>,
}

fn start_node(lan: &ChannelNetwork, name: &str, index: u8) -> Node {
    start_node_with(lan, name, index, None)
}

fn start_node_with(
    lan: &ChannelNetwork,
    name: &str,
    index: u8,
    on_heartbeat: Option<HeartbeatHook>,
) -> Node {
    spawn_node(lan, config_of(name, index), index, on_heartbeat)
}

/// Node `name`'s configuration: group [`GROUP`] preferred by `a`,
/// monitored as a whole every second.
fn config_of(name: &str, index: u8) -> Config {
    Config {
        local: name.to_string(),
        uuid: [index; 16],
        nodes: vec!["a".into(), "b".into()],
        keepalive: 100 * MS,
        warntime: 300 * MS,
        deadtime: 500 * MS,
        initdead: 1000 * MS,
        auto_failback: true,
        monitor_interval: Some(1000 * MS),
        resource_monitors: Vec::new(),
        ping_nodes: Vec::new(),
        ping_weights: Default::default(),
        deadping: 500 * MS,
        ipfail: false,
        fencing: false,
        groups: vec![GroupConfig {
            id: GROUP.into(),
            preferred: "a".into(),
        }],
    }
}

fn spawn_node(
    lan: &ChannelNetwork,
    config: Config,
    index: u8,
    on_heartbeat: Option<HeartbeatHook>,
) -> Node {
    let address: SocketAddr = ([10, 0, 0, index], 694).into();
    let medium: Arc<dyn Medium> = Arc::new(lan.endpoint("eth0", address));
    let machine = Machine::new(
        config,
        1,
        &BTreeMap::new(),
        tokio::time::Instant::now().into_std(),
    );
    let recorder = Arc::new(Recorder::default());
    let (mut driver, handle, commands) = Driver::new(
        machine,
        vec![medium],
        keys(),
        recorder.clone(),
        Arc::new(NoStore),
    );
    if let Some(hook) = on_heartbeat {
        driver.on_heartbeat(hook);
    }
    let task = tokio::spawn(driver.run(commands));
    Node {
        recorder,
        handle,
        task,
    }
}

async fn owner_seen_by(node: &Node) -> Option<String> {
    let snapshot = node.handle.status().await.expect("driver runs");
    snapshot.groups[0].owner.clone()
}

#[tokio::test(start_paused = true)]
async fn the_preferred_node_starts_its_group_and_monitors_it_at_the_interval() {
    let lan = ChannelNetwork::new();
    let a = start_node(&lan, "a", 1);
    let b = start_node(&lan, "b", 2);
    tokio::time::sleep(3200 * MS).await;
    assert_eq!(owner_seen_by(&a).await.as_deref(), Some("a"));
    assert_eq!(owner_seen_by(&b).await.as_deref(), Some("a"));
    let calls = a.recorder.calls();
    assert_eq!(calls[0].0, "start", "{calls:?}");
    // Started after 50 ms of agent time; monitored 1 s after each answer.
    let monitors: Vec<Duration> = calls
        .iter()
        .filter(|(what, _)| what == "monitor")
        .map(|(_, at)| *at)
        .collect();
    assert_eq!(monitors.len(), 3, "{calls:?}");
    for pair in monitors.windows(2) {
        let gap = pair[1] - pair[0];
        assert!((995 * MS..=1005 * MS).contains(&gap), "{monitors:?}");
    }
    assert!(
        b.recorder.calls().is_empty(),
        "b ran {:?}",
        b.recorder.calls()
    );
    a.task.abort();
    b.task.abort();
}

#[tokio::test(start_paused = true)]
async fn each_resource_is_monitored_at_its_own_interval() {
    let lan = ChannelNetwork::new();
    let monitored = |name: &str, index: u8| {
        let mut config = config_of(name, index);
        config.monitor_interval = None;
        config.resource_monitors = [(0, 1000 * MS), (2, 5000 * MS)]
            .into_iter()
            .map(|(resource, interval)| ResourceMonitor {
                group: GROUP.into(),
                resource,
                interval,
            })
            .collect();
        spawn_node(&lan, config, index, None)
    };
    let a = monitored("a", 1);
    let b = monitored("b", 2);
    tokio::time::sleep(31_000 * MS).await;
    let calls = a.recorder.calls();
    let at = |what: &str| -> Vec<Duration> {
        calls
            .iter()
            .filter(|(w, _)| w == what)
            .map(|(_, at)| *at)
            .collect()
    };
    let (fast, slow) = (at("monitor 0"), at("monitor 2"));
    // 30 s of running: every 1 s (+10 ms of monitor) and every 5 s.
    assert!((29..=30).contains(&fast.len()), "{fast:?}");
    assert_eq!(slow.len(), 6, "{slow:?}");
    for (times, every) in [(&fast, 1000 * MS), (&slow, 5000 * MS)] {
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                (every + 5 * MS..=every + 15 * MS).contains(&gap),
                "{times:?}"
            );
        }
    }
    assert_eq!(a.recorder.count("monitor"), 0, "no whole-group monitor");
    assert!(b.recorder.calls().is_empty());
    eprintln!(
        "monitors in 31 s: resource 0 (1 s) {}, resource 2 (5 s) {}",
        fast.len(),
        slow.len()
    );
    a.task.abort();
    b.task.abort();
}

#[tokio::test(start_paused = true)]
async fn the_node_not_holding_the_group_probes_it_and_a_failed_probe_moves_nothing() {
    let lan = ChannelNetwork::new();
    let a = start_node(&lan, "a", 1);
    let b = start_node(&lan, "b", 2);
    *b.recorder.fail_probes.lock().expect("lock") = 2;
    tokio::time::sleep(5500 * MS).await;
    // b settles on hearing a (at once) and probes then, then every second
    // (the monitor interval), two failures included.
    let probes = b.recorder.probes.lock().expect("lock").clone();
    assert!((5..=6).contains(&probes.len()), "{probes:?}");
    for pair in probes.windows(2) {
        let gap = pair[1] - pair[0];
        assert!((995 * MS..=1005 * MS).contains(&gap), "{probes:?}");
    }
    assert!(b.recorder.calls().is_empty(), "{:?}", b.recorder.calls());
    assert_eq!(owner_seen_by(&b).await.as_deref(), Some("a"));
    assert_eq!(owner_seen_by(&a).await.as_deref(), Some("a"));
    // The owner probes nothing: its start probes, in the resource layer.
    assert!(a.recorder.probes.lock().expect("lock").is_empty());
    a.task.abort();
    b.task.abort();
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_hook_runs_once_per_keepalive() {
    let lan = ChannelNetwork::new();
    let beats = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = beats.clone();
    let hook: HeartbeatHook = Box::new(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let a = start_node_with(&lan, "a", 1, Some(hook));
    let b = start_node(&lan, "b", 2);
    tokio::time::sleep(2000 * MS).await;
    let settled = beats.load(std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(1000 * MS).await;
    let in_a_second = beats.load(std::sync::atomic::Ordering::SeqCst) - settled;
    assert_eq!(in_a_second, 10, "keepalive 100 ms");
    a.task.abort();
    b.task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_failed_monitor_restarts_the_group_in_place() {
    let lan = ChannelNetwork::new();
    let a = start_node(&lan, "a", 1);
    let b = start_node(&lan, "b", 2);
    tokio::time::sleep(500 * MS).await;
    *a.recorder.fail_monitors.lock().expect("lock") = 1;
    tokio::time::sleep(1500 * MS).await;
    let kinds: Vec<String> = a.recorder.calls().into_iter().map(|(w, _)| w).collect();
    assert_eq!(&kinds[..3], ["start", "monitor", "start"], "{kinds:?}");
    assert_eq!(owner_seen_by(&b).await.as_deref(), Some("a"));
    assert!(b.recorder.calls().is_empty());
    a.task.abort();
    b.task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_hands_the_group_over_without_waiting_for_deadtime() {
    let lan = ChannelNetwork::new();
    let a = start_node(&lan, "a", 1);
    let b = start_node(&lan, "b", 2);
    tokio::time::sleep(1500 * MS).await;
    let asked = tokio::time::Instant::now();
    a.handle.shutdown().await;
    a.task.await.expect("a's driver ends after its shutdown");
    assert_eq!(a.recorder.count("stop"), 1);
    // b takes over on the shutdown message, well before deadtime (500 ms).
    while b.recorder.count("start") == 0 {
        tokio::time::sleep(MS).await;
        assert!(asked.elapsed() < 100 * MS, "b did not take over at once");
    }
    tokio::time::sleep(100 * MS).await;
    assert_eq!(owner_seen_by(&b).await.as_deref(), Some("b"));
    b.task.abort();
}

/// A driver for node `a` on two media, its group preferred by `b`, which
/// the test plays by hand: `b` is the other end of each medium.
fn lone_a_on_two_media(eth0: &ChannelNetwork, eth1: &ChannelNetwork) -> Node {
    let config = Config {
        local: "a".to_string(),
        uuid: [1; 16],
        nodes: vec!["a".into(), "b".into()],
        keepalive: 100 * MS,
        warntime: 300 * MS,
        deadtime: 500 * MS,
        initdead: 1000 * MS,
        auto_failback: true,
        monitor_interval: None,
        resource_monitors: Vec::new(),
        ping_nodes: Vec::new(),
        ping_weights: Default::default(),
        deadping: 500 * MS,
        ipfail: false,
        fencing: false,
        groups: vec![GroupConfig {
            id: GROUP.into(),
            preferred: "b".into(),
        }],
    };
    let media: Vec<Arc<dyn Medium>> = vec![
        Arc::new(eth0.endpoint("eth0", ([10, 0, 0, 1], 694).into())),
        Arc::new(eth1.endpoint("eth1", ([10, 0, 1, 1], 694).into())),
    ];
    let machine = Machine::new(
        config,
        1,
        &BTreeMap::new(),
        tokio::time::Instant::now().into_std(),
    );
    let recorder = Arc::new(Recorder::default());
    let (driver, handle, commands) =
        Driver::new(machine, media, keys(), recorder.clone(), Arc::new(NoStore));
    let task = tokio::spawn(driver.run(commands));
    Node {
        recorder,
        handle,
        task,
    }
}

/// `b`'s heartbeat number `seq`, active and holding the group, signed.
fn heartbeat_of_b(seq: u64) -> Vec<u8> {
    let message = Message::Status(crate::message::Status {
        header: crate::message::Header {
            from: "b".into(),
            uuid: [2; 16],
            generation: 1,
            seq,
        },
        state: crate::message::NodeState::Active,
        deadtime_ms: 500,
        held: vec![GROUP.into()],
        failed: Vec::new(),
        standby: Vec::new(),
        ping_nodes: None,
        lists_groups: true,
    });
    let wire = message.to_wire(1, 1).expect("to wire");
    wire::encode(&wire, &keys()).expect("encode")
}

#[tokio::test(start_paused = true)]
async fn arrivals_give_gaps_percentiles_silences_and_a_takeover_with_its_cause() {
    let (eth0, eth1) = (ChannelNetwork::new(), ChannelNetwork::new());
    let began = tokio::time::Instant::now();
    let a = lone_a_on_two_media(&eth0, &eth1);
    let b0 = eth0.endpoint("eth0", ([10, 0, 0, 2], 694).into());
    let b1 = eth1.endpoint("eth1", ([10, 0, 1, 2], 694).into());
    // On eth0: 99 gaps of 100 ms, one of 250 ms, one of 350 ms (later
    // than warntime, 300 ms), then silence. On eth1: the first 10 only.
    let mut gaps = vec![100 * MS; 99];
    gaps.extend([250 * MS, 350 * MS]);
    for seq in 1..=102u64 {
        let datagram = heartbeat_of_b(seq);
        b0.send(&datagram).await.expect("send on eth0");
        if seq <= 10 {
            b1.send(&datagram).await.expect("send on eth1");
        }
        if let Some(gap) = gaps.get(usize::try_from(seq).expect("small") - 1) {
            tokio::time::sleep(*gap).await;
        }
    }
    // The last heartbeat left at 10.5 s; `b` is dead at 11 s.
    assert_eq!(began.elapsed(), 10_500 * MS);
    tokio::time::sleep(700 * MS).await;
    assert_eq!(a.recorder.count("start"), 1);
    let history = a.handle.status().await.expect("driver runs").history;

    assert_eq!(history.deadtime, 500 * MS);
    assert_eq!(history.uptime, 11_200 * MS);
    let b = &history.peers[0];
    assert_eq!(b.node, "b");
    assert_eq!(b.received, 102, "each message once, whatever the media");
    assert_eq!(b.late, 2, "the 350 ms gap and the final silence");
    assert_eq!(b.longest_silence, 700 * MS, "the silence going on");

    let on_eth0 = &b.links[0];
    assert_eq!(on_eth0.medium, "channel eth0");
    assert_eq!((on_eth0.received, on_eth0.late), (102, 1));
    assert_eq!(on_eth0.longest_silence, 700 * MS);
    let gaps = on_eth0.gaps.expect("gaps on eth0");
    assert_eq!(gaps.count, 101);
    assert_eq!(
        (gaps.p50, gaps.p90, gaps.p99, gaps.p999, gaps.max),
        (100 * MS, 100 * MS, 250 * MS, 350 * MS, 350 * MS)
    );
    let on_eth1 = &b.links[1];
    assert_eq!(on_eth1.medium, "channel eth1");
    assert_eq!((on_eth1.received, on_eth1.late), (10, 0));
    assert_eq!(on_eth1.longest_silence, (11_200 - 900) * MS);
    let gaps = on_eth1.gaps.expect("gaps on eth1");
    assert_eq!((gaps.count, gaps.max), (9, 100 * MS));

    let takeovers: Vec<_> = history.takeovers.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(takeovers, [&(StartCause::PeerDead, 1)]);
    assert!(history.releases.iter().all(|(_, n)| *n == 0));
    assert_eq!(history.conflicts, 0);
    let takeover = history
        .events
        .iter()
        .find(|e| e.what.kind() == "takeover")
        .expect("a takeover in the ring");
    assert_eq!(
        takeover.what,
        HistoryEntry::Takeover {
            group: GROUP.into(),
            cause: StartCause::PeerDead,
        }
    );
    assert_eq!(takeover.since_start, 11_000 * MS);
    a.task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_lone_node_records_its_state_changes_and_its_initial_takeover() {
    let lan = ChannelNetwork::new();
    let a = start_node(&lan, "a", 1);
    // `a` alone: up, active after initdead, `b` dead, the group taken.
    tokio::time::sleep(1500 * MS).await;
    let history = a.handle.status().await.expect("driver runs").history;
    let kinds: Vec<&str> = history.events.iter().map(|e| e.what.kind()).collect();
    assert_eq!(kinds, ["node", "node", "node", "takeover"], "{history:?}");
    assert_eq!(
        history.events[3].what,
        HistoryEntry::Takeover {
            group: GROUP.into(),
            cause: StartCause::Initial,
        }
    );
    assert_eq!(history.events[3].since_start, 1000 * MS, "after initdead");
    a.task.abort();
}

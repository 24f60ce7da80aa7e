//! The driver under tokio's paused clock: two nodes on an in-process LAN,
//! groups run by a recorder. The driver only carries out what the machine
//! decides; these tests check that it does, in time and in order.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use ha_transport::sim::ChannelNetwork;

use super::*;
use crate::auth::{AuthKey, AuthMethod};
use crate::machine::{Config, GroupConfig};

const GROUP: &str = "IPaddr::10.0.0.100/24/eth0";
const MS: Duration = Duration::from_millis(1);

/// Every call, with the paused clock's time since the test began.
#[derive(Default)]
struct Recorder {
    started: Mutex<Option<tokio::time::Instant>>,
    calls: Mutex<Vec<(String, Duration)>>,
    fail_monitors: Mutex<usize>,
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
    let config = Config {
        local: name.to_string(),
        uuid: [index; 16],
        nodes: vec!["a".into(), "b".into()],
        keepalive: 100 * MS,
        warntime: 300 * MS,
        deadtime: 500 * MS,
        initdead: 1000 * MS,
        auto_failback: true,
        monitor_interval: Some(1000 * MS),
        groups: vec![GroupConfig {
            id: GROUP.into(),
            preferred: "a".into(),
        }],
    };
    let address: SocketAddr = ([10, 0, 0, index], 694).into();
    let medium: Arc<dyn Medium> = Arc::new(lan.endpoint("eth0", address));
    let machine = Machine::new(
        config,
        1,
        &BTreeMap::new(),
        tokio::time::Instant::now().into_std(),
    );
    let recorder = Arc::new(Recorder::default());
    let (driver, handle, commands) = Driver::new(
        machine,
        vec![medium],
        keys(),
        recorder.clone(),
        Arc::new(NoStore),
    );
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

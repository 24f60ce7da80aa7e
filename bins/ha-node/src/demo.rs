//! `ha-node demo`: a two-node failover shown end to end in network namespaces.
//!
//! Builds the lab of [`TwoNodeCluster`] (node-a and node-b sharing the virtual
//! IP 10.77.0.100, a client polling it every 10 ms), runs this very binary as
//! both nodes, then crashes, restarts and stops node-a, printing a timeline in
//! milliseconds from the start and a summary next to the reference peers.
//! Everything it built is removed when it ends, also on Ctrl-C.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ha_lab::cluster::{ClusterSpec, Node, TwoNodeCluster};
use ha_lab::{LabError, Watcher};
use tokio::signal::unix::{signal, SignalKind};

/// Prints a line to stdout; a closed stdout (`ha-node demo | head`) does
/// not stop the demo, which still has to clean up.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// How often the client connects to the virtual IP.
const CLIENT_PERIOD: Duration = Duration::from_millis(10);

/// How long one client connection may take: a probe that reaches node-a just
/// after it let the address go is lost, and is given up on after this.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(20);

/// The longest any step may take before the demo gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The one line for a user who is not root.
const NOT_ROOT: &str =
    "the demo needs root: it builds network namespaces (try `sudo ha-node demo`)";

/// Set in the environment to keep the configuration and logs.
const KEEP_VARIABLE: &str = "HA_DEMO_KEEP";

/// A reference peer's medians in the same topology: ms from the fault to the
/// client first served by node B (keepalive 100 ms, deadtime 500 ms or the
/// peer's nearest setting).
struct Reference {
    name: &'static str,
    settings: &'static str,
    kill_ms: u64,
    sigterm_ms: u64,
}

/// Measured on this kind of machine; the method and every run are in the docs.
const REFERENCES: [Reference; 2] = [
    Reference {
        name: "heartbeat 3.0.6",
        settings: "mcast 100ms/500ms",
        kill_ms: 977,
        sigterm_ms: 621,
    },
    Reference {
        name: "keepalived 2.2.7",
        settings: "VRRPv3 0.1 s",
        kill_ms: 334,
        sigterm_ms: 72,
    },
];

/// One step of the demo: what it does, for the error message if it fails.
type Step = (&'static str, fn(&mut Demo) -> Result<(), String>);

/// The demo, in order.
const STEPS: [Step; 5] = [
    ("start both nodes", Demo::start_nodes),
    ("kill -9 node-a", Demo::crash_owner),
    ("restart node-a", Demo::restart_crashed),
    ("fail back to node-a", Demo::fail_back),
    ("SIGTERM node-a", Demo::stop_owner),
];

/// Runs the demo; `Err` names the step that did not happen as expected.
pub fn run() -> Result<(), String> {
    let interrupted = interrupt_flag()?;
    let mut demo = Demo::build(interrupted)?;
    let outcome = STEPS.iter().try_for_each(|(name, step)| {
        if demo.interrupted.load(Ordering::SeqCst) {
            return Err(format!("interrupted before step '{name}'"));
        }
        step(&mut demo).map_err(|e| format!("step '{name}' failed: {e}"))
    });
    if outcome.is_ok() {
        demo.summary();
    }
    demo.where_the_logs_are();
    outcome
}

/// A flag raised by SIGINT or SIGTERM, so that the lab is torn down (by the
/// drops) instead of left behind. The signals are caught by a handler, not
/// blocked: a blocked mask would be inherited by the nodes it starts.
fn interrupt_flag() -> Result<Arc<AtomicBool>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the signal runtime: {e}"))?;
    let (mut interrupt, mut terminate) = {
        let _context = runtime.enter();
        let catch = |kind| signal(kind).map_err(|e| format!("cannot catch signals: {e}"));
        (
            catch(SignalKind::interrupt())?,
            catch(SignalKind::terminate())?,
        )
    };
    let flag = Arc::new(AtomicBool::new(false));
    let raised = Arc::clone(&flag);
    std::thread::Builder::new()
        .name("demo-signals".into())
        .spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            });
            eprintln!("ha-node demo: interrupted, cleaning up");
            raised.store(true, Ordering::SeqCst);
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(flag)
}

/// The lab, the client and what was measured so far.
struct Demo {
    start: Instant,
    cluster: TwoNodeCluster,
    client: Watcher,
    interrupted: Arc<AtomicBool>,
    restarted: Option<Instant>,
    kill_failover: Option<Duration>,
    sigterm_failover: Option<Duration>,
}

impl Demo {
    fn build(interrupted: Arc<AtomicBool>) -> Result<Demo, String> {
        let start = Instant::now();
        let binary = std::env::current_exe()
            .map_err(|e| format!("cannot find the ha-node executable: {e}"))?;
        let mut cluster = match TwoNodeCluster::new("demo", ClusterSpec::fast(binary)) {
            Ok(cluster) => cluster,
            Err(LabError::NotPermitted { .. }) => return Err(NOT_ROOT.into()),
            Err(e) => return Err(format!("step 'build the lab' failed: {e}")),
        };
        out!("ha-node demo: two nodes keep 10.77.0.100 answering a client");
        out!("(keepalive 100 ms, deadtime 500 ms, auto_failback on; times from the start)\n");
        if std::env::var_os(KEEP_VARIABLE).is_some() {
            cluster.keep_files();
        }
        let client = cluster
            .client()
            .watch_tcp_with_timeout(cluster.vip(), CLIENT_PERIOD, CLIENT_TIMEOUT)
            .map_err(|e| format!("step 'build the lab' failed: {e}"))?;
        let demo = Demo {
            start,
            cluster,
            client,
            interrupted,
            restarted: None,
            kill_failover: None,
            sigterm_failover: None,
        };
        demo.say(
            Instant::now(),
            "lab built: node-a 10.77.0.1, node-b 10.77.0.2, client 10.77.0.10 polling VIP:8080 every 10 ms",
        );
        Ok(demo)
    }

    fn start_nodes(&mut self) -> Result<(), String> {
        for node in Node::BOTH {
            self.cluster.start(node).map_err(|e| e.to_string())?;
        }
        self.say(Instant::now(), "node-a and node-b started");
        let settled = self.wait_for("the nodes to settle", |c| {
            c.cluster.is_settled(Node::A).then(Instant::now)
        })?;
        self.say(settled, "both active, VIP on node-a");
        let served = self.wait_for("the client served by A", |c| {
            c.client.first_reply_after(settled, "A")
        })?;
        self.say(served, "client served by A");
        Ok(())
    }

    fn crash_owner(&mut self) -> Result<(), String> {
        let killed = Instant::now();
        self.cluster.kill(Node::A).map_err(|e| e.to_string())?;
        self.say(killed, "kill -9 node-a");
        let served = self.wait_for("the client served by B", |c| {
            c.client.first_reply_after(killed, "B")
        })?;
        let took = served - killed;
        self.kill_failover = Some(took);
        self.say(
            served,
            format!(
                "client served by B after {} ms (deadtime 500 ms from node-a's last heartbeat)",
                took.as_millis()
            ),
        );
        Ok(())
    }

    fn restart_crashed(&mut self) -> Result<(), String> {
        let restarted = Instant::now();
        self.cluster.start(Node::A).map_err(|e| e.to_string())?;
        self.restarted = Some(restarted);
        self.say(
            restarted,
            "restart node-a (it first clears the VIP its crash left configured)",
        );
        Ok(())
    }

    fn fail_back(&mut self) -> Result<(), String> {
        let restarted = self.restarted.ok_or("node-a was not restarted")?;
        let back = self.wait_for("node-b to see node-a active", |c| {
            (c.cluster.state_seen(Node::B, Node::A).as_deref() == Some("active")).then(Instant::now)
        })?;
        let served = self.wait_for("the client served by A", |c| {
            c.client.first_reply_after(restarted, "A")
        })?;
        let mut events = [
            (back, "node-a back (node-b sees it active)".to_string()),
            (
                served,
                format!(
                    "VIP fails back to node-a (auto_failback on): client served by A {} ms after the restart",
                    (served - restarted).as_millis()
                ),
            ),
        ];
        events.sort_by_key(|(at, _)| *at);
        for (at, what) in events {
            self.say(at, what);
        }
        let settled = self.wait_for("the nodes to settle", |c| {
            c.cluster.is_settled(Node::A).then(Instant::now)
        })?;
        self.say(settled, "both active again, VIP only on node-a");
        Ok(())
    }

    fn stop_owner(&mut self) -> Result<(), String> {
        let terminated = Instant::now();
        let child = self
            .cluster
            .terminate(Node::A)
            .map_err(|e| e.to_string())?
            .ok_or("node-a was not running")?;
        self.say(terminated, "SIGTERM node-a (graceful hand-over)");
        let served = self.wait_for("the client served by B", |c| {
            c.client.first_reply_after(terminated, "B")
        })?;
        let took = served - terminated;
        self.sigterm_failover = Some(took);
        self.say(
            served,
            format!("client served by B after {} ms", took.as_millis()),
        );
        let status = child
            .wait_timeout(STEP_TIMEOUT)
            .map_err(|e| e.to_string())?
            .ok_or("node-a did not exit after SIGTERM")?;
        if !status.success() {
            return Err(format!("node-a exited with {status}"));
        }
        if self.cluster.holds_vip(Node::A).map_err(|e| e.to_string())? {
            return Err("node-a exited but left the VIP configured".into());
        }
        self.say(Instant::now(), "node-a exited cleanly, VIP released");
        Ok(())
    }

    fn summary(&self) {
        let ms = |d: Option<Duration>| d.map_or("-".to_string(), |d| d.as_millis().to_string());
        out!("\nClient served by B after the fault (ms):");
        out!(
            "  {:<18} {:<20} {:>8} {:>8}",
            "",
            "settings",
            "kill -9",
            "SIGTERM"
        );
        out!(
            "  {:<18} {:<20} {:>8} {:>8}   this run",
            "ha-node",
            "bcast 100ms/500ms",
            ms(self.kill_failover),
            ms(self.sigterm_failover)
        );
        for peer in &REFERENCES {
            out!(
                "  {:<18} {:<20} {:>8} {:>8}   median",
                peer.name,
                peer.settings,
                peer.kill_ms,
                peer.sigterm_ms
            );
        }
        out!("  (reference: medians of Debian's heartbeat 3.0.6 and keepalived 2.2.7 in the same topology on a 2-core machine)");
    }

    fn where_the_logs_are(&self) {
        out!("\nLogs:");
        for node in Node::BOTH {
            let dir = self.cluster.node_dir(node);
            out!(
                "  {}: {} (stdout/stderr: {})",
                node.name(),
                dir.join("ha-log").display(),
                dir.join("output.log").display()
            );
        }
        if std::env::var_os(KEEP_VARIABLE).is_some() {
            out!("  kept ({KEEP_VARIABLE} is set)");
        } else {
            out!("  removed on exit; set {KEEP_VARIABLE}=1 to keep them");
        }
    }

    /// Prints a timeline line at `at`'s offset from the start.
    fn say(&self, at: Instant, what: impl Display) {
        out!(
            "{:>7} ms  {what}",
            at.saturating_duration_since(self.start).as_millis()
        );
    }

    /// Polls `found` every 10 ms until it gives a value, up to [`STEP_TIMEOUT`].
    fn wait_for<T>(
        &self,
        what: &str,
        mut found: impl FnMut(&Self) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            if let Some(value) = found(self) {
                return Ok(value);
            }
            if self.interrupted.load(Ordering::SeqCst) {
                return Err("interrupted".into());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no sign of {what} within {} s",
                    STEP_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

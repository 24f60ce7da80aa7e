//! Group runner tests with fake agents.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::agent::AgentErrorKind;

/// What a fake agent does for each action.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeed,
    Fail,
    Hang,
    /// Fails this many times, then succeeds.
    FailFirst(u32),
}

struct Fake {
    name: &'static str,
    start: Behaviour,
    stop: Behaviour,
    /// What `monitor` does; when it succeeds, it answers `health`.
    probe: Behaviour,
    /// Running once started, stopped once stopped.
    health: Mutex<Health>,
    log: Arc<Mutex<Vec<String>>>,
    /// Calls so far, for [`Behaviour::FailFirst`].
    calls: Mutex<u32>,
}

impl Fake {
    fn new(name: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Self {
        Fake {
            name,
            start: Behaviour::Succeed,
            stop: Behaviour::Succeed,
            probe: Behaviour::Succeed,
            health: Mutex::new(Health::Stopped),
            log: log.clone(),
            calls: Mutex::new(0),
        }
    }

    async fn act(&self, action: &str, behaviour: Behaviour) -> Result<(), AgentError> {
        self.log
            .lock()
            .expect("log lock")
            .push(format!("{action} {}", self.name));
        let calls = {
            let mut calls = self.calls.lock().expect("calls lock");
            *calls += 1;
            *calls
        };
        match behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::FailFirst(failures) if calls > failures => Ok(()),
            Behaviour::FailFirst(_) => Err(AgentError::new(
                self.name,
                AgentErrorKind::Failed(format!("{action} broke")),
            )),
            Behaviour::Fail => Err(AgentError::new(
                self.name,
                AgentErrorKind::Failed(format!("{action} broke")),
            )),
            Behaviour::Hang => {
                let _guard = Abandoned(
                    format!("abandoned {action} {}", self.name),
                    self.log.clone(),
                );
                std::future::pending::<()>().await;
                Ok(())
            }
        }
    }
}

/// Logs when a hanging action's future is dropped (as a process-group kill
/// guard of a script agent would act).
struct Abandoned(String, Arc<Mutex<Vec<String>>>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Ok(mut log) = self.1.lock() {
            log.push(std::mem::take(&mut self.0));
        }
    }
}

#[async_trait]
impl Agent for Fake {
    fn describe(&self) -> String {
        self.name.to_string()
    }
    async fn start(&self) -> Result<(), AgentError> {
        self.act("start", self.start).await?;
        *self.health.lock().expect("health lock") = Health::Running;
        Ok(())
    }
    async fn stop(&self) -> Result<(), AgentError> {
        self.act("stop", self.stop).await?;
        *self.health.lock().expect("health lock") = Health::Stopped;
        Ok(())
    }
    async fn monitor(&self) -> Result<Health, AgentError> {
        if self.probe != Behaviour::Succeed {
            self.act("monitor", self.probe).await?;
        }
        Ok(self.health.lock().expect("health lock").clone())
    }
    async fn validate(&self) -> Result<(), AgentError> {
        Ok(())
    }
    fn meta_data(&self) -> String {
        String::new()
    }
}

fn group(fakes: Vec<Fake>) -> Group {
    let agents: Vec<Arc<dyn Agent>> = fakes
        .into_iter()
        .map(|f| Arc::new(f) as Arc<dyn Agent>)
        .collect();
    Group::new("a b c", agents)
        .with_timeouts(ActionTimeouts {
            start: Duration::from_millis(100),
            stop: Duration::from_millis(100),
            monitor: Duration::from_millis(100),
            validate: Duration::from_millis(100),
        })
        .with_stop_retries(StopRetries {
            retries: 0,
            interval: Duration::ZERO,
        })
}

#[tokio::test]
async fn a_failed_stop_is_tried_again_as_heartbeat_does() {
    assert_eq!(
        StopRetries::default(),
        StopRetries {
            retries: 10,
            interval: Duration::from_secs(1)
        }
    );
    let retries = StopRetries {
        retries: 3,
        interval: Duration::from_millis(20),
    };
    let log = Arc::default();
    let mut a = Fake::new("a", &log);
    a.stop = Behaviour::FailFirst(3);
    let began = std::time::Instant::now();
    group(vec![a])
        .with_stop_retries(retries)
        .stop()
        .await
        .expect("the fourth stop works");
    assert!(
        began.elapsed() >= Duration::from_millis(60),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(taken(&log), ["stop a"; 4]);

    let mut b = Fake::new("b", &log);
    b.stop = Behaviour::FailFirst(4);
    let error = group(vec![b])
        .with_stop_retries(retries)
        .stop()
        .await
        .expect_err("a fifth attempt is not made");
    assert_eq!(taken(&log), ["stop b"; 4]);
    assert!(error.left_running(), "{error}");
}

fn taken(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().expect("log lock"))
}

#[tokio::test]
async fn starts_in_order_and_stops_in_reverse() {
    let log = Arc::default();
    let mut g = group(vec![
        Fake::new("a", &log),
        Fake::new("b", &log),
        Fake::new("c", &log),
    ]);
    g.start().await.expect("starts");
    assert_eq!(taken(&log), ["start a", "start b", "start c"]);
    g.monitor().await.expect("healthy");
    g.stop().await.expect("stops");
    assert_eq!(taken(&log), ["stop c", "stop b", "stop a"]);
}

#[tokio::test]
async fn failed_start_rolls_back_in_reverse_and_names_the_resource() {
    let log = Arc::default();
    let mut b = Fake::new("b", &log);
    b.start = Behaviour::Fail;
    let mut g = group(vec![Fake::new("a", &log), b, Fake::new("c", &log)]);
    let error = g.start().await.expect_err("b fails");
    assert_eq!(taken(&log), ["start a", "start b", "stop b", "stop a"]);
    match &error {
        GroupError::StartFailed {
            failure, rollback, ..
        } => {
            assert_eq!(failure.resource, "b");
            assert!(matches!(rollback, Rollback::Clean { stopped: 2 }));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "group 'a b c' did not start: start failed: b: start broke; rolled back (2 resource(s) stopped)"
    );
}

#[tokio::test]
async fn failed_rollback_is_reported() {
    let log = Arc::default();
    let mut a = Fake::new("a", &log);
    a.stop = Behaviour::Fail;
    let mut b = Fake::new("b", &log);
    b.start = Behaviour::Fail;
    let mut g = group(vec![a, b]);
    let error = g.start().await.expect_err("b fails");
    assert_eq!(taken(&log), ["start a", "start b", "stop b", "stop a"]);
    let GroupError::StartFailed {
        rollback: Rollback::Failed(failures),
        ..
    } = &error
    else {
        panic!("rollback should fail: {error:?}");
    };
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].resource, "a");
    assert!(error
        .to_string()
        .ends_with("ROLLBACK FAILED: stop failed: a: stop broke"));
}

#[tokio::test]
async fn hung_start_times_out_and_is_rolled_back() {
    let log = Arc::default();
    let mut b = Fake::new("b", &log);
    b.start = Behaviour::Hang;
    let mut g = group(vec![Fake::new("a", &log), b]);
    let began = std::time::Instant::now();
    let error = g.start().await.expect_err("b hangs");
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_millis(100),
        "gave up after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "took {waited:?}");
    assert_eq!(
        taken(&log),
        [
            "start a",
            "start b",
            "abandoned start b",
            "stop b",
            "stop a"
        ]
    );
    let GroupError::StartFailed { failure, .. } = &error else {
        panic!("unexpected {error:?}");
    };
    assert!(
        matches!(failure.cause, FailureCause::TimedOut(limit) if limit == Duration::from_millis(100))
    );
    assert!(error
        .to_string()
        .contains("start of b timed out after 100ms"));
}

#[tokio::test]
async fn a_resource_with_limits_of_its_own_is_held_to_them() {
    let log = Arc::default();
    let mut b = Fake::new("b", &log);
    b.start = Behaviour::Hang;
    let own = ActionTimeouts {
        start: Duration::from_millis(30),
        ..ActionTimeouts::default()
    };
    let mut g = group(vec![Fake::new("a", &log), b])
        .with_timeouts(ActionTimeouts::default())
        .with_resource_timeouts(vec![None, Some(own)]);
    let began = std::time::Instant::now();
    let error = g.start().await.expect_err("b hangs");
    assert!(began.elapsed() < Duration::from_secs(5), "the group's 20 s");
    assert!(
        error
            .to_string()
            .contains("start of b timed out after 30ms"),
        "{error}"
    );
}

#[tokio::test]
async fn stop_goes_on_past_failures_and_reports_them_all() {
    let log = Arc::default();
    let mut a = Fake::new("a", &log);
    a.stop = Behaviour::Fail;
    let mut c = Fake::new("c", &log);
    c.stop = Behaviour::Hang;
    let mut g = group(vec![a, Fake::new("b", &log), c]);
    let error = g.stop().await.expect_err("two stops fail");
    assert_eq!(
        taken(&log),
        ["stop c", "abandoned stop c", "stop b", "stop a"]
    );
    let GroupError::StopFailed { failures, .. } = &error else {
        panic!("unexpected {error:?}");
    };
    let who: Vec<&str> = failures.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(who, ["c", "a"]);
    assert_eq!(
        error.to_string(),
        "group 'a b c' did not stop cleanly: stop of c timed out after 100ms; stop failed: a: stop broke"
    );
}

#[tokio::test]
async fn monitor_reports_every_resource_not_running() {
    let log = Arc::default();
    let mut a = Fake::new("a", &log);
    a.health = Mutex::new(Health::Running);
    let b = Fake::new("b", &log);
    let mut c = Fake::new("c", &log);
    c.health = Mutex::new(Health::Failed("on eth1 instead of eth0".into()));
    let g = group(vec![a, b, c]);
    let error = g.monitor().await.expect_err("unhealthy");
    assert_eq!(
        error.to_string(),
        "group 'a b c' is not healthy: b is stopped; c is failed: on eth1 instead of eth0"
    );
}

#[tokio::test]
async fn run_with_timeout_passes_values_and_errors_through() {
    let limit = Duration::from_millis(50);
    let value = run_with_timeout("r", Action::Validate, limit, async { Ok(7) }).await;
    assert_eq!(value.ok(), Some(7));
    let failed = run_with_timeout::<()>("r", Action::Validate, limit, async {
        Err(AgentError::new(
            "r",
            AgentErrorKind::Configuration("bad".into()),
        ))
    })
    .await
    .expect_err("agent error");
    assert_eq!(
        failed.to_string(),
        "validate failed: r: invalid configuration: bad"
    );
}

/// Probes: a start skips what runs already; a clear stops, in reverse,
/// what runs where the group is not to run; a failed probe is an error
/// that stops nothing it did not find.
mod probes {
    use super::*;

    fn running(fake: Fake) -> Fake {
        *fake.health.lock().expect("health lock") = Health::Running;
        fake
    }

    #[tokio::test]
    async fn a_start_skips_what_its_probe_found_running_and_status_says_so() {
        let log = Arc::default();
        let mut g = group(vec![
            Fake::new("a", &log),
            running(Fake::new("b", &log)),
            Fake::new("c", &log),
        ]);
        g.start().await.expect("starts");
        assert_eq!(taken(&log), ["start a", "start c"]);
        let status = g.records().snapshot();
        assert_eq!(status[1].probed, Some(Ok(Health::Running)));
        assert_eq!(status[1].state, ResourceState::Running);
        let last = status[1].last.clone().expect("b's probe");
        assert_eq!((last.action, last.result), (Action::Probe, Ok(())));
        assert_eq!(status[0].probed, Some(Ok(Health::Stopped)));
        assert_eq!(
            status[0].last.clone().map(|l| l.action),
            Some(Action::Start)
        );
        g.monitor().await.expect("all of it runs");
    }

    #[tokio::test]
    async fn a_clear_stops_what_runs_in_reverse_order_and_leaves_the_rest() {
        let log = Arc::default();
        let mut g = group(vec![
            running(Fake::new("a", &log)),
            Fake::new("b", &log),
            running(Fake::new("c", &log)),
        ]);
        let cleared = g.clear().await.expect("cleared");
        assert_eq!(
            cleared,
            Cleared {
                held_here: false,
                stopped: vec!["c".into(), "a".into()]
            }
        );
        assert_eq!(taken(&log), ["stop c", "stop a"]);
        let states: Vec<ResourceState> = g.records().snapshot().iter().map(|r| r.state).collect();
        assert_eq!(states, [ResourceState::Stopped; 3]);
        // Nothing left: a second clear stops nothing.
        assert_eq!(
            g.clear().await.expect("cleared").stopped,
            Vec::<String>::new()
        );
        assert!(taken(&log).is_empty());
    }

    #[tokio::test]
    async fn a_clear_overtaken_by_a_start_leaves_the_group_alone() {
        let log = Arc::default();
        let mut g = group(vec![Fake::new("a", &log), Fake::new("b", &log)]);
        g.start().await.expect("starts");
        taken(&log);
        let cleared = g.clear().await.expect("nothing to clear");
        assert!(cleared.held_here);
        assert!(taken(&log).is_empty());
        g.stop().await.expect("stops");
        taken(&log);
        assert!(!g.clear().await.expect("cleared").held_here);
    }

    #[tokio::test]
    async fn a_partly_up_resource_is_stopped_too() {
        let log = Arc::default();
        let a = Fake::new("a", &log);
        *a.health.lock().expect("health lock") = Health::Failed("on eth1".into());
        let mut g = group(vec![a]);
        assert_eq!(g.clear().await.expect("cleared").stopped, ["a"]);
        assert_eq!(taken(&log), ["stop a"]);
    }

    #[tokio::test]
    async fn a_hung_probe_is_an_error_in_status_and_the_others_are_still_cleared() {
        let log = Arc::default();
        let mut b = Fake::new("b", &log);
        b.probe = Behaviour::Hang;
        let mut g = group(vec![running(Fake::new("a", &log)), b]);
        let error = g.clear().await.expect_err("b's probe hangs");
        assert!(!error.left_running());
        assert_eq!(
            error.to_string(),
            "group 'a b c': probe failed: probe of b timed out after 100ms"
        );
        assert_eq!(taken(&log), ["monitor b", "abandoned monitor b", "stop a"]);
        let status = g.records().snapshot();
        assert_eq!(status[1].state, ResourceState::Failed);
        assert_eq!(
            status[1].probed,
            Some(Err("probe of b timed out after 100ms".into()))
        );
        assert_eq!(status[0].state, ResourceState::Stopped);
    }

    #[tokio::test]
    async fn a_failed_probe_before_a_start_does_not_stop_the_start() {
        let log = Arc::default();
        let mut b = Fake::new("b", &log);
        b.probe = Behaviour::FailFirst(1);
        let mut g = group(vec![Fake::new("a", &log), b]);
        g.start().await.expect("starts all the same");
        assert_eq!(taken(&log), ["monitor b", "start a", "start b"]);
        let status = g.records().snapshot();
        assert_eq!(
            status[1].probed,
            Some(Err("probe failed: b: monitor broke".into()))
        );
        assert_eq!(status[1].state, ResourceState::Running);
    }

    #[tokio::test]
    async fn a_failed_stop_of_what_a_probe_found_is_a_stop_failure() {
        let log = Arc::default();
        let mut a = running(Fake::new("a", &log));
        a.stop = Behaviour::Fail;
        let mut g = group(vec![a]);
        let error = g.clear().await.expect_err("a does not stop");
        assert!(error.left_running(), "{error}");
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Per-resource monitoring tests: restart in place, thresholds, cleanup.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;

type Log = Arc<Mutex<Vec<String>>>;

/// An agent whose health the test sets.
struct Service {
    name: &'static str,
    health: Arc<Mutex<Health>>,
    start_fails: bool,
    log: Log,
}

#[async_trait]
impl Agent for Service {
    fn describe(&self) -> String {
        self.name.to_string()
    }
    async fn start(&self) -> Result<(), AgentError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("start {}", self.name));
        if self.start_fails {
            return Err(AgentError::new(
                self.name,
                crate::agent::AgentErrorKind::Failed("start broke".into()),
            ));
        }
        *self.health.lock().unwrap() = Health::Running;
        Ok(())
    }
    async fn stop(&self) -> Result<(), AgentError> {
        self.log.lock().unwrap().push(format!("stop {}", self.name));
        *self.health.lock().unwrap() = Health::Stopped;
        Ok(())
    }
    async fn monitor(&self) -> Result<Health, AgentError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("monitor {}", self.name));
        Ok(self.health.lock().unwrap().clone())
    }
    async fn validate(&self) -> Result<(), AgentError> {
        Ok(())
    }
    fn meta_data(&self) -> String {
        String::new()
    }
    fn last_output(&self) -> Vec<String> {
        vec![format!("{} says hello", self.name)]
    }
}

const TICK: Duration = Duration::from_millis(4);

fn plan(threshold: u32) -> MonitorPlan {
    MonitorPlan {
        interval: TICK,
        timeout: Duration::from_secs(1),
        migration_threshold: threshold,
        failure_timeout: Some(Duration::from_secs(60)),
    }
}

/// Three resources a, b, c; only b is monitored.
fn three(threshold: u32) -> (Group, Arc<Mutex<Health>>, Log) {
    let log: Log = Arc::default();
    let b_health = Arc::new(Mutex::new(Health::Stopped));
    let agents: Vec<Arc<dyn Agent>> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let health = if name == "b" {
                b_health.clone()
            } else {
                Arc::new(Mutex::new(Health::Stopped))
            };
            Arc::new(Service {
                name,
                health,
                start_fails: false,
                log: log.clone(),
            }) as Arc<dyn Agent>
        })
        .collect();
    let group = Group::new("a b c", agents)
        .with_monitoring(vec![None, Some(plan(threshold)), None])
        .with_descriptions(vec!["x".into(), "y".into(), "z".into()]);
    (group, b_health, log)
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn a_failed_resource_is_restarted_in_place_and_the_ones_after_it_too() {
    let (mut group, b, log) = three(2);
    assert_eq!(group.monitor_intervals(), [(1, TICK)]);
    // Not started: nothing is monitored.
    assert_eq!(group.check_resource(1).await.unwrap().monitored, 0);
    // Not monitored: nothing is monitored either.
    group.start().await.unwrap();
    take(&log);
    assert_eq!(group.check_resource(0).await.unwrap().monitored, 0);
    tokio::time::sleep(TICK).await;
    assert_eq!(
        group.check_resource(1).await.unwrap(),
        Checked {
            monitored: 1,
            restarted: vec![]
        }
    );
    assert_eq!(take(&log), ["monitor b"]);
    *b.lock().unwrap() = Health::Stopped;
    tokio::time::sleep(TICK).await;
    let checked = group.check_resource(1).await.unwrap();
    assert_eq!(checked.restarted, ["b"]);
    assert_eq!(
        take(&log),
        ["monitor b", "stop c", "stop b", "start b", "start c"]
    );
    let status = group.records().snapshot();
    assert_eq!(status[1].fail_count, 1);
    assert_eq!(status[1].state, ResourceState::Running);
    assert_eq!(status[1].how, "y");
    assert_eq!(status[1].monitor_interval, Some(TICK));
    assert_eq!(status[1].output, ["b says hello"]);
    let last = status[1].last.clone().unwrap();
    assert_eq!((last.action, last.result), (Action::Start, Ok(())));
    assert_eq!(status[0].state, ResourceState::Running);
    assert!(group.cleanup(Some("b")));
    assert!(!group.cleanup(Some("nothing")));
    assert_eq!(group.records().snapshot()[1].fail_count, 0);
}

#[tokio::test]
async fn reaching_the_migration_threshold_stops_the_group_and_gives_up() {
    let (mut group, b, log) = three(2);
    group.start().await.unwrap();
    for round in 1..=2 {
        *b.lock().unwrap() = Health::Failed("wrong".into());
        tokio::time::sleep(TICK).await;
        let checked = group.check_resource(1).await;
        take(&log);
        if round == 1 {
            assert_eq!(checked.unwrap().restarted, ["b"]);
            continue;
        }
        let error = checked.unwrap_err();
        assert!(!error.left_running());
        assert_eq!(
            error.to_string(),
            "group 'a b c' gave up here: b is failed: wrong; 2 failure(s) of b reach \
             its migration-threshold 2; stopped"
        );
        match error {
            GroupError::GaveUp {
                retry_after,
                stop_failures,
                ..
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(60)));
                assert!(stop_failures.is_empty());
            }
            other => panic!("expected the group to give up, got {other:?}"),
        }
    }
    let states: Vec<ResourceState> = group.records().snapshot().iter().map(|r| r.state).collect();
    assert_eq!(states, [ResourceState::Stopped; 3]);
    // Stopped: nothing is monitored any more.
    assert_eq!(group.check_resource(1).await.unwrap().monitored, 0);
}

#[tokio::test]
async fn a_threshold_of_zero_only_ever_restarts() {
    let (mut group, b, _log) = three(0);
    group.start().await.unwrap();
    for _ in 0..4 {
        *b.lock().unwrap() = Health::Stopped;
        tokio::time::sleep(TICK).await;
        assert_eq!(group.check_resource(1).await.unwrap().restarted, ["b"]);
    }
    assert_eq!(group.records().snapshot()[1].fail_count, 4);
}

#[tokio::test]
async fn a_failed_restart_gives_up_at_once() {
    let log: Log = Arc::default();
    let health = Arc::new(Mutex::new(Health::Stopped));
    let flaky = Arc::new(Service {
        name: "b",
        health: health.clone(),
        start_fails: false,
        log: log.clone(),
    });
    let broken = Arc::new(Service {
        name: "c",
        health: Arc::new(Mutex::new(Health::Stopped)),
        start_fails: true,
        log: log.clone(),
    });
    let mut group = Group::new("b c", vec![flaky.clone() as Arc<dyn Agent>])
        .with_monitoring(vec![Some(plan(5))]);
    group.start().await.unwrap();
    // Swap in a resource whose start fails from now on, after b.
    group.resources.push(broken);
    group.monitors.push(None);
    *health.lock().unwrap() = Health::Stopped;
    tokio::time::sleep(TICK).await;
    match group.check_resource(0).await {
        Err(GroupError::GaveUp { reason, .. }) => {
            assert!(reason.contains("the restart in place failed"), "{reason}");
        }
        other => panic!("expected the group to give up, got {other:?}"),
    }
}

//! An action the group runner abandons at its time limit leaves nothing
//! running when the agent runs its programs through ha-process: dropping
//! the action's future ends the program's whole process group.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::alive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ha_resources::agent::{Agent, AgentError, AgentErrorKind, Health};
use ha_resources::group::{ActionTimeouts, Group, GroupError};

/// A test agent whose start runs a script forking two long sleeps, their
/// pids written to a file.
struct Script {
    pids: std::path::PathBuf,
}

#[async_trait]
impl Agent for Script {
    fn describe(&self) -> String {
        "script".to_string()
    }
    async fn start(&self) -> Result<(), AgentError> {
        let script = format!(
            "{{ sleep 100 & echo $!; sleep 100 & echo $!; }} > {}; wait",
            self.pids.display()
        );
        let outcome = ha_process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .tag("script start")
            .run()
            .await
            .map_err(|e| AgentError::new("script", AgentErrorKind::Failed(e.to_string())))?;
        if outcome.success() {
            Ok(())
        } else {
            Err(AgentError::new(
                "script",
                AgentErrorKind::Failed(outcome.to_string()),
            ))
        }
    }
    async fn stop(&self) -> Result<(), AgentError> {
        Ok(())
    }
    async fn monitor(&self) -> Result<Health, AgentError> {
        Ok(Health::Stopped)
    }
    async fn validate(&self) -> Result<(), AgentError> {
        Ok(())
    }
    fn meta_data(&self) -> String {
        String::new()
    }
}

#[tokio::test]
async fn a_timed_out_start_leaves_no_process_behind() {
    let pids = std::env::temp_dir().join(format!("ha-resources-abandoned-{}", std::process::id()));
    let agent: Arc<dyn Agent> = Arc::new(Script { pids: pids.clone() });
    let limit = Duration::from_millis(300);
    let mut group = Group::new("script", vec![agent]).with_timeouts(ActionTimeouts {
        start: limit,
        stop: limit,
        monitor: limit,
        validate: limit,
    });
    let error = group.start().await.expect_err("the start hangs");
    assert!(matches!(error, GroupError::StartFailed { .. }), "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");
    let children: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let _ = std::fs::remove_file(&pids);
    assert_eq!(children.len(), 2);
    let deadline = Instant::now() + Duration::from_secs(5);
    while children.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        children.iter().all(|&pid| !alive(pid)),
        "still running: {children:?}"
    );
}

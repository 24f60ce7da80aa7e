//! The one [`Agent`] implementation of the native agents: each native
//! agent says what its actions do in [`NativeAgent`], with errors as bare
//! [`AgentErrorKind`]s, and this turns them into the [`Agent`] actions,
//! each error named after the resource, with meta-data rendered from the
//! agent's [`Description`].

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use super::meta_data::Description;
use crate::agent::{Agent, AgentError, AgentErrorKind, Health};

/// A resource served inside the daemon: its actions, before their errors
/// are named after the resource.
#[async_trait]
pub(crate) trait NativeAgent: Send + Sync {
    /// The resource as written in haresources.
    fn resource(&self) -> &str;
    /// Brings it up; succeeds if it already runs.
    async fn start_inner(&self) -> Result<(), AgentErrorKind>;
    /// Takes it down; succeeds if it is already stopped.
    async fn stop_inner(&self) -> Result<(), AgentErrorKind>;
    /// Whether it runs here.
    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind>;
    /// Checks the arguments without touching the system (nothing to check
    /// unless the agent says otherwise: its arguments were read already).
    fn validate_inner(&self) -> Result<(), AgentErrorKind> {
        Ok(())
    }
    /// Announces it again; nothing for a resource the network does not locate.
    async fn announce_inner(&self) -> Result<(), AgentErrorKind> {
        Ok(())
    }
    /// What its meta-data says.
    fn description(&self) -> Description;
}

#[async_trait]
impl<T: NativeAgent> Agent for T {
    fn describe(&self) -> String {
        self.resource().to_string()
    }

    async fn start(&self) -> Result<(), AgentError> {
        self.start_inner().await.map_err(|kind| named(self, kind))
    }

    async fn stop(&self) -> Result<(), AgentError> {
        self.stop_inner().await.map_err(|kind| named(self, kind))
    }

    async fn monitor(&self) -> Result<Health, AgentError> {
        self.monitor_inner().await.map_err(|kind| named(self, kind))
    }

    async fn validate(&self) -> Result<(), AgentError> {
        self.validate_inner().map_err(|kind| named(self, kind))
    }

    async fn announce(&self) -> Result<(), AgentError> {
        self.announce_inner()
            .await
            .map_err(|kind| named(self, kind))
    }

    fn meta_data(&self) -> String {
        self.description().render()
    }
}

/// `kind` as an error of `agent`'s resource.
fn named(agent: &impl NativeAgent, kind: AgentErrorKind) -> AgentError {
    AgentError::new(agent.resource(), kind)
}

/// The health of a resource whose running state the agent keeps in itself.
pub(crate) fn running_or_stopped(running: &AtomicBool) -> Health {
    if running.load(Ordering::SeqCst) {
        Health::Running
    } else {
        Health::Stopped
    }
}

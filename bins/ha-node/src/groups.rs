//! The node's resource groups, started, stopped and monitored for the
//! membership driver. Actions on one group never overlap: each group has a
//! lock its actions take in turn.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ha_membership::driver::GroupControl;
use ha_resources::group::{ActionTimeouts, Group};
use ha_resources::{group_of, ResolvedGroup};

/// Every group of haresources, by id, ready to start.
pub struct Groups {
    groups: HashMap<String, Arc<tokio::sync::Mutex<Group>>>,
}

impl Groups {
    /// Builds the agents of every resolved group, each action limited by
    /// the default timeouts.
    pub fn build(resolved: &[ResolvedGroup]) -> Self {
        let groups = resolved
            .iter()
            .map(|group| {
                let built = group_of(group, ActionTimeouts::default());
                (group.spec.id(), Arc::new(tokio::sync::Mutex::new(built)))
            })
            .collect();
        Groups { groups }
    }

    /// Stops every group (stopping is idempotent): a node that crashed may
    /// have left resources behind, such as a virtual IP still configured,
    /// and must not answer for a group it does not own once it is back.
    pub async fn release_leftovers(&self) -> Result<(), String> {
        for (id, group) in &self.groups {
            let group = group.lock().await;
            if group.monitor().await.is_ok() {
                log::info!("resource group {id} was left running by an earlier run");
            }
            group
                .stop()
                .await
                .map_err(|e| format!("cannot clear what an earlier run left of {id}: {e}"))?;
        }
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Arc<tokio::sync::Mutex<Group>>, String> {
        self.groups
            .get(id)
            .cloned()
            .ok_or_else(|| format!("no resource group '{id}' in haresources"))
    }
}

#[async_trait]
impl GroupControl for Groups {
    async fn start(&self, group: &str) -> Result<(), String> {
        let group = self.get(group)?;
        let group = group.lock().await;
        group.start().await.map_err(|e| e.to_string())
    }

    async fn stop(&self, group: &str) -> Result<(), String> {
        let group = self.get(group)?;
        let group = group.lock().await;
        group.stop().await.map_err(|e| e.to_string())
    }

    async fn monitor(&self, group: &str) -> Result<(), String> {
        let group = self.get(group)?;
        let group = group.lock().await;
        group.monitor().await.map_err(|e| e.to_string())
    }

    async fn announce(&self, group: &str) -> Result<(), String> {
        let group = self.get(group)?;
        let group = group.lock().await;
        group.announce().await.map_err(|e| e.to_string())
    }
}

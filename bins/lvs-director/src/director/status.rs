//! `lvs-director status`: what the director knows of each virtual service
//! and real server (health, latest check, failures) beside what the
//! kernel's table holds (weights), assembled into a [`StatusReport`].

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ha_checks::config::{forwarding_name, DirectorConfig};
use ha_checks::reconcile::{desired_virtual, DirectorSpec, Health, RealKey, ServiceName, Table};
use ha_checks::scheduler::RealStatus;
use ha_ipvs::DestinationKey;

use crate::control::{FallbackReport, RealReport, StatusReport, VirtualReport};

/// What the loop knows, taken at the moment of the request.
pub struct StatusInputs {
    /// The configuration file.
    pub path: String,
    /// The parsed configuration.
    pub config: DirectorConfig,
    /// The reconciler's view of it.
    pub spec: Arc<DirectorSpec>,
    /// The health of each real server.
    pub health: BTreeMap<RealKey, Health>,
    /// The checks' own records.
    pub checks: HashMap<RealKey, RealStatus>,
}

fn server(key: &DestinationKey) -> String {
    match key.addr {
        IpAddr::V4(a) => format!("{a}:{}", key.port),
        IpAddr::V6(a) => format!("[{a}]:{}", key.port),
    }
}

/// The report, given the kernel's table (or why it could not be read).
pub fn report(inputs: &StatusInputs, table: Result<Table, String>) -> StatusReport {
    let now = Instant::now();
    let (table, kernel_error) = match table {
        Ok(table) => (table, None),
        Err(e) => (Table::new(), Some(e)),
    };
    let mut virtual_services = Vec::new();
    for v in &inputs.config.virtual_services {
        let Some(spec) = inputs.spec.get(&v.key) else {
            continue;
        };
        let held = table.get(&v.key);
        let weight_of =
            |key: &DestinationKey| held.and_then(|s| s.destinations.get(key)).map(|d| d.weight);
        let desired = desired_virtual(spec, inputs.spec.readd_quiescent, &inputs.health, held);
        let reals = v
            .reals
            .iter()
            .map(|real| {
                let dkey = v.destination_key(real);
                let key = RealKey {
                    service: v.key,
                    real: dkey,
                };
                let status = inputs.checks.get(&key);
                let last = status.and_then(|s| s.last.as_ref());
                RealReport {
                    server: server(&dkey),
                    forwarding: forwarding_name(real.forwarding)
                        .unwrap_or("gate")
                        .to_string(),
                    weight: real.weight,
                    health: inputs
                        .health
                        .get(&key)
                        .copied()
                        .unwrap_or_default()
                        .name()
                        .to_string(),
                    kernel_weight: weight_of(&dkey),
                    last_result: last.map(|o| if o.healthy { "up" } else { "down" }.to_string()),
                    last_detail: last.map(|o| o.detail.clone()),
                    last_latency_ms: last.map(|o| o.latency.as_secs_f64() * 1000.0),
                    last_check_ms_ago: status.and_then(|s| s.last_at).map(|at| {
                        u64::try_from(now.saturating_duration_since(at).as_millis())
                            .unwrap_or(u64::MAX)
                    }),
                    failures: status.map_or(0, |s| s.failures),
                    checks: status.map_or(0, |s| s.checks),
                    failed_checks: status.map_or(0, |s| s.failed_checks),
                }
            })
            .collect();
        virtual_services.push(VirtualReport {
            service: ServiceName(&v.key).to_string(),
            scheduler: v.scheduler.clone(),
            checktype: v.check.check_type.name(),
            in_kernel: held.is_some(),
            reals_up: desired.reals_up,
            fallback_active: desired.fallback_active,
            fallback: spec.fallback().map(|f| FallbackReport {
                server: server(&f.key()),
                kernel_weight: weight_of(&f.key()),
            }),
            reals,
        });
    }
    StatusReport {
        config: inputs.path.clone(),
        pid: std::process::id(),
        autoreload: inputs.config.global.autoreload,
        kernel_error,
        virtual_services,
    }
}

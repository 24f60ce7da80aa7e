//! The IPVS worker: one thread that owns the netlink handle and does every
//! IPVS call — reading the table, applying a plan, stopping — so that the
//! check loop never waits on the kernel. Requests are answered in order,
//! through channels the async side awaits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use ha_checks::reconcile::{reconcile, stop_changes, DirectorSpec, Health, Plan, RealKey, Table};
use ha_ipvs::{Change, Ipvs, IpvsError, ServiceKey};
use tokio::sync::{mpsc, oneshot};

use super::describe;
use crate::metrics::{self, KernelView};
use ha_ipvs::proc_stats;

/// One change and what the kernel said.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The change.
    pub change: Change,
    /// `None` when done, else the kernel's refusal with its errno
    /// ([`describe::refusal`]).
    pub error: Option<String>,
}

/// What one reconciliation pass did.
#[derive(Debug, Clone)]
pub struct PassReport {
    /// The pass's number (as asked).
    pub seq: u64,
    /// What the reconciler decided (empty when the table could not be read).
    pub plan: Plan,
    /// Each change with its result.
    pub applied: Vec<Applied>,
    /// The table could not be read or the plan not sent.
    pub error: Option<String>,
    /// Retired services that are no longer in the kernel.
    pub gone: Vec<ServiceKey>,
}

impl PassReport {
    /// Whether everything was done.
    pub fn complete(&self) -> bool {
        self.error.is_none() && self.applied.iter().all(|a| a.error.is_none())
    }
}

enum Request {
    Pass {
        seq: u64,
        spec: Arc<DirectorSpec>,
        health: BTreeMap<RealKey, Health>,
        retired: Vec<ServiceKey>,
    },
    Read {
        owned: BTreeSet<ServiceKey>,
        reply: oneshot::Sender<Result<Table, String>>,
    },
    Stop {
        spec: Arc<DirectorSpec>,
        retired: Vec<ServiceKey>,
        reply: oneshot::Sender<(Vec<Applied>, Option<String>)>,
    },
    Kernel {
        reply: oneshot::Sender<Result<KernelView, String>>,
    },
}

/// The handle the async side holds.
pub struct Worker {
    requests: Option<std_mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

/// The kernel's table with the services in `owned`.
fn read(ipvs: &mut Ipvs, owned: &BTreeSet<ServiceKey>) -> Result<Table, IpvsError> {
    Table::read(ipvs, |key| owned.contains(key))
}

fn apply(ipvs: &mut Ipvs, changes: &[Change]) -> (Vec<Applied>, Option<String>) {
    if changes.is_empty() {
        return (Vec::new(), None);
    }
    match ipvs.apply(changes) {
        Ok(results) => (
            changes
                .iter()
                .zip(results)
                .map(|(change, result)| Applied {
                    change: change.clone(),
                    error: result.err().map(|e| describe::refusal(&e)),
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    }
}

fn pass(
    ipvs: &mut Ipvs,
    seq: u64,
    spec: &DirectorSpec,
    health: &BTreeMap<RealKey, Health>,
    retired: &[ServiceKey],
) -> PassReport {
    let owned: BTreeSet<ServiceKey> = spec
        .virtuals()
        .iter()
        .map(|v| v.key())
        .chain(retired.iter().copied())
        .collect();
    let mut report = PassReport {
        seq,
        plan: Plan::default(),
        applied: Vec::new(),
        error: None,
        gone: Vec::new(),
    };
    let table = match read(ipvs, &owned) {
        Ok(table) => table,
        Err(e) => {
            report.error = Some(format!("cannot read the IPVS table: {e}"));
            return report;
        }
    };
    report.plan = reconcile(spec, health, &table, retired);
    let (applied, error) = apply(ipvs, &report.plan.changes);
    report.applied = applied;
    report.error = error;
    for key in retired {
        let deleted = report
            .applied
            .iter()
            .any(|a| a.change == Change::DeleteService(*key) && a.error.is_none());
        if !spec.contains(key) && (table.get(key).is_none() || deleted) {
            report.gone.push(*key);
        }
    }
    report
}

fn serve(
    mut ipvs: Ipvs,
    requests: std_mpsc::Receiver<Request>,
    reports: mpsc::UnboundedSender<PassReport>,
) {
    while let Ok(request) = requests.recv() {
        match request {
            Request::Pass {
                seq,
                spec,
                health,
                retired,
            } => {
                let report = pass(&mut ipvs, seq, &spec, &health, &retired);
                if reports.send(report).is_err() {
                    return;
                }
            }
            Request::Read { owned, reply } => {
                let _ = reply.send(read(&mut ipvs, &owned).map_err(|e| e.to_string()));
            }
            Request::Kernel { reply } => {
                let _ = reply.send(metrics::read_kernel(&mut ipvs, proc_stats::read));
            }
            Request::Stop {
                spec,
                retired,
                reply,
            } => {
                let owned: BTreeSet<ServiceKey> = spec
                    .virtuals()
                    .iter()
                    .map(|v| v.key())
                    .chain(retired.iter().copied())
                    .collect();
                let outcome = match read(&mut ipvs, &owned) {
                    Ok(table) => {
                        let mut changes = stop_changes(&spec, &table);
                        for key in &retired {
                            if !spec.contains(key) && table.get(key).is_some() {
                                changes.push(Change::DeleteService(*key));
                            }
                        }
                        apply(&mut ipvs, &changes)
                    }
                    Err(e) => (Vec::new(), Some(format!("cannot read the IPVS table: {e}"))),
                };
                let _ = reply.send(outcome);
                return;
            }
        }
    }
}

impl Worker {
    /// Starts the worker thread with `ipvs`; pass reports arrive on the
    /// returned receiver.
    pub fn spawn(ipvs: Ipvs) -> std::io::Result<(Worker, mpsc::UnboundedReceiver<PassReport>)> {
        let (requests, receiver) = std_mpsc::channel();
        let (reports, report_receiver) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("ipvs".into())
            .spawn(move || serve(ipvs, receiver, reports))?;
        Ok((
            Worker {
                requests: Some(requests),
                thread: Some(thread),
            },
            report_receiver,
        ))
    }

    fn send(&self, request: Request) -> bool {
        self.requests
            .as_ref()
            .is_some_and(|r| r.send(request).is_ok())
    }

    /// Asks for a pass; its report arrives on the report channel. False if
    /// the worker is gone.
    pub fn pass(
        &self,
        seq: u64,
        spec: Arc<DirectorSpec>,
        health: BTreeMap<RealKey, Health>,
        retired: Vec<ServiceKey>,
    ) -> bool {
        self.send(Request::Pass {
            seq,
            spec,
            health,
            retired,
        })
    }

    /// The kernel's table of the `owned` services, read after every
    /// request sent before.
    pub fn read(&self, owned: BTreeSet<ServiceKey>) -> oneshot::Receiver<Result<Table, String>> {
        let (reply, receiver) = oneshot::channel();
        // A worker that is gone drops `reply`: the receiver reports it.
        self.send(Request::Read { owned, reply });
        receiver
    }

    /// The kernel's whole table and totals (for `/metrics`), read after
    /// every request sent before.
    pub fn kernel(&self) -> oneshot::Receiver<Result<KernelView, String>> {
        let (reply, receiver) = oneshot::channel();
        self.send(Request::Kernel { reply });
        receiver
    }

    /// Does what stopping does (see [`stop_changes`], plus the retired
    /// services) and ends the thread.
    pub async fn stop(
        &mut self,
        spec: Arc<DirectorSpec>,
        retired: Vec<ServiceKey>,
    ) -> (Vec<Applied>, Option<String>) {
        let (reply, receiver) = oneshot::channel();
        self.send(Request::Stop {
            spec,
            retired,
            reply,
        });
        let outcome = receiver
            .await
            .unwrap_or_else(|_| (Vec::new(), Some("the IPVS worker is gone".to_string())));
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        outcome
    }
}

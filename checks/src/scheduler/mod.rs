//! Runs every real server's check concurrently on tokio, each on its own
//! timer: `checkinterval` apart (first phases spread over the interval,
//! a small jitter every round), each check bounded by its own timeouts, so
//! a hung server costs one timeout of one task and nothing else. A
//! server's health follows ldirectord's rules (see [`state`]); changes are
//! sent on a channel with the outcome that caused them, and the latest
//! result, its latency and the failure count are kept for status displays.
//!
//! ```no_run
//! # async fn demo(spec: ha_checks::check::CheckSpec) {
//! use std::time::Duration;
//! use ha_checks::scheduler::{Job, Scheduler, SchedulerOptions};
//!
//! let (mut scheduler, mut changes) = Scheduler::new(SchedulerOptions::default());
//! scheduler.upsert(Job::new("web-1", spec, Duration::from_secs(1), 3));
//! while let Some(change) = changes.recv().await {
//!     println!("{} is {}: {}", change.key, change.health.name(), change.outcome.detail);
//! }
//! # }
//! ```

mod limits;
pub mod state;
pub mod timing;

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ha_net::rng::Rng;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use crate::check::{self, CheckOutcome, CheckSpec, CheckType};

pub use limits::raise_fd_limit;
pub use state::{Health, RealStatus};

/// One real server to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Job<K> {
    /// The caller's name for it (e.g. virtual service and real server).
    pub key: K,
    /// The check.
    pub spec: CheckSpec,
    /// `checkinterval`.
    pub interval: Duration,
    /// `failurecount`.
    pub failure_count: u32,
    /// Files whose existence forces the server down without checking it
    /// (ldirectord's `maintenancedir`; see [`maintenance_files`]).
    pub maintenance: Vec<PathBuf>,
}

impl<K> Job<K> {
    /// A job with no maintenance files.
    pub fn new(key: K, spec: CheckSpec, interval: Duration, failure_count: u32) -> Job<K> {
        Job {
            key,
            spec,
            interval,
            failure_count,
            maintenance: Vec::new(),
        }
    }
}

/// The files ldirectord looks for in `maintenancedir` for a real server
/// at `address` (as written in the file, IPv6 in brackets) and `port`:
/// `ADDRESS:PORT` and `ADDRESS`. (ldirectord also tries the names reverse
/// DNS gives; a blocking lookup per check is not done here.)
pub fn maintenance_files(dir: &std::path::Path, address: &str, port: u16) -> Vec<PathBuf> {
    vec![dir.join(format!("{address}:{port}")), dir.join(address)]
}

/// A change of a real server's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<K> {
    /// Which server.
    pub key: K,
    /// Its new health (`Up` or `Down`).
    pub health: Health,
    /// The check that decided it.
    pub outcome: CheckOutcome,
    /// Consecutive failures at that moment.
    pub failures: u32,
}

/// How the scheduler spreads and limits its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerOptions {
    /// Each round starts up to ± this fraction of the interval early or
    /// late (0.05: ± 5 %; at most 0.5).
    pub jitter: f64,
    /// Start each job at a random phase within its interval (true), or
    /// check it at once (false).
    pub spread_first: bool,
    /// The most checks in flight at once; `None` for no limit (each check
    /// in flight holds a socket: see [`raise_fd_limit`]).
    pub max_in_flight: Option<usize>,
    /// A fixed seed for the timing's random numbers (tests); `None` for a
    /// random one.
    pub seed: Option<u64>,
}

impl Default for SchedulerOptions {
    fn default() -> SchedulerOptions {
        SchedulerOptions {
            jitter: 0.05,
            spread_first: true,
            max_in_flight: None,
            seed: None,
        }
    }
}

/// What [`Scheduler::upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new job started.
    Added,
    /// The job's check or timing changed: restarted, its health kept.
    Replaced,
    /// The same job was already running: nothing done.
    Unchanged,
}

struct Running<K> {
    job: Job<K>,
    status: Arc<Mutex<RealStatus>>,
    task: JoinHandle<()>,
}

/// The running checks. Must be created and used inside a tokio runtime;
/// dropping it stops every check.
pub struct Scheduler<K> {
    jobs: HashMap<K, Running<K>>,
    changes: mpsc::UnboundedSender<Transition<K>>,
    options: SchedulerOptions,
    rng: Rng,
    permits: Option<Arc<Semaphore>>,
}

impl<K> Debug for Scheduler<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("jobs", &self.jobs.len())
            .field("options", &self.options)
            .finish()
    }
}

fn lock(status: &Mutex<RealStatus>) -> MutexGuard<'_, RealStatus> {
    status
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<K> Scheduler<K>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
{
    /// An empty scheduler, and the receiving end of its health changes.
    pub fn new(
        options: SchedulerOptions,
    ) -> (Scheduler<K>, mpsc::UnboundedReceiver<Transition<K>>) {
        let (changes, receiver) = mpsc::unbounded_channel();
        let rng = options.seed.map_or_else(Rng::new, Rng::seeded);
        let permits = options
            .max_in_flight
            .map(|n| Arc::new(Semaphore::new(n.max(1))));
        let scheduler = Scheduler {
            jobs: HashMap::new(),
            changes,
            options,
            rng,
            permits,
        };
        (scheduler, receiver)
    }

    /// Starts checking `job.key`, or restarts it with a changed job
    /// (keeping its health, failures and last result); an identical job
    /// is left running untouched.
    pub fn upsert(&mut self, job: Job<K>) -> Change {
        let (status, change) = match self.jobs.remove(&job.key) {
            Some(running) if running.job == job => {
                self.jobs.insert(job.key.clone(), running);
                return Change::Unchanged;
            }
            Some(running) => {
                running.task.abort();
                (running.status, Change::Replaced)
            }
            None => (Arc::default(), Change::Added),
        };
        let task = tokio::spawn(run_job(
            job.clone(),
            Arc::clone(&status),
            self.changes.clone(),
            timing::first_delay(&mut self.rng, job.interval, self.options.spread_first),
            self.options.jitter,
            self.rng.next_u64(),
            self.permits.clone(),
        ));
        self.jobs
            .insert(job.key.clone(), Running { job, status, task });
        change
    }

    /// Stops checking `key`; false if it was not checked.
    pub fn remove(&mut self, key: &K) -> bool {
        self.jobs.remove(key).map(|r| r.task.abort()).is_some()
    }

    /// Keeps only the jobs whose key `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.jobs.retain(|key, running| {
            let kept = keep(key);
            if !kept {
                running.task.abort();
            }
            kept
        });
    }

    /// The status of `key`.
    pub fn status(&self, key: &K) -> Option<RealStatus> {
        self.jobs.get(key).map(|r| lock(&r.status).clone())
    }

    /// Every job's status.
    pub fn statuses(&self) -> Vec<(K, RealStatus)> {
        self.jobs
            .iter()
            .map(|(key, r)| (key.clone(), lock(&r.status).clone()))
            .collect()
    }

    /// The job checking `key`.
    pub fn job(&self, key: &K) -> Option<&Job<K>> {
        self.jobs.get(key).map(|r| &r.job)
    }

    /// How many jobs run.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether no job runs.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

impl<K> Drop for Scheduler<K> {
    fn drop(&mut self) {
        for running in self.jobs.values() {
            running.task.abort();
        }
    }
}

/// The check type of this round of a combined check: negotiate after
/// `every` successful connects in a row (or any failed one), else connect.
fn combined_round(connects: u32, every: u32) -> CheckType {
    if connects >= every {
        CheckType::Negotiate
    } else {
        CheckType::Connect
    }
}

async fn run_job<K: Clone>(
    job: Job<K>,
    status: Arc<Mutex<RealStatus>>,
    changes: mpsc::UnboundedSender<Transition<K>>,
    first_delay: Duration,
    jitter: f64,
    seed: u64,
    permits: Option<Arc<Semaphore>>,
) {
    let mut rng = Rng::seeded(seed);
    let mut next = tokio::time::Instant::now() + first_delay;
    // As ldirectord: a combined check starts with a negotiate check.
    let mut connects = u32::MAX;
    loop {
        tokio::time::sleep_until(next).await;
        let started = Instant::now();
        let permit = match &permits {
            Some(permits) => Arc::clone(permits).acquire_owned().await.ok(),
            None => None,
        };
        let round = match job.spec.check_type {
            CheckType::Combined(every) => combined_round(connects, every),
            other => other,
        };
        let in_maintenance = job.maintenance.iter().find(|path| path.exists());
        let outcome = match in_maintenance {
            Some(path) => CheckOutcome::down(
                Duration::ZERO,
                format!("Server in maintenance ({})", path.display()),
            ),
            None => check::run_as(&job.spec, round).await,
        };
        drop(permit);
        if let CheckType::Combined(_) = job.spec.check_type {
            connects = match (round, outcome.healthy) {
                (CheckType::Negotiate, true) => 0,
                (CheckType::Negotiate, false) => connects,
                (_, true) => connects.saturating_add(1),
                (_, false) => u32::MAX,
            };
        }
        let finished = Instant::now();
        let change = {
            let mut status = lock(&status);
            status
                .record(
                    outcome.clone(),
                    finished,
                    job.failure_count,
                    in_maintenance.is_some(),
                )
                .map(|health| (health, status.failures))
        };
        if let Some((health, failures)) = change {
            let _ = changes.send(Transition {
                key: job.key.clone(),
                health,
                outcome,
                failures,
            });
        }
        if matches!(job.spec.check_type, CheckType::On | CheckType::Off) {
            return;
        }
        let planned = timing::next_start(&mut rng, started, finished, job.interval, jitter);
        next = tokio::time::Instant::from_std(planned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_checks_negotiate_every_n_connects() {
        assert_eq!(combined_round(u32::MAX, 3), CheckType::Negotiate);
        assert_eq!(combined_round(0, 3), CheckType::Connect);
        assert_eq!(combined_round(2, 3), CheckType::Connect);
        assert_eq!(combined_round(3, 3), CheckType::Negotiate);
        assert_eq!(combined_round(0, 0), CheckType::Negotiate);
    }

    #[test]
    fn maintenance_files_are_named_like_ldirectord() {
        let files = maintenance_files(std::path::Path::new("/m"), "10.0.0.2", 80);
        assert_eq!(
            files,
            vec![
                PathBuf::from("/m/10.0.0.2:80"),
                PathBuf::from("/m/10.0.0.2")
            ]
        );
    }
}

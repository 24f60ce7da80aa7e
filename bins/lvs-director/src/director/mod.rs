//! `lvs-director run`: the director itself. It loads ldirectord.cf, adopts
//! the kernel's IPVS table (writing only what differs), checks every real
//! server on the scheduler's timers, and after every change of health —
//! and every reload — runs one reconciliation pass on the IPVS worker
//! thread, never in the check loop. On SIGTERM or SIGINT it stops the
//! checks and removes the services whose `cleanstop` says so.
//!
//! - [`loaded`]: the configuration, its spec and its check jobs.
//! - [`worker`]: the thread doing every IPVS call.
//! - [`describe`]: log sentences for the changes written.
//! - [`commands`]: `fallbackcommand` and `callback`.
//! - [`autoreload`]: noticing that the file changed.
//! - [`owned`]: the services this director owns, across restarts.
//! - [`status`]: the report `lvs-director status` prints.
//!
//! Reloads (SIGHUP, the control socket's `reload`, or `autoreload=yes`
//! when the file changed) apply only the difference: services no longer in
//! the file are removed, new ones added, changed ones edited, the others
//! left alone, checks of unchanged real servers keep running with their
//! health. A file that does not parse leaves the running configuration in
//! force, with its errors logged.
//!
//! Under a service manager (`NOTIFY_SOCKET`), the director says `READY=1`
//! once its first table is in the kernel, `RELOADING=1` and `READY=1`
//! around each reload, a `STATUS=` line when the count of real servers up
//! changes, `STOPPING=1` on SIGTERM, and `WATCHDOG=1` at half the unit's
//! `WatchdogSec` from its own event loop.

pub mod autoreload;
pub mod commands;
pub mod describe;
pub mod loaded;
pub mod owned;
pub mod status;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use ha_checks::config;
use ha_checks::reconcile::{Health, RealKey, RealName, ServiceName, VirtualOutcome};
use ha_checks::scheduler::{raise_fd_limit, Scheduler, SchedulerOptions, Transition};
use ha_daemon::notify::Notifier;
use ha_ipvs::{Change, Ipvs, ServiceKey};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

use crate::control::{self, ControlRequest, ReloadReport};
use crate::logging;
use crate::metrics;
use autoreload::FileWatch;
use commands::Commands;
use loaded::Loaded;
use worker::{PassReport, Worker};

/// What `lvs-director run` (or ldirectord's `start`) was told.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The ldirectord.cf file.
    pub config: PathBuf,
    /// Where the owned-services file lives.
    pub state_dir: PathBuf,
    /// The control socket.
    pub socket: PathBuf,
    /// Log to stderr too (in the foreground).
    pub stderr_log: bool,
    /// Log debug lines too.
    pub debug: bool,
    /// The service manager, if one asked to hear from the director.
    pub notifier: Notifier,
    /// Where to serve `/metrics`, if anywhere.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// Called once: `Ok` when the director is up (table adopted, socket
/// listening), or the reason it cannot start.
pub type Ready = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The director's state between events.
struct Director {
    options: RunOptions,
    loaded: Loaded,
    scheduler: Scheduler<RealKey>,
    health: BTreeMap<RealKey, Health>,
    retired: BTreeSet<ServiceKey>,
    owned_file: PathBuf,
    owned_written: Option<BTreeSet<ServiceKey>>,
    worker: Worker,
    fallback_state: HashMap<ServiceKey, bool>,
    commands: Commands,
    watch: FileWatch,
    seq: u64,
    in_flight: bool,
    dirty: bool,
    retry_at: Option<Instant>,
    /// The last status line told to the service manager.
    said: String,
}

/// Runs the director until SIGTERM or SIGINT. `ready` hears whether it
/// started; an error before that is also returned.
pub async fn run(options: RunOptions, loaded: Loaded, ready: Ready) -> Result<(), String> {
    let mut ready = Some(ready);
    let mut fail = |message: String| {
        if let Some(ready) = ready.take() {
            ready(Err(message.clone()));
        }
        message
    };
    configure_logging(&options, &loaded).map_err(&mut fail)?;
    // Even the first netlink exchange stays off the async threads.
    let ipvs = tokio::task::spawn_blocking(Ipvs::connect)
        .await
        .map_err(|e| fail(format!("cannot connect to IPVS: {e}")))?
        .map_err(|e| fail(e.to_string()))?;
    let (worker, mut reports) =
        Worker::spawn(ipvs).map_err(|e| fail(format!("cannot start the IPVS thread: {e}")))?;
    let listener = control::listen(&options.socket).map_err(|e| fail(e.to_string()))?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| fail(e.to_string()))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| fail(e.to_string()))?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| fail(e.to_string()))?;
    let owned_file = owned::path(&options.state_dir, &loaded.name());
    let previously_owned = owned::read(&owned_file);
    let retired: BTreeSet<ServiceKey> = previously_owned
        .iter()
        .filter(|k| !loaded.spec.contains(k))
        .copied()
        .collect();
    // Every check in flight holds a socket: thousands of real servers need
    // more descriptors than the usual soft limit of 1,024.
    match raise_fd_limit() {
        Ok(limit) => log::debug!("open-file limit {limit}"),
        Err(error) => log::warn!("cannot raise the open-file limit: {error}"),
    }
    let (scheduler, mut transitions) = Scheduler::new(SchedulerOptions::default());
    let (control_tx, mut control_rx) = mpsc::channel(16);
    let metrics_task = match director_metrics_listener(&options).await {
        Ok(Some(listener)) => Some(tokio::spawn(metrics::serve(listener, control_tx.clone()))),
        Ok(None) => None,
        Err(error) => return Err(fail(error)),
    };
    let control_task = tokio::spawn(control::serve(listener, control_tx));
    let watch = FileWatch::new(&loaded.path, &loaded.text);
    let mut director = Director {
        options,
        loaded,
        scheduler,
        health: BTreeMap::new(),
        retired,
        owned_file,
        owned_written: Some(previously_owned),
        worker,
        fallback_state: HashMap::new(),
        commands: Commands::start(),
        watch,
        seq: 0,
        in_flight: false,
        dirty: false,
        retry_at: None,
        said: String::new(),
    };
    log::info!(
        "Starting lvs-director (ldirectord 4.12 compatible) with pid {} for {}: {} virtual services, {} real servers",
        std::process::id(),
        director.loaded.path.display(),
        director.loaded.spec.virtuals().len(),
        director.loaded.jobs.len()
    );
    // Adopt the kernel's table before the first check: unknown real
    // servers are judged by what the kernel holds.
    director.start_pass();
    match reports.recv().await {
        Some(report) => director.handle_report(report),
        None => return Err(fail("the IPVS thread ended".to_string())),
    }
    for job in director.loaded.jobs.clone() {
        director.scheduler.upsert(job);
    }
    if let Some(ready) = ready.take() {
        ready(Ok(()));
    }
    director.said = director.status_line();
    director.options.notifier.ready(Some(&director.said));
    let mut watchdog = director.options.notifier.watchdog_period().map(|period| {
        let mut ticks = interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks
    });
    let mut poll = interval(director.loaded.poll_interval());
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    poll.tick().await;
    let signal_name = loop {
        tokio::select! {
            Some(transition) = transitions.recv() => director.health_changed(transition),
            Some(report) = reports.recv() => director.handle_report(report),
            Some(request) = control_rx.recv() => director.answer(request),
            _ = hangup.recv() => {
                log::info!("Reloading Linux Director Daemon config on signal");
                director.reload();
            }
            _ = async { watchdog.as_mut()?.tick().await; Some(()) }, if watchdog.is_some() => {
                director.options.notifier.watchdog();
            }
            _ = poll.tick() => {
                let before = director.loaded.poll_interval();
                director.check_file();
                let after = director.loaded.poll_interval();
                if after != before {
                    poll = interval(after);
                    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
                    poll.tick().await;
                }
            }
            _ = sleep_until(director.retry_at.unwrap_or_else(Instant::now)), if director.retry_at.is_some() => {
                director.retry_at = None;
                director.dirty = true;
            }
            _ = terminate.recv() => break "TERM",
            _ = interrupt.recv() => break "INT",
        }
        if director.dirty && !director.in_flight {
            director.start_pass();
        }
        director.tell_status();
    };
    director.options.notifier.stopping();
    control_task.abort();
    if let Some(task) = metrics_task {
        task.abort();
    }
    director.stop(reports, signal_name).await;
    Ok(())
}

/// The metrics listener, when `--metrics-listen` asked for one.
async fn director_metrics_listener(
    options: &RunOptions,
) -> Result<Option<tokio::net::TcpListener>, String> {
    match options.metrics_listen {
        Some(addr) => metrics::listen(addr).await.map(Some),
        None => Ok(None),
    }
}

fn configure_logging(options: &RunOptions, loaded: &Loaded) -> Result<(), String> {
    let sinks = logging::Sinks::configured(
        &loaded.config.global.logfile,
        &loaded.name(),
        options.stderr_log,
        options.debug,
    )?;
    logging::configure(sinks);
    Ok(())
}

impl Director {
    /// Sends the next pass to the worker.
    fn start_pass(&mut self) {
        self.seq += 1;
        self.dirty = false;
        self.in_flight = self.worker.pass(
            self.seq,
            self.loaded.spec.clone(),
            self.health.clone(),
            self.retired.iter().copied().collect(),
        );
        if !self.in_flight {
            log::error!("the IPVS thread is gone: the kernel's table is no longer kept");
        }
    }

    /// A real server changed health.
    fn health_changed(&mut self, t: Transition<RealKey>) {
        let health = t.health;
        // A transition from a job removed by a reload since: ignore it.
        if self.scheduler.job(&t.key).is_none() {
            return;
        }
        log::info!(
            "real server {} ({}) is {}: {} ({} consecutive failures, check took {:.1} ms)",
            RealName(&t.key.real),
            ServiceName(&t.key.service),
            health.name(),
            t.outcome.detail,
            t.failures,
            t.outcome.latency.as_secs_f64() * 1000.0
        );
        if self.health.insert(t.key, health) != Some(health) {
            self.dirty = true;
        }
    }

    /// A pass finished: log what it wrote, run fallback commands, record
    /// what is owned, and plan a retry if anything failed.
    fn handle_report(&mut self, report: PassReport) {
        if report.seq == self.seq {
            self.in_flight = false;
        }
        for applied in &report.applied {
            let (change, spec, config) = (&applied.change, &self.loaded.spec, &self.loaded.config);
            match &applied.error {
                None => log::info!("{}", describe::describe(change, spec)),
                Some(error) => log::error!("{}", describe::failure(change, spec, config, error)),
            }
        }
        if let Some(error) = &report.error {
            log::error!("{error}");
        }
        if !report.complete() {
            self.retry_at = Some(Instant::now() + self.loaded.poll_interval());
        }
        for key in &report.gone {
            self.retired.remove(key);
        }
        self.record_owned();
        if report.error.is_none() {
            self.run_fallback_commands(&report.plan.virtuals);
        }
    }

    /// `fallbackcommand start|stop` for each virtual service whose
    /// fallback situation differs from the last command run for it.
    fn run_fallback_commands(&mut self, outcomes: &[VirtualOutcome]) {
        for outcome in outcomes {
            let Some(virtual_service) = self.loaded.config.virtual_service(&outcome.key) else {
                continue;
            };
            let settings = self.loaded.config.settings(virtual_service);
            let Some(command) = settings.fallback_command else {
                continue;
            };
            if self.fallback_state.get(&outcome.key) != Some(&outcome.fallback_active) {
                self.fallback_state
                    .insert(outcome.key, outcome.fallback_active);
                self.commands
                    .fallback(&command, outcome.fallback_active, &outcome.key);
            }
        }
    }

    /// Writes the owned-services file when what is owned changed.
    fn record_owned(&mut self) {
        let owned: BTreeSet<ServiceKey> = self
            .loaded
            .spec
            .virtuals()
            .iter()
            .map(|v| v.key())
            .chain(self.retired.iter().copied())
            .collect();
        self.write_owned(owned);
    }

    fn write_owned(&mut self, owned: BTreeSet<ServiceKey>) {
        if self.owned_written.as_ref() == Some(&owned) {
            return;
        }
        match owned::write(&self.owned_file, &owned) {
            Ok(()) => self.owned_written = Some(owned),
            Err(e) => log::warn!("cannot write {}: {e}", self.owned_file.display()),
        }
    }

    /// The file changed on disk? Reload it with autoreload, and run the
    /// callback either way, as ldirectord does.
    fn check_file(&mut self) {
        if !self.watch.changed() {
            return;
        }
        log::info!(
            "Configuration file '{}' has changed on disk",
            self.loaded.path.display()
        );
        if self.loaded.config.global.autoreload {
            log::info!(" - reread new configuration");
            self.reload();
        } else {
            log::info!(" - ignore new configuration");
        }
        if let Some(callback) = self.loaded.config.global.callback.clone() {
            self.commands.callback(&callback, &self.loaded.path);
        }
    }

    /// What the service manager is told the director is doing:
    /// `2 virtual services, 3 of 4 real servers up`.
    fn status_line(&self) -> String {
        let up = self
            .health
            .values()
            .filter(|h| matches!(h, Health::Up))
            .count();
        format!(
            "{} virtual services, {up} of {} real servers up",
            self.loaded.spec.virtuals().len(),
            self.loaded.jobs.len()
        )
    }

    /// Tells the service manager the status line if it changed.
    fn tell_status(&mut self) {
        let line = self.status_line();
        if line != self.said {
            self.options.notifier.status(&line);
            self.said = line;
        }
    }

    /// Reads the file again and puts it in force, or keeps the running
    /// configuration if it does not load; the service manager hears
    /// `RELOADING=1` before and `READY=1` after, either way.
    fn reload(&mut self) -> ReloadReport {
        self.options.notifier.reloading();
        let report = self.reload_file();
        self.said = self.status_line();
        self.options.notifier.ready(Some(&self.said));
        report
    }

    fn reload_file(&mut self) -> ReloadReport {
        let new = match loaded::load(&self.options.config) {
            Ok(new) => new,
            Err(errors) => {
                log::error!(
                    "configuration {} not reloaded: the running configuration stays in force",
                    self.options.config.display()
                );
                for error in errors.errors() {
                    log::error!("{error}");
                }
                if let Ok(text) = std::fs::read_to_string(&self.options.config) {
                    self.watch.seen(&text);
                }
                return ReloadReport {
                    reloaded: false,
                    errors: errors.errors().iter().map(|e| e.to_string()).collect(),
                };
            }
        };
        let diff = config::diff(&self.loaded.config, &new.config);
        for v in self.loaded.spec.virtuals() {
            if !new.spec.contains(&v.key()) {
                self.retired.insert(v.key());
            }
        }
        for v in new.spec.virtuals() {
            self.retired.remove(&v.key());
        }
        let keys: HashSet<RealKey> = new.jobs.iter().map(|j| j.key).collect();
        self.scheduler.retain(|k| keys.contains(k));
        for job in &new.jobs {
            self.scheduler.upsert(job.clone());
        }
        self.health.retain(|k, _| keys.contains(k));
        self.fallback_state.retain(|k, _| new.spec.contains(k));
        let logfile_changed: bool = new.config.global.logfile != self.loaded.config.global.logfile;
        self.watch.seen(&new.text);
        self.loaded = new;
        if logfile_changed {
            if let Err(e) = configure_logging(&self.options, &self.loaded) {
                log::error!("{e}");
            }
        }
        log::info!(
            "Reloaded configuration {}: {} virtual services added, {} removed, {} changed",
            self.loaded.path.display(),
            diff.added.len(),
            diff.removed.len(),
            diff.changed.len()
        );
        self.dirty = true;
        ReloadReport {
            reloaded: true,
            errors: Vec::new(),
        }
    }

    /// Answers a control-socket request.
    fn answer(&mut self, request: ControlRequest) {
        match request {
            ControlRequest::Reload(reply) => {
                log::info!("Reloading Linux Director Daemon config on request");
                let report = self.reload();
                let _ = reply.send(serde_json::to_string(&report).unwrap_or_default());
            }
            ControlRequest::Metrics(reply) => {
                let (inputs, table) = self.status_request();
                let kernel = self.worker.kernel();
                tokio::spawn(async move {
                    let table = table
                        .await
                        .unwrap_or_else(|_| Err("the IPVS thread is gone".to_string()));
                    let kernel = kernel
                        .await
                        .unwrap_or_else(|_| Err("the IPVS thread is gone".to_string()));
                    let report = status::report(&inputs, table);
                    let text = metrics::exposition(&report, &kernel)
                        .render()
                        .unwrap_or_else(|e| format!("# {e}\n"));
                    let _ = reply.send(text);
                });
            }
            ControlRequest::Status(reply) => {
                let (inputs, table) = self.status_request();
                tokio::spawn(async move {
                    let table = table
                        .await
                        .unwrap_or_else(|_| Err("the IPVS thread is gone".to_string()));
                    let report = status::report(&inputs, table);
                    let _ = reply.send(serde_json::to_string(&report).unwrap_or_default());
                });
            }
        }
    }

    /// What a status report needs from the loop, and the kernel's table of
    /// the owned services on its way from the worker.
    fn status_request(
        &self,
    ) -> (
        status::StatusInputs,
        tokio::sync::oneshot::Receiver<Result<ha_checks::reconcile::Table, String>>,
    ) {
        let inputs = status::StatusInputs {
            path: self.loaded.path.display().to_string(),
            config: self.loaded.config.clone(),
            spec: self.loaded.spec.clone(),
            health: self.health.clone(),
            checks: self.scheduler.statuses().into_iter().collect(),
        };
        let owned = self
            .loaded
            .spec
            .virtuals()
            .iter()
            .map(|v| v.key())
            .collect();
        (inputs, self.worker.read(owned))
    }

    /// Stops checking, waits for a pass in flight, removes what cleanstop
    /// says, and records what stays owned.
    async fn stop(mut self, mut reports: mpsc::UnboundedReceiver<PassReport>, signal_name: &str) {
        self.scheduler.retain(|_| false);
        if self.in_flight {
            if let Ok(Some(report)) =
                tokio::time::timeout(Duration::from_secs(30), reports.recv()).await
            {
                self.handle_report(report);
            }
        }
        let spec = self.loaded.spec.clone();
        let retired: Vec<ServiceKey> = self.retired.iter().copied().collect();
        let (applied, error) = self.worker.stop(spec.clone(), retired).await;
        let mut removed = BTreeSet::new();
        for a in &applied {
            match &a.error {
                None => log::info!("{}", describe::describe(&a.change, &spec)),
                Some(e) => log::error!(
                    "{}",
                    describe::failure(&a.change, &spec, &self.loaded.config, e)
                ),
            }
            if let (Change::DeleteService(key), None) = (&a.change, &a.error) {
                removed.insert(*key);
            }
        }
        if let Some(error) = error {
            log::error!("{error}");
        }
        let owned: BTreeSet<ServiceKey> = spec
            .virtuals()
            .iter()
            .map(|v| v.key())
            .chain(self.retired.iter().copied())
            .filter(|k| !removed.contains(k))
            .collect();
        if let Err(e) = owned::write(&self.owned_file, &owned) {
            log::warn!("cannot write {}: {e}", self.owned_file.display());
        }
        let _ = std::fs::remove_file(&self.options.socket);
        log::info!("Linux Director Daemon terminated on signal: {signal_name}");
    }
}

//! `check-engine FILE`: the director's health checking alone, for the
//! check-cost benchmark on a machine without IPVS. ldirectord.cf is
//! loaded as `lvs-director run` loads it (one scheduler job per real
//! server of each virtual service, with its resolved check, interval and
//! failure count) and checked by the same scheduler with the same options
//! on the same two-worker tokio runtime; nothing is written to a kernel,
//! so this process's CPU time is the checking's.
//!
//! Prints `ready N` once its N jobs run. Then reads commands on stdin:
//! `start` opens a measuring window (answered `started`), `stop` closes it
//! and prints its [`WindowReport`]; end of input ends the process.
//!
//! Latencies come from a sampler thread that reads every job's status
//! each [`SAMPLE_PERIOD`] and takes the latest outcome of each job that
//! checked since; it measures its own CPU time so that it can be left out.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ha_benches::check_report::{KindReport, Percentiles, WindowReport};
use ha_checks::check::from_config::spec_for;
use ha_checks::check::{CheckSpec, CheckType};
use ha_checks::config;
use ha_checks::reconcile::RealKey;
use ha_checks::scheduler::{maintenance_files, raise_fd_limit, Job, Scheduler, SchedulerOptions};
use ha_conf::Source;

/// How often the sampler reads the statuses: well under the checks'
/// interval, so that nearly every check's latency is seen.
const SAMPLE_PERIOD: Duration = Duration::from_millis(200);

/// The kind a check is reported under: `connect`, or the service a
/// negotiate check speaks.
fn kind_of(spec: &CheckSpec) -> String {
    match spec.check_type {
        CheckType::Negotiate => spec.service.name().to_string(),
        other => other.name(),
    }
}

/// An address as ldirectord writes it in file names: IPv6 in brackets.
fn written(addr: std::net::IpAddr) -> String {
    match addr {
        std::net::IpAddr::V4(a) => a.to_string(),
        std::net::IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// The jobs `lvs-director run` would start for the file at `path`.
fn load_jobs(path: &Path) -> Result<Vec<Job<RealKey>>, String> {
    let source = Source::read(path).map_err(|e| e.to_string())?;
    let config = config::parse(&source).map_err(|e| e.to_string())?;
    let mut jobs = Vec::new();
    for virtual_service in &config.virtual_services {
        let settings = config.settings(virtual_service);
        for real in &virtual_service.reals {
            let check = spec_for(virtual_service, real, &settings)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let key = RealKey {
                service: virtual_service.key,
                real: virtual_service.destination_key(real),
            };
            let mut job = Job::new(key, check, settings.check_interval, settings.failure_count);
            if let Some(dir) = &config.global.maintenance_dir {
                job.maintenance = maintenance_files(dir, &written(real.addr), real.port);
            }
            jobs.push(job);
        }
    }
    Ok(jobs)
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map_or(Duration::ZERO, Duration::from)
}

/// Counts and latencies of one window, per kind.
struct Window {
    checks: Vec<u64>,
    failed: Vec<u64>,
    latencies: Vec<Vec<Duration>>,
    cpu_at_start: Duration,
}

/// The sampler's state: each job's kind and the check count last seen.
struct Sampler {
    scheduler: Arc<Mutex<Scheduler<RealKey>>>,
    kind_names: Vec<String>,
    kind_of: HashMap<RealKey, usize>,
    seen: HashMap<RealKey, u64>,
    window: Option<Window>,
}

impl Sampler {
    fn new(scheduler: Arc<Mutex<Scheduler<RealKey>>>, jobs: &[Job<RealKey>]) -> Sampler {
        let mut kind_names: Vec<String> = jobs.iter().map(|j| kind_of(&j.spec)).collect();
        kind_names.sort();
        kind_names.dedup();
        let kind_of = jobs
            .iter()
            .map(|j| {
                let name = kind_of(&j.spec);
                (
                    j.key,
                    kind_names.iter().position(|n| *n == name).unwrap_or(0),
                )
            })
            .collect();
        Sampler {
            scheduler,
            kind_names,
            kind_of,
            seen: HashMap::new(),
            window: None,
        }
    }

    /// Reads every status once: counts the checks done since the last
    /// pass and takes the latest latency of each job that checked.
    fn pass(&mut self) {
        let statuses = match self.scheduler.lock() {
            Ok(scheduler) => scheduler.statuses(),
            Err(poisoned) => poisoned.into_inner().statuses(),
        };
        for (key, status) in statuses {
            let seen = self.seen.entry(key).or_insert(0);
            let new_checks = status.checks.saturating_sub(*seen);
            *seen = status.checks;
            let (Some(window), Some(&kind)) = (self.window.as_mut(), self.kind_of.get(&key)) else {
                continue;
            };
            if let Some(count) = window.checks.get_mut(kind) {
                *count += new_checks;
            }
            if let (true, Some(last)) = (new_checks > 0, &status.last) {
                if let Some(samples) = window.latencies.get_mut(kind) {
                    samples.push(last.latency);
                }
                if let (false, Some(failed)) = (last.healthy, window.failed.get_mut(kind)) {
                    *failed += 1;
                }
            }
        }
    }

    fn start(&mut self) {
        self.pass();
        let kinds = self.kind_names.len();
        self.window = Some(Window {
            checks: vec![0; kinds],
            failed: vec![0; kinds],
            latencies: vec![Vec::new(); kinds],
            cpu_at_start: thread_cpu(),
        });
    }

    fn stop(&mut self) -> WindowReport {
        self.pass();
        let Some(mut window) = self.window.take() else {
            return WindowReport::default();
        };
        let kinds = self
            .kind_names
            .iter()
            .enumerate()
            .map(|(i, name)| KindReport {
                name: name.clone(),
                checks: window.checks.get(i).copied().unwrap_or(0),
                failed: window.failed.get(i).copied().unwrap_or(0),
                latency: window
                    .latencies
                    .get_mut(i)
                    .map(|samples| Percentiles::of(samples))
                    .unwrap_or_default(),
            })
            .collect();
        WindowReport {
            sampler_cpu: thread_cpu().saturating_sub(window.cpu_at_start),
            kinds,
        }
    }
}

/// Commands from stdin to the sampler thread.
enum Command {
    Start,
    Stop,
}

/// The sampler thread: a pass every [`SAMPLE_PERIOD`], and the commands.
fn sample(mut sampler: Sampler, commands: mpsc::Receiver<Command>, replies: mpsc::Sender<String>) {
    loop {
        match commands.recv_timeout(SAMPLE_PERIOD) {
            Ok(Command::Start) => {
                sampler.start();
                let _ = replies.send("started\n".to_string());
            }
            Ok(Command::Stop) => {
                let _ = replies.send(sampler.stop().render());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => sampler.pass(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn run(path: PathBuf) -> Result<(), String> {
    raise_fd_limit().map_err(|e| format!("cannot raise the open-file limit: {e}"))?;
    let jobs = load_jobs(&path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let _entered = runtime.enter();
    let (mut scheduler, transitions) = Scheduler::new(SchedulerOptions::default());
    // Health changes are not acted on here; with no receiver they are dropped.
    drop(transitions);
    for job in &jobs {
        scheduler.upsert(job.clone());
    }
    let scheduler = Arc::new(Mutex::new(scheduler));
    let sampler = Sampler::new(Arc::clone(&scheduler), &jobs);
    let (command_tx, command_rx) = mpsc::channel();
    let (reply_tx, reply_rx) = mpsc::channel();
    let sampler_thread = std::thread::spawn(move || sample(sampler, command_rx, reply_tx));
    let mut out = std::io::stdout().lock();
    let say = |out: &mut std::io::StdoutLock<'_>, text: &str| {
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))
    };
    say(&mut out, &format!("ready {}\n", jobs.len()))?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("cannot read stdin: {e}"))?;
        let command = match line.trim() {
            "start" => Command::Start,
            "stop" => Command::Stop,
            "" => continue,
            other => return Err(format!("unknown command {other:?} (start, stop)")),
        };
        command_tx
            .send(command)
            .map_err(|_| "the sampler thread ended".to_string())?;
        let reply = reply_rx
            .recv()
            .map_err(|_| "the sampler thread ended".to_string())?;
        say(&mut out, &reply)?;
    }
    drop(command_tx);
    let _ = sampler_thread.join();
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: check-engine LDIRECTORD.CF");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("check-engine: {message}");
            ExitCode::from(1)
        }
    }
}

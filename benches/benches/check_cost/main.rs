//! Health-check cost: the director's check engine on 5,000 real servers
//! at checkinterval 1 s, half with connect checks and half with http
//! negotiate checks, against ldirectord 4.12 at a size it can manage —
//! both directors reading the very same generated file there — in one
//! run, one after the other, each alone on the machine.
//!
//! Everything runs in one lab host (a network namespace): one listener
//! per real server on its own loopback address ([`reals`]), the directors
//! reading a generated ldirectord.cf ([`config`]). Three phases, each
//! warmed up until every real server has been checked, then measured over
//! the same window:
//!
//! 1. our engine on [`OUR_REALS`] real servers;
//! 2. our engine on the file ldirectord gets ([`LDIRECTORD_REALS`]);
//! 3. ldirectord on that same file ([`ldirectord`]: its daemon, with a
//!    stand-in ipvsadm that records and changes nothing — the machine has
//!    no IPVS — acceptable for a cost measurement only).
//!
//! "Our engine" is `check-engine` ([`engine`]): what `lvs-director run`
//! runs to check (the same loading, jobs, scheduler options and runtime)
//! without IPVS, which this machine lacks and `lvs-director run` needs.
//!
//! Checks are counted by the real servers (connections accepted by the
//! connect listeners, requests answered by the http ones), the same way
//! for both directors; our engine's own counters are shown beside them.
//! CPU time is read from `/proc/PID/stat` (all threads, and waited-for
//! children) at both ends of the window; our engine's latency sampler is
//! measured separately and left out. Latency percentiles are our engine's
//! (ldirectord does not report any).
//!
//! Needs root, iproute2, util-linux (`unshare`, `mount`), ldirectord and
//! ipvsadm. Sizes and times can be changed with `CHECK_COST_REALS`,
//! `CHECK_COST_LDIRECTORD_REALS`, `CHECK_COST_WARMUP_SECS` and
//! `CHECK_COST_WINDOW_SECS`.

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod cpu;
mod engine;
mod ldirectord;
mod reals;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_benches::check_report::WindowReport;
use ha_lab::{Host, Lab};

use config::{kind_of, Kind};
use engine::Engine;
use ldirectord::Ldirectord;
use reals::Reals;

/// Real servers our engine checks in the first phase.
const OUR_REALS: usize = 5000;

/// Real servers of ldirectord's file (and of our second phase).
const LDIRECTORD_REALS: usize = 200;

/// Time after every real server has been checked once, before measuring.
const WARMUP: Duration = Duration::from_secs(3);

/// The measured window of each phase.
const WINDOW: Duration = Duration::from_secs(20);

/// The longest wait for every real server's first check.
const FIRST_ROUND_PATIENCE: Duration = Duration::from_secs(60);

/// A size or duration from the environment, or its default.
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")),
        Err(_) => default,
    }
}

/// What one phase measured.
struct Phase {
    director: &'static str,
    reals: usize,
    window: Duration,
    /// CPU time of the director in the window (our sampler left out).
    cpu: Duration,
    /// Checks the real servers saw: connect, http.
    seen: (u64, u64),
    /// The mean time between two checks of a real server.
    interval: Duration,
    /// Our engine's own report.
    engine: Option<WindowReport>,
    /// ldirectord's ipvsadm calls in the window.
    ipvsadm_calls: Option<usize>,
}

impl Phase {
    fn checks(&self) -> u64 {
        self.seen.0 + self.seen.1
    }

    /// Checks per second: the real servers over the mean time between
    /// two checks of one (not subject to how whole rounds of checks fall
    /// into the window, as the count is).
    fn achieved_rate(&self) -> f64 {
        self.reals as f64 / self.interval.as_secs_f64()
    }

    fn cpu_per_thousand(&self) -> f64 {
        match self.checks() {
            0 => f64::NAN,
            n => self.cpu.as_secs_f64() * 1000.0 / n as f64,
        }
    }

    fn core_share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.window.as_secs_f64() * 100.0
    }
}

/// Checks seen by the real servers `0..reals` between two counts.
fn checks_seen(before: &[reals::Counts], after: &[reals::Counts], reals: usize) -> (u64, u64) {
    let mut seen = (0, 0);
    for (index, (b, a)) in before.iter().zip(after).take(reals).enumerate() {
        match kind_of(index) {
            Kind::Connect => seen.0 += a.accepted - b.accepted,
            Kind::Http => seen.1 += a.requests - b.requests,
        }
    }
    seen
}

/// The mean time between two checks of the same real server, over the
/// real servers `0..reals`, between two counts.
fn mean_interval(before: &[reals::Counts], after: &[reals::Counts], reals: usize) -> Duration {
    let (sum, n) = before
        .iter()
        .zip(after)
        .take(reals)
        .fold((0, 0), |(sum, n), (b, a)| {
            (
                sum + (a.interval_sum_us - b.interval_sum_us),
                n + (a.intervals - b.intervals),
            )
        });
    match n {
        0 => Duration::ZERO,
        n => Duration::from_micros(sum / n),
    }
}

/// Waits until each of the real servers `0..reals` has been checked
/// since `before`.
fn wait_first_round(servers: &Reals, before: &[reals::Counts], reals: usize) {
    let deadline = Instant::now() + FIRST_ROUND_PATIENCE;
    loop {
        let now = servers.counts();
        let unchecked = before
            .iter()
            .zip(&now)
            .take(reals)
            .filter(|(b, a)| a.accepted == b.accepted)
            .count();
        if unchecked == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{unchecked} of {reals} real servers never checked"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The bench's settings.
struct Settings {
    warmup: Duration,
    window: Duration,
}

/// What a window measured: the director's CPU time, the window's length,
/// the checks the real servers saw (connect, http) and the mean time
/// between two checks of a real server.
struct Measured {
    cpu: Duration,
    window: Duration,
    seen: (u64, u64),
    interval: Duration,
}

/// Warms up, then measures `pid` over the window, calling `at_start` and
/// `at_end` as it opens and closes.
fn measure(
    servers: &Reals,
    before_start: &[reals::Counts],
    reals: usize,
    pid: u32,
    settings: &Settings,
    at_start: &mut dyn FnMut(),
    at_end: &mut dyn FnMut(),
) -> Measured {
    wait_first_round(servers, before_start, reals);
    std::thread::sleep(settings.warmup);
    let cpu_before = cpu::cpu_time(pid).unwrap_or_else(|e| panic!("{e}"));
    let counts_before = servers.counts();
    let started = Instant::now();
    at_start();
    std::thread::sleep(settings.window);
    at_end();
    let cpu_after = cpu::cpu_time(pid).unwrap_or_else(|e| panic!("{e}"));
    let counts_after = servers.counts();
    Measured {
        cpu: cpu_after.saturating_sub(cpu_before),
        window: started.elapsed(),
        seen: checks_seen(&counts_before, &counts_after, reals),
        interval: mean_interval(&counts_before, &counts_after, reals),
    }
}

/// Our engine on `file`, which has `reals` real servers.
fn our_phase(
    host: &Host,
    servers: &Reals,
    file: &Path,
    reals: usize,
    settings: &Settings,
) -> Phase {
    let before = servers.counts();
    let engine =
        std::cell::RefCell::new(Engine::start(host, file).unwrap_or_else(|e| panic!("{e}")));
    let pid = engine.borrow().pid();
    let mut report = None;
    let measured = measure(
        servers,
        &before,
        reals,
        pid,
        settings,
        &mut || {
            engine
                .borrow_mut()
                .start_window()
                .unwrap_or_else(|e| panic!("{e}"))
        },
        &mut || {
            report = Some(
                engine
                    .borrow_mut()
                    .stop_window()
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        },
    );
    drop(engine);
    let sampler = report.as_ref().map_or(Duration::ZERO, |r| r.sampler_cpu);
    Phase {
        director: "lvs-director checks",
        reals,
        window: measured.window,
        cpu: measured.cpu.saturating_sub(sampler),
        seen: measured.seen,
        interval: measured.interval,
        engine: report,
        ipvsadm_calls: None,
    }
}

/// ldirectord on `reals` real servers, with `file` as its configuration.
fn ldirectord_phase(
    host: &Host,
    servers: &Reals,
    dir: &Path,
    file: &Path,
    reals: usize,
    settings: &Settings,
) -> Phase {
    let before = servers.counts();
    let peer = Ldirectord::start(host, file, dir).unwrap_or_else(|e| panic!("{e}"));
    let calls_before = std::cell::Cell::new(0);
    let mut calls = 0;
    let measured = measure(
        servers,
        &before,
        reals,
        peer.pid(),
        settings,
        &mut || calls_before.set(peer.ipvsadm_calls()),
        &mut || calls = peer.ipvsadm_calls().saturating_sub(calls_before.get()),
    );
    assert!(
        peer.is_running(),
        "ldirectord ended during the window: {}",
        peer.stderr()
    );
    Phase {
        director: "ldirectord 4.12",
        reals,
        window: measured.window,
        cpu: measured.cpu,
        seen: measured.seen,
        interval: measured.interval,
        engine: None,
        ipvsadm_calls: Some(calls),
    }
}

/// Writes the file for `reals` real servers; its name is unique to this
/// process (ldirectord names its pid file after it).
fn write_config(dir: &Path, reals: usize) -> PathBuf {
    let path = dir.join(format!("check-cost-{}-{reals}.cf", std::process::id()));
    let log = dir.join(format!("ldirectord-{reals}.log"));
    std::fs::write(&path, config::render(reals, &log))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn print_results(phases: &[Phase]) {
    println!();
    println!("Health-check cost at checkinterval 1 s: half the real servers checked by connect,");
    println!(
        "half by http (GET /{}, receive \"{}\").",
        reals::REQUEST,
        reals::RECEIVE
    );
    println!();
    println!(
        "{:<21} {:>6} {:>11} {:>17} {:>9} {:>8} {:>8} {:>7} {:>11}",
        "director",
        "reals",
        "configured",
        "achieved",
        "interval",
        "checks",
        "CPU s",
        "% core",
        "CPU s/1000"
    );
    for p in phases {
        let configured = p.reals as f64;
        println!(
            "{:<21} {:>6} {:>9.0}/s {:>8.0}/s ({:>3.0} %) {:>7.3} s {:>8} {:>8.2} {:>6.1}% {:>11.4}",
            p.director,
            p.reals,
            configured,
            p.achieved_rate(),
            p.achieved_rate() / configured * 100.0,
            p.interval.as_secs_f64(),
            p.checks(),
            p.cpu.as_secs_f64(),
            p.core_share(),
            p.cpu_per_thousand()
        );
    }
    println!(
        "(window {:.1} s each, one director at a time. interval: mean time between two checks",
        phases.first().map_or(0.0, |p| p.window.as_secs_f64())
    );
    println!(" of one real server; achieved = reals / interval. checks: counted by the real");
    println!(" servers, connections accepted by the connect ones and requests answered by the");
    println!(" http ones. CPU: utime+stime of the director and its reaped children.)");
    for p in phases {
        let Some(report) = &p.engine else { continue };
        println!();
        println!(
            "lvs-director check latency, {} real servers (sampler CPU left out: {}):",
            p.reals,
            millis(report.sampler_cpu)
        );
        println!(
            "{:<8} {:>8} {:>8} {:>8} {:>7} {:>10} {:>10} {:>10} {:>10}",
            "check", "checks", "seen", "sampled", "failed", "p50", "p90", "p99", "max"
        );
        for kind in &report.kinds {
            let seen = if kind.name == Kind::Connect.name() {
                p.seen.0
            } else if kind.name == Kind::Http.name() {
                p.seen.1
            } else {
                0
            };
            let l = &kind.latency;
            println!(
                "{:<8} {:>8} {:>8} {:>8} {:>7} {:>10} {:>10} {:>10} {:>10}",
                kind.name,
                kind.checks,
                seen,
                l.samples,
                kind.failed,
                millis(l.p50),
                millis(l.p90),
                millis(l.p99),
                millis(l.max)
            );
        }
    }
    let Some(peer) = phases.iter().find(|p| p.engine.is_none()) else {
        return;
    };
    println!();
    if let Some(calls) = peer.ipvsadm_calls {
        println!(
            "ldirectord ran as a daemon with a stand-in ipvsadm (records its arguments, exits 0:\n\
             this machine has no IPVS), acceptable for this cost measurement only;\n\
             the stand-in was called {calls} times in the window."
        );
    }
    for p in phases.iter().filter(|p| p.engine.is_some()) {
        println!(
            "ldirectord's CPU per check is {:.1}x lvs-director's at {} real servers.",
            peer.cpu_per_thousand() / p.cpu_per_thousand(),
            p.reals
        );
    }
}

fn main() {
    let settings = Settings {
        warmup: Duration::from_secs(setting("CHECK_COST_WARMUP_SECS", WARMUP.as_secs())),
        window: Duration::from_secs(setting("CHECK_COST_WINDOW_SECS", WINDOW.as_secs())),
    };
    let our_reals = setting("CHECK_COST_REALS", OUR_REALS as u64) as usize;
    let peer_reals = setting("CHECK_COST_LDIRECTORD_REALS", LDIRECTORD_REALS as u64) as usize;
    let limit = ha_checks::scheduler::raise_fd_limit()
        .unwrap_or_else(|e| panic!("cannot raise the open-file limit: {e}"));
    assert!(
        limit as usize > our_reals.max(peer_reals) + 1000,
        "the open-file limit ({limit}) is too low for {our_reals} listeners"
    );
    let lab = Lab::new("check-cost")
        .unwrap_or_else(|e| panic!("cannot build the lab (root, iproute2 needed): {e}"));
    let host = lab.host("director").unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("hl-check-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let servers = Reals::start(&host, our_reals.max(peer_reals)).unwrap_or_else(|e| panic!("{e}"));
    let mut phases = Vec::new();
    eprintln!("check_cost: lvs-director checks, {our_reals} real servers");
    let big = write_config(&dir, our_reals);
    phases.push(our_phase(&host, &servers, &big, our_reals, &settings));
    // Both directors read the very same file in the next two phases.
    let file = write_config(&dir, peer_reals);
    eprintln!("check_cost: lvs-director checks, {peer_reals} real servers");
    phases.push(our_phase(&host, &servers, &file, peer_reals, &settings));
    eprintln!("check_cost: ldirectord, {peer_reals} real servers");
    phases.push(ldirectord_phase(
        &host, &servers, &dir, &file, peer_reals, &settings,
    ));
    servers.stop();
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
    print_results(&phases);
}

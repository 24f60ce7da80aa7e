//! What the failover benches share: the client's probing, the random phase
//! of a fault, the `ha-node` binary they run, the criterion group that
//! times one failover a sample, and how a list of failover times is summed
//! up.

// Each bench uses its own subset of these helpers; like the benches, a
// failed setup ends the run with its reason.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod summary;
pub mod versus_heartbeat;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};

/// How often the client connects to the virtual IP.
pub const CLIENT_PERIOD: Duration = Duration::from_millis(5);

/// How long one client connection may take: a probe sent to a node that has
/// just let the address go is lost, and is given up on after this.
pub const CLIENT_TIMEOUT: Duration = Duration::from_millis(20);

/// The longest the cluster may take to settle or fail over.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A pause of up to one client period. Settling ends just after a probe;
/// without it every fault would fall at the same point between two probes.
pub fn random_phase() -> Duration {
    let random = RandomState::new().hash_one(Instant::now());
    CLIENT_PERIOD.mul_f64((random % 1024) as f64 / 1024.0)
}

/// The criterion group `name` timing one failover a sample: ten samples,
/// flat sampling, and warm-up and measurement times so short that each
/// sample is one iteration (the estimate criterion makes from the warm-up
/// includes settling, which is far longer than a failover).
pub fn one_failover_per_sample<'a>(
    criterion: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = criterion.benchmark_group(name);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(10));
    group
}

/// The `ha-node` binary: `HA_NODE_BIN`, or built by cargo into this bench's
/// own target directory and profile (`target/release` under `cargo bench`).
pub fn node_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HA_NODE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    // target/PROFILE/deps/BENCH-HASH
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the bench runs from target/PROFILE/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("no profile directory in {}", exe.display()),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir)
        .args([
            "build",
            "--quiet",
            "--package",
            "ha-node",
            "--bin",
            "ha-node",
        ])
        .args(["--profile", profile])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build of ha-node failed: {status}");
    profile_dir.join("ha-node")
}

/// Minimum, median and maximum of `samples`, in milliseconds; `None` when
/// there are none.
pub fn min_median_max_ms(samples: &[Duration]) -> Option<(f64, f64, f64)> {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let (&min, &max) = (ms.first()?, ms.last()?);
    let mid = ms.len() / 2;
    let median = if ms.len().is_multiple_of(2) {
        (ms[mid - 1] + ms[mid]) / 2.0
    } else {
        ms[mid]
    };
    Some((min, median, max))
}

/// The median of `samples` in milliseconds, with their count, min and max.
pub fn describe(samples: &[Duration]) -> String {
    let Some((min, median, max)) = min_median_max_ms(samples) else {
        return "no samples".to_string();
    };
    format!(
        "{median:.0} ms ({} failovers, min {min:.0}, max {max:.0})",
        samples.len()
    )
}

//! Running the tests of some packages on the guest's kernel, all in one
//! boot: the test binaries are built statically ([`build_static`]), placed
//! in the guest at the paths they were built at (with the packages' binaries,
//! which tests find through `CARGO_BIN_EXE_<name>`, and the packages'
//! source directories, for test data), and each runs from its package's
//! directory with `--include-ignored --test-threads=1`, so that the tests
//! ignored on the host for want of IPVS run too. Bench targets, if asked
//! for, run after the tests with `--bench`, and extra shell commands last.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cargo::{build_static, ExecutableKind, GuestExecutable};
use super::image::{Preparation, VmImage};
use super::run::Vm;
use super::{cache_dir, VmRun};
use crate::LabError;

/// Marks the start of one step's output: `HA-VM-BEGIN <index>`.
const BEGIN: &str = "HA-VM-BEGIN";
/// Marks its end: `HA-VM-END <index> <status>`.
const END: &str = "HA-VM-END";

/// A set of packages whose tests run in one boot of the VM.
#[derive(Debug, Clone)]
pub struct GuestSuite {
    workspace: PathBuf,
    packages: Vec<String>,
    skip_targets: Vec<String>,
    /// Packages of which only these targets run.
    only_targets: Vec<(String, Vec<String>)>,
    benches: bool,
    extra: Vec<(String, String)>,
    timeout: Duration,
    step_timeout: Duration,
}

/// How one step of the suite (a test binary, a benchmark, an extra
/// command) ended in the guest.
#[derive(Debug, Clone)]
pub struct BinaryOutcome {
    /// `package/target` for a binary, the given name for a command.
    pub name: String,
    /// Its exit status; `None` if the guest never reported one.
    pub status: Option<i32>,
    /// What it printed.
    pub output: String,
}

impl BinaryOutcome {
    /// Whether it exited with status 0.
    pub fn passed(&self) -> bool {
        self.status == Some(0)
    }

    /// Its libtest summary lines (`test result: ...`), or its last line.
    pub fn summary(&self) -> String {
        let results: Vec<&str> = self
            .output
            .lines()
            .filter(|line| line.starts_with("test result:"))
            .collect();
        if results.is_empty() {
            self.output.lines().last().unwrap_or_default().to_string()
        } else {
            results.join("; ")
        }
    }
}

/// The outcome of [`GuestSuite::run`], with what each phase cost.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// One per step, in the order they ran.
    pub outcomes: Vec<BinaryOutcome>,
    /// The guest script's whole run.
    pub run: VmRun,
    /// The guest kernel's release.
    pub kernel_release: String,
    /// Fetching and building the image (nothing when cached).
    pub preparation: Preparation,
    /// Building the binaries statically.
    pub build: Duration,
    /// Booting, running every step and powering off.
    pub vm: Duration,
}

impl SuiteReport {
    /// Whether every step exited with status 0.
    pub fn passed(&self) -> bool {
        self.run.success() && self.outcomes.iter().all(BinaryOutcome::passed)
    }

    /// A line per step with its status and summary, then the timings.
    pub fn summary(&self) -> String {
        let mut text = String::new();
        for outcome in &self.outcomes {
            let status = match outcome.status {
                Some(0) => "ok".to_string(),
                Some(code) => format!("FAILED (exit status {code})"),
                None => "did not finish".to_string(),
            };
            text.push_str(&format!(
                "{}: {status}: {}\n",
                outcome.name,
                outcome.summary()
            ));
        }
        let cached = |d: Option<Duration>| d.map_or("cached".to_string(), |d| format!("{d:.1?}"));
        text.push_str(&format!(
            "kernel {}; fetch {}, image {}, static build {:.1?}, boot and run {:.1?}\n",
            self.kernel_release,
            cached(self.preparation.fetch),
            cached(self.preparation.build),
            self.build,
            self.vm
        ));
        text
    }
}

impl GuestSuite {
    /// A suite for the workspace at `workspace`, with no packages yet, a
    /// timeout of 30 minutes for the whole boot and 10 for each step.
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        GuestSuite {
            workspace: workspace.into(),
            packages: Vec::new(),
            skip_targets: Vec::new(),
            only_targets: Vec::new(),
            benches: false,
            extra: Vec::new(),
            timeout: Duration::from_secs(30 * 60),
            step_timeout: Duration::from_secs(10 * 60),
        }
    }

    /// Adds a package whose tests run.
    pub fn package(mut self, name: &str) -> Self {
        self.packages.push(name.to_string());
        self
    }

    /// Adds a package of which only the test targets in `targets` run (a
    /// library's unit tests are the target named after the library, e.g.
    /// `ha_checks`).
    pub fn package_targets(mut self, name: &str, targets: &[&str]) -> Self {
        self.packages.push(name.to_string());
        self.only_targets.push((
            name.to_string(),
            targets.iter().map(|t| t.to_string()).collect(),
        ));
        self
    }

    /// Whether the suite runs `executable`.
    fn runs(&self, executable: &GuestExecutable) -> bool {
        !self.skip_targets.contains(&executable.target)
            && self
                .only_targets
                .iter()
                .filter(|(package, _)| *package == executable.package)
                .all(|(_, targets)| targets.contains(&executable.target))
    }

    /// Leaves out test target `name` (the test that runs the suite).
    pub fn skip_target(mut self, name: &str) -> Self {
        self.skip_targets.push(name.to_string());
        self
    }

    /// Also builds the packages' bench targets (bench profile) and runs
    /// each in the guest with `--bench`, after the tests.
    pub fn benches(mut self, on: bool) -> Self {
        self.benches = on;
        self
    }

    /// Adds a shell command run in the guest after everything else, from
    /// the workspace directory, reported as `name`.
    pub fn extra_command(mut self, name: &str, command: &str) -> Self {
        self.extra.push((name.to_string(), command.to_string()));
        self
    }

    /// Sets the limit for the whole boot and for each step.
    pub fn timeouts(mut self, whole: Duration, step: Duration) -> Self {
        self.timeout = whole;
        self.step_timeout = step;
        self
    }

    /// The directory the static builds go to.
    pub fn target_dir(&self) -> PathBuf {
        self.workspace.join("target").join("vm-build")
    }

    /// Prepares the image, builds, boots once and runs every step. An `Ok`
    /// report may still hold failed steps: see [`SuiteReport::passed`].
    pub fn run(&self) -> Result<SuiteReport, LabError> {
        if self.packages.is_empty() {
            return Err(LabError::InvalidArgument {
                what: "guest suite".to_string(),
                reason: "no packages".to_string(),
            });
        }
        let image = VmImage::prepare(&cache_dir(&self.workspace))?;
        let packages: Vec<&str> = self.packages.iter().map(String::as_str).collect();
        let target_dir = self.target_dir();
        let built = build_static(&self.workspace, &packages, &target_dir, self.benches)?;
        let mut executables: Vec<GuestExecutable> = built
            .executables
            .into_iter()
            .filter(|e| self.runs(e))
            .collect();
        // Cargo reports artifacts in the order they happen to finish; the
        // tests share the guest's kernel, so run them in a fixed order.
        executables.sort_by(|a, b| (&a.package, &a.target).cmp(&(&b.package, &b.target)));
        let (script, names) = self.script(&executables, &target_dir);
        let files = self.files(&executables)?;
        let payload: u64 = files
            .iter()
            .filter_map(|(host, _)| std::fs::metadata(host).ok())
            .map(|m| m.len())
            .sum();
        let memory_mib = (1024 + 2 * (payload >> 20)).min(16 * 1024) as u32;
        let started = Instant::now();
        let run = Vm::new(&image)
            .memory_mib(memory_mib)
            .run(&files, &script, self.timeout)?;
        let vm = started.elapsed();
        Ok(SuiteReport {
            outcomes: split_outcomes(&run.output, &names),
            run,
            kernel_release: image.kernel_release().to_string(),
            preparation: image.preparation().clone(),
            build: built.elapsed,
            vm,
        })
    }

    /// The guest script and the name of each step.
    fn script(&self, executables: &[GuestExecutable], target_dir: &Path) -> (String, Vec<String>) {
        let mut script = String::from("failed=0\n");
        // Tests may use CARGO_TARGET_TMPDIR, which cargo creates.
        script.push_str(&format!("mkdir -p {}\n", quote(&target_dir.join("tmp"))));
        let mut names = Vec::new();
        let tests = executables
            .iter()
            .filter(|e| e.kind == ExecutableKind::Test);
        let benches = executables
            .iter()
            .filter(|e| e.kind == ExecutableKind::Bench);
        let secs = self.step_timeout.as_secs().max(1);
        for (executable, args) in tests
            .map(|e| (e, "--include-ignored --test-threads=1"))
            .chain(benches.map(|e| (e, "--bench")))
        {
            let index = names.len();
            names.push(format!("{}/{}", executable.package, executable.target));
            script.push_str(&format!(
                "echo {BEGIN} {index}\n\
                 (cd {dir} && CARGO_MANIFEST_DIR={dir} CARGO_PKG_NAME={package} \
                 timeout -s KILL {secs} {path} {args})\n\
                 status=$?; echo {END} {index} $status; [ $status = 0 ] || failed=$((failed + 1))\n",
                dir = quote(&executable.manifest_dir),
                package = quote(Path::new(&executable.package)),
                path = quote(&executable.path),
            ));
        }
        for (name, command) in &self.extra {
            let index = names.len();
            names.push(name.clone());
            script.push_str(&format!(
                "echo {BEGIN} {index}\n\
                 (cd {dir} && timeout -s KILL {secs} sh -c {command})\n\
                 status=$?; echo {END} {index} $status; [ $status = 0 ] || failed=$((failed + 1))\n",
                dir = quote(&self.workspace),
                command = quote(Path::new(command)),
            ));
        }
        script.push_str("[ $failed = 0 ]\n");
        (script, names)
    }

    /// The executables, and the source directories of their packages
    /// without any `target` directory or hidden entries.
    fn files(&self, executables: &[GuestExecutable]) -> Result<Vec<(PathBuf, PathBuf)>, LabError> {
        let mut files: Vec<(PathBuf, PathBuf)> = executables
            .iter()
            .map(|e| (e.path.clone(), e.path.clone()))
            .collect();
        let mut dirs: Vec<&PathBuf> = executables.iter().map(|e| &e.manifest_dir).collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            collect_sources(dir, &mut files)?;
        }
        Ok(files)
    }
}

/// Adds the files under `dir`, except `target` and hidden entries.
fn collect_sources(dir: &Path, files: &mut Vec<(PathBuf, PathBuf)>) -> Result<(), LabError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| LabError::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| LabError::io(format!("listing {}", dir.display()), e))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(".");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            collect_sources(&path, files)?;
        } else if path.is_file() {
            files.push((path.clone(), path));
        }
    }
    Ok(())
}

/// `path` quoted for the shell.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The output of each step, by the markers the script printed.
fn split_outcomes(output: &str, names: &[String]) -> Vec<BinaryOutcome> {
    let mut outcomes: Vec<BinaryOutcome> = names
        .iter()
        .map(|name| BinaryOutcome {
            name: name.clone(),
            status: None,
            output: String::new(),
        })
        .collect();
    let mut current: Option<usize> = None;
    for line in output.lines() {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some(BEGIN), Some(index), None) => {
                current = index.parse().ok().filter(|i| *i < outcomes.len());
                continue;
            }
            (Some(END), Some(index), Some(status)) => {
                if let (Some(outcome), Ok(status)) = (
                    index
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| outcomes.get_mut(i)),
                    status.parse(),
                ) {
                    outcome.status = Some(status);
                    current = None;
                    continue;
                }
            }
            _ => {}
        }
        if let Some(outcome) = current.and_then(|i| outcomes.get_mut(i)) {
            outcome.output.push_str(line);
            outcome.output.push('\n');
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_by_step() {
        let names = vec![
            "ha-ipvs/a".to_string(),
            "ha-ipvs/b".to_string(),
            "extra".to_string(),
        ];
        let output = "HA-VM-BEGIN 0\nrunning 1 test\ntest result: ok. 1 passed\nHA-VM-END 0 0\n\
                      HA-VM-BEGIN 1\ntest x ... FAILED\ntest result: FAILED. 0 passed; 1 failed\nHA-VM-END 1 101\n\
                      HA-VM-BEGIN 2\nhalf\n";
        let outcomes = split_outcomes(output, &names);
        assert_eq!(outcomes[0].status, Some(0));
        assert_eq!(
            outcomes[0].output,
            "running 1 test\ntest result: ok. 1 passed\n"
        );
        assert_eq!(outcomes[0].summary(), "test result: ok. 1 passed");
        assert_eq!(outcomes[1].status, Some(101));
        assert!(!outcomes[1].passed());
        assert_eq!(outcomes[2].status, None);
        assert_eq!(outcomes[2].summary(), "half");
    }

    #[test]
    fn bogus_markers_are_plain_output() {
        let names = vec!["a".to_string()];
        let outcomes = split_outcomes("HA-VM-BEGIN 0\nHA-VM-END 7 0\nHA-VM-BEGIN x\n", &names);
        assert_eq!(outcomes[0].output, "HA-VM-END 7 0\n");
        assert_eq!(outcomes[0].status, None);
    }

    #[test]
    fn the_script_runs_tests_then_benches_then_commands() {
        let exe = |target: &str, kind| GuestExecutable {
            path: PathBuf::from(format!("/ws/target/vm-build/{target}")),
            package: "ha-ipvs".to_string(),
            target: target.to_string(),
            kind,
            manifest_dir: PathBuf::from("/ws/ipvs"),
        };
        let suite = GuestSuite::new("/ws")
            .package("ha-ipvs")
            .extra_command("probe", "echo 'hi'");
        let executables = [
            exe("apply", ExecutableKind::Bench),
            exe("lvs-director", ExecutableKind::Binary),
            exe("ha_ipvs", ExecutableKind::Test),
        ];
        let (script, names) = suite.script(&executables, Path::new("/ws/target/vm-build"));
        assert_eq!(names, ["ha-ipvs/ha_ipvs", "ha-ipvs/apply", "probe"]);
        assert!(script.contains("'/ws/target/vm-build/ha_ipvs' --include-ignored --test-threads=1"));
        assert!(script.contains("'/ws/target/vm-build/apply' --bench"));
        assert!(script.contains(r"sh -c 'echo '\''hi'\'''"));
        assert!(script.contains("mkdir -p '/ws/target/vm-build/tmp'"));
        assert!(script.ends_with("[ $failed = 0 ]\n"));
    }
}

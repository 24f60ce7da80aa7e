//! Building Rust test binaries that run in the guest, which has no shared
//! libraries of its own: `cargo test --no-run` (and `cargo bench --no-run`
//! for benchmarks) with the C library linked statically. The target is
//! named explicitly so that the static flag applies to the binaries only,
//! not to build scripts and proc macros, and the build uses a target
//! directory of its own so that it neither waits for nor invalidates the
//! build that runs the calling test.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_process::{Command, Output};

use crate::LabError;

/// The target the guest binaries are built for (the host's own).
pub const GUEST_TARGET: &str = "x86_64-unknown-linux-gnu";

/// Flags that link the C library statically.
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static";

/// What an executable built for the guest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutableKind {
    /// A libtest test binary (unit tests of a library or binary, or an
    /// integration test).
    Test,
    /// A benchmark target (built with the bench profile).
    Bench,
    /// A binary target, which tests run through `CARGO_BIN_EXE_<name>`.
    Binary,
}

/// One executable of a [`StaticBuild`].
#[derive(Debug, Clone)]
pub struct GuestExecutable {
    /// Where it was built (and where its tests expect it in the guest).
    pub path: PathBuf,
    /// Its package's name.
    pub package: String,
    /// Its target's name (`in_vm`, `ha_ipvs`, `lvs-director`...).
    pub target: String,
    /// What it is.
    pub kind: ExecutableKind,
    /// Its package's directory (cargo runs tests from there).
    pub manifest_dir: PathBuf,
}

/// The result of [`build_static`].
#[derive(Debug, Clone)]
pub struct StaticBuild {
    /// Every executable built, in cargo's order.
    pub executables: Vec<GuestExecutable>,
    /// How long the builds took.
    pub elapsed: Duration,
}

/// Builds the tests of `packages` (and, with `benches`, their bench
/// targets, optimised) of the workspace at `workspace` statically into
/// `target_dir`. Compiler errors make a [`LabError::Vm`] quoting them.
pub fn build_static(
    workspace: &Path,
    packages: &[&str],
    target_dir: &Path,
    benches: bool,
) -> Result<StaticBuild, LabError> {
    let started = Instant::now();
    let metadata = Metadata::read(workspace)?;
    let mut executables = Vec::new();
    let mut test_args = vec!["test".to_string(), "--no-run".to_string()];
    test_args.extend(package_args(packages));
    executables.extend(cargo_build(workspace, target_dir, &test_args, &metadata)?);
    let bench_targets = metadata.bench_targets(packages);
    if benches && !bench_targets.is_empty() {
        let mut bench_args = vec!["bench".to_string(), "--no-run".to_string()];
        bench_args.extend(package_args(packages));
        for name in bench_targets {
            bench_args.push("--bench".to_string());
            bench_args.push(name);
        }
        executables.extend(cargo_build(workspace, target_dir, &bench_args, &metadata)?);
    }
    Ok(StaticBuild {
        executables,
        elapsed: started.elapsed(),
    })
}

fn package_args(packages: &[&str]) -> Vec<String> {
    packages
        .iter()
        .flat_map(|p| ["-p".to_string(), p.to_string()])
        .collect()
}

/// The cargo that runs this process (cargo sets `CARGO` for tests).
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Runs one `cargo ... --message-format=json` build and collects its
/// executables.
fn cargo_build(
    workspace: &Path,
    target_dir: &Path,
    args: &[String],
    metadata: &Metadata,
) -> Result<Vec<GuestExecutable>, LabError> {
    let mut cmd = Command::new(cargo_program());
    cmd.args(args)
        .args(["--message-format=json", "--target", GUEST_TARGET])
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTFLAGS", STATIC_RUSTFLAGS)
        // These would override RUSTFLAGS or the target.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .stdout(Output::Capture)
        .stderr(Output::Capture)
        .tag("cargo")
        .log_level(log::Level::Debug)
        .keep_lines(0);
    let output = cmd.run_blocking().map_err(|e| match e {
        ha_process::Error::Spawn { command, source } => LabError::Spawn { command, source },
        other => LabError::from(other),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (executables, errors) = parse_messages(&stdout, metadata);
    if !output.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr_tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        let mut detail = format!("`{cmd}` failed ({})", output.exit);
        for error in errors {
            detail.push('\n');
            detail.push_str(&error);
        }
        for line in stderr_tail.iter().rev() {
            detail.push('\n');
            detail.push_str(line);
        }
        return Err(LabError::Vm {
            what: "build the guest's test binaries".to_string(),
            detail,
        });
    }
    Ok(executables)
}

/// The executables and the rendered compiler errors in cargo's JSON
/// messages. Lines that are not JSON (a build script's output) are skipped.
fn parse_messages(stdout: &str, metadata: &Metadata) -> (Vec<GuestExecutable>, Vec<String>) {
    let mut executables = Vec::new();
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(executable) = artifact(&message, metadata) {
                    executables.push(executable);
                }
            }
            Some("compiler-message") if message["message"]["level"] == "error" => {
                if let Some(rendered) = message["message"]["rendered"].as_str() {
                    errors.push(rendered.trim_end().to_string());
                }
            }
            _ => {}
        }
    }
    (executables, errors)
}

fn artifact(message: &serde_json::Value, metadata: &Metadata) -> Option<GuestExecutable> {
    let path = PathBuf::from(message["executable"].as_str()?);
    let manifest_path = PathBuf::from(message["manifest_path"].as_str()?);
    let target = message["target"]["name"].as_str()?.to_string();
    let kinds = message["target"]["kind"].as_array()?;
    let is = |kind: &str| kinds.iter().any(|k| k == kind);
    let kind = if is("bench") {
        ExecutableKind::Bench
    } else if message["profile"]["test"] == true {
        ExecutableKind::Test
    } else if is("bin") {
        ExecutableKind::Binary
    } else {
        return None;
    };
    Some(GuestExecutable {
        path,
        package: metadata.package_of(&manifest_path)?,
        target,
        kind,
        manifest_dir: manifest_path.parent()?.to_path_buf(),
    })
}

/// What `cargo metadata` says about the workspace's own packages.
struct Metadata {
    /// Manifest path → package name.
    names: BTreeMap<PathBuf, String>,
    /// Package name → its bench targets.
    benches: BTreeMap<String, Vec<String>>,
}

impl Metadata {
    fn read(workspace: &Path) -> Result<Metadata, LabError> {
        let mut cmd = Command::new(cargo_program());
        cmd.args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(workspace);
        let stdout = crate::command::run(&mut cmd)?;
        Metadata::parse(&stdout).ok_or_else(|| LabError::Parse {
            command: cmd.to_string(),
            reason: "no packages with names, manifests and targets".to_string(),
        })
    }

    fn parse(json: &str) -> Option<Metadata> {
        let value: serde_json::Value = serde_json::from_str(json).ok()?;
        let mut names = BTreeMap::new();
        let mut benches = BTreeMap::new();
        for package in value["packages"].as_array()? {
            let name = package["name"].as_str()?.to_string();
            names.insert(
                PathBuf::from(package["manifest_path"].as_str()?),
                name.clone(),
            );
            let bench_names = package["targets"]
                .as_array()?
                .iter()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bench"))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect();
            benches.insert(name, bench_names);
        }
        Some(Metadata { names, benches })
    }

    fn package_of(&self, manifest_path: &Path) -> Option<String> {
        self.names.get(manifest_path).cloned()
    }

    fn bench_targets(&self, packages: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = packages
            .iter()
            .filter_map(|p| self.benches.get(*p))
            .flatten()
            .cloned()
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{"packages":[
        {"name":"ha-ipvs","manifest_path":"/ws/ipvs/Cargo.toml","targets":[
            {"name":"ha_ipvs","kind":["lib"]},{"name":"apply","kind":["bench"]}]},
        {"name":"lvs-director","manifest_path":"/ws/bins/lvs-director/Cargo.toml","targets":[
            {"name":"lvs-director","kind":["bin"]}]}]}"#;

    fn message(
        kind: &str,
        name: &str,
        test: bool,
        executable: Option<&str>,
        manifest: &str,
    ) -> String {
        serde_json::json!({
            "reason": "compiler-artifact",
            "manifest_path": manifest,
            "target": {"kind": [kind], "name": name},
            "profile": {"test": test},
            "executable": executable,
        })
        .to_string()
    }

    #[test]
    fn metadata_names_packages_and_their_benches() {
        let metadata = Metadata::parse(METADATA).unwrap();
        assert_eq!(
            metadata
                .package_of(Path::new("/ws/bins/lvs-director/Cargo.toml"))
                .as_deref(),
            Some("lvs-director")
        );
        assert_eq!(
            metadata.bench_targets(&["ha-ipvs", "lvs-director"]),
            ["apply"]
        );
        assert!(metadata.bench_targets(&["lvs-director"]).is_empty());
        assert!(Metadata::parse("{}").is_none());
    }

    #[test]
    fn artifacts_become_tests_benches_and_binaries() {
        let metadata = Metadata::parse(METADATA).unwrap();
        let ipvs = "/ws/ipvs/Cargo.toml";
        let director = "/ws/bins/lvs-director/Cargo.toml";
        let stdout = [
            message("lib", "ha_ipvs", false, None, ipvs),
            message("lib", "ha_ipvs", true, Some("/t/deps/ha_ipvs-1"), ipvs),
            message("test", "in_vm", true, Some("/t/deps/in_vm-2"), ipvs),
            "not json from a build script".to_string(),
            message("bin", "lvs-director", false, Some("/t/lvs-director"), director),
            message("bench", "apply", false, Some("/t/release/deps/apply-3"), ipvs),
            message("test", "stray", true, Some("/t/deps/stray"), "/elsewhere/Cargo.toml"),
            r#"{"reason":"compiler-message","message":{"level":"error","rendered":"error[E0425]: x\n"}}"#
                .to_string(),
            r#"{"reason":"compiler-message","message":{"level":"warning","rendered":"warning: y"}}"#
                .to_string(),
        ]
        .join("\n");
        let (executables, errors) = parse_messages(&stdout, &metadata);
        let summary: Vec<(&str, &str, ExecutableKind)> = executables
            .iter()
            .map(|e| (e.package.as_str(), e.target.as_str(), e.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("ha-ipvs", "ha_ipvs", ExecutableKind::Test),
                ("ha-ipvs", "in_vm", ExecutableKind::Test),
                ("lvs-director", "lvs-director", ExecutableKind::Binary),
                ("ha-ipvs", "apply", ExecutableKind::Bench),
            ]
        );
        assert_eq!(
            executables[2].manifest_dir,
            Path::new("/ws/bins/lvs-director")
        );
        assert_eq!(errors, ["error[E0425]: x"]);
    }
}

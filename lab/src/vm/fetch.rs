//! Fetching what the VM is made of, without installing anything: Debian's
//! packages are downloaded with `apt-get download` and unpacked with
//! `dpkg -x` into the cache (`root/` under it). Installing
//! `qemu-system-x86` is never an option: on these machines it would remove
//! the preinstalled, newer `qemu-utils`.
//!
//! When apt has no package lists yet (a fresh machine), the first failure
//! runs `apt-get update` once and tries again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_process::Command;

use super::cache::remove_dir_if_present;
use super::packages::{
    base_set, closure, parse_apt_depends, parse_dpkg_status, APT_CACHE_HARD_ONLY, DPKG_QUERY_FORMAT,
};
use super::runnable::{base_libraries, prove_runs, ProgramCheck, Proof};
use crate::command::run;
use crate::debian::{unpack_all, Apt};
use crate::LabError;

/// The packages whose programs the VM needs: QEMU for x86-64 (its firmware
/// comes as its dependencies), busybox for everything in the guest, the
/// real ipvsadm 1.31 for cross-checks, and `xz` to unpack the kernel. What
/// else to fetch is derived from their dependencies ([`super::packages`]).
const ROOT_PACKAGES: &[&str] = &["qemu-system-x86", "busybox-static", "ipvsadm", "xz-utils"];

/// The fetched programs that must run with only the base packages and the
/// cache (paths under the cache's root).
const PROGRAMS: &[(&str, Proof)] = &[
    ("usr/bin/qemu-system-x86_64", Proof::Version),
    ("usr/bin/xz", Proof::Version),
    // ipvsadm cannot start without IPVS, which the host lacks.
    ("sbin/ipvsadm", Proof::Load),
];

/// The metapackage whose dependency names the current kernel package.
const KERNEL_METAPACKAGE: &str = "linux-image-amd64";

/// Name of the file recording a complete fetch.
const STAMP: &str = "fetched";

/// The outcome of [`ensure_fetched`].
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// The kernel's release, e.g. `6.1.0-48-amd64`.
    pub(crate) kernel_release: String,
    /// How long the fetch took, or `None` when the cache was complete.
    pub(crate) took: Option<Duration>,
}

/// Where packages are unpacked under `cache`.
pub(crate) fn root_dir(cache: &Path) -> PathBuf {
    cache.join("root")
}

/// The cache's library directories, searched before the host's.
pub(crate) fn lib_dirs(cache: &Path) -> Vec<PathBuf> {
    let root = root_dir(cache);
    vec![
        root.join("usr/lib/x86_64-linux-gnu"),
        root.join("lib/x86_64-linux-gnu"),
    ]
}

/// Makes sure every package is unpacked under `cache/root` and that its
/// programs run; the caller holds the cache lock. A complete earlier fetch
/// of the same packages is reused.
pub(crate) fn ensure_fetched(cache: &Path) -> Result<Fetched, LabError> {
    let mut apt = Apt::default();
    let base = base_packages()?;
    let packages = closure_of_roots(&mut apt, &base)?;
    if let Some(kernel_release) = read_stamp(cache, &packages) {
        if kernel_dir(cache, &kernel_release).is_dir() {
            return Ok(Fetched {
                kernel_release,
                took: None,
            });
        }
    }
    let started = Instant::now();
    let kernel_package = kernel_package(&mut apt)?;
    let kernel_release = kernel_package
        .strip_prefix("linux-image-")
        .unwrap_or(&kernel_package)
        .to_string();
    let debs = cache.join("debs");
    let root = root_dir(cache);
    remove_dir_if_present(&cache.join(STAMP))?;
    for dir in [&debs, &root] {
        remove_dir_if_present(dir)?;
        std::fs::create_dir_all(dir)
            .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
    }
    let mut wanted: Vec<&str> = packages.iter().map(String::as_str).collect();
    wanted.push(&kernel_package);
    apt.download("download the VM packages", &wanted, &debs)?;
    unpack_all(&debs, &root)?;
    remove_dir_if_present(&debs)?;
    if !kernel_dir(cache, &kernel_release).is_dir() {
        return Err(LabError::Vm {
            what: "find the kernel".to_string(),
            detail: format!(
                "{kernel_package} unpacked, but {} is missing",
                kernel_dir(cache, &kernel_release).display()
            ),
        });
    }
    prove_programs_run(cache, &base, &[])?;
    write_stamp(cache, &packages, &kernel_release)?;
    Ok(Fetched {
        kernel_release,
        took: Some(started.elapsed()),
    })
}

/// The base packages of this machine (see [`super::packages`]).
pub(crate) fn base_packages() -> Result<BTreeSet<String>, LabError> {
    let status = run(Command::new("dpkg-query").args(["-W", "-f", DPKG_QUERY_FORMAT]))?;
    Ok(base_set(&parse_dpkg_status(&status)))
}

/// Runs every fetched program (see [`super::runnable`]) with only `base`'s
/// libraries and the cache visible, `hide` being cache or base libraries
/// to leave out as if they had not been fetched.
pub(crate) fn prove_programs_run(
    cache: &Path,
    base: &BTreeSet<String>,
    hide: &[&str],
) -> Result<(), LabError> {
    let base_libraries = base_libraries(base)?;
    let cache_lib_dirs = lib_dirs(cache);
    let root = root_dir(cache);
    for (program, proof) in PROGRAMS {
        let program = root.join(program);
        prove_runs(
            &ProgramCheck {
                program: &program,
                proof: *proof,
                cache_lib_dirs: &cache_lib_dirs,
                base_libraries: &base_libraries,
                hide,
            },
            &cache.join("proof"),
        )?;
    }
    Ok(())
}

/// The modules directory of `release` in the cache.
pub(crate) fn kernel_dir(cache: &Path, release: &str) -> PathBuf {
    root_dir(cache).join("lib/modules").join(release)
}

/// The kernel release recorded by a complete fetch of `packages`.
fn read_stamp(cache: &Path, packages: &[String]) -> Option<String> {
    let text = std::fs::read_to_string(cache.join(STAMP)).ok()?;
    parse_stamp(&text, packages)
}

fn stamp_text(packages: &[String], kernel_release: &str) -> String {
    format!(
        "packages: {}\nkernel: {kernel_release}\n",
        packages.join(" ")
    )
}

fn parse_stamp(text: &str, packages: &[String]) -> Option<String> {
    let mut lines = text.lines();
    let listed = lines.next()?.strip_prefix("packages: ")?;
    if listed != packages.join(" ") {
        return None;
    }
    let release = lines.next()?.strip_prefix("kernel: ")?.trim();
    (!release.is_empty()).then(|| release.to_string())
}

fn write_stamp(cache: &Path, packages: &[String], kernel_release: &str) -> Result<(), LabError> {
    let path = cache.join(STAMP);
    std::fs::write(&path, stamp_text(packages, kernel_release))
        .map_err(|e| LabError::io(format!("writing {}", path.display()), e))
}

/// The kernel package named by `apt-cache depends linux-image-amd64`.
fn parse_kernel_package(depends: &str) -> Option<String> {
    depends.lines().find_map(|line| {
        let name = line.trim().strip_prefix("Depends:")?.trim();
        (name.starts_with("linux-image-") && !name.starts_with('<')).then(|| name.to_string())
    })
}

/// Runs apt, updating its package lists once if a command fails.
/// The package of the kernel the metapackage names.
fn kernel_package(apt: &mut Apt) -> Result<String, LabError> {
    apt.with_lists("find the kernel package", |_| {
        let depends = run(Command::new("apt-cache").args(["depends", KERNEL_METAPACKAGE]))?;
        parse_kernel_package(&depends).ok_or_else(|| LabError::Vm {
            what: "find the kernel package".to_string(),
            detail: format!("`apt-cache depends {KERNEL_METAPACKAGE}` names no linux-image"),
        })
    })
}

/// The root packages and everything they need outside `base`.
fn closure_of_roots(apt: &mut Apt, base: &BTreeSet<String>) -> Result<Vec<String>, LabError> {
    apt.with_lists("resolve the VM packages' dependencies", |_| {
        closure(ROOT_PACKAGES, base, |names| {
            let output = run(Command::new("apt-cache")
                .arg("depends")
                .args(APT_CACHE_HARD_ONLY)
                .args(names))?;
            Ok(parse_apt_depends(&output))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_package_comes_from_the_metapackage() {
        let output = "linux-image-amd64\n  Depends: linux-image-6.1.0-48-amd64\n";
        assert_eq!(
            parse_kernel_package(output).as_deref(),
            Some("linux-image-6.1.0-48-amd64")
        );
        assert_eq!(parse_kernel_package("linux-image-amd64\n"), None);
        assert_eq!(
            parse_kernel_package("x\n  Depends: <linux-image-virtual>\n  Depends: libc6\n"),
            None
        );
    }

    #[test]
    fn a_stamp_is_valid_only_for_the_same_package_list() {
        let packages: Vec<String> = ["qemu-system-x86", "libslirp0", "ipvsadm"]
            .map(String::from)
            .into();
        let text = stamp_text(&packages, "6.1.0-48-amd64");
        assert_eq!(
            parse_stamp(&text, &packages).as_deref(),
            Some("6.1.0-48-amd64")
        );
        let fewer = packages[1..].to_vec();
        assert_eq!(parse_stamp(&text, &fewer), None);
        assert_eq!(parse_stamp("packages: \n", &packages), None);
        assert_eq!(parse_stamp("", &packages), None);
    }
}

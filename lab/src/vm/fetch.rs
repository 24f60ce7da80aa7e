//! Fetching what the VM is made of, without installing anything: Debian's
//! packages are downloaded with `apt-get download` and unpacked with
//! `dpkg -x` into the cache (`root/` under it). Installing
//! `qemu-system-x86` is never an option: on these machines it would remove
//! the preinstalled, newer `qemu-utils`.
//!
//! When apt has no package lists yet (a fresh machine), the first failure
//! runs `apt-get update` once and tries again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::cache::remove_dir_if_present;
use crate::command::run;
use crate::LabError;

/// QEMU for x86-64, its firmware, and the shared libraries it needs that
/// a Debian 12 machine of this kind lacks.
const QEMU_PACKAGES: &[&str] = &[
    "qemu-system-x86",
    "qemu-system-common",
    "qemu-system-data",
    "seabios",
    "ipxe-qemu",
    "libcapstone4",
    "libfdt1",
    "libslirp0",
    "libvdeplug2",
    "libspice-server1",
    "libusb-1.0-0",
    "libusbredirparser1",
    "libcacard0",
    "libbrlapi0.8",
    "libdaxctl1",
    "libndctl6",
    "libpmem1",
    "libibverbs1",
    "librdmacm1",
    "libepoxy0",
    "libexecs0",
    "liborc-0.4-0",
    "libopus0",
    "libsndio7.0",
    "libgstreamer-plugins-base1.0-0",
];

/// What runs inside the guest: busybox for everything, and the real
/// ipvsadm 1.31 (with its libraries) for cross-checks.
const GUEST_PACKAGES: &[&str] = &[
    "busybox-static",
    "ipvsadm",
    "libnl-3-200",
    "libnl-genl-3-200",
    "libpopt0",
];

/// Tools the host needs to build the image: `xz` to unpack the kernel.
const TOOL_PACKAGES: &[&str] = &["xz-utils"];

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

/// Makes sure every package is unpacked under `cache/root`; the caller
/// holds the cache lock. A complete earlier fetch is reused.
pub(crate) fn ensure_fetched(cache: &Path) -> Result<Fetched, LabError> {
    let packages = package_list();
    if let Some(kernel_release) = read_stamp(cache, &packages) {
        if kernel_dir(cache, &kernel_release).is_dir() {
            return Ok(Fetched {
                kernel_release,
                took: None,
            });
        }
    }
    let started = Instant::now();
    let mut apt = Apt::default();
    let kernel_package = apt.kernel_package()?;
    let kernel_release = kernel_package
        .strip_prefix("linux-image-")
        .unwrap_or(&kernel_package)
        .to_string();
    let debs = cache.join("debs");
    let root = root_dir(cache);
    for dir in [&debs, &root] {
        remove_dir_if_present(dir)?;
        std::fs::create_dir_all(dir)
            .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
    }
    let mut wanted: Vec<&str> = packages.iter().map(String::as_str).collect();
    wanted.push(&kernel_package);
    apt.download(&wanted, &debs)?;
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
    write_stamp(cache, &packages, &kernel_release)?;
    Ok(Fetched {
        kernel_release,
        took: Some(started.elapsed()),
    })
}

/// Every package fetched besides the kernel.
fn package_list() -> Vec<String> {
    QEMU_PACKAGES
        .iter()
        .chain(GUEST_PACKAGES)
        .chain(TOOL_PACKAGES)
        .map(|p| p.to_string())
        .collect()
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
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn kernel_package(&mut self) -> Result<String, LabError> {
        self.with_lists("find the kernel package", |_| {
            let depends = run(Command::new("apt-cache").args(["depends", KERNEL_METAPACKAGE]))?;
            parse_kernel_package(&depends).ok_or_else(|| LabError::Vm {
                what: "find the kernel package".to_string(),
                detail: format!("`apt-cache depends {KERNEL_METAPACKAGE}` names no linux-image"),
            })
        })
    }

    fn download(&mut self, packages: &[&str], into: &Path) -> Result<(), LabError> {
        self.with_lists("download the VM packages", |_| {
            run(Command::new("apt-get")
                .args(["download", "-q"])
                .args(packages)
                .current_dir(into))
            .map(drop)
        })
    }

    /// Runs `attempt`; if it fails and the lists were not updated yet,
    /// runs `apt-get update` and tries once more.
    fn with_lists<T>(
        &mut self,
        what: &str,
        mut attempt: impl FnMut(&mut Self) -> Result<T, LabError>,
    ) -> Result<T, LabError> {
        match attempt(self) {
            Ok(value) => Ok(value),
            Err(first) if !self.updated => {
                log::info!("{what} failed ({first}); running apt-get update");
                self.updated = true;
                run(Command::new("apt-get").args(["update", "-q"])).map_err(|e| LabError::Vm {
                    what: what.to_string(),
                    detail: format!("{first}; then apt-get update failed: {e}"),
                })?;
                attempt(self).map_err(|e| LabError::Vm {
                    what: what.to_string(),
                    detail: e.to_string(),
                })
            }
            Err(e) => Err(LabError::Vm {
                what: what.to_string(),
                detail: e.to_string(),
            }),
        }
    }
}

/// `dpkg -x` of every `.deb` in `debs` into `root`.
fn unpack_all(debs: &Path, root: &Path) -> Result<(), LabError> {
    let entries = std::fs::read_dir(debs)
        .map_err(|e| LabError::io(format!("listing {}", debs.display()), e))?;
    let mut count = 0;
    for entry in entries {
        let path = entry
            .map_err(|e| LabError::io(format!("listing {}", debs.display()), e))?
            .path();
        if path.extension().is_some_and(|ext| ext == "deb") {
            run(Command::new("dpkg").arg("-x").arg(&path).arg(root)).map_err(|e| LabError::Vm {
                what: format!("unpack {}", path.display()),
                detail: e.to_string(),
            })?;
            count += 1;
        }
    }
    if count == 0 {
        return Err(LabError::Vm {
            what: "unpack the VM packages".to_string(),
            detail: format!("apt-get download left no .deb in {}", debs.display()),
        });
    }
    Ok(())
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
        let packages = package_list();
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

    #[test]
    fn the_package_list_has_qemu_the_guest_tools_and_xz() {
        let packages = package_list();
        for needed in [
            "qemu-system-x86",
            "seabios",
            "busybox-static",
            "ipvsadm",
            "xz-utils",
        ] {
            assert!(packages.iter().any(|p| p == needed), "{needed} missing");
        }
        assert!(!packages.iter().any(|p| p.starts_with("linux-image")));
    }
}

//! Debian packages fetched without installing them: `apt-get download`
//! into a cache, `dpkg -x` under its `root/`. The VM is made this way
//! (`vm::fetch`), and so are the programs a test needs that a fresh
//! machine lacks — resource-agents' OCF agents, run from the cache with
//! `OCF_ROOT` pointing there ([`resource_agents`]).
//!
//! When apt has no package lists yet (a fresh machine), the first failure
//! runs `apt-get update` once and tries again.

use std::path::{Path, PathBuf};

use ha_process::Command;

use crate::command::run;
use crate::vm::cache::{remove_dir_if_present, CacheLock};
use crate::LabError;

/// Runs apt, updating its lists once if a first attempt fails.
#[derive(Default)]
pub(crate) struct Apt {
    updated: bool,
}

impl Apt {
    /// `apt-get download` of `packages` into `into`; `what` names the step.
    pub(crate) fn download(
        &mut self,
        what: &str,
        packages: &[&str],
        into: &Path,
    ) -> Result<(), LabError> {
        self.with_lists(what, |_| {
            run(Command::new("apt-get")
                .args(["download", "-q"])
                .args(packages)
                .current_dir(into))
            .map(drop)
        })
    }

    /// Runs `attempt`; if it fails and the lists were not updated yet,
    /// runs `apt-get update` and tries once more.
    pub(crate) fn with_lists<T>(
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
pub(crate) fn unpack_all(debs: &Path, root: &Path) -> Result<(), LabError> {
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
            what: "unpack the packages".to_string(),
            detail: format!("apt-get download left no .deb in {}", debs.display()),
        });
    }
    Ok(())
}

/// Name of the file recording a complete unpack, with the package list.
const STAMP: &str = "unpacked";

/// `packages` unpacked under `cache/root` (fetched once; a cache holding
/// the same list is reused), the cache locked meanwhile; returns the root.
pub fn unpacked(cache: &Path, packages: &[&str]) -> Result<PathBuf, LabError> {
    let _lock = CacheLock::acquire(cache)?;
    let root = cache.join("root");
    let stamp = cache.join(STAMP);
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|text| text == wanted) && root.is_dir() {
        return Ok(root);
    }
    let debs = cache.join("debs");
    remove_dir_if_present(&stamp)?;
    for dir in [&debs, &root] {
        remove_dir_if_present(dir)?;
        std::fs::create_dir_all(dir)
            .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
    }
    Apt::default().download(
        &format!("download {}", packages.join(", ")),
        packages,
        &debs,
    )?;
    unpack_all(&debs, &root)?;
    remove_dir_if_present(&debs)?;
    std::fs::write(&stamp, wanted)
        .map_err(|e| LabError::io(format!("writing {}", stamp.display()), e))?;
    Ok(root)
}

/// Debian's resource-agents, unpacked under `cache` (fetched once):
/// returns the `OCF_ROOT` to run its agents from. Its agents source their
/// shell functions from `OCF_ROOT/lib/heartbeat`, so they run from there
/// unchanged.
pub fn resource_agents(cache: &Path) -> Result<PathBuf, LabError> {
    let root = unpacked(cache, &["resource-agents"])?;
    let ocf_root = root.join("usr/lib/ocf");
    let shellfuncs = ocf_root.join("lib/heartbeat/ocf-shellfuncs");
    if !shellfuncs.is_file() {
        return Err(LabError::Vm {
            what: "unpack resource-agents".to_string(),
            detail: format!("{} is missing", shellfuncs.display()),
        });
    }
    Ok(ocf_root)
}

//! Debian packages fetched without installing them: `apt-get download`
//! into a directory, `dpkg -x` under a root. The VM is made this way
//! (`vm::fetch`).
//!
//! When apt has no package lists yet (a fresh machine), the first failure
//! runs `apt-get update` once and tries again.

use std::path::Path;

use ha_process::Command;

use crate::command::run;
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

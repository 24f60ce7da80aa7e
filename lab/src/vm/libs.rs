//! The shared libraries a dynamically linked program needs, found with
//! `ldd`, so that host programs (iproute2's `ip`) and unpacked ones
//! (ipvsadm) run in the guest, which has no other libraries.

use std::path::{Path, PathBuf};

use ha_process::Command;

use crate::command::run;
use crate::LabError;

/// Where the guest keeps every library (a default search directory of
/// Debian's dynamic loader).
pub(crate) const GUEST_LIB_DIR: &str = "/lib/x86_64-linux-gnu";

/// One file a program needs at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needed {
    /// Where the file is on the host.
    pub(crate) host: PathBuf,
    /// Where the guest needs it.
    pub(crate) guest: String,
}

/// What `program` needs besides itself, resolving libraries in `lib_path`
/// (an `LD_LIBRARY_PATH`) before the host's own. A statically linked
/// program needs nothing; a library `ldd` cannot find is an error.
pub(crate) fn needed_by(program: &Path, lib_path: &str) -> Result<Vec<Needed>, LabError> {
    let output = run(Command::new("ldd")
        .arg(program)
        .env("LD_LIBRARY_PATH", lib_path))
    .or_else(|e| match &e {
        // ldd exits 1 for static programs.
        LabError::Command { stderr, .. } if stderr.contains("not a dynamic executable") => {
            Ok(String::new())
        }
        _ => Err(e),
    })?;
    parse_ldd(&output).map_err(|missing| LabError::Vm {
        what: format!("find the libraries of {}", program.display()),
        detail: format!("not found: {}", missing.join(", ")),
    })
}

/// The files named by `ldd`'s output, or the names it could not find.
fn parse_ldd(output: &str) -> Result<Vec<Needed>, Vec<String>> {
    let mut needed = Vec::new();
    let mut missing = Vec::new();
    for line in output.lines().map(str::trim) {
        let before_address = line.rsplit_once(" (0x").map_or(line, |(head, _)| head);
        if let Some((name, target)) = before_address.split_once(" => ") {
            let target = target.trim();
            if target == "not found" {
                missing.push(name.trim().to_string());
            } else if target.starts_with('/') {
                needed.push(Needed {
                    host: PathBuf::from(target),
                    guest: format!("{GUEST_LIB_DIR}/{}", name.trim()),
                });
            }
        } else if before_address.starts_with('/') {
            // The dynamic loader, needed at the path the program names.
            needed.push(Needed {
                host: PathBuf::from(before_address),
                guest: before_address.to_string(),
            });
        }
    }
    if missing.is_empty() {
        Ok(needed)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_becomes_host_and_guest_paths() {
        let output = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibpopt.so.0 => /cache/root/usr/lib/x86_64-linux-gnu/libpopt.so.0 (0x00007f7c)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f7c)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f7c)\n";
        let needed = parse_ldd(output).unwrap();
        assert_eq!(
            needed,
            [
                Needed {
                    host: "/cache/root/usr/lib/x86_64-linux-gnu/libpopt.so.0".into(),
                    guest: "/lib/x86_64-linux-gnu/libpopt.so.0".into(),
                },
                Needed {
                    host: "/lib/x86_64-linux-gnu/libc.so.6".into(),
                    guest: "/lib/x86_64-linux-gnu/libc.so.6".into(),
                },
                Needed {
                    host: "/lib64/ld-linux-x86-64.so.2".into(),
                    guest: "/lib64/ld-linux-x86-64.so.2".into(),
                },
            ]
        );
    }

    #[test]
    fn missing_libraries_are_named() {
        let output = "\tlibnl-3.so.200 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n";
        assert_eq!(parse_ldd(output).unwrap_err(), ["libnl-3.so.200"]);
        assert_eq!(parse_ldd("\tstatically linked\n").unwrap(), []);
    }

    #[test]
    fn a_static_program_needs_nothing_and_a_missing_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("ha-vm-libs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_elf = dir.join("script");
        std::fs::write(&not_elf, "#!/bin/sh\n").unwrap();
        assert_eq!(needed_by(&not_elf, "").unwrap(), []);
        assert!(needed_by(&dir.join("absent"), "").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_real_program_needs_the_c_library_and_its_loader() {
        let needed = needed_by(Path::new("/bin/sh"), "").unwrap();
        assert!(
            needed.iter().any(|n| n.guest.ends_with("/libc.so.6")),
            "{needed:?}"
        );
        assert!(
            needed.iter().any(|n| n.guest.contains("ld-linux")),
            "{needed:?}"
        );
    }
}

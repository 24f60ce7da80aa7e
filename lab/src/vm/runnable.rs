//! Proof that a fetched program runs on a machine that has nothing but the
//! base packages (see [`super::packages`]) and the cache.
//!
//! The program is started with `--version` (or, for one that needs kernel
//! features the host lacks, only loaded, with the loader's `--list`) in a
//! private mount namespace
//! (`unshare --mount`) where the host's library directories are hidden
//! under an empty tmpfs; the dynamic loader, taken from a bind mount of the
//! real directory, searches only a directory of links to the base packages'
//! libraries and the cache's own. A library found nowhere else stops the
//! fetch with one line naming it and the Debian package that holds it —
//! on a development machine with many more packages installed too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ha_process::Command;

use super::cache::remove_dir_if_present;
use crate::command::run;
use crate::LabError;

/// The host's library directory on Debian's merged `/usr`.
const HOST_LIB_ROOT: &str = "/usr/lib";
/// The multiarch directory under it.
const MULTIARCH: &str = "x86_64-linux-gnu";
/// The dynamic loader's file name.
const LOADER: &str = "ld-linux-x86-64.so.2";
/// What the loader prints before the name of a library it cannot load.
const LOADER_ERROR: &str = "error while loading shared libraries: ";

/// The file names of the base packages' libraries in the multiarch
/// directory, from `dpkg -L`.
pub(crate) fn base_libraries(base: &BTreeSet<String>) -> Result<BTreeSet<String>, LabError> {
    let installed: Vec<&String> = base.iter().collect();
    let listing = run(Command::new("dpkg").arg("-L").args(&installed)).or_else(|e| match e {
        // Virtual names in the base have no file list: dpkg complains about
        // them and still lists the rest.
        LabError::Command { .. } => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg("dpkg -L \"$@\" 2>/dev/null; true")
                .arg("sh")
                .args(&installed);
            run(&mut cmd)
        }
        other => Err(other),
    })?;
    Ok(parse_library_names(&listing))
}

/// Names of files directly in a multiarch library directory.
fn parse_library_names(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|path| {
            let (dir, name) = path.trim().rsplit_once('/')?;
            let in_lib_dir = dir.ends_with(&format!("/lib/{MULTIARCH}"))
                || dir.ends_with(&format!("/lib64/{MULTIARCH}"));
            (in_lib_dir && name.contains(".so")).then(|| name.to_string())
        })
        .collect()
}

/// How a program proves it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    /// `PROGRAM --version` exits 0.
    Version,
    /// The loader loads it and every library it needs (`ld.so --list`):
    /// for programs that cannot run on the host (ipvsadm without IPVS).
    Load,
}

/// A program in the cache to prove, with the libraries to hide as if they
/// had never been fetched (none, except in the tests of this proof).
#[derive(Debug, Clone)]
pub(crate) struct ProgramCheck<'a> {
    /// The program, in the cache.
    pub(crate) program: &'a Path,
    /// How it proves it runs.
    pub(crate) proof: Proof,
    /// The cache's library directories, searched after the base.
    pub(crate) cache_lib_dirs: &'a [PathBuf],
    /// The base packages' library file names.
    pub(crate) base_libraries: &'a BTreeSet<String>,
    /// Library file names made unreadable in the namespace.
    pub(crate) hide: &'a [&'a str],
}

/// Runs or loads `check.program` (see [`Proof`]) with only the base libraries and the
/// cache visible; `work` is a scratch directory in the cache.
pub(crate) fn prove_runs(check: &ProgramCheck<'_>, work: &Path) -> Result<(), LabError> {
    remove_dir_if_present(work)?;
    let view = work.join("base-libraries");
    let host = work.join("host-lib");
    for dir in [&view, &host] {
        std::fs::create_dir_all(dir)
            .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
    }
    let empty = work.join("hidden");
    std::fs::write(&empty, b"")
        .map_err(|e| LabError::io(format!("creating {}", empty.display()), e))?;
    let host_multiarch = host.join(MULTIARCH);
    for name in check.base_libraries {
        if check.hide.contains(&name.as_str()) {
            continue;
        }
        let link = view.join(name);
        std::os::unix::fs::symlink(host_multiarch.join(name), &link)
            .map_err(|e| LabError::io(format!("linking {}", link.display()), e))?;
    }
    let mut search = vec![view.display().to_string()];
    search.extend(check.cache_lib_dirs.iter().map(|d| d.display().to_string()));
    let hidden_files: Vec<PathBuf> = check
        .hide
        .iter()
        .flat_map(|name| check.cache_lib_dirs.iter().map(move |dir| dir.join(name)))
        .filter(|path| path.exists())
        .collect();
    // In the namespace: keep the host's libraries reachable under `host`,
    // hide them where the loader looks by default, empty the hidden cache
    // libraries, then start the program through the loader.
    let script = r#"set -eu
lib=$1 host=$2 empty=$3 loader=$4 search=$5; shift 5
mount --bind "$lib" "$host"
while [ "$1" != -- ]; do mount --bind "$empty" "$1"; shift; done
shift
# Last, since mount itself needs the libraries hidden here.
mount -t tmpfs -o ro,size=16k ha-lab-hidden "$lib"
exec "$loader" --inhibit-cache --library-path "$search" "$@"
"#;
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .arg(HOST_LIB_ROOT)
    .arg(&host)
    .arg(&empty)
    .arg(host_multiarch.join(LOADER))
    .arg(search.join(":"))
    .args(&hidden_files)
    .arg("--");
    match check.proof {
        Proof::Version => cmd.arg(check.program).arg("--version"),
        Proof::Load => cmd.arg("--list").arg(check.program),
    };
    let result = run(&mut cmd);
    remove_dir_if_present(work)?;
    match result {
        Ok(_) => Ok(()),
        Err(LabError::Command { stderr, status, .. }) => {
            let program = program_name(check.program);
            match missing_library(&stderr) {
                Some(library) => Err(LabError::MissingLibrary {
                    package: package_holding(&library),
                    program,
                    library,
                }),
                None => Err(LabError::Vm {
                    what: format!("run {program} ({:?})", check.proof),
                    detail: format!("{status}: {stderr}"),
                }),
            }
        }
        Err(other) => Err(other),
    }
}

fn program_name(program: &Path) -> String {
    program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The library named by the loader's error in `stderr`.
fn missing_library(stderr: &str) -> Option<String> {
    let rest = &stderr[stderr.find(LOADER_ERROR)? + LOADER_ERROR.len()..];
    // A name, or a path when the file was found but could not be loaded.
    let name = rest.split(':').next()?.trim();
    let name = name.rsplit('/').next().unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

/// Debian's name for the package of a shared library (policy 8.1): the
/// soname's stem, with a `-` before the version when the stem ends in a
/// digit (`libnl-route-3.so.200` → `libnl-route-3-200`,
/// `libpopt.so.0` → `libpopt0`).
fn policy_package_name(library: &str) -> Option<String> {
    let (stem, version) = library.split_once(".so.")?;
    let version = version.split('.').next()?;
    let stem = stem.to_ascii_lowercase().replace('_', "-");
    Some(if stem.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{stem}-{version}")
    } else {
        format!("{stem}{version}")
    })
}

/// The Debian package holding `library`: the installed package that owns
/// it, or the one Debian's naming rule suggests, each confirmed by listing
/// its files. `None` when no candidate holds it.
fn package_holding(library: &str) -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(owners) = run(Command::new("dpkg").args(["-S", &format!("/{library}")])) {
        for line in owners.lines() {
            if let Some((packages, _)) = line.split_once(": ") {
                candidates.extend(packages.split(", ").map(|p| bare_package(p).to_string()));
            }
        }
    }
    candidates.extend(policy_package_name(library));
    candidates.dedup();
    let scratch = std::env::temp_dir().join(format!("ha-lab-which-package-{}", std::process::id()));
    let found = candidates
        .into_iter()
        .find(|package| package_contains(package, library, &scratch));
    let _ = std::fs::remove_dir_all(&scratch);
    found
}

fn bare_package(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// Downloads `package` into `scratch` and looks for `library` in it.
fn package_contains(package: &str, library: &str, scratch: &Path) -> bool {
    let _ = std::fs::remove_dir_all(scratch);
    if std::fs::create_dir_all(scratch).is_err() {
        return false;
    }
    let downloaded = run(Command::new("apt-get")
        .args(["download", "-q", package])
        .current_dir(scratch));
    if downloaded.is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return false;
    };
    entries.flatten().any(|entry| {
        run(Command::new("dpkg").arg("-c").arg(entry.path())).is_ok_and(|listing| {
            listing.lines().any(|line| {
                line.ends_with(&format!("/{library}")) || line.contains(&format!("/{library} -> "))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_error_names_the_library() {
        let stderr = "/x/qemu-system-x86_64: error while loading shared libraries: \
                      libnl-route-3.so.200: cannot open shared object file: No such file or directory";
        assert_eq!(
            missing_library(stderr).as_deref(),
            Some("libnl-route-3.so.200")
        );
        let too_short = "xz: error while loading shared libraries: \
                         /cache/root/usr/lib/x86_64-linux-gnu/liblzma.so.5: file too short";
        assert_eq!(missing_library(too_short).as_deref(), Some("liblzma.so.5"));
        assert_eq!(missing_library("qemu: unknown option"), None);
    }

    #[test]
    fn debian_names_library_packages_after_the_soname() {
        assert_eq!(
            policy_package_name("libnl-route-3.so.200").as_deref(),
            Some("libnl-route-3-200")
        );
        assert_eq!(
            policy_package_name("libpopt.so.0").as_deref(),
            Some("libpopt0")
        );
        assert_eq!(
            policy_package_name("libslirp.so.0.4.0").as_deref(),
            Some("libslirp0")
        );
        assert_eq!(policy_package_name("ld-linux-x86-64"), None);
    }

    #[test]
    fn library_names_come_from_the_multiarch_directory_only() {
        let listing = "/.\n/lib/x86_64-linux-gnu/libc.so.6\n\
                       /usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n\
                       /usr/lib/x86_64-linux-gnu/gconv/UTF-16.so\n\
                       /usr/share/doc/libc6/copyright\n";
        let names: Vec<String> = parse_library_names(listing).into_iter().collect();
        assert_eq!(names, ["libc.so.6", "libz.so.1.2.13"]);
    }
}

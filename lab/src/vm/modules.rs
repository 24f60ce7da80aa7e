//! The kernel modules the guest gets: IPVS with every scheduler, what it
//! depends on, and the virtual network devices tests build topologies
//! with. Dependencies come from `modules.dep` of the whole unpacked kernel
//! (written once by `busybox depmod`); the guest's own `modules.dep` is
//! written by `busybox depmod` over the chosen few.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ha_process::Command;

use crate::command::run;
use crate::LabError;

/// Modules copied into the guest (their dependencies come along).
pub(crate) const GUEST_MODULES: &[&str] = &[
    "crc32c_generic",
    "nf_conntrack",
    "ip_vs",
    "ip_vs_rr",
    "ip_vs_wrr",
    "ip_vs_lc",
    "ip_vs_wlc",
    "ip_vs_lblc",
    "ip_vs_lblcr",
    "ip_vs_dh",
    "ip_vs_sh",
    "ip_vs_sed",
    "ip_vs_nq",
    "ip_vs_fo",
    "ip_vs_ovf",
    "ip_vs_mh",
    "ip_vs_pe_sip",
    "veth",
    "bridge",
    "dummy",
];

/// Modules loaded at boot, in this order: `crc32c_generic` must come
/// before anything using libcrc32c (a soft dependency modprobe does not
/// know about). The schedulers load on demand through
/// `/proc/sys/kernel/modprobe`.
pub(crate) const BOOT_MODULES: &[&str] = &["crc32c_generic", "ip_vs", "veth", "bridge", "dummy"];

/// Files of the modules directory that modprobe reads besides the modules.
const INDEX_FILES: &[&str] = &[
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
];

/// Writes `modules.dep` for the unpacked kernel under `root` if missing.
pub(crate) fn index_full_tree(busybox: &Path, root: &Path, release: &str) -> Result<(), LabError> {
    if root
        .join("lib/modules")
        .join(release)
        .join("modules.dep")
        .is_file()
    {
        return Ok(());
    }
    depmod(busybox, root, release)
}

/// Copies [`GUEST_MODULES`] and their dependencies from the kernel
/// unpacked under `from` to the root filesystem `to`, and indexes them.
pub(crate) fn install(
    busybox: &Path,
    from: &Path,
    to: &Path,
    release: &str,
) -> Result<(), LabError> {
    let source = from.join("lib/modules").join(release);
    let target = to.join("lib/modules").join(release);
    let dep_path = source.join("modules.dep");
    let dep = std::fs::read_to_string(&dep_path)
        .map_err(|e| LabError::io(format!("reading {}", dep_path.display()), e))?;
    let files =
        closure(&parse_modules_dep(&dep), GUEST_MODULES).map_err(|missing| LabError::Vm {
            what: "choose the guest's kernel modules".to_string(),
            detail: format!("not in kernel {release}: {}", missing.join(", ")),
        })?;
    for file in files
        .iter()
        .map(String::as_str)
        .chain(INDEX_FILES.iter().copied())
    {
        copy(&source.join(file), &target.join(file))?;
    }
    depmod(busybox, to, release)
}

fn copy(from: &Path, to: &Path) -> Result<(), LabError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| LabError::io(format!("creating {}", parent.display()), e))?;
    }
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| LabError::io(format!("copying {}", from.display()), e))
}

fn depmod(busybox: &Path, root: &Path, release: &str) -> Result<(), LabError> {
    run(Command::new(busybox)
        .arg("depmod")
        .arg("-b")
        .arg(root)
        .arg(release))
    .map(drop)
    .map_err(|e| LabError::Vm {
        what: format!("index the kernel modules under {}", root.display()),
        detail: e.to_string(),
    })
}

/// `modules.dep` as module name → (its file, the files it depends on).
fn parse_modules_dep(text: &str) -> BTreeMap<String, (String, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let (file, deps) = line.split_once(':')?;
            let name = module_name(file)?;
            let deps = deps.split_whitespace().map(str::to_string).collect();
            Some((name, (file.trim().to_string(), deps)))
        })
        .collect()
}

/// `kernel/net/foo/bar_baz.ko` → `bar_baz` (also for `.ko.xz` and the
/// like; dashes count as underscores, as modprobe treats them).
fn module_name(file: &str) -> Option<String> {
    let base = file.trim().rsplit('/').next()?;
    let stem = base.split(".ko").next()?;
    (!stem.is_empty()).then(|| stem.replace('-', "_"))
}

/// The files of `wanted` and of everything they depend on, or the wanted
/// names the index does not know.
fn closure(
    index: &BTreeMap<String, (String, Vec<String>)>,
    wanted: &[&str],
) -> Result<BTreeSet<String>, Vec<String>> {
    let mut files = BTreeSet::new();
    let mut missing = Vec::new();
    for name in wanted {
        match index.get(&name.replace('-', "_")) {
            Some((file, deps)) => {
                files.insert(file.clone());
                files.extend(deps.iter().cloned());
            }
            None => missing.push(name.to_string()),
        }
    }
    // modules.dep lists the full transitive closure on each line.
    if missing.is_empty() {
        Ok(files)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEP: &str = "\
kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko
kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko
kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko
kernel/lib/libcrc32c.ko:
kernel/crypto/crc32c_generic.ko:
kernel/drivers/net/veth.ko:
kernel/drivers/net/unused.ko:
";

    #[test]
    fn wanted_modules_bring_their_dependencies() {
        let index = parse_modules_dep(DEP);
        assert_eq!(index.len(), 7);
        let files = closure(&index, &["ip_vs_rr", "crc32c-generic"]).unwrap();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        assert_eq!(
            files,
            [
                "kernel/crypto/crc32c_generic.ko",
                "kernel/lib/libcrc32c.ko",
                "kernel/net/netfilter/ipvs/ip_vs.ko",
                "kernel/net/netfilter/ipvs/ip_vs_rr.ko",
                "kernel/net/netfilter/nf_conntrack.ko",
            ]
        );
    }

    #[test]
    fn unknown_modules_are_named() {
        let index = parse_modules_dep(DEP);
        assert_eq!(
            closure(&index, &["veth", "ip_vs_xx", "nope"]).unwrap_err(),
            ["ip_vs_xx", "nope"]
        );
    }

    #[test]
    fn module_names_come_from_file_names() {
        assert_eq!(module_name("kernel/a/ip_vs.ko").as_deref(), Some("ip_vs"));
        assert_eq!(
            module_name("kernel/a/crc32c-intel.ko.xz").as_deref(),
            Some("crc32c_intel")
        );
        assert_eq!(module_name(""), None);
    }

    #[test]
    fn every_boot_module_is_a_guest_module() {
        for module in BOOT_MODULES {
            assert!(GUEST_MODULES.contains(module), "{module}");
        }
        assert_eq!(BOOT_MODULES.first(), Some(&"crc32c_generic"));
    }
}

//! haresources names whose `resource.d` script heartbeat 3.0.6 does not
//! install: `drbddisk[::RESOURCE]` and `drbdupper::RESOURCE`, which
//! drbd-utils installs in `/etc/ha.d/resource.d` (they run `drbdadm
//! primary` on start and `drbdadm secondary` on stop), and
//! `LVSSyncDaemonSwap::master|backup`, which heartbeat 1 and 2 shipped
//! (see [`crate::class::ipvs_sync`]).
//!
//! Their arguments are checked at check time, as their scripts would
//! check them when run. Then the script runs as any `resource.d` script
//! when it is there. When it is not, `LVSSyncDaemonSwap` is served by
//! ipvsadm, and the drbd names are an error naming drbd-utils: its OCF
//! agent `ocf:linbit:drbd` cannot stand in, as its start leaves the device
//! Secondary and only a promote, which a haresources group never asks
//! for, makes it Primary.

use std::path::{Path, PathBuf};

use crate::class::ipvs_sync::{IpvsSyncSpec, SyncState};
use crate::class::{Probe, Resolved};

/// One of these names, its arguments checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packaged {
    /// `drbddisk` or `drbdupper`: drbd-utils' scripts.
    Drbd,
    /// `LVSSyncDaemonSwap::STATE`.
    IpvsSync(SyncState),
}

/// The package that installs the drbd scripts.
const DRBD_PACKAGE: &str = "drbd-utils";

/// `name` with `args` if it is one of these names: `None` if it is not,
/// `Some(Err)` with the expected form when the arguments do not fit.
pub fn lookup(name: &str, args: &[String]) -> Option<Result<Packaged, String>> {
    let (fits, usage, whose) = match name {
        "drbddisk" => (
            args.len() <= 1 && args.iter().all(|a| !a.is_empty()),
            "drbddisk[::RESOURCE]",
            "drbd-utils' script",
        ),
        "drbdupper" => (
            matches!(args, [resource] if !resource.is_empty() && resource != "all"),
            "drbdupper::RESOURCE (a resource name, not 'all')",
            "drbd-utils' script",
        ),
        "LVSSyncDaemonSwap" => {
            let state = match args {
                [word] => SyncState::parse(word),
                _ => None,
            };
            if let Some(state) = state {
                return Some(Ok(Packaged::IpvsSync(state)));
            }
            (
                false,
                "LVSSyncDaemonSwap::master or LVSSyncDaemonSwap::backup",
                "heartbeat's script",
            )
        }
        _ => return None,
    };
    Some(if fits {
        Ok(Packaged::Drbd)
    } else {
        Err(format!(
            "resource '{name}': expected {usage}, as {whose} takes (given: {})",
            if args.is_empty() {
                "no argument".to_string()
            } else {
                args.join("::")
            }
        ))
    })
}

/// How `packaged` runs when no script serves it, or why it cannot;
/// `looked` are the scripts looked for, with what is there, `ocf_root`
/// and `ipvsadm` where the others are.
pub fn without_script(
    name: &str,
    packaged: Packaged,
    looked: [(&PathBuf, Probe); 2],
    ocf_root: &Path,
    ipvsadm: &Path,
) -> Result<Resolved, String> {
    let [(script, script_probe), (init, init_probe)] = looked;
    let looked = format!(
        "{}, {}",
        script_probe.explain(script),
        init_probe.explain(init)
    );
    match packaged {
        Packaged::Drbd => {
            let agent = ocf_root.join("resource.d/linbit/drbd");
            let note = if Probe::of(&agent) == Probe::Executable {
                format!(
                    "; {DRBD_PACKAGE}'s OCF agent {} is here but cannot serve it: its start \
                     leaves the device Secondary and only a promote makes it Primary",
                    agent.display()
                )
            } else {
                String::new()
            };
            Err(format!(
                "resource '{name}': {looked}: {DRBD_PACKAGE} installs {}; install \
                 {DRBD_PACKAGE}{note}",
                script.display()
            ))
        }
        Packaged::IpvsSync(state) => match Probe::of(ipvsadm) {
            Probe::Executable => Ok(Resolved::IpvsSync(IpvsSyncSpec {
                ipvsadm: ipvsadm.to_path_buf(),
                state,
            })),
            probe => Err(format!(
                "resource '{name}': {looked}, and ipvsadm, which serves it: {}; install ipvsadm",
                probe.explain(ipvsadm)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;

    #[test]
    fn arguments_are_checked_as_the_scripts_take_them() {
        assert_eq!(lookup("drbddisk", &[]), Some(Ok(Packaged::Drbd)));
        assert_eq!(lookup("drbddisk", &args(&["r0"])), Some(Ok(Packaged::Drbd)));
        let error = lookup("drbddisk", &args(&["r0", "r1"]))
            .expect("a drbd name")
            .expect_err("two resources");
        assert_eq!(
            error,
            "resource 'drbddisk': expected drbddisk[::RESOURCE], as drbd-utils' script \
             takes (given: r0::r1)"
        );
        assert_eq!(
            lookup("drbdupper", &args(&["r0"])),
            Some(Ok(Packaged::Drbd))
        );
        for wrong in [&[][..], &["all"][..], &["r0", "r1"][..]] {
            let error = lookup("drbdupper", &args(wrong))
                .expect("a drbd name")
                .expect_err("not one resource");
            assert!(error.contains("expected drbdupper::RESOURCE"), "{error}");
        }
        assert_eq!(
            lookup("LVSSyncDaemonSwap", &args(&["backup"])),
            Some(Ok(Packaged::IpvsSync(SyncState::Backup)))
        );
        for wrong in [&[][..], &["Master"][..], &["master", "eth1"][..]] {
            let error = lookup("LVSSyncDaemonSwap", &args(wrong))
                .expect("heartbeat's name")
                .expect_err("not master or backup");
            assert!(
                error.contains(
                    "expected LVSSyncDaemonSwap::master or LVSSyncDaemonSwap::backup, \
                     as heartbeat's script takes"
                ),
                "{error}"
            );
        }
        assert_eq!(lookup("drbd", &[]), None);
    }
}

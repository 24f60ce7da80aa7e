//! A throw-away VM running Debian's own kernel, for tests that need kernel
//! features the host lacks (IPVS): QEMU under TCG (the host's KVM is not
//! usable), no network device, the guest's whole world an initramfs.
//!
//! On first use everything is fetched into a cache directory
//! ([`cache_dir`]: `target/vm-cache`, or `$HA_VM_CACHE`) with
//! `apt-get download` and `dpkg -x` — QEMU and its firmware, the kernel
//! `linux-image-<release>-amd64` (the one `linux-image-amd64` names),
//! busybox, ipvsadm 1.31, and every library they need beyond Debian's base
//! packages, derived from the packages' dependencies; each fetched program
//! is then run with nothing else visible, so a missing library stops the
//! fetch with its name and package — and a boot image is
//! built from them ([`VmImage::prepare`]; a lock file makes concurrent
//! callers wait for one another). Nothing is installed on the host.
//!
//! Each [`Vm::run`] boots that image with some host files added (best at
//! the same absolute paths as on the host, since test binaries embed
//! theirs) and runs a shell script in the guest, returning its exit status
//! and output ([`VmRun`]). A boot costs about 3.5 s.
//!
//! The guest: busybox (all applets), iproute2's `ip` copied from the host
//! to `/sbin/ip` when it has one (busybox's shell runs its own applets
//! before searching `PATH`, so shell scripts call `/sbin/ip`; programs
//! find it through `PATH`), `/sbin/ipvsadm` (the real 1.31); kernel modules `ip_vs`
//! (loaded with `nf_conntrack`), every IPVS scheduler (loaded on demand
//! through `/proc/sys/kernel/modprobe`), `veth`, `bridge` and `dummy`
//! loaded; `lo` up; `/proc`, `/sys`, `/dev`; `/tmp` and `/run` are plain
//! directories of the in-memory root, so files placed there (a checkout
//! under `/tmp`, say) stay visible; root; `HA_VM=1`, `RUST_BACKTRACE=1`, `HOME=/root`, `TMPDIR=/tmp`.
//! Nothing leaves the VM: it has no network card.
//!
//! [`GuestSuite`] builds test binaries statically and runs them all in one
//! boot, one test at a time, so that they share the guest's IPVS table in
//! turn (each test leaves it as it found it). A test that needs the guest
//! is marked `#[ignore = "needs IPVS: runs in the VM"]`: ignored on the
//! host, run in the guest with `--include-ignored`; it may also check
//! `HA_VM` itself.
//!
//! ```no_run
//! use std::time::Duration;
//! use ha_lab::vm::{cache_dir, Vm, VmImage};
//! # fn main() -> Result<(), ha_lab::LabError> {
//! let image = VmImage::prepare(&cache_dir(std::path::Path::new(".")))?;
//! let run = Vm::new(&image).run(
//!     &[("/etc/hostname", "/tmp/host-name")],
//!     "cat /proc/net/ip_vs && ipvsadm -Ln && cat /tmp/host-name",
//!     Duration::from_secs(60),
//! )?;
//! assert!(run.success(), "{}", run.output);
//! # Ok(()) }
//! ```

mod cache;
mod cargo;
mod cpio;
mod fetch;
mod image;
mod init;
mod kernel;
mod libs;
mod modules;
mod packages;
mod run;
mod runnable;
mod suite;

pub use cache::{cache_dir, CACHE_ENV};
pub use cargo::{build_static, ExecutableKind, GuestExecutable, StaticBuild, GUEST_TARGET};
pub use image::{Preparation, VmImage};
pub use init::SETUP_FAILED;
pub use run::{Vm, VmRun};
pub use suite::{BinaryOutcome, GuestSuite, SuiteReport};

//! The guest's `/init` (PID 1, run by busybox's shell): mounts the virtual
//! filesystems, loads the kernel modules, brings `lo` up, runs the script
//! of the run (`/ha-vm/run`) with its output on the second serial port,
//! prints the exit-status marker there and powers the VM off.

use super::modules::BOOT_MODULES;

/// Where each run's script is placed in the guest.
pub(crate) const RUN_SCRIPT: &str = "/ha-vm/run";

/// The guest device carrying the script's output (QEMU's second serial
/// port); the kernel's console is the first.
pub(crate) const OUTPUT_DEVICE: &str = "/dev/ttyS1";

/// Printed after the script, followed by a space and its exit status.
pub(crate) const STATUS_MARKER: &str = "HA-VM-EXIT-STATUS";

/// Status reported when the guest could not be set up (a module failed to
/// load...); the output says what failed.
pub const SETUP_FAILED: i32 = 125;

/// The `PATH` of the guest.
pub(crate) const GUEST_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The text of `/init`.
pub(crate) fn init_script() -> String {
    format!(
        r#"#!/bin/sh
# PID 1 of the lab's IPVS test VM (written by ha_lab::vm).
export PATH={GUEST_PATH}
export HOME=/root TMPDIR=/tmp HA_VM=1 RUST_BACKTRACE=1
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
out={OUTPUT_DEVICE}
setup() {{
    mount -t proc proc /proc &&
    mount -t sysfs sysfs /sys &&
    mkdir -p /dev/pts /dev/shm &&
    mount -t devpts devpts /dev/pts &&
    mount -t tmpfs tmpfs /dev/shm &&
    echo /sbin/modprobe >/proc/sys/kernel/modprobe &&
    hostname ha-vm || return 1
    for module in {modules}; do
        modprobe "$module" || {{ echo "ha-vm: cannot load kernel module $module"; return 1; }}
    done
    ip link set lo up || {{ echo "ha-vm: cannot bring lo up"; return 1; }}
    # Returns at once once the random number generator is seeded; waits
    # (and makes the kernel gather entropy) until then.
    dd if=/dev/random of=/dev/null bs=1 count=1 2>/dev/null ||
        {{ echo "ha-vm: /dev/random unreadable"; return 1; }}
}}
if setup >$out 2>&1; then
    (cd / && /bin/sh {RUN_SCRIPT}) >$out 2>&1
    status=$?
else
    status={SETUP_FAILED}
fi
echo "{STATUS_MARKER} $status" >$out
poweroff -f
"#,
        modules = BOOT_MODULES.join(" "),
    )
}

/// The exit status the guest reported in `output`, and the output before
/// the marker. `None` if the marker is missing (the guest did not finish).
pub(crate) fn split_status(output: &str) -> Option<(i32, &str)> {
    let mut search_end = output.len();
    loop {
        let at = output.get(..search_end)?.rfind(STATUS_MARKER)?;
        let at_line_start = at == 0 || output.get(..at)?.ends_with('\n');
        let rest = output.get(at + STATUS_MARKER.len()..)?;
        let line = rest.lines().next().unwrap_or_default();
        if at_line_start {
            if let Some(status) = line.strip_prefix(' ').and_then(|s| s.trim().parse().ok()) {
                return Some((status, output.get(..at)?));
            }
        }
        search_end = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_marker_line_gives_the_status() {
        let output = "test a ... ok\nHA-VM-EXIT-STATUS 3\n";
        assert_eq!(split_status(output), Some((3, "test a ... ok\n")));
        let echoed = "say HA-VM-EXIT-STATUS 9\nHA-VM-EXIT-STATUS 0\nlate line\n";
        assert_eq!(split_status(echoed), Some((0, "say HA-VM-EXIT-STATUS 9\n")));
        assert_eq!(
            split_status("HA-VM-EXIT-STATUS 0\nHA-VM-EXIT-STATUS x\n").map(|s| s.0),
            Some(0)
        );
    }

    #[test]
    fn no_marker_means_no_status() {
        assert_eq!(split_status("kernel panic\n"), None);
        assert_eq!(split_status("HA-VM-EXIT-STATUS\n"), None);
        assert_eq!(split_status(""), None);
    }

    #[test]
    fn init_loads_the_boot_modules_in_order_and_runs_the_script() {
        let init = init_script();
        assert!(init.starts_with("#!/bin/sh\n"));
        assert!(init.contains("for module in crc32c_generic ip_vs"));
        assert!(init.contains(RUN_SCRIPT));
        assert!(init.contains(&format!("echo \"{STATUS_MARKER} $status\" >$out")));
    }
}

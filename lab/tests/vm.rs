//! The VM test bed boots Debian's kernel with IPVS: files reach the guest,
//! the script's output and exit status come back, schedulers load on
//! demand, and a guest that hangs is stopped with its last words.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_lab::vm::{cache_dir, Vm, VmImage};
use ha_lab::LabError;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the lab crate is inside the workspace")
        .to_path_buf()
}

fn image() -> VmImage {
    let started = Instant::now();
    let image = VmImage::prepare(&cache_dir(&workspace())).expect("VM image");
    eprintln!(
        "image for kernel {} ready in {:.1?}: {:?}",
        image.kernel_release(),
        started.elapsed(),
        image.preparation()
    );
    image
}

#[test]
fn a_script_runs_on_a_kernel_with_ipvs_and_reports_its_status() {
    let image = image();
    let dir = std::env::temp_dir().join(format!("ha-vm-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tree/sub")).unwrap();
    let token = format!("token-{:?}", Instant::now());
    std::fs::write(dir.join("single"), &token).unwrap();
    std::fs::write(dir.join("tree/sub/leaf"), "leaf data").unwrap();
    let script = "\
        cat /data/single; echo\n\
        cat /data/tree/sub/leaf; echo\n\
        echo \"env HA_VM=$HA_VM\"\n\
        grep -q 'IP Virtual Server' /proc/net/ip_vs && echo ipvs-present\n\
        ipvsadm -A -t 10.1.1.1:80 -s sh && ipvsadm -a -t 10.1.1.1:80 -r 10.1.1.2:8080 -m -w 2\n\
        ipvsadm -Ln\n\
        grep -o '^ip_vs_sh' /proc/modules\n\
        exit 7\n";
    let run = Vm::new(&image)
        .run(
            &[
                (dir.join("single"), PathBuf::from("/data/single")),
                (dir.join("tree"), PathBuf::from("/data/tree")),
            ],
            script,
            Duration::from_secs(120),
        )
        .expect("VM run");
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("boot and run took {:.1?}", run.elapsed);
    assert_eq!(run.status, 7, "{}\n{}", run.output, run.console);
    assert!(!run.success());
    let lines: Vec<&str> = run.output.lines().collect();
    assert_eq!(
        lines[..4],
        [token.as_str(), "leaf data", "env HA_VM=1", "ipvs-present"],
        "{}",
        run.output
    );
    assert!(
        run.output.contains("TCP  10.1.1.1:80 sh\n"),
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("  -> 10.1.1.2:8080                Masq    2      0          0"),
        "{}",
        run.output
    );
    assert_eq!(lines.last(), Some(&"ip_vs_sh"), "{}", run.output);
    assert!(
        run.console.contains("reboot: Power down"),
        "{}",
        run.console
    );
}

#[test]
fn a_hung_guest_is_stopped_with_its_last_output() {
    let image = image();
    let started = Instant::now();
    let error = Vm::new(&image)
        .run::<&Path, &Path>(
            &[],
            "echo going to sleep; sleep 600",
            Duration::from_secs(15),
        )
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    match &error {
        LabError::VmTimeout { output_tail, .. } => {
            assert_eq!(output_tail, "going to sleep", "{error}")
        }
        other => panic!("expected a timeout, got {other}"),
    }
}

#[test]
fn guest_paths_must_be_absolute() {
    let image = image();
    let error = Vm::new(&image)
        .run(
            &[("/etc/hostname", "etc/hostname")],
            "true",
            Duration::from_secs(60),
        )
        .unwrap_err();
    assert!(
        matches!(&error, LabError::InvalidArgument { reason, .. } if reason.contains("etc/hostname")),
        "{error}"
    );
}

/// iproute2's `ip` is at `/sbin/ip`; the guest's shell runs busybox's own
/// applets before looking at `PATH`, so scripts name it in full.
#[test]
fn the_guest_has_network_namespaces_veth_bridges_and_dummies() {
    let image = image();
    let script = "\
        set -e\n\
        /sbin/ip netns add a\n\
        /sbin/ip link add v0 type veth peer name v1\n\
        /sbin/ip link set v1 netns a\n\
        /sbin/ip link add br0 type bridge\n\
        /sbin/ip link set v0 master br0\n\
        /sbin/ip link add d0 type dummy\n\
        /sbin/ip addr add 10.9.0.1/24 dev br0\n\
        /sbin/ip link set br0 up; /sbin/ip link set v0 up\n\
        /sbin/ip -n a addr add 10.9.0.2/24 dev v1\n\
        /sbin/ip -n a link set v1 up; /sbin/ip -n a link set lo up\n\
        ping -c 1 -W 5 10.9.0.2 >/dev/null && echo reached\n\
        /sbin/ip -n a -o link show v1 | grep -o 'v1@if[0-9]*'\n";
    let run = Vm::new(&image)
        .run::<&Path, &Path>(&[], script, Duration::from_secs(120))
        .expect("VM run");
    assert!(run.success(), "{}\n{}", run.output, run.console);
    let lines: Vec<&str> = run.output.lines().collect();
    assert_eq!(lines.first(), Some(&"reached"), "{}", run.output);
    assert!(
        lines.get(1).is_some_and(|l| l.starts_with("v1@if")),
        "{}",
        run.output
    );
}

#[test]
fn every_fetched_program_runs_with_only_the_base_libraries_and_the_cache() {
    let image = image();
    image
        .prove_programs_run(&[])
        .expect("every fetched program runs");
}

#[test]
fn a_library_left_out_of_the_fetch_is_named_with_its_package() {
    let image = image();
    // Fetched into the cache for QEMU (libslirp0, not a base package).
    match image.prove_programs_run(&["libslirp.so.0"]) {
        Err(LabError::MissingLibrary {
            program,
            library,
            package,
        }) => {
            assert_eq!(program, "qemu-system-x86_64");
            assert_eq!(library, "libslirp.so.0");
            assert_eq!(package.as_deref(), Some("libslirp0"));
        }
        other => panic!("expected a missing libslirp.so.0, got {other:?}"),
    }
    // A base library is visible only as a base library: hidden, it is
    // missing too (ipvsadm needs libc and nothing fetched provides it).
    let error = image
        .prove_programs_run(&["libc.so.6"])
        .expect_err("libc hidden");
    let text = error.to_string();
    assert!(
        text.contains("the shared library libc.so.6 is missing")
            && text.contains("in the Debian package libc6"),
        "{text}"
    );
}

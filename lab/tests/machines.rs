//! Hosts made machines of their own: private directories and hostname per
//! host, kept across the programs run there, and nothing started inside
//! outliving the lab, even a daemon that left the host's network namespace.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use ha_lab::{Lab, LabError};

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.contains(") Z "),
        Err(_) => false,
    }
}

fn eventually_dead(pid: u32) -> bool {
    (0..300).any(|_| {
        let dead = !alive(pid);
        if !dead {
            std::thread::sleep(Duration::from_millis(10));
        }
        dead
    })
}

#[test]
fn machines_have_their_own_directories_and_hostname() -> Result<(), LabError> {
    let shared = std::env::temp_dir().join(format!("ha-lab-machines-{}", std::process::id()));
    let private = shared.join("private");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(private.join("host-file"), "the machine's").unwrap();
    let lab = Lab::new("machines")?;
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    a.make_machine("node-a", std::slice::from_ref(&private))?;
    b.make_machine("node-b", std::slice::from_ref(&private))?;
    assert!(a.is_machine() && b.is_machine());
    assert!(a.make_machine("again", &[]).is_err());

    assert_eq!(a.run("hostname", [] as [&str; 0])?.trim(), "node-a");
    assert_eq!(b.run("hostname", [] as [&str; 0])?.trim(), "node-b");
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap()
            .trim(),
        "node-a"
    );
    // Empty, private, and kept from one program to the next.
    let file = private.join("written");
    let file = file.to_str().unwrap();
    assert_eq!(a.run("ls", ["-A", private.to_str().unwrap()])?.trim(), "");
    a.run("sh", ["-c", &format!("echo by-a > {file}")])?;
    assert_eq!(a.read_file(file).as_deref(), Some("by-a\n"));
    assert_eq!(b.read_file(file), None);
    assert!(!std::path::Path::new(file).exists());
    assert_eq!(
        std::fs::read_to_string(private.join("host-file")).unwrap(),
        "the machine's"
    );
    // Still the host's network, with its view of /sys.
    let out = a.run("ls", ["/sys/class/net"])?;
    assert!(out.split_whitespace().any(|n| n == "eth0"), "{out}");

    // A daemon that detaches and even leaves the network namespace dies
    // with the lab, as do the plain ones.
    let pid_file = private.join("daemon.pid");
    let pid_file = pid_file.to_str().unwrap();
    a.run(
        "sh",
        [
            "-c",
            &format!(
                "setsid unshare --net sleep 600 </dev/null >/dev/null 2>&1 & echo $! > {pid_file}"
            ),
        ],
    )?;
    b.run(
        "sh",
        [
            "-c",
            &format!("setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > {pid_file}"),
        ],
    )?;
    let pid =
        |host: &ha_lab::Host| -> u32 { host.read_file(pid_file).unwrap().trim().parse().unwrap() };
    let (daemon_a, daemon_b) = (pid(&a), pid(&b));
    assert!(alive(daemon_a) && alive(daemon_b));
    assert!(b.process_names()?.iter().any(|name| name == "sleep"));
    drop(lab);
    assert!(
        eventually_dead(daemon_a),
        "the daemon of a outlived the lab"
    );
    assert!(
        eventually_dead(daemon_b),
        "the daemon of b outlived the lab"
    );
    let _ = std::fs::remove_dir_all(&shared);
    Ok(())
}

#[test]
fn private_directories_must_exist() -> Result<(), LabError> {
    let lab = Lab::new("machines_missing")?;
    let a = lab.host("a")?;
    let missing = PathBuf::from("/nonexistent-ha-lab-dir");
    let error = a.make_machine("node-a", &[missing]).unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent-ha-lab-dir"),
        "{error}"
    );
    assert!(!a.is_machine());
    let relative = a
        .make_machine("node-a", &[PathBuf::from("run")])
        .unwrap_err();
    assert!(relative.to_string().contains("absolute"), "{relative}");
    Ok(())
}

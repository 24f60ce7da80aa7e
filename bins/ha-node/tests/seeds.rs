//! The seeds' haresources lines pass `ha-node check-config` unchanged, with
//! Debian's resource-agents (installed by the README's test command) as the
//! OCF root, lvs-director beside ha-node serving
//! `ldirectord`, and the init scripts the seeds name (`httpd`, `mysqld`,
//! `ipvsadm`) provided by the test. check-config says how each resource
//! runs; each line is checked for each of the seed's nodes. The ha.cf
//! around them is a minimal one with the seed's node names: the seeds'
//! own ha.cf files use directives checked elsewhere.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

/// resource-agents' OCF root, as Debian installs it.
fn ocf_root() -> PathBuf {
    let root = PathBuf::from("/usr/lib/ocf");
    assert!(
        root.join("resource.d/heartbeat/Filesystem").is_file(),
        "{} has no heartbeat/Filesystem agent: install resource-agents (the README's test \
         command does)",
        root.display()
    );
    root
}

/// lvs-director, built beside ha-node by `cargo test --workspace`.
fn director() -> PathBuf {
    let beside = Path::new(BINARY)
        .parent()
        .expect("a directory")
        .join("lvs-director");
    assert!(
        beside.is_file(),
        "{} is missing: build the workspace (cargo test --workspace builds it)",
        beside.display()
    );
    beside
}

/// A seed: its node names and haresources, verbatim.
struct Seed {
    name: &'static str,
    nodes: [&'static str; 2],
    haresources: &'static str,
    init_scripts: &'static [&'static str],
}

const SEEDS: &[Seed] = &[
    Seed {
        name: "001",
        nodes: ["server10", "server11"],
        haresources: "server10 IPaddr::172.25.60.100/24/eth0 httpd ldirectord\n",
        init_scripts: &["httpd"],
    },
    Seed {
        name: "002",
        nodes: ["ha-master", "ha-slave"],
        haresources: "ha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n",
        init_scripts: &["ipvsadm"],
    },
    Seed {
        name: "003",
        nodes: ["admin1", "admin2"],
        haresources: "admin1 IPaddr::192.168.18.222/24 Filesystem::192.168.18.203:/http::/var/www/html::nfs httpd\n\
                      admin2 IPaddr::192.168.18.220/24 Filesystem::192.168.18.203:/mysqldata::/mydata::nfs mysqld\n",
        init_scripts: &["httpd", "mysqld"],
    },
];

#[test]
fn the_seeds_haresources_pass_check_config_unchanged() {
    let ocf_root = ocf_root();
    let director = director();
    for seed in SEEDS {
        let dir =
            std::env::temp_dir().join(format!("ha-node-seed-{}-{}", seed.name, std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("init.d")).unwrap();
        let [first, second] = seed.nodes;
        fs::write(
            dir.join("ha.cf"),
            format!("keepalive 2\ndeadtime 30\nbcast lo\nnode {first}\nnode {second}\n"),
        )
        .unwrap();
        fs::write(dir.join("authkeys"), "auth 3\n3 md5 Hello!\n").unwrap();
        fs::set_permissions(dir.join("authkeys"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(dir.join("haresources"), seed.haresources).unwrap();
        for script in seed.init_scripts {
            let path = dir.join("init.d").join(script);
            fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        for node in seed.nodes {
            let output = Command::new(BINARY)
                .arg("check-config")
                .arg("--config-dir")
                .arg(&dir)
                .arg("--node")
                .arg(node)
                .arg("--init-dir")
                .arg(dir.join("init.d"))
                .arg("--ocf-root")
                .arg(&ocf_root)
                .arg("--director")
                .arg(&director)
                .output()
                .expect("run ha-node check-config");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!("seed {} as {node}:\n{stdout}{stderr}", seed.name);
            assert_eq!(
                output.status.code(),
                Some(0),
                "seed {} as {node}: {stderr}",
                seed.name
            );
            for script in seed.init_scripts {
                let path = dir.join("init.d").join(script);
                assert!(
                    stdout.contains(&format!("LSB init script {}", path.display())),
                    "seed {}: {script} does not run as its init script:\n{stdout}",
                    seed.name
                );
            }
            if seed.haresources.contains("ldirectord") {
                assert!(
                    stdout.contains(&format!(
                        "ldirectord's command line, served by {} with arguments {}",
                        director.display(),
                        dir.join("ldirectord.cf").display()
                    )),
                    "seed {}: ldirectord:\n{stdout}",
                    seed.name
                );
            }
            if seed.haresources.contains("Filesystem") {
                let agent = ocf_root.join("resource.d/heartbeat/Filesystem");
                assert!(
                    stdout.contains(&format!(
                        "OCF agent {} (device=192.168.18.203:/http, directory=/var/www/html, fstype=nfs)",
                        agent.display()
                    )),
                    "seed {}: Filesystem:\n{stdout}",
                    seed.name
                );
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

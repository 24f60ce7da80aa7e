//! `ha-node export pacemaker` checked by Pacemaker's own tools: for the
//! seeds' files (001, 002, and 003 with its `crm respawn` line) and a file
//! set that uses every construct (monitoring, auto_failback off, ipfail's
//! ping rule, fencing), `crm_verify --xml-file` (pacemaker-cli-utils)
//! accepts the `--cib` output, `cibadmin --replace` takes it into a
//! file-backed CIB, and crmsh loads the crmsh script into an empty CIB
//! file (`CIB_file`, no cluster needed) to the same configuration as the
//! CIB, as `crm configure show` prints both.
//!
//! crmsh checks each agent's meta-data as it loads and this machine has no
//! `lsb:httpd`, `lsb:mysqld` or `lsb:ipvsadm` (the nodes do), so the script
//! is loaded with `crm -F` and its complaints are checked to be only those.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

const SEED_001_HA_CF: &str = include_str!("../../../membership/src/config/testdata/seed001_ha.cf");
const SEED_002_HA_CF: &str = include_str!("../../../membership/src/config/testdata/seed002_ha.cf");
const SEED_003_HA_CF: &str = include_str!("../../../membership/src/config/testdata/seed003_ha.cf");

/// A configuration directory, removed when dropped (after a panic too).
struct ConfigDir(PathBuf);

impl ConfigDir {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ha-node-export-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            fs::write(dir.join(file), text).unwrap();
        }
        ConfigDir(dir)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A Pacemaker tool, which must be installed.
fn tool(name: &str, package: &str) -> PathBuf {
    let path = Path::new("/usr/sbin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: install {package} (apt-get install -y {package})",
        path.display()
    );
    path
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `ha-node export pacemaker --config-dir DIR [--cib]`: its stdout, after
/// checking that it succeeded.
fn export(dir: &Path, cib: bool) -> String {
    let mut command = Command::new(BINARY);
    command
        .args(["export", "pacemaker", "--config-dir"])
        .arg(dir);
    if cib {
        command.arg("--cib");
    }
    let output = command.output().expect("run ha-node export");
    let (stdout, stderr) = text(&output);
    eprintln!("{stderr}");
    assert!(output.status.success(), "{stderr}");
    stdout
}

/// `crm configure show` of a file-backed CIB, comments left out.
fn show(crm: &Path, cib_file: &Path) -> String {
    let output = Command::new(crm)
        .args(["configure", "show"])
        .env("CIB_file", cib_file)
        .output()
        .expect("run crm configure show");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    stdout
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The checks of one configuration directory; `lsb_scripts` are the init
/// scripts the nodes have and this machine lacks.
fn check(name: &str, files: &[(&str, &str)], lsb_scripts: &[&str]) {
    let crm_verify = tool("crm_verify", "pacemaker-cli-utils");
    let cibadmin = tool("cibadmin", "pacemaker-cli-utils");
    let crm = tool("crm", "crmsh");
    let dir = ConfigDir::new(name, files);
    let xml = export(&dir.0, true);
    let script = export(&dir.0, false);
    let cib_path = dir.0.join("exported.xml");
    fs::write(&cib_path, &xml).unwrap();

    let verified = Command::new(&crm_verify)
        .arg("--xml-file")
        .arg(&cib_path)
        .output()
        .expect("run crm_verify");
    let (stdout, stderr) = text(&verified);
    assert!(
        verified.status.success(),
        "{name}: crm_verify refuses the CIB:\n{stdout}{stderr}\n{xml}"
    );

    // An empty CIB as Pacemaker makes one, replaced by ours.
    let empty = Command::new(&cibadmin)
        .arg("--empty")
        .output()
        .expect("run cibadmin --empty");
    assert!(empty.status.success());
    let replaced = dir.0.join("replaced.xml");
    fs::write(&replaced, &empty.stdout).unwrap();
    let replace = Command::new(&cibadmin)
        .args(["--replace", "--xml-file"])
        .arg(&cib_path)
        .env("CIB_file", &replaced)
        .output()
        .expect("run cibadmin --replace");
    let (_, stderr) = text(&replace);
    assert!(
        replace.status.success(),
        "{name}: cibadmin --replace: {stderr}"
    );

    // The script loaded by crmsh into another empty CIB.
    let loaded = dir.0.join("loaded.xml");
    fs::write(&loaded, &empty.stdout).unwrap();
    let script_path = dir.0.join("exported.crm");
    fs::write(&script_path, &script).unwrap();
    let load = Command::new(&crm)
        .args(["-F", "configure", "load", "update"])
        .arg(&script_path)
        .env("CIB_file", &loaded)
        .output()
        .expect("run crm configure load");
    let (stdout, stderr) = text(&load);
    assert!(
        load.status.success(),
        "{name}: crm load:\n{stdout}{stderr}\n{script}"
    );
    for line in stdout.lines().chain(stderr.lines()) {
        if !line.contains("ERROR") {
            continue;
        }
        let about_missing_script = lsb_scripts.iter().any(|s| {
            line.contains(&format!("lsb:{s}: got no meta-data"))
                || line.contains(&format!("lsb:{s}: no such resource agent"))
        });
        let no_quorum = line.contains("resource management disabled due to lack of quorum");
        assert!(
            about_missing_script || no_quorum,
            "{name}: crmsh complains: {line}\n{script}"
        );
    }
    let from_script = show(&crm, &loaded);
    assert_eq!(
        from_script,
        show(&crm, &replaced),
        "{name}: the script and the CIB differ"
    );
    assert!(from_script.contains("group group-1 "), "{from_script}");
}

#[test]
fn seed_003_with_crm_respawn_exports_both_groups_that_pacemaker_accepts() {
    let ha_cf = format!("crm respawn\n{SEED_003_HA_CF}");
    check(
        "003",
        &[
            ("ha.cf", &ha_cf),
            (
                "haresources",
                "admin1.tuchao.com IPaddr::192.168.18.222/24 \
                 Filesystem::192.168.18.203:/http::/var/www/html::nfs httpd\n\
                 admin2.tuchao.com IPaddr::192.168.18.220/24 \
                 Filesystem::192.168.18.203:/mysqldata::/mydata::nfs mysqld\n",
            ),
        ],
        &["httpd", "mysqld"],
    );
}

#[test]
fn seed_002_exports_with_its_ping_group_rule() {
    check(
        "002",
        &[
            ("ha.cf", SEED_002_HA_CF),
            (
                "haresources",
                "ha-master IPaddr::172.16.60.111 ipvsadm ldirectord\n",
            ),
        ],
        &["ipvsadm"],
    );
}

#[test]
fn seed_001_exports() {
    check(
        "001",
        &[
            ("ha.cf", SEED_001_HA_CF),
            (
                "haresources",
                "server10 IPaddr::172.25.60.100/24/eth0 httpd ldirectord\n",
            ),
        ],
        &["httpd"],
    );
}

#[test]
fn monitoring_stickiness_ping_rule_and_fencing_export() {
    check(
        "all",
        &[
            (
                "ha.cf",
                "bcast eth0\nnode a\nnode b\nauto_failback off\nping 10.0.0.254\n\
                 respawn hacluster /usr/lib/heartbeat/ipfail\n\
                 stonith_host a ipmilan b 10.0.0.8 623 md5 admin root pw\n\
                 stonith_host b external/ipmi a 10.0.0.9 root pw lanplus\n",
            ),
            (
                "haresources",
                "a IPaddr2::10.0.0.1/24/eth0 ocf:heartbeat:Dummy::state=/run/d httpd\n\
                 b 10.0.0.2 Delay::1::2\n",
            ),
            (
                "monitoring",
                "default timeout=30s migration-threshold=2 failure-timeout=90s\n\
                 ocf:heartbeat:Dummy::state=/run/d interval=5s\n\
                 httpd interval=10s failure-timeout=0\n",
            ),
        ],
        &["httpd"],
    );
}

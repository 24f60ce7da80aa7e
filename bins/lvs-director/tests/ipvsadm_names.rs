//! `lvs-director` linked as `ipvsadm`, `ipvsadm-save` and `ipvsadm-restore`
//! answers as those programs do, so that Debian's `/etc/init.d/ipvsadm`
//! and users' scripts keep working with it installed under their names.
//!
//! On the host (no IPVS) the links are compared byte for byte with the
//! real programs of Debian's ipvsadm package (`ipvsadm-save` and
//! `ipvsadm-restore` are its shell scripts): the help, the failures and
//! the exit statuses. In the VM (a real kernel) the links save and restore
//! a table as `ipvsadm -S` and `ipvsadm -C; ipvsadm -R` do, and start the
//! sync daemon as the init script asks.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DIRECTOR: &str = env!("CARGO_BIN_EXE_lvs-director");

/// What a command printed and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn run(program: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    {
        let mut pipe = child.stdin.take().expect("stdin");
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// A directory of this test process holding `ipvsadm`, `ipvsadm-save`
/// and `ipvsadm-restore` as symbolic links to lvs-director.
struct Links {
    dir: PathBuf,
}

impl Links {
    fn new() -> Links {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("ipvsadm-names-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the links' directory");
        for name in ["ipvsadm", "ipvsadm-save", "ipvsadm-restore"] {
            std::os::unix::fs::symlink(DIRECTOR, dir.join(name)).expect("link");
        }
        Links { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn run(&self, name: &str, args: &[&str], stdin: &str) -> Run {
        run(&self.path(name), args, stdin)
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where Debian's ipvsadm package installs its three programs.
const REAL_DIR: &str = "/usr/sbin";

#[test]
fn the_links_answer_as_debians_programs_without_ipvs() {
    if std::env::var_os("HA_VM").is_some() {
        return; // The guest has IPVS and not the package's scripts.
    }
    assert!(
        !Path::new("/proc/net/ip_vs").exists(),
        "this comparison is for a host without IPVS"
    );
    let links = Links::new();
    let cases: &[(&str, &[&str], &str)] = &[
        ("ipvsadm", &["-Ln"], ""),
        ("ipvsadm", &["--start-daemon", "master"], ""),
        ("ipvsadm", &["-L", "--daemon"], ""),
        ("ipvsadm-save", &[], ""),
        ("ipvsadm-save", &["-n"], ""),
        ("ipvsadm-save", &["-x"], ""),
        ("ipvsadm-save", &["-n", "--help", "-n"], ""),
        ("ipvsadm-save", &["word"], ""),
        (
            "ipvsadm-restore",
            &[],
            "# ipvsadm.rules\n-A -t 10.0.0.1:80\n",
        ),
        ("ipvsadm-restore", &["-n"], ""),
    ];
    for (name, args, stdin) in cases {
        let real = run(&Path::new(REAL_DIR).join(name), args, stdin);
        let ours = links.run(name, args, stdin);
        assert_eq!(ours, real, "{name} {args:?}: left ours, right Debian's");
    }
    // Under its own name, `lvs-director` is not ipvsadm.
    let own = run(Path::new(DIRECTOR), &["-Ln"], "");
    assert!(
        !own.stderr.contains("Can't initialize ipvs") && own.stderr.contains("lvs-director"),
        "{own:?}"
    );
}

/// The real ipvsadm in the guest.
fn ipvsadm(args: &[&str], stdin: &str) -> Run {
    run(Path::new("ipvsadm"), args, stdin)
}

fn ok(r: &Run, what: &str) -> String {
    assert_eq!(r.code, Some(0), "{what}: {r:?}");
    r.stdout.clone()
}

const RULES: &str = "\
-A -t 10.6.0.1:80 -s wlc -p 300
-a -t 10.6.0.1:80 -r 192.168.60.1:80 -m -w 3
-a -t 10.6.0.1:80 -r 192.168.60.2:8080 -m -w 1
-A -u 10.6.0.2:53 -s rr
-a -u 10.6.0.2:53 -r 192.168.60.3:53 -g
-A -f 9 -s sh
";

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn the_links_save_and_restore_a_real_table() {
    let links = Links::new();
    ok(&ipvsadm(&["-C"], ""), "ipvsadm -C");
    ok(&ipvsadm(&["-R"], RULES), "ipvsadm -R");

    // ipvsadm-save is ipvsadm -S, and -n is ipvsadm -Sn.
    let saved = ok(&links.run("ipvsadm-save", &[], ""), "ipvsadm-save");
    assert_eq!(saved, ok(&ipvsadm(&["-S"], ""), "ipvsadm -S"));
    let numeric = ok(&links.run("ipvsadm-save", &["-n"], ""), "ipvsadm-save -n");
    assert_eq!(numeric, ok(&ipvsadm(&["-Sn"], ""), "ipvsadm -Sn"));
    assert!(
        numeric.contains("-A -t 10.6.0.1:80 -s wlc -p 300\n"),
        "{numeric}"
    );

    // ipvsadm-restore replaces what is there with its input, comments
    // left out, as the init script's `load` (flush, then -R) does.
    ok(
        &ipvsadm(&["-A", "-t", "10.6.0.9:80"], ""),
        "add a stray service",
    );
    let input = format!("# ipvsadm.rules\n{numeric}");
    let restored = links.run("ipvsadm-restore", &[], &input);
    assert_eq!(
        restored,
        Run {
            stdout: String::new(),
            stderr: String::new(),
            code: Some(0)
        }
    );
    assert_eq!(ok(&ipvsadm(&["-Sn"], ""), "ipvsadm -Sn"), numeric);

    // A failing line: the status and message of ipvsadm -R on the same
    // input after a flush.
    let bad = "-A -t 10.6.0.1:80\n-A -t 10.6.0.1:80\n";
    let ours = links.run("ipvsadm-restore", &[], bad);
    ok(&ipvsadm(&["-C"], ""), "ipvsadm -C");
    let real = ipvsadm(&["-R"], bad);
    assert_eq!(ours, real);
    assert_ne!(real.code, Some(0), "{real:?}");

    // The init script's start and stop with DAEMON=master, IFACE=lo,
    // SYNCID=0, through the link named ipvsadm.
    ok(
        &links.run(
            "ipvsadm",
            &[
                "--start-daemon",
                "master",
                "--mcast-interface",
                "lo",
                "--syncid",
                "0",
            ],
            "",
        ),
        "start the sync daemon",
    );
    let listed = ok(&ipvsadm(&["-L", "--daemon"], ""), "ipvsadm -L --daemon");
    assert!(
        listed.starts_with("master sync daemon (mcast=lo, syncid=0"),
        "{listed}"
    );
    assert_eq!(
        links.run("ipvsadm", &["-L", "--daemon"], ""),
        ipvsadm(&["-L", "--daemon"], "")
    );
    ok(
        &links.run("ipvsadm", &["--stop-daemon", "master"], ""),
        "stop the sync daemon",
    );
    assert_eq!(ok(&ipvsadm(&["-L", "--daemon"], ""), "list"), "");
    ok(&ipvsadm(&["-C"], ""), "ipvsadm -C");
}

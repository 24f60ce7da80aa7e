//! `lvs-director check-config -f FILE`: the seeds' files pass unchanged
//! (exit 0); malformed files exit 1 with every problem as `FILE:LINE:
//! message` on stderr, in file order, nothing on stdout.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_lvs-director");

/// A directory of this test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "lvs-director-check-config-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    fn file(&self, text: &str) -> PathBuf {
        let path = self.0.join("ldirectord.cf");
        std::fs::write(&path, text).expect("write the file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn check(path: &Path) -> Outcome {
    let output = Command::new(BINARY)
        .args(["check-config", "-f"])
        .arg(path)
        .output()
        .expect("run check-config");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Insists on exit 1, nothing on stdout, and exactly `expected` on stderr
/// (`{}` standing for the file's path).
fn refused(path: &Path, expected: &[&str]) {
    let outcome = check(path);
    let expected: Vec<String> = expected
        .iter()
        .map(|line| line.replace("{}", &path.display().to_string()))
        .collect();
    assert_eq!(outcome.stderr.lines().collect::<Vec<_>>(), expected);
    assert_eq!(outcome.code, Some(1), "stderr:\n{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
}

/// The seeds' files (compiled in: the tests also run where the sources are not).
const SEEDS: [(&str, &str); 3] = [
    (
        "seed001_ldirectord.cf",
        include_str!("../../../checks/src/config/testdata/seed001_ldirectord.cf"),
    ),
    (
        "seed002_ldirectord.cf",
        include_str!("../../../checks/src/config/testdata/seed002_ldirectord.cf"),
    ),
    (
        "seed003_ldirectord.cf",
        include_str!("../../../checks/src/config/testdata/seed003_ldirectord.cf"),
    ),
];

#[test]
fn the_seed_files_pass_unchanged() {
    let scratch = Scratch::new("seeds");
    for (name, text) in SEEDS {
        let path = scratch.0.join(name);
        std::fs::write(&path, text).expect("write a seed");
        let outcome = check(&path);
        assert_eq!(outcome.code, Some(0), "{name}: {}", outcome.stderr);
        assert_eq!(
            outcome.stdout,
            format!(
                "{}: configuration OK (1 virtual services, 2 real servers)\n",
                path.display()
            )
        );
        assert_eq!(outcome.stderr, "");
    }
}

#[test]
fn every_problem_of_a_file_is_reported_with_its_line() {
    let scratch = Scratch::new("many");
    let path = scratch.file(
        "checkinterval=1\n\
         quiescent=maybe\n\
         virtual=192.0.2.1:80\n\
         \treal=10.0.0.1:80 gate\n\
         \tbogus=1\n\
         \tchecktype=connect\n\
         fork=yes\n",
    );
    refused(
        &path,
        &[
            "{}:2: expected 'yes' or 'no', found 'maybe'",
            "{}:5: unknown keyword 'bogus'",
            "{}:7: keyword 'fork' is not supported yet",
        ],
    );
}

#[test]
fn checks_the_director_cannot_run_are_refused_by_name() {
    let scratch = Scratch::new("mysql");
    let path = scratch.file(
        "virtual=192.0.2.1:3306\n\
         \treal=10.0.0.1:3306 gate\n\
         \tservice=mysql\n\
         \tchecktype=negotiate\n",
    );
    let outcome = check(&path);
    assert_eq!(outcome.code, Some(1));
    let line = format!("{}:3: service=mysql is not supported", path.display());
    assert!(outcome.stderr.starts_with(&line), "{}", outcome.stderr);
}

#[test]
fn a_real_server_without_a_port_to_check_is_named_at_its_line() {
    let scratch = Scratch::new("port");
    let path = scratch.file(
        "virtual=192.0.2.1:80\n\
         \treal=10.0.0.1:80 gate\n\
         \tchecktype=connect\n\
         virtual=192.0.2.2:80\n\
         \treal=10.0.0.1 gate\n\
         \tchecktype=connect\n\
         \tservice=none\n",
    );
    refused(
        &path,
        &["{}:5: real server 10.0.0.1 has no port to check: give it one, or set checkport"],
    );
}

#[test]
fn a_missing_file_is_named() {
    let scratch = Scratch::new("missing");
    let path = scratch.0.join("nowhere.cf");
    refused(
        &path,
        &["{}: cannot read: No such file or directory (os error 2)"],
    );
}

#[test]
fn a_scheduler_the_kernel_does_not_have_is_refused() {
    let scratch = Scratch::new("scheduler");
    let path = scratch.file(
        "virtual=192.0.2.1:80\n\
         \treal=10.0.0.1:80 gate\n\
         \tscheduler=nosuchsched\n",
    );
    refused(
        &path,
        &[
            "{}:3: expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, \
           ovf, mh or twos, found 'nosuchsched'",
        ],
    );
}

#[test]
fn a_combined_check_needs_a_positive_count() {
    let scratch = Scratch::new("checktype");
    let path = scratch.file(
        "virtual=192.0.2.1:80\n\
         \treal=10.0.0.1:80 gate\n\
         \tchecktype=0\n",
    );
    refused(
        &path,
        &[
            "{}:3: expected checktype connect, negotiate, ping, external, external-perl, on, \
           off or a positive number, found '0'",
        ],
    );
}

/// One malformed file per value with a fixed domain: exit 1 and the
/// exact message at the line of the value.
#[test]
fn every_value_with_a_fixed_domain_is_checked_at_its_line() {
    let cases = [
        ("persistent=2678401", "expected a persistence timeout from 1 to 2678400 seconds, found '2678401'"),
        ("netmask=255.255.255", "expected a dotted-quad netmask such as 255.255.255.0, found '255.255.255'"),
        ("real=10.0.0.2:80 gate 65536", "expected a weight from 0 to 65535, found '65536'"),
        ("real=10.0.0.2:65536 gate", "expected a port number (0 to 65535) or service name, found '65536'"),
        ("checkport=0", "expected a port number from 1 to 65535, found '0'"),
        ("protocol=icmp", "expected protocol tcp, udp, sctp or fwm, found 'icmp'"),
        ("real=10.0.0.2:80 route", "expected forwarding method gate, masq or ipip, found 'route'"),
        ("checktype=sometimes", "expected checktype connect, negotiate, ping, external, external-perl, on, off or a positive number, found 'sometimes'"),
        ("service=gopher", "expected service dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pgsql, pop, pops, radius, simpletcp, sip, smtp, submission, found 'gopher'"),
        ("scheduler=WLC", "expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, found 'WLC'"),
    ];
    let scratch = Scratch::new("domains");
    for (line, message) in cases {
        let path = scratch.file(&format!(
            "virtual=192.0.2.1:80\n\treal=10.0.0.1:80 gate\n\t{line}\n"
        ));
        refused(&path, &[&format!("{{}}:3: {message}")]);
    }
}

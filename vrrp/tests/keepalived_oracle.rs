//! keepalived 2.2.7 as the oracle for keepalived.conf: for a set of
//! malformed files, whatever `keepalived -t -f FILE` (its config test)
//! refuses, we refuse too; the seed's files both accept.
//!
//! keepalived checks that the instance's interface exists, so each file
//! is tested in a network namespace of its own making with a veth
//! `eth0`, removed when the test ends, even after a panic. Needs root and
//! Debian's `keepalived` package.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ha_conf::Source;
use ha_vrrp::config::{check_keepalived_conf, FileIncludes};

const SEED: &str = include_str!("../src/config/testdata/seed004_master.conf");

/// A network namespace with a veth eth0 (its peer beside it), deleted on drop.
struct Namespace(String);

impl Namespace {
    fn new() -> Namespace {
        let name = format!("hvo{}", std::process::id());
        let ns = Namespace(name.clone());
        run("ip", &["netns", "add", &name]);
        run(
            "ip",
            &[
                "-n", &name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p",
            ],
        );
        run("ip", &["-n", &name, "link", "set", "eth0", "up"]);
        ns
    }

    /// Whether keepalived's config test accepts the file.
    fn keepalived_accepts(&self, file: &Path) -> (bool, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, "keepalived", "-t", "-f"])
            .arg(file)
            .output()
            .expect("keepalived runs");
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        (out.status.success(), text)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().expect("runs");
    assert!(status.success(), "{program} {args:?}");
}

/// The seed file with `from` replaced by `to`.
fn variant(from: &str, to: &str) -> String {
    assert!(SEED.contains(from), "{from:?} is in the seed");
    SEED.replacen(from, to, 1)
}

fn cases() -> Vec<(&'static str, String)> {
    vec![
        ("seed", SEED.to_string()),
        ("priority_zero", variant("priority 100", "priority 0")),
        ("priority_too_high", variant("priority 100", "priority 300")),
        ("priority_word", variant("priority 100", "priority high")),
        (
            "vrid_zero",
            variant("virtual_router_id 55", "virtual_router_id 0"),
        ),
        (
            "vrid_too_high",
            variant("virtual_router_id 55", "virtual_router_id 256"),
        ),
        (
            "unknown_keyword",
            variant("advert_int 1", "advert_intervall 1"),
        ),
        (
            "unknown_global",
            variant("router_id wyl01", "routerid wyl01"),
        ),
        ("unknown_root", format!("{SEED}vrrp_instanse X {{\n}}\n")),
        (
            "missing_brace",
            variant("}\nvrrp_instance", "vrrp_instance"),
        ),
        ("extra_brace", format!("{SEED}}}\n")),
        (
            "unclosed_block",
            SEED.trim_end().trim_end_matches('}').to_string(),
        ),
        ("bad_state", variant("state MASTER", "state PRIMARY")),
        (
            "bad_auth_type",
            variant("auth_type PASS", "auth_type SECRET"),
        ),
        (
            "long_password",
            variant("auth_pass 1111", "auth_pass 123456789"),
        ),
        ("bad_vip", variant("192.168.1.100/24", "192.168.1.300/24")),
        (
            "bad_prefix",
            variant("192.168.1.100/24", "192.168.1.100/40"),
        ),
        ("advert_zero", variant("advert_int 1", "advert_int 0")),
        (
            "advert_fraction_v2",
            variant("advert_int 1", "advert_int 1.5"),
        ),
        ("no_interface", variant("interface eth0\n", "")),
        (
            "missing_interface",
            variant("interface eth0", "interface nosuch9"),
        ),
        ("no_vrid", variant("virtual_router_id 55\n", "")),
        (
            "unmatched_quote",
            variant("router_id wyl01", "router_id \"wyl01"),
        ),
        (
            "smtp_timeout_word",
            variant("smtp_connect_timeout 30", "smtp_connect_timeout soon"),
        ),
        (
            "nopreempt_master",
            variant("priority 100", "priority 100\nnopreempt"),
        ),
        (
            "version_four",
            variant("advert_int 1", "advert_int 1\nversion 4"),
        ),
        (
            "track_unknown_script",
            variant("advert_int 1", "advert_int 1\ntrack_script {\nchk_none\n}"),
        ),
        (
            "bad_scope",
            variant("label eth0:1", "label eth0:1 scope galaxy"),
        ),
    ]
}

#[test]
fn we_refuse_every_file_keepalived_refuses() {
    if Command::new("keepalived")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("keepalived is not installed: apt-get install -y keepalived");
    }
    let ns = Namespace::new();
    let dir: PathBuf = std::env::temp_dir().join(format!("ha-vrrp-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut refused_by_keepalived = 0;
    let mut refused_by_us_only = Vec::new();
    for (name, text) in cases() {
        let file = dir.join(format!("{name}.conf"));
        std::fs::write(&file, &text).expect("write");
        let (keepalived_ok, keepalived_says) = ns.keepalived_accepts(&file);
        let ours = check_keepalived_conf(
            &Source::new(&file, text.clone()),
            &mut FileIncludes,
            &|interface| interface == "eth0",
        );
        if name == "seed" {
            assert!(
                keepalived_ok,
                "keepalived accepts the seed: {keepalived_says}"
            );
            assert!(ours.is_ok(), "we accept the seed: {ours:?}");
            continue;
        }
        if !keepalived_ok {
            refused_by_keepalived += 1;
            let errors = ours.expect_err(&format!(
                "{name}: keepalived refuses ({keepalived_says}) and so must we"
            ));
            for e in errors.errors() {
                assert!(
                    e.to_string().starts_with(&format!("{}:", file.display())),
                    "{name}: located error: {e}"
                );
            }
        } else if ours.is_err() {
            refused_by_us_only.push(name);
        }
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
    println!(
        "keepalived refused {refused_by_keepalived} of {} malformed files; \
         we refused those and also {refused_by_us_only:?}",
        cases().len() - 1
    );
    assert!(
        refused_by_keepalived >= 20,
        "the oracle refuses most of the set"
    );
}

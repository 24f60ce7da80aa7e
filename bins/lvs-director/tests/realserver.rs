//! `lvs-director realserver` inside a network namespace of its own: `start`
//! puts every VIP on `lo` as a host address and sets `arp_ignore` 1 and
//! `arp_announce` 2 on `lo` and `all`; it is idempotent; `status` follows
//! LSB (0 set up, 3 not); `stop` removes the addresses and puts back the
//! ARP settings found before, once no VIP is left.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Output;

use ha_lab::{Host, Lab};

const BINARY: &str = env!("CARGO_BIN_EXE_lvs-director");

/// A state directory of this test's own, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn new(name: &str) -> StateDir {
        let dir = std::env::temp_dir().join(format!(
            "lvs-director-realserver-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        StateDir(dir)
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn realserver(host: &Host, state: &StateDir, action: &str, vips: &[&str]) -> Output {
    let mut cmd = host.command(BINARY);
    cmd.args(["realserver", action, "--state-dir"])
        .arg(&state.0);
    cmd.arg("--vip").args(vips);
    cmd.output().expect("run lvs-director realserver")
}

fn succeeds(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The non-loopback addresses on `lo`, with their prefix lengths, sorted.
fn vips_on_lo(host: &Host) -> Vec<(IpAddr, u8)> {
    let mut found: Vec<(IpAddr, u8)> = host
        .addresses("lo")
        .expect("read lo's addresses")
        .into_iter()
        .filter(|a| !a.addr.is_loopback())
        .map(|a| (a.addr, a.prefix))
        .collect();
    found.sort();
    found
}

/// `(lo arp_ignore, lo arp_announce, all arp_ignore, all arp_announce)`.
fn arp(host: &Host) -> [String; 4] {
    host.run_in(|| {
        ["lo", "all"]
            .iter()
            .flat_map(|i| ["arp_ignore", "arp_announce"].map(|s| (i.to_string(), s)))
            .map(|(i, s)| {
                std::fs::read_to_string(format!("/proc/sys/net/ipv4/conf/{i}/{s}"))
                    .expect("read a sysctl")
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
    })
    .expect("enter the host")
    .try_into()
    .expect("four values")
}

fn lab_host(tag: &str) -> (Lab, Host) {
    let lab = Lab::new(tag).expect("lab (needs root and iproute2)");
    let host = lab.host("rs").expect("a host");
    (lab, host)
}

#[test]
fn start_puts_the_vips_on_lo_with_arp_settings_and_stop_puts_everything_back() {
    let (_lab, host) = lab_host("rs-cycle");
    let state = StateDir::new("cycle");
    // Not the kernel's defaults, to see that stop restores what was there.
    host.sysctl("net.ipv4.conf.all.arp_announce", "1").unwrap();
    let before = arp(&host);
    assert_eq!(before, ["0", "0", "0", "1"].map(String::from));
    let vips = ["192.0.2.10", "2001:db8::10"];

    assert_eq!(
        realserver(&host, &state, "status", &vips).status.code(),
        Some(3)
    );
    succeeds(&realserver(&host, &state, "start", &vips));
    let expected = vec![
        ("192.0.2.10".parse().unwrap(), 32),
        ("2001:db8::10".parse().unwrap(), 128),
    ];
    assert_eq!(vips_on_lo(&host), expected);
    assert_eq!(arp(&host), ["1", "2", "1", "2"].map(String::from));
    succeeds(&realserver(&host, &state, "status", &vips));

    // Again: nothing doubles, nothing fails, and the saved values are the
    // ones from before the first start.
    succeeds(&realserver(&host, &state, "start", &vips));
    assert_eq!(vips_on_lo(&host), expected);

    succeeds(&realserver(&host, &state, "stop", &vips));
    assert_eq!(vips_on_lo(&host), vec![]);
    assert_eq!(arp(&host), before);
    assert_eq!(
        realserver(&host, &state, "status", &vips).status.code(),
        Some(3)
    );
    // Stopping what is stopped succeeds and changes nothing.
    succeeds(&realserver(&host, &state, "stop", &vips));
    assert_eq!(arp(&host), before);
}

#[test]
fn arp_settings_stay_while_another_vip_is_on_lo() {
    let (_lab, host) = lab_host("rs-two");
    let state = StateDir::new("two");
    succeeds(&realserver(&host, &state, "start", &["192.0.2.10"]));
    succeeds(&realserver(&host, &state, "start", &["192.0.2.11"]));
    succeeds(&realserver(&host, &state, "stop", &["192.0.2.10"]));
    assert_eq!(vips_on_lo(&host), vec![("192.0.2.11".parse().unwrap(), 32)]);
    assert_eq!(arp(&host), ["1", "2", "1", "2"].map(String::from));
    assert_eq!(
        realserver(&host, &state, "status", &["192.0.2.10"])
            .status
            .code(),
        Some(3)
    );
    succeeds(&realserver(&host, &state, "status", &["192.0.2.11"]));
    succeeds(&realserver(&host, &state, "stop", &["192.0.2.11"]));
    assert_eq!(arp(&host), ["0", "0", "0", "0"].map(String::from));
}

#[test]
fn a_bad_address_is_refused_before_anything_changes() {
    let (_lab, host) = lab_host("rs-bad");
    let state = StateDir::new("bad");
    let output = realserver(&host, &state, "start", &["192.0.2.300"]);
    assert_eq!(output.status.code(), Some(2), "clap's usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("192.0.2.300"), "{stderr}");
    assert_eq!(arp(&host), ["0", "0", "0", "0"].map(String::from));
    assert_eq!(vips_on_lo(&host), vec![]);
}

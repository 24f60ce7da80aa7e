//! `lvs-director ipvs` against the real ipvsadm 1.31 on this host.
//!
//! The host has no IPVS, so the real ipvsadm runs with a preloaded stand-in
//! for the kernel's socket options (tests/support/fake_ipvs.c) and our
//! ipvsadm runs on the same table in memory. Every argument vector, restore
//! input and IPv4 listing below must give byte-identical standard output,
//! standard error and exit status. (IPv6, SCTP and netlink-only fields are
//! compared on a real kernel by the in-VM tests.)

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::Ipv4Addr;

use ha_ipvs::DaemonState;
use support::{compare, Dest, Scenario, Svc, Table};

fn svc(protocol: u16, addr: [u8; 4], port: u16, scheduler: &str) -> Svc {
    Svc {
        protocol,
        addr: Ipv4Addr::from(addr),
        port,
        fwmark: 0,
        scheduler: scheduler.into(),
        flags: 0,
        timeout: 0,
        netmask: Ipv4Addr::BROADCAST,
        stats: [0; 10],
        dests: Vec::new(),
    }
}

fn dest(addr: [u8; 4], port: u16, conn_flags: u32, weight: i32) -> Dest {
    Dest {
        addr: Ipv4Addr::from(addr),
        port,
        conn_flags,
        weight,
        u_threshold: 0,
        l_threshold: 0,
        active: 0,
        inactive: 0,
        persistent: 0,
        stats: [0; 10],
    }
}

/// A small table with one service of each kind. Over socket options the
/// real ipvsadm reads no tunnel type (its field holds whatever the heap
/// held), so tables listed with `-S` or `--tun-info` have no tunnel.
fn sample_table(with_tunnel: bool) -> Table {
    let mut web = svc(6, [10, 0, 0, 1], 80, "wlc");
    web.flags = 1;
    web.timeout = 600;
    web.netmask = Ipv4Addr::new(255, 255, 255, 0);
    web.stats = [5, 100, 200, 3_000_000_000, 400_000_000_000, 1, 2, 3, 4, 5];
    web.dests = vec![
        dest([10, 0, 0, 3], 80, if with_tunnel { 2 } else { 3 }, 1),
        Dest {
            u_threshold: 100,
            l_threshold: 10,
            active: 3,
            inactive: 4,
            persistent: 5,
            stats: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            ..dest([10, 0, 0, 2], 8080, 0, 5)
        },
    ];
    let mut dns = svc(17, [200, 0, 0, 1], 53, "rr");
    dns.flags = 4;
    dns.dests = vec![dest([200, 0, 0, 9], 53, 1, 0)];
    let mut mark = svc(6, [0, 0, 0, 0], 0, "sh");
    mark.fwmark = 7;
    mark.flags = 0x18;
    mark.timeout = 300;
    Table {
        services: vec![web, dns, mark],
    }
}

fn check_all(cases: &[&[&str]], scenario: &Scenario) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|args| compare(args, scenario, ""))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_arguments_give_ipvsadms_messages_and_statuses() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let cases: &[&[&str]] = &[
        &["foo"],
        &["-n"],
        &["-nL"],
        &["--list=foo"],
        &["-L=3"],
        &["-L", "-z"],
        &["-Lz"],
        &["-L", "-h"],
        &["-L", "-A"],
        &["-LA"],
        &["-L", "extra"],
        &["-L", "--", "-n"],
        &["-L", "-"],
        &["-L", ""],
        &["-L", "--=x"],
        &["-L", "---n"],
        &["-L", "--n"],
        &["-L", "--numeric="],
        &["-L", "--stats=1"],
        &["-L", "-n=x"],
        &["-Lnn"],
        &["-L", "-t"],
        &["-L", "-t="],
        &["-L", "-c", "--stats"],
        &["-L", "--timeout", "--daemon"],
        &["-L", "--timeout", "--stats"],
        &["-L", "--daemon", "--persistent-conn"],
        &["-L", "-c", "-t", "1.2.3.4:80"],
        &["-L", "-s", "rr"],
        &["-L", "-6"],
        &["-L", "-o"],
        &["-L", "--tun-type", "gue"],
        &["-L", "-t", "1.2.3.4:80"],
        &["-L", "-f", "9"],
        &["-list"],
        &["-A"],
        &["-A", "-t"],
        &["-A", "-t", "1.2.3.4"],
        &["-A", "-t", "80"],
        &["-A", "-t", "1.2.3.4:99999"],
        &["-A", "-t", "1.2.3.4:nosuchservice"],
        &["-A", "-t", "[1.2.3.4]:80"],
        &["-A", "-t", "[::1]"],
        &["-A", "-t", "1.2.3.4:80", "-s"],
        &["-A", "-t", "1.2.3.4:80", "-p", "foo"],
        &["-A", "-t", "1.2.3.4:80", "-p", "0"],
        &["-A", "-t", "1.2.3.4:80", "-p", "2678401"],
        &["-A", "-t", "1.2.3.4:80", "-p=-3"],
        &["-A", "-t", "1.2.3.4:80", "-pp"],
        &["-A", "-t", "1.2.3.4:80", "-p", "-n"],
        &["-A", "-t", "1.2.3.4:80", "-p", "--", "5"],
        &["-A", "-t", "1.2.3.4:80", "-M", "255.255.0.0"],
        &["-A", "-t", "1.2.3.4:80", "-M", "bogus.invalid"],
        &["-A", "-t", "1.2.3.4:80", "-o"],
        &["-A", "-u", "1.2.3.4:53", "-o", "-b", "flag-1,sh-port"],
        &["-A", "-u", "1.2.3.4:53", "-b", "nosuchflag"],
        &["-A", "-t", "1.2.3.4:80", "-s", "sh", "-b", "mh-port"],
        &["-A", "-t", "1.2.3.4:80", "-t", "1.2.3.5:80"],
        &["-A", "-t", "1.2.3.4:80", "-u", "1.2.3.5:80"],
        &["-A", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &["-A", "-t", "1.2.3.4:80", "-w", "3"],
        &["-A", "-t", "1.2.3.4:80", "-n"],
        &["-A", "-f", "0"],
        &["-A", "-f", "-1"],
        &["-A", "-f", "4294967296"],
        &["-A", "-f", "1x"],
        &["-A", "-6", "-f", "1"],
        &["-A", "-f", "1", "-6", "-M", "200"],
        &["-A", "-f", "1", "-6", "-M", "0"],
        &["-A", "--sctp-service"],
        &["-E", "-t", "1.2.3.4"],
        &["-D"],
        &["-D", "-t", "1.2.3.4:80", "-s", "rr"],
        &["-C", "-n"],
        &["-C", "extra"],
        &["-a", "-t", "1.2.3.4:80"],
        &["-a", "-r", "5.6.7.8"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "-1"],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "-w",
            "2147483648",
        ],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "abc"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-x", "-5"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-y", "x"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8:99999"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-g", "-m"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-s", "rr"],
        &["-a", "-t", "1.2.3.4:80", "-r", "[::1]:80"],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gue",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gre",
            "-m",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "foo",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "ipip",
            "--tun-port",
            "5",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gre",
            "--tun-port",
            "5",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gue",
            "--tun-port",
            "0",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gue",
            "--tun-port",
            "6080",
            "--tun-csum",
            "--tun-remcsum",
            "-i",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "--tun-type",
            "gre",
            "--tun-remcsum",
            "-i",
        ],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "--tun-csum"],
        &["-d", "-t", "1.2.3.4:80"],
        &["-d", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "2"],
        &["-e", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-o"],
        &["--set"],
        &["--set", "1", "2"],
        &["--set", "1", "2", "3", "4"],
        &["--set", "1", "2", "x"],
        &["--set", "-1", "2", "3"],
        &["--set", "1", "2", "2678401"],
        &["--set", "1", "2", "3", "-n"],
        &["--start-daemon"],
        &["--start-daemon", "foo"],
        &["--stop-daemon", "bar"],
        &["--start-daemon", "master", "--syncid", "256"],
        &["--start-daemon", "master", "--mcast-group", "10.0.0.1"],
        &[
            "--start-daemon",
            "master",
            "--mcast-group",
            "ff02::1:2:3:4:5:6:7",
        ],
        &["--start-daemon", "master", "--mcast-group", "fe80::1"],
        &["--start-daemon", "master", "--mcast-port", "0"],
        &["--start-daemon", "master", "--mcast-ttl", "256"],
        &["--start-daemon", "master", "--sync-maxlen", "65508"],
        &["--start-daemon", "master", "-n"],
        &["--stop-daemon", "master", "--mcast-interface", "eth1"],
        &["-Z", "-t", "1.2.3.4:80", "extra1", "extra2"],
        &["-Z", "-n"],
        &["-S", "--stats"],
        &["-S", "-t", "1.2.3.4:80"],
        &["-R", "-n"],
        &["-R", "extra"],
        &["-h", "-n"],
    ];
    check_all(cases, &Scenario::default());
}

#[test]
fn good_commands_run_as_ipvsadm_runs_them() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let cases: &[&[&str]] = &[
        &[],
        &["-h"],
        &["--help"],
        &["-v"],
        &["--version"],
        &["-A", "-t", "1.2.3.4:80"],
        &[
            "--add-service",
            "--tcp-service=1.2.3.4:80",
            "--scheduler=rr",
            "--persistent",
        ],
        &["-A", "-t", "1.2.3.4:0", "-p", "-s", "rr"],
        &["-A", "-t", "1.2.3.4:80", "-s=rr", "-p=7"],
        &["-A", "-t", "1.2.3.4:80", "-p5"],
        &[
            "-A",
            "-t",
            "1.2.3.4:http",
            "-s",
            "sh",
            "-b",
            "sh-fallback,sh-port",
        ],
        &["-A", "-u", "1.2.3.4:domain", "-o"],
        &["-A", "-f", "1", "-p", "60", "-M", "255.255.0.0"],
        &["-A", "-t", "localhost:80"],
        &["-A", "-t", "10.1:80"],
        &["-E", "-t", "1.2.3.4:80", "-s", "wrr"],
        &["-D", "-t", "1.2.3.4:80"],
        &["-C"],
        &["--clear"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8:8080",
            "-m",
            "-w",
            "2147483647",
        ],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "-i",
            "-x",
            "10",
            "-y",
            "5",
        ],
        &["-e", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "0"],
        &["-d", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &["-Z"],
        &["-Z", "-t", "10.0.0.1:80"],
        &["--set", "900", "120", "300"],
        &["--start-daemon", "master"],
        &[
            "--start-daemon",
            "backup",
            "--mcast-interface",
            "eth1",
            "--syncid",
            "5",
        ],
        &["--stop-daemon", "master"],
        &["-L", "--timeout"],
        &["-L", "--timeout", "-n"],
        &["-L", "--daemon"],
        &["-L", "--nosort", "--sort", "--sort", "-n"],
        &["-L", "-n", "--"],
    ];
    check_all(cases, &Scenario::default());
}

#[test]
fn listings_are_byte_for_byte_ipvsadms() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let mut scenario = Scenario {
        table: sample_table(true),
        timeouts: Some(ha_ipvs::Timeouts {
            tcp: 30,
            tcp_fin: 5,
            udp: 60,
        }),
        daemon: Some((DaemonState::Backup, "eth1".into(), 9)),
        ..Scenario::default()
    };
    let cases: &[&[&str]] = &[
        &[],
        &["-L"],
        &["-l"],
        &["-Ln"],
        &["-L", "-n", "--stats"],
        &["-L", "-n", "--rate"],
        &["-L", "-n", "--stats", "--rate"],
        &["-L", "-n", "--stats", "--exact"],
        &["-L", "-n", "--rate", "--exact"],
        &["-L", "-n", "--thresholds"],
        &["-L", "-n", "--persistent-conn"],
        &["-L", "-n", "--nosort"],
        &["-L", "--stats"],
        &["-L", "-n", "-t", "10.0.0.1:80"],
        &["-L", "-n", "-t", "10.0.0.1:80", "--stats"],
        &["-L", "-n", "-u", "200.0.0.1:53"],
        &["-L", "-n", "-f", "7"],
        &["-L", "-n", "-t", "10.0.0.9:80"],
        &["-L", "--timeout"],
        &["-L", "--daemon"],
    ];
    check_all(cases, &scenario);
    scenario.table = sample_table(false);
    let without_tunnels: &[&[&str]] = &[
        &["-L", "-n", "--tun-info"],
        &["-S"],
        &["-Sn"],
        &["-S", "-n"],
        &["--save"],
        &["-S", "-n", "--nosort"],
    ];
    check_all(without_tunnels, &scenario);
}

#[test]
fn kernel_refusals_give_ipvsadms_sentences() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let commands: &[&[&str]] = &[
        &["-A", "-t", "1.2.3.4:80"],
        &["-E", "-t", "1.2.3.4:80"],
        &["-D", "-t", "1.2.3.4:80"],
        &["-Z", "-t", "1.2.3.4:80"],
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &["-e", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &["-d", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        &["--set", "1", "2", "3"],
        &["--start-daemon", "master"],
        &["--stop-daemon", "master"],
    ];
    // EPERM ENOENT ESRCH ENOMEM EEXIST EINVAL EMSGSIZE ENOPROTOOPT EOPNOTSUPP EAFNOSUPPORT EBUSY
    for errno in [1, 2, 3, 12, 17, 22, 90, 92, 95, 97, 16] {
        let scenario = Scenario {
            errno,
            ..Scenario::default()
        };
        check_all(commands, &scenario);
    }
}

#[test]
fn restore_reads_standard_input_as_ipvsadm_does() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let inputs = [
        "-A -t 1.2.3.4:80\n\n-a -t 1.2.3.4:80 -r 2.2.2.2\n",
        "ipvsadm -A -t 1.2.3.4:80\n",
        "# comment\n-A -t 1.2.3.4:80\n",
        "-A -t 1.2.3.4:80 -z\n-A -t 1.2.3.4:81\n",
        "-A -t 1.2.3.4:80 -z\n",
        "  \n-A -t 1.2.3.4\n-C\n",
        "-A -t 1.2.3.4:80 -s rr",
        "-R\n",
        "-L -n\n-L --timeout\n",
        "-A\t-t\r1.2.3.4:80 ipvsadm\n",
        "-C\n-L -n  ",
        "-C\n-L -n ",
        "-L --timeout\n-C -n\n-C\n",
        "-A -t 1.2.3.4:80 -s\n-C\n",
        "",
    ];
    for input in inputs {
        for errno in [0, 17] {
            let scenario = Scenario {
                errno,
                table: sample_table(false),
                ..Scenario::default()
            };
            if let Some(diff) = compare(&["-R"], &scenario, input) {
                panic!("{diff}");
            }
        }
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn random_number(rng: &mut Rng) -> u64 {
    let edges = [
        0,
        1,
        99_999_999,
        100_000_000,
        999_999_999,
        1_000_000_000,
        4_294_967_295,
        99_999_999_999,
        100_000_000_000,
        99_999_999_999_999,
        100_000_000_000_000,
        u64::MAX,
    ];
    if rng.below(3) == 0 {
        *rng.pick(&edges)
    } else {
        let bits = rng.below(40);
        rng.below(1 << bits)
    }
}

fn random_table(rng: &mut Rng) -> Table {
    let schedulers = [
        "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
    ];
    let mut services = Vec::new();
    let count = rng.below(6) + 1;
    for i in 0..count {
        let addr = Ipv4Addr::from(rng.next() as u32);
        let protocol = *rng.pick(&[6u16, 17]);
        let port = rng.below(65536) as u16;
        let scheduler = *rng.pick(&schedulers);
        let mut s = svc(protocol, addr.octets(), port, scheduler);
        if rng.below(5) == 0 {
            s.fwmark = (rng.next() as u32).max(1);
            s.protocol = 6;
        }
        s.port = if s.fwmark == 0 && rng.below(2) == 0 {
            80 + i as u16
        } else {
            s.port
        };
        s.flags = rng.below(64) as u32 & !0x2;
        s.timeout = rng.below(86400 * 31) as u32;
        if rng.below(2) == 0 {
            s.netmask = Ipv4Addr::from(u32::MAX << rng.below(32));
        }
        // 32-bit counters where the socket options have them.
        let mut stats = [0u64; 10];
        for (k, v) in stats.iter_mut().enumerate() {
            let n = random_number(rng);
            *v = if k == 3 || k == 4 { n } else { n & 0xffff_ffff };
        }
        s.stats = stats;
        for _ in 0..rng.below(6) {
            let base = u32::from(addr);
            let daddr = if rng.below(2) == 0 {
                Ipv4Addr::from(base.wrapping_add(rng.below(8) as u32))
            } else {
                Ipv4Addr::from(rng.next() as u32)
            };
            let any_port = rng.below(65536) as u16;
            let port = *rng.pick(&[80u16, 8080, 443, any_port]);
            // No tunnels: see sample_table.
            let conn_flags = *rng.pick(&[0u32, 1, 3]);
            let bits = rng.below(31);
            let weight = rng.below(1 << bits) as i32;
            let mut d = dest(daddr.octets(), port, conn_flags, weight);
            d.u_threshold = rng.below(1 << 31) as u32;
            d.l_threshold = rng.below(1000) as u32;
            d.active = rng.next() as u32;
            d.inactive = rng.below(100) as u32;
            d.persistent = rng.below(100) as u32;
            let mut stats = [0u64; 10];
            for (k, v) in stats.iter_mut().enumerate() {
                let n = random_number(rng);
                *v = if k == 3 || k == 4 { n } else { n & 0xffff_ffff };
            }
            d.stats = stats;
            s.dests.push(d);
        }
        services.push(s);
    }
    Table { services }
}

#[test]
fn random_tables_list_identically() {
    if support::in_vm() {
        return; // these compare with a stand-in kernel; the VM has a real one
    }
    let formats: &[&[&str]] = &[
        &["-Ln"],
        &["-L", "-n", "--stats"],
        &["-L", "-n", "--rate"],
        &["-L", "-n", "--stats", "--exact"],
        &["-L", "-n", "--rate", "--exact"],
        &["-L", "-n", "--thresholds"],
        &["-L", "-n", "--persistent-conn"],
        &["-L", "-n", "--tun-info"],
        &["-L", "-n", "--nosort"],
        &["-Sn"],
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..40 {
        let scenario = Scenario {
            table: random_table(&mut rng),
            ..Scenario::default()
        };
        for args in formats {
            if let Some(diff) = compare(args, &scenario, "") {
                panic!(
                    "round {round}: {diff}\ntable:\n{}",
                    scenario.table.to_file_text()
                );
            }
        }
    }
}

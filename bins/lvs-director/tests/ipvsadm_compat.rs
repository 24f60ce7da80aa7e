//! `lvs-director ipvs` against the real ipvsadm 1.31 on a real IPVS kernel
//! (these tests run in the VM, where `ipvsadm` is in `PATH`; on the host
//! they are ignored).
//!
//! Rules written by ipvsadm must be listed identically by `lvs-director
//! ipvs` in every format, rules written by `lvs-director ipvs` must be
//! listed by ipvsadm exactly as if ipvsadm had written them, the save
//! formats must agree and restore into each other, and bad arguments and
//! kernel refusals must give the same messages and statuses. The tests
//! share the guest's one IPVS table and run one at a time; each starts from
//! an empty table.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

const DIRECTOR: &str = env!("CARGO_BIN_EXE_lvs-director");

/// What a command printed and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn run(mut cmd: Command, stdin: &str) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start the command");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait for the command");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// The real ipvsadm (argv[0] `ipvsadm`).
fn ipvsadm(args: &[&str]) -> Run {
    ipvsadm_in(args, "")
}

fn ipvsadm_in(args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new("ipvsadm");
    cmd.args(args);
    run(cmd, stdin)
}

/// `lvs-director ipvs ARGS`.
fn director(args: &[&str]) -> Run {
    director_in(args, "")
}

fn director_in(args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(DIRECTOR);
    cmd.arg("ipvs").args(args);
    run(cmd, stdin)
}

/// lvs-director invoked under the name `ipvsadm`, so that messages naming
/// the program read the same as the real one's.
fn director_as_ipvsadm(args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(DIRECTOR);
    cmd.arg0("ipvsadm").args(args);
    run(cmd, stdin)
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, Some(0), "{what} failed: {r:?}");
}

fn flush() {
    ok(&ipvsadm(&["-C"]), "ipvsadm -C");
}

/// A table touching every field ipvsadm can set: IPv4 and IPv6, TCP, UDP,
/// SCTP and firewall marks (both families), every scheduler with its flags,
/// persistence with netmasks and the SIP engine, one-packet scheduling,
/// each forwarding method and tunnel type, weights and thresholds.
const RULES: &[&str] = &[
    "-A -t 10.1.0.1:80 -s rr",
    "-a -t 10.1.0.1:80 -r 192.168.1.2:80 -g -w 1",
    "-a -t 10.1.0.1:80 -r 192.168.1.3:8080 -m -w 5 -x 100 -y 10",
    "-a -t 10.1.0.1:80 -r 192.168.1.4 -i -w 0",
    "-A -t 10.1.0.2:443 -s wrr -p 600 -M 255.255.255.0",
    "-a -t 10.1.0.2:443 -r 192.168.2.1 -g -w 3",
    "-a -t 10.1.0.2:443 -r 192.168.2.2 -g -w 2147483647",
    "-A -t 10.1.0.3:0 -s lc -p",
    "-a -t 10.1.0.3:0 -r 192.168.3.1 -g",
    "-A -u 10.1.0.4:53 -s wlc -o",
    "-a -u 10.1.0.4:53 -r 192.168.4.1:53 -m",
    "-a -u 10.1.0.4:53 -r 192.168.4.2:5353 -m -w 7",
    "-A --sctp-service 10.1.0.5:3868 -s lblc",
    "-a --sctp-service 10.1.0.5:3868 -r 192.168.5.1 -g",
    "-A -t 10.1.0.6:80 -s lblcr",
    "-A -t 10.1.0.7:80 -s dh",
    "-A -t 10.1.0.8:80 -s sh -b sh-fallback,sh-port",
    "-A -t 10.1.0.9:80 -s sed -b flag-3",
    "-A -t 10.1.0.10:80 -s nq",
    "-A -t 10.1.0.11:80 -s fo",
    "-A -t 10.1.0.12:80 -s ovf",
    "-A -t 10.1.0.13:80 -s mh -b mh-fallback,mh-port",
    "-A -u 10.1.0.14:5060 -s rr -p 30 --pe sip",
    "-A -t 200.1.0.1:80 -s rr",
    "-a -t 200.1.0.1:80 -r 200.1.0.9 -g",
    "-a -t 200.1.0.1:80 -r 10.9.9.9 -g",
    "-A -f 1 -s rr",
    "-a -f 1 -r 192.168.6.1:0 -g -w 2",
    "-A -f 2 -6 -s wlc -p 120 -M 64",
    "-a -f 2 -6 -r [2001:db8::6]:0 -g",
    "-A -t [2001:db8::1]:80 -s rr",
    "-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -g -w 4",
    "-a -t [2001:db8::1]:80 -r [2001:db8::11]:8080 -m",
    "-a -t [2001:db8::1]:80 -r 192.168.7.1 -i",
    "-A -u [2001:db8::2]:53 -s sh -p 60 -M 48 -o",
    "-a -u [2001:db8::2]:53 -r [2001:db8::20]:53 -m",
    "-A -t 10.1.0.20:80 -s rr",
    "-a -t 10.1.0.20:80 -r 192.168.8.1 -i --tun-type gue --tun-port 6080 --tun-csum",
    "-a -t 10.1.0.20:80 -r 192.168.8.2 -i --tun-type gue --tun-port 6081 --tun-remcsum",
    "-a -t 10.1.0.20:80 -r 192.168.8.3 -i --tun-type gre --tun-nocsum",
    "-a -t 10.1.0.20:80 -r 192.168.8.4 -i --tun-type gre --tun-csum",
    "-a -t 10.1.0.20:80 -r 192.168.8.5 -i --tun-type ipip",
    "-a -t 10.1.0.20:80 -r 127.0.0.1 -g",
];

/// Listings compared between the two programs.
const LISTINGS: &[&[&str]] = &[
    &["-Ln"],
    &["-L"],
    &["-l", "-n"],
    &["-L", "-n", "--stats"],
    &["-L", "-n", "--rate"],
    &["-L", "-n", "--stats", "--exact"],
    &["-L", "-n", "--rate", "--exact"],
    &["-L", "-n", "--thresholds"],
    &["-L", "-n", "--persistent-conn"],
    &["-L", "-n", "--tun-info"],
    &["-L", "-n", "--nosort"],
    &["-Sn"],
    &["-S"],
    &["-L", "-n", "-t", "10.1.0.1:80"],
    &["-L", "-n", "-t", "[2001:db8::1]:80", "--stats"],
    &["-L", "-n", "-f", "2", "-6"],
    &["-L", "-n", "--sctp-service", "10.1.0.5:3868"],
    &["-L", "--timeout"],
    &["-L", "--daemon"],
];

fn split(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn apply_with(rules: &[&str], tool: fn(&[&str]) -> Run) {
    for rule in rules {
        ok(&tool(&split(rule)), rule);
    }
}

fn listings_of(tool: fn(&[&str]) -> Run) -> Vec<(String, Run)> {
    LISTINGS
        .iter()
        .map(|args| (args.join(" "), tool(args)))
        .collect()
}

fn assert_same_listings(real: &[(String, Run)], ours: &[(String, Run)]) {
    for ((args, r), (_, o)) in real.iter().zip(ours) {
        assert_eq!(
            o, r,
            "`{args}` differs (left: lvs-director ipvs, right: ipvsadm)"
        );
    }
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn rules_written_by_ipvsadm_are_listed_identically() {
    flush();
    apply_with(RULES, ipvsadm);
    let real = listings_of(ipvsadm);
    assert!(
        real[0]
            .1
            .stdout
            .contains("FWM  2 IPv6 wlc persistent 120 mask 64"),
        "the table was not built: {:?}",
        real[0].1
    );
    let ours = listings_of(director);
    assert_same_listings(&real, &ours);
    flush();
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn rules_written_by_lvs_director_read_as_if_ipvsadm_wrote_them() {
    flush();
    apply_with(RULES, ipvsadm);
    let by_ipvsadm = listings_of(ipvsadm);
    flush();
    apply_with(RULES, director);
    let by_director = listings_of(ipvsadm);
    assert_same_listings(&by_ipvsadm, &by_director);
    flush();
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn save_formats_restore_into_each_other() {
    flush();
    apply_with(RULES, ipvsadm);
    let saved = ipvsadm(&["-Sn"]);
    ok(&saved, "ipvsadm -Sn");
    assert_eq!(director(&["-Sn"]), saved);
    // ipvsadm's save, restored by lvs-director, saves the same.
    flush();
    ok(&director_in(&["-R"], &saved.stdout), "lvs-director ipvs -R");
    assert_eq!(ipvsadm(&["-Sn"]), saved);
    // lvs-director's save, restored by ipvsadm, saves the same.
    let ours = director(&["-Sn"]);
    flush();
    ok(&ipvsadm_in(&["-R"], &ours.stdout), "ipvsadm -R");
    assert_eq!(ipvsadm(&["-Sn"]), saved);
    // The same with names (-S without -n), which -R reads back.
    let named = ipvsadm(&["-S"]);
    flush();
    ok(
        &director_in(&["-R"], &named.stdout),
        "lvs-director ipvs -R of -S",
    );
    assert_eq!(ipvsadm(&["-Sn"]), saved);
    flush();
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn edits_and_deletions_act_as_ipvsadms() {
    let steps: &[&str] = &[
        "-E -t 10.1.0.1:80 -s wrr -p 60",
        "-E -t 10.1.0.2:443",
        "-e -t 10.1.0.1:80 -r 192.168.1.3:8080 -m -w 9",
        "-e -t 10.1.0.1:80 -r 192.168.1.2 -g -x 5 -y 1",
        "-d -t 10.1.0.1:80 -r 192.168.1.4",
        "-D -u 10.1.0.4:53",
        "-d -f 2 -6 -r [2001:db8::6]:0",
        "-Z",
        "-Z -t 10.1.0.1:80",
        "--set 100 20 30",
    ];
    flush();
    apply_with(RULES, ipvsadm);
    apply_with(steps, ipvsadm);
    let by_ipvsadm = listings_of(ipvsadm);
    flush();
    apply_with(RULES, ipvsadm);
    apply_with(steps, director);
    let by_director = listings_of(ipvsadm);
    assert_same_listings(&by_ipvsadm, &by_director);
    ok(
        &ipvsadm(&["--set", "900", "120", "300"]),
        "restore timeouts",
    );
    flush();
}

/// Sync daemon starts compared: every option ipvsadm 1.31 has for them,
/// IPv4 and IPv6 groups, the sync ID's ends, lengths the kernel clamps.
const DAEMON_STARTS: &[&str] = &[
    "--start-daemon master --mcast-interface lo --syncid 7",
    "--start-daemon backup --mcast-interface lo --syncid 9 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 2",
    "--start-daemon master --mcast-interface lo --syncid 0 --sync-maxlen 100 --mcast-ttl 255",
    "--start-daemon backup --mcast-interface lo --syncid 255 --sync-maxlen 100 --mcast-port 1",
    "--start-daemon backup --mcast-interface lo --syncid 12 --mcast-group ff02::1:81",
    "--start-daemon backup --mcast-interface lo --mcast-group ff05::81 --mcast-port 8849 --sync-maxlen 65000",
];

/// The ways of listing the daemons compared.
const DAEMON_LISTINGS: &[&[&str]] = &[
    &["-L", "--daemon"],
    &["-l", "--daemon"],
    &["-L", "-n", "--daemon"],
    &["--list", "--daemon"],
];

fn stop_all_daemons() {
    for state in ["master", "backup"] {
        let _ = ipvsadm(&["--stop-daemon", state]);
    }
    assert_eq!(ipvsadm(&["-L", "--daemon"]).stdout, "");
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn sync_daemons_start_list_and_stop_as_with_ipvsadm() {
    stop_all_daemons();
    for start in DAEMON_STARTS {
        let args = split(start);
        let mut held = Vec::new();
        let mut answers = Vec::new();
        // ipvsadm starts it, then lvs-director as ipvsadm does.
        for tool in [
            (|args: &[&str]| ipvsadm(args)) as fn(&[&str]) -> Run,
            |args: &[&str]| director_as_ipvsadm(args, ""),
        ] {
            let answer = tool(&args);
            ok(&answer, start);
            answers.push(answer);
            for listing in DAEMON_LISTINGS {
                assert_eq!(
                    director(listing),
                    ipvsadm(listing),
                    "`{}` after `{start}`",
                    listing.join(" ")
                );
            }
            held.push(ipvsadm(&["-L", "--daemon"]).stdout);
            // Starting again is refused the same way.
            assert_eq!(
                director_as_ipvsadm(&args, ""),
                ipvsadm(&args),
                "`{start}` again"
            );
            stop_all_daemons();
        }
        assert_eq!(answers[0], answers[1], "`{start}`");
        assert!(!held[0].is_empty(), "`{start}` started nothing");
        assert_eq!(held[0], held[1], "`{start}`: ipvsadm's start, then ours");
    }
    // Both at once, listed master first, stopped one at a time.
    apply_with(&DAEMON_STARTS[..2], director);
    let both = ipvsadm(&["-L", "--daemon"]).stdout;
    assert!(
        both.starts_with("master sync daemon (mcast=lo, syncid=7"),
        "{both}"
    );
    assert!(both.contains("\nbackup sync daemon (mcast=lo, syncid=9, maxlen=1400, group=239.1.2.3, port=9000, ttl=2)\n"), "{both}");
    assert_eq!(director(&["-L", "--daemon"]), ipvsadm(&["-L", "--daemon"]));
    ok(&director(&["--stop-daemon", "master"]), "stop master");
    assert_eq!(director(&["-L", "--daemon"]), ipvsadm(&["-L", "--daemon"]));
    ok(&director(&["--stop-daemon", "backup"]), "stop backup");
    let stop = split("--stop-daemon master");
    assert_eq!(director_as_ipvsadm(&stop, ""), ipvsadm(&stop));
    assert_eq!(ipvsadm(&["-L", "--daemon"]).stdout, "");
}

/// Each case: commands run first (by ipvsadm) to set the table up, then the
/// command compared.
const REFUSALS: &[(&[&str], &str)] = &[
    (&["-A -t 10.2.0.1:80"], "-A -t 10.2.0.1:80"),
    (&[], "-E -t 10.2.0.1:80"),
    (&[], "-D -t 10.2.0.1:80"),
    (&[], "-Z -t 10.2.0.1:80"),
    (&[], "-a -t 10.2.0.1:80 -r 10.3.0.1"),
    (
        &["-A -t 10.2.0.1:80", "-a -t 10.2.0.1:80 -r 10.3.0.1"],
        "-a -t 10.2.0.1:80 -r 10.3.0.1",
    ),
    (&["-A -t 10.2.0.1:80"], "-e -t 10.2.0.1:80 -r 10.3.0.1"),
    (&["-A -t 10.2.0.1:80"], "-d -t 10.2.0.1:80 -r 10.3.0.1"),
    (&[], "-A -t 10.2.0.1:80 -s nosuchsched"),
    (&[], "-A -t 10.2.0.1:80 -s averyveryverylongschedulername"),
    (&[], "-A -t 10.2.0.1:80 -p --pe nosuchpe"),
    (&["-A -t 10.2.0.1:80"], "-a -t 10.2.0.1:80 -r 224.0.0.1"),
    (&[], "-L -n -t 10.2.0.1:80"),
    (&[], "-L -n -f 5"),
    (&[], "--stop-daemon backup"),
    (&[], "--start-daemon master --mcast-interface nosuchif0"),
    // ipvsadm's default interface, eth0, which the guest lacks.
    (&[], "--start-daemon master"),
    // A master cannot reach an IPv6 group through lo (ENETUNREACH).
    (
        &[],
        "--start-daemon master --mcast-interface lo --mcast-group ff02::1:81",
    ),
    (
        &[],
        "--start-daemon backup --mcast-interface nosuchif0 --mcast-group ff02::81",
    ),
    (
        &[
            "-A -t 10.2.0.1:80",
            "-a -t 10.2.0.1:80 -r [2001:db8::1]:80 -i",
        ],
        "--start-daemon master --mcast-interface lo",
    ),
    (&[], "-A -f 3 -6 -o"),
    (&[], "-A -u [2001:db8::5]:53 -o"),
];

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn kernel_refusals_give_ipvsadms_messages_and_statuses() {
    for (setup, command) in REFUSALS {
        flush();
        apply_with(setup, ipvsadm);
        let real = ipvsadm(&split(command));
        flush();
        apply_with(setup, ipvsadm);
        let ours = director_as_ipvsadm(&split(command), "");
        assert_eq!(ours, real, "`{command}` after {setup:?}");
        stop_all_daemons();
    }
    flush();
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn bad_arguments_give_ipvsadms_messages_and_statuses() {
    let cases: &[&[&str]] = &[
        &["foo"],
        &["-nL"],
        &["-L", "-z"],
        &["-L", "-h"],
        &["-Lnn"],
        &["-L", "--stats=1"],
        &["-A", "-t"],
        &["-A", "-t", "1.2.3.4"],
        &["-A", "-t", "1.2.3.4:80", "-o"],
        &["-A", "-t", "1.2.3.4:80", "-p", "foo"],
        &["-A", "-f", "1", "-6", "-M", "200"],
        &["-A", "-6", "-f", "1"],
        &["-a", "-t", "1.2.3.4:80"],
        &["-a", "-t", "1.2.3.4:80", "-r", "[::1]:80"],
        &[
            "-a",
            "-t",
            "1.2.3.4:80",
            "-r",
            "5.6.7.8",
            "-w",
            "2147483648",
        ],
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
        &["-C", "-n"],
        &["--set", "1", "2"],
        &["--start-daemon", "foo"],
        &["-L", "--timeout", "--daemon"],
        &["-A", "-u", "1.2.3.4:53", "-b", "sh-port"],
        &["-R", "extra"],
    ];
    for args in cases {
        assert_eq!(director_as_ipvsadm(args, ""), ipvsadm(args), "{args:?}");
    }
    // Under its own name the messages name `lvs-director ipvs`.
    let ours = director(&["foo"]);
    assert_eq!(ours.code, Some(255));
    assert!(ours.stderr.contains("lvs-director ipvs -h"), "{ours:?}");
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn restore_reports_failures_line_by_line_as_ipvsadm() {
    let inputs = [
        "-A -t 10.4.0.1:80\n-A -t 10.4.0.1:80\n-a -t 10.4.0.1:80 -r 10.5.0.1\n",
        "-A -t 10.4.0.1:80\n-A -t 10.4.0.1:80\n",
        "-A -t 10.4.0.1:80 -z\n-A -t 10.4.0.2:80\n",
        "# a comment\n-A -t 10.4.0.1:80\n",
        "ipvsadm -A -t 10.4.0.1:80 -s rr\nipvsadm -a -t 10.4.0.1:80 -r 10.5.0.1 -m\n",
    ];
    for input in inputs {
        flush();
        let real = ipvsadm_in(&["-R"], input);
        let real_table = ipvsadm(&["-Sn"]);
        flush();
        let ours = director_as_ipvsadm(&["-R"], input);
        assert_eq!(ours, real, "restoring {input:?}");
        assert_eq!(
            ipvsadm(&["-Sn"]),
            real_table,
            "table after restoring {input:?}"
        );
    }
    flush();
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn connection_table_lists_identically() {
    flush();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen on lo");
    let port = listener.local_addr().expect("listening address").port();
    let vip = format!("127.0.0.1:{port}");
    ok(
        &ipvsadm(&["-A", "-t", &vip, "-s", "rr"]),
        "add the local service",
    );
    ok(
        &ipvsadm(&["-a", "-t", &vip, "-r", &vip, "-m"]),
        "add the local server",
    );
    // Connections held open stay in the table for minutes.
    let clients: Vec<_> = (0..3)
        .map(|_| std::net::TcpStream::connect(&vip).expect("connect through IPVS"))
        .collect();
    let accepted: Vec<_> = (0..clients.len())
        .map(|_| listener.accept().expect("accept"))
        .collect();
    for args in [
        &["-L", "-n", "-c"][..],
        &["-L", "-c", "-n", "--persistent-conn"],
        &["-L", "-c"],
    ] {
        // The expiry column counts seconds: try again if one passed between
        // the two listings.
        let mut last = None;
        for _ in 0..5 {
            let real = ipvsadm(args);
            let ours = director(args);
            if ours == real {
                last = None;
                assert!(real.stdout.contains("ESTABLISHED"), "{real:?}");
                break;
            }
            last = Some((ours, real));
        }
        if let Some((ours, real)) = last {
            assert_eq!(ours, real, "{args:?}");
        }
    }
    drop(accepted);
    drop(clients);
    flush();
}

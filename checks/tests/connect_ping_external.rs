//! The connect, ping and external checks for real: connections to a lab
//! server (listening, closed, and behind a firewall that drops SYNs),
//! ICMP and ICMPv6 echo to a host that answers and one whose firewall
//! drops everything, and check commands that pass, fail, hang and are
//! killed with their whole process group.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{assert_down, assert_up, run_all, spec, Bed};
use ha_checks::check::{CheckSpec, CheckType, ExternalArgs, Protocol, Service};

fn connect_spec(bed: &Bed, port: u16) -> CheckSpec {
    let mut s = spec(
        Service::None,
        bed.server_addr(port),
        Duration::from_millis(800),
    );
    s.check_type = CheckType::Connect;
    s
}

#[test]
fn connect_check() {
    let bed = Bed::new("connect");
    let listener = bed.listen_tcp(7001);
    bed.server.block_tcp_port(7002).unwrap();
    let specs = vec![
        connect_spec(&bed, 7001),
        connect_spec(&bed, 7003),
        connect_spec(&bed, 7002),
    ];
    let outcomes = bed.on_director(|| async move {
        let _listener = tokio::net::TcpListener::from_std(listener).unwrap();
        run_all(specs).await
    });
    assert_up(&outcomes[0]);
    assert_down(&outcomes[1], "refused");
    assert_down(&outcomes[2], "no verdict within 800ms");
    assert!(
        outcomes[2].latency >= Duration::from_millis(800),
        "{:?}",
        outcomes[2]
    );
}

fn ping_spec(target: &str, count: u32, timeout_ms: u64) -> CheckSpec {
    let mut s = spec(
        Service::None,
        format!("{target}:0").parse().unwrap(),
        Duration::from_millis(timeout_ms),
    );
    s.check_type = CheckType::Ping;
    s.check_count = count;
    s
}

#[test]
fn ping_v4_and_v6_answered_and_dropped() {
    let bed = Bed::new("ping");
    // A UDP service's connect check is a ping, as in ldirectord.
    let mut udp_connect = ping_spec("10.61.0.1", 1, 1000);
    udp_connect.check_type = CheckType::Connect;
    udp_connect.protocol = Protocol::Udp;
    let specs = vec![
        ping_spec("10.61.0.1", 1, 1000),
        ping_spec("[fd61::1]", 1, 1000),
        udp_connect,
    ];
    let outcomes = bed.on_director(|| run_all(specs));
    for outcome in &outcomes {
        assert_up(outcome);
        assert!(outcome.detail.contains("echo reply"), "{outcome:?}");
    }

    bed.server.drop_incoming(100).unwrap();
    let specs = vec![
        ping_spec("10.61.0.1", 2, 300),
        ping_spec("[fd61::1]", 1, 300),
        ping_spec("10.61.0.99", 1, 300),
    ];
    let outcomes = bed.on_director(|| run_all(specs));
    assert_down(&outcomes[0], "2 attempt(s)");
    assert!(
        outcomes[0].latency >= Duration::from_millis(600),
        "{:?}",
        outcomes[0]
    );
    assert!(
        outcomes[0].latency < Duration::from_millis(1500),
        "{:?}",
        outcomes[0]
    );
    assert_down(&outcomes[1], "no echo reply");
    assert_down(&outcomes[2], "no echo reply");
}

#[test]
fn ping_over_unprivileged_datagram_sockets_where_allowed() {
    let bed = Bed::new("pingdgram");
    // Without ping_group_range root gets a raw socket; with it, a datagram one.
    let outcomes = bed.on_director(|| run_all(vec![ping_spec("10.61.0.1", 1, 1000)]));
    assert!(
        outcomes[0].detail.contains("raw socket"),
        "{:?}",
        outcomes[0]
    );
    bed.director
        .sysctl("net.ipv4.ping_group_range", "0 2147483647")
        .unwrap();
    let specs = vec![
        ping_spec("10.61.0.1", 1, 1000),
        ping_spec("[fd61::1]", 1, 1000),
    ];
    let outcomes = bed.on_director(|| run_all(specs));
    for outcome in &outcomes {
        assert_up(outcome);
        assert!(outcome.detail.contains("datagram socket"), "{outcome:?}");
    }
    bed.server.drop_incoming(100).unwrap();
    let outcomes = bed.on_director(|| run_all(vec![ping_spec("10.61.0.1", 1, 300)]));
    assert_down(&outcomes[0], "no echo reply");
}

/// A scratch directory removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ha-checks-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn script(&self, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn external_spec(command: &str, perl: bool, timeout_ms: u64) -> CheckSpec {
    let mut s = spec(
        Service::None,
        "10.61.0.1:8080".parse().unwrap(),
        Duration::from_millis(timeout_ms),
    );
    s.check_type = if perl {
        CheckType::ExternalPerl
    } else {
        CheckType::External
    };
    s.check_command = command.to_string();
    s.external_args = ExternalArgs {
        virtual_server: "192.0.2.10".into(),
        virtual_port: "80".into(),
        real_server: "10.61.0.1".into(),
        real_port: "8080".into(),
    };
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn alive(pid: i32) -> bool {
    // Signal 0 tests for existence; a zombie (not yet reaped by its
    // reparented parent) is gone as far as the check is concerned.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.contains(") Z ")
}

#[test]
fn external_commands_get_ldirectords_arguments_and_exit_convention() {
    let scratch = Scratch::new("external");
    let args_file = scratch.0.join("args");
    let pass = scratch.script(
        "pass",
        &format!("#!/bin/sh\necho \"$@\" > {}\nexit 0\n", args_file.display()),
    );
    let fail = scratch.script("fail", "#!/bin/sh\nexit 3\n");
    let perl = scratch.script(
        "check.pl",
        "exit($ARGV[2] eq '10.61.0.1' && $ARGV[3] eq '8080' ? 0 : 1);\n",
    );
    let specs = vec![
        external_spec(&pass, false, 2000),
        external_spec(&fail, false, 2000),
        external_spec(
            &scratch.0.join("missing").display().to_string(),
            false,
            2000,
        ),
        external_spec(&perl, true, 5000),
    ];
    let outcomes = runtime().block_on(run_all(specs));
    assert_up(&outcomes[0]);
    assert_eq!(
        std::fs::read_to_string(&args_file).unwrap(),
        "192.0.2.10 80 10.61.0.1 8080\n"
    );
    assert_down(&outcomes[1], "exited 3");
    assert_down(&outcomes[2], "cannot run");
    assert_up(&outcomes[3]);
}

#[test]
fn a_hung_command_is_killed_with_its_process_group_at_the_timeout() {
    let scratch = Scratch::new("hung");
    let pid_file = scratch.0.join("pid");
    // The script's child ignores SIGTERM: only the group SIGKILL ends it.
    let hang = scratch.script(
        "hang",
        &format!(
            "#!/bin/sh\nsh -c 'trap \"\" TERM; sleep 30' &\necho $! > {}\nwait\n",
            pid_file.display()
        ),
    );
    let rt = runtime();
    let started = Instant::now();
    let outcome = rt.block_on(ha_checks::check::run(&external_spec(&hang, false, 500)));
    let took = started.elapsed();
    assert_down(&outcome, "terminated");
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1400),
        "{took:?}"
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        alive(pid),
        "the child should still run right after the timeout"
    );
    // Within the grace period and the SIGKILL after it, the group is gone.
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(1800)).await });
    assert!(!alive(pid), "process {pid} of the group survived");
}

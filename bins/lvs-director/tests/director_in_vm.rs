//! The director end to end on a real IPVS kernel (in the VM), in network
//! namespaces: a client, a director holding the VIP, two real servers
//! answering HTTP. Direct routing (the VIP on the reals' `lo`, set up with
//! `lvs-director realserver start`) and NAT (the director as the reals'
//! gateway, forwarding on).
//!
//! Proven: requests through the VIP reach both real servers; a real
//! server whose service stops leaves the table (or is quiesced with
//! `quiescent=yes`) within checkinterval × failurecount + 1 s; with both
//! down the fallback server answers; one started again takes over from
//! the fallback; an edit under autoreload changes the edited service and
//! leaves the other's entries and counters alone; a broken edit changes
//! nothing; stopping removes the services (cleanstop). The director's
//! namespace has an IPVS table of its own, so the guest's main table is
//! never touched; each test checks its director's table is empty at the end.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bed;

use std::net::SocketAddr;
use std::time::Duration;

use bed::{report, tcp, Bed, Mode, Web, VIP};

const CHECK_INTERVAL: u64 = 1;
const FAILURE_COUNT: u64 = 2;

/// checkinterval × failurecount + 1 s: the longest a dead real server may
/// stay in the table.
fn removal_limit() -> Duration {
    Duration::from_secs(CHECK_INTERVAL * FAILURE_COUNT + 1)
}

/// Waits for `condition` (a little past the removal limit, so a late
/// change is reported with its time rather than as a timeout), reports how
/// long `event` took, and asserts the limit.
fn within_removal_limit(bed: &Bed, event: &str, condition: impl Fn() -> bool) {
    let limit = removal_limit();
    let took = bed.wait_until(event, limit + Duration::from_secs(2), condition);
    report(&format!("{event} after {took:?} (limit {limit:?})"));
    assert!(took <= limit, "{event}: took {took:?}, limit {limit:?}");
}

fn config(bed: &Bed, quiescent: bool, reals: &str, extra: &str) -> String {
    format!(
        "checkinterval={CHECK_INTERVAL}\n\
         checktimeout=1\n\
         failurecount={FAILURE_COUNT}\n\
         autoreload=yes\n\
         logfile=\"{log}\"\n\
         quiescent={q}\n\
         virtual={VIP}:80\n\
         {reals}\
         \tfallback=127.0.0.1:80 gate\n\
         \tservice=http\n\
         \trequest=\"/health\"\n\
         \treceive=\"OK\"\n\
         \tscheduler=rr\n\
         \tchecktype=negotiate\n\
         {extra}",
        log = bed.path("director.log").display(),
        q = if quiescent { "yes" } else { "no" },
    )
}

/// Both reals answer HTTP on `port` with "OK rN".
fn serve_reals(bed: &Bed, port: u16) -> [Option<Web>; 2] {
    [0, 1].map(|i| {
        Some(Web::start(
            &bed.reals[i],
            SocketAddr::new("0.0.0.0".parse().unwrap(), port),
            &format!("OK r{}", i + 1),
        ))
    })
}

fn assert_both_served(bodies: &[String]) {
    assert!(
        bodies.iter().any(|b| b == "OK r1"),
        "r1 never answered: {bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b == "OK r2"),
        "r2 never answered: {bodies:?}"
    );
}

/// A service's configuration and connection count, with its real servers'.
type Layout = (ha_ipvs::Service, u64, Vec<(ha_ipvs::Destination, u64)>);

/// Each service's configuration and connection count, with its real
/// servers' (rates left out: they decay by themselves).
fn layout(table: &bed::IpvsTable) -> Vec<Layout> {
    table
        .values()
        .map(|(s, d)| {
            (
                s.service.clone(),
                s.stats.conns,
                d.iter()
                    .map(|e| (e.destination.clone(), e.stats.conns))
                    .collect(),
            )
        })
        .collect()
}

fn stop_and_check_empty(bed: &mut Bed) {
    let log = bed.director_log();
    assert!(
        !log.contains(": failed: ") && !log.contains("system("),
        "the kernel refused nothing, no command failed:\n{log}"
    );
    assert!(log.contains(" real server: "), "changes are logged: {log}");
    assert_eq!(bed.stop_director(), Some(0), "log:\n{}", bed.director_log());
    assert!(bed
        .director_log()
        .contains("Linux Director Daemon terminated on signal: TERM"));
    assert!(bed.table().is_empty(), "cleanstop left {:?}", bed.table());
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn direct_routing_removes_dead_reals_falls_back_and_recovers() {
    let mut bed = Bed::new("lvs-dr", Mode::DirectRouting);
    bed.realservers_start();
    let mut webs = serve_reals(&bed, 80);
    let _fallback = Web::start(
        &bed.director,
        "0.0.0.0:80".parse().unwrap(),
        "fallback page",
    );
    let reals = format!(
        "\treal={}:80 gate\n\treal={}:80 gate\n\tfallbackcommand=\"{}\"\n",
        bed.real_addrs[0],
        bed.real_addrs[1],
        bed.recorder("fallback").display()
    );
    bed.write_config(&config(&bed, false, &reals, ""));
    bed.start_director();
    let (r1, r2) = (bed.real_addrs[0], bed.real_addrs[1]);
    let took = bed.wait_until("both reals in the table", Duration::from_secs(10), || {
        bed.reals_of(&tcp(80)) == vec![(r1, 80, 1), (r2, 80, 1)]
    });
    report(&format!(
        "DR: both real servers in the table {took:?} after start"
    ));
    assert_both_served(&bed.requests(80, 8));

    // r1's service stops: removed (quiescent=no) in time; r2 serves alone.
    if let Some(web) = webs[0].take() {
        web.stop();
    }
    within_removal_limit(&bed, "DR: dead real server removed", || {
        bed.reals_of(&tcp(80)) == vec![(r2, 80, 1)]
    });
    let bodies = bed.requests(80, 4);
    assert_eq!(bodies, vec!["OK r2"; 4]);

    // Both down: the fallback server answers.
    if let Some(web) = webs[1].take() {
        web.stop();
    }
    within_removal_limit(
        &bed,
        "DR: fallback server in once the last real died",
        || {
            let reals = bed.reals_of(&tcp(80));
            reals.len() == 1 && reals[0].0 == "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
        },
    );
    assert_eq!(bed.requests(80, 2), vec!["fallback page"; 2]);

    // r1 comes back: it takes over from the fallback.
    webs[0] = Some(Web::start(
        &bed.reals[0],
        "0.0.0.0:80".parse().unwrap(),
        "OK r1",
    ));
    let took = bed.wait_until("r1 back", Duration::from_secs(CHECK_INTERVAL + 2), || {
        bed.reals_of(&tcp(80)) == vec![(r1, 80, 1)]
    });
    report(&format!(
        "DR: returning real server in, fallback out, after {took:?}"
    ));
    assert_eq!(bed.requests(80, 3), vec!["OK r1"; 3]);

    // The status report agrees with the kernel.
    let out = bed.ask(&["status", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let service = &status["virtual_services"][0];
    assert_eq!(service["service"], format!("TCP {VIP}:80"));
    assert_eq!(service["reals_up"], 1);
    assert_eq!(service["fallback_active"], false);
    let real = |i: usize| service["reals"][i].clone();
    assert_eq!(real(0)["health"], "up");
    assert_eq!(real(0)["kernel_weight"], 1);
    assert!(real(0)["last_latency_ms"].as_f64().is_some());
    assert_eq!(real(1)["health"], "down");
    assert_eq!(real(1)["kernel_weight"], serde_json::Value::Null);
    assert!(real(1)["failures"].as_u64().unwrap_or(0) >= FAILURE_COUNT);
    assert_eq!(
        service["fallback"]["kernel_weight"],
        serde_json::Value::Null
    );

    // /metrics says the same, under node_exporter's IPVS names. The
    // kernel's totals (/proc/net/ip_vs_stats) are summed by its rate
    // estimator every 2 s: scrape until they have caught up with the 17
    // requests made through the VIP so far (or 6 s have passed).
    let sample_of = |metrics: &str, name: &str| -> Option<f64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    };
    let caught_up = std::time::Instant::now() + Duration::from_secs(6);
    let metrics = loop {
        let metrics = bed.metrics().expect("GET /metrics");
        let conns = sample_of(&metrics, "node_ipvs_connections_total").unwrap_or(0.0);
        if conns >= 17.0 || std::time::Instant::now() >= caught_up {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let sample = |name: &str| sample_of(&metrics, name);
    let backend = |real: std::net::IpAddr| {
        format!(
            "node_ipvs_backend_weight{{local_address=\"{VIP}\",local_mark=\"\",local_port=\"80\",\
             proto=\"TCP\",remote_address=\"{real}\",remote_port=\"80\"}}"
        )
    };
    assert_eq!(sample(&backend(r1)), Some(1.0), "{metrics}");
    assert_eq!(sample(&backend(r2)), None, "{metrics}");
    // 17 requests went through the VIP so far.
    let conns = sample("node_ipvs_connections_total").unwrap_or(0.0);
    assert!(conns >= 17.0, "{conns} connections\n{metrics}");
    let down = format!(
        "lvs_director_real_server_up{{real_server=\"{r2}:80\",virtual_service=\"TCP {VIP}:80\"}}"
    );
    assert_eq!(sample(&down), Some(0.0), "{metrics}");
    report(&format!("DR: /metrics: {conns} IPVS connections in total"));

    // fallbackcommand ran as ldirectord runs it: start with no real server
    // up (at start-up, before the first checks, and when both died), stop
    // when one was up again.
    let start = format!("start {VIP}:80 tcp");
    let stop = format!("stop {VIP}:80 tcp");
    let calls = [start.clone(), stop.clone(), start, stop];
    bed.wait_until("fallbackcommand calls", Duration::from_secs(5), || {
        bed.recorded("fallback") == calls
    });

    stop_and_check_empty(&mut bed);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn quiescent_reals_keep_their_entry_with_weight_0() {
    let mut bed = Bed::new("lvs-q", Mode::DirectRouting);
    bed.realservers_start();
    let mut webs = serve_reals(&bed, 80);
    let reals = format!(
        "\treal={}:80 gate 3\n\treal={}:80 gate\n",
        bed.real_addrs[0], bed.real_addrs[1]
    );
    bed.write_config(&config(&bed, true, &reals, ""));
    bed.start_director();
    let (r1, r2) = (bed.real_addrs[0], bed.real_addrs[1]);
    bed.wait_until("both up", Duration::from_secs(10), || {
        bed.reals_of(&tcp(80)) == vec![(r1, 80, 3), (r2, 80, 1)]
    });
    if let Some(web) = webs[0].take() {
        web.stop();
    }
    within_removal_limit(&bed, "DR quiescent: weight 0", || {
        bed.reals_of(&tcp(80)) == vec![(r1, 80, 0), (r2, 80, 1)]
    });
    assert_eq!(bed.requests(80, 3), vec!["OK r2"; 3]);
    webs[0] = Some(Web::start(
        &bed.reals[0],
        "0.0.0.0:80".parse().unwrap(),
        "OK r1",
    ));
    bed.wait_until(
        "r1 weight back",
        Duration::from_secs(CHECK_INTERVAL + 2),
        || bed.reals_of(&tcp(80)) == vec![(r1, 80, 3), (r2, 80, 1)],
    );
    stop_and_check_empty(&mut bed);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn nat_reaches_both_reals_and_drops_a_dead_one() {
    let mut bed = Bed::new("lvs-nat", Mode::Nat);
    let mut webs = serve_reals(&bed, 8000);
    let reals = format!(
        "\treal={}:8000 masq\n\treal={}:8000 masq\n",
        bed.real_addrs[0], bed.real_addrs[1]
    );
    bed.write_config(&config(&bed, false, &reals, ""));
    bed.start_director();
    let (r1, r2) = (bed.real_addrs[0], bed.real_addrs[1]);
    let took = bed.wait_until("both reals in", Duration::from_secs(10), || {
        bed.reals_of(&tcp(80)) == vec![(r1, 8000, 1), (r2, 8000, 1)]
    });
    report(&format!(
        "NAT: both real servers in the table {took:?} after start"
    ));
    assert_both_served(&bed.requests(80, 8));
    if let Some(web) = webs[1].take() {
        web.stop();
    }
    within_removal_limit(&bed, "NAT: dead real server removed", || {
        bed.reals_of(&tcp(80)) == vec![(r1, 8000, 1)]
    });
    assert_eq!(bed.requests(80, 3), vec!["OK r1"; 3]);
    stop_and_check_empty(&mut bed);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn autoreload_applies_an_edit_alone_and_a_broken_edit_changes_nothing() {
    let mut bed = Bed::new("lvs-reload", Mode::DirectRouting);
    bed.realservers_start();
    let _webs = serve_reals(&bed, 80);
    let _webs8080 = serve_reals(&bed, 8080);
    let (r1, r2) = (bed.real_addrs[0], bed.real_addrs[1]);
    let reals = format!("\treal={r1}:80 gate\n\treal={r2}:80 gate\n");
    let other = |scheduler: &str, weight: u32| {
        format!(
            "virtual={VIP}:8080\n\treal={r1}:8080 gate\n\treal={r2}:8080 gate {weight}\n\
             \tchecktype=connect\n\tscheduler={scheduler}\n"
        )
    };
    let callback = format!("callback=\"{}\"\n", bed.recorder("callback").display());
    let with_callback = |text: String| callback.clone() + &text;
    bed.write_config(&with_callback(config(
        &bed,
        false,
        &reals,
        &other("wlc", 1),
    )));
    bed.start_director();
    bed.wait_until("both services up", Duration::from_secs(10), || {
        bed.reals_of(&tcp(80)) == vec![(r1, 80, 1), (r2, 80, 1)]
            && bed.reals_of(&tcp(8080)) == vec![(r1, 8080, 1), (r2, 8080, 1)]
    });
    // Traffic through the service that will not be edited, so it has
    // counters to lose if it were rebuilt.
    assert_both_served(&bed.requests(80, 6));
    // The kernel folds its per-CPU counters in every 2 s.
    bed.wait_until("counters of VIP:80 updated", Duration::from_secs(6), || {
        bed.table()
            .get(&tcp(80))
            .is_some_and(|(s, _)| s.stats.conns >= 6)
    });
    let before = bed.table();
    let (web_before, web_reals_before) = before.get(&tcp(80)).cloned().expect("VIP:80");

    // Edit the other service: scheduler and one weight.
    bed.write_config(&with_callback(config(&bed, false, &reals, &other("rr", 5))));
    let took = bed.wait_until(
        "the edit applied",
        Duration::from_secs(CHECK_INTERVAL + 3),
        || {
            bed.table()
                .get(&tcp(8080))
                .is_some_and(|(s, _)| s.service.scheduler == "rr")
                && bed.reals_of(&tcp(8080)) == vec![(r1, 8080, 1), (r2, 8080, 5)]
        },
    );
    report(&format!("autoreload: edit in force after {took:?}"));
    // callback ran with the file's path, as ldirectord runs it.
    let cf = bed.path("ldirectord.cf").display().to_string();
    bed.wait_until("callback run", Duration::from_secs(5), || {
        bed.recorded("callback") == vec![cf.clone()]
    });
    let after = bed.table();
    let (web_after, web_reals_after) = after.get(&tcp(80)).cloned().expect("VIP:80");
    assert_eq!(web_after.service, web_before.service);
    assert_eq!(
        web_after.stats.conns, web_before.stats.conns,
        "counters kept"
    );
    let conns = |d: &[ha_ipvs::DestinationEntry]| {
        d.iter()
            .map(|e| (e.destination.clone(), e.stats.conns))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        conns(&web_reals_after),
        conns(&web_reals_before),
        "entries and counters kept"
    );

    // A broken edit: logged, nothing changes, the director runs on.
    bed.write_config("virtual=10.50.0.100:80\n\tbogus=1\n");
    std::thread::sleep(Duration::from_secs(CHECK_INTERVAL + 2));
    assert_eq!(
        layout(&bed.table()),
        layout(&after),
        "a broken file changes nothing"
    );
    assert!(bed.director_running());
    assert!(
        bed.director_log().contains("not reloaded"),
        "{}",
        bed.director_log()
    );
    // The reload command says why, with FILE:LINE.
    let out = bed.ask(&["reload"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{cf}:2: unknown keyword 'bogus'")),
        "{stderr}"
    );
    // Removing a service from the file removes it from the kernel, alone.
    bed.write_config(&config(&bed, false, &reals, ""));
    bed.wait_until(
        "VIP:8080 removed",
        Duration::from_secs(CHECK_INTERVAL + 3),
        || !bed.table().contains_key(&tcp(8080)),
    );
    let (web_last, _) = bed.table().get(&tcp(80)).cloned().expect("VIP:80");
    assert_eq!(web_last.stats.conns, web_before.stats.conns);
    stop_and_check_empty(&mut bed);
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn start_up_adopts_the_table_and_a_restart_removes_only_what_the_file_dropped() {
    use ha_ipvs::{Destination, Ipvs, Service};
    let mut bed = Bed::new("lvs-adopt", Mode::DirectRouting);
    bed.realservers_start();
    let _webs = serve_reals(&bed, 80);
    let _webs8080 = serve_reals(&bed, 8080);
    let (r1, r2) = (bed.real_addrs[0], bed.real_addrs[1]);
    let stray: std::net::IpAddr = "10.50.0.99".parse().unwrap();
    // A table written before the director starts: the service it is
    // configured for (with a stray real server at weight 0), and one that
    // is not its own.
    bed.director
        .run_in(|| {
            let mut ipvs = Ipvs::connect().expect("IPVS");
            ipvs.add_service(&Service::new(tcp(80), "rr")).expect("add");
            for (addr, weight) in [(r1, 1), (r2, 1), (stray, 0)] {
                let dest = Destination {
                    weight,
                    ..Destination::new(addr, 80)
                };
                ipvs.add_destination(&tcp(80), &dest).expect("add real");
            }
            ipvs.add_service(&Service::new(tcp(9999), "wlc"))
                .expect("add");
            ipvs.add_destination(&tcp(9999), &Destination::new(r1, 9999))
                .expect("add real");
        })
        .expect("enter the director");
    assert_both_served(&bed.requests(80, 6));
    bed.wait_until("counters of VIP:80 updated", Duration::from_secs(6), || {
        bed.table()
            .get(&tcp(80))
            .is_some_and(|(s, _)| s.stats.conns >= 6)
    });
    let before = bed.table();

    let reals = format!("\treal={r1}:80 gate\n\treal={r2}:80 gate\n");
    bed.write_config(&format!(
        "cleanstop=no\n{}",
        config(&bed, false, &reals, "")
    ));
    bed.start_director();
    bed.wait_until(
        "the stray real server purged",
        Duration::from_secs(5),
        || bed.reals_of(&tcp(80)) == vec![(r1, 80, 1), (r2, 80, 1)],
    );
    // Let the first checks pass: nothing more is written.
    std::thread::sleep(Duration::from_secs(CHECK_INTERVAL + 1));
    let adopted = bed.table();
    let without_stray = |table: &bed::IpvsTable| {
        let mut layout = layout(table);
        for (_, _, reals) in &mut layout {
            reals.retain(|(d, _)| d.addr != stray);
        }
        layout
    };
    assert_eq!(
        without_stray(&adopted),
        without_stray(&before),
        "adopted, not rebuilt: entries and counters kept, the foreign service untouched"
    );
    let log = bed.director_log();
    assert!(!log.contains("Added virtual server"), "{log}");
    assert!(!log.contains("Added real server"), "{log}");
    assert!(
        log.contains("Purged real server: 10.50.0.99:80 (TCP 10.50.0.100:80)"),
        "{log}"
    );

    // cleanstop=no: stopping leaves the table as it is.
    assert_eq!(bed.stop_director(), Some(0));
    assert_eq!(layout(&bed.table()), layout(&adopted));

    // The file drops VIP:80 and gains VIP:8080 while no director runs:
    // the next start removes VIP:80 (it was the director's), adds VIP:8080,
    // and still leaves the foreign service alone.
    bed.write_config(&format!(
        "cleanstop=no\ncheckinterval={CHECK_INTERVAL}\nlogfile=\"{}\"\n\
         virtual={VIP}:8080\n\treal={r1}:8080 gate\n\treal={r2}:8080 gate\n\tchecktype=connect\n",
        bed.path("director.log").display()
    ));
    bed.start_director();
    bed.wait_until(
        "VIP:80 removed, VIP:8080 added",
        Duration::from_secs(5),
        || {
            let table = bed.table();
            !table.contains_key(&tcp(80))
                && bed.reals_of(&tcp(8080)) == vec![(r1, 8080, 1), (r2, 8080, 1)]
        },
    );
    assert_eq!(
        bed.table()
            .get(&tcp(9999))
            .map(|(s, d)| (s.service.clone(), d.len())),
        before
            .get(&tcp(9999))
            .map(|(s, d)| (s.service.clone(), d.len()))
    );
    assert_eq!(bed.stop_director(), Some(0));
    bed.director
        .run_in(|| Ipvs::connect().and_then(|mut ipvs| ipvs.flush()))
        .expect("enter the director")
        .expect("flush");
    assert!(bed.table().is_empty());
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn a_scheduler_the_kernel_lacks_is_logged_with_its_line_and_errno() {
    // `twos` is a real scheduler (newer kernels ship it), so the file is
    // valid; Debian 12's kernel has no such module and refuses the service.
    let mut bed = Bed::new("lvs-twos", Mode::DirectRouting);
    let reals = format!("\treal={}:80 gate\n", bed.real_addrs[0]);
    let text = config(&bed, false, &reals, "").replace("scheduler=rr", "scheduler=twos");
    bed.write_config(&text);
    bed.start_director();
    let file = bed.path("ldirectord.cf");
    let virtual_line = text
        .lines()
        .position(|l| l.starts_with("virtual="))
        .expect("a virtual line")
        + 1;
    let expected = format!(
        "{}:{virtual_line}: Added virtual server: TCP {VIP}:80 (scheduler twos): failed: \
         Scheduler or persistence engine not found (errno 2: No such file or directory)",
        file.display()
    );
    bed.wait_until("the refusal logged", Duration::from_secs(10), || {
        bed.director_log().contains(&expected)
    });
    assert!(bed.table().is_empty(), "{:?}", bed.table());
    assert!(
        bed.director_running(),
        "a refusal does not stop the director"
    );
    assert_eq!(bed.stop_director(), Some(0), "log:\n{}", bed.director_log());
}

//! `lvs-director run` under a service manager, on a real IPVS kernel (in
//! the VM), its notification socket a real Unix datagram socket the test
//! binds and names in `NOTIFY_SOCKET`, as systemd does for a `Type=notify`
//! unit.
//!
//! Proven: `READY=1` comes once the first table is in the kernel (the
//! service is there when it comes), with a status line; the status line
//! follows the real servers' health; `WATCHDOG=1` comes every half of
//! `WATCHDOG_USEC`; SIGHUP is told as `RELOADING=1` (with the monotonic
//! time) then `READY=1`; SIGTERM as `STOPPING=1`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bed;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bed::{report, tcp, Bed, Mode, Web, VIP};
use ha_lab::service_manager::NotifySocket;
use ha_lab::Signal;

fn config(bed: &Bed) -> String {
    format!(
        "checkinterval=1\n\
         checktimeout=1\n\
         failurecount=1\n\
         logfile=\"{log}\"\n\
         virtual={VIP}:8000\n\
         \treal={}:8000 masq\n\
         \treal={}:8000 masq\n\
         \tservice=http\n\
         \tchecktype=connect\n\
         \tscheduler=rr\n",
        bed.real_addrs[0],
        bed.real_addrs[1],
        log = bed.path("director.log").display(),
    )
}

#[test]
#[ignore = "needs IPVS: runs in the VM"]
fn the_director_tells_its_manager_ready_status_watchdog_reloading_and_stopping() {
    let mut bed = Bed::new("lvs-notify", Mode::Nat);
    let manager = NotifySocket::bind(&bed.path("notify")).unwrap();
    bed.write_config(&config(&bed));
    bed.start_director_with_env(&[
        ("NOTIFY_SOCKET", manager.path()),
        ("WATCHDOG_USEC", "400000"),
    ]);
    let ready = bed.wait_until("READY=1", Duration::from_secs(20), || {
        manager.first("READY=1").is_some()
    });
    // The first table is in the kernel when READY comes.
    assert!(
        bed.table().contains_key(&tcp(8000)),
        "READY=1 before the table: {:?}\n{}",
        bed.table(),
        bed.director_log()
    );
    let ready_text = manager.first_text("READY=1").unwrap();
    assert!(
        ready_text.contains("STATUS=1 virtual services, 0 of 2 real servers up"),
        "{ready_text}"
    );

    // The real servers come up: the status line says so.
    let _webs: Vec<Web> = (0..2)
        .map(|i| {
            Web::start(
                &bed.reals[i],
                SocketAddr::new("0.0.0.0".parse().unwrap(), 8000),
                "OK",
            )
        })
        .collect();
    assert!(
        manager.wait_status(
            "1 virtual services, 2 of 2 real servers up",
            Duration::from_secs(10)
        ),
        "{:?}\n{}",
        manager.statuses(),
        bed.director_log()
    );

    // The watchdog: every 200 ms.
    let window = Duration::from_secs(2);
    let began = Instant::now();
    std::thread::sleep(window);
    let watchdogs = manager.watchdogs(began, Instant::now());

    // SIGHUP: RELOADING=1, then READY=1 again.
    manager.clear();
    bed.signal_director(Signal::SIGHUP);
    bed.wait_until("READY=1 after the reload", Duration::from_secs(10), || {
        manager.first("READY=1").is_some()
    });
    let reload = manager.lines();
    let reloading = reload.iter().position(|l| l == "RELOADING=1");
    let ready_again = reload.iter().position(|l| l == "READY=1");
    assert!(reloading.is_some() && reloading < ready_again, "{reload:?}");
    assert!(
        reload.iter().any(|l| l
            .strip_prefix("MONOTONIC_USEC=")
            .is_some_and(|usec| usec.parse::<u64>().is_ok_and(|u| u > 0))),
        "{reload:?}"
    );

    // SIGTERM: STOPPING=1.
    assert_eq!(bed.stop_director(), Some(0), "{}", bed.director_log());
    assert!(
        manager.first("STOPPING=1").is_some(),
        "{:?}",
        manager.lines()
    );

    report(&format!(
        "READY=1 {} ms after the start; {} WATCHDOG=1 in {} s at WATCHDOG_USEC=400000 \
         (gaps ms {:?}); after SIGHUP {reload:?}",
        ready.as_millis(),
        watchdogs.len(),
        window.as_secs(),
        watchdogs
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect::<Vec<_>>()
    ));
    assert!(
        (8..=11).contains(&watchdogs.len()),
        "{} WATCHDOG=1 in 2 s",
        watchdogs.len()
    );
}

//! The scheduler with real checks against real listeners in a lab host:
//! failurecount and recovery as a listener goes away and comes back,
//! check intervals, first phases spread over the interval, forced
//! maintenance, on/off, job replacement, and a thousand checks of a hung
//! server finishing within about one timeout.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{spec, Bed};
use ha_checks::check::{CheckSpec, CheckType, Service};
use ha_checks::scheduler::{
    raise_fd_limit, Change, Health, Job, Scheduler, SchedulerOptions, Transition,
};
use tokio::sync::mpsc::UnboundedReceiver;

fn connect_spec(port: u16, timeout: Duration) -> CheckSpec {
    let mut s = spec(
        Service::None,
        format!("127.0.0.1:{port}").parse().unwrap(),
        timeout,
    );
    s.check_type = CheckType::Connect;
    s
}

fn exact() -> SchedulerOptions {
    SchedulerOptions {
        jitter: 0.0,
        spread_first: false,
        ..SchedulerOptions::default()
    }
}

async fn next_change<K>(
    changes: &mut UnboundedReceiver<Transition<K>>,
    within: Duration,
) -> Transition<K> {
    tokio::time::timeout(within, changes.recv())
        .await
        .expect("a health change in time")
        .expect("the scheduler is alive")
}

async fn bind(port: u16) -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap()
}

#[test]
fn failurecount_consecutive_failures_take_a_server_down_and_one_success_brings_it_back() {
    let bed = Bed::new("schedfail");
    bed.on_director(|| async {
        let interval = Duration::from_millis(200);
        let listener = bind(7001).await;
        let (mut scheduler, mut changes) = Scheduler::new(exact());
        scheduler.upsert(Job::new(
            "web",
            connect_spec(7001, Duration::from_millis(500)),
            interval,
            3,
        ));
        let up = next_change(&mut changes, Duration::from_secs(1)).await;
        assert_eq!((up.key, up.health, up.failures), ("web", Health::Up, 0));

        // Ten rounds at 200 ms: about ten checks in two seconds.
        let before = scheduler.status(&"web").unwrap().checks;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rounds = scheduler.status(&"web").unwrap().checks - before;
        assert!(
            (9..=11).contains(&rounds),
            "{rounds} checks in 2 s at 200 ms"
        );

        drop(listener);
        let stopped = Instant::now();
        let down = next_change(&mut changes, Duration::from_secs(2)).await;
        let took = stopped.elapsed();
        assert_eq!((down.health, down.failures), (Health::Down, 3));
        assert!(
            down.outcome.detail.contains("refused"),
            "{:?}",
            down.outcome
        );
        // Three failed rounds: the first within one interval, two more after it.
        assert!(
            took >= interval * 2 && took <= interval * 3 + Duration::from_millis(150),
            "{took:?}"
        );
        let status = scheduler.status(&"web").unwrap();
        assert_eq!((status.health, status.failures), (Health::Down, 3));
        assert!(!status.last.unwrap().healthy);

        let _listener = bind(7001).await;
        let back = next_change(&mut changes, interval * 2).await;
        assert_eq!((back.health, back.failures), (Health::Up, 0));
        assert_eq!(scheduler.status(&"web").unwrap().failures, 0);
    });
}

#[test]
fn first_checks_are_spread_over_the_interval() {
    let bed = Bed::new("schedspread");
    let arrivals = bed.on_director(|| async {
        let listener = bind(7002).await;
        let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let seen = Arc::clone(&arrivals);
        tokio::spawn(async move {
            while let Ok(_connection) = listener.accept().await {
                seen.lock().unwrap().push(Instant::now());
            }
        });
        let (mut scheduler, _changes) = Scheduler::new(SchedulerOptions::default());
        let interval = Duration::from_secs(1);
        let start = Instant::now();
        for i in 0..300 {
            scheduler.upsert(Job::new(
                i,
                connect_spec(7002, Duration::from_millis(500)),
                interval,
                1,
            ));
        }
        tokio::time::sleep(Duration::from_millis(990)).await;
        let arrivals: Vec<Duration> = arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|t| *t - start)
            .collect();
        arrivals
    });
    assert!(
        arrivals.len() >= 280,
        "{} of 300 first checks within the interval",
        arrivals.len()
    );
    let mut buckets = [0usize; 10];
    for at in &arrivals {
        buckets[(at.as_millis() as usize / 100).min(9)] += 1;
    }
    // Uniform phases put about 30 in each tenth of the interval; a burst would not.
    assert!(
        buckets.iter().all(|&n| (10..=60).contains(&n)),
        "{buckets:?}"
    );
}

#[test]
fn maintenance_forces_down_at_once_and_on_off_need_no_server() {
    let bed = Bed::new("schedmaint");
    let dir = std::env::temp_dir().join(format!("ha-checks-maint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("127.0.0.1:7003");
    bed.on_director(|| async {
        let _listener = bind(7003).await;
        let (mut scheduler, mut changes) = Scheduler::new(exact());
        let interval = Duration::from_millis(100);
        let mut job = Job::new(
            "real",
            connect_spec(7003, Duration::from_millis(500)),
            interval,
            5,
        );
        job.maintenance = ha_checks::scheduler::maintenance_files(&dir, "127.0.0.1", 7003);
        scheduler.upsert(job);
        assert_eq!(
            next_change(&mut changes, Duration::from_secs(1))
                .await
                .health,
            Health::Up
        );
        std::fs::write(&file, "").unwrap();
        let down = next_change(&mut changes, interval * 3).await;
        assert_eq!((down.health, down.failures), (Health::Down, 1));
        assert!(
            down.outcome.detail.contains("maintenance"),
            "{:?}",
            down.outcome
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            next_change(&mut changes, interval * 3).await.health,
            Health::Up
        );

        let mut on = connect_spec(1, Duration::from_millis(100));
        on.check_type = CheckType::On;
        let mut off = on.clone();
        off.check_type = CheckType::Off;
        scheduler.upsert(Job::new("on", on, interval, 1));
        scheduler.upsert(Job::new("off", off, interval, 1));
        let mut seen = [
            next_change(&mut changes, Duration::from_secs(1)).await,
            next_change(&mut changes, Duration::from_secs(1)).await,
        ];
        seen.sort_by_key(|t| t.key);
        assert_eq!((seen[0].key, seen[0].health), ("off", Health::Down));
        assert_eq!((seen[1].key, seen[1].health), ("on", Health::Up));
        tokio::time::sleep(interval * 3).await;
        assert_eq!(scheduler.status(&"on").unwrap().checks, 1);
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replacing_a_job_keeps_its_health_and_removing_stops_it() {
    let bed = Bed::new("schedupsert");
    bed.on_director(|| async {
        let _listener = bind(7004).await;
        let (mut scheduler, mut changes) = Scheduler::new(exact());
        let interval = Duration::from_millis(100);
        let job = Job::new(
            "a",
            connect_spec(7004, Duration::from_millis(500)),
            interval,
            1,
        );
        assert_eq!(scheduler.upsert(job.clone()), Change::Added);
        assert_eq!(
            next_change(&mut changes, Duration::from_secs(1))
                .await
                .health,
            Health::Up
        );
        assert_eq!(scheduler.upsert(job.clone()), Change::Unchanged);
        let mut slower = job.clone();
        slower.interval = interval * 2;
        assert_eq!(scheduler.upsert(slower), Change::Replaced);
        assert_eq!(scheduler.status(&"a").unwrap().health, Health::Up);
        tokio::time::sleep(interval * 3).await;
        // Still up: no new change was announced for the replaced job.
        assert!(changes.try_recv().is_err());
        assert!(scheduler.remove(&"a"));
        assert!(!scheduler.remove(&"a"));
        assert!(scheduler.status(&"a").is_none());
    });
}

#[test]
fn a_thousand_checks_of_a_hung_server_end_within_about_one_timeout() {
    raise_fd_limit().unwrap();
    let bed = Bed::new("schedhung");
    let (took, downs) = bed.on_director(|| async {
        // Accepts every connection and never says a word.
        let listener = bind(7005).await;
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((connection, _)) = listener.accept().await {
                held.push(connection);
            }
        });
        let timeout = Duration::from_secs(1);
        let (mut scheduler, mut changes) = Scheduler::new(exact());
        let start = Instant::now();
        for i in 0..1000u32 {
            let mut s = spec(Service::Http, "127.0.0.1:7005".parse().unwrap(), timeout);
            s.check_type = CheckType::Negotiate;
            scheduler.upsert(Job::new(i, s, Duration::from_secs(10), 1));
        }
        let mut downs = 0;
        while downs < 1000 {
            let change = next_change(&mut changes, Duration::from_secs(5)).await;
            assert_eq!(change.health, Health::Down);
            assert!(
                change.outcome.detail.contains("no verdict within 1s"),
                "{:?}",
                change.outcome
            );
            downs += 1;
        }
        (start.elapsed(), downs)
    });
    assert_eq!(downs, 1000);
    assert!(
        took < Duration::from_millis(2500),
        "1000 hung checks took {took:?}"
    );
}

#[test]
fn a_combined_check_negotiates_after_every_n_connects() {
    let bed = Bed::new("schedcombined");
    let (connections, requests) = bed.on_director(|| async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = bind(7006).await;
        let counts: Arc<Mutex<(u32, u32)>> = Arc::default();
        let seen = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((mut connection, _)) = listener.accept().await {
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    seen.lock().unwrap().0 += 1;
                    let mut buffer = [0u8; 1024];
                    if let Ok(n) = connection.read(&mut buffer).await {
                        if buffer[..n].starts_with(b"GET / ") {
                            seen.lock().unwrap().1 += 1;
                            let _ = connection
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                                .await;
                        }
                    }
                });
            }
        });
        let (mut scheduler, _changes) = Scheduler::new(exact());
        let mut s = spec(Service::Http, "127.0.0.1:7006".parse().unwrap(), Duration::from_millis(500));
        s.check_type = CheckType::Combined(2);
        scheduler.upsert(Job::new("c", s, Duration::from_millis(100), 1));
        // Rounds at 0, 100, ... 1100 ms: negotiate, connect, connect, negotiate...
        tokio::time::sleep(Duration::from_millis(1150)).await;
        assert_eq!(scheduler.status(&"c").unwrap().health, Health::Up);
        drop(scheduler);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let counts = *counts.lock().unwrap();
        counts
    });
    assert!((11..=13).contains(&connections), "{connections} rounds");
    assert_eq!(
        requests,
        connections.div_ceil(3),
        "{requests} negotiations in {connections} rounds"
    );
}

//! The state machine on a simulated link under a fake clock: every advert
//! goes through the codec and reaches every other running router at the
//! instant it is sent, unless the link is cut.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::*;
use crate::packet::{decode, Checksum, Family, MULTICAST_V4};

fn addr(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

fn config(priority: u8, last: u8, version: Version) -> Config {
    Config {
        name: "VI_1".into(),
        vrid: 51,
        version,
        family: Family::Ipv4,
        priority,
        advert_interval: Duration::from_secs(1),
        start: StartState::Backup,
        preempt: true,
        preempt_delay: Duration::ZERO,
        accept: true,
        auth: if version == Version::V2 {
            Auth::pass(b"1111")
        } else {
            Auth::None
        },
        addresses: vec![addr(100)],
        excluded: vec![],
        primary_address: addr(last),
        unicast: false,
    }
}

/// Routers on one simulated link.
struct Link {
    start: Instant,
    now: Instant,
    routers: Vec<Option<Instance>>,
    connected: bool,
    /// (time since start, router, new state).
    changes: Vec<(Duration, usize, State)>,
    /// (time since start, router, priority) of every advert sent.
    sent: Vec<(Duration, usize, u8)>,
}

impl Link {
    fn new() -> Link {
        let start = Instant::now();
        Link {
            start,
            now: start,
            routers: Vec::new(),
            connected: true,
            changes: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn add(&mut self, config: Config) -> usize {
        self.routers.push(Some(Instance::new(config, self.now)));
        let i = self.routers.len() - 1;
        self.drain(i);
        i
    }

    fn at(&self) -> Duration {
        self.now - self.start
    }

    fn state(&self, i: usize) -> Option<State> {
        self.routers[i].as_ref().map(Instance::state)
    }

    fn masters(&self) -> usize {
        (0..self.routers.len())
            .filter(|i| self.state(*i) == Some(State::Master))
            .count()
    }

    /// Runs every timer due up to `until` (from the start).
    fn run_until(&mut self, until: Duration) {
        let until = self.start + until;
        loop {
            let next = self
                .routers
                .iter()
                .flatten()
                .filter_map(Instance::poll_timeout)
                .min();
            match next {
                Some(next) if next <= until => {
                    self.now = self.now.max(next);
                    for i in 0..self.routers.len() {
                        let due = self.routers[i]
                            .as_ref()
                            .and_then(Instance::poll_timeout)
                            .is_some_and(|t| t <= self.now);
                        if due {
                            if let Some(r) = self.routers[i].as_mut() {
                                r.handle_timeout(self.now);
                            }
                            self.drain(i);
                        }
                    }
                }
                _ => break,
            }
        }
        self.now = until;
    }

    /// Carries out a router's outputs, delivering adverts to the others.
    fn drain(&mut self, first: usize) {
        let mut queue = VecDeque::from([first]);
        while let Some(i) = queue.pop_front() {
            while let Some(output) = self.routers[i].as_mut().and_then(Instance::poll_output) {
                match output {
                    Output::StateChanged { to, .. } => self.changes.push((self.at(), i, to)),
                    Output::SendAdvert(advert) => {
                        self.sent.push((self.at(), i, advert.priority));
                        if !self.connected {
                            continue;
                        }
                        let Some(source) =
                            self.routers[i].as_ref().map(|r| r.config().primary_address)
                        else {
                            continue;
                        };
                        let mode = Checksum::PseudoHeader {
                            source,
                            destination: IpAddr::V4(MULTICAST_V4),
                        };
                        let bytes = advert.encode(&mode).expect("encodes");
                        let advert = decode(&bytes, Family::Ipv4, &mode).expect("decodes");
                        let received = Received {
                            source,
                            ttl: 255,
                            advert,
                        };
                        for j in 0..self.routers.len() {
                            if j == i {
                                continue;
                            }
                            if let Some(r) = self.routers[j].as_mut() {
                                let _ = r.handle_advert(self.now, &received);
                                queue.push_back(j);
                            }
                        }
                    }
                    Output::AddAddresses { .. } | Output::RemoveAddresses(_) => {}
                }
            }
        }
    }

    fn crash(&mut self, i: usize) {
        self.routers[i] = None;
    }

    fn last_change(&self, i: usize, to: State) -> Option<Duration> {
        self.changes
            .iter()
            .rev()
            .find(|(_, r, s)| *r == i && *s == to)
            .map(|(t, _, _)| *t)
    }
}

#[test]
fn crash_of_the_master_fails_over_at_the_master_down_interval() {
    for version in [Version::V2, Version::V3] {
        let mut link = Link::new();
        let mut a = config(100, 1, version);
        a.start = StartState::Master;
        let a = link.add(a);
        let b = link.add(config(99, 2, version));
        link.run_until(Duration::from_secs(10));
        assert_eq!(link.state(a), Some(State::Master));
        assert_eq!(link.state(b), Some(State::Backup));
        // A started MASTER: master after one interval and the least skew.
        let a_master = link.last_change(a, State::Master).expect("a became master");
        assert_eq!(
            a_master,
            timers::start_as_master_wait(version, Duration::from_secs(1))
        );
        let last_advert = link
            .sent
            .iter()
            .rev()
            .find(|s| s.1 == a)
            .expect("a advertised")
            .0;
        link.crash(a);
        link.run_until(Duration::from_secs(20));
        let took_over = link.last_change(b, State::Master).expect("b took over");
        let down = timers::master_down_interval(version, 99, Duration::from_secs(1));
        assert_eq!(took_over - last_advert, down, "{version:?}");
        assert_eq!(
            down,
            Duration::from_micros(3_613_281) + Duration::from_nanos(250)
        );
    }
}

#[test]
fn a_higher_priority_backup_preempts_a_lower_master() {
    let mut link = Link::new();
    let b = link.add(config(99, 2, Version::V3));
    link.run_until(Duration::from_secs(10));
    assert_eq!(link.state(b), Some(State::Master));
    let joined = link.at();
    let a = link.add(config(100, 1, Version::V3));
    link.run_until(Duration::from_secs(30));
    assert_eq!(link.state(a), Some(State::Master));
    assert_eq!(link.state(b), Some(State::Backup));
    // A ignored B's lower adverts, so its first master-down timer ran out.
    let took = link.last_change(a, State::Master).expect("a master");
    assert_eq!(
        took - joined,
        timers::master_down_interval(Version::V3, 100, Duration::from_secs(1))
    );
    // B yielded on A's first advert, at the same instant.
    assert_eq!(link.last_change(b, State::Backup), Some(took));
}

#[test]
fn nopreempt_leaves_the_lower_master_in_place() {
    let mut link = Link::new();
    let b = link.add(config(99, 2, Version::V3));
    link.run_until(Duration::from_secs(10));
    let mut a = config(100, 1, Version::V3);
    a.preempt = false;
    let a = link.add(a);
    link.run_until(Duration::from_secs(120));
    assert_eq!(link.state(a), Some(State::Backup));
    assert_eq!(link.state(b), Some(State::Master));
    // ...and takes over when that master goes.
    link.crash(b);
    link.run_until(Duration::from_secs(130));
    assert_eq!(link.state(a), Some(State::Master));
}

#[test]
fn preempt_delay_holds_a_preemption_back() {
    let mut link = Link::new();
    let b = link.add(config(99, 2, Version::V3));
    link.run_until(Duration::from_secs(10));
    let joined = link.at();
    let mut a = config(100, 1, Version::V3);
    a.preempt_delay = Duration::from_secs(15);
    let a = link.add(a);
    link.run_until(Duration::from_secs(60));
    assert_eq!(link.state(a), Some(State::Master));
    assert_eq!(link.state(b), Some(State::Backup));
    let after = link.last_change(a, State::Master).expect("a master") - joined;
    let down = timers::master_down_interval(Version::V3, 100, Duration::from_secs(1));
    assert!(after >= Duration::from_secs(15), "{after:?}");
    assert!(after <= Duration::from_secs(16) + down, "{after:?}");
}

#[test]
fn split_brain_heals_to_one_master_within_one_advert_interval() {
    for (pa, pb) in [(100, 99), (100, 100)] {
        let mut link = Link::new();
        link.connected = false;
        let a = link.add(config(pa, 1, Version::V3));
        let b = link.add(config(pb, 2, Version::V3));
        link.run_until(Duration::from_secs(10));
        assert_eq!(link.masters(), 2, "cut off, both are master");
        // Reconnected between two adverts.
        link.run_until(Duration::from_millis(10_300));
        link.connected = true;
        let healed_at = link.at();
        link.run_until(healed_at + Duration::from_secs(1));
        assert_eq!(link.masters(), 1, "priorities {pa}/{pb}");
        // The winner: the higher priority, or on a tie the higher address
        // (A is 10.0.0.1, B 10.0.0.2).
        let (winner, loser) = if pa > pb { (a, b) } else { (b, a) };
        assert_eq!(link.state(winner), Some(State::Master));
        let yielded = link
            .last_change(loser, State::Backup)
            .expect("the loser yielded");
        assert!(yielded > healed_at && yielded <= healed_at + Duration::from_secs(1));
        link.run_until(healed_at + Duration::from_secs(30));
        assert_eq!(link.masters(), 1);
    }
}

#[test]
fn equal_priorities_elect_the_higher_primary_address() {
    let mut link = Link::new();
    link.connected = false;
    let low = link.add(config(100, 1, Version::V3));
    let high = link.add(config(100, 9, Version::V3));
    link.run_until(Duration::from_secs(5));
    link.connected = true;
    link.run_until(Duration::from_secs(10));
    assert_eq!(link.state(high), Some(State::Master));
    assert_eq!(link.state(low), Some(State::Backup));
}

#[test]
fn a_master_shutting_down_hands_over_after_the_skew_time() {
    let mut link = Link::new();
    let a = link.add(config(200, 1, Version::V3));
    let b = link.add(config(100, 2, Version::V3));
    link.run_until(Duration::from_secs(10));
    assert_eq!(link.state(a), Some(State::Master));
    let stopped = link.at();
    link.routers[a].as_mut().expect("a").shutdown(link.now);
    link.drain(a);
    assert_eq!(link.sent.last().map(|s| (s.1, s.2)), Some((a, 0)));
    assert_eq!(link.state(a), Some(State::Initialize));
    link.run_until(Duration::from_secs(12));
    let took = link.last_change(b, State::Master).expect("b master");
    assert_eq!(
        took - stopped,
        timers::skew_time(Version::V3, 100, Duration::from_secs(1))
    );
    let stats = link.routers[b].as_ref().expect("b").stats();
    assert_eq!(stats.priority_zero_received, 1);
}

#[test]
fn the_owner_starting_as_master_takes_over_at_once() {
    let mut link = Link::new();
    let mut owner = config(255, 1, Version::V2);
    owner.start = StartState::Master;
    let owner = link.add(owner);
    assert_eq!(link.state(owner), Some(State::Master));
    assert_eq!(link.changes, [(Duration::ZERO, owner, State::Master)]);
    let mut outputs = Instance::new(
        {
            let mut c = config(255, 1, Version::V2);
            c.start = StartState::Master;
            c.excluded = vec![addr(101)];
            c
        },
        Instant::now(),
    );
    let first: Vec<Output> = std::iter::from_fn(|| outputs.poll_output()).collect();
    assert!(matches!(first[0], Output::SendAdvert(ref a) if a.priority == 255));
    assert_eq!(
        first[1],
        Output::AddAddresses {
            addresses: vec![addr(100), addr(101)],
            accept: true
        }
    );
}

#[test]
fn adverts_are_dropped_and_counted_by_cause() {
    let now = Instant::now();
    let mut backup = Instance::new(config(100, 1, Version::V2), now);
    while backup.poll_output().is_some() {}
    let good = Received {
        source: addr(2),
        ttl: 255,
        advert: Instance::new(config(150, 2, Version::V2), now).advert(150),
    };
    assert_eq!(backup.handle_advert(now, &good), Ok(()));
    let mut ttl = good.clone();
    ttl.ttl = 254;
    assert_eq!(backup.handle_advert(now, &ttl), Err(Dropped::Ttl(254)));
    let mut password = good.clone();
    password.advert.auth = Auth::pass(b"2222");
    assert_eq!(
        backup.handle_advert(now, &password),
        Err(Dropped::AuthFailure)
    );
    let mut none = good.clone();
    none.advert.auth = Auth::None;
    assert_eq!(backup.handle_advert(now, &none), Err(Dropped::AuthType));
    let mut list = good.clone();
    list.advert.addresses = Addresses::V4(vec![Ipv4Addr::new(10, 0, 0, 200)]);
    assert_eq!(backup.handle_advert(now, &list), Err(Dropped::AddressList));
    let mut interval = good.clone();
    interval.advert.interval = 2;
    assert_eq!(backup.handle_advert(now, &interval), Err(Dropped::Interval));
    let mut version = good.clone();
    version.advert.version = Version::V3;
    assert_eq!(backup.handle_advert(now, &version), Err(Dropped::Version));
    let mut vrid = good.clone();
    vrid.advert.vrid = 52;
    assert_eq!(backup.handle_advert(now, &vrid), Err(Dropped::OtherVrid));
    let stats = backup.stats();
    assert_eq!(
        (
            stats.adverts_received,
            stats.ttl_errors,
            stats.auth_failures,
            stats.auth_type_mismatches,
            stats.address_list_errors,
            stats.interval_errors,
            stats.version_errors
        ),
        (1, 1, 1, 1, 1, 1, 1)
    );
    // Unicast adverts are not held to TTL 255.
    let mut unicast = config(100, 1, Version::V2);
    unicast.unicast = true;
    let mut unicast = Instance::new(unicast, now);
    assert_eq!(unicast.handle_advert(now, &ttl), Ok(()));
}

#[test]
fn v3_backups_take_the_masters_interval() {
    let mut link = Link::new();
    let mut fast = config(200, 1, Version::V3);
    fast.advert_interval = Duration::from_millis(100);
    let fast = link.add(fast);
    let slow = link.add(config(100, 2, Version::V3));
    link.run_until(Duration::from_secs(5));
    assert_eq!(link.state(fast), Some(State::Master));
    let backup = link.routers[slow].as_ref().expect("slow");
    assert_eq!(backup.master_interval(), Duration::from_millis(100));
    let heard = link
        .sent
        .iter()
        .rev()
        .find(|s| s.1 == fast)
        .expect("sent")
        .0;
    link.crash(fast);
    link.run_until(Duration::from_secs(10));
    let took = link.last_change(slow, State::Master).expect("took over");
    assert_eq!(
        took - heard,
        timers::master_down_interval(Version::V3, 100, Duration::from_millis(100))
    );
}

#[test]
fn the_seed_004_pair_elects_its_master_and_fails_over() {
    let load = |text: &str, last: u8| {
        let conf = crate::config::parse_with(
            &ha_conf::Source::new("keepalived.conf", text),
            &mut crate::config::NoIncludes,
        )
        .expect("seed parses");
        Config::from_conf(&conf.instances[0], &conf.global, addr(last))
    };
    let master = load(include_str!("../config/testdata/seed004_master.conf"), 105);
    let backup = load(include_str!("../config/testdata/seed004_backup.conf"), 106);
    assert_eq!(master.auth, Auth::pass(b"1111"));
    assert_eq!(master.version, Version::V2);
    let mut link = Link::new();
    // The seed's VIP is 192.168.1.100: both sides advertise the same list.
    let m = link.add(master);
    let b = link.add(backup);
    link.run_until(Duration::from_secs(10));
    assert_eq!(link.state(m), Some(State::Master));
    assert_eq!(link.state(b), Some(State::Backup));
    let stats = link.routers[b].as_ref().expect("backup").stats();
    assert!(stats.adverts_received >= 8, "{stats:?}");
    assert_eq!(stats.auth_failures + stats.address_list_errors, 0);
    link.crash(m);
    link.run_until(Duration::from_secs(20));
    assert_eq!(link.state(b), Some(State::Master));
}

#[test]
fn a_master_whose_priority_drops_below_a_backup_is_preempted_at_once() {
    let mut link = Link::new();
    let a = link.add(config(120, 1, Version::V3));
    let b = link.add(config(100, 2, Version::V3));
    link.run_until(Duration::from_secs(10));
    assert_eq!(link.state(a), Some(State::Master));
    let dropped = link.at();
    link.routers[a]
        .as_mut()
        .expect("a")
        .set_priority(link.now, 90);
    link.drain(a);
    link.run_until(Duration::from_secs(20));
    assert_eq!(link.state(b), Some(State::Master));
    assert_eq!(link.state(a), Some(State::Backup));
    // B ignores the lower advert and preempts when its timer runs out.
    let took = link.last_change(b, State::Master).expect("b master") - dropped;
    assert!(took <= timers::master_down_interval(Version::V3, 100, Duration::from_secs(1)));
}

#[test]
fn of_two_owners_one_steps_down_to_254() {
    let mut link = Link::new();
    link.connected = false;
    let mut a = config(255, 1, Version::V3);
    a.start = StartState::Master;
    let mut b = config(255, 2, Version::V3);
    b.start = StartState::Master;
    let a = link.add(a);
    let b = link.add(b);
    assert_eq!(link.masters(), 2);
    link.connected = true;
    link.run_until(Duration::from_secs(5));
    assert_eq!(link.masters(), 1);
    let priorities: Vec<u8> = [a, b]
        .iter()
        .map(|i| link.routers[*i].as_ref().expect("running").priority())
        .collect();
    assert!(
        priorities.contains(&254) && priorities.contains(&255),
        "{priorities:?}"
    );
}

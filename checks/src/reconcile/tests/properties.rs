//! Properties of the reconciler over random configurations, health and
//! kernel tables (services of ours, retired ones and foreign ones; real
//! servers up, down, unknown, missing, stray, mis-weighted, reported as
//! Local): every change of a plan is accepted by the table model, applying
//! the plan yields the desired table, services not ours are untouched, and
//! a second pass over the result finds nothing to do.

use std::collections::BTreeMap;

use ha_ipvs::{AddressFamily, Destination, Forwarding, Protocol, Service, ServiceKey, Tunnel};
use proptest::prelude::*;

use super::super::*;
use super::{address, ip, VIP};

/// Service keys the cases draw from: slots 0–3 and 5 may be configured or
/// retired; slot 4 is never ours.
pub(super) fn slot_key(slot: usize) -> ServiceKey {
    match slot {
        0 => address(Protocol::Tcp, VIP, 80),
        1 => address(Protocol::Tcp, VIP, 443),
        2 => address(Protocol::Udp, VIP, 53),
        3 => ServiceKey::FirewallMark {
            af: AddressFamily::Inet,
            mark: 1,
        },
        4 => address(Protocol::Tcp, "198.51.100.1", 80),
        _ => address(Protocol::Tcp, VIP, 25),
    }
}

pub(super) const FOREIGN_SLOT: usize = 4;

fn forwarding(code: u8) -> Forwarding {
    match code % 4 {
        0 => Forwarding::DirectRoute,
        1 => Forwarding::Masquerade,
        2 => Forwarding::Tunnel(Tunnel::IPIP),
        _ => Forwarding::Local,
    }
}

/// A destination from small numbers: address 10.0.0.N (0 is 127.0.0.1).
fn dest(addr: u8, port_alt: bool, fwd: u8, weight: u32) -> Destination {
    let addr = if addr == 0 {
        ip("127.0.0.1")
    } else {
        ip(&format!("10.0.0.{addr}"))
    };
    Destination {
        forwarding: forwarding(fwd),
        weight,
        ..Destination::new(addr, if port_alt { 8080 } else { 80 })
    }
}

fn service(slot: usize, rr: bool) -> Service {
    Service::new(slot_key(slot), if rr { "rr" } else { "wlc" })
}

type RawDest = (u8, bool, u8, u32);

fn raw_dest(max_addr: u8, fwd_codes: u8) -> impl Strategy<Value = RawDest> {
    (0..=max_addr, any::<bool>(), 0..fwd_codes, 0u32..4)
}

#[derive(Debug, Clone)]
struct RawVirtual {
    rr: bool,
    reals: Vec<RawDest>,
    fallback: Option<RawDest>,
    quiescent: bool,
    cleanstop: bool,
}

fn raw_virtual() -> impl Strategy<Value = RawVirtual> {
    (
        any::<bool>(),
        prop::collection::vec(raw_dest(4, 3), 0..5),
        prop::option::of(raw_dest(4, 3)),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(rr, reals, fallback, quiescent, cleanstop)| RawVirtual {
            rr,
            reals,
            fallback,
            quiescent,
            cleanstop,
        })
}

/// One generated situation: the configuration, the health of its real
/// servers, the kernel's table, and services retired from the file.
#[derive(Debug, Clone)]
pub(super) struct Case {
    pub(super) spec: DirectorSpec,
    pub(super) health: BTreeMap<RealKey, Health>,
    pub(super) current: Table,
    pub(super) retired: Vec<ServiceKey>,
}

fn build_case(
    readd: bool,
    virtuals: BTreeMap<usize, RawVirtual>,
    health_codes: Vec<u8>,
    kernel: BTreeMap<usize, (bool, Vec<RawDest>)>,
    retired: Vec<usize>,
) -> Case {
    let mut spec = DirectorSpec::new(readd);
    let mut health = BTreeMap::new();
    let mut codes = health_codes.iter().cycle();
    for (slot, raw) in virtuals {
        let mut v = VirtualSpec::new(service(slot, raw.rr));
        v.quiescent = raw.quiescent;
        v.cleanstop = raw.cleanstop;
        for (a, p, f, w) in raw.reals {
            // Real lines the kernel would confuse are refused: skip them.
            if v.add_real(dest(a, p, f, w)).is_ok() {
                let real = v.reals().last().map(Destination::key);
                if let (Some(real), Some(code)) = (real, codes.next()) {
                    let h = match code % 3 {
                        0 => Health::Up,
                        1 => Health::Down,
                        _ => Health::Unknown,
                    };
                    health.insert(
                        RealKey {
                            service: v.key(),
                            real,
                        },
                        h,
                    );
                }
            }
        }
        if let Some((a, p, f, w)) = raw.fallback {
            v.set_fallback(dest(a, p, f, w));
        }
        spec.push(v).expect("slots are distinct");
    }
    let mut current = Table::new();
    for (slot, (rr, dests)) in kernel {
        let mut entry = TableService::new(service(slot, rr));
        for (a, p, f, w) in dests {
            let d = dest(a, p, f, w);
            entry.destinations.insert(d.key(), d);
        }
        current.insert(entry);
    }
    Case {
        spec,
        health,
        current,
        retired: retired.into_iter().map(slot_key).collect(),
    }
}

pub(super) fn case() -> impl Strategy<Value = Case> {
    let ours = prop::sample::select(vec![0usize, 1, 2, 3, 5]);
    (
        any::<bool>(),
        prop::collection::btree_map(ours.clone(), raw_virtual(), 0..4),
        prop::collection::vec(0u8..3, 1..12),
        prop::collection::btree_map(
            0usize..6,
            (any::<bool>(), prop::collection::vec(raw_dest(5, 4), 0..6)),
            0..6,
        ),
        prop::collection::vec(ours, 0..3),
    )
        .prop_map(|(readd, virtuals, health, kernel, retired)| {
            build_case(readd, virtuals, health, kernel, retired)
        })
}

/// Whether `actual` holds what `wanted` asks for, service by service
/// (Local forwarding satisfying any, as in the kernel).
pub(super) fn satisfies(actual: &Table, wanted: &Table) -> Result<(), String> {
    let keys = |t: &Table| t.services().map(|s| s.service.key).collect::<Vec<_>>();
    if keys(actual) != keys(wanted) {
        return Err(format!("services {:?} != {:?}", keys(actual), keys(wanted)));
    }
    for want in wanted.services() {
        let have = actual.get(&want.service.key).ok_or("missing service")?;
        if have.service != want.service {
            return Err(format!("{:?} != {:?}", have.service, want.service));
        }
        let dkeys = |s: &TableService| s.destinations.keys().copied().collect::<Vec<_>>();
        if dkeys(have) != dkeys(want) {
            return Err(format!("reals {:?} != {:?}", dkeys(have), dkeys(want)));
        }
        for (key, d) in &want.destinations {
            let h = have.destinations.get(key).ok_or("missing real")?;
            if !destination_satisfies(h, d) {
                return Err(format!("{h:?} does not satisfy {d:?}"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn applying_a_plan_yields_the_desired_table(case in case()) {
        let Case { spec, health, current, retired } = case;
        let plan = reconcile(&spec, &health, &current, &retired);
        let mut table = current.clone();
        for change in &plan.changes {
            prop_assert!(table.apply(change).is_ok(), "{:?} refused by {:?}", change, table);
        }
        let desired = desired_table(&spec, &health, &current, &retired);
        prop_assert_eq!(satisfies(&table, &desired), Ok(()));
        // Whatever is not ours is exactly as it was.
        let foreign = slot_key(FOREIGN_SLOT);
        prop_assert_eq!(table.get(&foreign), current.get(&foreign));
        // Every configured service is there; every retired one that is no
        // longer configured is gone.
        for v in spec.virtuals() {
            prop_assert!(table.get(&v.key()).is_some());
        }
        for key in retired.iter().filter(|k| !spec.contains(k)) {
            prop_assert!(table.get(key).is_none());
        }
    }

    #[test]
    fn a_second_pass_changes_nothing(case in case()) {
        let Case { spec, health, current, retired } = case;
        let plan = reconcile(&spec, &health, &current, &retired);
        let mut table = current;
        for change in &plan.changes {
            prop_assert!(table.apply(change).is_ok());
        }
        let again = reconcile(&spec, &health, &table, &retired);
        prop_assert_eq!(again.changes, vec![]);
        prop_assert_eq!(again.virtuals, plan.virtuals);
    }

    #[test]
    fn reals_that_are_up_carry_their_weight_and_fallback_only_without_them(case in case()) {
        let Case { spec, health, current, retired } = case;
        let desired = desired_table(&spec, &health, &current, &retired);
        for v in spec.virtuals() {
            let held = desired.get(&v.key()).map(|s| &s.destinations);
            let held = held.cloned().unwrap_or_default();
            let mut any_up = false;
            for real in v.reals() {
                let key = RealKey { service: v.key(), real: real.key() };
                let at_fallback = v.fallback().is_some_and(|f| f.key() == real.key());
                match health.health(&key) {
                    Health::Up => {
                        any_up = true;
                        prop_assert_eq!(held.get(&real.key()), Some(real));
                    }
                    Health::Down if !v.quiescent && !at_fallback => {
                        prop_assert!(!held.contains_key(&real.key()));
                    }
                    Health::Down if !at_fallback => {
                        if let Some(d) = held.get(&real.key()) {
                            prop_assert_eq!(d.weight, 0);
                        }
                    }
                    _ => {}
                }
            }
            if let (true, Some(f)) = (any_up, v.fallback()) {
                let is_real = v.reals().iter().any(|r| r.key() == f.key());
                prop_assert!(is_real || !held.contains_key(&f.key()));
            }
        }
    }
}

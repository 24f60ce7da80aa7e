//! The reconciler's rules, one table fixture each, and properties over
//! random configurations, health and kernel tables: applying a plan yields
//! the desired table, and a second pass finds nothing to do — judged by the
//! table model on the host and by the kernel itself in the IPVS VM.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ha_ipvs::{Change, Destination, DestinationKey, Forwarding, Protocol, Service, ServiceKey};

use super::*;

mod from_config;
mod in_kernel;
mod properties;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn address(protocol: Protocol, addr: &str, port: u16) -> ServiceKey {
    ServiceKey::Address {
        protocol,
        addr: ip(addr),
        port,
    }
}

fn tcp(addr: &str, port: u16) -> ServiceKey {
    address(Protocol::Tcp, addr, port)
}

fn real(addr: &str, port: u16, weight: u32) -> Destination {
    Destination {
        weight,
        ..Destination::new(ip(addr), port)
    }
}

fn masq(addr: &str, port: u16, weight: u32) -> Destination {
    Destination {
        forwarding: Forwarding::Masquerade,
        ..real(addr, port, weight)
    }
}

fn dkey(addr: &str, port: u16) -> DestinationKey {
    DestinationKey {
        addr: ip(addr),
        port,
    }
}

const VIP: &str = "192.0.2.10";

/// The service on VIP:80 (wlc).
fn web_service() -> Service {
    Service::new(tcp(VIP, 80), "wlc")
}

/// A virtual service on VIP:80 (wlc) with the given reals.
fn web(reals: &[Destination]) -> VirtualSpec {
    let mut v = VirtualSpec::new(web_service());
    for r in reals {
        v.add_real(r.clone()).expect("distinct reals");
    }
    v
}

fn director(readd_quiescent: bool, virtuals: Vec<VirtualSpec>) -> DirectorSpec {
    let mut spec = DirectorSpec::new(readd_quiescent);
    for v in virtuals {
        spec.push(v).expect("distinct services");
    }
    spec
}

fn health(entries: &[(ServiceKey, DestinationKey, Health)]) -> BTreeMap<RealKey, Health> {
    entries
        .iter()
        .map(|(service, real, h)| {
            (
                RealKey {
                    service: *service,
                    real: *real,
                },
                *h,
            )
        })
        .collect()
}

/// The health of real servers on port 80 of the service on VIP:80.
fn web_health(entries: &[(&str, Health)]) -> BTreeMap<RealKey, Health> {
    let entries: Vec<_> = entries
        .iter()
        .map(|(addr, h)| (tcp(VIP, 80), dkey(addr, 80), *h))
        .collect();
    health(&entries)
}

/// A kernel table holding each service with its destinations.
fn kernel(services: &[(Service, Vec<Destination>)]) -> Table {
    let mut table = Table::new();
    for (service, dests) in services {
        let mut entry = TableService::new(service.clone());
        for d in dests {
            entry.destinations.insert(d.key(), d.clone());
        }
        table.insert(entry);
    }
    table
}

/// A kernel table holding the service on VIP:80 with `dests`.
fn web_kernel(dests: &[Destination]) -> Table {
    kernel(&[(web_service(), dests.to_vec())])
}

/// Applies every change of `plan` to `table`, each of which must succeed.
fn applied(mut table: Table, plan: &Plan) -> Table {
    for change in &plan.changes {
        table
            .apply(change)
            .unwrap_or_else(|e| panic!("{change:?} refused: {e}"));
    }
    table
}

#[test]
fn a_real_server_that_is_up_gets_its_weight() {
    let spec = director(false, vec![web(&[real("10.0.0.1", 80, 3)])]);
    let up = web_health(&[("10.0.0.1", Health::Up)]);
    let plan = reconcile(&spec, &up, &Table::new(), &[]);
    assert_eq!(
        plan.changes,
        vec![
            Change::AddService(web_service()),
            Change::AddDestination(tcp(VIP, 80), real("10.0.0.1", 80, 3)),
        ]
    );
    // Quiesced in the kernel, up again: its weight comes back by an edit.
    let quiesced = web_kernel(&[real("10.0.0.1", 80, 0)]);
    let plan = reconcile(&spec, &up, &quiesced, &[]);
    assert_eq!(
        plan.changes,
        vec![Change::EditDestination(
            tcp(VIP, 80),
            real("10.0.0.1", 80, 3)
        )]
    );
    assert_eq!(plan.virtuals[0].reals_up, 1);
    assert!(!plan.virtuals[0].fallback_active);
}

#[test]
fn a_real_server_that_is_down_is_removed_or_with_quiescent_kept_at_weight_0() {
    let cases = [
        (
            false,
            Change::DeleteDestination(tcp(VIP, 80), dkey("10.0.0.1", 80)),
        ),
        (
            true,
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.1", 80, 0)),
        ),
    ];
    for (quiescent, change) in cases {
        let reals = [real("10.0.0.1", 80, 5), real("10.0.0.2", 80, 1)];
        let mut v = web(&reals);
        v.quiescent = quiescent;
        let spec = director(false, vec![v]);
        let now = web_kernel(&reals);
        let h = web_health(&[("10.0.0.1", Health::Down), ("10.0.0.2", Health::Up)]);
        let plan = reconcile(&spec, &h, &now, &[]);
        assert_eq!(plan.changes, vec![change], "quiescent={quiescent}");
        // Once removed or at weight 0: nothing to write.
        let after = applied(now, &plan);
        assert_eq!(
            reconcile(&spec, &h, &after, &[]).changes,
            vec![],
            "quiescent={quiescent}"
        );
    }
}

#[test]
fn readdquiescent_decides_whether_a_removed_quiescent_server_comes_back() {
    // 10.0.0.1 is down and someone removed it from the kernel by hand.
    let now = web_kernel(&[real("10.0.0.2", 80, 1)]);
    let h = web_health(&[("10.0.0.1", Health::Down), ("10.0.0.2", Health::Up)]);
    let cases = [
        // readdquiescent=yes adds it back with weight 0.
        (
            true,
            vec![Change::AddDestination(
                tcp(VIP, 80),
                real("10.0.0.1", 80, 0),
            )],
        ),
        // readdquiescent=no leaves it out.
        (false, vec![]),
    ];
    for (readd, changes) in cases {
        let mut v = web(&[real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)]);
        v.quiescent = true;
        let spec = director(readd, vec![v]);
        assert_eq!(
            reconcile(&spec, &h, &now, &[]).changes,
            changes,
            "readdquiescent={readd}"
        );
    }
}

#[test]
fn unknown_servers_are_judged_by_the_kernel_table_as_ldirectord_does_at_start() {
    let mut v = web(&[
        real("10.0.0.1", 80, 2),
        real("10.0.0.2", 80, 2),
        real("10.0.0.3", 80, 2),
    ]);
    v.quiescent = true;
    let spec = director(false, vec![v]);
    // .1 held with a weight (taken as up, its weight restored), .2 held at 0
    // (down: stays at 0), .3 missing (down: added at 0 even without
    // readdquiescent, as ldirectord does at start-up).
    let now = web_kernel(&[real("10.0.0.1", 80, 7), real("10.0.0.2", 80, 0)]);
    let plan = reconcile(&spec, &NothingKnown, &now, &[]);
    assert_eq!(
        plan.changes,
        vec![
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.1", 80, 2)),
            Change::AddDestination(tcp(VIP, 80), real("10.0.0.3", 80, 0)),
        ]
    );
    assert_eq!(plan.virtuals[0].reals_up, 1);
    // Without quiescent, unknown servers the kernel does not carry stay out.
    let spec = director(
        false,
        vec![web(&[real("10.0.0.1", 80, 2), real("10.0.0.3", 80, 2)])],
    );
    let plan = reconcile(&spec, &NothingKnown, &now, &[]);
    assert_eq!(
        plan.changes,
        vec![
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.1", 80, 2)),
            Change::DeleteDestination(tcp(VIP, 80), dkey("10.0.0.2", 80)),
        ]
    );
}

#[test]
fn the_fallback_server_comes_in_when_every_real_is_down_and_leaves_when_one_returns() {
    let mut v = web(&[real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)]);
    v.set_fallback(real("127.0.0.1", 80, 9));
    v.quiescent = true;
    let spec = director(false, vec![v]);
    let both_up = web_kernel(&[real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)]);
    let all_down = web_health(&[("10.0.0.1", Health::Down), ("10.0.0.2", Health::Down)]);
    let plan = reconcile(&spec, &all_down, &both_up, &[]);
    assert_eq!(
        plan.changes,
        vec![
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.1", 80, 0)),
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.2", 80, 0)),
            // Weight 1 whatever the configuration line says, like ldirectord.
            Change::AddDestination(tcp(VIP, 80), real("127.0.0.1", 80, 1)),
        ]
    );
    assert!(plan.virtuals[0].fallback_active);
    let on_fallback = applied(both_up, &plan);
    let one_back = web_health(&[("10.0.0.1", Health::Down), ("10.0.0.2", Health::Up)]);
    let plan = reconcile(&spec, &one_back, &on_fallback, &[]);
    assert_eq!(
        plan.changes,
        vec![
            // The real server is back before the fallback leaves, and the
            // fallback is removed, not quiesced: quiescence is for real
            // servers only.
            Change::EditDestination(tcp(VIP, 80), real("10.0.0.2", 80, 1)),
            Change::DeleteDestination(tcp(VIP, 80), dkey("127.0.0.1", 80)),
        ]
    );
    assert!(!plan.virtuals[0].fallback_active);
}

#[test]
fn start_up_adopts_the_existing_table_and_writes_only_differences() {
    let spec = director(
        false,
        vec![web(&[real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)])],
    );
    let ours = web_service();
    let foreign = Service::new(tcp("198.51.100.1", 443), "rr");
    let now = kernel(&[
        (
            ours.clone(),
            vec![real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)],
        ),
        (foreign.clone(), vec![real("10.9.9.9", 443, 4)]),
    ]);
    let h = web_health(&[("10.0.0.1", Health::Up), ("10.0.0.2", Health::Up)]);
    assert_eq!(
        reconcile(&spec, &h, &now, &[]).changes,
        vec![],
        "a table that matches is not written, and a service not ours is not touched"
    );
    // A stray real server in one of our services is removed; the foreign
    // service is still not touched.
    let mut stray = now.clone();
    stray
        .apply(&Change::AddDestination(
            tcp(VIP, 80),
            real("10.0.0.99", 80, 1),
        ))
        .unwrap();
    assert_eq!(
        reconcile(&spec, &h, &stray, &[]).changes,
        vec![Change::DeleteDestination(
            tcp(VIP, 80),
            dkey("10.0.0.99", 80)
        )]
    );
}

#[test]
fn a_reload_applies_only_the_difference_between_the_configurations() {
    let kept = web(&[real("10.0.0.1", 80, 1)]);
    let mut edited = VirtualSpec::new(Service::new(tcp(VIP, 443), "wlc"));
    edited.add_real(real("10.0.0.1", 443, 1)).unwrap();
    let mut gone = VirtualSpec::new(Service::new(tcp(VIP, 25), "rr"));
    gone.add_real(real("10.0.0.5", 25, 1)).unwrap();
    let old = director(false, vec![kept.clone(), edited.clone(), gone.clone()]);
    let h = health(&[
        (tcp(VIP, 80), dkey("10.0.0.1", 80), Health::Up),
        (tcp(VIP, 443), dkey("10.0.0.1", 443), Health::Up),
        (tcp(VIP, 25), dkey("10.0.0.5", 25), Health::Up),
        (tcp(VIP, 53), dkey("10.0.0.6", 53), Health::Up),
    ]);
    let before = applied(Table::new(), &reconcile(&old, &h, &Table::new(), &[]));

    let mut edited_new = edited.clone();
    edited_new.service.scheduler = "rr".into();
    let mut added = VirtualSpec::new(Service::new(tcp(VIP, 53), "wlc"));
    added.add_real(real("10.0.0.6", 53, 1)).unwrap();
    let new = director(false, vec![kept, edited_new.clone(), added]);
    let retired: Vec<ServiceKey> = old.virtuals().iter().map(VirtualSpec::key).collect();
    let plan = reconcile(&new, &h, &before, &retired);
    assert_eq!(
        plan.changes,
        vec![
            Change::DeleteService(tcp(VIP, 25)),
            Change::EditService(edited_new.service.clone()),
            Change::AddService(Service::new(tcp(VIP, 53), "wlc")),
            Change::AddDestination(tcp(VIP, 53), real("10.0.0.6", 53, 1)),
        ],
        "the untouched service gets nothing; the edited one only its service line"
    );
    let after = applied(before.clone(), &plan);
    assert_eq!(after.get(&tcp(VIP, 80)), before.get(&tcp(VIP, 80)));
}

#[test]
fn cleanstop_decides_whether_stopping_removes_a_service() {
    let mut stays = VirtualSpec::new(Service::new(tcp(VIP, 443), "wlc"));
    stays.cleanstop = false;
    let spec = director(false, vec![web(&[]), stays]);
    let foreign = Service::new(tcp("198.51.100.1", 80), "rr");
    let now = kernel(&[
        (web_service(), vec![real("10.0.0.1", 80, 1)]),
        (Service::new(tcp(VIP, 443), "wlc"), vec![]),
        (foreign, vec![]),
    ]);
    assert_eq!(
        stop_changes(&spec, &now),
        vec![Change::DeleteService(tcp(VIP, 80))]
    );
    assert_eq!(stop_changes(&spec, &Table::new()), vec![]);
}

#[test]
fn direct_routed_reals_take_the_virtual_port_and_masqueraded_ones_keep_theirs() {
    let mut v = web(&[]);
    v.add_real(real("10.0.0.1", 8080, 1)).unwrap();
    v.add_real(masq("10.0.0.2", 8080, 1)).unwrap();
    assert_eq!(
        v.reals().iter().map(|r| r.port).collect::<Vec<_>>(),
        vec![80, 8080]
    );
    // Two real lines the kernel would hold as one are refused.
    let error = v.add_real(real("10.0.0.1", 9090, 1)).unwrap_err();
    assert_eq!(
        error,
        SpecError::DuplicateReal {
            service: tcp(VIP, 80),
            real: dkey("10.0.0.1", 80)
        }
    );
    assert!(error.to_string().contains("10.0.0.1:80"), "{error}");
    // Firewall-mark services keep every port as given.
    let fwm = ServiceKey::FirewallMark {
        af: ha_ipvs::AddressFamily::Inet,
        mark: 3,
    };
    assert_eq!(
        kernel_destination(&fwm, real("10.0.0.1", 8080, 1)).port,
        8080
    );
}

#[test]
fn the_kernel_reporting_local_forwarding_is_not_a_difference() {
    let mut v = web(&[real("10.0.0.1", 80, 1)]);
    v.set_fallback(real("127.0.0.1", 80, 1));
    let spec = director(false, vec![v]);
    let local = Destination {
        forwarding: Forwarding::Local,
        ..real("127.0.0.1", 80, 1)
    };
    let now = web_kernel(&[local]);
    let down = web_health(&[("10.0.0.1", Health::Down)]);
    assert_eq!(reconcile(&spec, &down, &now, &[]).changes, vec![]);
    // Any other forwarding is a difference.
    let masq_now = web_kernel(&[masq("127.0.0.1", 80, 1)]);
    assert_eq!(
        reconcile(&spec, &down, &masq_now, &[]).changes,
        vec![Change::EditDestination(
            tcp(VIP, 80),
            real("127.0.0.1", 80, 1)
        )]
    );
}

#[test]
fn an_unknown_real_at_the_fallback_address_counts_as_down() {
    let mut v = web(&[real("127.0.0.1", 80, 3)]);
    v.set_fallback(real("127.0.0.1", 80, 1));
    let spec = director(false, vec![v]);
    let plan = reconcile(&spec, &NothingKnown, &Table::new(), &[]);
    let after = applied(Table::new(), &plan);
    assert_eq!(
        after
            .get(&tcp(VIP, 80))
            .map(|s| s.destinations.values().cloned().collect::<Vec<_>>()),
        Some(vec![real("127.0.0.1", 80, 1)])
    );
    assert!(reconcile(&spec, &NothingKnown, &after, &[])
        .changes
        .is_empty());
}

#[test]
fn the_table_model_refuses_what_the_kernel_refuses() {
    let mut table = Table::new();
    let service = web_service();
    assert_eq!(
        table.apply(&Change::EditService(service.clone())),
        Err(TableError::NoSuchService(tcp(VIP, 80)))
    );
    table.apply(&Change::AddService(service.clone())).unwrap();
    assert_eq!(
        table.apply(&Change::AddService(service.clone())),
        Err(TableError::ServiceExists(tcp(VIP, 80)))
    );
    let r = real("10.0.0.1", 80, 1);
    table
        .apply(&Change::AddDestination(tcp(VIP, 80), r.clone()))
        .unwrap();
    assert!(matches!(
        table.apply(&Change::AddDestination(tcp(VIP, 80), r.clone())),
        Err(TableError::DestinationExists { .. })
    ));
    assert!(matches!(
        table.apply(&Change::DeleteDestination(
            tcp(VIP, 80),
            dkey("10.0.0.2", 80)
        )),
        Err(TableError::NoSuchDestination { .. })
    ));
    table.apply(&Change::DeleteService(tcp(VIP, 80))).unwrap();
    assert!(table.is_empty());
}

#[test]
fn a_service_defined_twice_is_refused() {
    let mut spec = DirectorSpec::new(false);
    spec.push(web(&[])).unwrap();
    let error = spec.push(web(&[])).unwrap_err();
    assert_eq!(error, SpecError::DuplicateService(tcp(VIP, 80)));
    assert_eq!(
        error.to_string(),
        "virtual service TCP 192.0.2.10:80 is defined twice"
    );
}
